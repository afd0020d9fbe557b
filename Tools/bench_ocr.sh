#!/usr/bin/env bash
# OCR speed, Fovea and Tesseract in the same run on the same pixels: the
# bundled sample lines resized to 256x32 (or the size given), one line end to
# end with decoding excluded; Tesseract 5 (--psm 7, one thread) reads the same
# resized lines with its model loaded once for the whole list.
# usage: Tools/bench_ocr.sh [WxH]   (env: FOVEA_SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
size=${1:-256x32}
out=out/bench-ocr
if ! command -v tesseract >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq tesseract-ocr >&2
fi
[ "${FOVEA_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product fovea >&2
rm -rf "$out"; mkdir -p "$out"
echo "== fovea bench-lines --size $size"
.build/release/fovea bench-lines --size "$size" --write-resized "$out/lines"
echo "== tesseract --psm 7 (OMP_THREAD_LIMIT=1), 20 passes over the same lines"
ls "$PWD/$out"/lines/*.png > "$out/list.txt"
for _ in $(seq 20); do cat "$out/list.txt"; done > "$out/list20.txt"
n=$(wc -l < "$out/list20.txt")
start=$(date +%s.%N)
OMP_THREAD_LIMIT=1 tesseract "$out/list20.txt" "$out/tess" --psm 7 -l eng 2>/dev/null
end=$(date +%s.%N)
python3 -c "print('tesseract: %.2f ms a line (%d lines, model loaded once)' % (($end - $start) * 1000 / $n, $n))"
