#!/bin/sh
# Build and run the libFuzzer targets for a bounded time each, after
# replaying every regression input (crashes found once stay fixed).
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]     (default 20)
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-20}
out=build/fuzz
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
flags="-std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Werror"
libs="-llmdb -ljansson -lqrencode -lz -ldeflate -llz4 -lunistring -lssl -lcrypto -lpthread -lm"
lib_src=$(ls lookup/*.c)
work=$(mktemp -d /tmp/hocba-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT

# Seeds made fresh each run: demo packages (payloads and .p7s), codes, templates.
bin=${HOCBA_BIN:-bin}
"$bin/hocba-demo" --out "$work/demo" --students 6 --seed 9 >/dev/null
# the shipped seed corpora are tests/fuzz/corpus/TARGET; these add fresh ones
mkdir -p "$work/seed/code" "$work/seed/payload" "$work/seed/cms" "$work/seed/render" "$work/seed/router" \
    "$work/seed/verify_body" "$work/seed/framing" "$work/seed/ber" "$work/seed/vnfold" "$work/seed/multipart" \
    "$work/seed/publog" "$work/seed/record"
cut -f1 "$work/demo/codes.txt" | grep -v '^#' | head -5 | while read -r c; do printf '%s' "$c" > "$work/seed/code/$c"; done
cp "$work"/demo/batch/*.json "$work/seed/payload/"
mkdir -p "$work/seed/jsonfast" && cp "$work"/demo/batch/*.json "$work/seed/jsonfast/"
cp "$work"/demo/batch/*.p7s "$work/seed/cms/"
# BER: the demo's DER files and the BER fixtures, whole files (each one element)
cp "$work"/demo/batch/*.p7s tests/fixtures/ber/batch/*.p7s "$work/seed/ber/"
cp templates/*.html "$work/seed/render/"
# the demo's root and the BER fixtures' (tests/fuzz/corpus/cms/ber-*.p7s are signed under it)
cat "$work/demo/trust/anchors.pem" tests/fixtures/ber/trust/anchors.pem >"$work/anchors.pem"
# a publication log of the demo: its segments (trust, schools, the batch)
mkdir -p "$work/log"
"$bin/hocba-publish" --db "$work/index" --log "$work/log" trust "$work/demo/trust/anchors.pem" \
    "$work/demo/trust/intermediates.pem" >/dev/null
"$bin/hocba-publish" --db "$work/index" --log "$work/log" schools "$work/demo/schools.json" >/dev/null
"$bin/hocba-publish" --db "$work/index" --log "$work/log" batch "$work/demo/batch" >/dev/null || true
cp "$work"/log/*.seg "$work/seed/publog/"
# stored records: the demo's payloads, each behind an odd first byte (fuzz_record packs it, reads it
# back, flips a byte of what it stored)
for f in "$work"/demo/batch/*.json; do
    { printf '\001'; cat "$f"; } > "$work/seed/record/$(basename "$f")"
done
export HOCBA_FUZZ_ANCHORS="$work/anchors.pem"
# scratch files of a target (fuzz_record's index) go with the run, a crash's included
export HOCBA_FUZZ_TMP="$work"

total_runs=0
for t in code payload cms render router verify_body jsonfast framing ber vnfold multipart publog record; do
    extra=""
    case $t in
    router | verify_body) extra="portal/match.c" ;;
    framing) extra="portal/framing.c" ;;
    multipart) extra="portal/multipart.c portal/match.c" ;;
    esac
    $CC $flags tests/fuzz/fuzz_$t.c $extra $lib_src -o "$out/fuzz_$t" $libs
    # regressions: every input that once crashed a target
    if [ -d "tests/fuzz/crashes/$t" ] && [ -n "$(ls "tests/fuzz/crashes/$t")" ]; then
        "$out/fuzz_$t" "tests/fuzz/crashes/$t"/* >/dev/null 2>&1 || { echo "fuzz_$t: a regression input fails again"; exit 1; }
    fi
    mkdir -p "$work/corpus/$t"
    # the shipped corpus is read, never written (new inputs go to the first directory)
    shipped=""
    [ -d "tests/fuzz/corpus/$t" ] && shipped="tests/fuzz/corpus/$t"
    log="$work/$t.log"
    if ! "$out/fuzz_$t" -max_total_time="$secs" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$work/crash-$t-" "$work/corpus/$t" "$work/seed/$t" $shipped >"$log" 2>&1; then
        tail -40 "$log"
        echo "fuzz_$t: crash; the input is kept in tests/fuzz/crashes/$t"
        mkdir -p "tests/fuzz/crashes/$t"
        cp "$work"/crash-$t-* "tests/fuzz/crashes/$t/" 2>/dev/null || true
        exit 1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}' | tail -1)
    [ -n "$runs" ] || runs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    echo "fuzz_$t: ${runs:-?} executions in ${secs} s, no crash"
    total_runs=$((total_runs + ${runs:-0}))
done
echo "fuzzing: $total_runs executions, no crash"
