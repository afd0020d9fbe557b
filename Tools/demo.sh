#!/usr/bin/env bash
# Quick start: installs missing system libraries, builds `fovea` (release), and runs
# its main jobs on the bundled samples with the committed models, printing what each
# wrote to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
swift build -c release --product fovea
FOVEA=.build/release/fovea
OUT=out/demo
mkdir -p "$OUT"

echo "== 1. Read handwritten text lines (Datasets/ocr-samples, made from the EMNIST pool's test split)"
"$FOVEA" detect Datasets/ocr-samples/line-00000{1,2,3}.png --annotate-dir "$OUT/lines" \
  --ground-truth Datasets/ocr-samples/ground-truth.json
echo "   annotated pictures: $OUT/lines/"

echo "== 2. Smile score and landmarks of bundled face crops (Datasets/smiles-sample, the data set's test split)"
"$FOVEA" smile --face-crop Datasets/smiles-sample/images/pos_{25,138}.jpg Datasets/smiles-sample/images/neg_{9,18}.jpg \
  --annotate-dir "$OUT/smiles"
echo "   annotated crops: $OUT/smiles/"

echo "== 3. Faces in whole photos (Datasets/photos): face detector, landmarks and smile score"
"$FOVEA" smile Datasets/photos/astronaut.png Datasets/photos/grace_hopper.jpg Datasets/photos/camera.png \
  --annotate-dir "$OUT/photos"
echo "   annotated photos: $OUT/photos/"

echo "== 4. Classify single handwritten characters with the committed EMNIST model"
"$FOVEA" classify Datasets/emnist/samples/*.png

echo "== 5. COCO mAP and PASCAL VOC AP of a bundled detection example, with precision-recall plots"
"$FOVEA" evaluate --ground-truth Datasets/detection-example/gt.json \
  --detections Datasets/detection-example/detections.json --plot-dir "$OUT/pr-curves"

echo "== 6. Sobel edge magnitude of the bundled photo"
"$FOVEA" filter --kernel sobel-magnitude Datasets/photos/astronaut.png "$OUT/astronaut-sobel.png"

echo "== done: pictures are in $OUT/"
