#!/usr/bin/env bash
# Fovea's OCR figures and Tesseract's, on the same test lines: 500 lines made
# by `fovea synth-lines` from the EMNIST pool's TEST split (seed 2026), never
# used for any choice. Prints character boxes' COCO AP (`fovea evaluate`),
# the character error rate of the CNN pipeline, the classic segmenter and
# Tesseract 5 (--psm 7), and the time per line.
# usage: Tools/eval_ocr.sh [COUNT]   (env: EMNIST_DIR, OUT_DIR, FOVEA_SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
count=${1:-500}
data=${EMNIST_DIR:-../shared/datasets/emnist}
out=${OUT_DIR:-out/ocr-eval}
if ! command -v tesseract >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq tesseract-ocr >&2
fi
[ "${FOVEA_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product fovea >&2
fovea=.build/release/fovea
lines=$out/lines-test
if [ ! -f "$lines/ground-truth.json" ]; then
  $fovea synth-lines --images "$data/emnist-bymerge-pool-test-images-idx3-ubyte.gz" \
    --labels "$data/emnist-bymerge-pool-test-labels-idx1-ubyte.gz" --count "$count" --seed 2026 --output "$lines" >&2
fi
gt=$lines/ground-truth.json
for seg in cnn classic; do
  echo "== fovea detect --segmenter $seg"
  $fovea detect "$lines"/line-*.png --segmenter $seg --json --coco-results "$out/$seg-results.json" \
    --ground-truth "$gt" --threads 1 > "$out/$seg.jsonl" 2> "$out/$seg.err" || { cat "$out/$seg.err"; exit 1; }
  grep "character error rate" "$out/$seg.err"
  python3 -c "import json,sys; t=[json.loads(l)['elapsed_ms'] for l in open('$out/$seg.jsonl')]; t.sort(); print('ms per line (decode excluded, one thread): median %.2f, mean %.2f' % (t[len(t)//2], sum(t)/len(t)))"
  $fovea evaluate --ground-truth "$gt" --detections "$out/$seg-results.json" | grep -E "Average Precision .*(0.50:0.95|0.50 ) .*all.*100"
done
echo "== tesseract --psm 7"
python3 Tools/peer_tesseract.py "$gt" "$lines" "$out"
$fovea evaluate --ground-truth "$gt" --detections "$out/tesseract-results.json" | grep -E "Average Precision .*(0.50:0.95|0.50 ) .*all.*100"
