#!/usr/bin/env bash
# Runs Fovea's whole test suite (debug build), after installing missing system libraries.
# The suite is XCTest; the last line sums it up as "tests: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
Tools/setup.sh
swift build --build-tests
log=.build/test.log
status=0
swift test --skip-build --disable-swift-testing 2>&1 | tee "$log" || status=$?
# XCTest's line: "Executed N tests, with [S tests skipped and ]F failures (U unexpected) ...".
summary=$(grep -E "Test Suite 'All tests' (passed|failed)" -A1 "$log" \
  | grep -oE 'Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?' | tail -n 1)
if [ -z "$summary" ]; then
  echo "tests: the test runner printed no summary (exit status $status)" >&2
  exit $(( status == 0 ? 1 : status ))
fi
total=$(echo "$summary" | grep -oE 'Executed [0-9]+' | grep -oE '[0-9]+')
skipped=$(echo "$summary" | grep -oE '[0-9]+ tests? skipped' | grep -oE '[0-9]+' || true)
failed=$(echo "$summary" | grep -oE '[0-9]+ failures?' | grep -oE '[0-9]+')
skipped=${skipped:-0}
echo "tests: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
exit "$status"
