#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# consumer.sh BUILD_DIR - install the build into a fresh prefix, build a
# program against it with pkg-config and with CMake find_package(Hugepages),
# and run both against a real hugepaged.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/hugepaged-install.XXXXXX)
daemon=
cleanup() {
        [ -n "$daemon" ] && kill -TERM "$daemon" 2>/dev/null && wait "$daemon" || true
        rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(dirname "$(find "$work/prefix" -name hugepages.pc)")
libdir=$(PKG_CONFIG_PATH=$pc pkg-config --variable=libdir hugepages)
for f in sbin/hugepaged bin/hugepagectl include/hugepages.h share/bash-completion/completions/hugepagectl \
        share/doc/hugepaged/LICENSE; do
        test -e "$work/prefix/$f" || { echo "not installed: $f"; exit 1; }
done
test -e "$libdir/libhugepages.a" || { echo "not installed: libhugepages.a"; exit 1; }
# The configuration goes under the prefix, and the daemon accepts it as installed.
conf=$work/prefix/etc/hugepaged/hugepaged.conf
test -e "$conf" || { echo "not installed: etc/hugepaged/hugepaged.conf"; exit 1; }
test -d "$conf.d" || { echo "not installed: etc/hugepaged/hugepaged.conf.d/"; exit 1; }
out=$(timeout 10 "$work/prefix/sbin/hugepaged" --config "$conf" --socket "$work/conf-check.sock" --idle-exit 1 2>&1)
case "$out" in *configuration:*) echo "the installed hugepaged.conf is refused: $out"; exit 1 ;; esac
soname=$(objdump -p "$libdir/libhugepages.so" | awk '/SONAME/ {print $2}')
[ "$soname" = libhugepages.so.1 ] || { echo "SONAME is '$soname'"; exit 1; }
# Every installed manual page renders, without a warning from man or groff.
mandir=$(dirname "$(find "$work/prefix" -name alloc_hugepages.3)")/..
for page in man1/hugepagectl.1 man3/alloc_hugepages.3 man3/free_hugepages.3 man3/hugepages_stat.3 \
        man3/hugepages_remove.3 man3/hugepages_pagesize.3 man3/hugepages_pagesizes.3 \
        man5/hugepaged.conf.5 man8/hugepaged.8; do
        test -e "$mandir/$page" || { echo "not installed: $page"; exit 1; }
        out=$(cd "$mandir" && LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
        [ -z "$out" ] || { echo "$page: $out"; exit 1; }
        lines=$(cd "$mandir" && LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)
        [ "$lines" -gt 40 ] || { echo "$page renders to $lines lines"; exit 1; }
done
# The library is synchronous: it needs libc, and nothing of the daemon's.
needed=$(objdump -p "$libdir/libhugepages.so.1" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')
case "$needed" in *event*|*systemd*) echo "libhugepages links: $needed"; exit 1 ;; esac
# Only the public symbols are exported.
exported=$(nm -D --defined-only "$libdir/libhugepages.so.1" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}' | sort | tr '\n' ' ')
[ "$exported" = "alloc_hugepages free_hugepages hugepages_pagesize hugepages_pagesizes hugepages_remove hugepages_stat " ] || { echo "exported: $exported"; exit 1; }

# pkg-config, as the README tells a user.
cc -Wall -Werror -o "$work/consumer-pc" "$here/consumer.c" \
        $(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs hugepages) -Wl,-rpath,"$libdir"
# pkg-config --static, against libhugepages.a.
cc -Wall -Werror -o "$work/consumer-static" "$here/consumer.c" -I"$work/prefix/include" \
        "$libdir/libhugepages.a" $(PKG_CONFIG_PATH=$pc pkg-config --static --libs-only-other hugepages)
# CMake find_package.
mkdir "$work/cm"
cp "$here/CMakeLists.txt.in" "$work/cm/CMakeLists.txt"
cp "$here/consumer.c" "$work/cm/"
cmake -S "$work/cm" -B "$work/cm/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DCMAKE_BUILD_RPATH="$libdir" >/dev/null
cmake --build "$work/cm/build" >/dev/null

chmod 755 "$work"
"$work/prefix/sbin/hugepaged" --socket "$work/hugepaged.sock" 2>"$work/daemon.log" &
daemon=$!
for _ in $(seq 200); do [ -S "$work/hugepaged.sock" ] && break; sleep 0.02; done
export HUGEPAGED_SOCKET=$work/hugepaged.sock
"$work/consumer-pc"
"$work/consumer-static"
"$work/cm/build/consumer-cmake"
"$work/cm/build/consumer-cmake-static"
# The static one really is: no libhugepages.so among what it needs.
objdump -p "$work/cm/build/consumer-cmake-static" | grep -q 'NEEDED.*libhugepages' &&
        { echo "consumer-cmake-static links libhugepages.so"; exit 1; }
echo "1 passed, 0 failed: installed tree (manual pages render; pkg-config, static and find_package (Hugepages::hugepages and Hugepages::hugepages_static) builds share a key)"
