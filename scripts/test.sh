#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test.sh - build hugepaged and run the whole test suite, twice: a normal
# -Werror build, then an AddressSanitizer + UndefinedBehaviorSanitizer build.
# Run as root on Debian 12 (it installs what it needs; the tests use real
# huge pages and a second user).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
        echo "test: run as root (the tests manage the kernel's huge page pool)" >&2
        exit 1
fi
if [ ! -d /sys/kernel/mm/hugepages ]; then
        echo "test: this kernel has no huge pages; nothing can be tested" >&2
        exit 1
fi
scripts/setup.sh

status=0

echo "== format (.clang-format)"
if ! git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror; then
        echo "test: clang-format would change the files above" >&2
        status=1
fi

pools() { cat /sys/kernel/mm/hugepages/hugepages-*/nr_{,overcommit_}hugepages | tr '\n' ' '; }

run_suite() {
        local dir=$1 before
        shift
        before=$(pools)
        echo "== build $dir $*"
        scripts/build.sh "$dir" "$@"
        echo "== test $dir"
        # The tests share the machine's huge page pool: one at a time. The
        # full output (daemon logs included) goes to $dir/test.log; shown here
        # are each suite's summary, and everything when something fails.
        if (cd "$dir" && ctest -V --timeout 900 >test.log 2>&1); then
                grep -E '^[0-9]+: ([0-9]+%: Checks:|[0-9]+ passed|stress:|livefuzz)|tests passed' "$dir/test.log" |
                        sed -E 's/^[0-9]+: //'
        else
                cat "$dir/test.log"
                status=1
        fi
        # Every test restores the pool it changed; say so loudly if one did not.
        if [ "$(pools)" != "$before" ]; then
                echo "test: WARNING: huge page pools were '$before' before and are '$(pools)' now; restoring" >&2
                i=0
                for f in /sys/kernel/mm/hugepages/hugepages-*/nr_{,overcommit_}hugepages; do
                        i=$((i + 1))
                        echo "$before" | cut -d' ' -f$i >"$f" 2>/dev/null || true
                done
        fi
}

run_suite build
run_suite build-asan -DHUGEPAGED_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
exit $status
