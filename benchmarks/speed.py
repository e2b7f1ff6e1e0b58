"""Speed benchmark: SemiSupervisedGAN.fit against its cost floor and peers.

In one process, with the same networks (improved-gan's MNIST MLPs, 784-d
inputs) and batch size (100), it times

- `SemiSupervisedGAN.fit` (defaults, `jit_compile=True`, and
  `update_scheme="alternating"`),
- a plain supervised `fit` of the same discriminator (the cost floor: an
  SGAN step does about three discriminator passes and a generator pass),
- the classic three-model `train_on_batch` loop of the popular Keras SGAN
  tutorials (supervised and unsupervised discriminators sharing weights,
  and a combined GAN model),

and, each in a fresh process, how the time per epoch and the peak memory
grow with the unlabeled set size when it is streamed from a Python
generator. Ratios matter more than absolute times on a shared machine.

    python benchmarks/speed.py            # ~10 min on 2 CPU cores
    python benchmarks/speed.py --quick    # seconds, for tests

Writes its section of `docs/benchmarks.md` and `docs/benchmarks_speed.png`.
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

import keras
import numpy as np
import tensorflow as tf
from keras import ops

import keras_sgan
from keras_sgan import builders

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from report import update_section  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIM, CLASSES, BATCH, LATENT = 784, 10, 100, 100


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, DIM)).astype("float32")
    return x, rng.integers(0, CLASSES, n)


class StepTimer(keras.callbacks.Callback):
    """Wall time of the training batches after the first `warmup`."""

    def __init__(self, warmup):
        super().__init__()
        self.warmup = warmup

    def on_train_begin(self, logs=None):
        self.count, self.start = 0, None

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1
        if self.count == self.warmup:
            self.start = time.perf_counter()
        self.end = time.perf_counter()

    def seconds_per_step(self):
        return (self.end - self.start) / (self.count - self.warmup)


def time_sgan(n, jit_compile=False, update_scheme="simultaneous", warmup=10):
    x, y = data(n)
    keras.utils.clear_session()
    model = keras_sgan.SemiSupervisedGAN(
        CLASSES, latent_dim=LATENT, update_scheme=update_scheme, seed=0
    )
    model.compile(jit_compile=jit_compile)
    timer = StepTimer(warmup)
    model.fit(
        (x[:100], y[:100]), x, batch_size=BATCH, callbacks=[timer], verbose=0
    )
    return timer.seconds_per_step()


def time_supervised(n, warmup=10):
    x, y = data(n)
    keras.utils.clear_session()
    d = builders.mlp_discriminator(data_shape=(DIM,), num_classes=CLASSES)
    classifier = keras.Model(d.inputs, d.outputs[0])
    classifier.compile(
        keras.optimizers.Adam(3e-4, beta_1=0.5),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    timer = StepTimer(warmup)
    classifier.fit(x, y, batch_size=BATCH, callbacks=[timer], verbose=0)
    return timer.seconds_per_step()


def time_train_on_batch_loop(steps, warmup=10):
    """The three-model loop of the Keras 2 SGAN tutorials, in Keras 3."""
    x, y = data(steps * BATCH)
    keras.utils.clear_session()
    d = builders.mlp_discriminator(data_shape=(DIM,), num_classes=CLASSES)
    logits = d.outputs[0]
    c_model = keras.Model(d.inputs, keras.layers.Softmax()(logits))
    c_model.compile(
        keras.optimizers.Adam(3e-4, beta_1=0.5),
        "sparse_categorical_crossentropy",
    )
    real = keras.layers.Lambda(
        lambda t: ops.sigmoid(ops.logsumexp(t, axis=-1, keepdims=True))
    )(logits)
    d_model = keras.Model(d.inputs, real)
    d_model.compile(
        keras.optimizers.Adam(3e-4, beta_1=0.5), "binary_crossentropy"
    )
    g_model = builders.mlp_generator(data_shape=(DIM,), latent_dim=LATENT)
    d_model.trainable = False
    gan = keras.Model(g_model.inputs, d_model(g_model.outputs[0]))
    gan.compile(keras.optimizers.Adam(3e-4, beta_1=0.5), "binary_crossentropy")
    # Keras 2 froze trainability at compile time; Keras 3 reads the flag
    # when a train function is traced, so the port sets it before each
    # update, as the shared-weights recipe intends.
    ones, zeros = np.ones((BATCH, 1)), np.zeros((BATCH, 1))
    rng = np.random.default_rng(0)
    for step in range(steps):
        if step == warmup:
            start = time.perf_counter()
        batch = slice(step * BATCH, (step + 1) * BATCH)
        labeled = rng.integers(0, 100, BATCH)
        d_model.trainable = True
        c_model.train_on_batch(x[labeled], y[labeled])
        d_model.train_on_batch(x[batch], ones)
        z = rng.normal(size=(BATCH, LATENT)).astype("float32")
        fake = g_model.predict(z, verbose=0)
        d_model.train_on_batch(fake, zeros)
        z = rng.normal(size=(BATCH, LATENT)).astype("float32")
        d_model.trainable = False
        gan.train_on_batch(z, ones)
    return (time.perf_counter() - start) / (steps - warmup)


def stream_epoch(n):
    """One epoch over `n` unlabeled samples streamed from a generator; runs
    in its own process so that peak memory is this size's alone."""
    x, y = data(100)

    def batches():
        rng = np.random.default_rng(1)
        for _ in range(n // BATCH):
            yield rng.uniform(-1, 1, (BATCH, DIM)).astype("float32")

    unlabeled = tf.data.Dataset.from_generator(
        batches, output_signature=tf.TensorSpec((None, DIM), tf.float32)
    ).apply(tf.data.experimental.assert_cardinality(n // BATCH))
    model = keras_sgan.SemiSupervisedGAN(CLASSES, latent_dim=LATENT, seed=0)
    model.compile()
    # A short first fit traces the step, so the timed epoch is steady state.
    model.fit((x, y), x, batch_size=BATCH, verbose=0)
    timer = StepTimer(warmup=1)
    start = time.perf_counter()
    model.fit((x, y), unlabeled, callbacks=[timer], verbose=0)
    seconds = time.perf_counter() - start
    print(
        f"steady step {timer.seconds_per_step() * 1e3:.1f} ms", file=sys.stderr
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "seconds": seconds, "peak_mb": peak_mb}


def scaling(sizes):
    rows = []
    for n in sizes:
        result = subprocess.run(
            [sys.executable, __file__, "--stream-epoch", str(n)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
        print(f"streamed {n}: {rows[-1]}", flush=True)
    return rows


def write_report(throughput, rows, out_dir, quick):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sgan = throughput["SemiSupervisedGAN.fit"]
    sup = throughput["supervised fit, same discriminator"]
    loop = throughput["train_on_batch loop (3 models)"]
    lines = [
        "## Speed",
        "",
        f"Produced by `python benchmarks/speed.py{' --quick' if quick else ''}`"
        f" (TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"{os.cpu_count()} CPU cores, no GPU). improved-gan's MNIST MLPs "
        f"(784-d), batch size {BATCH}; an SGAN step also uses a labeled batch "
        f"of {BATCH}.",
        "",
        "| training | ms per step | unlabeled images / s | step time vs "
        "supervised |",
        "|---|---|---|---|",
    ]
    for name, seconds in throughput.items():
        lines.append(
            f"| {name} | {seconds * 1e3:.1f} | {BATCH / seconds:.0f}"
            f" | {seconds / sup:.2f}x |"
        )
    alternating = throughput[
        "SemiSupervisedGAN.fit, update_scheme='alternating'"
    ]
    lines += [
        "",
        f"- SGAN step / supervised step: **{sgan / sup:.2f}x** with the "
        f"defaults (simultaneous updates), **{alternating / sup:.2f}x** with "
        "`update_scheme='alternating'` (target: at most 2.8x).",
        f"- `fit` speed-up over the `train_on_batch` loop: "
        f"**{loop / sgan:.2f}x** (target: at least 2.8x).",
        "",
        "Unlabeled set streamed from a Python generator, one epoch each, each "
        "size in a fresh process:",
        "",
        "| unlabeled samples | seconds per epoch | µs per sample | peak RSS "
        "(MB) |",
        "|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['n']:,} | {row['seconds']:.1f} | "
            f"{row['seconds'] / row['n'] * 1e6:.0f} | "
            f"{row['peak_mb']:.0f} |"
        )
    report = "\n".join(lines) + "\n"

    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    sizes = [r["n"] for r in rows]
    left.plot(sizes, [r["seconds"] for r in rows], "o-")
    left.set(
        xscale="log",
        yscale="log",
        xlabel="unlabeled samples",
        ylabel="seconds per epoch",
        title="time grows linearly",
    )
    right.plot(sizes, [r["peak_mb"] for r in rows], "o-")
    right.set(
        xscale="log",
        xlabel="unlabeled samples",
        ylabel="peak RSS (MB)",
        title="memory stays flat",
        ylim=(0, max(r["peak_mb"] for r in rows) * 1.2),
    )
    for axis in (left, right):
        axis.grid(alpha=0.3)
    figure.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    figure.savefig(os.path.join(out_dir, "benchmarks_speed.png"), dpi=120)
    update_section(
        out_dir, "speed", report + "\n![speed plot](benchmarks_speed.png)\n"
    )
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "docs"))
    parser.add_argument("--stream-epoch", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_epoch:
        print(json.dumps(stream_epoch(args.stream_epoch)))
        return None
    n = 2_000 if args.quick else 10_000
    sizes = [1_000, 2_000] if args.quick else [10_000, 100_000, 1_000_000]
    throughput = {
        "SemiSupervisedGAN.fit": time_sgan(n),
        "SemiSupervisedGAN.fit, jit_compile=True": time_sgan(n, True),
        "SemiSupervisedGAN.fit, update_scheme='alternating'": time_sgan(
            n, update_scheme="alternating"
        ),
        "supervised fit, same discriminator": time_supervised(n),
        "train_on_batch loop (3 models)": time_train_on_batch_loop(
            20 if args.quick else 100
        ),
    }
    for name, seconds in throughput.items():
        print(f"{name}: {seconds * 1e3:.1f} ms/step", flush=True)
    report = write_report(throughput, scaling(sizes), args.out, args.quick)
    print(report)
    return throughput


if __name__ == "__main__":
    main()
