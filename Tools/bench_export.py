"""Speed of Fovea's own float32 and int8 inference against ONNX Runtime and
LiteRT on the files `fovea export` wrote from the same models, on the same
preprocessed inputs (run by Tools/bench_export.sh, which makes all the files).

For every model and thread count, in one process a runtime:
  Fovea float32 / int8   `fovea bench --model-file M --inputs I --threads T --json`
  ONNX Runtime float32   CPUExecutionProvider, intra_op_num_threads T, inter_op 1
  LiteRT float32 / int8  Interpreter(num_threads=T), its default delegate (XNNPACK)
each timed with the same plan (`fovea bench`'s InferenceBench, mirrored here):
  single image  WARMUP untimed then RUNS timed calls of one image, call j on
                input j mod K; median and p90 (sorted[n // 2], sorted[n * 9 // 10])
  batch         BATCH images (inputs 0, 1, ... repeated when K < BATCH),
                2 untimed then BATCH_RUNS timed calls; images/s = BATCH / median
Every input array is cut before the clock starts: preprocessing is excluded on
every side; each call includes copying the outputs out (ORT's run() returns
numpy arrays, LiteRT's get_tensor() copies, Fovea's predict makes tensors).

Usage:
  bench_export.py --fovea BIN --output FILE [--threads 1,2] [--batch N] [--runs N]
                  [--warmup N] [--batch-runs N]
                  [--json FILE] [--markdown FILE] --case NAME SOURCE INPUTS.npy FOVEA_MODEL ONNX TFLITE [FOVEA_INT8 TFLITE_INT8] ...
      (SOURCE says where the inputs come from, for the table; - for a file that
      does not exist; --batch NAME=N sets one case's batch)
  bench_export.py --line-inputs REFERENCE_DIR WIDTH OUT.npy
      (the detector's inputs from `fovea export-reference --lines`, one [1, 32, W, 1]
      line a batch, cut or padded with paper (0) on the right to WIDTH columns)
"""
import argparse
import datetime
import glob
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

BATCH_WARMUP = 2  # as InferenceBenchPlan.batchWarmup in fovea


def load_average():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def measure(call, inputs, plan):
    """The plan InferenceBench.measure runs, call for call."""
    k = len(inputs)
    singles = [np.ascontiguousarray(inputs[i:i + 1]) for i in range(min(k, plan["warmup"] + plan["runs"]))]
    batch = np.ascontiguousarray(inputs[np.arange(plan["batch"]) % k])
    for i in range(plan["warmup"]):
        call(singles[i % len(singles)])
    single = []
    for i in range(plan["runs"]):
        x = singles[(plan["warmup"] + i) % len(singles)]
        start = time.perf_counter()
        call(x)
        single.append(time.perf_counter() - start)
    for _ in range(BATCH_WARMUP):
        call(batch)
    batched = []
    for _ in range(plan["batch_runs"]):
        start = time.perf_counter()
        call(batch)
        batched.append(time.perf_counter() - start)
    single.sort()
    batched.sort()
    median = batched[len(batched) // 2]
    return {"single_median_ms": 1000 * single[len(single) // 2], "single_p90_ms": 1000 * single[len(single) * 9 // 10],
            "batch_median_ms": 1000 * median, "batch_images_per_s": plan["batch"] / median}


def onnx_call(path, threads):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: x})


def litert_call(path, threads, shapes):
    """One interpreter a batch shape, so no call pays for a resize."""
    from ai_edge_litert.interpreter import Interpreter
    interpreters = {}
    for shape in shapes:
        interpreter = Interpreter(model_path=path, num_threads=threads)
        index = interpreter.get_input_details()[0]["index"]
        interpreter.resize_tensor_input(index, list(shape))
        interpreter.allocate_tensors()
        outputs = [o["index"] for o in interpreter.get_output_details()]
        interpreters[tuple(shape)] = (interpreter, index, outputs)

    def call(x):
        interpreter, index, outputs = interpreters[x.shape]
        interpreter.set_tensor(index, x)
        interpreter.invoke()
        return [interpreter.get_tensor(o) for o in outputs]
    return call


