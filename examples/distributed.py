"""Data-parallel training with tf.distribute.MirroredStrategy.

Trains `SemiSupervisedGAN` on scikit-learn's bundled 8x8 digits (5 labels
per class, no network) on several replicas of the model: every GPU of the
machine, or, on a machine without one, the CPU split into `--cpu-replicas`
logical devices so that the distributed code path runs anywhere. The only
change from one-device training is the `with strategy.scope():` around
creating and compiling the model; `fit` splits every batch between the
replicas and they train like one device on the whole batch.

Takes about 2 minutes on 2 CPU cores (`--quick`: a few seconds, for tests).
Several CPU replicas are not faster than one: they share the same cores.

    python examples/distributed.py [--cpu-replicas 2] [--epochs 50]
        [--batch-size 100] [--seed 0] [--quick]
"""

import argparse
import time

import keras
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import keras_sgan


def replica_devices(cpu_replicas):
    """All GPUs, or the CPU split into `cpu_replicas` logical devices.

    Must run before TensorFlow executes anything.
    """
    if tf.config.list_physical_devices("GPU"):
        return None  # MirroredStrategy's default: every GPU.
    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_replicas
    )
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-replicas", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=100,
        help="global batch, split between the replicas",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.cpu_replicas < 1:
        parser.error(f"--cpu-replicas must be >= 1, not {args.cpu_replicas}")
    epochs = 2 if args.quick else args.epochs

    strategy = tf.distribute.MirroredStrategy(
        replica_devices(args.cpu_replicas)
    )
    keras.utils.set_random_seed(args.seed)

    digits = load_digits()
    x = keras_sgan.data.scale_images(digits.data, input_range=(0, 16))
    x_train, x_test, y_train, y_test = train_test_split(
        x,
        digits.target,
        test_size=0.3,
        stratify=digits.target,
        random_state=args.seed,
    )
    labeled, x_unlabeled = keras_sgan.data.split_labeled(
        x_train, y_train, labels_per_class=5, seed=args.seed
    )

    # Variables created in the scope are mirrored on every replica.
    with strategy.scope():
        model = keras_sgan.SemiSupervisedGAN(num_classes=10, seed=args.seed)
        model.compile(metrics=["accuracy"])

    start = time.time()
    model.fit(
        labeled,
        x_unlabeled,
        batch_size=args.batch_size,  # global: divisible by the replicas
        epochs=epochs,
        verbose=0,
    )
    seconds = time.time() - start
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]

    replicas = strategy.num_replicas_in_sync
    print(f"devices: {', '.join(strategy.extended.worker_devices)}")
    print(
        f"{replicas} replicas, global batch {args.batch_size} "
        f"({args.batch_size // replicas} per replica), {epochs} epochs"
    )
    print(f"test accuracy {accuracy:.4f}, training {seconds:.1f} s")
    return {"replicas": replicas, "accuracy": accuracy}


if __name__ == "__main__":
    main()
