"""Data helpers: labeled/unlabeled splits, TFDS loading, image scaling.

`SemiSupervisedGAN.fit(labeled, unlabeled)` takes a small labeled set
`(x, y)` and a large unlabeled set `x`. `split_labeled` cuts them from a
fully labeled dataset, as in experiments; `load_tfds` does the same from a
TensorFlow Datasets name; `scale_images` brings pixels into the `[-1, 1]`
range of the default generator.
"""

import numpy as np

from keras_sgan import input_pipeline


def split_labeled(
    x,
    y,
    labels_per_class,
    seed=None,
    exclude_labeled=False,
    return_indices=False,
):
    """Splits `(x, y)` into a small class-balanced labeled set and the rest.

    Draws `labels_per_class` samples of every class, reproducibly for a given
    `seed`. As in the reference implementations, the unlabeled part is all
    of `x` (the labeled samples included) unless `exclude_labeled=True`.

    Args:
        x: array. Samples, of shape `(num_samples, ...)`.
        y: array. Class ids of shape `(num_samples,)` or
            `(num_samples, 1)`.
        labels_per_class: int. Labeled samples drawn from every class.
        seed: int or None. Seed of the draw.
        exclude_labeled: bool. Whether to leave the labeled samples out of
            the unlabeled part.
        return_indices: bool. Also return the indices into `x` of the
            labeled samples, in the order of `x_labeled`.

    Returns:
        `((x_labeled, y_labeled), x_unlabeled)`, plus `indices` if
        `return_indices=True`.

    Examples:
        >>> import numpy as np
        >>> x = np.arange(20, dtype="float32").reshape(10, 2)
        >>> y = np.array([0, 1] * 5)
        >>> (x_l, y_l), x_u = split_labeled(x, y, labels_per_class=2, seed=0)
        >>> x_l.shape, sorted(y_l.tolist()), x_u.shape
        ((4, 2), [0, 0, 1, 1], (10, 2))
    """
    input_pipeline.check_positive_int(labels_per_class, "labels_per_class")
    x = np.asarray(x)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            "`y` must hold class ids of shape (num_samples,). Received: "
            f"y.shape={y.shape}"
        )
    if len(x) != len(y):
        raise ValueError(
            "`x` and `y` must have the same number of samples. Received: "
            f"{len(x)} samples in x and {len(y)} labels in y"
        )
    if len(y) == 0:
        raise ValueError("`x` and `y` are empty: they have 0 samples.")
    classes, counts = np.unique(y, return_counts=True)
    too_small = counts < labels_per_class
    if too_small.any():
        raise ValueError(
            f"`labels_per_class={labels_per_class}` is more than some classes "
            "have: "
            + ", ".join(
                f"class {c} has {n}"
                for c, n in zip(
                    classes[too_small], counts[too_small], strict=True
                )
            )
            + f". The smallest class has {counts.min()} samples."
        )
    rng = np.random.default_rng(seed)
    indices = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == c), labels_per_class, replace=False)
            for c in classes
        ]
    )
    indices = rng.permutation(indices)
    labeled = (x[indices], y[indices])
    unlabeled = np.delete(x, indices, axis=0) if exclude_labeled else x
    if return_indices:
        return labeled, unlabeled, indices
    return labeled, unlabeled


