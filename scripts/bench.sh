#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench.sh - build, start hugepaged on a temporary socket with a pool large
# enough, run the benchmarks, restore the pool. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
scripts/setup.sh
scripts/build.sh build -DCMAKE_BUILD_TYPE=Release

pool=/proc/sys/vm/nr_hugepages
saved=$(cat $pool)
work=$(mktemp -d /tmp/hugepaged-bench.XXXXXX)
daemon=
cleanup() {
        [ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" || true
        echo "$saved" >$pool
        rm -rf "$work"
}
trap cleanup EXIT

echo "== socket types (docs/socket-type.md)"
build/tests/bench/bench_socket "${1:-20000}"

# Room for the held segments and one of each case at 64 MiB.
echo $((saved + 160)) >$pool
build/daemon/hugepaged --socket "$work/hugepaged.sock" 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 200); do [ -S "$work/hugepaged.sock" ] && break; sleep 0.02; done
echo
echo "== alloc_hugepages against the kernel (docs/performance.md)"
HUGEPAGED_SOCKET=$work/hugepaged.sock build/tests/bench/bench_alloc "${2:-1000}"
