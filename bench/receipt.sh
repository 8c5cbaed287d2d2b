#!/bin/sh
# Receipts of issue 20: how many signed receipts a second the portal makes, beside the crypto
# floor (the receipt key's own signatures a second, `openssl speed` on one core), and what each
# costs the portal in CPU (from /proc/PID/stat, less noisy than req/s on a shared host) beside the
# signature's own cost. Also the file check (POST /api/v1/packages/verify of a published package),
# beside the transcript API answer of the same code, uncached: both verify three signatures.
#   bench/receipt.sh [SECONDS] [CONNECTIONS]     (defaults 10, 32)
# The demo's receipt key is ECDSA P-256 (hocba-demo); another key type: RECEIPT_CERT and RECEIPT_KEY.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-10}; conns=${2:-32}
work=${BENCH_DIR:-/tmp/hocba-bench-receipt}
command -v wrk >/dev/null || { echo "bench/receipt.sh needs wrk (apt-get install wrk)"; exit 2; }
make -s all
rm -rf "$work"; mkdir -p "$work"
pid=""
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

bin/hocba-demo --out "$work/demo" --students 200 --seed 1 >/dev/null
db="$work/index"
for step in "trust $work/demo/trust/anchors.pem $work/demo/trust/intermediates.pem" "schools $work/demo/schools.json" \
    "batch $work/demo/batch" "crl $work/demo/trust/issuing-ca.crl $work/demo/trust/root-ca.crl"; do
    # shellcheck disable=SC2086
    bin/hocba-publish --db "$db" $step >/dev/null || true
done
line=$(grep -v '^#' "$work/demo/codes.txt" | awk -F'\t' '$2=="valid" && $3 ~ /: transcript,/ {print; exit}')
code=$(printf '%s' "$line" | cut -f1)
stem=$(printf '%s' "$line" | cut -f3 | cut -d: -f1)
cert=${RECEIPT_CERT:-$work/demo/receipt/receipt.pem}
key=${RECEIPT_KEY:-$work/demo/receipt/receipt.key}

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
bin/hocba-portal --db "$db" --listen "127.0.0.1:$port" --rate-limit 0 --threads 2 --cache-entries 0 \
    --receipt-cert "$cert" --receipt-key "$key" 2>"$work/portal.err" &
pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -lt 200 ] || { cat "$work/portal.err"; exit 1; }; sleep 0.05
done
curl -sf -o "$work/r.p7m" "http://127.0.0.1:$port/api/v1/transcripts/$code/receipt"
openssl cms -verify -in "$work/r.p7m" -inform DER -CAfile "$work/demo/receipt/root.pem" -out /dev/null 2>/dev/null ||
    { echo "the receipt does not verify"; exit 1; }
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# one wrk run: requests/s, and the portal's CPU µs per request
measure() { # URL [wrk args]
    url=$1; shift
    t0=$(ticks)
    out=$(wrk -t2 -c"$conns" -d"${secs}s" "$@" "$url")
    t1=$(ticks)
    n=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
    rps=$(printf '%s\n' "$out" | awk '/^Requests\/sec/ {print $2}')
    non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $NF}')
    [ -z "$non2xx" ] || { echo "wrk saw $non2xx answers that are not 2xx for $url"; exit 1; }
    us=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$n" 'BEGIN {printf "%.0f", t / hz * 1e6 / n}')
    echo "$rps $us"
}

set -- $(measure "http://127.0.0.1:$port/api/v1/transcripts/$code/receipt")
receipt_rps=$1; receipt_us=$2
set -- $(measure "http://127.0.0.1:$port/api/v1/transcripts/$code")
api_rps=$1; api_us=$2

# the file check: the published package's two files, in one multipart body
b=hocbaBenchBoundary
{
    printf -- '--%s\r\nContent-Disposition: form-data; name="payload"; filename="T.json"\r\n\r\n' $b
    cat "$work/demo/batch/$stem.json"
    printf '\r\n--%s\r\nContent-Disposition: form-data; name="signature"; filename="T.p7s"\r\n\r\n' $b
    cat "$work/demo/batch/$stem.p7s"
    printf '\r\n--%s--\r\n' $b
} > "$work/form"
cat > "$work/post.lua" <<EOL
local f = io.open("$work/form", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "multipart/form-data; boundary=$b"
EOL
set -- $(measure "http://127.0.0.1:$port/api/v1/packages/verify" -s "$work/post.lua")
check_rps=$1; check_us=$2

# the crypto floor: the receipt key's signatures on one core
alg=$(openssl x509 -in "$cert" -noout -text | awk '/Public Key Algorithm/ {print $NF; exit}')
bits=$(openssl x509 -in "$cert" -noout -text | sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' | head -1)
case "$alg:$bits" in
id-ecPublicKey:256) speed=ecdsap256 ;; id-ecPublicKey:384) speed=ecdsap384 ;; rsaEncryption:*) speed=rsa$bits ;;
*) echo "no openssl speed for $alg $bits"; exit 2 ;;
esac
sign_s=$(openssl speed -seconds 3 "$speed" 2>/dev/null | awk -v a="$speed" '
    a ~ /^ecdsa/ && /^ *[0-9]+ bits ecdsa/ {print $(NF-1); exit}
    a ~ /^rsa/ && /^rsa +[0-9]+ bits/ {print $(NF-1); exit}')
sign_us=$(awk -v s="$sign_s" 'BEGIN {printf "%.1f", 1e6 / s}')
cores=$(nproc)

echo "receipts (GET /api/v1/transcripts/CODE/receipt, uncached, 2 threads, $conns connections, ${secs} s each, $cores cores):"
echo "  receipts/s                 $receipt_rps   (the crypto floor: $speed sign $sign_s/s on one core, x2 threads = $(awk -v s="$sign_s" 'BEGIN {printf "%.0f", 2 * s}')/s)"
echo "  portal CPU per receipt     ${receipt_us} us   (of which one $speed signature: $sign_us us)"
echo "  the same code's API answer $api_rps/s, ${api_us} us CPU: a receipt costs $(awk -v a="$receipt_us" -v b="$api_us" 'BEGIN {printf "%.0f", a - b}') us more"
echo "file check (POST /api/v1/packages/verify of that published package):"
echo "  checks/s                   $check_rps, ${check_us} us CPU per check"
