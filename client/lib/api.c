/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * api.c - alloc_hugepages(), free_hugepages() and the hugepages_*
 * extensions: the public edge.
 *
 * Owns: argument checking, mapping the descriptor the daemon sends,
 * keeping the table of mappings, and setting the library up once. This is
 * the only file that sets errno. A call runs under the library's one lock
 * (state.h), and is one round trip, or none for a segment this process
 * already maps (see fast_attach()); what fork() does is fork.c's, registering
 * again after a reconnect reconnect.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fork.h"
#include "hugepages.h"
#include "maptab.h"
#include "reconnect.h"
#include "state.h"

#define EXPORT __attribute__((visibility("default")))

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
        lib_conn.on_connect = reconnect_register;
        lib_conn.want_epoch = 1;
        lib_set_owner(getpid());
        fork_install();
}

/* Once per process, before anything else. */
static void lib_init(void)
{
        pthread_once(&once, init);
}

static void *fail(int err)
{
        errno = err;
        return HUGEPAGES_FAILED;
}

/* The same for the calls that return -1. */
static int fail_int(int err)
{
        errno = err;
        return -1;
}

static void release(uint64_t id)
{
        struct hp_ref ref = {.id = id};
        struct hp_msg reply;

        /* If the connection broke, the daemon already dropped the reference. */
        (void)conn_call(&lib_conn, HP_MSG_RELEASE, &ref, sizeof(ref), HP_MSG_RELEASE_REPLY, &reply,
                        NULL, 0);
}

/* free_hugepages(): one way, no answer to wait for. The daemon reads it
 * before anything this process sends later; a socket with no room left
 * takes the round trip instead. */
static void drop(uint64_t id)
{
        struct hp_ref ref = {.id = id};

        if (conn_post(&lib_conn, HP_MSG_DROP, &ref, sizeof(ref)) == -EAGAIN)
                release(id);
}

static int flag_ok(int flag)
{
        unsigned f = (unsigned)flag;

        return (f & ~HP_FLAG_KNOWN) == 0;
}

