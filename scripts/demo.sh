#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# demo.sh - the main job, shown: build hugepaged, start it on a temporary
# socket, let two separate programs share one keyed huge-page segment, use a
# private one, and watch the kernel's huge page figures go up and come back.
# Run as root on Debian 12 (it installs what it needs).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
        echo "demo: run as root (the daemon manages the kernel's huge page pool)" >&2
        exit 1
fi
scripts/setup.sh
echo "== building"
scripts/build.sh build

work=$(mktemp -d /tmp/hugepaged-demo.XXXXXX)
chmod 755 "$work"
sock=$work/hugepaged.sock
daemon_pid=
cleanup() {
        if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
                kill -TERM "$daemon_pid"
                wait "$daemon_pid" || true
        fi
        rm -rf "$work"
}
trap cleanup EXIT

hugepages() { grep -E '^HugePages_(Total|Free)' /proc/meminfo | tr -s ' ' | tr '\n' ' '; echo; }

echo "== kernel before:   $(hugepages)"
echo "== starting hugepaged on $sock"
build/daemon/hugepaged --socket "$sock" 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
export HUGEPAGED_SOCKET=$sock

echo "== two programs share key 42"
build/examples/hugepages-writer 42 &
writer=$!
build/examples/hugepages-reader 42
wait "$writer"

echo "== a private segment (key 0)"
build/examples/hugepages-private &
private=$!
wait "$private"

sleep 0.2
echo "== kernel after:    $(hugepages)"
gone=$(build/examples/hugepages-reader 42 --no-wait 2>&1 || true)
if [[ $gone == *"No such file"* ]]; then
        echo "== key 42 is gone: its last user let go, its pages went back"
else
        echo "demo: key 42 still exists" >&2
        exit 1
fi

echo "== stopping hugepaged (SIGTERM)"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
status=$?
daemon_pid=
echo "== hugepaged exited with status $status; its log:"
sed 's/^/   /' "$work/daemon.log"
echo "== kernel at the end: $(hugepages)"
