import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import keras_sgan  # noqa: E402
from keras_sgan import builders  # noqa: E402

NUM_CLASSES = 3
DATA_DIM = 6
LATENT_DIM = 4

tiny_generator = functools.partial(builders.mlp_generator, hidden_units=(8,))
tiny_discriminator = functools.partial(
    builders.mlp_discriminator, hidden_units=(8,)
)


def tiny_model(**kwargs):
    """A SemiSupervisedGAN small enough to train in milliseconds."""
    options = dict(
        num_classes=NUM_CLASSES,
        latent_dim=LATENT_DIM,
        generator=tiny_generator,
        discriminator=tiny_discriminator,
        seed=0,
    )
    options.update(kwargs)
    return keras_sgan.SemiSupervisedGAN(**options)


def deterministic_model(**kwargs):
    """`tiny_model` without random layers: its training is a function of the
    data and the noise alone (for comparing distributed runs)."""
    discriminator = functools.partial(
        tiny_discriminator, input_noise=0.0, hidden_noise=0.0
    )
    return tiny_model(discriminator=discriminator, **kwargs)


def make_data(n=40, seed=0, dim=DATA_DIM):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, dim)).astype("float32")
    y = np.arange(n) % NUM_CLASSES
    return x, y


def pytest_configure(config):
    # Two logical CPUs, for MirroredStrategy tests; must precede any op.
    import tensorflow as tf

    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )


@pytest.fixture(autouse=True)
def clear_session():
    keras.utils.clear_session()
    yield


@pytest.fixture
def data():
    return make_data()


class StepCounter(keras.callbacks.Callback):
    """Counts training batches per epoch."""

    def on_train_begin(self, logs=None):
        self.steps = []

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.steps[-1] += 1
