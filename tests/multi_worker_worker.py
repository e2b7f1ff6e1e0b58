"""One worker of a 2-worker MultiWorkerMirroredStrategy cluster (a subprocess).

    TF_CONFIG=... python multi_worker_worker.py OUT_DIR [--die-at-epoch K]

Trains a tiny deterministic SemiSupervisedGAN with `BackupAndRestore` (one
backup directory per worker), prints `EPOCH_BEGIN k` as each epoch starts
and writes its final weights to `OUT_DIR/weights-<task index>.npz`. With
`--die-at-epoch K` the worker SIGKILLs itself as epoch K begins, after the
backup of epoch K-1, as a crashed machine would.
"""

import argparse
import json
import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from conftest import deterministic_model  # noqa: E402
from conftest import make_data  # noqa: E402

EPOCHS = 4


class Progress(keras.callbacks.Callback):
    def __init__(self, die_at_epoch):
        super().__init__()
        self.die_at_epoch = die_at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.die_at_epoch:
            os.kill(os.getpid(), signal.SIGKILL)
        print(f"EPOCH_BEGIN {epoch}", flush=True)


def train(strategy, callbacks=()):
    """What every worker trains; under the default strategy, the same
    training on one replica (the tests' reference)."""
    keras.utils.set_random_seed(0)
    x, y = make_data(n=60)
    with strategy.scope():
        model = deterministic_model()
        model.compile(metrics=["accuracy"])
    model.fit(
        (x[:12], y[:12]),
        x,
        batch_size=8,
        labeled_batch_size=4,
        epochs=EPOCHS,
        callbacks=list(callbacks),
        verbose=0,
    )
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--die-at-epoch", type=int, default=-1)
    args = parser.parse_args()
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    model = train(
        strategy,
        callbacks=[
            # Keras' BackupAndRestore is not multi-worker aware: each worker
            # keeps its own backup (the weights are the same on all).
            keras.callbacks.BackupAndRestore(
                os.path.join(args.out_dir, f"backup-{task}")
            ),
            Progress(args.die_at_epoch),
        ],
    )
    np.savez(
        os.path.join(args.out_dir, f"weights-{task}.npz"), *model.get_weights()
    )
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
