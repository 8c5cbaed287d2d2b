#!/bin/sh
# make test: the C tests (cmocka, under the sanitizers), then the browser
# tests, then ONE closing line with the counts of both.
#   tests/run-everything.sh TEST_BINARY...
set -u
log=$(mktemp)
trap 'rm -f "$log"' EXIT
tests/run-all.sh "$@" | tee "$log"
tests/browser/run.sh 2>&1 | tee -a "$log"
awk '/^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3; n++ }
     /^browser: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4; n++ }
     END { if (n < 2) f += 1; printf "%d passed, %d failed\n", p, f; exit f > 0 }' "$log"
