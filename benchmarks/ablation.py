"""Ablation: which training levers help SemiSupervisedGAN on small data.

Each lever is switched on alone on top of improved-gan's recipe (the
package's first defaults; one row combines the two levers that became the
new defaults) and scored on a *validation* split carved from the training
data: the test split of `benchmarks/accuracy.py` is never looked at. For
each seed, the digits' 70% training part (the same split as the accuracy
benchmark) is split again, stratified, into a training pool (70%) and a
validation set (30%); the labeled subset and the unlabeled set come from
the pool.

It prints a table (mean ± std validation accuracy over seeds, per number of
labels per class), writes its section of `docs/benchmarks.md` and the raw
results to `docs/benchmarks_ablation.json`.

    python benchmarks/ablation.py              # ~50 min on 2 CPU cores
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
BASE = dict(hidden_noise=0.5, learning_rate=3e-4, ema=False)

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


def build(lever, seed):
    """The model of `lever`, compiled, and its extra `fit` arguments."""
    import keras

    import keras_sgan

    settings = {**BASE, **LEVERS[lever][1]}
    discriminator = functools.partial(
        keras_sgan.builders.mlp_discriminator,
        hidden_noise=settings["hidden_noise"],
    )
    model = keras_sgan.SemiSupervisedGAN(
        num_classes=10,
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
    return model, settings.get("fit", {})


def validation_split(seed):
    """`(x_pool, y_pool, x_val, y_val)` from the digits' training part."""
    from sklearn.model_selection import train_test_split

    spec = importlib.util.spec_from_file_location(
        "train_digits", ROOT / "examples" / "train_digits.py"
    )
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    x_train, _, y_train, _ = example.digits_split(seed)
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
    """One lever, labels-per-class and seed: `(accuracy, seconds)`."""
    lever, labels_per_class, seed, epochs = task
    import keras

    import keras_sgan

    x_pool, y_pool, x_val, y_val = validation_split(seed)
    labeled, unlabeled = keras_sgan.data.split_labeled(
        x_pool, y_pool, labels_per_class, seed=seed
    )
    keras.utils.clear_session()
    keras.utils.set_random_seed(seed)
    start = time.perf_counter()
    model, fit_kwargs = build(lever, seed)
    model.fit(
        labeled,
        unlabeled,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        verbose=0,
        **fit_kwargs,
    )
    accuracy = float(model.evaluate(x_val, y_val, verbose=0)[1])
    return accuracy, time.perf_counter() - start


def write_report(results, levers, label_counts, seeds, epochs, out_dir, quick):
    lines = [
        "## Ablation (digits, validation split)",
        "",
        "Produced by `python benchmarks/ablation.py"
        + (" --quick" if quick else "")
        + f"` ({len(seeds)} seeds: {', '.join(map(str, seeds))}; "
        f"{epochs} epochs at batch size {BATCH_SIZE}). Each lever on top "
        "of improved-gan's recipe (the first row); accuracy on a validation "
        "split carved from the training data (the test split is not used), "
        "mean ± std over seeds.",
        "",
        "| lever | "
        + " | ".join(f"{n} labels/class" for n in label_counts)
        + " | mean wall time |",
        "|---|" + "---|" * (len(label_counts) + 1),
    ]
    for lever in levers:
        cells, times = [], []
        for n in label_counts:
            runs = [results[(lever, n, seed)] for seed in seeds]
            accuracies = [accuracy for accuracy, _ in runs]
            times += [seconds for _, seconds in runs]
            cells.append(
                f"{np.mean(accuracies):.4f} ± {np.std(accuracies):.4f}"
            )
        lines.append(
            f"| {LEVERS[lever][0]} | "
            + " | ".join(cells)
            + f" | {np.mean(times):.1f} s |"
        )
    report = "\n".join(lines) + "\n"
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "benchmarks_ablation.json"), "w") as f:
        json.dump(
            [
                {
                    "lever": lever,
                    "labels_per_class": n,
                    "seed": seed,
                    "accuracy": accuracy,
                    "seconds": seconds,
                }
                for (lever, n, seed), (accuracy, seconds) in results.items()
            ],
            f,
            indent=1,
        )
    update_section(out_dir, "ablation", report)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--levers", nargs="+", choices=sorted(LEVERS), default=list(LEVERS)
    )
    parser.add_argument(
        "--labels-per-class", type=int, nargs="+", default=[5, 10]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, not {args.jobs}")
    seeds = args.seeds[:1] if args.quick else args.seeds
    label_counts = (
        args.labels_per_class[:1] if args.quick else (args.labels_per_class)
    )
    epochs = 2 if args.quick else args.epochs
    tasks = [
        (lever, n, seed, epochs)
        for lever in args.levers
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
        task[:3]: outcome for task, outcome in zip(tasks, outcomes, strict=True)
    }
    for (lever, n, seed), (accuracy, seconds) in results.items():
        print(f"{lever} {n} {seed}: {accuracy:.4f} ({seconds:.0f} s)")
    report = write_report(
        results, args.levers, label_counts, seeds, epochs, args.out, args.quick
    )
    print(report)
    return results


if __name__ == "__main__":
    main()
