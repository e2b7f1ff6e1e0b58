"""Turns `fit(labeled, unlabeled)` inputs into one `tf.data` pipeline.

Each element of the pipeline is `((x_labeled, y_labeled), x_unlabeled)`.
The labeled stream is shuffled and repeated forever, so the zipped stream
ends with the unlabeled one: one epoch is one pass over the unlabeled data.

Arrays are checked eagerly (shapes, dtypes, label values) so that a bad
input fails before any training starts. Datasets are checked from their
`element_spec`; their label values are checked as batches stream through.
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

_ACCEPTED_LABELED = (
    "a tuple `(x, y)` of arrays, or a `tf.data.Dataset` of `(x, y)` batches"
)
_ACCEPTED_UNLABELED = (
    "an array, a tuple `(x, y)` of arrays (labels are ignored), or a "
    "`tf.data.Dataset` of `x` or `(x, y)` batches"
)


def check_positive_int(value, name, allow_none=False):
    """Raises unless `value` is a positive integer (or None if allowed)."""
    if value is None and allow_none:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < 1
    ):
        raise ValueError(
            f"`{name}` must be a positive integer"
            f"{' or None' if allow_none else ''}. Received: {name}={value!r}"
        )


def _is_dataset(value):
    return isinstance(value, tf.data.Dataset)


def _describe(value):
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__name__} of shape {tuple(value.shape)}"
    return repr(type(value).__name__)


def standardize_features(x, name):
    """Returns `x` as a non-empty float32 array, or raises naming `name`."""
    if _is_dataset(x):
        raise TypeError(f"`{name}` must be an array here. Received: a dataset")
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(
            f"`{name}` must have a batch axis and at least one feature axis, "
            f"i.e. shape (num_samples, ...). Received: {name}.shape={x.shape}"
        )
    if len(x) == 0:
        raise ValueError(
            f"`{name}` is empty: it has 0 samples. Received: "
            f"{name}.shape={x.shape}"
        )
    if x.dtype.kind in "iub":
        raise TypeError(
            f"`{name}` has integer dtype {x.dtype}; the model compares real "
            "data with the generator's float outputs. Scale it to floats "
            "first, e.g. `keras_sgan.data.scale_images(x)` for uint8 images. "
            f"Received: {name}.dtype={x.dtype}"
        )
    if x.dtype.kind != "f":
        raise TypeError(
            f"`{name}` must hold floating-point numbers. Received: "
            f"{name}.dtype={x.dtype}"
        )
    return x.astype("float32", copy=False)


def standardize_labels(y, num_classes, name="y"):
    """Returns class ids as an int64 vector, or raises naming `name`.

    Accepts class ids of shape `(n,)` or `(n, 1)` (integers, or floats
    holding whole numbers) and one-hot rows of shape `(n, num_classes)`.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    elif y.ndim == 2 and y.shape[1] == num_classes:
        is_one_hot = np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all()
        if not is_one_hot:
            raise ValueError(
                f"`{name}` has shape {y.shape}, which is read as one-hot "
                f"labels over num_classes={num_classes}, but its rows are "
                "not one-hot (a single 1 and zeros elsewhere). Pass class ids "
                "of shape (num_samples,) or one-hot rows."
            )
        y = y.argmax(axis=1)
    elif y.ndim != 1:
        raise ValueError(
            f"`{name}` must hold class ids of shape (num_samples,) or "
            f"(num_samples, 1), or one-hot rows of shape (num_samples, "
            f"{num_classes}). Received: {name}.shape={y.shape}"
        )
    if y.dtype.kind == "b":
        y = y.astype("int64")
    elif y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
            bad = y[~(np.isfinite(y) & (y == np.round(y)))][:5]
            raise ValueError(
                f"`{name}` must hold integer class ids; it holds non-integer "
                f"values such as {bad.tolist()}. Received: "
                f"{name}.dtype={y.dtype}"
            )
    elif y.dtype.kind not in "iu":
        raise TypeError(
            f"`{name}` must hold integer class ids in [0, {num_classes}). "
            f"Received: {name}.dtype={y.dtype}"
        )
    out_of_range = (y < 0) | (y >= num_classes)
    if out_of_range.any():
        bad = np.unique(y[out_of_range])[:5]
        raise ValueError(
            f"`{name}` holds class ids outside [0, {num_classes}) for "
            f"num_classes={num_classes}: {bad.tolist()}. Labels must be "
            "integers from 0 to num_classes - 1."
        )
    return y.astype("int64")