def fovea_bench(binary, model, inputs, threads, plan):
    command = [binary, "bench", "--model-file", model, "--inputs", inputs, "--threads", str(threads),
               "--batch", str(plan["batch"]), "--runs", str(plan["runs"]), "--warmup", str(plan["warmup"]),
               "--batch-runs", str(plan["batch_runs"]), "--json"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return json.loads(result.stdout)


def run_case(case, args, log):
    inputs = np.load(case["inputs"])
    plan = {"batch": case["batch"], "warmup": args.warmup, "runs": args.runs, "batch_runs": args.batch_runs}
    shapes = [(1,) + inputs.shape[1:], (plan["batch"],) + inputs.shape[1:]]
    rows, fovea_info = [], None
    for threads in args.threads:
        runtimes = [("Fovea float32", "fovea", case["fovea"]), ("Fovea int8", "fovea", case["fovea_int8"]),
                    ("ONNX Runtime float32", "onnx", case["onnx"]), ("LiteRT float32", "litert", case["tflite"]),
                    ("LiteRT int8", "litert", case["tflite_int8"])]
        for label, kind, path in runtimes:
            if path == "-":
                continue
            log(f"{case['name']}: {label}, {threads} thread(s)")
            if kind == "fovea":
                report = fovea_bench(args.fovea, path, case["inputs"], threads, plan)
                if report["build"] != "release":
                    log("warning: fovea is a debug build; its figures mean nothing")
                fovea_info = report
                timing = report["timing"]
            elif kind == "onnx":
                timing = measure(onnx_call(path, threads), inputs, plan)
            else:
                timing = measure(litert_call(path, threads, shapes), inputs, plan)
            rows.append({"runtime": label, "threads": threads, **timing})
    return {"name": case["name"], "input_shape": list(inputs.shape), "source": case["source"], "plan": plan,
            "rows": rows}, fovea_info


def table(result):
    plan = result["plan"]
    shape = "x".join(map(str, result["input_shape"][1:]))
    lines = [f"{result['name']}: input {shape}, {result['source']} ({result['input_shape'][0]} inputs)",
             f"{'':23s}{'':>4s}  {'single image, ms':>28s}  {'batch of ' + str(plan['batch']):>22s}",
             f"{'runtime':23s}{'thr':>4s}  {'median':>8s} {'p90':>8s} {'ratio':>9s}  {'images/s':>10s} {'ratio':>9s}"]
    for threads in sorted({r["threads"] for r in result["rows"]}):
        rows = [r for r in result["rows"] if r["threads"] == threads]
        base = next(r for r in rows if r["runtime"] == "Fovea float32")
        for r in rows:
            single = r["single_median_ms"] / base["single_median_ms"]
            batch = base["batch_images_per_s"] / r["batch_images_per_s"]
            lines.append(f"{r['runtime']:23s}{threads:>4d}  {r['single_median_ms']:8.3f} {r['single_p90_ms']:8.3f} "
                         f"{single:9.2f}  {r['batch_images_per_s']:10.0f} {batch:9.2f}")
        by = {r["runtime"]: r for r in rows}
        for family in ("Fovea", "LiteRT"):
            f32, i8 = by.get(f"{family} float32"), by.get(f"{family} int8")
            if f32 and i8:
                lines.append(f"  {family} int8 / float32 time, {threads} thread(s): single image "
                             f"{i8['single_median_ms'] / f32['single_median_ms']:.2f}, batch "
                             f"{f32['batch_images_per_s'] / i8['batch_images_per_s']:.2f}")
    return "\n".join(lines)


def markdown(results):
    """The README's table: per model and runtime, each thread count's single-image
    median and batch images/s with their ratios to Fovea float32."""
    threads = sorted({r["threads"] for res in results for r in res["rows"]})
    head = "| model | runtime | " + " | ".join(f"{t} thread{'s' * (t > 1)}: 1 image, ms (ratio) | "
                                               f"{t} thread{'s' * (t > 1)}: batch, images/s (ratio)" for t in threads) + " |"
    lines = [head, "|---|---|" + "---:|---:|" * len(threads)]
    for res in results:
        labels = list(dict.fromkeys(r["runtime"] for r in res["rows"]))
        for i, label in enumerate(labels):
            cells = []
            for t in threads:
                rows = {r["runtime"]: r for r in res["rows"] if r["threads"] == t}
                base, r = rows["Fovea float32"], rows[label]
                cells.append(f"{r['single_median_ms']:.3f} ({r['single_median_ms'] / base['single_median_ms']:.2f})")
                cells.append(f"{r['batch_images_per_s']:.0f} ({base['batch_images_per_s'] / r['batch_images_per_s']:.2f})")
            name = f"{res['name']} (batch {res['plan']['batch']})" if i == 0 else ""
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def line_inputs(reference, width, out):
    lines = []
    for batch in sorted(glob.glob(os.path.join(reference, "batch-*"))):
        x = np.load(os.path.join(batch, "input.npy"))
        if x.shape[2] >= width:
            x = x[:, :, :width]
        else:
            x = np.pad(x, ((0, 0), (0, 0), (0, width - x.shape[2]), (0, 0)))
        lines.append(x)
    np.save(out, np.ascontiguousarray(np.concatenate(lines), dtype=np.float32))
    print(f"{out}: {len(lines)} lines of 32x{width}")


def main(argv):
    if len(argv) == 4 and argv[0] == "--line-inputs":
        line_inputs(argv[1], int(argv[2]), argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], usage=__doc__)
    parser.add_argument("--fovea", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--json")
    parser.add_argument("--markdown")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--batch", action="append", default=[])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--batch-runs", type=int, default=10)
    parser.add_argument("--command", default="Tools/bench_export.sh")
    parser.add_argument("--case", nargs="+", action="append", required=True,
                        metavar="NAME SOURCE INPUTS FOVEA ONNX TFLITE [FOVEA_INT8 TFLITE_INT8]")
    args = parser.parse_args(argv)
    args.threads = [int(t) for t in args.threads.split(",")]
    batches = {"": 256}
    for b in args.batch:
        name, _, n = b.rpartition("=")
        batches[name] = int(n)
    cases = []
    for c in args.case:
        if len(c) not in (6, 8):
            parser.error(f"--case takes 6 or 8 values, got {c}")
        name, source, inputs, fovea, onnx, tflite = c[:6]
        fovea_int8, tflite_int8 = c[6:8] if len(c) == 8 else ("-", "-")
        cases.append({"name": name, "source": source, "inputs": inputs, "fovea": fovea, "onnx": onnx, "tflite": tflite,
                      "fovea_int8": fovea_int8, "tflite_int8": tflite_int8,
                      "batch": batches.get(name, batches[""])})

    def log(message):
        print(message, file=sys.stderr, flush=True)

    import onnxruntime
    import ai_edge_litert
    from importlib.metadata import version
    started = datetime.datetime.now(datetime.timezone.utc)
    load_start = load_average()
    results, fovea_info = [], None
    for case in cases:
        result, info = run_case(case, args, log)
        results.append(result)
        fovea_info = fovea_info or info
    load_end = load_average()
    seconds = (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()
    machine = fovea_info["machine"] if fovea_info else {"cpu": platform.processor(), "cores": os.cpu_count(), "kernels": "?"}
    header = [
        f"Fovea inference speed against ONNX Runtime and LiteRT: {args.command}, "
        f"{started:%Y-%m-%d %H:%M} UTC, {seconds:.0f} s",
        f"CPU: {machine['cpu']}, {machine['cores']} cores (Fovea kernels: {machine['kernels']}); "
        f"1-minute load average {load_start:.2f} at start, {load_end:.2f} at end"
        + (" (other work was running: figures are noisy)" if max(load_start, load_end) > 1.5 else ""),
        f"fovea {fovea_info['build'] if fovea_info else '?'} build (--threads); ONNX Runtime {onnxruntime.__version__} "
        f"(CPUExecutionProvider, intra_op_num_threads, inter_op 1); LiteRT {version('ai-edge-litert')} "
        f"(Interpreter num_threads, default XNNPACK delegate); Python {platform.python_version()}, numpy {np.__version__}",
        f"Timed: the model call on preprocessed float32 inputs, the same arrays for every runtime (preprocessing "
        f"excluded everywhere, outputs copied out); single image: {args.warmup} warm-up + {args.runs} timed calls, "
        f"call j on input j mod K, median and p90; batch: {BATCH_WARMUP} warm-up + {args.batch_runs} timed calls, "
        f"images/s from the median call. ONNX Runtime and LiteRT are called from Python (a few microseconds a call).",
        "ratio = that runtime's time / Fovea float32's time at the same thread count (below 1: faster than Fovea; "
        "batch: time per image).",
    ]
    text = "\n".join(header) + "\n\n" + "\n\n".join(table(r) for r in results) + "\n"
    print(text, end="")
    with open(args.output, "w") as f:
        f.write(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown(results))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "load_average": [load_start, load_end], "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
