"""Default generator and discriminator builders.

A builder is any callable that returns a `keras.Model`:

- a generator builder is called as `builder(data_shape=..., latent_dim=...)`
  and returns a model mapping noise `(batch, latent_dim)` to a batch shaped
  `(batch, *data_shape)`;
- a discriminator builder is called as
  `builder(data_shape=..., num_classes=...)` and returns a model mapping a
  batch of data to `(logits, features)`: `logits` of shape
  `(batch, num_classes)` (the fake class is implicit) and `features`, the
  layer that feature matching compares.

`default_generator` / `default_discriminator` pick an architecture from the
data shape: the DCGAN-style convolutional pair for images at least 16 pixels
on a side whose sides divide by 4, the MLP pair for everything else (flat
vectors, small images, signals). Rows of fewer than `TABULAR_FEATURES`
features (tabular data) get the MLP discriminator with less Gaussian noise
(`TABULAR_NOISE`). Use `functools.partial` to change a
builder's sizes, e.g.
`partial(mlp_discriminator, hidden_units=(256, 128))`.

The default generators end in `tanh`: they produce values in `[-1, 1]`, so
real data should be scaled to that range (`keras_sgan.data.scale_images`).
"""

import math

import keras
from keras import layers

TABULAR_FEATURES = 64
"""Flat samples with fewer features than this are tabular rows.

`default_discriminator` gives them `TABULAR_NOISE`. The threshold sits
between the sets the noise was chosen on: wine (13 features) and
breast_cancer (30), where noise 0.1 gave the SGAN its best mean accuracy
on validation splits (0.9311, against 0.9258 at 0.3), and the digits (64
pixels), where hidden noise 0.3 did better than 0.2 and 0.5
(`benchmarks/ablation.py`).
"""

TABULAR_NOISE = 0.1
"""Input and hidden Gaussian noise of the default discriminator for tabular
rows (0.3 for every other shape the MLP takes)."""


def _batch_norm():
    # Statistics of the global batch under tf.distribute, so that N replicas
    # normalise like one device on the whole batch (the same on one device).
    return layers.BatchNormalization(synchronized=True)


def _check_data_shape(data_shape):
    shape = tuple(data_shape)
    if not shape or not all(isinstance(d, int) and d > 0 for d in shape):
        raise ValueError(
            "`data_shape` must be a non-empty tuple of positive integers (the "
            f"shape of one sample, without the batch axis). Received: "
            f"data_shape={data_shape}"
        )
    return shape


@keras.saving.register_keras_serializable(package="keras_sgan")
def mlp_generator(
    data_shape,
    latent_dim,
    hidden_units=(500, 500),
    output_activation="tanh",
    name="generator",
):
    """MLP generator of improved-gan's MNIST model.

    `Dense -> softplus -> BatchNorm` blocks, then a dense layer to the
    flattened data size with `output_activation`, reshaped to `data_shape`.

    Args:
        data_shape: tuple of ints. Shape of one sample.
        latent_dim: int. Size of the noise vector.
        hidden_units: tuple of ints. Width of each hidden layer.
        output_activation: str. Activation of the output layer; `"tanh"`
            produces values in `[-1, 1]`.
        name: str. Name of the returned model.

    Returns:
        A `keras.Model` from `(batch, latent_dim)` to `(batch, *data_shape)`.

    Examples:
        >>> g = mlp_generator(data_shape=(64,), latent_dim=8)
        >>> g.output_shape
        (None, 64)

    References:
        - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498)
    """
    data_shape = _check_data_shape(data_shape)
    z = keras.Input((latent_dim,), name="noise")
    h = z
    for units in hidden_units:
        h = layers.Dense(units, activation="softplus")(h)
        h = _batch_norm()(h)
    h = layers.Dense(math.prod(data_shape), activation=output_activation)(h)
    x = layers.Reshape(data_shape)(h)
    return keras.Model(z, x, name=name)


