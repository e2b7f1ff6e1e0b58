"""The backend-specific pieces of training: gradients and replicas.

`SemiSupervisedGAN.train_step` computes its losses with `keras.ops` only and
hands each optimisation step to `minimize`; what it needs to know about
`tf.distribute` replicas comes from the functions below. A JAX or PyTorch
training step goes beside the TensorFlow one here.

Under a `tf.distribute` strategy each replica sees a slice of the global
batch. Every loss a replica minimises is its share of the loss on the
global batch (`local mean * local size / global size`), feature means are
taken over the global batch, and each replica draws its rows of one global
noise batch; so N replicas take exactly the step one replica would take on
the N-times larger batch, however the batch is split.
"""

import keras

SUPPORTED_BACKENDS = ("tensorflow",)


def check_backend():
    """Raises if the active Keras backend has no training step yet."""
    backend = keras.backend.backend()
    if backend not in SUPPORTED_BACKENDS:
        raise RuntimeError(
            f"keras_sgan trains on the {', '.join(SUPPORTED_BACKENDS)} "
            f"backend. Received: KERAS_BACKEND={backend!r}. Set "
            "KERAS_BACKEND=tensorflow before importing keras."
        )


def minimize(loss_fn, targets):
    """Runs `loss_fn` once, then one optimizer step per target.

    Args:
        loss_fn: callable with no arguments returning `(losses, aux)`:
            `losses` holds one scalar per target, this replica's share of
            the loss on the global batch (replicas' gradients are summed),
            `aux` anything else the caller wants back.
        targets: list of `(variables, optimizer)` pairs; the i-th loss is
            minimised over the i-th variables by the i-th optimizer (a
            `keras.optimizers.Optimizer`, possibly a `LossScaleOptimizer`).

    Returns:
        `(losses, aux)` as returned by `loss_fn`.
    """
    import tensorflow as tf

    with tf.GradientTape(persistent=len(targets) > 1) as tape:
        losses, aux = loss_fn()
        scaled = [
            optimizer.scale_loss(loss)
            for loss, (_, optimizer) in zip(losses, targets, strict=True)
        ]
    updates = [
        (tape.gradient(loss, variables), variables, optimizer)
        for loss, (variables, optimizer) in zip(scaled, targets, strict=True)
    ]
    del tape
    for grads, variables, optimizer in updates:
        optimizer.apply(grads, variables)
    return losses, aux


def check_strategy(model):
    """Raises if `model` is used under a strategy it was not created in."""
    import tensorflow as tf

    if not tf.distribute.has_strategy():
        return
    current = tf.distribute.get_strategy()
    created = getattr(model, "_distribute_strategy", None)
    if created is not current:
        raise RuntimeError(
            "This SemiSupervisedGAN was created outside the "
            f"`{type(current).__name__}` scope it is now used in, so its "
            "variables are not distributed. Create and compile the model "
            "inside `with strategy.scope():` (calling `fit` inside the scope "
            "is optional). Received: a model created under "
            f"{type(created).__name__ if created else 'no strategy'}, used "
            f"under {type(current).__name__}"
        )


def strategy_scope(model):
    """The scope of the strategy `model` was created under."""
    return model.distribute_strategy.scope()


def num_replicas():
    """Replicas training in sync (1 without a distribution strategy)."""
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def _all_sum(values):
    import tensorflow as tf

    return tf.distribute.get_replica_context().all_reduce(
        tf.distribute.ReduceOp.SUM, values
    )


def _local_size(x):
    return keras.ops.cast(keras.ops.shape(x)[0], "float32")


def replica_share(x):
    """This replica's fraction of the global batch that `x` is a slice of."""
    if num_replicas() == 1:
        return 1.0
    size = _local_size(x)
    return size / _all_sum(size)


def global_mean(x):
    """Mean of `x` over the first axis of the global batch."""
    x = keras.ops.cast(x, "float32")
    if num_replicas() == 1:
        return keras.ops.mean(x, axis=0)
    total, size = _all_sum([keras.ops.sum(x, axis=0), _local_size(x)])
    return total / size


def replica_rows(local_size):
    """`(offset, global_size)`: where this replica's rows sit in the batch.

    Args:
        local_size: scalar int tensor. Rows of the global batch on this
            replica.
    """
    import tensorflow as tf

    replicas = num_replicas()
    if replicas == 1:
        return 0, local_size
    context = tf.distribute.get_replica_context()
    mine = tf.one_hot(context.replica_id_in_sync_group, replicas)
    sizes = tf.cast(_all_sum(mine * tf.cast(local_size, "float32")), "int32")
    offset = tf.reduce_sum(sizes[: context.replica_id_in_sync_group])
    return offset, tf.reduce_sum(sizes)


def reducible_logs(logs):
    """Step logs in a form Keras can reduce across workers.

    Under MultiWorkerMirroredStrategy Keras averages each logged value over
    the replicas along axis 0, which a scalar does not have
    (keras-team/keras#20585); a leading axis of 1 makes that average the
    mean over the replicas.
    """
    import tensorflow as tf

    strategy = tf.distribute.get_strategy()
    multi_worker = (
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )
    if not multi_worker:
        return logs
    return {
        name: keras.ops.expand_dims(value, 0) for name, value in logs.items()
    }
