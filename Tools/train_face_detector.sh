#!/usr/bin/env bash
# Trains the committed face detector (Models/face-detector.safetensors) in two stages,
# both on synthetic 128x128 pictures made from the TRAIN split's face crops of
# ../shared/datasets/smiles over Datasets/face-backgrounds/train and procedural textures;
# 200 validation photos from the VALIDATION split pick each stage's checkpoint by COCO AP.
#   1. 16,000 pictures (seed 12) on the plainer first backgrounds (--no-clutter), 8 epochs;
#   2. fine-tuned from stage 1 on 12,000 new pictures (seed 13) with scene clutter, 3 epochs.
# Background photos: Tools/make_face_backgrounds.sh (committed).
# Usage: Tools/train_face_detector.sh   (env: SMILES_DIR, OUT_DIR, THREADS, FOVEA_SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
data=${SMILES_DIR:-../shared/datasets/smiles}
out=${OUT_DIR:-out/face-detector}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")
[ "${FOVEA_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product fovea
fovea=.build/release/fovea
mkdir -p "$out/stage2"
start=$(date +%s)
$fovea train face-detector --data "$data" --backgrounds Datasets/face-backgrounds/train --no-clutter \
  --train-images 16000 --epochs 8 --seed 12 \
  --output "$out/face-detector.safetensors" --plots-dir "$out" "${threads[@]}" 2>&1 | tee "$out/training.log"
echo "stage 1 took $(( $(date +%s) - start )) s" | tee -a "$out/training.log"
start=$(date +%s)
$fovea train face-detector --data "$data" --backgrounds Datasets/face-backgrounds/train \
  --initial-model "$out/face-detector.safetensors" --train-images 12000 --epochs 3 --seed 13 --learning-rate 0.001 \
  --output "$out/stage2/face-detector.safetensors" --plots-dir "$out/stage2" "${threads[@]}" 2>&1 | tee "$out/stage2/training.log"
echo "stage 2 took $(( $(date +%s) - start )) s" | tee -a "$out/stage2/training.log"
echo "to commit: cp $out/stage2/face-detector.safetensors Models/ && cp $out/training-curves.png Docs/face-detector-training-curves.png"