@keras.saving.register_keras_serializable(package="keras_sgan")
def mlp_discriminator(
    data_shape,
    num_classes,
    hidden_units=(1000, 500, 250, 250, 250),
    input_noise=0.3,
    hidden_noise=0.3,
    name="discriminator",
):
    """MLP discriminator of improved-gan's MNIST model.

    Gaussian noise on the input and after every hidden layer regularises
    the classifier; the last hidden layer is the feature-matching layer.

    Args:
        data_shape: tuple of ints. Shape of one sample (flattened first).
        num_classes: int. Number of real classes K.
        hidden_units: tuple of ints. Width of each ReLU hidden layer.
        input_noise: float. Standard deviation of the input noise.
        hidden_noise: float. Standard deviation of the noise after each
            hidden layer. improved-gan used 0.5 on MNIST; 0.3 was better on
            a validation split of the digits (`benchmarks/ablation.py`).
        name: str. Name of the returned model.

    Returns:
        A `keras.Model` from `(batch, *data_shape)` to `(logits, features)`.

    Examples:
        >>> d = mlp_discriminator(data_shape=(64,), num_classes=10)
        >>> [tuple(t.shape) for t in d.outputs]
        [(None, 10), (None, 250)]

    References:
        - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498)
    """
    data_shape = _check_data_shape(data_shape)
    x = keras.Input(data_shape, name="inputs")
    h = layers.Flatten()(x) if len(data_shape) > 1 else x
    if input_noise:
        h = layers.GaussianNoise(input_noise)(h)
    features = h
    for units in hidden_units:
        features = layers.Dense(units, activation="relu")(h)
        h = (
            layers.GaussianNoise(hidden_noise)(features)
            if hidden_noise
            else (features)
        )
    logits = layers.Dense(num_classes, name="logits")(h)
    return keras.Model(x, [logits, features], name=name)


def _upsampling_steps(height, width):
    # The largest number of stride-2 steps (at most 3, as in DCGAN) that
    # leaves a starting grid of at least 4x4.
    for steps in (3, 2):
        factor = 2**steps
        if (
            height % factor == 0
            and width % factor == 0
            and min(height, width) // factor >= 4
        ):
            return steps
    return None


def _check_image_shape(data_shape):
    data_shape = _check_data_shape(data_shape)
    if len(data_shape) != 3 or _upsampling_steps(*data_shape[:2]) is None:
        raise ValueError(
            "The DCGAN builders take images `(height, width, channels)` whose "
            "height and width are at least 16 and divisible by 4. Received: "
            f"data_shape={data_shape}. Use the MLP builders for other shapes."
        )
    return data_shape


