#!/usr/bin/env python3
"""Writes the crowd-annotation COCO fixture (Tests/FoveaDetectionTests/Fixtures/crowd/random_crowd):
a small synthetic problem from gen_coco_bench.py with 15% of GT marked iscrowd, and
pycocotools' numbers for it in expected.json (same `coco` fields as the shared
detection-metrics fixtures: stats, per_category ap/ap50/num_gt/num_det).

usage: make_crowd_fixture.py [OUT_DIR]   (run with a python that has numpy and pycocotools)
"""
import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests/FoveaDetectionTests/Fixtures/crowd/random_crowd")
subprocess.run([sys.executable, os.path.join(root, "Tools/gen_coco_bench.py"), out, "--seed", "77",
                "--images", "40", "--categories", "4", "--gt-per-image", "5", "--detections", "500",
                "--crowd-fraction", "0.15"], check=True)

with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(os.path.join(out, "gt.json"))
    with open(os.path.join(out, "detections.json")) as f:
        dets = json.load(f)
    dt = gt.loadRes(dets)
    e = COCOeval(gt, dt, "bbox")
    e.evaluate(); e.accumulate(); e.summarize()

cats = sorted(gt.getCatIds())
per = []
for k, c in enumerate(cats):
    p = e.eval["precision"][:, :, k, 0, -1]
    p50 = e.eval["precision"][0, :, k, 0, -1]
    ap = float(np.mean(p[p > -1])) if (p > -1).any() else -1.0
    ap50 = float(np.mean(p50[p50 > -1])) if (p50 > -1).any() else -1.0
    per.append({"category_id": c, "ap": ap, "ap50": ap50,
                "num_gt": len(gt.getAnnIds(catIds=[c])), "num_det": sum(d["category_id"] == c for d in dets)})
crowd = sum(a["iscrowd"] for a in gt.dataset["annotations"])
expected = {
    "fixture": "random_crowd",
    "description": f"Synthetic problem with {crowd} of {len(gt.dataset['annotations'])} GT marked iscrowd; "
                   "numbers from pycocotools COCOeval (bbox, default parameters).",
    "coco": {"stats": [float(s) for s in e.stats], "per_category": per},
}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print(f"wrote {out}: {crowd} crowd GT, AP {e.stats[0]:.6f}")
