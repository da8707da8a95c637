/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * epoch.c - the key epoch's page; see epoch.h.
 *
 * A client maps the page through a read-only descriptor of a file only the
 * daemon's user may open for writing (mode 0644), so no client can set the
 * epoch back; the seals keep the page's size, so no client mapping it can
 * fault.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "epoch.h"

#define SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* Map fd's page and open the clients' descriptor: e takes fd. */
static int take(struct epoch *e, int fd)
{
        char path[32];
        void *p;

        p = mmap(NULL, HP_EPOCH_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
                int r = -errno;

                close(fd);
                return r;
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        e->ro_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (e->ro_fd < 0) {
                int r = -errno;

                munmap(p, HP_EPOCH_SIZE);
                close(fd);
                return r;
        }
        e->fd = fd;
        e->page = p;
        return 0;
}

int epoch_create(struct epoch *e)
{
        int fd = memfd_create("hugepaged-epoch", MFD_CLOEXEC | MFD_ALLOW_SEALING), r;

        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0644) < 0 || ftruncate(fd, HP_EPOCH_SIZE) < 0 ||
            fcntl(fd, F_ADD_SEALS, SEALS) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        if ((r = take(e, fd)) < 0)
                return r;
        e->page->magic = HP_EPOCH_MAGIC;
        __atomic_store_n(&e->page->epoch, 1, __ATOMIC_RELEASE);
        return 0;
}

int epoch_adopt(struct epoch *e, int fd)
{
        struct stat st;
        int seals = fcntl(fd, F_GET_SEALS), r;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != HP_EPOCH_SIZE ||
            seals < 0 || (seals & SEALS) != SEALS || (st.st_mode & 0022)) {
                close(fd);
                return -EBADMSG;
        }
        if ((r = take(e, fd)) < 0)
                return r;
        if (e->page->magic != HP_EPOCH_MAGIC || e->page->epoch == 0) {
                epoch_close(e);
                return -EBADMSG;
        }
        return 0;
}

void epoch_bump(struct epoch *e)
{
        if (e->page)
                __atomic_fetch_add(&e->page->epoch, 1, __ATOMIC_RELEASE);
}

int epoch_client_fd(const struct epoch *e)
{
        return e->ro_fd;
}

void epoch_close(struct epoch *e)
{
        if (e->page)
                munmap(e->page, HP_EPOCH_SIZE);
        if (e->ro_fd >= 0)
                close(e->ro_fd);
        if (e->fd >= 0)
                close(e->fd);
        *e = EPOCH_NONE;
}
