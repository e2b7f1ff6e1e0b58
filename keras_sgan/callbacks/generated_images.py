import inspect
import math
import numbers
import os

import keras
import numpy as np

from keras_sgan import input_pipeline

_CHANNELS = (1, 3)
_TAG = "generated_images"


class GeneratedImages(keras.callbacks.Callback):
    """Writes a PNG grid of generated samples every `every_n_epochs` epochs.

    The noise is drawn once, from `seed`, so every grid shows the same
    `num_samples` points of the latent space and successive grids show how
    the generator's picture of each one changes. The grid of epoch `e`
    (counted from 1, as in `ModelCheckpoint`'s `{epoch}`) is written to
    `directory/epoch_{e:04d}.png`; `filepaths` lists the files written.

    Samples are mapped from `value_range` (the `tanh` range `[-1, 1]` of
    the default generators) to pixels, values outside it are clipped, and
    they are tiled `columns` to a row with a 1-pixel white border. Samples
    of shape `(height, width, channels)` with 1 or 3 channels, or
    `(height, width)`, are images as they are; other samples (such as the
    64-d vectors of the 8x8 digits) need `image_shape` to be drawn.

    When a `keras.callbacks.TensorBoard` callback is in the same `fit`
    call's `callbacks`, the same grid is also logged as an image summary
    named `generated_images` in its `train` run, at step `e - 1`
    (TensorBoard's epoch scalars count from 0); that needs the `tensorboard`
    package, as the TensorBoard callback itself does. Keras gives a callback
    no handle on the others, so it is found among the callbacks that Keras
    dispatches `on_train_begin` to; pass `tensorboard=` to name one
    explicitly (e.g. when callbacks are called by your own loop), or
    `tensorboard=None` to log no image summaries.

    Args:
        directory: str or path. Directory the PNG files are written to,
            created if needed.
        every_n_epochs: int. Write a grid after every `every_n_epochs`-th
            epoch.
        num_samples: int. Number of samples in the grid.
        columns: int or None. Samples per row; None makes the grid as
            square as possible.
        image_shape: tuple or None. `(height, width)` or
            `(height, width, channels)` (channels 1 or 3) that each sample
            is reshaped to. Needed for samples that are not images, e.g.
            `(8, 8)` for 64-d digit vectors.
        value_range: tuple `(low, high)`. Range of the generator's output,
            mapped to black..white.
        upscale: int. Each pixel is drawn as an `upscale` x `upscale`
            block, for small images.
        seed: int. Seed of the fixed noise.
        tensorboard: `"auto"`, a `keras.callbacks.TensorBoard` or None.
            Where the image summaries go: the TensorBoard callback of the
            same `fit` call, the one given, or nowhere.

    Examples:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import keras
        >>> import keras_sgan
        >>> x = np.random.uniform(-1, 1, (64, 16)).astype("float32")
        >>> y = np.arange(64) % 2
        >>> model = keras_sgan.SemiSupervisedGAN(num_classes=2, latent_dim=4)
        >>> model.compile()
        >>> samples = keras_sgan.callbacks.GeneratedImages(
        ...     tempfile.mkdtemp(), every_n_epochs=2, num_samples=6, columns=3,
        ...     image_shape=(4, 4))  # 16-d samples drawn as 4x4 images
        >>> history = model.fit((x[:8], y[:8]), x, batch_size=16, epochs=4,
        ...                     callbacks=[samples], verbose=0)
        >>> [os.path.basename(path) for path in samples.filepaths]
        ['epoch_0002.png', 'epoch_0004.png']
        >>> keras.utils.load_img(samples.filepaths[-1]).size  # 3 x 2 tiles
        (16, 11)
    """

    def __init__(
        self,
        directory,
        every_n_epochs=1,
        num_samples=64,
        columns=None,
        image_shape=None,
        value_range=(-1.0, 1.0),
        upscale=1,
        seed=0,
        tensorboard="auto",
    ):
        super().__init__()
        if not isinstance(directory, (str, os.PathLike)) or not os.fspath(
            directory
        ):
            raise ValueError(
                "`directory` must be a non-empty path of the directory to "
                f"write the PNG files to. Received: directory={directory!r}"
            )
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise ValueError(
                "`directory` must be a directory; this path is a file. "
                f"Received: directory={os.fspath(directory)!r}"
            )
        input_pipeline.check_positive_int(every_n_epochs, "every_n_epochs")
        input_pipeline.check_positive_int(num_samples, "num_samples")
        input_pipeline.check_positive_int(columns, "columns", allow_none=True)
        if columns is not None and columns > num_samples:
            raise ValueError(
                "`columns` must be at most `num_samples`, or None for a "
                f"square grid. Received: columns={columns}, "
                f"num_samples={num_samples}"
            )
        input_pipeline.check_positive_int(upscale, "upscale")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise ValueError(
                "`seed` must be an integer: the noise is drawn once, from "
                f"it. Received: seed={seed!r}"
            )
        if not (
            isinstance(tensorboard, keras.callbacks.TensorBoard)
            or tensorboard is None
            or (isinstance(tensorboard, str) and tensorboard == "auto")
        ):
            raise ValueError(
                '`tensorboard` must be "auto" (the TensorBoard callback of '
                "the same fit call, if any), a `keras.callbacks.TensorBoard` "
                f"or None. Received: tensorboard={tensorboard!r}"
            )

        self.directory = os.fspath(directory)
        self.every_n_epochs = int(every_n_epochs)
        self.num_samples = int(num_samples)
        self.columns = columns or math.ceil(math.sqrt(num_samples))
        self.image_shape = _check_image_shape(image_shape)
        self.value_range = _check_value_range(value_range)
        self.upscale = int(upscale)
        self.seed = int(seed)
        self.tensorboard = tensorboard
        self.filepaths = []
        self._noise = None
        self._writers = {}

    def on_train_begin(self, logs=None):
        generator = getattr(self.model, "generator", None)
        latent_dim = getattr(self.model, "latent_dim", None)
        if not isinstance(generator, keras.Model) or not latent_dim:
            raise TypeError(
                "GeneratedImages draws samples with `model.generator` and "
                "`model.latent_dim`, so it works with a SemiSupervisedGAN "
                "(or a model with both). Received: a "
                f"{type(self.model).__name__}"
            )
        spec = generator.compute_output_spec(
            keras.KerasTensor((None, latent_dim), dtype="float32")
        )
        self._sample_shape = self._check_sample_shape(tuple(spec.shape[1:]))
        if self._noise is None or self._noise.shape[1] != latent_dim:
            self._noise = keras.random.normal(
                (self.num_samples, latent_dim), seed=self.seed
            )
        if self.tensorboard == "auto":
            tensorboards = _sibling_tensorboards(self)
        else:
            tensorboards = [self.tensorboard] if self.tensorboard else []
        log_dirs = {os.path.join(t.log_dir, "train") for t in tensorboards}
        if log_dirs:
            import tensorflow as tf

            self._writers = {
                log_dir: tf.summary.create_file_writer(log_dir)
                for log_dir in sorted(log_dirs)
            }

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        grid = self._grid()
        os.makedirs(self.directory, exist_ok=True)
        path = os.path.join(self.directory, f"epoch_{epoch + 1:04d}.png")
        keras.utils.save_img(
            path, grid, data_format="channels_last", scale=False
        )
        self.filepaths.append(path)
        if self._writers:
            import tensorflow as tf

            for writer in self._writers.values():
                with writer.as_default():
                    tf.summary.image(_TAG, grid[None], step=epoch)
                writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def _check_sample_shape(self, data_shape):
        if self.image_shape is not None:
            if math.prod(self.image_shape) != math.prod(data_shape):
                raise ValueError(
                    f"`image_shape={self.image_shape}` does not fit the "
                    f"generated samples, of shape {data_shape}: "
                    f"{math.prod(self.image_shape)} pixels against "
                    f"{math.prod(data_shape)} values per sample."
                )
            shape = self.image_shape
        elif len(data_shape) == 3 and data_shape[-1] in _CHANNELS:
            shape = data_shape
        elif len(data_shape) == 2:
            shape = data_shape
        else:
            raise ValueError(
                f"The generated samples, of shape {data_shape}, are not images "
                "`(height, width)` or `(height, width, channels)` with "
                f"channels in {_CHANNELS}. Pass `image_shape` to reshape "
                "each sample, e.g. `image_shape=(8, 8)` for 64 values."
            )
        return shape if len(shape) == 3 else (*shape, 1)

    def _grid(self):
        samples = keras.ops.convert_to_numpy(
            self.model.generator(self._noise, training=False)
        )
        low, high = self.value_range
        pixels = np.clip((samples.astype("float32") - low) / (high - low), 0, 1)
        images = np.round(pixels * 255).astype("uint8")
        images = images.reshape((len(images), *self._sample_shape))
        return _tile(images, self.columns, self.upscale)


