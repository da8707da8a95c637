#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench.sh [--short] [--build DIR] - start hugepaged on a temporary socket
# with a pool large enough, run the benchmarks, restore the pool. Run as root.
#
# Without --build it builds a Release tree in build-bench/ first. --short
# runs every case briefly: CI uses it to check that the benchmarks work (not
# their figures). The figures go in docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
short=
build=
while [ $# -gt 0 ]; do
        case $1 in
        --short) short=--short ;;
        --build) build=$2; shift ;;
        *) echo "usage: bench.sh [--short] [--build DIR]" >&2; exit 2 ;;
        esac
        shift
done
if [ -z "$build" ]; then
        scripts/setup.sh
        build=build-bench
        scripts/build.sh "$build" -DCMAKE_BUILD_TYPE=Release -DHUGEPAGED_TESTS=ON
fi

pool=/proc/sys/vm/nr_hugepages
saved=$(cat $pool)
work=$(mktemp -d /tmp/hugepaged-bench.XXXXXX)
daemon=
cleanup() {
        if [ -n "$daemon" ]; then kill -TERM "$daemon" 2>/dev/null && wait "$daemon" || true; fi
        # The benchmarks' System V segments, should one have been left.
        ipcrm -M 0x6870 2>/dev/null || true
        ipcrm -M 0x6872 2>/dev/null || true
        echo "$saved" >$pool
        rm -rf "$work"
}
trap cleanup EXIT

echo "== socket types (docs/socket-type.md)"
"$build/tests/bench/bench_socket" ${short:+2000}

# Room for every case at once: 1 GiB (P4) twice over, 2000 segments (P6), the
# held ones; --short: bench_alloc's 64 MiB cases (three of them held at once,
# and pages of the last freed segment still on their way back).
if [ -n "$short" ]; then echo $((saved + 200)) >$pool; else echo $((saved + 3200)) >$pool; fi
"$build/daemon/hugepaged" --socket "$work/hugepaged.sock" 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 200); do [ -S "$work/hugepaged.sock" ] && break; sleep 0.02; done
export HUGEPAGED_SOCKET=$work/hugepaged.sock HUGEPAGED_PID=$daemon
echo
echo "== alloc_hugepages against the kernel"
"$build/tests/bench/bench_alloc" ${short:+20}
echo
echo "== the speed goals (docs/performance.md)"
"$build/tests/bench/bench_goals" $short

# The warm pool: a daemon that keeps the large create's bytes ready (P4),
# then one that keeps a few 2 MiB pieces (P7).
start_warm() {
        kill -TERM "$daemon" && wait "$daemon" || true
        rm -f "$work/hugepaged.sock"
        "$build/daemon/hugepaged" --socket "$work/hugepaged.sock" --warm "$1" 2>>"$work/daemon.log" &
        daemon=$!
        for _ in $(seq 200); do [ -S "$work/hugepaged.sock" ] && break; sleep 0.02; done
        export HUGEPAGED_PID=$daemon
}
if [ -n "$short" ]; then start_warm 2M:64M; else start_warm 2M:1G; fi
"$build/tests/bench/bench_goals" $short --warm big
start_warm 2M:64M
"$build/tests/bench/bench_goals" $short --warm small
