"""`.keras` round trips: both networks, weights, optimizers, compile config."""

import subprocess
import sys
import textwrap
import zipfile

import keras
import numpy as np
import pytest
from conftest import NUM_CLASSES
from conftest import make_data
from conftest import tiny_model
from test_fit import ConvSGAN

import keras_sgan


def trained(model=None, x=None, y=None, **compile_kwargs):
    if x is None:
        x, y = make_data()
    model = model or tiny_model()
    model.compile(metrics=["accuracy"], **compile_kwargs)
    model.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    return model


def assert_same_predictions(a, b, x):
    np.testing.assert_allclose(
        a.predict(x, verbose=0), b.predict(x, verbose=0), atol=1e-6
    )


def test_round_trip_keeps_predictions_optimizers_and_compile(tmp_path, data):
    x, y = data
    model = trained(
        d_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        g_optimizer=keras.optimizers.RMSprop(2e-4),
    )
    model.save(tmp_path / "m.keras")
    restored = keras_sgan.load_model(tmp_path / "m.keras")

    assert type(restored) is keras_sgan.SemiSupervisedGAN
    assert_same_predictions(model, restored, x)
    for name in ("num_classes", "latent_dim", "generator_loss", "seed"):
        assert getattr(restored, name) == getattr(model, name)
    # Both optimizers, with their kind, settings and state.
    assert isinstance(restored.g_optimizer, keras.optimizers.RMSprop)
    assert float(restored.d_optimizer.learning_rate) == pytest.approx(1e-3)
    for old, new in (
        (model.d_optimizer, restored.d_optimizer),
        (model.g_optimizer, restored.g_optimizer),
    ):
        assert len(old.variables) == len(new.variables) > 1
        for a, b in zip(old.variables, new.variables, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Generator weights too: same noise, same samples.
    np.testing.assert_allclose(
        model.generator.predict(np.ones((2, 4)), verbose=0),
        restored.generator.predict(np.ones((2, 4)), verbose=0),
    )
    # fit continues without compile(), with the compiled metrics.
    history = restored.fit((x[:6], y[:6]), x, batch_size=8, verbose=0)
    assert int(restored.d_optimizer.iterations) == 10
    assert "accuracy" in history.history


def test_resumed_training_matches_uninterrupted_training(tmp_path, data):
    x, y = data

    def fit(model, epochs):
        model.fit(
            (x[:6], y[:6]),
            x,
            batch_size=8,
            epochs=epochs,
            initial_epoch=epochs - 1,
            verbose=0,
        )

    keras.utils.set_random_seed(0)
    straight = trained()
    fit(straight, 2)

    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    first = trained()
    first.save(tmp_path / "m.keras")
    resumed = keras_sgan.load_model(tmp_path / "m.keras")
    fit(resumed, 2)
    # Same data order, same noise: the random state is saved too.
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_custom_builders_and_subclasses_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (12, 8, 8, 1)).astype("float32")
    y = np.arange(12) % 2
    model = trained(ConvSGAN(num_classes=2, latent_dim=3, seed=0), x, y)
    model.save(tmp_path / "conv.keras")
    restored = keras_sgan.load_model(tmp_path / "conv.keras")
    assert type(restored) is ConvSGAN
    assert restored.discriminator.name == "conv_d"
    assert_same_predictions(model, restored, x)

    def builder(data_shape, num_classes):  # a local function: not importable
        inputs = keras.Input(data_shape)
        features = keras.layers.Dense(5, activation="tanh")(inputs)
        return keras.Model(
            inputs, [keras.layers.Dense(num_classes)(features), features]
        )

    x, y = make_data()
    model = trained(tiny_model(discriminator=builder))
    model.save(tmp_path / "builder.keras")
    restored = keras_sgan.load_model(tmp_path / "builder.keras")
    assert restored.discriminator.outputs[1].shape[-1] == 5
    assert_same_predictions(model, restored, x)


def test_ema_state_round_trips(tmp_path, data):
    x, y = data
    model = trained(
        d_optimizer=keras.optimizers.Adam(use_ema=True),
        g_optimizer=keras.optimizers.Adam(use_ema=True),
    )
    model.save(tmp_path / "ema.keras")
    restored = keras_sgan.load_model(tmp_path / "ema.keras")
    assert restored.d_optimizer.use_ema and restored.g_optimizer.use_ema
    for old, new in (
        (model.d_optimizer, restored.d_optimizer),
        (model.g_optimizer, restored.g_optimizer),
    ):
        averages = [np.asarray(v) for v in old._model_variables_moving_average]
        restored_averages = [
            np.asarray(v) for v in new._model_variables_moving_average
        ]
        for a, b in zip(averages, restored_averages, strict=True):
            np.testing.assert_array_equal(a, b)


def test_round_trip_in_a_fresh_process(tmp_path, data):
    x, y = data
    model = trained()
    model.save(tmp_path / "m.keras")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "p.npy", model.predict(x, verbose=0))
    script = textwrap.dedent(f"""
        import numpy as np, keras
        import keras_sgan  # registers the classes
        model = keras.models.load_model({str(tmp_path / "m.keras")!r})
        x = np.load({str(tmp_path / "x.npy")!r})
        p = np.load({str(tmp_path / "p.npy")!r})
        assert np.abs(model.predict(x, verbose=0) - p).max() < 1e-6
        assert int(model.g_optimizer.iterations) == 5
        model.fit((x[:6], np.arange(6) % 3), x, batch_size=8, verbose=0)
        print("ITERATIONS", int(model.d_optimizer.iterations))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ITERATIONS 10" in result.stdout


def test_config_round_trip(data):
    model = tiny_model(generator_loss="non_saturating", unsupervised_weight=0.5)
    model.build((None, 6))
    clone = keras_sgan.SemiSupervisedGAN.from_config(model.get_config())
    clone.build((None, 6))
    assert clone.get_config()["unsupervised_weight"] == 0.5
    assert clone.generator_loss == "non_saturating"
    assert [w.shape for w in clone.get_weights()] == [
        w.shape for w in model.get_weights()
    ]


def test_load_errors_say_what_is_wrong(tmp_path, data):
    model = trained()
    good = tmp_path / "m.keras"
    model.save(good)

    with pytest.raises(FileNotFoundError, match="No such file.*nope.keras"):
        keras_sgan.load_model(tmp_path / "nope.keras")

    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated, corrupted"):
        keras_sgan.load_model(truncated)

    other = tmp_path / "weights.h5"
    other.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="does not end in `.keras`"):
        keras_sgan.load_model(other)

    text = tmp_path / "notes.keras"
    text.write_text("hello")
    with pytest.raises(ValueError, match=r"\(5 bytes\) is not a `.keras`"):
        keras_sgan.load_model(text)

    incomplete = tmp_path / "incomplete.keras"
    with zipfile.ZipFile(incomplete, "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(ValueError, match=r"lacks \['model.weights.h5'\]"):
        keras_sgan.load_model(incomplete)

    model.export(tmp_path / "serving", verbose=False)
    with pytest.raises(ValueError, match="tf.saved_model.load"):
        keras_sgan.load_model(tmp_path / "serving")

    plain = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    plain.save(tmp_path / "plain.keras")
    with pytest.raises(TypeError, match="holds a Sequential"):
        keras_sgan.load_model(tmp_path / "plain.keras")


def test_num_classes_survives(tmp_path):
    model = trained()
    model.save(tmp_path / "m.keras")
    assert (
        keras_sgan.load_model(tmp_path / "m.keras").num_classes == NUM_CLASSES
    )
