#!/usr/bin/env bash
# Trains the committed face models on ../shared/datasets/smiles (the train
# split; validation picks checkpoints, calibration and threshold):
#   Models/face-crop.safetensors       10 landmarks + smile score (the smile is used)
#   Models/face-landmarks.safetensors  the landmark model alone (its points are used)
# Usage: Tools/train_face_models.sh [EPOCHS] [LANDMARK_EPOCHS]
#   env: ONLY=face-crop|landmarks (one of the two), SMILES_DIR, OUT_DIR, THREADS,
#        ARCHITECTURE=heatmap|dense (the landmark model's, default heatmap)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
data=${SMILES_DIR:-../shared/datasets/smiles}
out=${OUT_DIR:-out/face}
epochs=${1:-20}
landmark_epochs=${2:-30}
only=${ONLY:-}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
swift build -c release
mkdir -p "$out"
if [ "$only" != landmarks ]; then
  start=$(date +%s)
  .build/release/fovea train landmarks --data "$data" --epochs "$epochs" --output "$out/face-crop.safetensors" \
    --plots-dir "$out" "${threads[@]}" 2>&1 | tee "$out/training.log"
  echo "training took $(( $(date +%s) - start )) s" | tee -a "$out/training.log"
fi
if [ "$only" != face-crop ]; then
  start=$(date +%s)
  .build/release/fovea train landmarks --landmarks-only --data "$data" --epochs "$landmark_epochs" \
    --architecture "${ARCHITECTURE:-heatmap}" --output "$out/face-landmarks.safetensors" --plots-dir "$out" "${threads[@]}" 2>&1 | tee "$out/landmark-training.log"
  echo "training took $(( $(date +%s) - start )) s" | tee -a "$out/landmark-training.log"
fi
