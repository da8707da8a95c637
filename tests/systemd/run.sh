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
# Changes go to an overlay: the cached root stays as debootstrap made it (a
# journal kept in it from run to run slowed every later boot).
CT_EXTRA=--volatile=overlay

passed=0
failed=0
work=$(mktemp -d /tmp/hugepaged-systemd.XXXXXX)
# The container shares the host's kernel, and so its huge page pool: start
# from an empty 2 MiB pool (so that growth is seen) and put it back after.
pool_file=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
saved_pool=$(cat $pool_file)
over_file=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_overcommit_hugepages
saved_over=$(cat $over_file)
# The overcommit setting is put back too. Should a daemon's growth outlive it
# (a SIGKILL in the middle of one that the next daemon did not take back),
# say so: seen once, +2 pages after the SIGKILL stress; not yet explained.
restore_pools() {
        echo "$saved_pool" >$pool_file
        [ "$(cat $over_file)" = "$saved_over" ] ||
                echo "note: nr_overcommit_hugepages was $saved_over, is $(cat $over_file): put back"
        echo "$saved_over" >$over_file
}
trap 'container_poweroff; restore_pools; rm -rf "$work"' EXIT
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
# Its Documentation= man: pages are looked up: the build's.
out=$(cd "$work/verify" && MANPATH=$BUILD/man systemd-analyze verify ./hugepaged.socket ./hugepaged.service 2>&1)
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
# For the test: a quick watchdog and idle exit, and no start
# rate limit (the test restarts it more often than a healthy system would).
in_ct sh -c 'cat > /run/systemd/system/hugepaged.service.d/test.conf' <<CONF
[Unit]
StartLimitIntervalSec=0
[Service]
WatchdogSec=2s
ExecStart=
ExecStart=/usr/local/sbin/hugepaged --idle-exit 3
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

# The journal's own fields: journalctl finds key 12's creation and
# destruction by HUGEPAGED_KEY= and MESSAGE_ID=, with the segment and peer.
# A refusal is logged at debug: the level is raised at run time to see it.
in_ct install -m 0755 "$BUILD/client/hugepagectl" /usr/local/bin/hugepagectl
journal_has() { # KEY CHECK: CHECK (python, over the entries e of key KEY) true within 5 s
        for _ in $(seq 50); do
                in_ct journalctl -b -u hugepaged.service -o json --no-pager "HUGEPAGED_KEY=$1" >"$work/j.json"
                python3 - "$work/j.json" "$2" <<'PY' && return 0
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)
PY
                sleep 0.1
        done
        return 1
}
created=48638f7036bd44ffa15c0936742ba941
destroyed=1cd22611bced460cb5538112eeec0290
refused=f832194bbbd84cde8fc2bfbaed33f6c0
if journal_has 12 "any(x.get('MESSAGE_ID') == '$created' and x.get('HUGEPAGED_PEER_UID') == '65534' and
                x.get('HUGEPAGED_SEGMENT') and x.get('HUGEPAGED_PEER_PID') and x.get('PRIORITY') == '6' for x in e) and
                any(x.get('MESSAGE_ID') == '$destroyed' and x.get('HUGEPAGED_SEGMENT') for x in e)"; then
        ok "journal: key 12 created and destroyed, with MESSAGE_ID=, HUGEPAGED_KEY=, _SEGMENT=, _PEER_PID=, _PEER_UID="
else
        bad "journal fields: $(in_ct journalctl -b -u hugepaged.service -o json --no-pager HUGEPAGED_KEY=12 | tail -2)"
fi
level=$(in_ct /usr/local/bin/hugepagectl log-level debug)
in_ct runuser -u nobody -- /usr/local/bin/hp-helper try 13 2097152 1 0 >/dev/null
if [ "$level" = debug ] && journal_has 13 "any(x.get('MESSAGE_ID') == '$refused' and x.get('ERRNO') == '2' and
                x.get('PRIORITY') == '7' and x.get('HUGEPAGED_PEER_UID') == '65534' for x in e)"; then
        ok "journal: at log level debug (set at run time) a refusal has ERRNO=2 and its MESSAGE_ID="
