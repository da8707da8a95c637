#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh SOURCE_DIR WORK_DIR - build the Debian packages from debian/
# (dpkg-buildpackage, in a copy of the tree), pass them through lintian, check
# what each holds, then install them into a real systemd 252 booted in a
# container: the socket is enabled by the packages themselves, two
# unprivileged users share a segment through programs built against the
# packaged library, an upgrade over themselves restarts the daemon while a
# segment is in use and the segment survives, and removing and purging them
# leaves nothing running and nothing in /run. The container's root is an
# overlay: nothing stays.
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

# --- build, the Debian way, from a copy of the tree --------------------------
version=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
rm -rf "$WORK" && mkdir -p "$WORK/src/hugepaged-$version" && chmod 755 "$WORK"
tar -C "$SRC" --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - . |
        tar -C "$WORK/src/hugepaged-$version" -xf -
if (cd "$WORK/src/hugepaged-$version" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1; then
        ok "dpkg-buildpackage -us -uc -b"
else
        bad "dpkg-buildpackage: $(tail -15 "$WORK/build.log")"
        finish
fi
cd "$WORK/src" || finish
debs=
for p in hugepaged libhugepages1 libhugepages-dev hugepaged-dbgsym libhugepages1-dbgsym; do
        f=${p}_${version}_amd64.deb
        [ -f "$f" ] && debs="$debs $f" || bad "no $f"
done
ok "built:$debs"

# lintian, pedantic: no error and no warning (info is allowed; an override
# needs its reason in debian/*.lintian-overrides).
lint=$(lintian --pedantic --display-info --fail-on none "hugepaged_${version}_amd64.changes" 2>&1 |
        grep -v "running with root privileges")
if ! echo "$lint" | grep -q '^[EW]:'; then
        ok "lintian --pedantic: no error, no warning${lint:+ ($(echo "$lint" | wc -l) info)}"
else
        bad "lintian: $(echo "$lint" | grep '^[EW]:')"
fi

# What each package holds.
has() { # PACKAGE FILE...: each FILE is in PACKAGE's .deb
        local pkg=$1 list missing= f
        shift
        list=$(dpkg-deb -c "${pkg}_${version}_amd64.deb" | awk '{print $6}')
        for f in "$@"; do echo "$list" | grep -qx "./$f" || missing="$missing $f"; done
        [ -z "$missing" ] && ok "$pkg holds $*" || bad "$pkg lacks:$missing"
}
ml=usr/lib/x86_64-linux-gnu
has libhugepages1 $ml/libhugepages.so.1 $ml/libhugepages.so.1.1.0
has libhugepages-dev usr/include/hugepages.h $ml/libhugepages.so $ml/libhugepages.a \
        $ml/pkgconfig/hugepages.pc $ml/cmake/Hugepages/HugepagesConfig.cmake \
        usr/share/man/man3/alloc_hugepages.3.gz usr/share/man/man3/hugepages_stat.3.gz \
        usr/share/man/man3/hugepages_pagesize.3.gz
has hugepaged usr/sbin/hugepaged usr/bin/hugepagectl lib/systemd/system/hugepaged.service \
        lib/systemd/system/hugepaged.socket etc/hugepaged/hugepaged.conf \
        usr/share/man/man1/hugepagectl.1.gz usr/share/man/man5/hugepaged.conf.5.gz \
        usr/share/man/man8/hugepaged.8.gz usr/share/bash-completion/completions/hugepagectl \
        usr/share/doc/hugepaged/copyright usr/share/doc/hugepaged/README.md
# The library alone: a program using it does not drag in the daemon.
dep=$(dpkg-deb -f "libhugepages1_${version}_amd64.deb" Depends)
case $dep in *event* | *systemd* | *hugepaged*) bad "libhugepages1 Depends: $dep" ;;
*) ok "libhugepages1 Depends: $dep" ;; esac
dep=$(dpkg-deb -f "hugepaged_${version}_amd64.deb" Depends)
case $dep in *libevent-core*libsystemd0* | *libsystemd0*libevent-core*) ok "hugepaged Depends: $dep" ;;
*) bad "hugepaged Depends: '$dep'" ;; esac
for p in hugepaged libhugepages1; do dpkg-deb -e "${p}_${version}_amd64.deb" "$WORK/control-$p"; done
grep -qx /etc/hugepaged/hugepaged.conf "$WORK/control-hugepaged/conffiles" &&
        ok "hugepaged.conf is a conffile" || bad "conffiles: $(cat "$WORK/control-hugepaged/conffiles")"