/* Map what the daemon granted. Returns the address or MAP_FAILED (errno set). */
static void *map(uint64_t page_size, int fd, void *addr, size_t len, int prot, int key)
{
        void *p;

        if (addr && (uintptr_t)addr % page_size) {
                errno = EINVAL;
                return MAP_FAILED;
        }
        p = mmap(addr, len, prot, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return p;
        if (key == 0 && madvise(p, len, MADV_DONTFORK) < 0) {
                int e = errno;

                munmap(p, len);
                errno = e;
                return MAP_FAILED;
        }
        return p;
}

/*
 * A key this process maps already, asked for again: mapped from the
 * descriptor kept for it, with no round trip, when the daemon could only
 * have granted it. That is while the key epoch is the one at which the
 * daemon last gave this segment for the key (no key was removed since), our
 * reference is held on the live connection, and the request is one the
 * daemon would grant from what it granted us: no IPC_EXCL, the same page
 * size, a len within the segment, and a descriptor of the access asked for
 * (read-only for a mapping without PROT_WRITE, as the daemon gives: such a
 * mapping can never be made writable). Anything else goes to the daemon.
 * Returns the address, MAP_FAILED with errno set, or NULL: ask the daemon.
 */
static void *fast_attach(int key, void *addr, size_t len, int prot, int flag, uint64_t want)
{
        struct held *h = held_by_key(key);
        int fd;
        void *p;

        if (!h || h->gen != lib_conn.gen || lib_conn.fd < 0 || h->epoch == HELD_STALE ||
            h->epoch != conn_epoch(&lib_conn))
                return NULL;
        fd = h->fd[(prot & PROT_WRITE) != 0];
        if (fd < 0 || (flag & (IPC_CREAT | IPC_EXCL)) == (IPC_CREAT | IPC_EXCL) ||
            (want && want != h->page_size) || len % h->page_size || len > h->size)
                return NULL;
        p = map(h->page_size, fd, addr, len, prot, key);
        if (p != MAP_FAILED && maptab_add(p, len, h) < 0) {
                munmap(p, len);
                errno = ENOMEM;
                return MAP_FAILED;
        }
        return p;
}

/* What the daemon granted, into the tables: the segment held already (then
 * the daemon counts this process twice: once is let go at once), or new.
 * fd is taken. 0 or a negative errno (the grant is then let go). */
static int record(const struct hp_alloc_reply *a, int fd, void *p, size_t len, int key,
                  uint64_t epoch)
{
        struct held *h = held_by_id(a->id);
        int twice = h && h->gen == lib_conn.gen; /* the daemon counts us twice now */
        int writable;

        if (!h) {
                h = held_add(&(struct held){
                    .id = a->id,
                    .size = a->size,
                    .page_size = a->page_size,
                    .key = key,
                    .fd = {-1, -1},
                });
                if (!h) {
                        close(fd);
                        drop(a->id);
                        return -ENOMEM;
                }
        }
        if (maptab_add(p, len, h) < 0) {
                close(fd);
                drop(a->id);
                if (h->maps == 0)
                        held_remove(h);
                return -ENOMEM;
        }
        if (twice)
                drop(a->id);
        h->gen = lib_conn.gen;
        /* The descriptor is kept for mapping the key again, with the same
         * access. Key 0 is never asked for again. */
        writable = a->access == HP_ACCESS_RDWR;
        if (key > 0 && h->fd[writable] < 0 && held_may_keep_fd()) {
                held_keep_fd(h, writable, fd);
        } else {
                held_identify(h, fd);
                close(fd);
        }
        if (key > 0) {
                h->epoch = epoch;
                held_name(h);
        }
        return 0;
}

EXPORT void *alloc_hugepages(int key, void *addr, size_t len, int prot, int flag)
{
        struct hp_alloc req;
        struct hp_msg reply;
        uint64_t page_size, want, epoch, gen;
        unsigned shift;
        int fd = -1, r;
        void *p;

        if (key < 0 || len == 0 || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) || !flag_ok(flag))
                return fail(EINVAL);
        lib_init();

        pthread_mutex_lock(&lib_lock);
        fork_check_pid();
        r = conn_ensure(&lib_conn);
        if (r < 0)
                goto out;
        shift = ((unsigned)flag & HP_FLAG_SIZE_MASK) >> HP_FLAG_SIZE_SHIFT;
        want = shift ? UINT64_C(1) << shift : 0;
        page_size = want ? want : lib_conn.default_page_size;
        if (len % page_size || (addr && (uintptr_t)addr % page_size)) {
                r = -EINVAL;
                goto out;
        }
        if (key > 0 && (p = fast_attach(key, addr, len, prot, flag, want))) {
                pthread_mutex_unlock(&lib_lock);
                return p == MAP_FAILED ? fail(errno) : p;
        }
        req = (struct hp_alloc){
            .key = key,
            .flag = (uint32_t)flag,
            .len = len,
            .prot = (uint32_t)prot,
        };
        /* Read before asking: a key removed meanwhile moves it on. Asked on
         * another connection than the one it was read on (a retry), it may be
         * another daemon's page: then nothing is known. */
        epoch = conn_epoch(&lib_conn);
        gen = lib_conn.gen;
        r = conn_call(&lib_conn, HP_MSG_ALLOC, &req, sizeof(req), HP_MSG_ALLOC_REPLY, &reply, &fd,
                      1);
        if (r < 0)
                goto out;
        if (lib_conn.gen != gen)
                epoch = HELD_STALE;
        if (reply.u.alloc_reply.st.status) {
                r = -reply.u.alloc_reply.st.status;
                goto out;
        }
        p = map(reply.u.alloc_reply.page_size, fd, addr, len, prot, key);
        if (p == MAP_FAILED) {
                r = -errno;
                close(fd);
                drop(reply.u.alloc_reply.id);
                goto out;
        }
        r = record(&reply.u.alloc_reply, fd, p, len, key, epoch);
        if (r < 0) {
                munmap(p, len);
                goto out;
        }
        pthread_mutex_unlock(&lib_lock);
        return p;
out:
        pthread_mutex_unlock(&lib_lock);
        return fail(-r);
}

