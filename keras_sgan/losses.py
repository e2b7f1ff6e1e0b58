"""Loss terms of the semi-supervised GAN, as plain functions of tensors.

The discriminator outputs K logits for the K real classes; the "fake" class
is an implicit logit fixed at 0 (Salimans et al. 2016, section 5). With
`Z = sum(exp(logits))`, the probability that `x` is real is
`D(x) = Z / (Z + 1) = sigmoid(logsumexp(logits))`, so every term below is
written with `logsumexp` and `softplus` and never forms `exp(logits)`,
which overflows for logits above about 88 in float32.

All functions use `keras.ops` only, so they run on any Keras backend.

References:
    - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498)
    - [Odena, 2016](https://arxiv.org/abs/1606.01583)
"""

from keras import ops


def _float32(x):
    # Under mixed precision the logits arrive as float16; the losses are
    # reduced in float32 so that logsumexp and the means do not overflow.
    return ops.cast(x, "float32")


def _mean(values):
    # A mean that is 0, not NaN, over an empty batch: under tf.distribute a
    # replica may receive no rows of a short final batch.
    count = ops.cast(ops.shape(values)[0], values.dtype)
    return ops.sum(values) / ops.maximum(count, 1.0)


def real_probability(logits):
    """`D(x)`: the probability that `x` is real, from the K class logits.

    `D(x) = Z / (Z + 1)` with `Z = sum(exp(logits))`, computed as
    `sigmoid(logsumexp(logits))`.

    Args:
        logits: tensor. Class logits of shape `(batch, num_classes)`.

    Returns:
        Tensor of shape `(batch,)` with values in `[0, 1]`.

    Examples:
        >>> import numpy as np
        >>> p = real_probability(np.zeros((1, 3), "float32"))  # Z = 3
        >>> round(float(p[0]), 4)  # 3 / (3 + 1)
        0.75
    """
    return ops.sigmoid(ops.logsumexp(_float32(logits), axis=-1))


def supervised_loss(labels, logits):
    """Mean sparse categorical cross-entropy over the K real classes.

    The fake class plays no part: with labeled real data, `p(y | x, real)`
    is the softmax of the K logits alone.

    Args:
        labels: int tensor. Class ids of shape `(batch,)`, in
            `[0, num_classes)`.
        logits: tensor. Logits of the labeled batch,
            `(batch, num_classes)`.

    Returns:
        Scalar tensor.

    Examples:
        >>> import numpy as np
        >>> logits = np.array([[2.0, 0.0], [0.0, 0.0]], "float32")
        >>> loss = supervised_loss(np.array([0, 1]), logits)
        >>> round(float(loss), 4)  # mean(log(1 + exp(-2)), log(2))
        0.41
    """
    return _mean(
        ops.sparse_categorical_crossentropy(
            labels, _float32(logits), from_logits=True
        )
    )


def unsupervised_discriminator_loss(real_logits, fake_logits):
    """The discriminator's real-vs-fake loss on unlabeled and generated data.

    `0.5 * mean(-log D(x_real)) + 0.5 * mean(-log(1 - D(x_fake)))`, where
    `-log D(x) = softplus(-logsumexp(logits))` and
    `-log(1 - D(x)) = softplus(logsumexp(logits))`.

    Args:
        real_logits: tensor. Logits of unlabeled real data,
            `(batch, num_classes)`.
        fake_logits: tensor. Logits of generated data,
            `(batch, num_classes)`.

    Returns:
        Scalar tensor.

    Examples:
        >>> import numpy as np
        >>> undecided = np.zeros((1, 3), "float32")  # Z = 3, D(x) = 3/4
        >>> loss = unsupervised_discriminator_loss(undecided, undecided)
        >>> round(float(loss), 4)  # 0.5 * -log(3/4) + 0.5 * -log(1/4)
        0.837
        >>> sure = np.full((1, 3), 20.0, "float32")  # D(x) close to 1
        >>> round(float(unsupervised_discriminator_loss(sure, -sure)), 4)
        0.0

    References:
        - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498),
          section 5
    """
    lse_real = ops.logsumexp(_float32(real_logits), axis=-1)
    lse_fake = ops.logsumexp(_float32(fake_logits), axis=-1)
    return 0.5 * _mean(ops.softplus(-lse_real)) + 0.5 * _mean(
        ops.softplus(lse_fake)
    )


def feature_matching_loss(real_features, fake_features, reduced=False):
    """Feature matching: distance between mean real and mean fake features.

    `mean(square(mean(f_real, axis=0) - mean(f_fake, axis=0)))`
    (Salimans et al. 2016, section 3.1): the generator is trained to match
    the statistics of an intermediate discriminator layer on real data,
    rather than to fool the discriminator directly. Features of any rank are
    accepted; the batch axis is the first.

    Args:
        real_features: tensor. Discriminator features of real data,
            `(batch, ...)`.
        fake_features: tensor. Discriminator features of generated data,
            same shape apart from the batch size.
        reduced: bool. If True, both arguments are already means over the
            batch (distributed training passes means over the global
            batch).

    Returns:
        Scalar tensor.

    Examples:
        >>> import numpy as np
        >>> real = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")  # mean [2, 3]
        >>> fake = np.zeros((5, 2), "float32")  # mean [0, 0]
        >>> float(feature_matching_loss(real, fake))  # (2**2 + 3**2) / 2
        6.5

    References:
        - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498),
          section 3.1
    """
    real_mean = _float32(real_features)
    fake_mean = _float32(fake_features)
    if not reduced:
        real_mean = ops.mean(real_mean, axis=0)
        fake_mean = ops.mean(fake_mean, axis=0)
    return ops.mean(ops.square(real_mean - fake_mean))


def non_saturating_generator_loss(fake_logits):
    """The non-saturating generator loss `mean(-log D(G(z)))`.

    `-log D(x) = softplus(-logsumexp(logits))`: the generator is pushed to
    make the discriminator call its samples real. The alternative to
    feature matching: `SemiSupervisedGAN(generator_loss="non_saturating")`.

    Args:
        fake_logits: tensor. Logits of generated data,
            `(batch, num_classes)`.

    Returns:
        Scalar tensor.

    Examples:
        >>> import numpy as np
        >>> undecided = np.zeros((1, 3), "float32")  # D(x) = 3/4
        >>> round(float(non_saturating_generator_loss(undecided)), 4)
        0.2877

    References:
        - [Goodfellow et al., 2014](https://arxiv.org/abs/1406.2661),
          section 3
    """
    lse_fake = ops.logsumexp(_float32(fake_logits), axis=-1)
    return _mean(ops.softplus(-lse_fake))


def conditional_entropy(logits):
    """Mean entropy of the class prediction `p(y | x, real)`.

    `mean(-sum(p * log p))` with `p = softmax(logits)` over the K real
    classes. Minimised on unlabeled data, it pushes the classifier to
    confident predictions there (Dai et al. 2017, "Good Semi-supervised
    Learning That Requires a Bad GAN", section 4).

    Args:
        logits: tensor. Class logits, `(batch, num_classes)`.

    Returns:
        Scalar tensor, between 0 and `log(num_classes)`.

    Examples:
        >>> import numpy as np
        >>> undecided = np.zeros((2, 4), "float32")  # entropy log(4)
        >>> round(float(conditional_entropy(undecided)), 4)
        1.3863

    References:
        - [Dai et al., 2017](https://arxiv.org/abs/1705.09783)
    """
    log_p = ops.log_softmax(_float32(logits), axis=-1)
    return _mean(-ops.sum(ops.exp(log_p) * log_p, axis=-1))
