#!/bin/sh
# bench/stats.sh — how long `hocba-publish stats` takes on a big index (issue 19:
# under 100 ms with 1,000,000 records), and what the counts cost the publisher.
#   bench/stats.sh [RECORDS [SCHOOLS]]   (defaults 1000000 and 10000)
# The records are one demo package under RECORDS synthetic codes, counted as
# transcripts of SCHOOLS schools across 34 provinces, four levels and five
# school years (bench/fill-index.c). Each command runs 7 times; the median
# and the slowest are printed, in milliseconds, process start included.
set -eu
records=${1:-1000000}; schools=${2:-10000}
work=${BENCH_DIR:-/tmp/hocba-bench-stats}
make -s all build/fill-index
rm -rf "$work"; mkdir -p "$work"
bin/hocba-demo --out "$work/demo" --students 20 --seed 1 >/dev/null
first=$(ls "$work/demo/batch"/*.json | head -1)

ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
t0=$(date +%s%N)
build/fill-index "$work/counted" "$first" "${first%.json}.p7s" "$records" "$schools"
fill_counted=$(ms "$t0")
t0=$(date +%s%N)
build/fill-index "$work/plain" "$first" "${first%.json}.p7s" "$records"
fill_plain=$(ms "$t0")
echo "records: $records of $schools schools; index $(du -m "$work/counted/data.mdb" | cut -f1) MB"
echo "filling with the counts kept: $fill_counted ms; without: $fill_plain ms ($(( (fill_counted - fill_plain) * 1000 / records )) µs a record for the counts)"

time_cmd() {
    what=$1; shift
    all=""
    for k in 1 2 3 4 5 6 7; do
        t0=$(date +%s%N)
        bin/hocba-publish --db "$work/counted" stats "$@" > "$work/out.txt"
        all="$all $(ms "$t0")"
    done
    rows=$(wc -l < "$work/out.txt")
    echo "$all" | tr ' ' '\n' | grep . | sort -n | awk -v what="$what" -v rows="$rows" \
        '{v[NR]=$1} END {printf "%-34s median %4d ms, slowest %4d ms (%d lines)\n", what, v[4], v[7], rows}'
}
time_cmd "stats (by province, every year)"
time_cmd "stats --by school"              --by school
time_cmd "stats --by school --year 2024-2025" --by school --year 2024-2025
time_cmd "stats --by grade --json"        --by grade --json
time_cmd "stats --by province --csv"      --csv