def _labeled_arrays(labeled, num_classes):
    if not isinstance(labeled, (tuple, list)):
        raise TypeError(
            f"`labeled` must be {_ACCEPTED_LABELED}. Received: "
            f"{_describe(labeled)}"
        )
    if len(labeled) != 2:
        raise TypeError(
            f"`labeled` must be {_ACCEPTED_LABELED}. Received: a "
            f"{type(labeled).__name__} of length {len(labeled)}"
        )
    x, y = labeled
    x = standardize_features(x, "labeled x")
    y = standardize_labels(y, num_classes, "labeled y")
    if len(x) != len(y):
        raise ValueError(
            "`labeled` x and y must have the same number of samples. "
            f"Received: {len(x)} samples in x and {len(y)} labels in y"
        )
    return x, y


def _unlabeled_array(unlabeled):
    if isinstance(unlabeled, tuple):
        if len(unlabeled) not in (1, 2):
            raise TypeError(
                f"`unlabeled` must be {_ACCEPTED_UNLABELED}. Received: a "
                f"tuple of length {len(unlabeled)}"
            )
        unlabeled = unlabeled[0]
    return standardize_features(unlabeled, "unlabeled x")


def _check_value_range(x, name, value_range):
    low, high = value_range
    x_min, x_max = float(x.min()), float(x.max())
    tolerance = 1e-3 * (high - low)
    if x_min < low - tolerance or x_max > high + tolerance:
        raise ValueError(
            f"`{name}` has values in [{x_min:.4g}, {x_max:.4g}], but the "
            f"default generator produces values in [{low}, {high}], so the "
            "discriminator could tell real from fake by range alone. Scale "
            "the data to that range (`keras_sgan.data.scale_images` for "
            "images) or pass a generator with a matching output range."
        )


def _check_divides(size, what, received, replicas):
    # tf.distribute splits each global batch between the replicas; Keras
    # needs the first split to be even. A short final batch may split
    # unevenly: the losses are shared out by size (see `gradients`).
    if replicas == 1 or size is None or size % replicas == 0:
        return
    raise ValueError(
        f"Training on {replicas} replicas splits every batch between them, "
        f"so {what} must be divisible by {replicas}. Received: {received}"
    )


def _check_same_shape(data_shape, unlabeled_shape):
    if not tf.TensorShape(unlabeled_shape).is_compatible_with(data_shape):
        raise ValueError(
            "Labeled and unlabeled samples must have the same shape. "
            f"Received: labeled samples of shape {data_shape} and "
            f"unlabeled samples of shape {unlabeled_shape}"
        )


def _spec_parts(dataset, name, accepted):
    spec = dataset.element_spec
    if isinstance(spec, tf.TensorSpec):
        return (spec,)
    if isinstance(spec, tuple) and all(
        isinstance(s, tf.TensorSpec) for s in spec
    ):
        return spec
    raise TypeError(
        f"`{name}` must be {accepted}. Received: a dataset with "
        f"element_spec={spec}"
    )


def _check_cardinality(dataset, name):
    if int(dataset.cardinality()) == 0:
        raise ValueError(f"`{name}` is empty: the dataset yields no batches.")


def _check_float_spec(spec, name):
    if not spec.dtype.is_floating:
        raise TypeError(
            f"`{name}` has dtype {spec.dtype.name}; the model compares real "
            "data with the generator's float outputs. Scale it to floats "
            "first, e.g. `dataset.map(keras_sgan.data.scale_images)` for "
            f"uint8 images. Received: element dtype {spec.dtype.name}"
        )


