#!/usr/bin/env bash
# Lint, run the unit and functional tests with stestr, build the docs with
# warnings as errors. Extra arguments are passed to `stestr run` (e.g. a
# test-name filter); the docs are built only for a full run.
set -euo pipefail
. "$(dirname "$0")/tools/bootstrap.sh"
ruff check novaclient_force tests benchmarks doc/source ansible_collections
status=0
stestr --test-path=./tests run "$@" | tee .stestr-output.txt || status=$?
# stestr may end its last message without a newline.
[ -z "$(tail -c 1 .stestr-output.txt)" ] || echo
passed=$(sed -n 's/^ - Passed: \([0-9]*\).*/\1/p' .stestr-output.txt | tail -1)
failed=$(sed -n 's/^ - Failed: \([0-9]*\).*/\1/p' .stestr-output.txt | tail -1)
rm -f .stestr-output.txt
if [ $# -eq 0 ]; then
    sphinx-build -q -W --keep-going -b html -d doc/build/doctrees \
        doc/source doc/build/html || { status=1; echo "docs: build failed"; }
fi
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
