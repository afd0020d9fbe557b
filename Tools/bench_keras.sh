#!/usr/bin/env bash
# Peer benchmark: `fovea bench` against the same models in Keras (tensorflow-cpu).
# Builds fovea in release mode, prepares a Python venv with tensorflow-cpu and
# prints the comparison table (Tools/bench_keras.py).
#
# Environment:
#   FOVEA_PEER_VENV  an existing venv with tensorflow-cpu and numpy
#                    (default: .venv-peer in the repository, created if missing)
#   FOVEA_BIN        a release-built fovea binary (default: build one with
#                    `swift build -c release --product fovea`)
#   THREADS          threads for both Fovea and Keras (default: all cores)
# Arguments are passed on to bench_keras.py (e.g. --rounds 3, --quick, --json FILE).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

venv="${FOVEA_PEER_VENV:-$root/.venv-peer}"
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv with tensorflow-cpu" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
fi
if ! "$venv/bin/python" -c "import tensorflow, numpy" 2>/dev/null; then
    "$venv/bin/pip" install --quiet tensorflow-cpu numpy
fi

if [ -z "${FOVEA_BIN:-}" ]; then
    echo "building fovea (release)" >&2
    swift build -c release --product fovea >&2
    FOVEA_BIN="$(swift build -c release --show-bin-path)/fovea"
fi

exec "$venv/bin/python" "$root/Tools/bench_keras.py" --fovea "$FOVEA_BIN" \
    --threads "${THREADS:-$(nproc)}" "$@"
