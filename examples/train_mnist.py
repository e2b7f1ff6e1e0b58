"""Semi-supervised MNIST from TensorFlow Datasets: 100 labels, 60,000 images.

Improved-gan's MNIST setting (Salimans et al. 2016): 10 labels per class,
the whole training set as unlabeled data, images flattened to 784-d
vectors for the MLP generator and discriminator that `SemiSupervisedGAN`
builds for vectors. `keras_sgan.data.load_tfds` downloads MNIST (11 MB)
the first time, which needs a network: without one, the script says so
and exits with status 1 (`examples/train_digits.py` needs no network).

After every epoch it writes a grid of 100 generated digits, drawn from the
same noise each time, to `runs/mnist/samples/`, and logs that grid with the
losses to TensorBoard: `tensorboard --logdir runs/mnist/logs`.

Takes about 40 seconds per epoch on 2 CPU cores, 7 minutes for the
default 10 epochs, plus the download (`--quick`: one epoch on 1,000
images, about 10 seconds).

    python examples/train_mnist.py [--labels-per-class 10] [--epochs 10]
        [--seed 0] [--data-dir DIR] [--out runs/mnist] [--quick]
"""

import argparse
import os
import sys

import keras
import requests
import tensorflow_datasets as tfds

import keras_sgan

# Where TFDS downloads MNIST from.
MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"


def no_network(error, data_dir):
    return (
        f"Cannot download MNIST ({type(error).__name__}: {error}).\n"
        "This example loads MNIST with TensorFlow Datasets, which downloads "
        f"it (11 MB) into {data_dir or '~/tensorflow_datasets'} the first "
        "time and needs a network for that. Connect and run again, pass "
        "`--data-dir` with a prepared `mnist` directory, or run "
        "examples/train_digits.py, which needs no network."
    )


def check_can_download(data_dir):
    """Exits with a clear message if MNIST is missing and cannot be fetched.

    Checked before TFDS starts, which retries for minutes before giving up.
    """
    if tfds.builder("mnist", data_dir=data_dir).is_prepared():
        return
    try:
        requests.head(MNIST_URL, timeout=10)
    except requests.RequestException as error:
        sys.exit(no_network(error, data_dir))


def flatten(x):
    return x.reshape(len(x), -1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels-per-class", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="TFDS data dir")
    parser.add_argument("--out", default="runs/mnist")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    check_can_download(args.data_dir)
    try:
        # Pixels scaled to [-1, 1], the generator's tanh range.
        (x_labeled, y_labeled), x_unlabeled, (x_test, y_test) = (
            keras_sgan.data.load_tfds(
                "mnist",
                labels_per_class=args.labels_per_class,
                seed=args.seed,
                data_dir=args.data_dir,
            )
        )
    except requests.RequestException as error:
        sys.exit(no_network(error, args.data_dir))
    if args.quick:
        x_unlabeled, x_test, y_test = (
            x_unlabeled[:1000],
            x_test[:1000],
            y_test[:1000],
        )
    x_labeled, x_unlabeled, x_test = map(
        flatten, (x_labeled, x_unlabeled, x_test)
    )

    model = keras_sgan.SemiSupervisedGAN(num_classes=10, seed=args.seed)
    model.compile(metrics=["accuracy"])
    samples = keras_sgan.callbacks.GeneratedImages(
        os.path.join(args.out, "samples"),
        num_samples=100,
        columns=10,
        image_shape=(28, 28),
        upscale=2,
        seed=args.seed,
    )
    # GeneratedImages finds this callback and logs its grids there too.
    tensorboard = keras.callbacks.TensorBoard(os.path.join(args.out, "logs"))
    model.fit(
        (x_labeled, y_labeled),
        x_unlabeled,
        batch_size=100,
        epochs=1 if args.quick else args.epochs,
        validation_data=(x_test, y_test),
        callbacks=[samples, tensorboard],
        verbose=2,
    )
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)

    print(
        f"mnist: {len(x_labeled)} labels ({args.labels_per_class} per "
        f"class), {len(x_unlabeled)} unlabeled, {len(x_test)} test images"
    )
    print(f"SemiSupervisedGAN test accuracy: {accuracy:.4f}")
    print(f"generated digits: {samples.filepaths[-1]}")
    print(f"TensorBoard: tensorboard --logdir {tensorboard.log_dir}")
    return {"accuracy": accuracy, "samples": samples.filepaths}


if __name__ == "__main__":
    main()
