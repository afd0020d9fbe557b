#!/usr/bin/env bash
# Runs schemathesis (PyPI, in Tools/.venv-schemathesis) against a running
# `fovea serve`'s own /openapi.json: every route, parameter and body the
# document describes, generated examples plus invalid ones, all checks (no
# server errors, statuses/content types/bodies as documented).
#   Tools/fuzz_service.sh [MAX_EXAMPLES=100]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-100}
Tools/setup.sh >/dev/null
venv=Tools/.venv-schemathesis
[ -x $venv/bin/schemathesis ] || { python3 -m venv $venv && $venv/bin/pip install -q "schemathesis>=4,<5"; }
swift build -c release --product fovea >/dev/null
out=$(mktemp)
.build/release/fovea serve --port 0 --log-level warning >"$out" 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 300); do grep -q "listening on" "$out" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.]*:[0-9]*' "$out")
$venv/bin/schemathesis --version
$venv/bin/schemathesis --config-file Tools/service/schemathesis.toml run "$url/openapi.json" --checks all --max-examples "$examples" --workers 1 \
  --report-dir "$(mktemp -d)" "${@:2}"
