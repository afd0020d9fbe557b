#!/usr/bin/env python3
"""Tesseract on the same text lines as Fovea's OCR figures (the peer).

Runs Debian's tesseract once over a list of line images (--psm 7, one thread,
the model loaded once for the whole list), twice: for the text (txt) and for
character boxes (makebox). Writes the boxes as COCO results (score 1, for
`fovea evaluate`) and prints the character error rate with the same rules as
Fovea's TextMetrics (merged letters c i j k l m o p s u v w x y z compared in
upper case, runs of spaces collapsed) and the time per line.

usage: peer_tesseract.py GROUND_TRUTH.json IMAGES_DIR OUT_DIR
"""
import json
import os
import subprocess
import sys
import time

MERGED = set("cijklmopsuvwxyz")


def canonical(text):
    out = []
    for ch in text:
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        out.append(ch.upper() if ch in MERGED else ch)
    if out and out[-1] == " ":
        out.pop()
    return out


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
        prev = cur
    return prev[len(b)]


def main():
    gt_path, images_dir, out_dir = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    gt = json.load(open(gt_path))
    images = gt["images"]
    listing = os.path.join(out_dir, "tesseract-list.txt")
    with open(listing, "w") as f:
        for im in images:
            f.write(os.path.abspath(os.path.join(images_dir, im["file_name"])) + "\n")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    base = os.path.join(out_dir, "tesseract")
    start = time.perf_counter()
    subprocess.run(["tesseract", listing, base, "--psm", "7", "-l", "eng"], env=env, check=True,
                   stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    subprocess.run(["tesseract", listing, base, "--psm", "7", "-l", "eng", "makebox"], env=env, check=True,
                   stderr=subprocess.DEVNULL)
    pages = open(base + ".txt", encoding="utf-8").read().split("\f")
    edits = total = 0
    for im, page in zip(images, pages):
        truth = canonical(im.get("text", ""))
        edits += edit_distance(truth, canonical(page.strip()))
        total += len(truth)
    results = []
    heights = {i: im["height"] for i, im in enumerate(images)}
    for line in open(base + ".box", encoding="utf-8"):
        parts = line.rstrip("\n").split(" ")
        if len(parts) < 6:
            continue
        x1, y1, x2, y2, page = map(int, parts[-5:])
        h = heights[page]
        # Box files count y from the bottom.
        results.append({"image_id": images[page]["id"], "category_id": 1,
                        "bbox": [x1, h - y2, x2 - x1, y2 - y1], "score": 1.0})
    json.dump(results, open(os.path.join(out_dir, "tesseract-results.json"), "w"))
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(json.dumps({"peer": version, "lines": len(images), "cer": edits / max(total, 1), "edits": edits,
                      "characters": total, "ms_per_line": 1000 * seconds / max(len(images), 1)}))


if __name__ == "__main__":
    main()
