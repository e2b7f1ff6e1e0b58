"""Scaling: tf.distribute strategies, mixed precision and XLA.

The MirroredStrategy tests run on the two logical CPUs that conftest.py
creates; the multi-worker tests start a 2-worker cluster of subprocesses on
127.0.0.1 (tests/multi_worker_worker.py).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import keras
import multi_worker_worker
import numpy as np
import pytest
import tensorflow as tf
from conftest import deterministic_model
from conftest import make_data
from conftest import tiny_model

# Weights of N replicas against one replica on the same global batches: the
# only difference is the order of float32 sums (measured: below 1e-7).
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def mirrored():
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])


def max_difference(a, b):
    return max(float(np.max(np.abs(p - q))) for p, q in zip(a, b, strict=True))


def train(strategy, fit_in_scope, n=57, **options):
    # n=57 with batches of 14 ends each epoch on a batch of 1: one replica
    # then gets no rows at all.
    keras.utils.set_random_seed(1)
    x, y = make_data(n=n)
    with strategy.scope():
        model = deterministic_model(**options)
        model.compile(metrics=["accuracy"])
    fit_args = dict(
        labeled=(x[:12], y[:12]),
        unlabeled=x,
        batch_size=14,
        labeled_batch_size=6,
        epochs=2,
        verbose=0,
    )
    if fit_in_scope:
        with strategy.scope():
            history = model.fit(**fit_args)
    else:
        history = model.fit(**fit_args)
    return model, history.history


@pytest.mark.parametrize(
    "options, fit_in_scope",
    [
        (dict(update_scheme="alternating"), False),
        (dict(update_scheme="simultaneous"), True),
        (dict(generator_loss="non_saturating"), False),
    ],
    ids=["alternating", "simultaneous-fit-in-scope", "non-saturating"],
)
def test_mirrored_trains_like_one_replica_on_the_global_batch(
    mirrored, options, fit_in_scope
):
    single, single_logs = train(tf.distribute.get_strategy(), False, **options)
    replicated, replicated_logs = train(mirrored, fit_in_scope, **options)

    assert replicated.distribute_strategy.num_replicas_in_sync == 2
    assert max_difference(single.weights, replicated.weights) < TOLERANCE
    # The logged losses are those of the global batch, not of one replica.
    assert sorted(single_logs) == sorted(replicated_logs)
    for name, values in single_logs.items():
        np.testing.assert_allclose(
            replicated_logs[name], values, atol=TOLERANCE, err_msg=name
        )
    x, y = make_data(n=20, seed=3)
    np.testing.assert_allclose(
        replicated.predict(x, verbose=0),
        single.predict(x, verbose=0),
        atol=TOLERANCE,
    )
    np.testing.assert_allclose(
        replicated.evaluate(x, y, batch_size=10, verbose=0),
        single.evaluate(x, y, batch_size=10, verbose=0),
        atol=TOLERANCE,
    )


def test_model_trained_on_replicas_saves_and_loads_without_a_strategy(
    mirrored, tmp_path
):
    model, _ = train(mirrored, False)
    model.save(tmp_path / "model.keras")
    keras.utils.clear_session()
    loaded = keras.models.load_model(tmp_path / "model.keras")
    x, _ = make_data(n=10, seed=4)
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )


def test_model_created_outside_the_scope_is_refused(mirrored):
    model = tiny_model()
    with mirrored.scope():
        with pytest.raises(RuntimeError, match=r"created outside.*scope"):
            model.compile()
    model.compile()
    x, y = make_data()
    with mirrored.scope():
        with pytest.raises(RuntimeError, match=r"strategy\.scope\(\)"):
            model.fit((x, y), x, verbose=0)


@pytest.mark.parametrize(
    "fit_args, message",
    [
        (dict(batch_size=9), r"`batch_size`.*divisible by 2.*batch_size=9"),
        (
            dict(batch_size=8, labeled_batch_size=3),
            r"`labeled_batch_size`.*labeled_batch_size=3",
        ),
    ],
)
def test_batch_sizes_must_divide_between_replicas(mirrored, fit_args, message):
    x, y = make_data()
    with mirrored.scope():
        model = tiny_model()
        model.compile()
    with pytest.raises(ValueError, match=message):
        model.fit((x, y), x, verbose=0, **fit_args)


def test_dataset_batches_must_divide_between_replicas(mirrored):
    x, y = make_data()
    with mirrored.scope():
        model = tiny_model()
        model.compile()
    unlabeled = tf.data.Dataset.from_tensor_slices(x).batch(
        5, drop_remainder=True
    )
    labeled = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    with pytest.raises(ValueError, match=r"`unlabeled`.*batches of 5"):
        model.fit(labeled, unlabeled, verbose=0)


@pytest.fixture
def mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_mixed_precision_scales_losses_and_predicts_float32(mixed_precision):
    x, y = make_data()
    model = tiny_model()
    model.compile(metrics=["accuracy"])
    history = model.fit((x[:9], y[:9]), x, batch_size=8, epochs=2, verbose=0)

    assert model.discriminator.layers[-1].compute_dtype == "float16"
    for optimizer in (model.d_optimizer, model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        assert optimizer.iterations.numpy() == 10
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), name
    probabilities = model.predict(x, verbose=0)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_jit_compile_trains_like_the_default():
    x, y = make_data()
    runs = {}
    for jit_compile in (False, True):
        keras.utils.set_random_seed(2)
        model = deterministic_model()
        model.compile(jit_compile=jit_compile)
        history = model.fit(
            (x[:9], y[:9]), x, batch_size=8, epochs=3, verbose=0
        )
        assert model.jit_compile is jit_compile
        assert model.g_optimizer.iterations.numpy() == 15
        runs[jit_compile] = history.history
    for name, values in runs[True].items():
        assert np.all(np.isfinite(values)), name
    # XLA draws other generator noise than the default runtime (its own RNG
    # algorithm), so only the classifier's loss on the labeled batches,
    # which the noise touches indirectly, is compared (measured: 3e-5).
    np.testing.assert_allclose(
        runs[True]["supervised_loss"], runs[False]["supervised_loss"], atol=1e-3
    )


# === Multi-worker: a 2-worker cluster on 127.0.0.1 ===

WORKER = os.path.join(os.path.dirname(__file__), "multi_worker_worker.py")
CLUSTER_TIMEOUT = 240


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cluster(out_dir, die_at_epoch=None):
    """Runs both workers to the end (or until worker 1 dies); their output."""
    workers = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    processes = []
    try:
        for index in range(2):
            tf_config = {
                "cluster": {"worker": workers},
                "task": {"type": "worker", "index": index},
            }
            env = {**os.environ, "TF_CONFIG": json.dumps(tf_config)}
            args = [sys.executable, WORKER, str(out_dir)]
            if die_at_epoch is not None and index == 1:
                args += ["--die-at-epoch", str(die_at_epoch)]
            processes.append(
                subprocess.Popen(
                    args,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    start_new_session=True,
                )
            )
        if die_at_epoch is not None:
            # As a cluster manager would: when a worker dies, stop the rest
            # (they would otherwise wait for its heartbeats to time out).
            processes[1].wait(timeout=CLUSTER_TIMEOUT)
            os.killpg(processes[0].pid, signal.SIGKILL)
        deadline = time.monotonic() + CLUSTER_TIMEOUT
        return [
            p.communicate(timeout=max(1, deadline - time.monotonic()))
            for p in processes
        ]
    finally:
        for p in processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate()


def load_weights(path):
    archive = np.load(path)
    return [archive[name] for name in archive.files]


@pytest.fixture(scope="module")
def uninterrupted_cluster(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("cluster")
    outputs = run_cluster(out_dir)
    for out, err in outputs:
        assert out.split()[-1:] == ["DONE"], err[-3000:]
    return out_dir


def test_multi_worker_workers_end_identical_and_train_like_one_replica(
    uninterrupted_cluster,
):
    worker_0 = load_weights(uninterrupted_cluster / "weights-0.npz")
    worker_1 = load_weights(uninterrupted_cluster / "weights-1.npz")
    assert max_difference(worker_0, worker_1) == 0.0

    # One process, one replica, the same seeds and global batches.
    model = multi_worker_worker.train(tf.distribute.get_strategy())
    assert max_difference(worker_0, model.get_weights()) < TOLERANCE


def test_multi_worker_backup_and_restore_resumes_after_a_worker_dies(
    uninterrupted_cluster, tmp_path
):
    outputs = run_cluster(tmp_path, die_at_epoch=2)
    died = outputs[1][0].split()
    assert died[-2:] == ["EPOCH_BEGIN", "1"]  # killed as epoch 2 began
    assert not (tmp_path / "weights-1.npz").exists()

    # The cluster is restarted with the same command.
    outputs = run_cluster(tmp_path)
    for out, err in outputs:
        assert out.split() == [
            "EPOCH_BEGIN",
            "2",
            "EPOCH_BEGIN",
            "3",
            "DONE",
        ], err[-3000:]
    reference = load_weights(uninterrupted_cluster / "weights-0.npz")
    for index in range(2):
        resumed = load_weights(tmp_path / f"weights-{index}.npz")
        assert max_difference(reference, resumed) == 0.0


def test_distributed_example_quick_mode():
    # A fresh process: the example splits the CPU before TensorFlow starts.
    example = os.path.join(
        os.path.dirname(__file__), "..", "examples", "distributed.py"
    )
    done = subprocess.run(
        [sys.executable, example, "--quick"],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].count("device:CPU:") == 2
    assert lines[1] == "2 replicas, global batch 100 (50 per replica), 2 epochs"
    accuracy = float(lines[2].split()[2].rstrip(","))
    assert accuracy > 0.3  # chance is 0.1; 2 epochs reach about 0.65
