/*
 * api.c - alloc_hugepages() and free_hugepages(): the public edge.
 *
 * Owns: argument checking, mapping the descriptor the daemon sends, the
 * process-wide lock, and fork handling. This is the only file that sets
 * errno. Every call is one round trip under one lock.
 *
 * fork(): the child drops its copy of the parent's connection (the parent
 * keeps using it), forgets key-0 mappings (MADV_DONTFORK kept them out of
 * the child), and registers each inherited keyed mapping on a connection of
 * its own, so that it counts as a user. See docs/lifetimes.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conn.h"
#include "hugepages.h"
#include "maptab.h"

#define EXPORT __attribute__((visibility("default")))

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct conn conn = CONN_INIT;

static void atfork_prepare(void)
{
        pthread_mutex_lock(&lock);
}

static void atfork_parent(void)
{
        pthread_mutex_unlock(&lock);
}

/* Tell the daemon this process holds a reference to an inherited mapping. */
static void register_inherited(struct mapping *m)
{
        struct hp_ref ref = {.id = m->id};
        struct hp_msg reply;

        m->gen = 0;
        if (conn_call(&conn, HP_MSG_ADDREF, &ref, sizeof(ref), HP_MSG_ADDREF_REPLY, &reply, NULL,
                      0) == 0 &&
            reply.u.status.status == 0)
                m->gen = conn.gen;
}

static void atfork_child(void)
{
        struct mapping *m;

        conn_drop(&conn);
        for (size_t i = 0; (m = maptab_at(i));) {
                if (m->key == 0) {
                        maptab_remove(m); /* not mapped here: MADV_DONTFORK */
                        continue;
                }
                register_inherited(m);
                i++;
        }
        pthread_mutex_unlock(&lock);
}

static void init_once(void)
{
        pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static void *fail(int err)
{
        errno = err;
        return HUGEPAGES_FAILED;
}

static void release(uint64_t id)
{
        struct hp_ref ref = {.id = id};
        struct hp_msg reply;

        /* If the connection broke, the daemon already dropped the reference. */
        (void)conn_call(&conn, HP_MSG_RELEASE, &ref, sizeof(ref), HP_MSG_RELEASE_REPLY, &reply,
                        NULL, 0);
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
        uint64_t page_size;
        unsigned shift;
        int fd = -1, r;
        void *p;

        if (key < 0 || len == 0 || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) || !flag_ok(flag))
                return fail(EINVAL);
        pthread_once(&once, init_once);

        pthread_mutex_lock(&lock);
        r = conn_ensure(&conn);
        if (r < 0)
                goto out;
        shift = ((unsigned)flag & HP_FLAG_SIZE_MASK) >> HP_FLAG_SIZE_SHIFT;
        page_size = shift ? UINT64_C(1) << shift : conn.default_page_size;
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
        r = conn_call(&conn, HP_MSG_ALLOC, &req, sizeof(req), HP_MSG_ALLOC_REPLY, &reply, &fd, 1);
        if (r < 0)
                goto out;
        if (reply.u.alloc_reply.st.status) {
                r = -reply.u.alloc_reply.st.status;
                goto out;
        }
        p = map(&reply.u.alloc_reply, fd, addr, len, prot, key);
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
            .gen = conn.gen,
            .key = key,
        };
        if (maptab_add(&m) < 0) {
                munmap(p, len);
                release(m.id);
                r = -ENOMEM;
                goto out;
        }
        pthread_mutex_unlock(&lock);
        return p;
out:
        pthread_mutex_unlock(&lock);
        return fail(-r);
}

EXPORT int free_hugepages(void *addr)
{
        struct mapping *m, copy;

        pthread_once(&once, init_once);
        pthread_mutex_lock(&lock);
        m = addr ? maptab_find(addr) : NULL;
        if (!m) {
                pthread_mutex_unlock(&lock);
                errno = EINVAL;
                return -1;
        }
        copy = *m;
        maptab_remove(m);
        munmap(copy.addr, copy.len);
        if (copy.gen && copy.gen == conn.gen && conn.fd >= 0)
                release(copy.id);
        pthread_mutex_unlock(&lock);
        return 0;
}
