#!/usr/bin/env bash
# Trains Fovea's default character classifier, Models/emnist-default.safetensors,
# on the EMNIST ByMerge pool train split (../shared/datasets/emnist), picking the
# checkpoint on a 10% validation split held out from that train split, then
# evaluates the kept model once on the pool test split (never used for choices).
#
#   Tools/train_default_classifier.sh            # the real run: 14 epochs of 93,600 images, Adam 0.002
#                                                # with cosine decay, augmentation; about 3 min an epoch
#                                                # on 2 cores (release); the README has the measured figures
#   Tools/train_default_classifier.sh --mini     # smoke test: committed mini set, 1 epoch, debug build
#
# Environment: EMNIST_DIR (default ../shared/datasets/emnist), EPOCHS (14), ARCH (fovea-emnist),
# THREADS (all cores), OUT_DIR for plots and the evaluation (out/default-classifier).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-full}
data=${EMNIST_DIR:-../shared/datasets/emnist}
out=${OUT_DIR:-out/default-classifier}
threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")

if [ "$mode" = "--mini" ]; then
  config=debug
  train_images=Datasets/emnist/emnist-mini-train-images-idx3-ubyte.gz
  train_labels=Datasets/emnist/emnist-mini-train-labels-idx1-ubyte.gz
  test_images=Datasets/emnist/emnist-mini-test-images-idx3-ubyte.gz
  test_labels=Datasets/emnist/emnist-mini-test-labels-idx1-ubyte.gz
  epochs=${EPOCHS:-1}
  model=$out/emnist-mini.safetensors
elif [ "$mode" = "full" ]; then
  config=release
  train_images=$data/emnist-bymerge-pool-train-images-idx3-ubyte.gz
  train_labels=$data/emnist-bymerge-pool-train-labels-idx1-ubyte.gz
  test_images=$data/emnist-bymerge-pool-test-images-idx3-ubyte.gz
  test_labels=$data/emnist-bymerge-pool-test-labels-idx1-ubyte.gz
  epochs=${EPOCHS:-14}
  model=Models/emnist-default.safetensors
else
  echo "usage: $0 [--mini]" >&2
  exit 2
fi
for f in "$train_images" "$train_labels" "$test_images" "$test_labels"; do
  [ -f "$f" ] || { echo "$0: missing $f (set EMNIST_DIR to the folder holding the EMNIST pool files)" >&2; exit 1; }
done

swift build -c "$config" --product fovea
fovea=.build/$config/fovea
mkdir -p "$out" "$(dirname "$model")"

"$fovea" train classifier \
  --images "$train_images" --labels "$train_labels" \
  --mapping Datasets/emnist/emnist-bymerge-mapping.txt \
  --arch "${ARCH:-fovea-emnist}" --epochs "$epochs" --batch-size 128 --learning-rate 0.002 --cosine \
  --validation-split 0.1 --augment --seed 42 "${threads[@]}" \
  --output "$model" --plots-dir "$out" | tee "$out/train.txt"

"$fovea" classify --model "$model" --images "$test_images" --labels "$test_labels" --json | tee "$out/test-eval.json"
