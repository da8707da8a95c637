/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hp_proto.h - the hugepaged wire protocol.
 *
 * Owns: every message type, its on-wire layout, and the only functions that
 * turn bytes into messages (hp_proto_decode) and messages into bytes
 * (hp_proto_encode). Knows nothing of segments, clients or policy.
 *
 * Transport: an AF_UNIX SOCK_SEQPACKET socket (see docs/socket-type.md for the
 * measurement behind that choice). One datagram is one message. Both peers are
 * on one host: native byte order, fixed-width fields, explicit reserved fields
 * that must be zero, no implicit padding.
 *
 * Every message starts with struct hp_hdr. The first request on a connection
 * must be HP_MSG_HELLO; every reply echoes the request's seq and begins with a
 * struct hp_status.
 */
#ifndef HP_PROTO_H
#define HP_PROTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * The protocol version. Bump it whenever a peer of the old version could
 * misread a message of the new one: a field's meaning, size or order
 * changes, a struct grows or shrinks, a number below is reused, or a
 * request's reply changes type. Adding a new message type at the end, or a
 * flag bit that old daemons already reject as unknown, needs no bump: an old
 * peer refuses it cleanly. Numbers are explicit and never reused; a retired
 * type leaves a hole. The version is checked in every header, and HELLO, the
 * first exchange, is where a client learns the daemon's.
 */
#define HP_PROTO_VERSION 1

/* Largest message of any type; receive buffers are this size plus one byte so
 * that an oversized datagram is detected instead of silently cut. */
#define HP_MSG_MAX 256

enum hp_msg_type {
        HP_MSG_HELLO = 1,         /* req: struct hp_hello */
        HP_MSG_HELLO_REPLY = 2,   /* reply: struct hp_hello_reply */
        HP_MSG_ALLOC = 3,         /* req: struct hp_alloc */
        HP_MSG_ALLOC_REPLY = 4,   /* reply: struct hp_alloc_reply; one descriptor iff status == 0 */
        HP_MSG_RELEASE = 5,       /* req: struct hp_ref */
        HP_MSG_RELEASE_REPLY = 6, /* reply: struct hp_status */
        HP_MSG_FORK = 7,          /* req: struct hp_fork; the parent is about to fork() */
        HP_MSG_FORK_REPLY = 8,    /* reply: struct hp_fork_reply */
        HP_MSG_FORK_DONE = 9,     /* req: struct hp_fork_done; the child's pid, or -1 */
        HP_MSG_FORK_DONE_REPLY = 10, /* reply: struct hp_status */
        HP_MSG_CLAIM = 11,           /* req: struct hp_token; the child takes the parent's hold */
        HP_MSG_CLAIM_REPLY = 12,     /* reply: struct hp_status */
        HP_MSG_REGISTER = 13,        /* req: struct hp_register; after a reconnect */
        HP_MSG_REGISTER_REPLY = 14,  /* reply: struct hp_status */
        HP_MSG_LIST = 15,         /* req: struct hp_list; hugepagectl list, one segment a reply */
        HP_MSG_LIST_REPLY = 16,   /* reply: struct hp_list_reply; ENOENT after the last */
        HP_MSG_STATUS = 17,       /* req: struct hp_status_req; hugepagectl status */
        HP_MSG_STATUS_REPLY = 18, /* reply: struct hp_status_reply */
        HP_MSG_REMOVE = 19,       /* req: struct hp_target; hugepagectl remove, and the API */
        HP_MSG_REMOVE_REPLY = 20, /* reply: struct hp_status */
        HP_MSG_USERS = 21,        /* req: struct hp_users; usage and limits, one user a reply */
        HP_MSG_USERS_REPLY = 22,  /* reply: struct hp_users_reply; ENOENT after the last */
        HP_MSG_PROGRESS = 23,     /* daemon -> client: struct hp_status (0); the request of
                                   * this seq is still being worked on (a create); only to a
                                   * client whose HELLO had HP_HELLO_PROGRESS */
        HP_MSG_STAT = 24,         /* req: struct hp_target; hugepagectl show, and the API */
        HP_MSG_STAT_REPLY = 25,   /* reply: struct hp_list_reply */
        HP_MSG_LOG_LEVEL = 26,    /* req: struct hp_log_level; hugepagectl log-level */
        HP_MSG_LOG_LEVEL_REPLY = 27, /* reply: struct hp_log_level_reply */
        HP_MSG_COUNTER = 28,         /* req: struct hp_counter; hugepagectl status, for root */
        HP_MSG_COUNTER_REPLY = 29,   /* reply: struct hp_counter_reply; ENOENT after the last */
        HP_MSG_DROP = 30,            /* req: struct hp_ref; RELEASE, one way: no reply */
        HP_MSG_TYPE_END = 31,        /* one past the last; not a message */
};