grep -q '^ hugepages_stat@HUGEPAGES_1.1 ' "$WORK/control-libhugepages1/symbols" &&
        ok "libhugepages1 has a symbols file" || bad "symbols: $(cat "$WORK/control-libhugepages1/symbols")"

# Hardened and stripped; the debug symbols are in the -dbgsym packages.
root=$WORK/root
for p in hugepaged libhugepages1 libhugepages-dev; do dpkg-deb -x "${p}_${version}_amd64.deb" "$root"; done
for b in usr/sbin/hugepaged usr/bin/hugepagectl $ml/libhugepages.so.1.1.0; do
        dyn=$(readelf -d "$root/$b")
        hdr=$(readelf -h "$root/$b")
        secs=$(readelf -S "$root/$b")
        syms=$(readelf -W --dyn-syms "$root/$b")
        if echo "$dyn" | grep -q 'BIND_NOW' && echo "$hdr" | grep -q 'DYN' &&
                readelf -l "$root/$b" | grep -q GNU_RELRO && ! echo "$secs" | grep -q '\.debug_info' &&
                { [ "${b##*/}" = libhugepages.so.1.1.0 ] || echo "$syms" | grep -q '__stack_chk_fail'; }; then
                ok "$b: position-independent, RELRO, BIND_NOW, stack protector, stripped"
        else
                bad "$b is not hardened or not stripped"
        fi
done
# The installed documents: every relative link they hold leads somewhere.
dangling=
while IFS= read -r md; do
        for target in $(grep -o '\]([^)#]*' "$md" | sed 's/^](//' | grep -v '^[a-z]*:'); do
                [ -e "$(dirname "$md")/$target" ] || dangling="$dangling ${md#"$root"/}->$target"
        done
done < <(find "$root/usr/share/doc" -name '*.md')
[ -z "$dangling" ] && ok "installed documents: no dangling link" || bad "dangling links:$dangling"

# Programs built against the packaged library, as a user would.
for ex in writer reader; do
        cc -Wall -o "$WORK/hp-$ex" "$root/usr/share/doc/libhugepages-dev/examples/$ex.c" \
                -I"$root/usr/include" -L"$root/$ml" -lhugepages || bad "build $ex"
done

# --- into a real systemd -----------------------------------------------------
container_root || { bad "no container root"; finish; }
container_boot "hugepaged-deb-$$" "$WORK/console.log" || { bad "container did not boot"; finish; }
echo 0 >$pool_file
show() { in_ct systemctl show -P "$1" hugepaged.service; }
pkgs="$WORK/src/hugepaged_${version}_amd64.deb $WORK/src/libhugepages1_${version}_amd64.deb"
pkgs="$pkgs $WORK/src/libhugepages-dev_${version}_amd64.deb"

# shellcheck disable=SC2086
if in_ct dpkg -i $pkgs >"$WORK/dpkg.log" 2>&1; then ok "dpkg -i"; else bad "dpkg -i: $(tail -3 "$WORK/dpkg.log")"; fi
if [ "$(in_ct systemctl is-enabled hugepaged.socket)" = enabled ] &&
        [ "$(in_ct systemctl is-active hugepaged.socket)" = active ] &&
        [ "$(show ActiveState)" = inactive ]; then
        ok "the package enabled and started hugepaged.socket; the service waits for a client"
else
        bad "after install: socket $(in_ct systemctl is-enabled hugepaged.socket)/$(in_ct systemctl is-active hugepaged.socket), service $(show ActiveState)"
