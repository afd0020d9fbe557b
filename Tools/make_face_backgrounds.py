#!/usr/bin/env python3
"""Exports scikit-image's face-free sample photos as small grey JPEGs for the
face detector's synthetic training images (Datasets/face-backgrounds/).

Photos with people (astronaut, camera) are left out, and so is everything
else that shows a face. Some photos are kept for the held-out set only, so
the detector's reported AP is measured on backgrounds it never saw.
usage: make_face_backgrounds.py OUT_DIR
"""
import os
import sys

import numpy as np
import skimage
from PIL import Image
from skimage import color, data, transform

# Face-free sample images of scikit-image (checked by eye; no people, no statues).
# Only the samples scikit-image ships inside its wheel (the others need a download);
# data.cat() is chelsea again, so it is not listed.
TRAIN = ["coffee", "chelsea", "brick", "grass", "hubble_deep_field", "immunohistochemistry",
         "page", "text", "moon", "clock", "cell", "logo", "microaneurysms",
         "shepp_logan_phantom", "retina", "checkerboard"]
HELDOUT = ["rocket", "gravel", "coins", "horse", "colorwheel"]
LONGEST = 384


def load(name):
    f = getattr(data, name, None)
    if f is None:
        return None
    try:
        img = f()
    except Exception as e:  # a sample needing pooch or network is skipped
        print(f"skip {name}: {e}", file=sys.stderr)
        return None
    if isinstance(img, tuple):
        img = img[0]
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] == 4:
        img = img[..., :3]
    if img.ndim == 3 and img.shape[-1] == 3:
        img = color.rgb2gray(img)
    elif img.ndim == 3:
        img = img[..., 0] if img.shape[-1] < 5 else img[img.shape[0] // 2]
    img = img.astype(np.float64)
    lo, hi = float(img.min()), float(img.max())
    if hi <= lo:
        return None
    img = (img - lo) / (hi - lo)
    s = LONGEST / max(img.shape)
    if s < 1:
        img = transform.resize(img, (round(img.shape[0] * s), round(img.shape[1] * s)), anti_aliasing=True)
    return (img * 255).round().astype(np.uint8)


def main():
    out = sys.argv[1]
    print(f"scikit-image {skimage.__version__}")
    for split, names in (("train", TRAIN), ("heldout", HELDOUT)):
        os.makedirs(os.path.join(out, split), exist_ok=True)
        for name in names:
            img = load(name)
            if img is None:
                continue
            path = os.path.join(out, split, name + ".jpg")
            Image.fromarray(img).save(path, quality=85)
            print(split, name, img.shape, os.path.getsize(path))


if __name__ == "__main__":
    main()
