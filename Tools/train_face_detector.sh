#!/usr/bin/env bash
# Trains the committed face detector (Models/face-detector.safetensors): 20,000
# synthetic 128x128 pictures made from the TRAIN split's face crops of
# ../shared/datasets/smiles over Datasets/face-backgrounds/train and procedural
# textures (seed 12); 200 validation photos from the VALIDATION split pick the
# checkpoint by COCO AP. Background photos: Tools/make_face_backgrounds.sh.
# Usage: Tools/train_face_detector.sh [EPOCHS]   (env: SMILES_DIR, OUT_DIR, THREADS, FOVEA_SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
data=${SMILES_DIR:-../shared/datasets/smiles}
out=${OUT_DIR:-out/face-detector}
epochs=${1:-14}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
[ "${FOVEA_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product fovea
fovea=.build/release/fovea
mkdir -p "$out"
start=$(date +%s)
$fovea train face-detector --data "$data" --backgrounds Datasets/face-backgrounds/train \
  --train-images 20000 --epochs "$epochs" --seed 12 \
  --output "$out/face-detector.safetensors" --plots-dir "$out" "${threads[@]}" 2>&1 | tee "$out/training.log"
echo "training took $(( $(date +%s) - start )) s" | tee -a "$out/training.log"
echo "to commit: cp $out/face-detector.safetensors Models/ && cp $out/training-curves.png Docs/face-detector-training-curves.png"
