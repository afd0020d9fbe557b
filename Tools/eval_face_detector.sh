#!/usr/bin/env bash
# The face detector's figures on 500 synthetic photos (160-320 px a side, 0-4 faces
# of 16-240 px) made from the TEST split's crops of ../shared/datasets/smiles over the
# HELD-OUT backgrounds (Datasets/face-backgrounds/heldout), seed 2026: COCO AP
# through `fovea evaluate-face-detector`, cross-checked by `fovea evaluate` on the
# written ground truth and detections; then the demo photos annotated into out/.
# usage: Tools/eval_face_detector.sh   (env: SMILES_DIR, FOVEA_SKIP_BUILD=1, COUNT)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
data=${SMILES_DIR:-../shared/datasets/smiles}
out=out/face-detector-eval
count=${COUNT:-500}
mkdir -p "$out"
[ "${FOVEA_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product fovea >&2
fovea=.build/release/fovea
echo "== held-out composites: test-split faces over held-out backgrounds"
$fovea evaluate-face-detector --data "$data" --split test --backgrounds Datasets/face-backgrounds/heldout \
  --count "$count" --seed 2026 --write-dir "$out/heldout"
echo "== the same boxes through fovea evaluate (pycocotools' COCOeval)"
$fovea evaluate --ground-truth "$out/heldout/ground-truth.json" --detections "$out/heldout/detections.json" | head -14
echo "== demo photos (Datasets/photos): fovea smile, annotated into $out/photos"
$fovea smile Datasets/photos/astronaut.png Datasets/photos/grace_hopper.jpg Datasets/photos/camera.png \
  --annotate-dir "$out/photos"
echo "== camera.png at a lower face score (0.1), to see what the detector makes of the profile"
$fovea smile Datasets/photos/camera.png --min-face-score 0.1
