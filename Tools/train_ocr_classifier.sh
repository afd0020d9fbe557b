#!/usr/bin/env bash
# Fine-tunes the committed EMNIST classifier on characters cropped from the
# detector's 6,000 synthetic training lines (EMNIST pool TRAIN split, seed 11;
# made by Tools/train_ocr_detector.sh), giving Models/ocr-classifier.safetensors.
# Usage: Tools/train_ocr_classifier.sh [EPOCHS]   (env: OUT_DIR, THREADS)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
out=${OUT_DIR:-out/ocr-detector}
epochs=${1:-3}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
swift build -c release
[ -f "$out/lines-train/ground-truth.json" ] || { echo "run Tools/train_ocr_detector.sh first (it makes $out/lines-train)" >&2; exit 2; }
start=$(date +%s)
.build/release/fovea train line-classifier --ground-truth "$out/lines-train/ground-truth.json" \
  --initial-model Models/emnist-default.safetensors --epochs "$epochs" \
  --output "$out/ocr-classifier.safetensors" --plots-dir "$out/classifier" "${threads[@]}" 2>&1 | tee "$out/classifier-training.log"
echo "training took $(( $(date +%s) - start )) s" | tee -a "$out/classifier-training.log"
