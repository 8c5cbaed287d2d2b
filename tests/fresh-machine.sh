#!/bin/sh
# tests/fresh-machine.sh — the README's two commands on a bare Debian 12.
#
# Builds a minimal Debian 12 root with mmdebstrap (--variant=apt: the base
# system and apt, no compiler, no make, no sudo), copies this working tree
# into it (what git tracks plus untracked files it does not ignore: no
# build/, bin/, node_modules/), then runs in a chroot, as root:
#   1. the README's first command, with the portal on a loopback port; the
#      step ends when /healthz answers 200 (probed from outside the chroot),
#      and the portal is stopped;
#   2. the README's second command, `make test`;
# and prints each step's time and the test summary. Not part of `make test`:
# it takes many minutes and needs the Debian archive and the npm registry.
#
#   sudo sh tests/fresh-machine.sh            (needs root: chroot and mounts)
#
# Environment: SUITE (default bookworm), MIRROR (default: this machine's
# Debian sources), WORK (the directory under which a new one is made for
# the root; default /var/tmp), KEEP=1 keeps the root afterwards, PORT (a
# free loopback port for the portal; default 18080).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SUITE=${SUITE:-bookworm}
PORT=${PORT:-18080}
[ "$(id -u)" = 0 ] || { echo "fresh-machine.sh: run it as root (chroot, mounts)" >&2; exit 2; }
for t in mmdebstrap curl; do
    command -v $t >/dev/null || { echo "fresh-machine.sh: needs $t (apt-get install $t)" >&2; exit 2; }
done

# always a directory of our own: cleanup removes it, and only it
WORK=$(mktemp -d "${WORK:-/var/tmp}/hocba-fresh.XXXXXX")
case $WORK in *[!A-Za-z0-9/._-]*)
    echo "fresh-machine.sh: $WORK: use a path without spaces or special characters" >&2
    rmdir "$WORK"
    exit 2
    ;;
esac
if curl -s -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then
    echo "fresh-machine.sh: something already answers on 127.0.0.1:$PORT; set PORT" >&2
    rmdir "$WORK"
    exit 2
fi
CH=$WORK/root
LOG=$WORK/log
mkdir -p "$LOG"
mounted=""
portal=""

# signal every process whose root is the chroot (a portal, a test server)
kill_chroot() {
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$CH" ] && kill "-$1" "${p#/proc/}" 2>/dev/null
    done
    return 0
}

cleanup() {
    rc=$?
    [ -z "$portal" ] || kill "$portal" 2>/dev/null || true
    kill_chroot KILL
    # the binds are slaves (below): unmounting them never reaches the host's
    # own mounts; one still busy is left, and so is the whole directory
    for m in $mounted; do umount -R "$m" 2>/dev/null || true; done
    if [ "${KEEP:-0}" = 1 ]; then
        echo "fresh-machine.sh: kept $WORK"
    elif grep -q " $CH/" /proc/mounts; then
        # never rm -rf across a bind mount of /dev or /sys
        echo "fresh-machine.sh: $CH still has mounts; not removing $WORK" >&2
    else
        rm -rf --one-file-system "$WORK"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s; }
step() { # NAME START: print a step's time
    echo "== $1: $(($(now) - $2)) s"
}

t0=$(now)
if [ -n "${MIRROR:-}" ]; then
    mmdebstrap --variant=apt "$SUITE" "$CH" "$MIRROR" >"$LOG/mmdebstrap.log" 2>&1
else
    # this machine's own Debian sources (deb822), so the root sees what it sees
    mmdebstrap --variant=apt "$SUITE" "$CH" /etc/apt/sources.list.d/debian.sources \
        >"$LOG/mmdebstrap.log" 2>&1 ||
        mmdebstrap --variant=apt "$SUITE" "$CH" >"$LOG/mmdebstrap.log" 2>&1
fi
step "mmdebstrap --variant=apt $SUITE ($(du -sm "$CH" | cut -f1) MB)" "$t0"
for c in make cc gcc sudo node npm curl; do
    if chroot "$CH" sh -c "command -v $c" >/dev/null 2>&1; then
        echo "fresh-machine.sh: the fresh root already has $c: not a bare system" >&2
        exit 1
    fi
done

mkdir -p "$CH/root/hocba"
(cd "$ROOT" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - --no-recursion) |
    tar -xf - -C "$CH/root/hocba"
cp /etc/resolv.conf "$CH/etc/resolv.conf"
# Certificate authorities this machine added itself (a TLS-inspecting proxy
# between it and the npm registry, say) are this network's, not this
# system's: the root gets them too, and the ca-certificates package that
# setup.sh installs adds them to its bundle as it would on such a network.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    mkdir -p "$CH/usr/local/share/ca-certificates"
    cp /usr/local/share/ca-certificates/*.crt "$CH/usr/local/share/ca-certificates/"
fi
# --make-rslave: on a host whose mounts are shared (systemd), a recursive
# bind is a peer of the host's mounts, and unmounting it would unmount them
# on the host too (its /dev/pts, /dev/shm, cgroups); as a slave it receives
# the host's changes and sends none back
mount -t proc proc "$CH/proc" && mounted="$CH/proc $mounted"
mount --rbind /sys "$CH/sys" && mount --make-rslave "$CH/sys" && mounted="$CH/sys $mounted"
mount --rbind /dev "$CH/dev" && mount --make-rslave "$CH/dev" && mounted="$CH/dev $mounted"
mkdir -p "$CH/tmp" && chmod 1777 "$CH/tmp"

in_root() { chroot "$CH" /usr/bin/env -i HOME=/root TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin sh -c "cd /root/hocba && $1"; }

# 1. sh tools/setup.sh && make run, until /healthz answers
t1=$(now)
in_root "sh tools/setup.sh && LISTEN=127.0.0.1:$PORT make run" >"$LOG/run.log" 2>&1 &
portal=$!
ok=0
while kill -0 "$portal" 2>/dev/null; do
    if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; then ok=1; break; fi
    sleep 1
done
if [ $ok = 1 ]; then
    step "1. sh tools/setup.sh && make run: /healthz 200" "$t1"
    curl -fsS -o /dev/null -w "   GET / -> %{http_code}\n" "http://127.0.0.1:$PORT/"
else
    echo "== 1. sh tools/setup.sh && make run: FAILED after $(($(now) - t1)) s; the end of its output:"
    tail -n 40 "$LOG/run.log"
    exit 1
fi
grep -E '^hocba: install' "$LOG/run.log" | sed 's/^/   /' || true
kill_chroot TERM
wait "$portal" 2>/dev/null || true
portal=""

# 2. make test
t2=$(now)
rc=0
in_root "make test" >"$LOG/test.log" 2>&1 || rc=$?
step "2. make test (exit $rc)" "$t2"
grep -E '^hocba: install' "$LOG/test.log" | sed 's/^/   /' || true
echo "   summary: $(tail -n 1 "$LOG/test.log")"
if [ $rc -ne 0 ]; then
    grep -E 'FAILED|not ok|failed' "$LOG/test.log" | head -n 40
    cp "$LOG/test.log" "/var/tmp/hocba-fresh-test.log" && echo "   log: /var/tmp/hocba-fresh-test.log"
fi
step "all" "$t0"
exit $rc
