# SPDX-License-Identifier: LGPL-2.1-or-later
# container.sh - boot a real systemd 252 as PID 1 of a systemd-nspawn
# container, with the checkout bind-mounted at the same path. Sourced by
# run.sh. How and why: ../shared/systemd-in-tests.md (each step was found by
# a failure).
#
#   container_root            make or reuse the cached Debian root
#   container_boot NAME LOG   boot it; sets CT_PID (the container's PID 1);
#                             $CT_EXTRA adds nspawn options (--volatile=overlay)
#   in_ct CMD...              run CMD inside
#   container_poweroff        power off, clean up

CT_PACKAGES=systemd,systemd-sysv,dbus,libevent-2.1-7,libevent-pthreads-2.1-7,libinih1
# A changed package list makes a new root.
CT_ROOT=/var/tmp/hugepaged-root-$(echo "$CT_PACKAGES" | md5sum | cut -c1-8)
CT_PID=
CT_NSPAWN=
CT_NAME=

container_root() {
        [ -x "$CT_ROOT/usr/lib/systemd/systemd" ] && return 0
        local mirror
        mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
        echo "container: making $CT_ROOT from $mirror (about 40 s, once)"
        rm -rf "$CT_ROOT.new"
        debootstrap --variant=minbase --include="$CT_PACKAGES" bookworm "$CT_ROOT.new" "$mirror" \
                >"$CT_ROOT.log" 2>&1 || { tail -20 "$CT_ROOT.log"; return 1; }
        mv "$CT_ROOT.new" "$CT_ROOT"
}

# Bounded: a command inside must never hang the test (a client waits forever
# on a socket whose service cannot start).
in_ct() {
        timeout 60 nsenter -t "$CT_PID" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

container_boot() {
        CT_NAME=$1
        local log=$2 cg
        # A private mount namespace with a fresh /run: nspawn refuses to clean
        # scratch files it left on a disk file system. /sys writable inside,
        # so that the daemon can grow the huge page pool.
        unshare --mount --propagation private bash -c '
                mount -t tmpfs tmpfs /run
                SYSTEMD_NSPAWN_API_VFS_WRITABLE=1 exec systemd-nspawn -q -D "$1" -M "$2" \
                        --register=no --keep-unit --private-network --bind="$3" \
                        --console=pipe $4 -b' _ "$CT_ROOT" "$CT_NAME" "$PROJECT" "${CT_EXTRA:-}" >"$log" 2>&1 &
        CT_NSPAWN=$!
        # Its own cgroup in each hierarchy the host has, removed after poweroff.
        for cg in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
                [ -d "$cg" ] || continue
                mkdir -p "$cg/$CT_NAME" && echo "$CT_NSPAWN" >"$cg/$CT_NAME/cgroup.procs" 2>/dev/null || true
        done
        # The container's PID 1 is the child of nspawn that runs systemd: nspawn
        # may have other children for a moment first (one was once taken for
        # it, and was gone a moment later).
        local p
        CT_PID=
        for _ in $(seq 300); do
                for p in $(pgrep -P "$CT_NSPAWN"); do
                        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && CT_PID=$p
                done
                [ -n "$CT_PID" ] && break
                sleep 0.1
        done
        [ -n "$CT_PID" ] || { echo "container: nspawn did not start"; cat "$log"; return 1; }
        # A first boot on a loaded machine can take a while: wait up to 120 s,
        # and say where it stood if it never got there.
        local state i
        for i in $(seq 1200); do
                state=$(in_ct systemctl is-system-running 2>/dev/null)
                case $state in
                running | degraded) return 0 ;;
                esac
                [ $((i % 100)) -eq 0 ] && echo "container: systemd is '$state' after $((i / 10)) s"
                sleep 0.1
        done
        echo "container: systemd did not reach running (it is '$state'); its jobs and console:"
        in_ct systemctl list-jobs --no-pager 2>&1 | tail -20
        tail -40 "$log"
        return 1
}

container_poweroff() {
        [ -n "$CT_NSPAWN" ] || return 0
        kill -TERM "$CT_NSPAWN" 2>/dev/null
        for _ in $(seq 100); do
                kill -0 "$CT_NSPAWN" 2>/dev/null || break
                sleep 0.1
        done
        kill -KILL "$CT_NSPAWN" 2>/dev/null || true
        wait "$CT_NSPAWN" 2>/dev/null || true
        # Remove our cgroup subtrees, deepest first.
        for cg in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
                [ -d "$cg/$CT_NAME" ] || continue
                find "$cg/$CT_NAME" -depth -type d -exec rmdir {} \; 2>/dev/null || true
        done
        CT_NSPAWN=
}
