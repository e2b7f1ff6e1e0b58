"""Ablation: which training levers help SemiSupervisedGAN on small data.

On the digits, each lever is switched on alone on top of improved-gan's
recipe (the package's first defaults; one row combines the two levers that
became the new defaults). On the tabular sets (`--dataset wine` or
`breast_cancer`) the levers are the discriminator's noise levels, and each
is scored twice: for the SGAN and for the same discriminator trained on the
labels alone, since the target there is the gap between the two.

Every score is on a *validation* split carved from the training data: the
test split of `benchmarks/accuracy.py` is never looked at. For each seed,
the 70% training part (the same split as the accuracy benchmark) is split
again, stratified, into a training pool (70%) and a validation set (30%);
the labeled subset and the unlabeled set come from the pool.

It prints a table (mean ± std validation accuracy over seeds, per number of
labels per class), writes its section of `docs/benchmarks.md` and the raw
results to `docs/benchmarks_ablation.json` (digits) or
`docs/benchmarks_ablation_<dataset>.json`.

    python benchmarks/ablation.py              # ~50 min on 2 CPU cores
    python benchmarks/ablation.py --dataset breast_cancer   # ~20 min
    python benchmarks/ablation.py --quick      # seconds: 1 seed, 2 epochs
    python benchmarks/ablation.py --levers base entropy ...

Runs go to `--jobs` worker processes (default 2), one CPU thread each;
`--jobs 1` runs them in this process.
Needs the `benchmarks` extra (`pip install -e ".[benchmarks]"`).
"""

import argparse
import functools
import importlib.util
import json
import multiprocessing
import os
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from report import update_section  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
BATCH_SIZE = 100


# Every lever is spelled out in full (noise level, learning rate, ...), so
# that a row means the same whatever the package defaults are. The base is
# improved-gan's recipe (what the package shipped first); the current
# package defaults are the "hidden noise 0.3, learning rate 1e-3" row.
BASE = dict(input_noise=0.3, hidden_noise=0.5, learning_rate=3e-4, ema=False)

# name -> (description, settings that differ from BASE)
LEVERS = {
    "base": ("improved-gan's recipe: hidden noise 0.5, learning rate 3e-4", {}),
    "alternating": (
        "+ alternating updates (improved-gan's order)",
        {"model": {"update_scheme": "alternating"}},
    ),
    "ema": (
        "+ weight averaging (d_optimizer use_ema, momentum 0.999)",
        {"ema": True},
    ),
    "entropy": (
        "+ entropy minimisation on unlabeled data (weight 1)",
        {"model": {"entropy_weight": 1.0}},
    ),
    "entropy_0.1": (
        "+ entropy minimisation on unlabeled data (weight 0.1)",
        {"model": {"entropy_weight": 0.1}},
    ),
    "labeled_batch_50": (
        "+ labeled batch 50 (instead of the unlabeled batch size, 100)",
        {"fit": {"labeled_batch_size": 50}},
    ),
    "hidden_noise_0.2": (
        "+ discriminator hidden noise 0.2",
        {"hidden_noise": 0.2},
    ),
    "hidden_noise_0.3": (
        "+ discriminator hidden noise 0.3",
        {"hidden_noise": 0.3},
    ),
    "learning_rate_1e-3": (
        "+ learning rate 1e-3 for both networks",
        {"learning_rate": 1e-3},
    ),
    "hidden_noise_0.3+learning_rate_1e-3": (
        "+ hidden noise 0.3 and learning rate 1e-3: the package defaults",
        {"hidden_noise": 0.3, "learning_rate": 1e-3},
    ),
}


# Tabular sets: each lever sets the discriminator's noise (input, hidden)
# on top of the package defaults, spelled out.
TABULAR_BASE = dict(learning_rate=1e-3, ema=False)

# name -> (description, settings that complete TABULAR_BASE)
TABULAR_LEVERS = {
    "noise_0.3": (
        "noise 0.3 (the default for the digits and images)",
        {"input_noise": 0.3, "hidden_noise": 0.3},
    ),
    "noise_0.2": ("noise 0.2", {"input_noise": 0.2, "hidden_noise": 0.2}),
    "noise_0.1": (
        "noise 0.1: the default for tabular rows",
        {"input_noise": 0.1, "hidden_noise": 0.1},
    ),
    "noise_0.05": ("noise 0.05", {"input_noise": 0.05, "hidden_noise": 0.05}),
    "input_noise_0.1": (
        "input noise 0.1, hidden noise 0.3",
        {"input_noise": 0.1, "hidden_noise": 0.3},
    ),
}
DATASETS = ("digits", "wine", "breast_cancer")
SGAN, LABELS_ONLY = "SemiSupervisedGAN", "labels only"


