#!/usr/bin/env bash
# Quick start: installs missing system libraries, builds `fovea` (release), and runs
# its main jobs on the bundled defaults, printing what each wrote to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
swift build -c release --product fovea
FOVEA=.build/release/fovea
OUT=out/demo
mkdir -p "$OUT"

echo "== 1. Sobel edge magnitude of the bundled photo"
"$FOVEA" filter --kernel sobel-magnitude Datasets/photos/astronaut.png "$OUT/astronaut-sobel.png"

echo "== 2. Classify handwritten characters with the committed EMNIST model (Models/emnist-default.safetensors)"
"$FOVEA" classify Datasets/emnist/samples/*.png

echo "== 3. Accuracy of the committed model on the bundled EMNIST mini test set (500 images)"
"$FOVEA" classify --images Datasets/emnist/emnist-mini-test-images-idx3-ubyte.gz \
  --labels Datasets/emnist/emnist-mini-test-labels-idx1-ubyte.gz

echo "== 4. COCO mAP and PASCAL VOC AP of a bundled detection example, with precision-recall plots"
"$FOVEA" evaluate --ground-truth Datasets/detection-example/gt.json \
  --detections Datasets/detection-example/detections.json --plot-dir "$OUT/pr-curves"

echo "== done: pictures are in $OUT/"
