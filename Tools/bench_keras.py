#!/usr/bin/env python3
"""Peer benchmark: Fovea against Keras (tensorflow-cpu) on identical models.

Runs `fovea bench --json` and the same models in Keras, model by model (Fovea
then Keras, so both meet about the same load on a shared machine), on the same
synthetic batch shapes, optimizer (Adam, lr 1e-3) and loss (sparse categorical
cross-entropy), and prints one table: model, metric, Fovea, Keras, and the
ratio Fovea/Keras. Called by Tools/bench_keras.sh, which prepares the venv and
the release build; see that script for the environment variables.

With --rounds N the Fovea-then-Keras pair runs N times per model, back to
back, and the table gives the median of each figure, the median of the
per-round ratios and their range, and in how many rounds the target was met:
on a shared VM whose speed drifts by 10-50% within minutes, one pair is a
sample, not a verdict.

Metrics (same definitions as Sources/FoveaEngine/Bench.swift):
  train img/s      batch 128, warm-up batches then timed batches of one
                   optimizer step each (forward, loss, backward, Adam update)
  infer img/s      batch 1024, forward only (training=False)
  latency ms       one image, median of many calls; Keras both as a compiled
                   tf.function and eagerly (model(x) from Python)
"""
import argparse
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


MODELS = ["textbook-cnn", "geron-deep", "fovea-emnist"]