def levers_of(dataset):
    return LEVERS if dataset == "digits" else TABULAR_LEVERS


def build(dataset, lever, seed, num_classes):
    """`(model, fit arguments, discriminator builder)` of `lever`.

    The model is compiled; the builder is what the labels-only baseline
    trains.
    """
    import keras

    import keras_sgan

    base = BASE if dataset == "digits" else TABULAR_BASE
    settings = {**base, **levers_of(dataset)[lever][1]}
    discriminator = functools.partial(
        keras_sgan.builders.mlp_discriminator,
        input_noise=settings["input_noise"],
        hidden_noise=settings["hidden_noise"],
    )
    model = keras_sgan.SemiSupervisedGAN(
        num_classes=num_classes,
        discriminator=discriminator,
        seed=seed,
        **settings.get("model", {}),
    )

    def adam(**ema):
        return keras.optimizers.Adam(
            settings["learning_rate"], beta_1=0.5, **ema
        )

    ema = {"use_ema": True, "ema_momentum": 0.999} if settings["ema"] else {}
    model.compile(
        d_optimizer=adam(**ema), g_optimizer=adam(), metrics=["accuracy"]
    )
    return model, settings.get("fit", {}), discriminator


@functools.cache
def _accuracy_benchmark():
    # Loaded once per process: its data loading, and through it the
    # example's labels-only baseline.
    spec = importlib.util.spec_from_file_location(
        "accuracy", ROOT / "benchmarks" / "accuracy.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.example = module.load_example()
    return module


def validation_split(seed, dataset="digits"):
    """`(x_pool, y_pool, x_val, y_val)` from the dataset's training part."""
    from sklearn.model_selection import train_test_split

    accuracy = _accuracy_benchmark()
    x_train, y_train, _, _ = accuracy.load_data(accuracy.example, dataset, seed)
    x_pool, x_val, y_pool, y_val = train_test_split(
        x_train, y_train, test_size=0.3, stratify=y_train, random_state=seed
    )
    return x_pool, y_pool, x_val, y_val


def _one_thread():
    # Pool workers share the cores: one thread each, no oversubscription.
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def run(task):
    """One lever, labels-per-class and seed: `{method: (accuracy, seconds)}`.

    The methods are the SGAN and, on the tabular sets, the same
    discriminator trained on the labels alone.
    """
    dataset, lever, labels_per_class, seed, epochs = task
    import keras

    import keras_sgan

    x_pool, y_pool, x_val, y_val = validation_split(seed, dataset)
    labeled, unlabeled = keras_sgan.data.split_labeled(
        x_pool, y_pool, labels_per_class, seed=seed
    )
    num_classes = int(y_pool.max()) + 1
    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model, fit_kwargs, discriminator = build(dataset, lever, seed, num_classes)
    model.fit(
        labeled,
        unlabeled,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        verbose=0,
        **fit_kwargs,
    )
    accuracy = float(model.evaluate(x_val, y_val, verbose=0)[1])
    results = {SGAN: (accuracy, time.perf_counter() - start)}
    if dataset != "digits":
        keras.utils.clear_session()
        start = time.perf_counter()
        accuracy = _accuracy_benchmark().example.labels_only_baseline(
            *labeled,
            x_val,
            y_val,
            steps=epochs * -(-len(unlabeled) // BATCH_SIZE),
            seed=seed,
            discriminator=discriminator,
        )
        results[LABELS_ONLY] = (accuracy, time.perf_counter() - start)
    return results


def _cell(runs):
    accuracies = [accuracy for accuracy, _ in runs]
    return f"{np.mean(accuracies):.4f} ± {np.std(accuracies):.4f}"


def write_report(
    results, dataset, levers, label_counts, seeds, epochs, out_dir, quick
):
    tabular = dataset != "digits"
    methods = (SGAN, LABELS_ONLY) if tabular else (SGAN,)
    lines = [
        f"## Ablation ({dataset}, validation split)",
        "",
        "Produced by `python benchmarks/ablation.py"
        + (f" --dataset {dataset}" if tabular else "")
        + (" --quick" if quick else "")
        + f"` ({len(seeds)} seeds: {', '.join(map(str, seeds))}; "
        f"{epochs} epochs at batch size {BATCH_SIZE}). "
        + (
            "Each row sets the default discriminator's Gaussian noise (on "
            "the input and after each hidden layer); everything else is the "
            "package default. The SGAN and the same discriminator trained "
            "on the labels alone for the same number of steps; "
            if tabular
            else "Each lever on top of improved-gan's recipe (the first row); "
        )
        + "accuracy on a validation split carved from the training data "
        "(the test split is not used), mean ± std over seeds.",
        "",
    ]
    if tabular:
        lines += [
            "| noise | "
            + " | ".join(
                f"{n} labels/class: {m}" for n in label_counts for m in methods
            )
            + " | "
            + " | ".join(f"{n} labels/class: gap" for n in label_counts)
            + " |",
            "|---|" + "---|" * (len(label_counts) * 3),
        ]
    else:
        lines += [
            "| lever | "
            + " | ".join(f"{n} labels/class" for n in label_counts)
            + " | mean wall time |",
            "|---|" + "---|" * (len(label_counts) + 1),
        ]
    for lever in levers:
        cells, gaps, times = [], [], []
        for n in label_counts:
            runs = [results[(lever, n, seed)] for seed in seeds]
            times += [run[SGAN][1] for run in runs]
            cells += [_cell([run[m] for run in runs]) for m in methods]
            if tabular:
                gap = np.mean(
                    [run[SGAN][0] - run[LABELS_ONLY][0] for run in runs]
                )
                # + 0.0 turns a -0.0 from rounding into 0.0.
                gaps.append(f"{round(gap, 4) + 0.0:+.4f}")
        last = gaps if tabular else [f"{np.mean(times):.1f} s"]
        lines.append(
            f"| {levers_of(dataset)[lever][0]} | "
            + " | ".join(cells + last)
            + " |"
        )
    report = "\n".join(lines) + "\n"
    os.makedirs(out_dir, exist_ok=True)
    name = "ablation" if dataset == "digits" else f"ablation_{dataset}"
    with open(os.path.join(out_dir, f"benchmarks_{name}.json"), "w") as f:
        json.dump(
            [
                {
                    "lever": lever,
                    "labels_per_class": n,
                    "seed": seed,
                    "method": method,
                    "accuracy": accuracy,
                    "seconds": seconds,
                }
                for (lever, n, seed), runs in results.items()
                for method, (accuracy, seconds) in runs.items()
            ],
            f,
            indent=1,
        )
    update_section(out_dir, name.replace("_", "-"), report)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default="digits")
    parser.add_argument(
        "--levers",
        nargs="+",
        choices=sorted({*LEVERS, *TABULAR_LEVERS}),
        help="default: every lever of the dataset",
    )
    parser.add_argument(
        "--labels-per-class", type=int, nargs="+", default=[5, 10]
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        help="default: 0 1 2 on the digits, 0 1 2 3 4 on the (smaller, "
        "noisier) tabular sets",
    )
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, not {args.jobs}")
    levers = args.levers or list(levers_of(args.dataset))
    unknown = sorted(set(levers) - set(levers_of(args.dataset)))
    if unknown:
        parser.error(
            f"--levers {' '.join(unknown)}: not levers of --dataset "
            f"{args.dataset}; its levers are "
            f"{', '.join(levers_of(args.dataset))}"
        )
    if args.seeds is None:
        args.seeds = [0, 1, 2] if args.dataset == "digits" else [0, 1, 2, 3, 4]
    seeds = args.seeds[:1] if args.quick else args.seeds
    label_counts = (
        args.labels_per_class[:1] if args.quick else (args.labels_per_class)
    )
    epochs = 2 if args.quick else args.epochs
    tasks = [
        (args.dataset, lever, n, seed, epochs)
        for lever in levers
        for n in label_counts
        for seed in seeds
    ]
    if args.jobs == 1:
        outcomes = [run(task) for task in tasks]
    else:
        # Fresh interpreters: TensorFlow does not survive a fork.
        context = multiprocessing.get_context("spawn")
        with context.Pool(args.jobs, initializer=_one_thread) as pool:
            outcomes = pool.map(run, tasks, chunksize=1)
    results = {
        task[1:4]: outcome
        for task, outcome in zip(tasks, outcomes, strict=True)
    }
    for (lever, n, seed), runs in results.items():
        for method, (accuracy, seconds) in runs.items():
            print(
                f"{lever} {n} {seed} {method}: {accuracy:.4f} ({seconds:.0f} s)"
            )
    report = write_report(
        results,
        args.dataset,
        levers,
        label_counts,
        seeds,
        epochs,
        args.out,
        args.quick,
    )
    print(report)
    return results


if __name__ == "__main__":
    main()
