"""The one backend-specific piece of training: gradients and their update.

`SemiSupervisedGAN.train_step` computes its losses with `keras.ops` only and
hands each optimisation step to `minimize`. A JAX or PyTorch training step
goes beside the TensorFlow one here.
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


def minimize(loss_fn, variables, optimizer):
    """Runs `loss_fn`, then one `optimizer` step on `variables`.

    Args:
        loss_fn: callable with no arguments returning `(loss, aux)`, where
            `loss` is the scalar to minimise (a per-replica mean) and `aux`
            anything else the caller wants back.
        variables: list of the variables to update.
        optimizer: a `keras.optimizers.Optimizer` (possibly a
            `LossScaleOptimizer`).

    Returns:
        `(loss, aux)` as returned by `loss_fn`.
    """
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss, aux = loss_fn()
        # Gradients are summed over replicas, so each replica's mean loss is
        # divided by the replica count: N replicas then step like one
        # replica on the N-times larger global batch.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        scaled_loss = optimizer.scale_loss(loss / replicas)
    gradients = tape.gradient(scaled_loss, variables)
    optimizer.apply(gradients, variables)
    return loss, aux