@keras.saving.register_keras_serializable(package="keras_sgan")
def dcgan_generator(data_shape, latent_dim, base_filters=64, name="generator"):
    """DCGAN-style convolutional generator for small images.

    A dense projection to a `(height / 2**s, width / 2**s)` grid, then `s`
    stride-2 transposed convolutions (`s` is 3 for 32x32, 2 for 28x28), each
    followed by batch normalisation and ReLU, the last by `tanh`.

    Args:
        data_shape: tuple of ints. `(height, width, channels)` of one image.
        latent_dim: int. Size of the noise vector.
        base_filters: int. Filters of the last hidden block; each earlier
            block has twice as many.
        name: str. Name of the returned model.

    Returns:
        A `keras.Model` from `(batch, latent_dim)` to `(batch, *data_shape)`.

    Examples:
        >>> g = dcgan_generator(data_shape=(32, 32, 3), latent_dim=8)
        >>> g.output_shape
        (None, 32, 32, 3)

    References:
        - [Radford et al., 2015](https://arxiv.org/abs/1511.06434)
    """
    height, width, channels = _check_image_shape(data_shape)
    steps = _upsampling_steps(height, width)
    start = (height // 2**steps, width // 2**steps)
    filters = base_filters * 2 ** (steps - 1)
    z = keras.Input((latent_dim,), name="noise")
    h = layers.Dense(start[0] * start[1] * filters * 2, use_bias=False)(z)
    h = _batch_norm()(h)
    h = layers.ReLU()(h)
    h = layers.Reshape((*start, filters * 2))(h)
    for _ in range(steps - 1):
        h = layers.Conv2DTranspose(
            filters, 5, strides=2, padding="same", use_bias=False
        )(h)
        h = _batch_norm()(h)
        h = layers.ReLU()(h)
        filters //= 2
    x = layers.Conv2DTranspose(
        channels, 5, strides=2, padding="same", activation="tanh"
    )(h)
    return keras.Model(z, x, name=name)


@keras.saving.register_keras_serializable(package="keras_sgan")
def dcgan_discriminator(
    data_shape, num_classes, base_filters=64, dropout=0.5, name="discriminator"
):
    """Convolutional discriminator in the style of improved-gan's CIFAR model.

    Three blocks of two 3x3 convolutions with leaky ReLU, the second with
    stride 2, separated by dropout; global average pooling gives the
    feature-matching layer, and a dense layer the K logits.

    Args:
        data_shape: tuple of ints. `(height, width, channels)` of one image.
        num_classes: int. Number of real classes K.
        base_filters: int. Filters of the first block; later blocks have
            twice as many.
        dropout: float. Dropout rate between blocks (0.2 on the input).
        name: str. Name of the returned model.

    Returns:
        A `keras.Model` from `(batch, *data_shape)` to `(logits, features)`.

    Examples:
        >>> d = dcgan_discriminator(data_shape=(32, 32, 3), num_classes=10)
        >>> [tuple(t.shape) for t in d.outputs]
        [(None, 10), (None, 256)]

    References:
        - [Salimans et al., 2016](https://arxiv.org/abs/1606.03498)
    """
    data_shape = _check_image_shape(data_shape)
    x = keras.Input(data_shape, name="inputs")
    h = layers.Dropout(0.2)(x)
    filters = base_filters
    for block in range(3):
        h = layers.Conv2D(filters, 3, padding="same")(h)
        h = layers.LeakyReLU(0.2)(h)
        h = layers.Conv2D(filters, 3, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.2)(h)
        if block < 2:
            h = layers.Dropout(dropout)(h)
            filters *= 2
    features = layers.GlobalAveragePooling2D()(h)
    logits = layers.Dense(num_classes, name="logits")(features)
    return keras.Model(x, [logits, features], name=name)


def _wants_convolutions(data_shape):
    return len(data_shape) == 3 and _upsampling_steps(*data_shape[:2])


def _is_tabular(data_shape):
    return len(data_shape) == 1 and data_shape[0] < TABULAR_FEATURES


@keras.saving.register_keras_serializable(package="keras_sgan")
def default_generator(data_shape, latent_dim):
    """The generator `SemiSupervisedGAN` builds when none is given.

    `dcgan_generator` for images at least 16 pixels on a side with sides
    divisible by 4, `mlp_generator` otherwise.

    Args:
        data_shape: tuple of ints. Shape of one sample.
        latent_dim: int. Size of the noise vector.

    Returns:
        A `keras.Model`.

    Examples:
        >>> default_generator(data_shape=(8, 8, 1), latent_dim=4).name
        'generator'
    """
    data_shape = _check_data_shape(data_shape)
    if _wants_convolutions(data_shape):
        return dcgan_generator(data_shape, latent_dim)
    return mlp_generator(data_shape, latent_dim)


@keras.saving.register_keras_serializable(package="keras_sgan")
def default_discriminator(data_shape, num_classes):
    """The discriminator `SemiSupervisedGAN` builds when none is given.

    `dcgan_discriminator` for images at least 16 pixels on a side with sides
    divisible by 4, `mlp_discriminator` otherwise. Tabular rows (flat
    samples of fewer than `TABULAR_FEATURES` = 64 features) get
    `mlp_discriminator` with input and hidden noise `TABULAR_NOISE` = 0.1
    instead of 0.3: a few features carry little redundancy, and noise that
    suits pixels can drown them (chosen on validation splits of wine and
    breast_cancer, `benchmarks/ablation.py`). Pass
    `discriminator=functools.partial(mlp_discriminator, ...)` to set the
    noise yourself.

    Args:
        data_shape: tuple of ints. Shape of one sample.
        num_classes: int. Number of real classes K.

    Returns:
        A `keras.Model` returning `(logits, features)`.

    Examples:
        >>> default_discriminator(data_shape=(64,), num_classes=10).name
        'discriminator'
    """
    data_shape = _check_data_shape(data_shape)
    if _wants_convolutions(data_shape):
        return dcgan_discriminator(data_shape, num_classes)
    if _is_tabular(data_shape):
        return mlp_discriminator(
            data_shape,
            num_classes,
            input_noise=TABULAR_NOISE,
            hidden_noise=TABULAR_NOISE,
        )
    return mlp_discriminator(data_shape, num_classes)
