#!/bin/sh
# tools/setup.sh — install the Debian packages hocba needs, and nothing else.
#
#   sh tools/setup.sh [run|test|fuzz|bench|format|check]...
#
#   run    (the default) build, make demo data and serve it: a C compiler,
#          make, the libraries, openssl and lmdb-utils
#   test   run + what `make test` needs: cmocka, clang with its sanitizer
#          runtime, haproxy, wrk, zbar-tools, librsvg2-bin, Debian's chromium,
#          poppler-utils, fonts, curl, and nodejs + npm (npm installs the
#          pinned npm packages, Node.js 22 among them: see the README)
#   fuzz   run + clang and its runtime (libFuzzer)
#   bench  run + wrk, h2o, python3
#   format clang-format (`make format-check`, run by CI)
#   check  install nothing: list what `run test fuzz bench format` lack, exit 2 if anything
#
# Written in POSIX sh because a bare Debian 12 has no make and no bash
# guarantee beyond /bin/sh (dash). It is idempotent: it asks dpkg which of
# the packages are installed and installs only the missing ones, saying
# which; when nothing is missing it prints nothing and touches nothing. It
# only ever installs from the machine's configured Debian archive (apt-get);
# the npm packages come from the npm registry through `npm ci` (Makefile).
# As root it runs apt-get itself; as another user it uses sudo.
set -eu

RUN_PKGS="make gcc libc6-dev openssl libh2o-evloop-dev liblmdb-dev lmdb-utils libssl-dev
    libqrencode-dev libjansson-dev zlib1g-dev libdeflate-dev liblz4-dev libunistring-dev"
TEST_PKGS="libcmocka-dev clang libclang-rt-14-dev haproxy wrk zbar-tools librsvg2-bin
    chromium poppler-utils fonts-liberation fonts-dejavu-core fonts-noto-core curl
    ca-certificates nodejs npm"
FUZZ_PKGS="clang libclang-rt-14-dev"
BENCH_PKGS="wrk h2o python3"
FORMAT_PKGS="clang-format"

want=""
check=0
[ $# -gt 0 ] || set -- run
for group in "$@"; do
    case $group in
    run) want="$want $RUN_PKGS" ;;
    test) want="$want $RUN_PKGS $TEST_PKGS" ;;
    fuzz) want="$want $RUN_PKGS $FUZZ_PKGS" ;;
    bench) want="$want $RUN_PKGS $BENCH_PKGS" ;;
    format) want="$want $FORMAT_PKGS" ;;
    check)
        check=1
        want="$want $RUN_PKGS $TEST_PKGS $FUZZ_PKGS $BENCH_PKGS $FORMAT_PKGS"
        ;;
    *)
        echo "usage: sh tools/setup.sh [run|test|fuzz|bench|format|check]..." >&2
        exit 2
        ;;
    esac
done

# dpkg's own answer, package by package: "ii" is installed; anything else
# (not known, removed, half-configured) is missing.
missing=""
for p in $want; do
    case " $missing " in *" $p "*) continue ;; esac
    # Node.js and npm from elsewhere (NodeSource's nodejs carries npm and
    # conflicts with Debian's npm): only `npm ci` needs them, any will do
    case $p in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
    case $st in ii*) ;; *) missing="$missing $p" ;; esac
done
[ -n "$missing" ] || exit 0

if [ $check = 1 ]; then
    echo "hocba: these Debian packages are not installed:$missing" >&2
    echo "hocba: sh tools/setup.sh run test fuzz bench   installs them" >&2
    exit 2
fi

if [ "$(id -u)" = 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "hocba: these Debian packages are needed:$missing" >&2
    echo "hocba: run this script as root, or install sudo, or install them yourself" >&2
    exit 2
fi

echo "hocba: installing from the Debian archive:$missing"
export DEBIAN_FRONTEND=noninteractive
# a fresh system (mmdebstrap, a container) may carry no package lists at all
$as_root apt-get update -q
# shellcheck disable=SC2086 # word splitting is the point: one argument a package
$as_root apt-get install -y -q --no-install-recommends $missing
echo "hocba: installed:$missing"
