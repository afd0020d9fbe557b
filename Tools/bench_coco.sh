#!/usr/bin/env bash
# Benchmarks `fovea evaluate` against pycocotools and faster-coco-eval on a large
# synthetic COCO problem (5,000 images, 80 categories, ~40k GT, 100k detections),
# then greedy NMS against numpy.
#
# usage: Tools/bench_coco.sh [OUT_DIR]      (default out/bench_coco)
# env:   FOVEA_PEER_VENV  an existing venv with numpy, pycocotools, faster-coco-eval
#                          (default: .venv-peer in the repo root, created if missing)
#        FOVEA_SKIP_BUILD=1  reuse .build/release/fovea
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/out/bench_coco}"
venv="${FOVEA_PEER_VENV:-$root/.venv-peer}"

if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet numpy pycocotools faster-coco-eval
fi
py="$venv/bin/python"

if [ "${FOVEA_SKIP_BUILD:-0}" != 1 ]; then
    (cd "$root" && swift build -c release --product fovea >&2)
fi
fovea="$root/.build/release/fovea"

if [ ! -f "$out/gt.json" ] || [ ! -f "$out/detections.json" ]; then
    "$py" "$root/Tools/gen_coco_bench.py" "$out" --seed 2024
fi

echo "== COCO evaluation: $out"
"$py" "$root/Tools/bench_coco.py" --fovea "$fovea" --python "$py" "$out/gt.json" "$out/detections.json"
echo "== greedy NMS"
"$py" "$root/Tools/bench_nms.py" --fovea "$fovea"