def fovea_results(binary, threads, quick, model):
    cmd = [binary, "bench", "--json", "--threads", str(threads), "--model", model] + (["--quick"] if quick else [])
    print("running:", " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def keras_setup(threads):
    """Thread settings, which TensorFlow accepts only before its first operation."""
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def keras_results(names, config):
    import numpy as np
    import tensorflow as tf
    import keras
    import keras_reference as ref

    builders = {"textbook-cnn": lambda: ref.textbook_cnn(47),
                "geron-deep": lambda: ref.geron_deep(47),
                "fovea-emnist": lambda: ref.fovea_emnist(47)}
    rng = np.random.default_rng(1)
    load = os.getloadavg()[0]
    results = {}
    for name in names:
        keras.backend.clear_session()
        model = builders[name]()
        # Keras' defaults, as a user gets them (on CPU with TensorFlow: no XLA).
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
        jit = model.jit_compile
        shape = tuple(model.input_shape[1:])
        classes = model.output_shape[-1]
        tb, ib = config["train_batch"], config["infer_batch"]
        x = rng.random((tb,) + shape, dtype=np.float32)
        y = rng.integers(0, classes, tb).astype(np.int32)
        print(f"keras {name}: training", file=sys.stderr, flush=True)
        for _ in range(config["train_warmup"]):
            model.train_on_batch(x, y)
        t = time.perf_counter()
        for _ in range(config["train_batches"]):
            model.train_on_batch(x, y)
        train = tb * config["train_batches"] / (time.perf_counter() - t)

        print(f"keras {name}: inference", file=sys.stderr, flush=True)
        xi = rng.random((ib,) + shape, dtype=np.float32)
        for _ in range(config["infer_warmup"]):
            model.predict_on_batch(xi)
        t = time.perf_counter()
        for _ in range(config["infer_batches"]):
            model.predict_on_batch(xi)
        infer = ib * config["infer_batches"] / (time.perf_counter() - t)

        print(f"keras {name}: latency", file=sys.stderr, flush=True)
        x1 = tf.constant(rng.random((1,) + shape, dtype=np.float32))
        compiled = tf.function(lambda v: model(v, training=False))

        def median_ms(call, n):
            for _ in range(10):
                call(x1).numpy()
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                call(x1).numpy()
                times.append(time.perf_counter() - t0)
            times.sort()
            return 1000 * times[len(times) // 2]

        results[name] = {
            "train_images_per_s": train,
            "infer_images_per_s": infer,
            "latency_ms": median_ms(compiled, config["latency_calls"]),
            "latency_eager_ms": median_ms(lambda v: model(v, training=False), config["latency_calls"]),
        }
    return results, {"tensorflow": tf.__version__, "keras": keras.__version__, "load_average": load, "jit_compile": jit}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fovea", required=True, help="path to a release-built fovea binary")
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for both (default: all cores)")
    ap.add_argument("--quick", action="store_true", help="fewer timed batches (a smoke test, noisy)")
    ap.add_argument("--json", metavar="FILE", help="also write all figures to FILE")
    ap.add_argument("--rounds", type=int, default=1, help="Fovea-then-Keras pairs per model (default 1)")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    # Model by model, Fovea then Keras, so that both meet about the same load
    # from whatever else runs on the machine.
    keras_setup(args.threads)
    fovea_runs, keras_runs, loads = {}, {}, []
    fovea = None
    for name in MODELS:
        for _ in range(args.rounds):
            f = fovea_results(args.fovea, args.threads, args.quick, name)
            # Keras runs exactly the batch counts Fovea reports having used.
            k, versions = keras_results([name], f["config"])
            fovea_runs.setdefault(name, []).append(f["models"][0])
            keras_runs.setdefault(name, []).append(k[name])
            loads.append(f"{name} {f['machine'].get('load_average', float('nan')):.2f} / {versions['load_average']:.2f}")
            if fovea is None:
                fovea = f

    def median(values):
        v = sorted(values)
        n = len(v)
        return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

    # (model, metric, Fovea figures, Keras figures, target ratio, True when higher is better)
    rows = []
    for name in MODELS:
        fr, kr = fovea_runs[name], keras_runs[name]
        rows.append((name, "train img/s (batch %d)" % fovea["config"]["train_batch"],
                     [m["train_images_per_s"] for m in fr], [k["train_images_per_s"] for k in kr], 1.5, True))
        rows.append((name, "infer img/s (batch %d)" % fovea["config"]["infer_batch"],
                     [m["infer_images_per_s"] for m in fr], [k["infer_images_per_s"] for k in kr], 1.5, True))
        rows.append((name, "latency ms vs tf.function", [m["latency_ms"] for m in fr],
                     [k["latency_ms"] for k in kr], 0.3, False))
        rows.append((name, "latency ms vs eager", [m["latency_ms"] for m in fr],
                     [k["latency_eager_ms"] for k in kr], None, False))

    machine = fovea["machine"]
    print(f"CPU: {machine['cpu']}, {machine['cores']} cores; threads: Fovea {fovea['threads']}, "
          f"Keras {args.threads}; TensorFlow {versions['tensorflow']}, Keras {versions['keras']} "
          f"(jit_compile={versions['jit_compile']}); "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '-')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', '-')}")
    print(f"1-min load average before Fovea / Keras: {', '.join(loads)} "
          f"(above {machine['cores']}: other work competed for the CPU)")
    several = args.rounds > 1
    if several:
        print(f"{args.rounds} rounds per model: medians; ratio = median of the per-round ratios [lowest-highest]")
    print(f"{'model':<14} {'metric':<27} {'Fovea':>9} {'Keras':>9} {'Fovea/Keras':>11}  target")
    print("-" * 84)
    for model, metric, f, k, target, higher in rows:
        digits = 1 if higher else 3
        ratios = [a / b for a, b in zip(f, k)]
        ratio = median(ratios)
        spread = f" [{min(ratios):.2f}-{max(ratios):.2f}]" if several else ""
        if target is None:
            verdict = ""
        else:
            met = [r >= target if higher else r <= target for r in ratios]
            verdict = f"{'>=' if higher else '<='} {target:.2f}x "
            verdict += f"met in {sum(met)} of {len(met)}" if several else ("met" if met[0] else "NOT met")
        print(f"{model:<14} {metric:<27} {median(f):>9.{digits}f} {median(k):>9.{digits}f} {ratio:>10.2f}x{spread}  {verdict}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"fovea": fovea_runs, "keras": keras_runs, "versions": versions, "rounds": args.rounds},
                      fh, indent=1)


if __name__ == "__main__":
    main()
