#!/bin/sh
# make run: demo data -> index -> portal (or, until the portal exists, status).
set -eu
dir=$1; db=$2
bin=bin
if [ ! -f "$dir/codes.txt" ]; then
    echo "== making demo data in $dir (clearly marked DEMO certificates)"
    "$bin/hocba-demo" --out "$dir" --students "${STUDENTS:-300}" --seed "${SEED:-1}"
fi
# The demo index is derived data: one an older build wrote (another index
# format) or that cannot be read is made again from the packages.
if [ -f "$db/data.mdb" ] && ! "$bin/hocba-publish" --db "$db" status >/dev/null 2>&1; then
    echo "== $db cannot be read by this build ($("$bin/hocba-publish" --db "$db" status 2>&1 | head -1)); making it again"
    rm -rf "$db"
fi
echo "== publishing into $db"
"$bin/hocba-publish" --db "$db" trust "$dir/trust/anchors.pem" "$dir/trust/intermediates.pem"
"$bin/hocba-publish" --db "$db" schools "$dir/schools.json"
# The batch goes in before the CRLs so that the transcripts signed by the
# demo's compromised teacher certificate are published and then show as
# invalid once the CRL is in: the demo shows every verdict.
rc=0; "$bin/hocba-publish" --db "$db" batch "$dir/batch" > "$dir/publish.log" || rc=$?
echo "   batch: $(grep -c ' published$' "$dir/publish.log" || true) published, $(grep -c ' already published$' "$dir/publish.log" || true) already, $(grep -c ' refused: ' "$dir/publish.log" || true) refused (exit $rc; see $dir/publish.log)"
"$bin/hocba-publish" --db "$db" crl "$dir"/trust/*.crl
"$bin/hocba-publish" --db "$db" status
echo "== codes to try (from $dir/codes.txt): one of each verdict, then a valid one of each level"
grep -v '^#' "$dir/codes.txt" | awk -F'\t' '!seen[$2]++ {print "   " $1 "  " $2 "  " $3}'
# LEVEL is the fourth column; of a secondary level, a pupil who completed it (grade 9 or 12) where there is one
grep -v '^#' "$dir/codes.txt" | awk -F'\t' '
    $2 == "valid" && $4 != "" {
        if (!($4 in first)) { first[$4] = $0; order[++n] = $4 }
        if (!($4 in done) && $3 ~ /HOAN_THANH/) done[$4] = $0
    }
    END { for (i = 1; i <= n; i++) { l = order[i]; split((l in done) ? done[l] : first[l], f, "\t")
                                     print "   " f[1] "  " l "  " f[3] } }'
if [ -x "$bin/hocba-portal" ]; then
    listen=${LISTEN:-127.0.0.1:8080}
    # the demo's receipt key (hocba-demo writes it; demo data made before it had none)
    set --
    if [ -f "$dir/receipt/receipt.pem" ] && [ -f "$dir/receipt/receipt.key" ]; then
        set -- --receipt-cert "$dir/receipt/receipt.pem" --receipt-key "$dir/receipt/receipt.key"
        echo "== receipts: signed by the DEMO receipt key; verify one with openssl cms -verify -inform DER -CAfile $dir/receipt/root.pem"
    else
        echo "== receipts: off ($dir has no DEMO receipt key: remove $dir to make the demo data again)"
    fi
    echo "== the portal: open http://$listen/ and enter one of the codes above (Ctrl-C stops it)"
    exec "$bin/hocba-portal" --db "$db" --listen "$listen" "$@"
fi
echo "== the portal (hocba-portal) is not built yet; the index above is ready for it."
