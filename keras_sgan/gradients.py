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


def minimize(loss_fn, targets):
    """Runs `loss_fn` once, then one optimizer step per target.

    Args:
        loss_fn: callable with no arguments returning `(losses, aux)`:
            `losses` holds one scalar per target (a per-replica mean), `aux`
            anything else the caller wants back.
        targets: list of `(variables, optimizer)` pairs; the i-th loss is
            minimised over the i-th variables by the i-th optimizer (a
            `keras.optimizers.Optimizer`, possibly a `LossScaleOptimizer`).

    Returns:
        `(losses, aux)` as returned by `loss_fn`.
    """
    import tensorflow as tf

    with tf.GradientTape(persistent=len(targets) > 1) as tape:
        losses, aux = loss_fn()
        # Gradients are summed over replicas, so each replica's mean loss is
        # divided by the replica count: N replicas then step like one
        # replica on the N-times larger global batch.
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        scaled = [
            optimizer.scale_loss(loss / replicas)
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
