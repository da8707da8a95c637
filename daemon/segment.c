/*
 * segment.c - segments and their memory; see segment.h.
 *
 * segment_make_memory() runs on the worker thread and may take long
 * (fallocate zeroes every page); everything else runs on the loop and is
 * O(1). Nothing here decides who may use a segment: that is policy.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26 /* <linux/memfd.h>; glibc's <sys/mman.h> lacks it */
#endif

#include "log.h"
#include "pool.h"
#include "segment.h"

static struct segment *insert(struct segtab *t, uint64_t id, int32_t key, uint64_t size,
                              struct pool_size *pool, uid_t uid, gid_t gid, mode_t mode)
{
        struct segment *s;

        if (htab_find(&t->by_id, id) || (key > 0 && htab_find(&t->by_key, (uint64_t)key)))
                return NULL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->id = id;
        s->key = key;
        s->size = size;
        s->page_size = pool->page_size;
        s->pool = pool;
        s->uid = uid;
        s->gid = gid;
        s->mode = mode & 0777;
        s->ctime = time(NULL);
        s->fd = s->ro_fd = -1;
        list_init(&s->waiters);
        if (htab_insert(&t->by_id, &s->by_id, s->id) < 0) {
                free(s);
                return NULL;
        }
        if (key > 0) {
                if (htab_insert(&t->by_key, &s->by_key, (uint64_t)key) < 0) {
                        htab_remove(&t->by_id, &s->by_id);
                        free(s);
                        return NULL;
                }
                s->in_key_index = 1;
        }
        return s;
}

struct segment *segment_new(struct segtab *t, int32_t key, uint64_t size, struct pool_size *pool,
                            uid_t uid, gid_t gid, mode_t mode)
{
        struct segment *s = insert(t, t->last_id + 1, key, size, pool, uid, gid, mode);

        if (s)
                t->last_id = s->id;
        return s;
}

struct segment *segment_restore(struct segtab *t, uint64_t id, int32_t key, uint64_t size,
                                struct pool_size *pool, uid_t uid, gid_t gid, mode_t mode, int fd)
{
        struct segment *s = insert(t, id, key, size, pool, uid, gid, mode);

        if (!s)
                return NULL;
        s->fd = fd;
        s->ready = 1;
        s->restored = 1;
        s->users = 1; /* the grace period, until it ends */
        if (id > t->last_id)
                t->last_id = id;
        return s;
}

struct segment *segment_by_id(struct segtab *t, uint64_t id)
{
        struct hnode *n = htab_find(&t->by_id, id);

        return n ? container_of(n, struct segment, by_id) : NULL;
}

struct segment *segment_by_key(struct segtab *t, int32_t key)
{
        struct hnode *n = htab_find(&t->by_key, (uint64_t)key);

        return n ? container_of(n, struct segment, by_key) : NULL;
}

void segment_unlink(struct segtab *t, struct segment *s)
{
        htab_remove(&t->by_id, &s->by_id);
        if (s->in_key_index)
                htab_remove(&t->by_key, &s->by_key);
        s->in_key_index = 0;
}

static int log2u64(uint64_t v)
{
        return 63 - __builtin_clzll(v);
}

#define HUGETLBFS_MAGIC 0x958458f6

static int backend_dir = -1;
static uint64_t backend_page_size;

int segment_use_hugetlbfs(const char *dir, uint64_t *page_size)
{
        struct statfs sfs;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        if (fstatfs(fd, &sfs) < 0 || (unsigned long)sfs.f_type != HUGETLBFS_MAGIC) {
                close(fd);
                return -ENOTSUP;
        }
        backend_dir = fd;
        backend_page_size = (uint64_t)sfs.f_bsize;
        *page_size = backend_page_size;
        return 0;
}

uint64_t segment_backend_page_size(void)
{
        return backend_page_size;
}

int segment_backend_dir(void)
{
        return backend_dir;
}

int32_t segment_stored_key(const struct segment *s)
{
        return s->removed ? 0 : s->key;
}

static void file_name(const struct segment *s, char *buf, size_t len, const char *suffix)
{
        snprintf(buf, len, "seg-%" PRIu64 "-%" PRId32 "%s", s->id, segment_stored_key(s), suffix);
}

void segment_forget_key(struct segtab *t, struct segment *s)
{
        char old[64], name[64];

        if (s->in_key_index)
                htab_remove(&t->by_key, &s->by_key);
        s->in_key_index = 0;
        file_name(s, old, sizeof(old), "");
        s->removed = 1;
        file_name(s, name, sizeof(name), "");
        if (backend_dir >= 0)
                renameat(backend_dir, old, backend_dir, name);
}

/* The hugetlbfs backend: a file made under a temporary name, complete before
 * it takes its real one, so a restarted daemon never finds half a segment. */
