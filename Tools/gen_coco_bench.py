#!/usr/bin/env python3
"""Writes a large synthetic COCO detection problem for benchmarking `fovea evaluate`.

Deterministic by seed. Defaults: 5,000 images, 80 categories, about 40,000 ground-truth
boxes and 100,000 detections (jittered copies of GT at several IoU levels, duplicates,
wrong-class and background false positives, a few crowd regions, score ties).

usage: gen_coco_bench.py OUT_DIR [--seed N] [--images N] [--categories N] [--gt-per-image X]
                           [--detections N] [--crowd-fraction F]
writes OUT_DIR/gt.json and OUT_DIR/detections.json
"""
import argparse
import json
import os

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--categories", type=int, default=80)
    ap.add_argument("--gt-per-image", type=float, default=8.0)
    ap.add_argument("--detections", type=int, default=100_000)
    ap.add_argument("--crowd-fraction", type=float, default=0.01, help="share of GT marked iscrowd")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out_dir, exist_ok=True)

    sizes = [(640, 480), (1280, 720), (500, 375), (640, 640)]
    images = []
    for i in range(args.images):
        w, h = sizes[int(rng.integers(len(sizes)))]
        images.append({"id": int(i * 3 + 1), "width": w, "height": h, "file_name": f"img_{i:06d}.jpg"})
    # Category ids are not contiguous, as in COCO.
    cat_ids = sorted(int(c) for c in rng.choice(np.arange(1, 4 * args.categories), args.categories, replace=False))
    categories = [{"id": c, "name": f"class_{c}", "supercategory": "synthetic"} for c in cat_ids]

    def q(v):  # coordinates on a 1/4 pixel grid, exact in float64
        return float(np.round(v * 4) / 4)

    annotations = []
    for img in images:
        n = int(rng.poisson(args.gt_per_image))
        for _ in range(n):
            # Mix of small, medium and large boxes.
            scale = float(np.exp(rng.uniform(np.log(8), np.log(min(img["width"], img["height"]) * 0.8))))
            bw = q(max(1.0, scale * rng.uniform(0.5, 1.5)))
            bh = q(max(1.0, scale * rng.uniform(0.5, 1.5)))
            bw, bh = min(bw, img["width"] - 1.0), min(bh, img["height"] - 1.0)
            x = q(rng.uniform(0, img["width"] - bw))
            y = q(rng.uniform(0, img["height"] - bh))
            crowd = 1 if rng.random() < args.crowd_fraction else 0
            annotations.append({"id": len(annotations) + 1, "image_id": img["id"],
                                "category_id": cat_ids[int(rng.integers(len(cat_ids)))],
                                "bbox": [x, y, bw, bh], "area": bw * bh, "iscrowd": crowd})

    dets = []
    by_image = {}
    for a in annotations:
        by_image.setdefault(a["image_id"], []).append(a)
    img_by_id = {im["id"]: im for im in images}
    target = args.detections
    # True-positive-like detections: jittered copies of GT, some duplicated or mislabelled.
    order = rng.permutation(len(annotations))
    for idx in order:
        a = annotations[int(idx)]
        if rng.random() < 0.12:
            continue  # missed
        copies = 1 + int(rng.random() < 0.25) + int(rng.random() < 0.1)
        for _ in range(copies):
            x, y, w, h = a["bbox"]
            j = rng.choice([0.02, 0.05, 0.1, 0.2, 0.35])
            nx, ny = q(x + rng.normal(0, j) * w), q(y + rng.normal(0, j) * h)
            nw, nh = q(max(0.25, w * (1 + rng.normal(0, j)))), q(max(0.25, h * (1 + rng.normal(0, j))))
            cat = a["category_id"] if rng.random() > 0.05 else cat_ids[int(rng.integers(len(cat_ids)))]
            dets.append({"image_id": a["image_id"], "category_id": cat, "bbox": [nx, ny, nw, nh],
                         "score": float(np.round(rng.beta(4, 2) * 2**20) / 2**20)})
    # Background false positives up to the target count.
    while len(dets) < target:
        img = images[int(rng.integers(len(images)))]
        bw = q(rng.uniform(4, img["width"] / 2))
        bh = q(rng.uniform(4, img["height"] / 2))
        dets.append({"image_id": img["id"], "category_id": cat_ids[int(rng.integers(len(cat_ids)))],
                     "bbox": [q(rng.uniform(0, img["width"] - bw)), q(rng.uniform(0, img["height"] - bh)), bw, bh],
                     "score": float(np.round(rng.beta(2, 4) * 2**20) / 2**20)})
    dets = dets[:target]
    # Deliberate score ties.
    for k in rng.choice(len(dets), len(dets) // 50, replace=False):
        dets[int(k)]["score"] = 0.5
    dets.sort(key=lambda d: d["image_id"])

    with open(os.path.join(args.out_dir, "gt.json"), "w") as f:
        json.dump({"info": {"description": f"fovea benchmark, seed {args.seed}"},
                   "images": images, "categories": categories, "annotations": annotations}, f)
    with open(os.path.join(args.out_dir, "detections.json"), "w") as f:
        json.dump(dets, f)
    print(f"wrote {len(images)} images, {len(categories)} categories, {len(annotations)} GT, "
          f"{len(dets)} detections to {args.out_dir}")


if __name__ == "__main__":
    main()