else
        bad "refusal in the journal (level '$level'): $(in_ct journalctl -b -u hugepaged.service -o json --no-pager HUGEPAGED_KEY=13 | tail -2)"
fi
in_ct /usr/local/bin/hugepagectl log-level info >/dev/null

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

# --- restarts keep exactly the users there were (docs/lifetimes.md) -----------
# Every check below is made through the kernel and systemd: the key as any
# process finds it, the pages in use, systemd's count of stored descriptors.
store() { show NFileDescriptorStore; }
used() { in_ct sh -c 'echo $(( $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages) - $(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages) ))'; }
key_is() { [ "$(in_ct "$helper" try "$1" 2097152 1 0)" = "$2" ]; }
restarted() { [ "$(show NRestarts)" -gt "$1" ] && is_state active; }
used_is() { [ "$(used)" = "$1" ]; }
store_is() { [ "$(store)" = "$1" ]; }
segments_are() { [ "$(show StatusText | cut -d' ' -f1)" = "$1" ]; }
# kill_daemon SIGNAL: by systemctl kill; true once systemd has a new one up.
kill_daemon() {
        local r p
        r=$(show NRestarts)
        p=$(show MainPID)
        in_ct systemctl kill -s "$1" hugepaged.service
        wait_for 15 restarted "$r" && [ "$(show MainPID)" != "$p" ]
}
# start_helper NAME ARGS...: a helper in the container, its output in
# $work/NAME.out. Without in_ct's 60 s bound: some outlive it on purpose.
start_helper() {
        local name=$1
        shift
        nsenter -t "$CT_PID" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$helper" "$@" \
                >"$work/$name.out" 2>&1 &
        eval "pid_$name=$!"
        wait_for 10 grep -q ready "$work/$name.out"
}
# signal_helper SIG 'ARGS': from the host, which sees the container's processes.
signal_helper() { pkill "-$1" -f "^$helper $2\$"; }
wait_out() { wait_for "$1" grep -q "$3" "$work/$2.out"; }

base=$(used)

# 1. Two holders; SIGKILL; after the restart both free: K goes within 1 s.
start_helper a21 hold-poke 21
start_helper b21 hold-poke 21
held_store=$(store)
kill_daemon KILL && ok "SIGKILL: restarted by systemd" || bad "SIGKILL: no restart"
out=$(in_ct "$helper" expect 21 2097152 0 held)
[ "$out" = OK ] && ok "after SIGKILL key 21 is the same memory" || bad "after SIGKILL: $out"
signal_helper TERM "hold-poke 21"
if wait_out 5 a21 "freed 0" && wait_out 5 b21 "freed 0" && wait_for 1 key_is 21 ENOENT &&
        wait_for 1 store_is $((held_store - 3)) && wait_for 1 used_is "$base"; then
        ok "both holders freed after the restart: within 1 s key 21 is ENOENT, its descriptor left the store ($held_store -> $(store)), pages back"
else
        bad "after both freed: key 21 $(in_ct "$helper" try 21 2097152 1 0), store $held_store -> $(store), used $(used) (base $base); $(cat "$work/a21.out" "$work/b21.out")"
fi

# 2. An idle holder is counted however long it makes no call.
start_helper a22 hold 22 2097152 0x3b6
start_helper b22 hold-poke 22
kill_daemon KILL || bad "SIGKILL (idle holder): no restart"
signal_helper TERM "hold-poke 22"
wait_out 5 b22 "freed 0" || bad "the second holder of 22 could not free: $(cat "$work/b22.out")"
idle_ok=1
for i in 0 1 2 3 4 5 6; do
        [ $i = 0 ] || sleep 10
        out=$(in_ct "$helper" expect 22 2097152 0 held)
        [ "$out" = OK ] || { idle_ok=0; echo "idle holder: at $((i * 10)) s: $out"; }
done
[ $idle_ok = 1 ] && ok "an idle holder's key 22 kept its bytes for 60 s after the restart, without a call" ||
        bad "idle holder: key 22 lost within 60 s; $(in_ct journalctl -u hugepaged.service --no-pager -n 25)"
kill -KILL "$(pgrep -f "^$helper hold 22 ")" 2>/dev/null
wait "$pid_a22" 2>/dev/null
if wait_for 1 key_is 22 ENOENT && wait_for 1 used_is "$base"; then
        ok "the idle holder exits: within 1 s key 22 is gone and its pages back"
