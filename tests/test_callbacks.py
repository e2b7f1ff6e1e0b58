"""Keras callbacks work with fit(labeled, unlabeled)."""

import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from conftest import StepCounter
from conftest import make_data
from conftest import tiny_model

import keras_sgan

WORKER = os.path.join(os.path.dirname(__file__), "resume_worker.py")


def start_worker(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.Popen(
        [sys.executable, WORKER, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process, timeout=300):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return out


def test_sigkilled_training_resumes_where_it_stopped(tmp_path):
    # Uninterrupted reference run, then a run SIGKILLed after epoch 2's
    # backup, then the same command again.
    finish(start_worker(tmp_path / "ref_backup", tmp_path / "ref.npz"))

    victim = start_worker(
        tmp_path / "backup", tmp_path / "lost.npz", "--hang-after-epoch", 2
    )
    deadline = time.monotonic() + 300
    try:
        for line in victim.stdout:
            if line.strip() == "EPOCH_END 2" or time.monotonic() > deadline:
                break
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    assert not (tmp_path / "lost.npz").exists()

    out = finish(start_worker(tmp_path / "backup", tmp_path / "resumed.npz"))
    assert "EPOCHS_RUN 3 4 5" in out  # not 0 1 2 ...
    reference = np.load(tmp_path / "ref.npz")
    resumed = np.load(tmp_path / "resumed.npz")
    # Same data order, noise and optimizer state: bit-identical weights.
    for key in reference.files:
        np.testing.assert_array_equal(reference[key], resumed[key])


@pytest.fixture
def compiled():
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    return model


def fit(model, callbacks, epochs=3, **kwargs):
    x, y = make_data()
    return model.fit(
        (x[:6], y[:6]),
        x,
        batch_size=8,
        epochs=epochs,
        verbose=0,
        validation_data=(x, y),
        callbacks=callbacks,
        **kwargs,
    )


def test_model_checkpoint_best_val_accuracy(compiled, tmp_path):
    path = tmp_path / "best.keras"
    history = fit(
        compiled,
        [
            keras.callbacks.ModelCheckpoint(
                path, monitor="val_accuracy", mode="max", save_best_only=True
            )
        ],
        epochs=4,
    )
    best = max(history.history["val_accuracy"])
    restored = keras_sgan.load_model(path)
    x, y = make_data()
    assert restored.evaluate(x, y, verbose=0)[1] == pytest.approx(best)


def test_terminate_on_nan_stops_a_diverging_run(tmp_path):
    model = tiny_model()
    # A learning rate this large sends the weights to inf within a few steps.
    model.compile(
        d_optimizer=keras.optimizers.SGD(1e30),
        g_optimizer=keras.optimizers.SGD(1e30),
    )
    counter = StepCounter()
    x, y = make_data()
    model.fit(
        (x[:6], y[:6]),
        x * 1e3,
        batch_size=8,
        epochs=5,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN(), counter],
    )
    assert sum(counter.steps) < 25


def test_early_stopping_on_val_loss(compiled):
    history = fit(
        compiled,
        [
            keras.callbacks.EarlyStopping(
                monitor="val_loss", patience=0, min_delta=10.0
            )
        ],
        epochs=10,
    )
    assert len(history.epoch) == 1 + 0 + 1  # first epoch, then no gain


def test_swap_ema_weights_evaluates_with_averaged_discriminator(tmp_path):
    model = tiny_model()
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-2, use_ema=True, ema_momentum=0.9),
        g_optimizer=keras.optimizers.Adam(use_ema=True),
        metrics=["accuracy"],
    )
    history = fit(model, [keras.callbacks.SwapEMAWeights()], epochs=2)
    assert np.isfinite(history.history["val_loss"]).all()
    # At the end of fit the weights are the moving averages (Keras' rule),
    # for the discriminator and the generator.
    for optimizer, network in (
        (model.d_optimizer, model.discriminator),
        (model.g_optimizer, model.generator),
    ):
        averages = optimizer._model_variables_moving_average
        for weight, average in zip(
            network.trainable_weights, averages, strict=True
        ):
            np.testing.assert_array_equal(
                np.asarray(weight), np.asarray(average)
            )


def test_discriminator_variables_lead_even_if_generator_was_given_first():
    x, y = make_data()
    generator = tiny_model().build_generator((6,))
    keras.utils.clear_session()
    model = tiny_model(generator=generator)
    model.compile(d_optimizer=keras.optimizers.Adam(use_ema=True))
    model.fit(
        (x[:6], y[:6]),
        x,
        batch_size=8,
        verbose=0,
        callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=True)],
        validation_data=(x, y),
    )
    first = model.trainable_weights[
        : len(model.discriminator.trainable_weights)
    ]
    assert [id(v) for v in first] == [
        id(v) for v in model.discriminator.trainable_weights
    ]