static int make_file(struct segment *s)
{
        char tmp[64], name[64];
        int fd, r;

        file_name(s, tmp, sizeof(tmp), ".tmp");
        file_name(s, name, sizeof(name), "");
        fd = openat(backend_dir, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        /* Mode first: once the file is the client's, changing its mode would
         * need CAP_FOWNER, which the unit does not grant. */
        if (fchmod(fd, s->mode & 0666) < 0 || (geteuid() == 0 && fchown(fd, s->uid, s->gid) < 0))
                goto fail;
        do
                r = fallocate(fd, 0, 0, (off_t)s->size);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
                if (errno == ENOSPC)
                        errno = ENOMEM;
                goto fail;
        }
        if (renameat(backend_dir, tmp, backend_dir, name) < 0)
                goto fail;
        s->fd = fd;
        return 0;
fail:
        r = -errno;
        unlinkat(backend_dir, tmp, 0);
        close(fd);
        return r;
}

void segment_remove_memory(struct segment *s)
{
        char name[64];

        if (backend_dir < 0)
                return;
        file_name(s, name, sizeof(name), "");
        unlinkat(backend_dir, name, 0);
}

int segment_restore_dir(struct segtab *t, struct pool *p)
{
        struct dirent *de;
        int n = 0, dfd;
        DIR *d;

        if (backend_dir < 0)
                return 0;
        /* Its own open file: a dup would share (and move) the read offset. */
        dfd = openat(backend_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                unsigned long long id;
                struct segment *s;
                struct stat st;
                int key, end = 0, fd;

                if (strncmp(de->d_name, "seg-", 4))
                        continue;
                if (sscanf(de->d_name, "seg-%llu-%d%n", &id, &key, &end) != 2 ||
                    de->d_name[end] != '\0' || id == 0 || key < 0) {
                        /* A half-made segment (.tmp) or a stranger: not ours to keep. */
                        log_warn("hugetlbfs: removing %s", de->d_name);
                        unlinkat(backend_dir, de->d_name, 0);
                        continue;
                }
                fd = openat(backend_dir, de->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
                    (uint64_t)st.st_size % backend_page_size) {
                        if (fd >= 0)
                                close(fd);
                        log_warn("hugetlbfs: removing %s", de->d_name);
                        unlinkat(backend_dir, de->d_name, 0);
                        continue;
                }
                s = segment_restore(t, id, key, (uint64_t)st.st_size,
                                    pool_find(p, backend_page_size), st.st_uid, st.st_gid,
                                    st.st_mode & 0777, fd);
                if (!s) {
                        close(fd);
                        continue;
                }
                log_info("segment id=%llu key=%d: found in the hugetlbfs directory (%lld bytes)",
                         id, key, (long long)st.st_size);
                n++;
        }
        closedir(d);
        return n;
}

int segment_make_memory(struct segment *s)
{
        char name[48];
        unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB;
        int fd, r;

        if (backend_dir >= 0)
                return make_file(s);
        snprintf(name, sizeof(name), "hugepaged:key=%" PRId32 ":id=%" PRIu64, s->key, s->id);
        flags |= (unsigned)log2u64(s->page_size) << MFD_HUGE_SHIFT;
        fd = memfd_create(name, flags);
        if (fd < 0)
                return -errno;
        /* The inode carries the segment's owner and mode, so that a client
         * holding a read-only descriptor cannot reopen it for writing through
         * /proc/self/fd unless the mode lets it. */
        /* Mode first: once the file is the client's, changing its mode would
         * need CAP_FOWNER, which the unit does not grant. */
        if (fchmod(fd, s->mode & 0666) < 0 || (geteuid() == 0 && fchown(fd, s->uid, s->gid) < 0)) {
                r = -errno;
                goto fail;
        }
        do
                r = fallocate(fd, 0, 0, (off_t)s->size);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
                r = errno == ENOSPC ? -ENOMEM : -errno;
                goto fail;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
                r = -errno;
                goto fail;
        }
        s->fd = fd;
        return 0;
fail:
        close(fd);
        return r;
}

int segment_fd(struct segment *s, int writable)
{
        char path[32];

        if (writable)
                return s->fd;
        if (s->ro_fd < 0) {
                snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
                s->ro_fd = open(path, O_RDONLY | O_CLOEXEC);
                if (s->ro_fd < 0)
                        return -errno;
        }
        return s->ro_fd;
}

void segment_free(struct segment *s)
{
        if (s->fd >= 0)
                close(s->fd);
        if (s->ro_fd >= 0)
                close(s->ro_fd);
        free(s);
}

struct foreach_ctx {
        void (*fn)(struct segment *s, void *ctx);
        void *ctx;
};

static void foreach_one(struct hnode *n, void *ctx)
{
        struct foreach_ctx *f = ctx;

        f->fn(container_of(n, struct segment, by_id), f->ctx);
}

void segment_foreach(struct segtab *t, void (*fn)(struct segment *s, void *ctx), void *ctx)
{
        struct foreach_ctx f = {fn, ctx};

        htab_foreach(&t->by_id, foreach_one, &f);
}
