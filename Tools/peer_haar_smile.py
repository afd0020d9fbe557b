#!/usr/bin/env python3
"""OpenCV's Haar smile cascade on the same face crops as Fovea's smile figures.

Each 64x64 crop is upscaled 3x (bicubic) and the bundled haarcascade_smile.xml
searches its lower half. The score of a crop is the strongest detection's
level weight (detectMultiScale3 with outputRejectLevels), -inf without one.
'smiling' is a score above the threshold with the best accuracy on the
VALIDATION split (as Fovea's threshold is chosen). Prints ROC-AUC, accuracy
and milliseconds per crop (one thread) on the TEST split.

usage: peer_haar_smile.py TEST.csv VALIDATION.csv IMAGES_DIR   (file,smile
lists as `fovea evaluate-faces --list-split` writes them)
"""
import csv
import sys
import time

import cv2
import numpy as np


def auc(scores, labels):
    order = np.argsort(scores, kind="mergesort")
    s = np.asarray(scores)[order]
    ranks = np.empty(len(s))
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2 + 1
        i = j + 1
    r = np.empty(len(s))
    r[order] = ranks
    y = np.asarray(labels)
    p, n = y.sum(), len(y) - y.sum()
    return (r[y == 1].sum() - p * (p + 1) / 2) / (p * n)


def scores_of(rows, images, cascade):
    scores = []
    for row in rows:
        grey = cv2.imread(f"{images}/{row['file']}", cv2.IMREAD_GRAYSCALE)
        big = cv2.resize(grey, (192, 192), interpolation=cv2.INTER_CUBIC)
        _, _, weights = cascade.detectMultiScale3(big[96:, :], scaleFactor=1.1, minNeighbors=1, minSize=(30, 15),
                                                  outputRejectLevels=True)
        scores.append(float(np.max(weights)) if len(weights) else -1e9)
    return np.asarray(scores)


def main():
    test_split, validation_split, images = sys.argv[1:4]
    cv2.setNumThreads(1)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_smile.xml")
    val = list(csv.DictReader(open(validation_split)))
    vs, vy = scores_of(val, images, cascade), np.asarray([int(r["smile"]) for r in val])
    candidates = np.unique(vs)
    threshold = max(candidates, key=lambda t: np.mean((vs >= t) == vy))
    rows = list(csv.DictReader(open(test_split)))
    start = time.perf_counter()
    scores = scores_of(rows, images, cascade)
    seconds = time.perf_counter() - start
    labels = np.asarray([int(r["smile"]) for r in rows])
    accuracy = float(np.mean((scores >= threshold) == labels))
    print(f"Haar smile cascade (OpenCV {cv2.__version__}): {len(rows)} test crops, ROC-AUC {auc(scores, labels):.4f}, "
          f"accuracy {accuracy:.4f} (threshold {threshold:.3f} chosen on {len(val)} validation crops), "
          f"{1000 * seconds / len(rows):.2f} ms a crop (one thread)")


if __name__ == "__main__":
    main()
