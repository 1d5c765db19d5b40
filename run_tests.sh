#!/usr/bin/env bash
# Lint, then run the unit and functional tests with stestr.
# Extra arguments are passed to `stestr run` (e.g. a test-name filter).
set -euo pipefail
. "$(dirname "$0")/tools/bootstrap.sh"
ruff check novaclient_force osc_plugin tests benchmarks
status=0
stestr run "$@" | tee .stestr-output.txt || status=$?
passed=$(sed -n 's/^ - Passed: \([0-9]*\).*/\1/p' .stestr-output.txt | tail -1)
failed=$(sed -n 's/^ - Failed: \([0-9]*\).*/\1/p' .stestr-output.txt | tail -1)
rm -f .stestr-output.txt
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
