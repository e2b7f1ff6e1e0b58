"""Semi-supervised classification with a GAN, as a Keras 3 model."""

from keras_sgan import builders
from keras_sgan import callbacks
from keras_sgan import data
from keras_sgan import losses
from keras_sgan.saving import load_model
from keras_sgan.semi_supervised_gan import SemiSupervisedGAN

__version__ = "0.1.0"

__all__ = [
    "SemiSupervisedGAN",
    "builders",
    "callbacks",
    "data",
    "load_model",
    "losses",
]