EXPORT int free_hugepages(void *addr)
{
        struct mapping *m;
        struct held *h;
        void *at;
        size_t len;

        lib_init();
        pthread_mutex_lock(&lib_lock);
        fork_check_pid();
        m = addr ? maptab_find(addr) : NULL;
        if (!m) {
                pthread_mutex_unlock(&lib_lock);
                errno = EINVAL;
                return -1;
        }
        h = m->seg;
        at = m->addr;
        len = m->len;
        maptab_remove(m);
        munmap(at, len);
        /* Not this process's last mapping of it: the daemon need not know. */
        if (h->maps == 0) {
                if (h->gen && h->gen == lib_conn.gen && lib_conn.fd >= 0)
                        drop(h->id);
                held_remove(h);
        }
        pthread_mutex_unlock(&lib_lock);
        return 0;
}

/* One request of the extensions: a round trip under the lock. 0, or a
 * negative errno (the reply's status included). */
static int ask(uint16_t type, const void *body, size_t len, uint16_t reply_type,
               struct hp_msg *reply)
{
        int r;

        lib_init();
        pthread_mutex_lock(&lib_lock);
        fork_check_pid();
        r = conn_ensure(&lib_conn);
        if (r == 0)
                r = conn_call(&lib_conn, type, body, len, reply_type, reply, NULL, 1);
        if (r == 0)
                r = -reply->u.status.status;
        pthread_mutex_unlock(&lib_lock);
        return r;
}

EXPORT long hugepages_pagesize(void)
{
        long size;
        int r;

        lib_init();
        pthread_mutex_lock(&lib_lock);
        fork_check_pid();
        r = conn_ensure(&lib_conn);
        size = (long)lib_conn.default_page_size;
        pthread_mutex_unlock(&lib_lock);
        if (r < 0)
                return fail_int(-r);
        return size;
}

EXPORT int hugepages_pagesizes(long sizes[], int n)
{
        struct hp_status_req req = {0};
        struct hp_msg reply;
        const struct hp_status_reply *s = &reply.u.status_reply;
        long all[HP_STATUS_SIZES];
        int count = 0, r;

        if (n < 0 || (!sizes && n > 0))
                return fail_int(EINVAL);
        r = ask(HP_MSG_STATUS, &req, sizeof(req), HP_MSG_STATUS_REPLY, &reply);
        if (r < 0)
                return fail_int(-r);
        /* Smallest first, whatever order the daemon keeps them in. */
        for (uint32_t i = 0; i < s->nsizes; i++) {
                long ps = (long)s->sizes[i].page_size;
                int j = count++;

                for (; j > 0 && all[j - 1] > ps; j--)
                        all[j] = all[j - 1];
                all[j] = ps;
        }
        for (int i = 0; i < count && i < n; i++)
                sizes[i] = all[i];
        return count;
}

EXPORT int hugepages_stat(int key, struct hugepages_stat *st)
{
        struct hp_target t = {.key = key};
        struct hp_msg reply;
        const struct hp_list_reply *l = &reply.u.list_reply;
        int r;

        if (key <= 0 || !st)
                return fail_int(EINVAL);
        r = ask(HP_MSG_STAT, &t, sizeof(t), HP_MSG_STAT_REPLY, &reply);
        if (r < 0)
                return fail_int(-r);
        *st = (struct hugepages_stat){
            .size = (size_t)l->size,
            .page_size = (size_t)l->page_size,
            .uid = (uid_t)l->uid,
            .gid = (gid_t)l->gid,
            .mode = (mode_t)(l->mode & 0777),
            .users = (unsigned long)l->users,
            .processes = l->npids,
            .ctime = (time_t)l->ctime,
            .id = l->id,
        };
        return 0;
}

EXPORT int hugepages_remove(int key)
{
        struct hp_target t = {.key = key};
        struct hp_msg reply;
        int r;

        if (key <= 0)
                return fail_int(EINVAL);
        r = ask(HP_MSG_REMOVE, &t, sizeof(t), HP_MSG_REMOVE_REPLY, &reply);
        if (r < 0)
                return fail_int(-r);
        return 0;
}
