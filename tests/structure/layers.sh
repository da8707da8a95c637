#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# layers.sh SOURCE_DIR - the structure docs/architecture.md describes, checked.
#
# * daemon/: the modules (x.c and x.h are module x) form no include cycle;
# * proto/ includes nothing of daemon/ or client/, common/ nothing but its own;
#   daemon/ and client/ never include each other;
# * exactly one file writes a segment's user count, and only segref.c
#   destroys a segment (the worker's destroy job, the table's unlink).
# Prints one line per check and "N passed, M failed"; exits 1 on a failure.
set -u
src=$(cd "$1" && pwd)
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }

# "module dependency" pairs from the #include "..." lines of a directory,
# keeping only headers that live in that directory.
edges() {
        local dir=$1 f mod dep
        for f in "$dir"/*.c "$dir"/*.h; do
                mod=$(basename "${f%.*}")
                sed -n 's/^#include "\([^"]*\)\.h".*/\1/p' "$f" | while read -r dep; do
                        [ -f "$dir/$dep.h" ] && [ "$dep" != "$mod" ] && echo "$mod $dep"
                done
        done
}

for dir in daemon client/lib; do
        if out=$(edges "$src/$dir" | sort -u | tsort 2>&1 >/dev/null) && [ -z "$out" ]; then
                ok "$dir: no include cycle ($(edges "$src/$dir" | sort -u | wc -l) edges)"
        else
                bad "$dir: include cycle: $(echo "$out" | tr '\n' ' ')"
        fi
done

layer_bad=$(grep -ln '#include "\(client\|hpd\|segment\|hugepages\|conn\)\.h"' "$src"/proto/*.[ch] 2>/dev/null)
[ -z "$layer_bad" ] && ok "proto/ includes nothing above it" || bad "proto/ includes: $layer_bad"
common_bad=$(grep -l '#include "[^"]*"' "$src"/common/*.[ch] 2>/dev/null | while read -r f; do
        sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | grep -qvx 'htab.h' && echo "$f"
done)
[ -z "$common_bad" ] && ok "common/ includes only itself" || bad "common/ includes: $common_bad"
cross=$( (grep -l '#include "\(conn\|maptab\|state\|hugepages\)\.h"' "$src"/daemon/*.[ch]
        grep -l '#include "\(hpd\|segment\|segref\|client\)\.h"' "$src"/client/*.c "$src"/client/lib/*.[ch]) 2>/dev/null)
[ -z "$cross" ] && ok "daemon/ and client/ do not include each other" || bad "cross includes: $cross"

# Writes of the user count: "users =", "users +=", "users -=", "users++"...
# (A designated initializer, ".users = x," in a reply, only reads the count;
# "x->users = users;" keeps a pointer to the accounts of user.c.)
writers=$(cd "$src/daemon" && grep -nE '(->|\.)users[[:space:]]*([-+*/]?=[^=]|\+\+|--)' ./*.c |
        grep -vE '^[^:]+:[0-9]+:[[:space:]]*\.users[[:space:]]*=|= users;' | cut -d: -f1 |
        sort -u | xargs -n1 basename)
[ "$writers" = "segref.c" ] && ok "only segref.c writes a segment's user count" ||
        bad "files writing a segment's user count: $(echo $writers)"

destroyers=$(grep -lE '\b(worker_destroy|segment_unlink)\(' "$src"/daemon/*.c |
        xargs -n1 basename | grep -vx 'segment.c\|worker.c')
[ "$destroyers" = "segref.c" ] && ok "only segref.c destroys a segment" ||
        bad "files that destroy segments: $(echo $destroyers)"
n=$(grep -cE '^static void destroy\(' "$src/daemon/segref.c")
calls=$(grep -hE '\bworker_destroy\(' "$src/daemon/segref.c" | grep -vc '^static')
[ "$n" = 1 ] && [ "$calls" = 1 ] && ok "one function, destroy(), ends a segment's life" ||
        bad "segref.c: $n destroy() definitions, $calls worker_destroy calls"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
