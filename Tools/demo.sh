#!/usr/bin/env bash
# Quick start: installs missing system libraries, builds `fovea` (release) and runs
# the main jobs on the bundled defaults, printing what it wrote to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
swift build -c release --product fovea
FOVEA=.build/release/fovea
mkdir -p out
echo "== Sobel edge magnitude of the bundled photo"
"$FOVEA" filter --kernel sobel-magnitude Datasets/photos/astronaut.png out/astronaut-sobel.png
