#!/bin/sh
# make test: the C tests (cmocka, under the sanitizers), then every answer of
# the portal's API they saw against static/openapi.json (tests/openapi/check.mjs;
# the tests write them to $HOCBA_API_LOG), then the browser tests, then ONE
# closing line with the counts of all three. A part that prints no summary
# line counts as a failure.
#   tests/run-everything.sh TEST_BINARY...
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="$ROOT/tools/nodepath:$ROOT/node_modules/.bin:$PATH"
export PATH
log=$(mktemp)
api_log=$(mktemp)
trap 'rm -f "$log" "$api_log"' EXIT
HOCBA_API_LOG="$api_log" tests/run-all.sh "$@" | tee "$log"
node tests/openapi/check.mjs "$api_log" 2>&1 | tee -a "$log"
tests/browser/run.sh 2>&1 | tee -a "$log"
awk '/^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3; n++ }
     /^api-schema: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4; n++ }
     /^browser: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4; n++ }
     END { if (n < 3) f += 3 - n; printf "%d passed, %d failed\n", p, f; exit f > 0 }' "$log"
