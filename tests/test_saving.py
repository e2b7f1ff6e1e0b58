"""`.keras` round trip of a trained model (the full contract is issue 3's)."""

import keras
import numpy as np
from conftest import tiny_model

import keras_sgan


def test_save_load_keeps_predictions_and_optimizer_state(tmp_path, data):
    x, y = data
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    path = tmp_path / "sgan.keras"
    model.save(path)

    restored = keras.models.load_model(path)
    assert isinstance(restored, keras_sgan.SemiSupervisedGAN)
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    assert int(restored.d_optimizer.iterations) == 5
    assert int(restored.g_optimizer.iterations) == 5
    # Training resumes without calling compile() again.
    restored.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    assert int(restored.d_optimizer.iterations) == 10