struct hp_hdr {
        uint16_t version; /* HP_PROTO_VERSION */
        uint16_t type;    /* enum hp_msg_type */
        uint32_t len;     /* whole message, header included */
        uint64_t seq;     /* chosen by the requester, echoed in the reply */
};

/* First field of every reply. */
struct hp_status {
        int32_t status; /* 0 or a positive errno value */
        uint32_t reserved;
};

struct hp_hello {
        uint32_t version; /* highest version the client speaks */
        uint32_t flags;   /* HP_HELLO_* */
};

#define HP_HELLO_PROGRESS 0x1u /* send PROGRESS while a request takes long */
#define HP_HELLO_EPOCH    0x2u /* send the key epoch's page with the reply */
#define HP_HELLO_KNOWN    (HP_HELLO_PROGRESS | HP_HELLO_EPOCH)

struct hp_hello_reply {
        struct hp_status st;
        uint32_t version; /* version both will use */
        uint32_t reserved;
        uint64_t default_page_size; /* bytes */
};

/*
 * The key epoch: a page the daemon alone writes, which every client asking
 * for it (HP_HELLO_EPOCH) maps read-only from the descriptor that comes with
 * the HELLO reply. The epoch grows whenever a key stops naming the segment
 * it named (the key removed, or a daemon started), and it has grown before
 * the request that caused it is answered. A client that learned key -> segment
 * from an ALLOC sent at epoch E may take the key to name that segment for as
 * long as the epoch is still E (docs/protocol.md). The same page across a
 * daemon restart under systemd (it is in the store).
 */
#define HP_EPOCH_MAGIC UINT64_C(0x68706465706f6368) /* "hpdepoch" */
#define HP_EPOCH_SIZE  4096u

struct hp_epoch {
        uint64_t magic; /* HP_EPOCH_MAGIC */
        uint64_t epoch; /* read with an acquire load; never 0 */
};

/* Flag bits that may travel in hp_alloc.flag. */
#define HP_FLAG_MODE       0777u
#define HP_FLAG_CREAT      01000u /* IPC_CREAT */
#define HP_FLAG_EXCL       02000u /* IPC_EXCL */
#define HP_FLAG_HUGETLB    04000u /* SHM_HUGETLB: accepted, implied anyway */
#define HP_FLAG_SIZE_SHIFT 26     /* SHM_HUGE_SHIFT: log2(page size) in bits 26..31 */
#define HP_FLAG_SIZE_MASK  (0x3fu << HP_FLAG_SIZE_SHIFT)
#define HP_FLAG_KNOWN                                                                              \
        (HP_FLAG_MODE | HP_FLAG_CREAT | HP_FLAG_EXCL | HP_FLAG_HUGETLB | HP_FLAG_SIZE_MASK)

/* Protection bits that may travel in hp_alloc.prot (PROT_READ/WRITE/EXEC). */
#define HP_PROT_READ  0x1u
#define HP_PROT_WRITE 0x2u
#define HP_PROT_EXEC  0x4u
#define HP_PROT_KNOWN (HP_PROT_READ | HP_PROT_WRITE | HP_PROT_EXEC)

struct hp_alloc {
        int32_t key;   /* >= 0; 0 is a new private segment */
        uint32_t flag; /* HP_FLAG_* only */
        uint64_t len;  /* bytes the caller will map */
        uint32_t prot; /* HP_PROT_* only */
        uint32_t reserved;
};

enum hp_access {
        HP_ACCESS_RDONLY = 1,
        HP_ACCESS_RDWR = 2,
};

struct hp_alloc_reply {
        struct hp_status st;
        uint64_t id;        /* segment id, never reused by this daemon */
        uint64_t size;      /* whole segment, bytes */
        uint64_t page_size; /* bytes */
        uint32_t access;    /* enum hp_access: how the descriptor was opened */
        uint32_t reserved;
};

