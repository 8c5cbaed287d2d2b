#!/usr/bin/env bash
# run.sh — the browser tests (make browser-test; make test runs them after the C tests).
#
# Builds nothing: the Makefile builds first. Makes demo data and an index in a
# temporary directory with the programs of $HOCBA_BIN (default bin/), adds one
# LONG transcript signed with the stock openssl commands (long-transcript.sh),
# publishes trust, registry, batch and then the CRLs (so the codes.txt
# "invalid-after-crl" codes are invalid), starts hocba-portal on a free
# loopback port, runs the tests with node's built-in test runner against it
# in headless Debian Chromium (playwright-core) and stops the portal.
#
#   tests/browser/run.sh           run the tests
#   tests/browser/run.sh --serve   set up the same data and only serve it (Ctrl-C stops)
#
# Environment: HOCBA_BIN (programs), CHROMIUM (default /usr/bin/chromium),
# BROWSER_TEST_OUT (where screenshots and PDFs go; default a temporary
# directory, kept and printed at the end), KEEP_TMP=1 keeps the index.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BIN=${HOCBA_BIN:-$ROOT/bin}
# the Node.js npm installs (package.json; tools/nodepath/node finds it) before
# Debian's, which is too old
PATH=$ROOT/tools/nodepath:$ROOT/node_modules/.bin:$PATH
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

missing=""
for p in hocba-demo hocba-publish hocba-portal; do [ -x "$BIN/$p" ] || missing="$missing $BIN/$p"; done
[ -z "$missing" ] || { echo "run.sh: not built:$missing (run make first)" >&2; exit 2; }
for t in "$CHROMIUM" node openssl pdftoppm zbarimg curl; do
    command -v "$t" >/dev/null || missing="$missing $t"
done
for m in playwright-core axe-core html-validate; do [ -d "$ROOT/node_modules/$m" ] || missing="$missing node_modules/$m (npm ci)"; done
if [ -n "$missing" ]; then
    echo "run.sh: missing:$missing" >&2
    echo "run.sh: sh tools/setup.sh test   (Debian packages); npm ci   (node_modules)" >&2
    exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hocba-browser.XXXXXX")
