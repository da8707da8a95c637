/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cleanup.h - scope-bound ownership of descriptors and heap memory.
 *
 * _cleanup_close_ int fd = -1;   closed when fd goes out of scope, unless
 *                                handed on with take_fd(&fd).
 * _cleanup_free_ char *p = NULL; freed likewise, unless take_ptr(&p).
 *
 * Owns nothing itself; makes the owner of a descriptor plain to read.
 */
#ifndef HPD_CLEANUP_H
#define HPD_CLEANUP_H

#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_close(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

static inline void cleanup_free(void *p)
{
        free(*(void **)p);
}

#define _cleanup_close_ __attribute__((cleanup(cleanup_close)))
#define _cleanup_free_  __attribute__((cleanup(cleanup_free)))

/* Hand the descriptor on: the variable no longer owns it. */
static inline int take_fd(int *fd)
{
        int r = *fd;

        *fd = -1;
        return r;
}

static inline void *take_ptr(void *p)
{
        void *r = *(void **)p;

        *(void **)p = NULL;
        return r;
}

#endif
