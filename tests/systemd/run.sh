#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh BUILD_DIR - hugepaged under a real systemd 252 (booted in a
# container) and its units checked by systemd's own tools.
#
# Prints one line per check and "N passed, M failed" at the end; exits 1 if
# any check failed. Needs root, systemd-container and debootstrap.
set -u
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
. "$HERE/container.sh"

passed=0
failed=0
work=$(mktemp -d /tmp/hugepaged-systemd.XXXXXX)
# The container shares the host's kernel, and so its huge page pool: start
# from an empty 2 MiB pool (so that growth is seen) and put it back after.
pool_file=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
saved_pool=$(cat $pool_file)
trap 'container_poweroff; echo "$saved_pool" >$pool_file; rm -rf "$work"' EXIT
echo 0 >$pool_file

ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }

# Units as installed. The daemon is copied into the container's
# /usr/local/sbin: the unit's own file system view (ProtectHome=, PrivateTmp=,
# ...) may hide the checkout, wherever it is.
sed -e "s|@SBINDIR@|/usr/local/sbin|; s|@DOCDIR@|$PROJECT|" "$PROJECT/systemd/hugepaged.service.in" \
        >"$work/hugepaged.service"
sed -e "s|@DOCDIR@|$PROJECT|" "$PROJECT/systemd/hugepaged.socket" >"$work/hugepaged.socket"

# --- checks that need no container -------------------------------------------
# verify wants ExecStart= to exist here: check a copy that points at the build.
mkdir "$work/verify"
sed -e "s|/usr/local/sbin/hugepaged|$BUILD/daemon/hugepaged|" "$work/hugepaged.service" \
        >"$work/verify/hugepaged.service"