OUT=${BROWSER_TEST_OUT:-$TMP/out}
mkdir -p "$OUT"
PORTAL_PID=""
cleanup() {
    if [ -n "$PORTAL_PID" ]; then
        kill -TERM "$PORTAL_PID" 2>/dev/null || true
        wait "$PORTAL_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "run.sh: kept $TMP"
    else
        # keep what the tests saved (screenshots, PDFs, the reports) when it is inside TMP
        case "$OUT" in
        "$TMP"/*) find "$TMP" -mindepth 1 -maxdepth 1 ! -path "$OUT" -exec rm -rf {} + ;;
        *) rm -rf "$TMP" ;;
        esac
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DEMO=$TMP/demo DB=$TMP/index
"$BIN/hocba-demo" --out "$DEMO" --students 40 --seed 3 >"$TMP/demo.log"
tests/browser/long-transcript.sh "$DEMO" "$TMP/long"
pub() { "$BIN/hocba-publish" --db "$DB" "$@"; }
pub trust "$DEMO/trust/anchors.pem" "$DEMO/trust/intermediates.pem" >/dev/null
pub schools "$DEMO/schools.json" >/dev/null
pub batch "$DEMO/batch" >"$TMP/batch.log" || { cat "$TMP/batch.log" >&2; exit 1; }
pub batch "$TMP/long" >"$TMP/long.log" || { cat "$TMP/long.log" >&2; exit 1; }
# the CRLs after the batch: the transcripts signed by the compromised key become invalid
pub crl "$DEMO"/trust/*.crl >/dev/null

# the codes the tests use, from codes.txt and the publisher's output
pick() { awk -F'\t' -v s="$1" -v d="$2" '!/^#/ && $2 == s && $3 ~ d { print $1; exit }' "$DEMO/codes.txt"; }
VALID=$(pick valid 'transcript')
RECALLED=$(pick recalled 'replaced by')
RECALLED_NOREPL=$(pick recalled 'not replaced')
INVALID=$(pick invalid-after-crl 'transcript')
NOTICE=$(pick recall-notice '')
LONG=$(awk '$1 == "long-5a" { print $2 }' "$TMP/long.log")
# the replacement: the transcript whose payload names the recalled code in `supersedes`
REPLACEMENT=$(grep -l "\"supersedes\": *\"$RECALLED\"" "$DEMO"/batch/*.json | head -1)
REPLACEMENT=$(awk -v s="$(basename "$REPLACEMENT" .json)" '$1 == s { print $2 }' "$TMP/batch.log")
# secondary transcripts (codes.txt's LEVEL column): a grade-9 pupil who completed lower secondary, a grade-12 one
pick_level() { awk -F'\t' -v l="$1" -v d="$2" '!/^#/ && $2 == "valid" && $4 == l && $3 ~ d { print $1; exit }' "$DEMO/codes.txt"; }
THCS9=$(pick_level THCS 'grade 9, HOAN_THANH')
THPT12=$(pick_level THPT 'grade 12, HOAN_THANH')
for v in VALID RECALLED RECALLED_NOREPL INVALID NOTICE LONG REPLACEMENT THCS9 THPT12; do
    [ -n "${!v}" ] || { echo "run.sh: no $v code in the demo data" >&2; exit 1; }
done

# a free loopback port (the kernel picks it; the portal takes it right after)
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
URL=http://127.0.0.1:$PORT
"$BIN/hocba-portal" --db "$DB" --listen "127.0.0.1:$PORT" --public-url "$URL" --rate-limit 0 \
    --templates "$ROOT/templates" --static "$ROOT/static" \
    --receipt-cert "$DEMO/receipt/receipt.pem" --receipt-key "$DEMO/receipt/receipt.key" >"$TMP/portal.log" 2>&1 &
PORTAL_PID=$!
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null && break
    kill -0 "$PORTAL_PID" 2>/dev/null || { cat "$TMP/portal.log" >&2; PORTAL_PID=""; exit 1; }
    sleep 0.1
done
curl -fsS -o /dev/null "$URL/healthz" || { echo "run.sh: the portal does not answer" >&2; exit 1; }

export PORTAL_URL=$URL BROWSER_TEST_OUT=$OUT DEMO_DIR=$DEMO \
    CODE_VALID=$VALID CODE_RECALLED=$RECALLED CODE_RECALLED_NOREPL=$RECALLED_NOREPL \
    CODE_REPLACEMENT=$REPLACEMENT CODE_INVALID=$INVALID CODE_NOTICE=$NOTICE CODE_LONG=$LONG \
    CODE_THCS9=$THCS9 CODE_THPT12=$THPT12

if [ "${1:-}" = --serve ]; then
    echo "serving $URL (Ctrl-C stops)"
    for v in VALID RECALLED RECALLED_NOREPL REPLACEMENT INVALID NOTICE LONG THCS9 THPT12; do echo "  $v  $URL/v/${!v}"; done
    wait "$PORTAL_PID"
    exit 0
fi

rm -f "$OUT"/report-*.json
set +e
node --test --test-concurrency=1 --test-reporter=spec tests/browser/*.test.mjs 2>&1 | tee "$OUT/node-test.log"
rc=${PIPESTATUS[0]}
set -e

# Stop the portal: it must stop cleanly on SIGTERM, with no sanitizer report
# (make test runs these tests against the AddressSanitizer build).
kill -TERM "$PORTAL_PID"
prc=0
wait "$PORTAL_PID" || prc=$?
PORTAL_PID=""
portal_bad=0
if [ "$prc" -ne 0 ] || grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$TMP/portal.log"; then
    echo "run.sh: the portal exited with status $prc or a sanitizer reported something:" >&2
    tail -n 60 "$TMP/portal.log" >&2
    cp "$TMP/portal.log" "$OUT/portal.log"
    portal_bad=1
    rc=1
fi

node tests/browser/summary.mjs "$OUT" | tee "$OUT/summary.txt" || true
echo "browser tests: screenshots, PDFs and reports in $OUT"
# one closing line with the counts of node's test runner (and the portal's clean stop)
sed 's/\x1b\[[0-9;]*m//g' "$OUT/node-test.log" | awk -v bad="$portal_bad" '
    /^[^ ]+ pass [0-9]+$/ { p = $NF } /^[^ ]+ fail [0-9]+$/ { f = $NF }
    END { if (p == "" && f == "") f = 1; printf "browser: %d passed, %d failed\n", p, f + bad }'
exit $rc