def _tile(images, columns, upscale):
    """Tiles `(n, h, w, c)` uint8 images into one image with white borders."""
    n, height, width, channels = images.shape
    rows = math.ceil(n / columns)
    grid = np.full(
        (rows * (height + 1) + 1, columns * (width + 1) + 1, channels),
        255,
        "uint8",
    )
    for i, image in enumerate(images):
        row, column = divmod(i, columns)
        top, left = 1 + row * (height + 1), 1 + column * (width + 1)
        grid[top : top + height, left : left + width] = image
    return grid.repeat(upscale, axis=0).repeat(upscale, axis=1)


def _sibling_tensorboards(callback):
    # Keras gives a callback no handle on the others of its `fit` call. The
    # `CallbackList` dispatching `on_train_begin` holds them all: find it
    # among the callers.
    frame = inspect.currentframe()
    try:
        while frame is not None:
            owner = frame.f_locals.get("self")
            if isinstance(owner, keras.callbacks.CallbackList) and any(
                c is callback for c in owner.callbacks
            ):
                return [
                    c
                    for c in owner.callbacks
                    if isinstance(c, keras.callbacks.TensorBoard)
                ]
            frame = frame.f_back
    finally:
        del frame
    return []


def _check_image_shape(image_shape):
    if image_shape is None:
        return None
    shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else ()
    valid = (
        len(shape) in (2, 3)
        and all(
            isinstance(d, numbers.Integral)
            and not isinstance(d, bool)
            and d > 0
            for d in shape
        )
        and (len(shape) == 2 or shape[-1] in _CHANNELS)
    )
    if not valid:
        raise ValueError(
            "`image_shape` must be `(height, width)` or `(height, width, "
            f"channels)` with positive integers and channels in {_CHANNELS}, "
            f"or None. Received: image_shape={image_shape!r}"
        )
    return tuple(int(d) for d in shape)


def _check_value_range(value_range):
    valid = (
        isinstance(value_range, (tuple, list))
        and len(value_range) == 2
        and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool)
            for v in value_range
        )
        and value_range[0] < value_range[1]
    )
    if not valid:
        raise ValueError(
            "`value_range` must be `(low, high)` with low < high: the range "
            "of the generator's output, mapped to black..white. Received: "
            f"value_range={value_range!r}"
        )
    return float(value_range[0]), float(value_range[1])
