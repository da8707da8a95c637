/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client.h - connections: the transport.
 *
 * Owns: the socket of each connected client, its credentials, reading and
 * validating its datagrams, and sending replies without ever blocking. A
 * request is read without being taken from the socket (hp_proto_peek) and
 * taken only once its reply is out, so a daemon killed at any moment leaves
 * it there for the next (which finds the socket in systemd's store). A
 * client has at most one request in progress: while a request waits (for a
 * segment being made) or its reply waits (the socket is full), nothing more
 * is read from it, so a client that does not read cannot make the daemon
 * buffer without bound; a reply it does not take within CLIENT_REPLY_SECONDS
 * ends its connection. No descriptor a client sends is ever closed here
 * (closer.c). What a request means is the layer above's: it
 * learns of each request, and of each client going away, through struct
 * client_ops, and answers with client_finish(). Must never include it.
 */
#ifndef HPD_CLIENT_H
#define HPD_CLIENT_H

#include <stdint.h>

#include "hp_proto.h"
#include "htab.h"
#include "list.h"
#include "policy.h"
#include "segment.h"
#include "user.h"

/* How long a reply may wait for a client to make room for it. */
#define CLIENT_REPLY_SECONDS 10

struct closer;
struct config;
struct event;
struct event_base;
struct hpd;

/* A reply body (the reply type's own struct) and the descriptor that goes
 * with it (-1 for none; it stays the sender's). */
struct reply {
        union {
                struct hp_status st;
                struct hp_hello_reply hello;
                struct hp_alloc_reply alloc;
                struct hp_fork_reply fork;
                struct hp_list_reply list;
                struct hp_status_reply status;
                struct hp_users_reply users;
                struct hp_log_level_reply log_level;
                struct hp_counter_reply counter;
        } u;
        int fd;
};

struct client {
        struct clients *owner;
        struct hpd *hpd; /* for the layers above */
        int fd;
        struct creds cred;
        struct charge conn; /* one of its user's MaxConnections= */
        struct event *ev_read, *ev_write;
        struct list link; /* clients.all */

        /* The request in progress (busy), and the type its reply will have. */
        int busy;
        struct hp_msg req;
        uint16_t reply_type;

        /* Owned by the layers above; the transport never touches them. */
        uint64_t id;          /* session.c: the connection's id (hpd2-conn-ID) */
        uint32_t slot;        /* session.c: its slot in the ledger */
        uint64_t start;       /* session.c: the peer's start time, without a store */
        struct hnode session; /* session.c: hpd->sessions, by id */
        struct {
                int pending;   /* session.c: restored; an answer may be owed */
                int status;    /* the last answer a previous daemon recorded */
                uint16_t type; /* to a request of this type and seq */
                int writable;  /* an ALLOC that asked to write */
                uint64_t seq, value;
        } resume;
        int greeted;              /* dispatch.c: HELLO done */
        int wants_progress;       /* request.c: HELLO had HP_HELLO_PROGRESS */
        int wants_epoch;          /* request.c: HELLO had HP_HELLO_EPOCH */
        struct refs refs;         /* segref.c: what this connection holds */
        unsigned nholds;          /* hold.c: fork holds it asked for */
        struct segment *wait_seg; /* request.c: the segment it waits for */
        struct list wait_link;    /* request.c: segment.waiters */

        /* A reply the socket had no room for. */
        char out[HP_MSG_MAX];
        size_t out_len;
        int out_fd;
};

struct client_ops {
        /* c->req holds a decoded request; c->busy is set until client_finish().
         * A negative errno is a protocol violation: the client is dropped. */
        int (*request)(struct client *c);
        /* c is going away: let go of what it holds. */
        void (*gone)(struct client *c);
        /* A new connection, credentials known and charged: 0, or a negative
         * errno to refuse it. */
        int (*connected)(struct client *c);
        /* The answer to c's request in progress, about to be sent. */
        void (*answered)(struct client *c, int result, const struct reply *r);
};

/* Replies are counted by status: 0, a common errno, or any other. */
#define CLIENT_ANSWER_KINDS 10
/* The kind of a status (0 or a positive errno), and the errno of a kind
 * (-1 for the last: any other). */
unsigned client_answer_kind(int status);
int client_answer_errno(unsigned kind);

struct clients {
        struct event_base *base;
        struct hpd *hpd;
        const struct client_ops *ops;
        struct users *users;          /* where connections are charged */
        struct closer *closer;        /* where descriptors clients send are closed */
        int rights_refused;           /* the kernel refuses them at the socket (SO_PASSRIGHTS) */
        struct config *const *config; /* the configuration in force */
        int listen_fd;
        struct list all;
        unsigned count, max;
        int stopping; /* client_free_all(): leave the sockets as they are */
        struct event *accept_ev;
        struct event *accept_pause;            /* re-enables accept after EMFILE */
        uint64_t answers[CLIENT_ANSWER_KINDS]; /* replies sent, by client_answer_kind() */
};

/* Start accepting on listen_fd, at most max clients at once, and as many
 * per user as its MaxConnections= lets it (charged to users). 0 or a
 * negative errno. */
int client_listen(struct clients *cs, struct event_base *base, int listen_fd, unsigned max,
                  const struct client_ops *ops, struct hpd *hpd, struct users *users,
                  struct config *const *config, struct closer *closer);

/* What a request's handler returns (dispatch.c): 0, the reply is filled in;
 * a negative errno, the reply is that status alone; REPLY_LATER, the handler
 * will call client_finish() itself when what it waits for is done. */
#define REPLY_LATER 1
typedef int (*handler_fn)(struct client *c, const struct hp_msg *req, struct reply *r);

/* Answer c's request in progress with a reply of c->reply_type (0: a
 * one-way request; nothing is sent, the request is recorded and taken out):
 * result < 0
 * sends only that status (-result); otherwise r's body and descriptor.
 * Clears busy and lets reading resume once the reply is out. */
void client_finish(struct client *c, int result, const struct reply *r);

/* Tell c its request in progress is still being worked on (PROGRESS), if
 * its socket has room and no reply is waiting; else nothing. */
void client_progress(struct client *c);

/* A connection a previous daemon had (restored from systemd's store): fd is
 * taken; its connection charge cannot be refused. Reading starts with the
 * loop. NULL when out of memory or without credentials (fd closed). */
struct client *client_adopt(struct clients *cs, int fd);
/* End c's connection now (ops.gone runs first). */
void client_drop(struct client *c);

/* Disconnect every client, stop accepting (shutdown). */
void client_free_all(struct clients *cs);

#endif
