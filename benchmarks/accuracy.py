"""Accuracy benchmark: SemiSupervisedGAN against labels-only and peers.

On scikit-learn's digits, or its small tabular sets wine and breast_cancer
(real data, no network): for each number of labels per class and each seed,
a seeded stratified train/test split (70/30), then a class-balanced labeled
subset of the training part. On the same splits it trains and scores

- `SemiSupervisedGAN` with the package defaults (`fit(batch_size=100)`),
  and with `update_scheme="alternating"` (improved-gan's order),
- the same discriminator on the labeled subset alone (same optimizer,
  same number of steps),
- scikit-learn's `LabelSpreading` (knn kernel) and `SelfTrainingClassifier`
  (around an RBF SVC),
- and, for reference, the same discriminator on all training labels.

It prints a table (mean ± std test accuracy, mean wall time), writes its
section of `docs/benchmarks.md`, the plot `docs/benchmarks_accuracy_digits.png`
and the raw results `docs/benchmarks_accuracy_digits.json`.

    python benchmarks/accuracy.py                 # ~35 min on 2 CPU cores
    python benchmarks/accuracy.py --quick         # seconds: 1 seed, 2 epochs
    python benchmarks/accuracy.py --dataset wine  # or breast_cancer: tabular
    python benchmarks/accuracy.py --dataset mnist # needs a network (TFDS)

Needs the `benchmarks` extra (`pip install -e ".[benchmarks]"`).
"""

import argparse
import importlib.util
import json
import os
import pathlib
import sys
import time
import warnings

import keras
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.datasets import load_wine
from sklearn.semi_supervised import LabelSpreading
from sklearn.semi_supervised import SelfTrainingClassifier
from sklearn.svm import SVC

import keras_sgan

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from report import update_section  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
BATCH_SIZE = 100
# Salimans et al. 2016, Table 1: 0.93% test error with 100 labels (MNIST).
MNIST_REFERENCE = {10: 1 - 0.0093}
# Small tabular sets that ship with scikit-learn (no network).
TABULAR = {"wine": load_wine, "breast_cancer": load_breast_cancer}
METHODS = (
    "SemiSupervisedGAN",
    "SemiSupervisedGAN, alternating updates",
    "labels only (same discriminator)",
    "LabelSpreading (knn)",
    "SelfTraining (SVC)",
    "all labels (same discriminator)",
)


def load_example():
    spec = importlib.util.spec_from_file_location(
        "train_digits", ROOT / "examples" / "train_digits.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_data(example, dataset, seed):
    """Returns `(x_train, y_train, x_test, y_test)`, pixels in [-1, 1]."""
    if dataset == "digits":
        x_train, x_test, y_train, y_test = example.digits_split(seed)
        return x_train, y_train, x_test, y_test
    if dataset in TABULAR:
        # The same 70/30 stratified split; features scaled to [-1, 1] (the
        # default generator's range) on the training part.
        from sklearn.model_selection import train_test_split
        from sklearn.preprocessing import MinMaxScaler

        x, y = TABULAR[dataset](return_X_y=True)
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=0.3, stratify=y, random_state=seed
        )
        scaler = MinMaxScaler((-1, 1)).fit(x_train)
        return (
            scaler.transform(x_train).astype("float32"),
            y_train,
            scaler.transform(x_test).astype("float32"),
            y_test,
        )
    # MNIST through TFDS (downloads once); flattened to 784-d vectors for
    # improved-gan's MLP.
    labeled, unlabeled, (x_test, y_test) = keras_sgan.data.load_tfds(
        "mnist", labels_per_class=1, seed=seed
    )
    del labeled
    import tensorflow_datasets as tfds

    y_train = np.concatenate(
        [
            y
            for _, y in tfds.as_numpy(
                tfds.load(
                    "mnist", split="train", as_supervised=True, batch_size=4096
                )
            )
        ]
    )
    return (
        unlabeled.reshape(len(unlabeled), -1),
        y_train,
        x_test.reshape(len(x_test), -1),
        y_test,
    )


