/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * epoch.h - the key epoch: the public page that tells clients when a key
 * may have stopped naming the segment it named (struct hp_epoch).
 *
 * Owns: the page's memfd (read-write, the daemon's alone; systemd's store
 * keeps it as "hpd2-epoch", keep.c), its mapping, and the read-only
 * descriptor handed to clients. Knows nothing of keys: its callers bump it
 * whenever one is removed, and once at every start.
 */
#ifndef HPD_EPOCH_H
#define HPD_EPOCH_H

#include <stdint.h>

#include "hp_proto.h"

struct epoch {
        int fd;    /* read-write, or -1: no page (clients then ask for every key) */
        int ro_fd; /* read-only: what clients get */
        struct hp_epoch *page;
};

#define EPOCH_NONE                                                                                 \
        (struct epoch)                                                                             \
        {                                                                                          \
                .fd = -1, .ro_fd = -1                                                              \
        }

/* A new page, or one a previous daemon left (fd: then e's, on success
 * and on failure alike). 0 or a negative errno. */
int epoch_create(struct epoch *e);
int epoch_adopt(struct epoch *e, int fd);
/* The next epoch, visible to every client before this returns. */
void epoch_bump(struct epoch *e);
/* The descriptor a client may have, or -1. */
int epoch_client_fd(const struct epoch *e);
void epoch_close(struct epoch *e);

#endif