def scale_images(images, input_range=(0, 255), output_range=(-1.0, 1.0)):
    """Scales images linearly from `input_range` to `output_range` as float32.

    The default maps uint8 pixels `[0, 255]` to the `[-1, 1]` range of the
    default generator's `tanh` output. Works on NumPy arrays and on tensors,
    so it can be mapped over a `tf.data.Dataset`.

    Args:
        images: array or tensor. Pixel values.
        input_range: tuple `(low, high)`. Range of the input values, e.g.
            `(0, 16)` for scikit-learn's digits.
        output_range: tuple `(low, high)`. Range of the output values.

    Returns:
        float32 array or tensor of the same shape.

    Examples:
        >>> import numpy as np
        >>> scale_images(np.array([0, 255], "uint8")).tolist()
        [-1.0, 1.0]
        >>> import tensorflow as tf
        >>> images = tf.data.Dataset.from_tensor_slices(
        ...     np.zeros((4, 8, 8, 1), "uint8")).batch(2)
        >>> images = images.map(scale_images)  # for fit(..., images)
        >>> float(next(iter(images)).numpy().max())
        -1.0
    """
    in_low, in_high = (float(v) for v in input_range)
    out_low, out_high = (float(v) for v in output_range)
    if not in_high > in_low:
        raise ValueError(
            "`input_range` must be `(low, high)` with low < high. Received: "
            f"input_range={input_range}"
        )
    if not out_high > out_low:
        raise ValueError(
            "`output_range` must be `(low, high)` with low < high. Received: "
            f"output_range={output_range}"
        )
    scale = (out_high - out_low) / (in_high - in_low)
    if isinstance(images, np.ndarray) or np.isscalar(images):
        images = np.asarray(images, dtype="float32")
        return ((images - in_low) * scale + out_low).astype("float32")
    import tensorflow as tf

    images = tf.cast(images, "float32")
    return (images - in_low) * scale + out_low


def load_tfds(
    name,
    labels_per_class,
    seed=None,
    split="train",
    test_split="test",
    exclude_labeled=False,
    scale=True,
    data_dir=None,
    download=True,
):
    """Loads a TFDS image-classification dataset as labeled/unlabeled/test.

    The training split is read into memory as NumPy arrays and cut with
    `split_labeled`; images are scaled from `[0, 255]` to `[-1, 1]` with
    `scale_images` unless `scale=False`. For sets larger than memory, pass
    `tfds.load(..., batch_size=...)` datasets to `fit` directly.

    Args:
        name: str. TFDS dataset name, e.g. `"mnist"`, `"svhn_cropped"`.
        labels_per_class: int. Labeled samples drawn from every class.
        seed: int or None. Seed of the labeled draw.
        split: str. Split providing the labeled and unlabeled parts.
        test_split: str or None. Split returned as the test set.
        exclude_labeled: bool. As in `split_labeled`.
        scale: bool. Whether to scale uint8 images to `[-1, 1]`.
        data_dir: str or None. TFDS data directory.
        download: bool. Whether TFDS may download the data.

    Returns:
        `((x_labeled, y_labeled), x_unlabeled, (x_test, y_test))`; the
        last is None when `test_split` is None.

    Examples:
        >>> import tensorflow_datasets as tfds
        >>> # Random images in MNIST's format, instead of a download:
        >>> with tfds.testing.mock_data(num_examples=100):
        ...     (x_l, y_l), x_u, (x_test, y_test) = load_tfds(
        ...         "mnist", labels_per_class=2, seed=0)
        >>> x_l.shape, y_l.shape, x_u.shape
        ((20, 28, 28, 1), (20,), (100, 28, 28, 1))
        >>> float(x_u.min()) >= -1.0 and float(x_u.max()) <= 1.0
        True
    """
    import tensorflow_datasets as tfds

    def load(which):
        # Read in batches and concatenate, rather than `batch_size=-1`,
        # which needs a known cardinality.
        batches = tfds.as_numpy(
            tfds.load(
                name,
                split=which,
                as_supervised=True,
                batch_size=4096,
                data_dir=data_dir,
                download=download,
            )
        )
        xs, ys = zip(*batches, strict=True)
        x, y = np.concatenate(xs), np.concatenate(ys)
        if scale:
            x = scale_images(x)
        return x, input_pipeline.standardize_labels(
            y, int(y.max()) + 1, name=f"{name}[{which}] labels"
        )

    x, y = load(split)
    labeled, unlabeled = split_labeled(
        x,
        y,
        labels_per_class,
        seed=seed,
        exclude_labeled=exclude_labeled,
    )
    test = load(test_split) if test_split is not None else None
    return labeled, unlabeled, test
