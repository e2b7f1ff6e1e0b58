"""A training process for the kill-and-resume tests (run as a subprocess).

    python resume_worker.py BACKUP_DIR WEIGHTS.npz [--hang-after-epoch K]

Trains a tiny SemiSupervisedGAN for 6 epochs with BackupAndRestore, prints
`EPOCH_END k` after each epoch's backup is written, and saves the final
weights. With `--hang-after-epoch K` it stops making progress after epoch
K, so the parent can SIGKILL it at a known point.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from conftest import make_data  # noqa: E402
from conftest import tiny_model  # noqa: E402

EPOCHS = 6


class Progress(keras.callbacks.Callback):
    def __init__(self, hang_after_epoch):
        super().__init__()
        self.hang_after_epoch = hang_after_epoch

    def on_epoch_end(self, epoch, logs=None):
        print(f"EPOCH_END {epoch}", flush=True)
        if epoch == self.hang_after_epoch:
            time.sleep(600)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("backup_dir")
    parser.add_argument("weights")
    parser.add_argument("--hang-after-epoch", type=int, default=-1)
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    x, y = make_data(n=48)
    model = tiny_model(seed=0)
    model.compile(metrics=["accuracy"])
    history = model.fit(
        (x[:6], y[:6]),
        x,
        batch_size=8,
        epochs=EPOCHS,
        callbacks=[
            keras.callbacks.BackupAndRestore(args.backup_dir),
            Progress(args.hang_after_epoch),
        ],
        verbose=0,
    )
    print(f"EPOCHS_RUN {' '.join(map(str, history.epoch))}", flush=True)
    np.savez(args.weights, *model.get_weights())


if __name__ == "__main__":
    main()
