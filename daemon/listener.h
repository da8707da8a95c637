/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * listener.h - the listening socket.
 *
 * Owns: the socket clients connect to: one systemd passed (socket
 * activation), or a path it binds itself, after making the parent directory,
 * refusing to start if a live daemon answers there, and replacing a stale
 * socket file.
 */
#ifndef HPD_LISTENER_H
#define HPD_LISTENER_H

#include <sys/types.h>

#define HPD_DEFAULT_SOCKET "/run/hugepaged/hugepaged.sock"

struct listener {
        int fd;
        int lock_fd;      /* flock on PATH.lock while we own PATH */
        int from_systemd; /* fd came from sd_listen_fds */
        char path[108];   /* what we bound, to unlink at exit ("" if none) */
};

/* Bind path (NULL: the default path). mode: the socket file's permission
 * bits; gid (gid_t)-1: leave the group alone. 0 or a negative errno (logged). */
int listener_open(struct listener *l, const char *path, mode_t mode, gid_t gid);

/* Use a listening socket systemd passed. 0 or a negative errno (logged). */
int listener_adopt(struct listener *l, int fd);
void listener_close(struct listener *l);

#endif
