/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * listener.c - the listening socket; see listener.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"

static int mkdir_parents(const char *path)
{
        char buf[PATH_MAX];
        size_t len = strlen(path);

        if (len >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, len + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return 0;
}

/* Is a live server listening at addr? 1 yes, 0 no (stale or absent). */
static int someone_answers(const struct sockaddr_un *addr)
{
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        int r;

        if (fd < 0)
                return 0;
        r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
        close(fd);
        return r == 0 || errno == EAGAIN;
}

static int take_lock(struct listener *l, const char *path)
{
        char lock[PATH_MAX];

        snprintf(lock, sizeof(lock), "%s.lock", path);
        l->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (l->lock_fd < 0)
                return -errno;
        if (flock(l->lock_fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
        return 0;
}

int listener_adopt(struct listener *l, int fd)
{
        memset(l, 0, sizeof(*l));
        l->fd = l->lock_fd = -1;
        if (sd_is_socket_unix(fd, SOCK_SEQPACKET, 1, NULL, 0) <= 0) {
                log_err("systemd's socket is not a listening AF_UNIX SOCK_SEQPACKET socket");
                return -EINVAL;
        }
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
            fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return -errno;
        l->fd = fd;
        l->from_systemd = 1;
        return 0;
}

int listener_open(struct listener *l, const char *path, mode_t mode, gid_t gid)
{
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        struct stat st;
        mode_t old_mask;
        int r;

        memset(l, 0, sizeof(*l));
        l->fd = l->lock_fd = -1;
        if (!path)
                path = HPD_DEFAULT_SOCKET;
        if (strlen(path) >= sizeof(addr.sun_path)) {
                log_err("socket path too long: %s", path);
                return -ENAMETOOLONG;
        }
        strcpy(addr.sun_path, path);
        if ((r = mkdir_parents(path)) < 0) {
                log_err("cannot create the directory of %s: %s", path, strerror(-r));
                return r;
        }
        if ((r = take_lock(l, path)) < 0) {
                log_err("%s is in use by another hugepaged (lock: %s)", path, strerror(-r));
                return r;
        }
        if (lstat(path, &st) == 0) {
                if (!S_ISSOCK(st.st_mode)) {
                        log_err("%s exists and is not a socket; not touching it", path);
                        return -EEXIST;
                }
                if (someone_answers(&addr)) {
                        log_err("a server already answers at %s", path);
                        return -EADDRINUSE;
                }
                log_info("replacing stale socket %s", path);
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
        }
        l->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (l->fd < 0)
                return -errno;
        old_mask = umask(0177);
        r = bind(l->fd, (struct sockaddr *)&addr, sizeof(addr));
        umask(old_mask);
        if (r < 0) {
                r = -errno;
                log_err("bind %s: %s", path, strerror(-r));
                return r;
        }
        strcpy(l->path, path);
        if ((gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) || chmod(path, mode) < 0) {
                r = -errno;
                log_err("cannot set owner or mode of %s: %s", path, strerror(-r));
                return r;
        }
        if (listen(l->fd, SOMAXCONN) < 0)
                return -errno;
        return 0;
}

void listener_close(struct listener *l)
{
        if (l->path[0])
                unlink(l->path);
        if (l->fd >= 0 && !l->from_systemd)
                close(l->fd);
        if (l->lock_fd >= 0)
                close(l->lock_fd);
        l->fd = l->lock_fd = -1;
        l->path[0] = '\0';
}
