#!/usr/bin/env bash
# Rebuilds Datasets/face-backgrounds/ (committed): scikit-image's face-free sample
# photos, grey, longest side 384, split into train/ and heldout/ backgrounds.
# Makes a venv .venv-face-backgrounds with scikit-image from PyPI.
# usage: Tools/make_face_backgrounds.sh
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-face-backgrounds
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "scikit-image==0.26.*"
fi
"$venv/bin/python" Tools/make_face_backgrounds.py Datasets/face-backgrounds
