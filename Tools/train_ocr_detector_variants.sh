#!/usr/bin/env bash
# Trains the character-detector variants the README's "The OCR pipeline"
# compares, on the same training lines with the same budget, and scores each
# on validation lines made from the EMNIST pool TRAIN split with another seed
# (never the test split): COCO AP@[.5:.95] and AP50 through `fovea evaluate`,
# and the character error rate through `fovea detect --ground-truth`.
#   centernet-s4       stride 4, Gaussian heatmap (the committed design)
#   centernet-s4-head  the same with the 47-class head (labels read both ways)
#   grid-s8            stride 8, centre-cell objectness (YOLO-style grid)
#   grid-s4            stride 4, centre-cell objectness
# Usage: Tools/train_ocr_detector_variants.sh [LINES] [EPOCHS] [VARIANT...]
#   (env: EMNIST_DIR, OUT_DIR, THREADS, SEED (training seed, default 7), FOVEA_SKIP_BUILD=1)
# The README's table: Tools/train_ocr_detector_variants.sh 3000 8 (and SEED=8
# OUT_DIR=out/ocr-variants-seed8 for the second seed); the committed head model:
# OUT_DIR=out/ocr-variants-full Tools/train_ocr_detector_variants.sh 6000 12 centernet-s4-head
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
data=${EMNIST_DIR:-../shared/datasets/emnist}
out=${OUT_DIR:-out/ocr-variants}
count=${1:-3000}
epochs=${2:-8}
shift $(( $# < 2 ? $# : 2 ))
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(centernet-s4 centernet-s4-head grid-s8 grid-s4)
threads=${THREADS:-2}
seed=${SEED:-7}
[ "${FOVEA_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product fovea >&2
fovea=.build/release/fovea
mkdir -p "$out"
# The first COUNT lines of the committed detector's training lines (seed 11: line k of a seed is always the same).
if [ ! -f "$out/lines-train/ground-truth.json" ]; then
  $fovea synth-lines --images "$data/emnist-bymerge-pool-train-images-idx3-ubyte.gz" \
    --labels "$data/emnist-bymerge-pool-train-labels-idx1-ubyte.gz" --count "$count" --seed 11 --output "$out/lines-train"
fi
# The validation lines every choice of the OCR pipeline was made on (pool TRAIN split, seed 99).
if [ ! -f "$out/lines-val/ground-truth.json" ]; then
  $fovea synth-lines --images "$data/emnist-bymerge-pool-train-images-idx3-ubyte.gz" \
    --labels "$data/emnist-bymerge-pool-train-labels-idx1-ubyte.gz" --count 300 --seed 99 --output "$out/lines-val"
fi
val=$out/lines-val/ground-truth.json

options() {
  case $1 in
    centernet-s4) echo "" ;;
    centernet-s4-head) echo "--class-head" ;;
    grid-s8) echo "--stride 8 --assignment centre-cell" ;;
    grid-s4) echo "--stride 4 --assignment centre-cell" ;;
    *) echo "unknown variant '$1'" >&2; exit 2 ;;
  esac
}

# score NAME MODEL LABELS: CER and AP of one detector on the validation lines.
score() {
  local name=$1 model=$2 labels=$3
  $fovea detect "$out"/lines-val/line-*.png --model "$model" --labels "$labels" --json \
    --coco-results "$out/$name-$labels-results.json" --ground-truth "$val" --threads "$threads" \
    > "$out/$name-$labels.jsonl" 2> "$out/$name-$labels.err" || { cat "$out/$name-$labels.err" >&2; exit 1; }
  local cer ap
  cer=$(grep -o "character error rate: [0-9.]*" "$out/$name-$labels.err" | awk '{print $4}')
  ap=$($fovea evaluate --ground-truth "$val" --detections "$out/$name-$labels-results.json" \
    | grep -E "Average Precision .*(0.50:0.95|0.50 ) .*area= +all .*100" | awk '{print $NF}' | paste -sd' ')
  printf "%-20s %-14s CER %s  AP AP50 %s\n" "$name" "$labels" "$cer" "$ap" | tee -a "$out/results.txt"
}

for v in "${variants[@]}"; do
  read -r -a opts <<< "$(options "$v")"
  if [ ! -f "$out/$v/ocr-detector.safetensors" ]; then
    mkdir -p "$out/$v"
    start=$(date +%s)
    $fovea train detector --ground-truth "$out/lines-train/ground-truth.json" --epochs "$epochs" \
      --output "$out/$v/ocr-detector.safetensors" --plots-dir "$out/$v" --threads "$threads" --seed "$seed" "${opts[@]}" \
      > "$out/$v/training.log" 2>&1
    echo "training took $(( $(date +%s) - start )) s" >> "$out/$v/training.log"
  fi
  tail -4 "$out/$v/training.log"
  score "$v" "$out/$v/ocr-detector.safetensors" classifier
  [ "$v" = centernet-s4-head ] && score "$v" "$out/$v/ocr-detector.safetensors" detector-head
done
# The committed detector (6,000 lines x 12 epochs) on the same lines, for reference.
score committed Models/ocr-detector.safetensors classifier