struct hp_ref {
        uint64_t id;
};

/*
 * fork(): the parent asks for a hold (FORK): the daemon lends the child a
 * copy of every reference the parent's connection holds on keyed segments,
 * under a random token. The child inherits the token in memory and claims
 * the hold on its own connection (CLAIM). The parent reports the child's pid
 * (FORK_DONE) so that the daemon drops the hold if the child dies before
 * claiming it, or reports -1 if there is no child.
 */
struct hp_fork {
        uint32_t flags; /* none defined: 0 */
        uint32_t reserved;
};

struct hp_fork_reply {
        struct hp_status st;
        uint64_t token; /* non-zero on success */
};

struct hp_fork_done {
        uint64_t token;
        int32_t pid; /* the child, or -1: fork() failed or the child is gone */
        uint32_t reserved;
};

struct hp_token {
        uint64_t token;
};

/*
 * A client whose connection broke (the daemon was restarted) registers each
 * mapping it still has on its new connection: the segment's id, and the
 * device and inode of its memory, which the daemon compares with the
 * segment's own, so that an id a new daemon gave to other memory is never
 * mistaken for it.
 */
struct hp_register {
        uint64_t id;
        uint64_t dev;
        uint64_t ino;
};

/* hugepagectl status. */
struct hp_status_req {
        uint32_t flags; /* none defined: 0 */
        uint32_t reserved;
};

/* hugepagectl: the segments the caller may read, in id order after after_id. */
struct hp_list {
        uint64_t after_id;
};

#define HP_LIST_PIDS 8

struct hp_list_reply {
        struct hp_status st;
        uint64_t id;
        int32_t key;   /* as created; the segment may have been removed */
        uint32_t mode; /* 0777 bits, plus HP_LIST_REMOVED */
        uint64_t size;
        uint64_t page_size;
        uint32_t uid, gid;
        uint64_t users;
        int64_t ctime;
        uint32_t npids; /* processes attached; the first HP_LIST_PIDS are in pids */
        uint32_t reserved;
        int32_t pids[HP_LIST_PIDS];
};

#define HP_LIST_REMOVED 010000u /* in hp_list_reply.mode: the key no longer finds it */

#define HP_STATUS_SIZES 4

struct hp_status_reply {
        struct hp_status st;
        uint64_t uptime; /* seconds */
        uint64_t segments, bytes;
        uint32_t clients, nsizes;
        struct {
                uint64_t page_size, total, free, reserved, added;
        } sizes[HP_STATUS_SIZES];
        char version[16]; /* NUL-terminated */
};

/* One segment, by key (id 0) or by id (key 0), like ipcrm: REMOVE and STAT.
 * A key names the segment it finds now; an id also one removed since. */
struct hp_target {
        int32_t key;
        uint32_t reserved;
        uint64_t id;
};

/* The daemon's log level (a syslog priority, 0 emerg .. 7 debug): set it
 * (root only), or with -1 only ask. The reply has the level now in force. */
struct hp_log_level {
        int32_t level;
        uint32_t reserved;
};

struct hp_log_level_reply {
        struct hp_status st;
        int32_t level;
        uint32_t reserved;
};

/* The daemon's counters since it started, one a reply by index from 0
 * (root only: they tell of every user). */
struct hp_counter {
        uint32_t index;
        uint32_t reserved;
};

#define HP_COUNTER_NAME 40

struct hp_counter_reply {
        struct hp_status st;
        char name[HP_COUNTER_NAME]; /* NUL-terminated: [a-z0-9_A-Z]+ */
        uint64_t value;
};

/* hugepagectl users and status: the first user with uid >= from_uid that
 * holds anything, in uid order (root may see every user; anyone else only
 * itself, and gets its own entry even when it holds nothing). */
struct hp_users {
        uint32_t from_uid;
        uint32_t reserved;
};

#define HP_USERS_SIZES 4
#define HP_NO_LIMIT    UINT64_MAX

struct hp_users_reply {
        struct hp_status st;
        uint32_t uid;
        uint32_t nsizes;
        uint64_t bytes, segments, connections, fork_holds;
        /* The limits that applied at the user's last request; HP_NO_LIMIT: none. */
        uint64_t max_bytes, max_segments, max_connections, max_fork_holds;
        struct {
                uint64_t page_size, bytes, max_bytes;
        } sizes[HP_USERS_SIZES];
        /* Every non-root user together, and MaxBytesAllUsers=: for root only (0 otherwise). */
        uint64_t all_bytes, max_all_bytes;
};

