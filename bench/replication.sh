#!/bin/sh
# bench/replication.sh — what a replica must be sent for one batch (issue 23):
# a snapshot of the whole index (mdb_copy -c) against the publication log's
# segment for the batch, on top of an index of RECORDS records.
#   bench/replication.sh [RECORDS [PACKAGES]]   (defaults 1000000 and 100)
# The index is RECORDS synthetic records (bench/fill-index.c) plus the trust
# inputs of a demo, the first PACKAGES packages of whose batch are then
# published with --log. A replica made from a snapshot taken before the
# batch replays the segment; both digests are printed, with the times.
set -eu
records=${1:-1000000}; packages=${2:-100}
work=${BENCH_DIR:-/tmp/hocba-bench-replication}
make -s all build/fill-index
rm -rf "$work"; mkdir -p "$work"
bin/hocba-demo --out "$work/fill" --students 20 --seed 1 >/dev/null
bin/hocba-demo --out "$work/demo" --students "$packages" --seed 2 >/dev/null
mkdir -p "$work/batch"
for j in $(ls "$work/demo/batch"/*.json | head -n "$packages"); do cp "$j" "${j%.json}.p7s" "$work/batch/"; done
first=$(ls "$work/fill/batch"/*.json | head -1)
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
size() { stat -c %s "$1"; }

build/fill-index "$work/primary" "$first" "${first%.json}.p7s" "$records" 10000 >/dev/null
bin/hocba-publish --db "$work/primary" trust "$work/demo/trust/anchors.pem" "$work/demo/trust/intermediates.pem" >/dev/null
# the synthetic records are the other demo's: they stop verifying, as expected
bin/hocba-publish --db "$work/primary" schools "$work/demo/schools.json" --accept-invalidation >/dev/null
# the replica's starting point: a snapshot before the batch
mkdir -p "$work/replica"
mdb_copy -c "$work/primary" "$work/replica"

mkdir -p "$work/log"
t0=$(date +%s%N)
bin/hocba-publish --db "$work/primary" --log "$work/log" batch "$work/batch" > "$work/batch.log" || true
published=$(grep -c ' published$' "$work/batch.log" || true)
publish_ms=$(ms "$t0")
seg=$(ls "$work/log"/*.seg)
mkdir -p "$work/snapshot"
t0=$(date +%s%N)
mdb_copy -c "$work/primary" "$work/snapshot"
snap_ms=$(ms "$t0")
t0=$(date +%s%N)
bin/hocba-publish --db "$work/replica" replay "$work/log" >/dev/null
replay_ms=$(ms "$t0")
t0=$(date +%s%N)
dp=$(bin/hocba-publish --db "$work/primary" digest)
digest_ms=$(ms "$t0")
dr=$(bin/hocba-publish --db "$work/replica" digest)

echo "index: $records synthetic records + $packages demo packages; data.mdb $(( $(size "$work/primary/data.mdb") / 1048576 )) MB"
echo "batch of $packages packages with --log: $published published, $publish_ms ms"
printf '%-44s %14s bytes  (%s ms to make)\n' "snapshot (mdb_copy -c), the whole index" "$(size "$work/snapshot/data.mdb")" "$snap_ms"
printf '%-44s %14s bytes\n' "the batch's log segment" "$(size "$seg")"
echo "ratio snapshot / segment: $(( $(size "$work/snapshot/data.mdb") / $(size "$seg") ))"
echo "replay of the segment on a replica: $replay_ms ms; digest of the primary: $digest_ms ms"
echo "digests: primary $dp"
echo "         replica $dr"
[ "$dp" = "$dr" ] && echo "equal" || { echo "DIFFERENT"; exit 1; }
