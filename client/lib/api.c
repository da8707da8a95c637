/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * api.c - alloc_hugepages(), free_hugepages() and the hugepages_*
 * extensions: the public edge.
 *
 * Owns: argument checking, mapping the descriptor the daemon sends,
 * keeping the table of mappings, and setting the library up once. This is
 * the only file that sets errno. Each call is one round trip under the
 * library's one lock (state.h); what fork() does is fork.c's, registering
 * again after a reconnect reconnect.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
static void *map(const struct hp_alloc_reply *r, int fd, void *addr, size_t len, int prot, int key)
{
        void *p;

        if (addr && (uintptr_t)addr % r->page_size) {
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

EXPORT void *alloc_hugepages(int key, void *addr, size_t len, int prot, int flag)
{
        struct hp_alloc req;
        struct hp_msg reply;
        struct mapping m;
        struct stat st;
        uint64_t page_size;
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
        page_size = shift ? UINT64_C(1) << shift : lib_conn.default_page_size;
        if (len % page_size || (addr && (uintptr_t)addr % page_size)) {
                r = -EINVAL;
                goto out;
        }
        req = (struct hp_alloc){
            .key = key,
            .flag = (uint32_t)flag,
            .len = len,
            .prot = (uint32_t)prot,
        };
        r = conn_call(&lib_conn, HP_MSG_ALLOC, &req, sizeof(req), HP_MSG_ALLOC_REPLY, &reply, &fd,
                      1);
        if (r < 0)
                goto out;
        if (reply.u.alloc_reply.st.status) {
                r = -reply.u.alloc_reply.st.status;
                goto out;
        }
        p = map(&reply.u.alloc_reply, fd, addr, len, prot, key);
        if (p != MAP_FAILED && fstat(fd, &st) < 0) {
                munmap(p, len);
                p = MAP_FAILED;
        }
        close(fd);
        if (p == MAP_FAILED) {
                r = -errno;
                release(reply.u.alloc_reply.id);
                goto out;
        }
        m = (struct mapping){
            .addr = p,
            .len = len,
            .id = reply.u.alloc_reply.id,
            .gen = lib_conn.gen,
            .dev = (uint64_t)st.st_dev,
            .ino = (uint64_t)st.st_ino,
            .key = key,
        };
        if (maptab_add(&m) < 0) {
                munmap(p, len);
                release(m.id);
                r = -ENOMEM;
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
        struct mapping *m, copy;

        lib_init();
        pthread_mutex_lock(&lib_lock);
        fork_check_pid();
        m = addr ? maptab_find(addr) : NULL;
        if (!m) {
                pthread_mutex_unlock(&lib_lock);
                errno = EINVAL;
                return -1;
        }
        copy = *m;
        maptab_remove(m);
        munmap(copy.addr, copy.len);
        if (copy.gen && copy.gen == lib_conn.gen && lib_conn.fd >= 0)
                drop(copy.id);
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
