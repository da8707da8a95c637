/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * memory.c - segments' memory; see memory.h.
 *
 * memory_begin/fill/end run on the worker thread, and fill may take long
 * (fallocate zeroes every page); memory_fd() runs on the loop and opens a
 * file at most once per segment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26 /* <linux/memfd.h>; glibc's <sys/mman.h> lacks it */
#endif

#include "cleanup.h"
#include "memory.h"
#include "persist.h"
#include "segment.h"

#define HUGETLBFS_MAGIC 0x958458f6

int memory_use_hugetlbfs(struct backend *b, const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct statfs sfs;

        if (fd < 0)
                return -errno;
        if (fstatfs(fd, &sfs) < 0 || (unsigned long)sfs.f_type != HUGETLBFS_MAGIC)
                return -ENOTSUP;
        b->dir = take_fd(&fd);
        b->page_size = (uint64_t)sfs.f_bsize;
        return 0;
}

void memory_close(struct backend *b)
{
        if (b->dir >= 0)
                close(b->dir);
        *b = BACKEND_MEMFD;
}

static int log2u64(uint64_t v)
{
        return 63 - __builtin_clzll(v);
}

/* Owner and mode. Mode first: once the file is the client's, changing its
 * mode would need CAP_FOWNER, which the unit does not grant. The inode
 * carries the segment's owner and mode so that a client holding a read-only
 * descriptor cannot reopen it for writing through /proc/self/fd unless the
 * mode lets it. */
static int own(int fd, const struct segment *s)
{
        if (fchmod(fd, s->mode & 0666) < 0 || (geteuid() == 0 && fchown(fd, s->uid, s->gid) < 0))
                return -errno;
        return 0;
}

static void tmp_name(const struct segment *s, char *buf, size_t len)
{
        char name[PERSIST_MAX + 1];

        segment_name(s, name, sizeof(name));
        snprintf(buf, len, "tmp-%s", name);
}

int memory_begin(const struct backend *b, struct segment *s)
{
        unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB;
        _cleanup_close_ int fd = -1;
        char name[PERSIST_MAX + 8];
        int r;

        if (b->dir >= 0) {
                /* hugetlbfs: made under a temporary name, complete before it
                 * takes its real one, so a restarted daemon never finds half
                 * a segment. */
                tmp_name(s, name, sizeof(name));
                fd = openat(b->dir, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        } else {
                snprintf(name, sizeof(name), "hugepaged:key=%" PRId32 ":id=%" PRIu64, s->key,
                         s->id);
                flags |= (unsigned)log2u64(s->page_size) << MFD_HUGE_SHIFT;
                fd = memfd_create(name, flags);
        }
        if (fd < 0)
                return -errno;
        if ((r = own(fd, s)) < 0) {
                if (b->dir >= 0)
                        unlinkat(b->dir, name, 0);
                return r;
        }
        s->fd = take_fd(&fd);
        return 0;
}

int memory_warm_begin(struct segment *piece)
{
        unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB;
        int fd;

        flags |= (unsigned)log2u64(piece->page_size) << MFD_HUGE_SHIFT;
        /* "hugepaged:warm" stays its name as a segment's: where it came from. */
        fd = memfd_create("hugepaged:warm", flags);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0600) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        piece->fd = fd;
        return 0;
}

int memory_warm_take(struct segment *s, int fd)
{
        int r = 0;

        /* Pages past the segment go back to the pool, still zero. */
        if (ftruncate(fd, (off_t)s->size) < 0 || (r = own(fd, s)) < 0) {
                r = r ? r : -errno;
                close(fd);
                return r;
        }
        s->fd = fd;
        return 0;
}

int memory_fill(struct segment *s, uint64_t offset, uint64_t bytes)
{
        int r;

        do
                r = fallocate(s->fd, 0, (off_t)offset, (off_t)bytes);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return errno == ENOSPC ? -ENOMEM : -errno;
        return 0;
}

int memory_end(const struct backend *b, struct segment *s)
{
        char tmp[PERSIST_MAX + 8], name[PERSIST_MAX + 1];

        if (b->dir < 0)
                return fcntl(s->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0
                           ? -errno
                           : 0;
        tmp_name(s, tmp, sizeof(tmp));
        segment_name(s, name, sizeof(name));
        return renameat(b->dir, tmp, b->dir, name) < 0 ? -errno : 0;
}

void memory_abort(const struct backend *b, struct segment *s)
{
        char tmp[PERSIST_MAX + 8];

        if (b->dir >= 0) {
                tmp_name(s, tmp, sizeof(tmp));
                unlinkat(b->dir, tmp, 0);
        }
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
}

void memory_remove(const struct backend *b, const struct segment *s)
{
        char name[PERSIST_MAX + 1];

        if (b->dir >= 0 && segment_name(s, name, sizeof(name)) == 0)
                unlinkat(b->dir, name, 0);
}

void memory_rename(const struct backend *b, const struct segment *s, const char *old)
{
        char name[PERSIST_MAX + 1];

        if (b->dir >= 0 && segment_name(s, name, sizeof(name)) == 0)
                renameat(b->dir, old, b->dir, name);
}

int memory_fd(struct segment *s, int writable)
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
