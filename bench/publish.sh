#!/bin/sh
# Publish rate for demo packages, as a ratio to the crypto floor measured in
# the same run: `openssl speed rsa2048` verifies/s on one core, divided by 3
# (three signatures per transcript).
#   bench/publish.sh [STUDENTS]      (default 5000)
set -eu
cd "$(dirname "$0")/.."
n=${1:-5000}
work=${BENCH_DIR:-/tmp/hocba-bench-publish}
rm -rf "$work"; mkdir -p "$work"
make -s all
echo "== demo data: $n students"
start=$(date +%s.%N)
bin/hocba-demo --out "$work/demo" --students "$n" --seed 1 >/dev/null
end=$(date +%s.%N)
demo_s=$(awk "BEGIN {print $end - $start}")
pkgs=$(ls "$work/demo/batch"/*.json | wc -l)
bytes=$(cat "$work/demo/batch"/* | wc -c)
db="$work/index"
bin/hocba-publish --db "$db" trust "$work/demo/trust/anchors.pem" "$work/demo/trust/intermediates.pem" >/dev/null
bin/hocba-publish --db "$db" schools "$work/demo/schools.json" >/dev/null
bin/hocba-publish --db "$db" crl "$work/demo/trust/"*.crl >/dev/null
echo "== openssl speed rsa2048 (one core)"
verifies=$(openssl speed -seconds 3 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $NF}')
echo "== publishing $pkgs packages"
start=$(date +%s.%N)
bin/hocba-publish --db "$db" batch "$work/demo/batch" > "$work/publish.log" || true
end=$(date +%s.%N)
pub_s=$(awk "BEGIN {print $end - $start}")
published=$(grep -c ' published$' "$work/publish.log" || true)
idx_bytes=$(du -b "$db/data.mdb" | cut -f1)
rate=$(awk "BEGIN {print $pkgs / $pub_s}")
floor=$(awk "BEGIN {print $verifies / 3}")
printf '%-44s %s\n' "demo generation ($n students)" "$(printf '%.2f s' "$demo_s")"
printf '%-44s %s\n' "packages checked / published" "$pkgs / $published"
printf '%-44s %s\n' "publish time" "$(printf '%.2f s' "$pub_s")"
printf '%-44s %s\n' "publish rate" "$(printf '%.0f packages/s' "$rate")"
printf '%-44s %s\n' "openssl speed rsa2048 verify/s (1 core)" "$(printf '%.0f' "$verifies")"
printf '%-44s %s\n' "crypto floor (verify/s / 3)" "$(printf '%.0f transcripts/s' "$floor")"
printf '%-44s %s\n' "publish ratio (rate / floor, goal >= 0.5)" "$(printf '%.2f' "$(awk "BEGIN {print $rate / $floor}")")"
printf '%-44s %s\n' "index bytes / package bytes" "$(printf '%.2f' "$(awk "BEGIN {print $idx_bytes / $bytes}")")"
