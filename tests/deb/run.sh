#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh SOURCE_DIR WORK_DIR - build the .deb (CPack, prefix /usr), check what
# it holds and depends on, install it into a real systemd 252 booted in a
# container, enable hugepaged.socket, and let two unprivileged users share a
# segment through programs built against the packaged library while
# hugepagectl lists it. The container's root is an overlay: nothing stays.
#
# Prints one line per check and "N passed, M failed"; exits 1 on a failure.
set -u
SRC=$(cd "$1" && pwd)
WORK=$2 # inside the checkout: the container sees it at the same path
PROJECT=$SRC
. "$SRC/tests/systemd/container.sh"
CT_EXTRA=--volatile=overlay

passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

pool_file=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
saved_pool=$(cat $pool_file)
trap 'container_poweroff; echo "$saved_pool" >$pool_file' EXIT

rm -rf "$WORK" && mkdir -p "$WORK" && chmod 755 "$WORK"
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DHUGEPAGED_TESTS=OFF >/dev/null && cmake --build "$WORK/build" -j"$(nproc)" >/dev/null &&
        (cd "$WORK/build" && cpack -G DEB >/dev/null) || { bad "cpack -G DEB"; finish; }
deb=$(ls "$WORK"/build/hugepaged_*_amd64.deb)
ok "built $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
case $depends in
*libevent-core*libsystemd0* | *libsystemd0*libevent-core*) ok "Depends: $depends" ;;
*) bad "Depends: '$depends'" ;;
esac
files=$(dpkg-deb -c "$deb" | awk '{print $6}')
missing=
for f in usr/sbin/hugepaged usr/bin/hugepagectl usr/include/hugepages.h \
        usr/lib/x86_64-linux-gnu/libhugepages.so.1 usr/lib/x86_64-linux-gnu/libhugepages.a \
        usr/lib/x86_64-linux-gnu/pkgconfig/hugepages.pc \
        usr/lib/x86_64-linux-gnu/cmake/Hugepages/HugepagesConfig.cmake \
        usr/lib/systemd/system/hugepaged.service usr/lib/systemd/system/hugepaged.socket \
        usr/share/man/man1/hugepagectl.1 usr/share/man/man3/alloc_hugepages.3 \
        usr/share/man/man5/hugepaged.conf.5 usr/share/man/man8/hugepaged.8 \
        etc/hugepaged/hugepaged.conf; do
        echo "$files" | grep -qx "./$f" || missing="$missing $f"
done
dpkg-deb -e "$deb" "$WORK/control"
grep -qx /etc/hugepaged/hugepaged.conf "$WORK/control/conffiles" || missing="$missing conffiles"
[ -z "$missing" ] && ok "the package holds the daemon, tool, library, header, .pc, CMake files, units, manual pages, configuration (a conffile)" ||
        bad "missing from the package:$missing"
# Programs built against the packaged library, as a user would.
dpkg-deb -x "$deb" "$WORK/root"
soname=$(objdump -p "$WORK/root/usr/lib/x86_64-linux-gnu/libhugepages.so.1.0.0" | awk '/SONAME/ {print $2}')
[ "$soname" = libhugepages.so.1 ] && ok "SONAME libhugepages.so.1" || bad "SONAME '$soname'"
for ex in writer reader; do
        cc -Wall -o "$WORK/hp-$ex" "$SRC/examples/$ex.c" -I"$WORK/root/usr/include" \
                -L"$WORK/root/usr/lib/x86_64-linux-gnu" -lhugepages || bad "build $ex"
done

container_root || { bad "no container root"; finish; }
container_boot "hugepaged-deb-$$" "$WORK/console.log" || { bad "container did not boot"; finish; }
echo 0 >$pool_file

if in_ct dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1; then ok "dpkg -i"; else bad "dpkg -i: $(tail -3 "$WORK/dpkg.log")"; fi
in_ct systemctl enable --now hugepaged.socket >/dev/null 2>&1
if [ "$(in_ct systemctl is-enabled hugepaged.socket)" = enabled ] &&
        [ "$(in_ct systemctl is-active hugepaged.socket)" = active ]; then
        ok "systemctl enable --now hugepaged.socket"
else
        bad "socket: $(in_ct systemctl is-enabled hugepaged.socket) $(in_ct systemctl is-active hugepaged.socket)"
fi

in_ct useradd -M alice && in_ct useradd -M bob
in_ct install -m 0755 "$WORK/hp-writer" "$WORK/hp-reader" /usr/local/bin/
# alice makes key 77 and waits for an answer in it; bob answers.
in_ct runuser -u alice -- /usr/local/bin/hp-writer 77 >"$WORK/writer.out" 2>&1 &
writer=$!
for _ in $(seq 100); do grep -q "writing a greeting" "$WORK/writer.out" && break; sleep 0.1; done
list=$(in_ct hugepagectl list)
if echo "$list" | grep -q "0x0000004d" && echo "$list" | grep -q alice; then
        ok "hugepagectl list shows alice's key 77"
else
        bad "hugepagectl list: $list"
fi
in_ct runuser -u bob -- /usr/local/bin/hp-reader 77 >"$WORK/reader.out" 2>&1
wait "$writer"
if grep -q 'read "hello from the writer' "$WORK/reader.out" &&
        grep -q 'read back "hello back from the reader' "$WORK/writer.out"; then
        ok "alice and bob share a segment through the packaged library"
else
        bad "sharing: writer: $(cat "$WORK/writer.out") reader: $(cat "$WORK/reader.out")"
        in_ct journalctl -u hugepaged.service --no-pager | tail -15
fi
lib=$(in_ct sh -c 'ldd /usr/local/bin/hp-reader' | awk '/libhugepages/ {print $3}')
[ "$lib" = /lib/x86_64-linux-gnu/libhugepages.so.1 ] || [ "$lib" = /usr/lib/x86_64-linux-gnu/libhugepages.so.1 ] &&
        ok "the programs use the packaged $lib" || bad "library used: '$lib'"

in_ct dpkg --purge hugepaged >"$WORK/purge.log" 2>&1
if ! in_ct test -e /usr/sbin/hugepaged && [ "$(in_ct systemctl is-active hugepaged.socket)" != active ]; then
        ok "dpkg --purge removes it and stops the socket"
else
        bad "purge: $(tail -3 "$WORK/purge.log")"
fi
finish
