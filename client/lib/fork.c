/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fork.c - what fork() does to the library; see fork.h.
 *
 * Before fork() the parent, if it maps keyed segments, asks the
 * daemon for a hold: a copy of its references under a random token. The child
 * inherits the token, writes its pid into a pipe for the parent, and claims
 * the hold on a connection of its own; the parent passes the pid on to the
 * daemon (FORK_DONE), which then drops the hold if the child dies without
 * claiming it. At no moment is a keyed segment the child maps uncounted. Key-0
 * mappings are MADV_DONTFORK: the child has none, and claims none.
 * See docs/lifetimes.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fork.h"
#include "maptab.h"
#include "state.h"

static struct {
        uint64_t token; /* 0: no hold asked for */
        int pipe[2];    /* child -> parent: the child's pid */
} pending = {0, {-1, -1}};

/* A page the kernel empties in every child (MADV_WIPEONFORK, Linux 4.14):
 * while its mark is set, this is the process that set it, and no getpid()
 * is needed to know it. NULL where the kernel cannot: getpid() every call. */
static volatile int *same_process;

static void mark_process(void)
{
        if (same_process)
                *same_process = 1;
}

/* A generation no connection has: an inherited mapping waiting for the
 * child's claim, which a new connection must not register on its own. */
#define GEN_INHERITED UINT64_MAX

/* In a new child: forget key-0 mappings (not mapped here: MADV_DONTFORK)
 * and their segments; mark the segments the parent's connection held as
 * inherited, the rest as held by nobody. */
static void set_aside_for_child(uint64_t parent_gen)
{
        struct mapping *m;
        struct held *h;

        for (size_t i = 0; (m = maptab_at(i));) {
                if (m->seg->key == 0) {
                        maptab_remove(m);
                        continue;
                }
                i++;
        }
        for (size_t i = 0; (h = held_at(i));) {
                if (h->key == 0) {
                        held_remove(h);
                        continue;
                }
                h->gen = h->gen == parent_gen ? GEN_INHERITED : 0;
                i++;
        }
}

/* After the claim: the inherited segments are held by our new connection,
 * or, if there was nothing to claim, by nobody. */
static void settle_inherited(int claimed)
{
        struct held *h;

        for (size_t i = 0; (h = held_at(i)); i++)
                if (h->gen == GEN_INHERITED)
                        h->gen = claimed ? lib_conn.gen : 0;
}

static int holds_keyed(void)
{
        struct held *h;

        if (lib_conn.fd < 0)
                return 0;
        for (size_t i = 0; (h = held_at(i)); i++)
                if (h->key > 0 && h->gen == lib_conn.gen)
                        return 1;
        return 0;
}

static void close_pipe(void)
{
        for (int i = 0; i < 2; i++) {
                if (pending.pipe[i] >= 0)
                        close(pending.pipe[i]);
                pending.pipe[i] = -1;
        }
}

static void atfork_prepare(void)
{
        struct hp_fork req = {0};
        struct hp_msg reply;

        pthread_mutex_lock(&lib_lock);
        fork_check_pid();
        pending.token = 0;
        if (!holds_keyed())
                return;
        if (conn_call(&lib_conn, HP_MSG_FORK, &req, sizeof(req), HP_MSG_FORK_REPLY, &reply, NULL,
                      0) < 0 ||
            reply.u.fork_reply.st.status)
                return; /* the child will not be counted; nothing else breaks */
        pending.token = reply.u.fork_reply.token;
        if (pipe2(pending.pipe, O_CLOEXEC) < 0)
                pending.pipe[0] = pending.pipe[1] = -1;
}

static void atfork_parent(void)
{
        if (pending.token) {
                struct hp_fork_done done = {.token = pending.token, .pid = -1};
                struct hp_msg reply;
                pid_t pid;
                ssize_t n = -1;

                if (pending.pipe[1] >= 0) {
                        close(pending.pipe[1]);
                        pending.pipe[1] = -1;
                        /* The child's first act; end of file if it is gone (or
                         * fork() failed). */
                        do
                                n = read(pending.pipe[0], &pid, sizeof(pid));
                        while (n < 0 && errno == EINTR);
                        if (n == sizeof(pid))
                                done.pid = pid;
                }
                (void)conn_call(&lib_conn, HP_MSG_FORK_DONE, &done, sizeof(done),
                                HP_MSG_FORK_DONE_REPLY, &reply, NULL, 0);
        }
        pending.token = 0;
        close_pipe();
        pthread_mutex_unlock(&lib_lock);
}

static void atfork_child(void)
{
        uint64_t token = pending.token, parent_gen = lib_conn.gen;
        struct hp_token claim = {.token = token};
        struct hp_msg reply;
        int claimed = 0;

        if (pending.pipe[1] >= 0) {
                pid_t me = getpid();

                (void)!write(pending.pipe[1], &me, sizeof(me));
        }
        pending.token = 0;
        close_pipe();
        conn_drop(&lib_conn); /* our copy of the parent's socket */
        lib_set_owner(getpid());
        mark_process();
        set_aside_for_child(parent_gen);
        if (token)
                claimed = conn_call(&lib_conn, HP_MSG_CLAIM, &claim, sizeof(claim),
                                    HP_MSG_CLAIM_REPLY, &reply, NULL, 0) == 0 &&
                          reply.u.status.status == 0;
        settle_inherited(claimed);
        pthread_mutex_unlock(&lib_lock);
}

void fork_install(void)
{
        void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (p != MAP_FAILED && madvise(p, (size_t)sysconf(_SC_PAGESIZE), MADV_WIPEONFORK) == 0)
                same_process = p;
        else if (p != MAP_FAILED)
                munmap(p, (size_t)sysconf(_SC_PAGESIZE));
        mark_process();
        pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void fork_check_pid(void)
{
        pid_t me;

        if (same_process && *same_process)
                return;
        me = getpid();
        mark_process();
        if (me == lib_owner())
                return;
        /* A child nobody told us about: the connection is the parent's. */
        conn_drop(&lib_conn);
        set_aside_for_child(0);
        settle_inherited(0);
        lib_set_owner(me);
}
