#!/usr/bin/env bash
# Runs Fovea's whole test suite (debug build), after installing missing system libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/test.log