fi

in_ct useradd -M alice && in_ct useradd -M bob
in_ct install -m 0755 "$WORK/hp-writer" "$WORK/hp-reader" /usr/local/bin/
# alice makes key 77 and waits (30 s at most) for an answer in it.
in_ct runuser -u alice -- /usr/local/bin/hp-writer 77 >"$WORK/writer.out" 2>&1 &
writer=$!
for _ in $(seq 100); do grep -q "writing a greeting" "$WORK/writer.out" && break; sleep 0.1; done
list=$(in_ct hugepagectl list)
if echo "$list" | grep -q "0x0000004d" && echo "$list" | grep -q alice; then
        ok "hugepagectl list shows alice's key 77"
else
        bad "hugepagectl list: $list"
fi

# An upgrade over itself, while key 77 is in use: the daemon restarts, the
# socket stays, the segment survives.
pid=$(show MainPID)
# shellcheck disable=SC2086
in_ct dpkg -i $pkgs >"$WORK/upgrade.log" 2>&1 || bad "upgrade: $(tail -3 "$WORK/upgrade.log")"
after=$(show MainPID)
if [ "$pid" != 0 ] && [ "$after" != 0 ] && [ "$after" != "$pid" ] &&
        [ "$(in_ct systemctl is-active hugepaged.socket)" = active ]; then
        ok "upgrade: the daemon restarted (pid $pid -> $after), the socket stayed"
else
        bad "upgrade: pid $pid -> $after, socket $(in_ct systemctl is-active hugepaged.socket)"
fi
in_ct runuser -u bob -- /usr/local/bin/hp-reader 77 >"$WORK/reader.out" 2>&1
wait "$writer"
if grep -q 'read "hello from the writer' "$WORK/reader.out" &&
        grep -q 'read back "hello back from the reader' "$WORK/writer.out"; then
        ok "alice and bob share key 77 through the packaged library, across the upgrade"
else
        bad "sharing: writer: $(cat "$WORK/writer.out") reader: $(cat "$WORK/reader.out")"
        in_ct journalctl -u hugepaged.service --no-pager | tail -15
fi
lib=$(in_ct sh -c 'ldd /usr/local/bin/hp-reader' | awk '/libhugepages/ {print $3}')
[ "$lib" = /lib/x86_64-linux-gnu/libhugepages.so.1 ] || [ "$lib" = /usr/lib/x86_64-linux-gnu/libhugepages.so.1 ] &&
        ok "the programs use the packaged $lib" || bad "library used: '$lib'"
# Both let go: the key is gone.
for _ in $(seq 20); do [ -z "$(in_ct hugepagectl --no-legend list)" ] && break; sleep 0.1; done
[ -z "$(in_ct hugepagectl --no-legend list)" ] && ok "both let go: no segment left" ||
        bad "left: $(in_ct hugepagectl list)"

in_ct dpkg --purge hugepaged libhugepages-dev libhugepages1 >"$WORK/purge.log" 2>&1 ||
        bad "purge: $(tail -3 "$WORK/purge.log")"
left=
in_ct test -e /usr/sbin/hugepaged && left="$left /usr/sbin/hugepaged"
in_ct test -e /etc/hugepaged && left="$left /etc/hugepaged"
in_ct test -e /run/hugepaged && left="$left /run/hugepaged"
in_ct test -e /lib/systemd/system/hugepaged.service && left="$left the unit"
in_ct sh -c 'for d in /proc/[0-9]*; do [ "$(cat $d/comm 2>/dev/null)" = hugepaged ] && exit 0; done
        exit 1' && left="$left a running hugepaged"
[ "$(in_ct systemctl is-active hugepaged.socket)" = active ] && left="$left an active socket"
in_ct find /etc/systemd/system -name 'hugepaged*' | grep -q . && left="$left enable links"
[ -z "$left" ] && ok "dpkg --purge: nothing running, nothing in /run, /etc or the unit directories" ||
        bad "after purge:$left"
finish
