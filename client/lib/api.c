/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * api.c - alloc_hugepages() and free_hugepages(): the public edge.
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

static void release(uint64_t id)
{
        struct hp_ref ref = {.id = id};
        struct hp_msg reply;

        /* If the connection broke, the daemon already dropped the reference. */
        (void)conn_call(&lib_conn, HP_MSG_RELEASE, &ref, sizeof(ref), HP_MSG_RELEASE_REPLY, &reply,
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
                release(copy.id);
        pthread_mutex_unlock(&lib_lock);
        return 0;
}
