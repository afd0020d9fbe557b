#!/usr/bin/env bash
# Trains the committed face-crop model (Models/face-crop.safetensors: 10
# landmarks + smile score) on ../shared/datasets/smiles (the train split;
# validation picks the checkpoint, calibration and threshold).
# Usage: Tools/train_face_models.sh [EPOCHS]   (env: SMILES_DIR, OUT_DIR, THREADS)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
data=${SMILES_DIR:-../shared/datasets/smiles}
out=${OUT_DIR:-out/face}
epochs=${1:-12}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
swift build -c release
mkdir -p "$out"
start=$(date +%s)
.build/release/fovea train landmarks --data "$data" --epochs "$epochs" --output "$out/face-crop.safetensors" \
  --plots-dir "$out" "${threads[@]}" 2>&1 | tee "$out/training.log"
echo "training took $(( $(date +%s) - start )) s" | tee -a "$out/training.log"
