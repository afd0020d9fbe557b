#!/usr/bin/env bash
# Builds the libFuzzer targets of Tools/fuzz (coverage-instrumented Swift and
# C, AddressSanitizer) and runs each for a while on a corpus seeded from the
# repository's own files (bundled images, COCO examples, committed models, the
# EMNIST mini set). A crash leaves its input in out/fuzz/<target>/crash-*.
# usage: Tools/fuzz.sh [SECONDS_EACH=60] [TARGET...]   (env: FOVEA_SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
Tools/setup.sh
seconds=${1:-60}; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(FuzzPNG FuzzJPEG FuzzCOCO FuzzSafetensors FuzzIDX)
build=$root/.build-fuzz
if [ "${FOVEA_SKIP_BUILD:-0}" != 1 ]; then
  swift build --package-path Tools/fuzz --build-path "$build" -c debug \
    -Xswiftc -sanitize=fuzzer,address \
    -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld >&2
fi
seed() {   # seed TARGET: the corpus folder, filled once from the repository
  local dir=out/fuzz/$1/corpus
  [ -d "$dir" ] && { echo "$dir"; return; }
  mkdir -p "$dir"
  case $1 in
    FuzzPNG) cp Tests/FoveaImageTests/Fixtures/codec/*.png "$dir" ;;
    FuzzJPEG) cp Tests/FoveaImageTests/Fixtures/codec/*.jpg "$dir" ;;
    FuzzCOCO) cp Datasets/detection-example/*.json "$dir" ;;
    FuzzSafetensors) head -c 4096 Models/emnist-default.safetensors > "$dir/head.safetensors"
                     cp Models/ocr-detector.safetensors "$dir/" ;;
    FuzzIDX) cp Datasets/emnist/emnist-mini-test-labels-idx1-ubyte.gz "$dir/"
             gunzip -c Datasets/emnist/emnist-mini-test-images-idx3-ubyte.gz | head -c 3152 > "$dir/images.idx3" ;;
  esac
  echo "$dir"
}
status=0
for t in "${targets[@]}"; do
  corpus=$(seed "$t")
  mkdir -p "out/fuzz/$t/crashes"
  echo "== $t, ${seconds} s, corpus $corpus ($(ls "$corpus" | wc -l) files)"
  max_len=65536; [ "$t" = FuzzIDX ] && max_len=4096   # IDX inputs are read through a file: keep them small
  # -detect_leaks=0: LeakSanitizer reports a block allocated inside Foundation's
  # FileManager.contents(atPath:) for an empty file (FuzzIDX), not Fovea's code;
  # crashes, traps and memory errors are what these targets look for.
  if ! ASAN_OPTIONS=detect_leaks=0 "$build/debug/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="$max_len" -detect_leaks=0 -print_final_stats=1 \
       -artifact_prefix="out/fuzz/$t/crashes/" "$corpus" 2> "out/fuzz/$t/log.txt"; then
    status=1
    echo "$t: FOUND A CRASH, see out/fuzz/$t/log.txt and out/fuzz/$t/crashes/"
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "out/fuzz/$t/log.txt" \
    | tr -s ' ' | tr '\n' ' '
  # Coverage as libFuzzer counts it on its last status line: cov = code edges
  # (PCs of the instrumented Fovea readers) reached, ft = features, corp = corpus units.
  grep -E '#[0-9]+.*cov: ' "out/fuzz/$t/log.txt" | tail -1 \
    | grep -oE '(cov|ft|corp): [^ ]+' | tr '\n' ' '; echo
done
exit "$status"