def _label_fixer(y_spec, num_classes):
    """A graph function turning a batch of labels into int64 class ids."""
    rank = y_spec.shape.rank
    last = y_spec.shape[-1] if rank else None
    if rank == 0:
        raise ValueError(
            "`labeled` looks unbatched: its labels are scalars (element_spec "
            f"y shape {y_spec.shape}). Datasets are taken as already batched, "
            "as everywhere in Keras: call `.batch(batch_size)` on it."
        )
    if rank == 2 and last == 1:
        kind = "ids"
    elif rank == 2 and last == num_classes:
        kind = "one_hot"
    elif rank == 1:
        kind = "ids"
    else:
        raise ValueError(
            "`labeled` dataset labels must be batches of class ids, shape "
            f"(batch,) or (batch, 1), or of one-hot rows, shape (batch, "
            f"{num_classes}). Received: y shape {y_spec.shape}"
        )
    if not (y_spec.dtype.is_integer or y_spec.dtype.is_floating):
        raise TypeError(
            "`labeled` dataset labels must be integer class ids. Received: "
            f"y dtype {y_spec.dtype.name}"
        )

    def fix(y):
        if kind == "one_hot":
            y = tf.argmax(y, axis=-1)
        elif rank == 2:
            y = tf.squeeze(y, axis=-1)
        if y.dtype.is_floating:
            tf.debugging.assert_equal(
                y,
                tf.round(y),
                message="`labeled` dataset labels must be integer class ids; "
                "received non-integer values",
            )
        y = tf.cast(y, "int64")
        tf.debugging.assert_non_negative(
            y, message="`labeled` dataset holds negative class ids"
        )
        tf.debugging.assert_less(
            y,
            tf.constant(num_classes, "int64"),
            message=f"`labeled` dataset holds class ids >= num_classes="
            f"{num_classes}; labels must be in [0, {num_classes})",
        )
        return y

    return fix


def _data_shape(spec, name):
    shape = spec.shape[1:]
    if not shape.is_fully_defined() or shape.rank == 0:
        raise ValueError(
            f"`{name}` must have a fixed sample shape (all axes but the batch "
            f"axis known) with at least one axis. Received: batches of shape "
            f"{spec.shape}"
        )
    return tuple(shape.as_list())


class EpochSeed(keras.callbacks.Callback):
    """The epoch number, as the shuffles of `fit` see it.

    Each epoch's shuffle order is a function of the seed and the epoch
    number, read from `variable` when the epoch's iteration starts. A run
    restored from a checkpoint (`BackupAndRestore`) therefore sees the same
    order in every epoch as a run that was never interrupted, where
    tf.data's own `reshuffle_each_iteration` counts iterations per process
    and would start over. As a callback it keeps `variable` on the epoch
    Keras is running.
    """

    def __init__(self, initial_epoch):
        super().__init__()
        self.variable = tf.Variable(
            initial_epoch, dtype=tf.int64, trainable=False, name="data_epoch"
        )

    def on_epoch_begin(self, epoch, logs=None):
        self.variable.assign(epoch)


def _index_stream(n, seed, epoch, repeat):
    """Indices `0..n-1` shuffled by `(seed, epoch)`: one pass, or forever."""
    fold_in = tf.random.experimental.stateless_fold_in

    def epoch_stream(_):
        key = fold_in(tf.constant([seed, 0], tf.int64), epoch.read_value())

        def permutation(pass_index):
            order = tf.random.experimental.stateless_shuffle(
                tf.range(n, dtype=tf.int64), seed=fold_in(key, pass_index)
            )
            return tf.data.Dataset.from_tensor_slices(order)

        passes = tf.data.Dataset.range(tf.int64.max if repeat else 1)
        return passes.flat_map(permutation)

    # flat_map hides the length; Keras needs it to end epochs cleanly.
    return (
        tf.data.Dataset.range(1)
        .flat_map(epoch_stream)
        .apply(
            tf.data.experimental.assert_cardinality(
                tf.data.INFINITE_CARDINALITY if repeat else n
            )
        )
    )


def _gather_batches(arrays, indices):
    tensors = tuple(tf.constant(a) for a in arrays)
    if len(tensors) == 1:
        return indices.map(lambda i: tf.gather(tensors[0], i))
    return indices.map(lambda i: tuple(tf.gather(t, i) for t in tensors))