else
        bad "after the idle holder exited: key 22 $(in_ct "$helper" try 22 2097152 1 0), used $(used)"
fi

# 3. A holder killed while no daemon runs, and one that execs after the
# restart without a call: each stops counting within 1 s of the daemon up.
start_helper e23 exec-on-usr1 23 2097152 0x3b6
start_helper k24 hold 24 2097152 0x3b6
in_ct sh -c "kill -STOP $(show MainPID)"
kill -KILL "$(pgrep -f "^$helper hold 24 ")"
wait "$pid_k24" 2>/dev/null
kill_daemon KILL || bad "SIGKILL of a stopped daemon: no restart"
wait_for 1 key_is 24 ENOENT && ok "killed while no daemon ran: key 24 gone within 1 s of the restart" ||
        bad "killed while down: key 24 $(in_ct "$helper" try 24 2097152 1 0)"
e23=$(pgrep -f "^$helper exec-on-usr1 23 ")
signal_helper USR1 "exec-on-usr1 23 2097152 0x3b6"
wait_for 1 key_is 23 ENOENT && ok "exec'd after the restart without a call: key 23 gone within 1 s" ||
        bad "exec after restart: key 23 $(in_ct "$helper" try 23 2097152 1 0)"
kill -KILL "$e23" # the same process, sleep(1) now
wait "$pid_e23" 2>/dev/null
wait_for 2 used_is "$base" || bad "after 23 and 24: used $(used), base $base"

# 4. Calls in flight at the SIGKILL: a create of key 26 on an existing
# connection, and a free of key 27. Each gets its answer from the next daemon.
start_helper f25 hold-poke 25 26
start_helper g27 hold-poke 27
in_ct sh -c "kill -STOP $(show MainPID)"
signal_helper USR1 "hold-poke 25 26"
signal_helper TERM "hold-poke 27"
sleep 0.3
kill_daemon KILL || bad "SIGKILL with calls in flight: no restart"
if wait_out 5 f25 "poked OK" && wait_out 5 g27 "freed 0"; then
        ok "alloc_hugepages(26, IPC_CREAT) and free_hugepages() in flight at the SIGKILL both succeeded"
else
        bad "calls in flight: $(cat "$work/f25.out" "$work/g27.out")"
fi
if wait_for 1 key_is 27 ENOENT && key_is 26 OK && wait_for 1 segments_are 2; then
        ok "and the counts are exact: key 27 gone, key 26 made once (2 segments: 25, 26)"
else
        bad "after calls in flight: 27 $(in_ct "$helper" try 27 2097152 1 0), 26 $(in_ct "$helper" try 26 2097152 1 0), status $(show StatusText)"
fi
signal_helper TERM "hold-poke 25 26"
wait "$pid_f25" "$pid_g27" 2>/dev/null
if wait_for 1 key_is 25 ENOENT && key_is 26 ENOENT && wait_for 1 used_is "$base"; then
        ok "their holder frees both: keys 25 and 26 gone, pages back"
else
        bad "after the holder of 25 and 26 left: $(show StatusText), used $(used)"
fi

# 5. systemctl restart and a watchdog kill: the same.
for how in restart watchdog; do
        start_helper a28 hold 28 2097152 0x3b6
        start_helper b28 hold-poke 28
        pid=$(show MainPID)
        restarts=$(show NRestarts)
        if [ $how = restart ]; then
                in_ct systemctl restart hugepaged.service
        else
                in_ct sh -c "kill -STOP $pid"
                wait_for 20 sh -c "[ \"\$(nsenter -t $CT_PID -a systemctl show -P NRestarts hugepaged.service)\" -gt $restarts ]"
        fi
        wait_for 10 is_state active && [ "$(show MainPID)" != "$pid" ] || bad "$how: no new daemon"
        signal_helper TERM "hold-poke 28"
        wait_out 5 b28 "freed 0" || bad "$how: free failed: $(cat "$work/b28.out")"
        out=$(in_ct "$helper" expect 28 2097152 0 held)
        kill -KILL "$(pgrep -f "^$helper hold 28 ")"
        wait "$pid_a28" "$pid_b28" 2>/dev/null
        if [ "$out" = OK ] && wait_for 1 key_is 28 ENOENT && wait_for 1 used_is "$base"; then
                ok "$how: the holder left kept key 28 until it exited; then gone within 1 s"
        else
                bad "$how: key 28 '$out' then $(in_ct "$helper" try 28 2097152 1 0), used $(used)"
        fi