cp "$work/hugepaged.socket" "$work/verify/"
out=$(cd "$work/verify" && systemd-analyze verify ./hugepaged.socket ./hugepaged.service 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify prints nothing"; else bad "verify: $out"; fi
# systemd 252 reads --threshold in tenths (0-100) and refuses "2.0": 20 is an
# exposure of 2.0. The printed score is compared with 2.0 as well.
score=$(systemd-analyze security --offline=true "$work/hugepaged.service" 2>&1 |
        sed -n 's/.*Overall exposure level for hugepaged.service: \([0-9.]*\).*/\1/p')
if systemd-analyze security --offline=true --threshold=20 "$work/hugepaged.service" >/dev/null 2>&1 &&
        [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
        ok "systemd-analyze security: exposure $score <= 2.0"
else
        bad "systemd-analyze security: exposure '$score' > 2.0"
fi

# --- a real systemd ----------------------------------------------------------
container_root || { bad "no container root"; echo "$passed passed, $failed failed"; exit 1; }
container_boot "hugepaged-test-$$" "$work/console.log" || {
        bad "container did not boot"
        echo "$passed passed, $failed failed"
        exit 1
}
ok "systemd booted in a container"

in_ct mkdir -p /run/systemd/system /run/systemd/system/hugepaged.service.d
in_ct install -m 0755 "$BUILD/daemon/hugepaged" /usr/local/sbin/hugepaged
in_ct sh -c 'cat > /run/systemd/system/hugepaged.service' <"$work/hugepaged.service"
in_ct sh -c 'cat > /run/systemd/system/hugepaged.socket' <"$work/hugepaged.socket"
# For the test: a quick watchdog, idle exit and grace period, and no start
# rate limit (the test restarts it more often than a healthy system would).
in_ct sh -c 'cat > /run/systemd/system/hugepaged.service.d/test.conf' <<CONF
[Unit]
StartLimitIntervalSec=0
[Service]
WatchdogSec=2s
ExecStart=
ExecStart=/usr/local/sbin/hugepaged --idle-exit 3 --restore-grace 2
CONF
in_ct systemctl daemon-reload
in_ct systemctl start hugepaged.socket
show() { in_ct systemctl show -P "$1" hugepaged.service; }
helper=$BUILD/tests/integration/hp-helper
pool() { in_ct cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages; }
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
        local n=$(($1 * 10))
        shift
        for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
        return 1
}
is_state() { [ "$(show ActiveState)" = "$1" ]; }

if is_state inactive && [ "$(in_ct systemctl is-active hugepaged.socket)" = active ]; then
        ok "socket listening, service not started"
else
        bad "before the first client: socket $(in_ct systemctl is-active hugepaged.socket), service $(show ActiveState)"
fi

# First connection starts it; READY reached (Type=notify: active means READY=1).
before=$(pool)
in_ct "$helper" hold 11 4194304 0x3b6 >"$work/holder.out" 2>&1 &
holder=$!
if wait_for 10 grep -q ready "$work/holder.out" && is_state active; then
        ok "the first connection started hugepaged; READY reached"
else
        bad "activation: state $(show ActiveState), holder said: $(cat "$work/holder.out")"
fi
status_is() { [ "$(show StatusText)" = "$1" ]; }
if wait_for 3 status_is "1 segments, 2 huge pages, 1 clients"; then
        ok "status text: $(show StatusText)"
else
        bad "status text: '$(show StatusText)'"
fi
if [ "$(pool)" -ge $((before + 2)) ]; then
        ok "pool growth works under the hardened unit ($before -> $(pool))"
else
        bad "pool did not grow under the unit: $before -> $(pool)"
fi
out=$(in_ct "$helper" expect 11 2097152 0 held)
[ "$out" = OK ] && ok "another process attaches key 11 through the service" || bad "attach: $out"
# An unprivileged client: its segment is made its own (CAP_CHOWN under the unit).
in_ct install -m 0755 "$helper" /usr/local/bin/hp-helper
out=$(in_ct runuser -u nobody -- /usr/local/bin/hp-helper try 12 2097152 3 01600)
[ "$out" = OK ] && ok "an unprivileged client gets a segment of its own" ||
        bad "unprivileged client: $out; $(in_ct journalctl -u hugepaged.service --no-pager | tail -3)"

# Watchdog: a daemon whose loop is stuck (stopped) is killed and restarted.
pid=$(show MainPID)
restarts=$(show NRestarts)
in_ct sh -c "kill -STOP $pid"
if wait_for 20 sh -c "[ \"\$(nsenter -t $CT_PID -a systemctl show -P NRestarts hugepaged.service)\" -gt $restarts ]" &&
        wait_for 10 is_state active && [ "$(show MainPID)" != "$pid" ]; then
        ok "watchdog: a stuck daemon was killed and restarted (pid $pid -> $(show MainPID))"
else
        bad "watchdog: restarts $restarts -> $(show NRestarts), state $(show ActiveState), pid $pid -> $(show MainPID)"
fi
out=$(in_ct "$helper" expect 11 2097152 0 held)
[ "$out" = OK ] && ok "after the watchdog restart key 11 is the same memory" || bad "after watchdog: $out"
pkill -f "^$helper hold 11" # from the host, which sees the container's processes
wait "$holder" 2>/dev/null

# Idle exit, then the socket brings it back.
if wait_for 15 is_state inactive; then
        ok "idle: exited by itself with no clients and no segments"
else
        bad "idle exit: still $(show ActiveState)"
fi
out=$(in_ct "$helper" try 0 2097152 3 0)
if [ "$out" = OK ] && wait_for 5 is_state active; then
        ok "re-activated by the next client"
else
        bad "re-activation: client said '$out', state $(show ActiveState)"
fi

# --- segments survive the daemon ---------------------------------------------
store() { show NFileDescriptorStore; }
used() { in_ct sh -c 'echo $(( $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) - $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages) ))'; }
key_is() { [ "$(in_ct "$helper" try "$1" 2097152 1 0)" = "$2" ]; }
restarted() { [ "$(show NRestarts)" -gt "$1" ] && is_state active; }

# Two clients hold keys; one will come back after the crash, one will not.
in_ct "$helper" hold-poke 21 >"$work/h21.out" 2>&1 &
h21=$!
in_ct "$helper" hold 22 2097152 0x3b6 >"$work/h22.out" 2>&1 &
h22=$!
wait_for 10 grep -q ready "$work/h21.out" && wait_for 10 grep -q ready "$work/h22.out"
if [ "$(store)" -ge 2 ]; then ok "segments are in systemd's fd store ($(store))"; else bad "fd store holds $(store)"; fi

restarts=$(show NRestarts)
pid=$(show MainPID)
in_ct systemctl kill -s KILL hugepaged.service
if wait_for 10 restarted "$restarts" && [ "$(show MainPID)" != "$pid" ]; then
        ok "SIGKILL: restarted by systemd (pid $pid -> $(show MainPID))"
else
        bad "SIGKILL: restarts $(show NRestarts), state $(show ActiveState)"
fi
a=$(in_ct "$helper" expect 21 2097152 0 held)
b=$(in_ct "$helper" expect 22 2097152 0 held)
if [ "$a" = OK ] && [ "$b" = OK ]; then
        ok "after SIGKILL every key attaches to the same bytes"
else
        bad "after SIGKILL: key 21 '$a', key 22 '$b'"
fi
# The one that comes back registers again at its next call.
pkill -USR1 -f "^$helper hold-poke 21"
if wait_for 5 grep -q "poked OK" "$work/h21.out"; then
        ok "a client keeps working after the restart"
else
        bad "client after restart: $(cat "$work/h21.out")"
fi
# The other never comes back: its segment goes after the grace period.
pkill -KILL -f "^$helper hold 22"
wait "$h22" 2>/dev/null
if wait_for 10 key_is 22 ENOENT && key_is 21 OK; then
        ok "an unclaimed segment went after the grace period; a re-registered one stayed"
else
        bad "after grace: key 22 $(in_ct "$helper" try 22 2097152 1 0), key 21 $(in_ct "$helper" try 21 2097152 1 0)"
fi
pkill -TERM -f "^$helper hold-poke 21"
wait "$h21" 2>/dev/null
if grep -q "freed 0" "$work/h21.out" && wait_for 5 key_is 21 ENOENT; then
        ok "free_hugepages() of a mapping from before the restart works"
else
        bad "free after restart: $(cat "$work/h21.out")"
fi
if wait_for 5 sh -c "[ \"\$(nsenter -t $CT_PID -a systemctl show -P NFileDescriptorStore hugepaged.service)\" = 0 ]" &&
        [ "$(used)" = 0 ]; then
        ok "after everyone freed: every page back, fd store empty"
else
        bad "after everyone freed: $(used) pages in use, fd store $(store)"
fi

# systemctl restart keeps the store too.
in_ct "$helper" hold 23 2097152 0x3b6 >"$work/h23.out" 2>&1 &
h23=$!
wait_for 10 grep -q ready "$work/h23.out"
in_ct systemctl restart hugepaged.service
out=$(in_ct "$helper" expect 23 2097152 0 held)
[ "$out" = OK ] && ok "systemctl restart: key 23 is the same memory" || bad "after restart: $out"
pkill -KILL -f "^$helper hold 23"
wait "$h23" 2>/dev/null
if wait_for 10 key_is 23 ENOENT && wait_for 5 sh -c "[ \"\$(nsenter -t $CT_PID -a systemctl show -P NFileDescriptorStore hugepaged.service)\" = 0 ]"; then
        ok "and its segment went when its last user did"
else
        bad "after restart: key 23 $(in_ct "$helper" try 23 2097152 1 0), store $(store)"
fi

in_ct systemctl stop hugepaged.socket hugepaged.service
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
