/*
 * client.h - one connection.
 *
 * Owns: the socket of a connected client, its credentials, reading and
 * validating its requests, and sending its replies without ever blocking.
 * A client has at most one request in progress: while a request waits (for
 * a segment being made) or its reply waits (the socket is full), nothing more
 * is read from it, so a client that does not read cannot make the daemon
 * buffer without bound. The references a client holds are request.c's.
 */
#ifndef HPD_CLIENT_H
#define HPD_CLIENT_H

#include <stdint.h>

#include "hp_proto.h"
#include "htab.h"
#include "list.h"
#include "policy.h"

struct event;
struct hpd;
struct segment;

struct client {
        struct hpd *hpd;
        int fd;
        struct creds cred;
        struct event *ev_read, *ev_write;
        struct list link; /* hpd.clients */
        int greeted;      /* HELLO done */

        struct htab refs; /* segment id -> struct ref (request.c) */
        unsigned nholds;  /* fork holds this client asked for (hold.c) */

        /* A request in progress. */
        int busy;
        struct hp_msg req;
        struct segment *wait_seg;
        struct list wait_link; /* segment.waiters, unless we are its creator */

        /* A reply the socket had no room for. */
        char out[HP_MSG_MAX];
        size_t out_len;
        int out_fd;
};

/* Start accepting on hpd->listen_fd. 0 or a negative errno. */
int client_listen(struct hpd *hpd);

/* Send a reply (with fd unless fd < 0; the fd stays the caller's). Clears busy
 * and lets reading resume once the reply is out. */
void client_reply(struct client *c, uint16_t type, const void *body, size_t len, int fd);

/* Disconnect every client (shutdown). */
void client_free_all(struct hpd *hpd);

#endif
