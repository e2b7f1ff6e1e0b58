"""Semi-supervised digits: 50 labels, 1,257 unlabeled images, one GAN.

Trains `SemiSupervisedGAN` on scikit-learn's bundled 8x8 digits (real data,
no network) with 5 labels per class, trains the same discriminator on the
50 labels alone for the same number of steps, and prints both test
accuracies. Every 10 epochs, `keras_sgan.callbacks.GeneratedImages` draws
50 digits from the same fixed noise into `runs/digits/samples/`, so the
grids show the generator learning.

Takes about 2 minutes on 2 CPU cores (`--quick`: a few seconds, for tests).

    python examples/train_digits.py [--labels-per-class 5] [--epochs 150]
        [--seed 0] [--out runs/digits] [--samples-every 10] [--quick]
"""

import argparse
import os
import time

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import keras_sgan


def digits_split(seed):
    """A stratified 70/30 split of the digits, pixels scaled to [-1, 1]."""
    # 1,797 images with pixel values 0..16, scaled to the generator's range.
    digits = load_digits()
    x = keras_sgan.data.scale_images(digits.data, input_range=(0, 16))
    return train_test_split(
        x,
        digits.target,
        test_size=0.3,
        stratify=digits.target,
        random_state=seed,
    )


def labels_only_baseline(
    x_labeled,
    y_labeled,
    x_test,
    y_test,
    steps,
    seed,
    batch_size=100,
    discriminator=keras_sgan.builders.default_discriminator,
):
    """A discriminator (by default the package's), trained on labels alone.

    Same architecture and optimizer as the SGAN's classifier, for the same
    number of steps, on batches drawn from the labeled set.
    `discriminator` is a discriminator builder.
    """
    keras.utils.set_random_seed(seed)
    num_classes = int(max(y_labeled.max(), y_test.max())) + 1
    discriminator = discriminator(
        data_shape=x_labeled.shape[1:], num_classes=num_classes
    )
    logits, _ = discriminator.outputs
    classifier = keras.Model(discriminator.inputs, logits)
    classifier.compile(
        # The package's default optimizer.
        optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    repeats = -(-steps * batch_size // len(x_labeled))
    tile = (repeats,) + (1,) * (x_labeled.ndim - 1)
    order = np.random.default_rng(seed).permutation(len(x_labeled) * repeats)
    classifier.fit(
        np.tile(x_labeled, tile)[order],
        np.tile(y_labeled, repeats)[order],
        batch_size=batch_size,
        epochs=1,
        steps_per_epoch=steps,
        shuffle=False,
        verbose=0,
    )
    return classifier.evaluate(x_test, y_test, verbose=0)[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels-per-class", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/digits")
    parser.add_argument(
        "--unsupervised-weight",
        type=float,
        default=1.0,
        help="0 turns the GAN off (labels-only training)",
    )
    parser.add_argument(
        "--samples-every",
        type=int,
        default=10,
        help="write a grid of generated digits every N epochs",
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.samples_every < 1:
        parser.error(f"--samples-every must be >= 1, not {args.samples_every}")
    epochs = 2 if args.quick else args.epochs
    keras.utils.set_random_seed(args.seed)

    x_train, x_test, y_train, y_test = digits_split(args.seed)
    (x_labeled, y_labeled), x_unlabeled = keras_sgan.data.split_labeled(
        x_train,
        y_train,
        labels_per_class=args.labels_per_class,
        seed=args.seed,
    )

    model = keras_sgan.SemiSupervisedGAN(
        num_classes=10,
        unsupervised_weight=args.unsupervised_weight,
        seed=args.seed,
    )
    model.compile(metrics=["accuracy"])
    # The digits are 64-d vectors: `image_shape` draws them as 8x8 images,
    # enlarged 8 times.
    samples = keras_sgan.callbacks.GeneratedImages(
        os.path.join(args.out, "samples"),
        every_n_epochs=min(args.samples_every, epochs),
        num_samples=50,
        columns=10,
        image_shape=(8, 8),
        upscale=8,
        seed=args.seed,
    )
    start = time.time()
    history = model.fit(
        (x_labeled, y_labeled),
        x_unlabeled,
        batch_size=100,
        epochs=epochs,
        callbacks=[samples],
        verbose=0,
    )
    sgan_seconds = time.time() - start
    sgan_accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    steps = epochs * int(np.ceil(len(x_unlabeled) / 100))

    start = time.time()
    baseline_accuracy = labels_only_baseline(
        x_labeled, y_labeled, x_test, y_test, steps, args.seed
    )
    baseline_seconds = time.time() - start

    print(
        f"digits: {len(x_labeled)} labels ({args.labels_per_class} per "
        f"class), {len(x_unlabeled)} unlabeled, {len(x_test)} test images, "
        f"{steps} steps"
    )
    print(f"{'model':<32}{'test accuracy':>14}{'seconds':>9}")
    print(
        f"{'SemiSupervisedGAN':<32}{sgan_accuracy:>14.4f}{sgan_seconds:>9.1f}"
    )
    print(
        f"{'same discriminator, labels only':<32}{baseline_accuracy:>14.4f}"
        f"{baseline_seconds:>9.1f}"
    )
    print(
        f"final d_loss {history.history['d_loss'][-1]:.4f}, "
        f"g_loss {history.history['g_loss'][-1]:.4f}"
    )
    print(f"generated digits: {samples.filepaths[-1]}")
    return {"sgan": sgan_accuracy, "labels_only": baseline_accuracy}


if __name__ == "__main__":
    main()