done

# 5b. A key this process maps, attached again without the daemon (the key
# epoch's page says it still names the segment): the page is the same across
# a SIGKILL, so a removal after the restart is seen by the holder at once.
start_helper h29 hold-attach 29
kill_daemon KILL || bad "SIGKILL with a held key: no restart"
signal_helper USR1 "hold-attach 29"
wait_out 5 h29 "attached OK" || bad "held key 29 after the restart: $(cat "$work/h29.out")"
in_ct /usr/local/bin/hugepagectl remove 29 >/dev/null
signal_helper USR1 "hold-attach 29"
if wait_out 5 h29 "attached ENOENT"; then
        ok "a key removed after a restart is not found again through the holder's own mapping"
else
        bad "key 29 removed after the restart: the holder said $(tr '\n' ' ' <"$work/h29.out")"
fi
signal_helper TERM "hold-attach 29"
wait_out 5 h29 "freed 0" || bad "holder of 29: $(cat "$work/h29.out")"
wait "$pid_h29" 2>/dev/null
wait_for 2 used_is "$base" || bad "after 29: used $(used), base $base"

# 6. Twenty SIGKILLs under a mix of alloc, free, fork, exec and crashes.
in_ct "$helper" try 0 2097152 3 0 >/dev/null
wait_for 5 is_state active
fresh_fds=$(in_ct sh -c "ls /proc/$(show MainPID)/fd | wc -l")
for k in 41 42 43; do start_helper h$k hold $k 2097152 0x3b6; done
for k in 44 45 46 47; do start_helper m$k mix $k; done
( while :; do
        in_ct "$helper" hold 48 2097152 0x3b6 >/dev/null 2>&1 &
        sleep 0.$((RANDOM % 5 + 1))
        kill -KILL $! 2>/dev/null
        wait $! 2>/dev/null
done ) &
crasher=$!
kills=0
lost=0
for round in $(seq 20); do
        sleep 0.$((RANDOM % 8 + 2))
        kill_daemon KILL && kills=$((kills + 1))
        for k in 41 42 43; do
                [ "$(in_ct "$helper" expect $k 2097152 0 held)" = OK ] || lost=$((lost + 1))
        done
done
kill "$crasher"
wait "$crasher" 2>/dev/null
pkill -KILL -f "^$helper hold 48 "
for k in 44 45 46 47; do signal_helper TERM "mix $k"; done
wait "$pid_m44" "$pid_m45" "$pid_m46" "$pid_m47" 2>/dev/null
rounds=$(cat "$work"/m4[4-7].out | sed -n 's/^mixed //p' | awk '{ s += $1 } END { print s + 0 }')
for k in 41 42 43; do pkill -KILL -f "^$helper hold $k "; done
wait "$pid_h41" "$pid_h42" "$pid_h43" 2>/dev/null
end_ok=0
if wait_for 2 segments_are 0 && wait_for 2 used_is "$base"; then end_ok=1; fi
end_fds=$(in_ct sh -c "ls /proc/$(show MainPID)/fd | wc -l")
echo "stress: $kills SIGKILLs of the daemon, $rounds mixed rounds (alloc, fork, exec, free), $lost held keys lost, after: $(show StatusText), $(used) pages in use (base $base), $end_fds descriptors (a fresh daemon: $fresh_fds)"
if [ "$kills" = 20 ] && [ "$lost" = 0 ] && [ $end_ok = 1 ] && [ "$end_fds" = "$fresh_fds" ]; then
        ok "twenty SIGKILLs under the stress mix: no held segment lost, none left unheld, every page back, descriptors as a fresh daemon's"
else
        bad "stress: kills $kills, lost $lost, $(show StatusText), used $(used) (base $base), fds $end_fds vs $fresh_fds"
fi

in_ct systemctl stop hugepaged.socket hugepaged.service
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
