#!/usr/bin/env bash
# The face models' figures on the TEST split of ../shared/datasets/smiles
# (never used for a choice; points from Models/face-landmarks.safetensors,
# smile from Models/face-crop.safetensors): landmark NME per point and overall beside the
# mean-shape baseline, smile ROC-AUC and accuracy, the reliability diagram;
# the speed of one crop end to end; and OpenCV's Haar smile cascade on the
# same crops (a venv .venv-smile-peer with opencv-python-headless is made).
# usage: Tools/eval_smile.sh   (env: SMILES_DIR, FOVEA_SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
data=${SMILES_DIR:-../shared/datasets/smiles}
out=out/smile-eval
mkdir -p "$out"
[ "${FOVEA_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product fovea >&2
fovea=.build/release/fovea
echo "== Fovea, test split"
$fovea evaluate-faces --data "$data" --split test --reliability "$out/reliability.png" --list-split "$out/test-split.csv"
echo "== Fovea, validation split (where checkpoints, flip averaging, calibration and threshold were chosen)"
$fovea evaluate-faces --data "$data" --split validation --list-split "$out/validation-split.csv"
echo "== the same, each crop read once (no flip averaging), then the face-crop model's own landmark head"
$fovea evaluate-faces --data "$data" --split validation --no-flip | sed -n 2p
$fovea evaluate-faces --data "$data" --split validation --own-landmarks | sed -n 2p
echo "== Fovea, speed: one 64x64 crop end to end (decode excluded), one thread"
$fovea bench-smile --threads 1 Datasets/smiles-sample/images/*.jpg
venv=.venv-smile-peer
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "opencv-python-headless<5" numpy
fi
echo "== OpenCV Haar smile cascade, same test split"
"$venv/bin/python" Tools/peer_haar_smile.py "$out/test-split.csv" "$out/validation-split.csv" "$data/images"