def run_split(example, dataset, labels_per_class, seed, epochs):
    x_train, y_train, x_test, y_test = load_data(example, dataset, seed)
    (x_l, y_l), x_u, indices = keras_sgan.data.split_labeled(
        x_train, y_train, labels_per_class, seed=seed, return_indices=True
    )
    steps = epochs * -(-len(x_u) // BATCH_SIZE)
    results = {}

    def timed(name, fn):
        keras.utils.clear_session()
        keras.utils.set_random_seed(seed)
        start = time.perf_counter()
        results[name] = (fn(), time.perf_counter() - start)

    def sgan(update_scheme="simultaneous"):
        model = keras_sgan.SemiSupervisedGAN(
            num_classes=int(y_train.max()) + 1,
            update_scheme=update_scheme,
            seed=seed,
        )
        model.compile(metrics=["accuracy"])
        model.fit(
            (x_l, y_l), x_u, batch_size=BATCH_SIZE, epochs=epochs, verbose=0
        )
        return model.evaluate(x_test, y_test, verbose=0)[1]

    partial = np.full(len(y_train), -1)
    partial[indices] = y_train[indices]

    def label_spreading():
        model = LabelSpreading(kernel="knn").fit(x_train, partial)
        # Test points with no labeled neighbour in their knn graph get 0/0
        # probabilities (a RuntimeWarning); they count as errors.
        with np.errstate(invalid="ignore"):
            return model.score(x_test, y_test)

    def self_training():
        # scikit-learn 1.9 deprecates SVC(probability=True) in favour of
        # CalibratedClassifierCV (removal in 1.11); the published numbers
        # use the SVC form, so keep it until then.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            model = SelfTrainingClassifier(
                SVC(probability=True, gamma="scale", random_state=seed)
            ).fit(x_train, partial)
            return model.score(x_test, y_test)

    timed(METHODS[0], sgan)
    timed(METHODS[1], lambda: sgan("alternating"))
    timed(
        METHODS[2],
        lambda: example.labels_only_baseline(
            x_l, y_l, x_test, y_test, steps, seed
        ),
    )
    timed(METHODS[3], label_spreading)
    timed(METHODS[4], self_training)
    timed(
        METHODS[5],
        lambda: example.labels_only_baseline(
            x_train, y_train, x_test, y_test, steps, seed
        ),
    )
    return results


def write_report(dataset, table, epochs, seeds, out_dir, quick=False):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    label_counts = sorted(table)
    lines = [
        f"## Accuracy ({dataset})",
        "",
        "Produced by `python benchmarks/accuracy.py"
        + ("" if dataset == "digits" else f" --dataset {dataset}")
        + (" --quick" if quick else "")
        + f"` ({len(seeds)} seeds: {', '.join(map(str, seeds))}; SGAN "
        f"trained {epochs} epochs at batch size {BATCH_SIZE}, the "
        "discriminator baselines for the same number of steps).",
        "",
        "Test accuracy, mean ± std over seeds; wall time per run on this "
        "machine (2 CPU cores).",
        "",
        "| method | "
        + " | ".join(f"{n} labels/class" for n in label_counts)
        + " | mean wall time |",
        "|---|" + "---|" * (len(label_counts) + 1),
    ]
    for method in METHODS:
        cells = []
        times = []
        for n in label_counts:
            accuracies = [r[method][0] for r in table[n]]
            times += [r[method][1] for r in table[n]]
            cells.append(
                f"{np.mean(accuracies):.4f} ± {np.std(accuracies):.4f}"
            )
        lines.append(
            f"| {method} | "
            + " | ".join(cells)
            + f" | {np.mean(times):.2f} s |"
        )
    if dataset == "mnist":
        lines += [
            "",
            "Published reference (Salimans et al. 2016, 100 labels): "
            f"{MNIST_REFERENCE[10]:.4f}.",
        ]
    report = "\n".join(lines) + "\n"

    figure, axis = plt.subplots(figsize=(6, 4))
    for method in METHODS:
        means = [
            np.mean([r[method][0] for r in table[n]]) for n in label_counts
        ]
        stds = [np.std([r[method][0] for r in table[n]]) for n in label_counts]
        axis.errorbar(
            label_counts, means, yerr=stds, marker="o", capsize=3, label=method
        )
    if dataset == "mnist":
        axis.axhline(
            MNIST_REFERENCE[10],
            linestyle=":",
            color="gray",
            label="Salimans et al. 2016 (100 labels)",
        )
    axis.set_xlabel("labels per class")
    axis.set_ylabel("test accuracy")
    axis.set_xticks(label_counts)
    axis.set_title(f"{dataset}: mean ± std over {len(seeds)} seeds")
    axis.legend(fontsize=7)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(out_dir, f"benchmarks_accuracy_{dataset}")
    figure.savefig(stem + ".png", dpi=120)
    with open(stem + ".json", "w") as f:
        json.dump({str(n): rows for n, rows in table.items()}, f, indent=1)
    update_section(
        out_dir,
        f"accuracy-{dataset}",
        report + f"\n![accuracy plot]({os.path.basename(stem)}.png)\n",
    )
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset",
        choices=("digits", "mnist", *TABULAR),
        default="digits",
    )
    parser.add_argument(
        "--labels-per-class", type=int, nargs="+", default=[5, 10]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 seed, 2 epochs, 5 labels/class: a smoke run",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.epochs, args.labels_per_class = [0], 2, [5]
    example = load_example()
    table = {}
    for n in args.labels_per_class:
        table[n] = []
        for seed in args.seeds:
            result = run_split(example, args.dataset, n, seed, args.epochs)
            table[n].append(result)
            print(
                f"{n} labels/class, seed {seed}: "
                + ", ".join(f"{m} {a:.4f}" for m, (a, _) in result.items()),
                flush=True,
            )
    report = write_report(
        args.dataset, table, args.epochs, args.seeds, args.out, args.quick
    )
    print(report)
    return table


if __name__ == "__main__":
    main()
