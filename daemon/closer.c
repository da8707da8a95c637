/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * closer.c - the closer thread; see closer.h.
 *
 * The queue is shared with the thread under one mutex; finished closes go
 * back to the loop through an eventfd, where their charges are undone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "closer.h"
#include "log.h"
#include "user.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83 /* Linux 6.16's <asm-generic/socket.h> */
#endif

struct item {
        int fd;
        struct charge charge; /* the sender's, undone on the loop */
        struct item *next;
};

struct closer {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct item *head, **tail; /* to close */
        struct item *done;         /* closed, for the loop to uncharge */
        int stopping;
        int closing; /* the thread is in a close() */
        int efd;
        struct event *ev;
        struct users *users;
};

static void *closer_main(void *arg)
{
        struct closer *c = arg;
        uint64_t one = 1;

        pthread_mutex_lock(&c->lock);
        while (!c->stopping) {
                struct item *it = c->head;

                if (!it) {
                        pthread_cond_wait(&c->cond, &c->lock);
                        continue;
                }
                c->head = it->next;
                if (!c->head)
                        c->tail = &c->head;
                c->closing = 1;
                pthread_mutex_unlock(&c->lock);
                close(it->fd); /* may block: nobody waits for it */
                pthread_mutex_lock(&c->lock);
                c->closing = 0;
                it->next = c->done;
                c->done = it;
                if (write(c->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                        log_err("closer: eventfd write: %s", errname(errno));
        }
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
        struct closer *c = arg;
        struct item *list;
        uint64_t v;

        (void)what;
        if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                log_err("closer: eventfd read: %s", errname(errno));
        pthread_mutex_lock(&c->lock);
        list = c->done;
        c->done = NULL;
        pthread_mutex_unlock(&c->lock);
        while (list) {
                struct item *next = list->next;

                user_uncharge(c->users, &list->charge);
                free(list);
                list = next;
        }
}

int closer_start(struct closer **out, struct event_base *base, struct users *users)
{
        struct closer *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->cond, NULL);
        c->tail = &c->head;
        c->users = users;
        c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        c->ev = c->efd >= 0 ? event_new(base, c->efd, EV_READ | EV_PERSIST, on_done, c) : NULL;
        if (!c->ev || event_add(c->ev, NULL) < 0) {
                r = c->efd < 0 ? -errno : -ENOMEM;
                if (c->efd >= 0)
                        close(c->efd);
                free(c);
                return r;
        }
        r = pthread_create(&c->thread, NULL, closer_main, c);
        if (r) {
                event_free(c->ev);
                close(c->efd);
                free(c);
                return -r;
        }
        *out = c;
        return 0;
}

void closer_add(struct closer *c, int fd, uid_t uid)
{
        struct linger now = {1, 0};
        struct item *it = calloc(1, sizeof(*it));
        struct stat st;

        /* A socket closes at once, whatever its sender asked for. */
        if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
        if (!it) {
                /* No memory: better a blocked loop than a leaked descriptor. */
                close(fd);
                return;
        }
        it->fd = fd;
        user_charge(c->users, &it->charge, uid, USER_SENT_FDS, 0, 1, UINT64_MAX, 0, 0, 1);
        pthread_mutex_lock(&c->lock);
        *c->tail = it;
        c->tail = &it->next;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
}

int closer_refuse_rights(int sock)
{
        const char *env = getenv("HUGEPAGED_SO_PASSRIGHTS");
        int zero = 0;

        if (env && strcmp(env, "0") == 0)
                return 0;
        if (setsockopt(sock, SOL_SOCKET, SO_PASSRIGHTS, &zero, sizeof(zero)) == 0)
                return 1;
        return errno == ENOPROTOOPT || errno == EINVAL ? 0 : -errno;
}

/* A closer whose thread is stuck at shutdown: kept, with what it holds. */
static struct closer *left_behind;

static void free_items(struct closer *c, struct item *list)
{
        while (list) {
                struct item *next = list->next;

                user_uncharge(c->users, &list->charge);
                free(list);
                list = next;
        }
}

void closer_stop(struct closer *c)
{
        struct item *done, *queued;
        int stuck;

        if (!c)
                return;
        pthread_mutex_lock(&c->lock);
        c->stopping = 1;
        stuck = c->closing;
        done = c->done;
        queued = stuck ? NULL : c->head;
        c->done = NULL;
        if (!stuck)
                c->head = NULL;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
        event_free(c->ev);
        c->ev = NULL;
        free_items(c, done); /* closed already */
        if (stuck) {
                /* In a close() that may never end: not joined; what it has
                 * not closed goes with the process. */
                pthread_detach(c->thread);
                left_behind = c;
                return;
        }
        pthread_join(c->thread, NULL);
        /* What was still queued: sockets linger 0, so this is quick but for
         * what may block, and the process is ending anyway. */
        for (struct item *it = queued; it; it = it->next)
                close(it->fd);
        free_items(c, queued);
        close(c->efd);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        free(c);
}
