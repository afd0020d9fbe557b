#!/usr/bin/env bash
# Proves that Fovea's weight files load in Python's `safetensors`/numpy with the
# same values, that files written by Python load in Fovea, and (when the venv
# has tensorflow) that Keras rebuilds the model from the file's metadata alone
# (Tools/check_safetensors.py).
#
# Environment:
#   FOVEA_PEER_VENV  an existing venv with numpy and safetensors
#                    (default: .venv-peer in the repository, created if missing)
#   FOVEA_BIN        the fovea binary to test (default: a debug build, made here)
# Arguments are passed on to check_safetensors.py (e.g. --arch lenet5).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

venv="${FOVEA_PEER_VENV:-$root/.venv-peer}"
if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv with numpy and safetensors" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
fi
if ! "$venv/bin/python" -c "import numpy, safetensors" 2>/dev/null; then
    "$venv/bin/pip" install --quiet numpy safetensors
fi

if [ -z "${FOVEA_BIN:-}" ]; then
    swift build --product fovea >&2
    FOVEA_BIN="$(swift build --show-bin-path)/fovea"
fi

# With tensorflow in the venv, Keras also rebuilds each model from the file's metadata.
keras=()
if "$venv/bin/python" -c "import tensorflow" 2>/dev/null; then keras=(--keras); fi

exec "$venv/bin/python" "$root/Tools/check_safetensors.py" --fovea "$FOVEA_BIN" "${keras[@]}" "$@"
