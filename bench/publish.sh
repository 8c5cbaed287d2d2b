#!/bin/sh
# The publisher's CPU per published package (issue 22), as a ratio to three
# RSA-2048 verifications (`openssl speed rsa2048` on one core, measured in the
# same run; three signatures per transcript): user + system time of the
# `batch` process, process start included, into an index that holds the
# trust inputs and nothing else. Target <= 1.6. The publish rate against the
# crypto floor (verifies/s / 3) is printed as information, and so is a lower
# bound no change to the rest of the publisher could go under: the parse
# and verification of each package, the checks the spec requires,
# timed in one process over the published records (bench/coldpath.c), and
# what that leaves of the target for reading the files and writing the index.
#   bench/publish.sh [STUDENTS]      (default 2000: 2,041 packages)
set -eu
cd "$(dirname "$0")/.."
n=${1:-2000}
work=${BENCH_DIR:-/tmp/hocba-bench-publish}
rm -rf "$work"; mkdir -p "$work"
make -s all build/coldpath
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
# the CPU of waited-for children so far, in seconds (the second line of `times`)
# (`times` runs in this shell, not in a command substitution's subshell)
child_cpu() { awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); t += a[1] * 60 + a[2] } print t }' "$work/times"; }
times > "$work/times"; cpu0=$(child_cpu)
start=$(date +%s.%N)
bin/hocba-publish --db "$db" batch "$work/demo/batch" > "$work/publish.log" || true
end=$(date +%s.%N)
times > "$work/times"; cpu1=$(child_cpu)
pub_s=$(awk "BEGIN {print $end - $start}")
published=$(grep -c ' published$' "$work/publish.log" || true)
idx_bytes=$(du -b "$db/data.mdb" | cut -f1)
rate=$(awk "BEGIN {print $pkgs / $pub_s}")
floor=$(awk "BEGIN {print $verifies / 3}")
per=$(awk "BEGIN {print ($cpu1 - $cpu0) / $published * 1e6}")
rsa3=$(awk "BEGIN {print 3e6 / $verifies}")
ratio=$(awk "BEGIN {print $per / $rsa3}")
printf '%-44s %s\n' "publisher CPU per package / three RSA" "$(printf '%.2f (%.1f us against %.1f us; %.2f s CPU)   target <= 1.6   %s' "$ratio" "$per" "$rsa3" "$(awk "BEGIN {print $cpu1 - $cpu0}")" "$(awk "BEGIN {print ($ratio <= 1.6) ? \"met\" : \"NOT MET\"}")")"
grep -v '^#' "$work/demo/codes.txt" | awk -F'\t' '$2 == "valid" {print $1}' > "$work/codes"
build/coldpath "$db" templates "$work/codes" 3 > "$work/coldpath.txt"
stage() { awk -v s="$1" 'index($0, s) == 3 {v = $(NF - 1)} END {print v + 0}' "$work/coldpath.txt"; }
checks=$(awk "BEGIN {print $(stage parse) + $(stage verify)}")
left=$(awk "BEGIN {print 1.6 * $rsa3 - $checks}")
printf '%-44s %s\n' "at least: parse + verify a package" "$(printf '%.1f us = %.2f of three RSA (bench/coldpath.c); reading its two files, writing the index and the start must fit in %.1f us to meet 1.6 (information)' "$checks" "$(awk "BEGIN {print $checks / $rsa3}")" "$left")"
printf '%-44s %s\n' "demo generation ($n students)" "$(printf '%.2f s' "$demo_s")"
printf '%-44s %s\n' "packages checked / published" "$pkgs / $published"
printf '%-44s %s\n' "publish time" "$(printf '%.2f s' "$pub_s")"
printf '%-44s %s\n' "publish rate" "$(printf '%.0f packages/s' "$rate")"
printf '%-44s %s\n' "openssl speed rsa2048 verify/s (1 core)" "$(printf '%.0f' "$verifies")"
printf '%-44s %s\n' "crypto floor (verify/s / 3)" "$(printf '%.0f transcripts/s' "$floor")"
printf '%-44s %s\n' "publish rate / crypto floor (information)" "$(printf '%.2f' "$(awk "BEGIN {print $rate / $floor}")")"
printf '%-44s %s\n' "index bytes / package bytes" "$(printf '%.2f' "$(awk "BEGIN {print $idx_bytes / $bytes}")")"
