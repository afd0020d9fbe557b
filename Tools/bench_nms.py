#!/usr/bin/env python3
"""Times greedy NMS (torchvision.ops.nms rule) in numpy against `fovea bench-nms`.

Random boxes (deterministic by seed) in clusters, as a detector's raw output looks,
for each size in --sizes. Both sides run the same rule: sort by score descending
(stable), keep a box, drop every later box with IoU > threshold. Prints the fastest of
--repeat runs for each, the ratio, and whether the kept indices are identical.

usage: bench_nms.py --fovea PATH [--sizes 1000 10000] [--iou 0.5] [--seed 7]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np


def nms_numpy(boxes, scores, thr):
    """The usual vectorised greedy NMS (as in py-faster-rcnn, without the +1)."""
    x1, y1, x2, y2 = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        rest = order[1:]
        w = np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest])
        h = np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest])
        inter = w * h
        with np.errstate(invalid="ignore", divide="ignore"):
            iou = np.where((w > 0) & (h > 0), inter / (areas[i] + areas[rest] - inter), 0.0)
        order = rest[iou <= thr]
    return keep


def random_boxes(n, rng):
    centres = rng.uniform(0, 1000, size=(max(1, n // 20), 2))
    c = centres[rng.integers(len(centres), size=n)] + rng.normal(0, 15, size=(n, 2))
    wh = rng.uniform(10, 80, size=(n, 2))
    boxes = np.concatenate([c - wh / 2, c + wh / 2], axis=1)
    boxes = np.round(boxes * 4) / 4
    scores = np.round(rng.uniform(0, 1, size=n) * 2**20) / 2**20
    return boxes, scores


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fovea", required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--iou", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    ok = True
    print(f"{'boxes':>7}{'kept':>7}{'numpy ms':>11}{'fovea ms':>11}{'ratio':>9}  same keep")
    for n in args.sizes:
        boxes, scores = random_boxes(n, rng)
        best = float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            keep_np = nms_numpy(boxes, scores, args.iou)
            best = min(best, time.perf_counter() - t0)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"boxes": boxes.tolist(), "scores": scores.tolist()}, f)
            path = f.name
        try:
            out = subprocess.run([args.fovea, "bench-nms", "--boxes", path, "--iou-threshold", str(args.iou),
                                  "--repeat", str(args.repeat)], capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(path)
        res = json.loads(out)
        same = res["keep"] == keep_np
        ok &= same
        print(f"{n:>7}{len(keep_np):>7}{best * 1e3:>11.3f}{res['seconds'] * 1e3:>11.3f}{best / res['seconds']:>8.1f}x  {same}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
