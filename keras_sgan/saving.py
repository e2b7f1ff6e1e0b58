"""Loading a saved `SemiSupervisedGAN` with errors that say what went wrong."""

import os
import zipfile

import keras


def load_model(filepath, custom_objects=None, compile=True):
    """Loads a `.keras` file written by `SemiSupervisedGAN.save`.

    The same as `keras.models.load_model`, but checks the file first, so a
    missing, truncated or foreign file gets an error that says which, and
    a file holding another kind of model is refused. Training resumes with
    `fit` without calling `compile` again.

    Args:
        filepath: str or path. The `.keras` file.
        custom_objects: dict or None. Custom layers used by your generator
            or discriminator that are not registered with
            `keras.saving.register_keras_serializable`.
        compile: bool. Whether to restore the optimizers and metrics.

    Returns:
        A `SemiSupervisedGAN` (or the subclass that was saved).

    Examples:
        >>> import os, tempfile
        >>> import numpy as np
        >>> import keras_sgan
        >>> x = np.random.uniform(-1, 1, (32, 8)).astype("float32")
        >>> y = np.arange(32) % 2
        >>> model = keras_sgan.SemiSupervisedGAN(num_classes=2, latent_dim=4)
        >>> model.compile()
        >>> history = model.fit((x[:8], y[:8]), x, batch_size=16, verbose=0)
        >>> path = os.path.join(tempfile.mkdtemp(), "sgan.keras")
        >>> model.save(path)
        >>> restored = keras_sgan.load_model(path)
        >>> bool(np.allclose(restored.predict(x, verbose=0),
        ...                  model.predict(x, verbose=0)))
        True
        >>> int(restored.d_optimizer.iterations)  # resumes where it stopped
        2
        >>> keras_sgan.load_model("missing.keras")
        Traceback (most recent call last):
        ...
        FileNotFoundError: No such file: 'missing.keras'. Pass the path ...
    """
    from keras_sgan.semi_supervised_gan import SemiSupervisedGAN

    filepath = os.fspath(filepath)
    if os.path.isdir(filepath):
        hint = (
            " It is a TF SavedModel written by `model.export()`, a serving "
            "artifact: load it with `tf.saved_model.load(path)`."
            if os.path.exists(os.path.join(filepath, "saved_model.pb"))
            else ""
        )
        raise ValueError(
            f"'{filepath}' is a directory, not a `.keras` file.{hint}"
        )
    if not os.path.exists(filepath):
        raise FileNotFoundError(
            f"No such file: '{filepath}'. Pass the path given to "
            "`model.save(...)`, ending in `.keras`."
        )
    if not filepath.endswith(".keras"):
        raise ValueError(
            f"'{filepath}' does not end in `.keras`. SemiSupervisedGAN saves "
            "with `model.save('name.keras')`."
        )
    size = os.path.getsize(filepath)
    if not zipfile.is_zipfile(filepath):
        raise ValueError(
            f"'{filepath}' ({size} bytes) is not a `.keras` archive: it is "
            "not a zip file, so it is truncated, corrupted or of another "
            "format. Save it again with `model.save(...)`."
        )
    try:
        with zipfile.ZipFile(filepath) as archive:
            broken = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ValueError(
            f"'{filepath}' ({size} bytes) is a damaged `.keras` archive "
            f"({error}). Save it again with `model.save(...)`."
        ) from error
    if broken is not None:
        raise ValueError(
            f"'{filepath}' is a damaged `.keras` archive: '{broken}' fails "
            "its checksum. Save it again with `model.save(...)`."
        )
    missing = {"config.json", "model.weights.h5"} - names
    if missing:
        raise ValueError(
            f"'{filepath}' is not a complete `.keras` archive: it lacks "
            f"{sorted(missing)}. Save it again with `model.save(...)`."
        )
    model = keras.models.load_model(
        filepath, custom_objects=custom_objects, compile=compile
    )
    if not isinstance(model, SemiSupervisedGAN):
        raise TypeError(
            f"'{filepath}' holds a {type(model).__name__}, not a "
            "SemiSupervisedGAN. Load it with `keras.models.load_model`."
        )
    return model
