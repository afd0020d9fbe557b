#!/usr/bin/env python3
"""Times `fovea evaluate` against pycocotools and faster-coco-eval on the same files.

Each tool runs as its own process, end to end: interpreter or binary start, reading
both JSON files, evaluate, accumulate, summarize. Single-threaded (thread pools
pinned to 1). Prints the three times (wall and CPU), the ratios, and whether the 12
stats agree to 1e-9.

usage: bench_coco.py --fovea PATH --python PATH GT.json DETS.json [--repeat N]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

PYCOCO = r"""
import json, sys, contextlib, io
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1])
    with open(sys.argv[2]) as f:
        dets = json.load(f)
    dt = gt.loadRes(dets)
    e = COCOeval(gt, dt, "bbox"); e.evaluate(); e.accumulate(); e.summarize()
print(json.dumps(list(map(float, e.stats))))
"""

FASTER = r"""
import json, sys, contextlib, io
from faster_coco_eval import COCO, COCOeval_faster
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1])
    dt = gt.loadRes(sys.argv[2])
    e = COCOeval_faster(gt, dt, "bbox"); e.evaluate(); e.accumulate(); e.summarize()
print(json.dumps(list(map(float, e.stats[:12]))))
"""

FOVEA_KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def timed(cmd, env):
    """Runs cmd; returns (wall seconds, CPU seconds of the child, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({p.returncode}):\n{p.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p.stdout


def best_of(n, cmd, env):
    runs = [timed(cmd, env) for _ in range(n)]
    wall = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    return wall, cpu, runs[-1][2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gt")
    ap.add_argument("dets")
    ap.add_argument("--fovea", required=True, help="release-built fovea binary")
    ap.add_argument("--python", default=sys.executable, help="python with pycocotools and faster-coco-eval")
    ap.add_argument("--repeat", type=int, default=3, help="runs of Fovea and faster-coco-eval (best is kept)")
    ap.add_argument("--pycoco-repeat", type=int, default=1, help="runs of pycocotools (slow)")
    args = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               NUMEXPR_NUM_THREADS="1", RAYON_NUM_THREADS="1")

    fw, fc, out = best_of(args.repeat, [args.fovea, "evaluate", "--ground-truth", args.gt,
                                        "--detections", args.dets, "--json"], env)
    coco = json.loads(out)["coco"]
    fovea_stats = [coco[k] for k in FOVEA_KEYS]
    ffw, ffc, out = best_of(args.repeat, [args.python, "-c", FASTER, args.gt, args.dets], env)
    faster_stats = json.loads(out)
    pw, pc, out = best_of(args.pycoco_repeat, [args.python, "-c", PYCOCO, args.gt, args.dets], env)
    py_stats = json.loads(out)

    print(f"{'tool':<18}{'wall s':>9}{'CPU s':>9}")
    for name, w, c in [("fovea", fw, fc), ("faster-coco-eval", ffw, ffc), ("pycocotools", pw, pc)]:
        print(f"{name:<18}{w:>9.3f}{c:>9.3f}")
    print(f"speed-up vs pycocotools:      {pw / fw:6.1f}x wall, {pc / fc:6.1f}x CPU (target >= 20x)")
    print(f"speed-up vs faster-coco-eval: {ffw / fw:6.1f}x wall, {ffc / fc:6.1f}x CPU (target >= 3x)")
    diff_py = max(abs(a - b) for a, b in zip(fovea_stats, py_stats))
    diff_fast = max(abs(a - b) for a, b in zip(fovea_stats, faster_stats))
    print(f"12 stats agree with pycocotools: {diff_py <= 1e-9} (max |diff| {diff_py:.3g}); "
          f"with faster-coco-eval: {diff_fast <= 1e-9} (max |diff| {diff_fast:.3g})")
    for k, a, b in zip(FOVEA_KEYS, fovea_stats, py_stats):
        print(f"  {k:<6} fovea {a:.12f}  pycocotools {b:.12f}")
    sys.exit(0 if diff_py <= 1e-9 else 1)


if __name__ == "__main__":
    main()
