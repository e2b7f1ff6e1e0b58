"""Keras callbacks for watching a `SemiSupervisedGAN` train.

The model works with every `keras.callbacks` callback (`ModelCheckpoint`,
`BackupAndRestore`, `TensorBoard`, ...); this package adds what only a GAN
needs: pictures of what the generator makes.
"""

from keras_sgan.callbacks.generated_images import GeneratedImages

__all__ = ["GeneratedImages"]
