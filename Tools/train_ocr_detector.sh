#!/usr/bin/env bash
# Trains the committed OCR character detector (Models/ocr-detector.safetensors):
# 6,000 synthetic text lines from the EMNIST pool's TRAIN split (seed 11),
# 10% of them held out for validation AP, which picks the checkpoint.
# Usage: Tools/train_ocr_detector.sh [EPOCHS]   (env: EMNIST_DIR, OUT_DIR, THREADS)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
data=${EMNIST_DIR:-../shared/datasets/emnist}
out=${OUT_DIR:-out/ocr-detector}
epochs=${1:-12}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
swift build -c release
fovea=.build/release/fovea
mkdir -p "$out"
if [ ! -f "$out/lines-train/ground-truth.json" ]; then
  $fovea synth-lines --images "$data/emnist-bymerge-pool-train-images-idx3-ubyte.gz" \
    --labels "$data/emnist-bymerge-pool-train-labels-idx1-ubyte.gz" --count 6000 --seed 11 --output "$out/lines-train"
fi
start=$(date +%s)
$fovea train detector --ground-truth "$out/lines-train/ground-truth.json" --epochs "$epochs" \
  --output "$out/ocr-detector.safetensors" --plots-dir "$out" "${threads[@]}" 2>&1 | tee "$out/training.log"
echo "training took $(( $(date +%s) - start )) s" | tee -a "$out/training.log"
echo "to commit: cp $out/ocr-detector.safetensors Models/ && cp $out/training-curves.png Docs/ocr-detector-training-curves.png"