/* A decoded message: the header and the one body its type allows. */
struct hp_msg {
        struct hp_hdr hdr;
        union {
                struct hp_hello hello;
                struct hp_hello_reply hello_reply;
                struct hp_alloc alloc;
                struct hp_alloc_reply alloc_reply;
                struct hp_ref ref;
                struct hp_fork fork;
                struct hp_fork_reply fork_reply;
                struct hp_fork_done fork_done;
                struct hp_token token;
                struct hp_register reg;
                struct hp_list list;
                struct hp_list_reply list_reply;
                struct hp_status_req status_req;
                struct hp_status_reply status_reply;
                struct hp_target target;
                struct hp_users users;
                struct hp_users_reply users_reply;
                struct hp_log_level log_level;
                struct hp_log_level_reply log_level_reply;
                struct hp_counter counter;
                struct hp_counter_reply counter_reply;
                struct hp_status status;
        } u;
};

enum hp_dir {
        HP_DIR_REQUEST, /* what a daemon accepts */
        HP_DIR_REPLY,   /* what a client accepts */
};

/* Body size of a message type, or 0 for an unknown type. */
size_t hp_proto_body_size(uint16_t type);

/* Whether a type is a request or a reply. */
int hp_proto_is_request(uint16_t type);

/*
 * Validate n bytes from a peer and copy them into *out. Accepts only a message
 * of direction dir whose length is exactly its type's, whose version is
 * HP_PROTO_VERSION, whose reserved fields are zero and whose enums and flags are
 * in range. Returns 0 or -EBADMSG (any violation), -EPROTO (wrong version).
 */
int hp_proto_decode(const void *buf, size_t n, enum hp_dir dir, struct hp_msg *out);

/*
 * Write a message of type with body into buf (cap bytes). The body must be
 * exactly hp_proto_body_size(type) bytes. Returns the length or -EINVAL.
 */
int hp_proto_encode(void *buf, size_t cap, uint16_t type, uint64_t seq, const void *body,
                    size_t body_len);

/*
 * Descriptor passing over a SOCK_SEQPACKET socket.
 *
 * hp_proto_send: one message, with fd attached unless fd < 0. MSG_NOSIGNAL,
 * flags may add MSG_DONTWAIT. Returns 0 or a negative errno. Does not close fd.
 *
 * hp_proto_recv: one message into buf (cap bytes, use HP_MSG_MAX + 1), with
 * MSG_CMSG_CLOEXEC. At most one descriptor is kept in *fd (else *fd = -1);
 * any further descriptor is handed to discard(fd, ctx), which then owns it,
 * or closed here if discard is NULL (a peer's descriptor can block close():
 * a daemon passes a discard that closes elsewhere). Returns the number of
 * bytes, 0 at end of stream, or a negative errno; -EBADMSG when the datagram
 * was truncated, control data was truncated, or more than max_fds
 * descriptors arrived (all of them discarded; *fd is -1 then).
 */
typedef void (*hp_discard_fn)(int fd, void *ctx);
int hp_proto_send(int sock, const void *buf, size_t len, int fd, int flags);
int hp_proto_recv(int sock, void *buf, size_t cap, int *fd, unsigned max_fds, int flags,
                  hp_discard_fn discard, void *ctx);

/*
 * A daemon that must not lose a request it has read (a restarted daemon
 * reads it again) looks at the next message without taking it, and takes
 * it only once it is answered.
 *
 * hp_proto_peek: the next message into buf (cap bytes, HP_MSG_MAX + 1),
 * left in the socket; flags may add MSG_DONTWAIT. No descriptor is ever
 * installed. Returns the number of bytes, 0 at end of stream, or a negative
 * errno; -EBADMSG when it is oversized or carries descriptors.
 *
 * hp_proto_skip: take the next message out of the socket, unread; any
 * descriptor it carried goes to discard(fd, ctx) (closed here if NULL).
 * Returns 0 or a negative errno.
 */
int hp_proto_peek(int sock, void *buf, size_t cap, int flags);
int hp_proto_skip(int sock, int flags, hp_discard_fn discard, void *ctx);

const char *hp_proto_type_name(uint16_t type);

#endif
