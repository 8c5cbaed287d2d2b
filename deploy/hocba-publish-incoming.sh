#!/bin/sh
# Publish what schools dropped in INCOMING as one batch, then archive it with
# the publisher's report. Packages arriving meanwhile wait for the next run.
#   hocba-publish-incoming.sh DB INCOMING ARCHIVE
set -eu
db=$1; incoming=$2; archive=$3
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work="$archive/$stamp"
mkdir -p "$work/batch"
# take whole packages only: a .json and its .p7s move together
for j in "$incoming"/*.json; do
    [ -e "$j" ] || continue
    stem=${j%.json}
    [ -e "$stem.p7s" ] || continue
    mv "$j" "$stem.p7s" "$work/batch/"
done
[ -n "$(ls "$work/batch")" ] || { rmdir "$work/batch" "$work"; exit 0; }
rc=0
/usr/local/bin/hocba-publish --db "$db" batch "$work/batch" --json > "$work/report.jsonl" || rc=$?
echo "hocba-publish: batch $stamp: exit $rc; report in $work/report.jsonl"
# 0: all published; 1: some refused (their reasons are in the report); 2: nothing done
[ $rc -le 1 ]
