#!/bin/sh
# make-favicon.sh — static/favicon.ico from static/favicon.svg.
#
# Run by hand after changing the SVG, and commit both: the build does not
# need rsvg-convert (librsvg2-bin). Browsers that read <link rel="icon"> take
# the SVG; /favicon.ico is for clients that ask for it whatever the page says.
# The ICO holds PNG images of 16, 32 and 48 pixels (PNG inside ICO is read by
# every browser and by Windows since Vista): a 6-byte header, one 16-byte
# entry per image, then the PNGs.
set -eu
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "make-favicon.sh: needs rsvg-convert (apt-get install librsvg2-bin)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes="16 32 48"

# little-endian integers, as bytes
le16() { printf "$(printf '\\%03o\\%03o' $(($1 & 255)) $(($1 >> 8 & 255)))"; }
le32() { le16 $(($1 & 65535)); le16 $(($1 >> 16 & 65535)); }

n=0
for s in $sizes; do
    rsvg-convert -w "$s" -h "$s" -f png static/favicon.svg -o "$tmp/$s.png"
    n=$((n + 1))
done
{
    le16 0; le16 1; le16 "$n" # reserved, type 1 (icon), count
    offset=$((6 + 16 * n))
    for s in $sizes; do
        len=$(wc -c <"$tmp/$s.png")
        # width, height, colours (0: not a palette), reserved; planes 1, 32 bits; size; offset
        printf "$(printf '\\%03o\\%03o\\000\\000' "$s" "$s")"
        le16 1; le16 32; le32 "$len"; le32 "$offset"
        offset=$((offset + len))
    done
    for s in $sizes; do cat "$tmp/$s.png"; done
} >"$tmp/favicon.ico"
mv "$tmp/favicon.ico" static/favicon.ico
echo "static/favicon.ico: $(wc -c <static/favicon.ico) bytes ($sizes px)"
