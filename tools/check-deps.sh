#!/bin/sh
# Say plainly which Debian packages are missing instead of failing later
# with a compiler error. Installs nothing.
missing=""
need() { [ -e "$1" ] || missing="$missing $2"; }
need /usr/include/lmdb.h liblmdb-dev
need /usr/include/jansson.h libjansson-dev
need /usr/include/openssl/cms.h libssl-dev
need /usr/include/cmocka.h libcmocka-dev
need /usr/include/h2o.h libh2o-evloop-dev
need /usr/include/qrencode.h libqrencode-dev
need /usr/include/zlib.h zlib1g-dev
need /usr/include/libdeflate.h libdeflate-dev
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
command -v mdb_stat >/dev/null 2>&1 || missing="$missing lmdb-utils"
if [ -n "$missing" ]; then
    echo "hocba needs these Debian packages, which are not installed:$missing" >&2
    echo "install them with:  sudo apt-get install$missing" >&2
    exit 2
fi