def make_training_dataset(
    labeled,
    unlabeled,
    *,
    num_classes,
    batch_size,
    labeled_batch_size,
    seed,
    shuffle=True,
    value_range=None,
    steps_per_epoch=None,
    initial_epoch=0,
    replicas=1,
):
    """Builds the zipped `((x_l, y_l), x_u)` dataset.

    Args:
        labeled: `(x, y)` arrays or a batched dataset of `(x, y)`.
        unlabeled: array, `(x, y)` arrays, or a batched dataset of `x` or
            `(x, y)`.
        num_classes: int. Labels must lie in `[0, num_classes)`.
        batch_size: int. Unlabeled batch size, used for arrays.
        labeled_batch_size: int. Labeled batch size, used for arrays.
        shuffle: bool. Whether to shuffle array inputs every epoch.
        seed: int. Seed of the shuffles.
        initial_epoch: int. The epoch `fit` starts at.
        value_range: `(low, high)` or None. If given, array inputs must lie
            in this range.
        steps_per_epoch: int or None, as given to `fit`.
        replicas: int. Replicas of the distribution strategy; each batch is
            split between them, so batch sizes must divide by it.

    Returns:
        `(dataset, data_shape, callback)`: `callback` must be passed to
        `fit`; it tells the shuffles which epoch is running.
    """
    if not _is_dataset(unlabeled):
        _check_divides(
            batch_size, "`batch_size`", f"batch_size={batch_size}", replicas
        )
    if not _is_dataset(labeled):
        _check_divides(
            labeled_batch_size,
            "`labeled_batch_size`",
            f"labeled_batch_size={labeled_batch_size}",
            replicas,
        )
    epoch = EpochSeed(initial_epoch)

    # === Labeled stream: standardized, shuffled, repeated forever ===
    if _is_dataset(labeled):
        parts = _spec_parts(labeled, "labeled", _ACCEPTED_LABELED)
        if len(parts) != 2:
            raise TypeError(
                f"`labeled` must be {_ACCEPTED_LABELED}; sample weights are "
                f"not supported. Received: a dataset of {len(parts)}-tuples "
                f"({labeled.element_spec})"
            )
        x_spec, y_spec = parts
        _check_divides(
            x_spec.shape[0],
            "the batch size of `labeled`",
            f"batches of {x_spec.shape[0]}",
            replicas,
        )
        fix_labels = _label_fixer(y_spec, num_classes)
        _check_float_spec(x_spec, "labeled")
        _check_cardinality(labeled, "labeled")
        data_shape = _data_shape(x_spec, "labeled")
        labeled_rank = x_spec.shape.rank
        labeled_ds = labeled.map(
            lambda x, y: (tf.cast(x, "float32"), fix_labels(y))
        ).repeat()
    else:
        x_l, y_l = _labeled_arrays(labeled, num_classes)
        if value_range is not None:
            _check_value_range(x_l, "labeled x", value_range)
        data_shape = tuple(x_l.shape[1:])
        labeled_rank = x_l.ndim
        if shuffle:
            indices = _index_stream(len(x_l), seed, epoch.variable, repeat=True)
        else:
            indices = tf.data.Dataset.range(len(x_l)).repeat()
        indices = indices.batch(labeled_batch_size, drop_remainder=True)
        labeled_ds = _gather_batches((x_l, y_l), indices)

    # === Unlabeled stream: one pass is one epoch ===
    if _is_dataset(unlabeled):
        parts = _spec_parts(unlabeled, "unlabeled", _ACCEPTED_UNLABELED)
        x_spec = parts[0]
        if len(parts) > 1:
            unlabeled = unlabeled.map(lambda *batch: batch[0])
        if x_spec.shape.rank == labeled_rank - 1:
            raise ValueError(
                "`unlabeled` looks unbatched: its elements have shape "
                f"{x_spec.shape}, one axis fewer than the labeled batches "
                f"(sample shape {data_shape}). Datasets are taken as already "
                "batched, as everywhere in Keras: call `.batch(batch_size)`."
            )
        _check_divides(
            x_spec.shape[0],
            "the batch size of `unlabeled`",
            f"batches of {x_spec.shape[0]}",
            replicas,
        )
        _check_float_spec(x_spec, "unlabeled")
        _check_cardinality(unlabeled, "unlabeled")
        _check_same_shape(data_shape, tuple(x_spec.shape[1:]))
        if (
            int(unlabeled.cardinality()) == tf.data.INFINITE_CARDINALITY
            and steps_per_epoch is None
        ):
            raise ValueError(
                "`unlabeled` is an infinite dataset, so an epoch (one pass "
                "over the unlabeled data) never ends. Pass `steps_per_epoch`."
            )
        unlabeled_ds = unlabeled.map(lambda x: tf.cast(x, "float32"))
    else:
        x_u = _unlabeled_array(unlabeled)
        _check_same_shape(data_shape, tuple(x_u.shape[1:]))
        if value_range is not None:
            _check_value_range(x_u, "unlabeled x", value_range)
        if shuffle:
            indices = _index_stream(len(x_u), seed + 1, epoch.variable, False)
        else:
            indices = tf.data.Dataset.range(len(x_u))
        unlabeled_ds = _gather_batches((x_u,), indices.batch(batch_size))

    dataset = tf.data.Dataset.zip((labeled_ds, unlabeled_ds))
    return dataset.prefetch(tf.data.AUTOTUNE), data_shape, epoch
