/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * codec.c - bytes to messages and back.
 *
 * Owns: the size table and every validity rule for untrusted bytes. This is
 * the only place that reads a message from a buffer; it copies, never casts
 * the peer's buffer in place. It must never trust a length the peer states.
 */
#include <errno.h>
#include <string.h>

#include "hp_proto.h"

_Static_assert(sizeof(struct hp_hdr) == 16, "header layout");
_Static_assert(sizeof(struct hp_status) == 8, "status layout");
_Static_assert(sizeof(struct hp_hello) == 8, "hello layout");
_Static_assert(sizeof(struct hp_hello_reply) == 24, "hello reply layout");
_Static_assert(sizeof(struct hp_alloc) == 24, "alloc layout");
_Static_assert(sizeof(struct hp_alloc_reply) == 40, "alloc reply layout");
_Static_assert(sizeof(struct hp_ref) == 8, "ref layout");
_Static_assert(sizeof(struct hp_fork) == 8, "fork layout");
_Static_assert(sizeof(struct hp_fork_reply) == 16, "fork reply layout");
_Static_assert(sizeof(struct hp_fork_done) == 16, "fork done layout");
_Static_assert(sizeof(struct hp_token) == 8, "token layout");
_Static_assert(sizeof(struct hp_register) == 24, "register layout");
_Static_assert(sizeof(struct hp_status_req) == 8, "status request layout");
_Static_assert(sizeof(struct hp_users) == 8, "users layout");
_Static_assert(sizeof(struct hp_users_reply) == 192, "users reply layout");
_Static_assert(sizeof(struct hp_hdr) + sizeof(struct hp_users_reply) <= HP_MSG_MAX, "users max");
_Static_assert(sizeof(struct hp_list_reply) == 104, "list reply layout");
_Static_assert(sizeof(struct hp_status_reply) == 216, "status reply layout");
_Static_assert(sizeof(struct hp_target) == 16, "remove layout");
_Static_assert(sizeof(struct hp_log_level_reply) == 16, "log level reply layout");
_Static_assert(sizeof(struct hp_counter_reply) == 56, "counter reply layout");
_Static_assert(sizeof(struct hp_hdr) + sizeof(struct hp_status_reply) <= HP_MSG_MAX, "max");
_Static_assert(sizeof(struct hp_hdr) + sizeof(struct hp_alloc_reply) <= HP_MSG_MAX, "max size");

static const struct {
        const char *name;
        size_t size;
        int request;
} types[HP_MSG_TYPE_END] = {
    [HP_MSG_HELLO] = {"HELLO", sizeof(struct hp_hello), 1},
    [HP_MSG_HELLO_REPLY] = {"HELLO_REPLY", sizeof(struct hp_hello_reply), 0},
    [HP_MSG_ALLOC] = {"ALLOC", sizeof(struct hp_alloc), 1},
    [HP_MSG_ALLOC_REPLY] = {"ALLOC_REPLY", sizeof(struct hp_alloc_reply), 0},
    [HP_MSG_RELEASE] = {"RELEASE", sizeof(struct hp_ref), 1},
    [HP_MSG_RELEASE_REPLY] = {"RELEASE_REPLY", sizeof(struct hp_status), 0},
    [HP_MSG_FORK] = {"FORK", sizeof(struct hp_fork), 1},
    [HP_MSG_FORK_REPLY] = {"FORK_REPLY", sizeof(struct hp_fork_reply), 0},
    [HP_MSG_FORK_DONE] = {"FORK_DONE", sizeof(struct hp_fork_done), 1},
    [HP_MSG_FORK_DONE_REPLY] = {"FORK_DONE_REPLY", sizeof(struct hp_status), 0},
    [HP_MSG_CLAIM] = {"CLAIM", sizeof(struct hp_token), 1},
    [HP_MSG_CLAIM_REPLY] = {"CLAIM_REPLY", sizeof(struct hp_status), 0},
    [HP_MSG_REGISTER] = {"REGISTER", sizeof(struct hp_register), 1},
    [HP_MSG_REGISTER_REPLY] = {"REGISTER_REPLY", sizeof(struct hp_status), 0},
    [HP_MSG_LIST] = {"LIST", sizeof(struct hp_list), 1},
    [HP_MSG_LIST_REPLY] = {"LIST_REPLY", sizeof(struct hp_list_reply), 0},
    [HP_MSG_STATUS] = {"STATUS", sizeof(struct hp_status_req), 1},
    [HP_MSG_STATUS_REPLY] = {"STATUS_REPLY", sizeof(struct hp_status_reply), 0},
    [HP_MSG_REMOVE] = {"REMOVE", sizeof(struct hp_target), 1},
    [HP_MSG_REMOVE_REPLY] = {"REMOVE_REPLY", sizeof(struct hp_status), 0},
    [HP_MSG_USERS] = {"USERS", sizeof(struct hp_users), 1},
    [HP_MSG_USERS_REPLY] = {"USERS_REPLY", sizeof(struct hp_users_reply), 0},
    [HP_MSG_PROGRESS] = {"PROGRESS", sizeof(struct hp_status), 0},
    [HP_MSG_STAT] = {"STAT", sizeof(struct hp_target), 1},
    [HP_MSG_STAT_REPLY] = {"STAT_REPLY", sizeof(struct hp_list_reply), 0},
    [HP_MSG_LOG_LEVEL] = {"LOG_LEVEL", sizeof(struct hp_log_level), 1},
    [HP_MSG_LOG_LEVEL_REPLY] = {"LOG_LEVEL_REPLY", sizeof(struct hp_log_level_reply), 0},
    [HP_MSG_COUNTER] = {"COUNTER", sizeof(struct hp_counter), 1},
    [HP_MSG_COUNTER_REPLY] = {"COUNTER_REPLY", sizeof(struct hp_counter_reply), 0},
    [HP_MSG_DROP] = {"DROP", sizeof(struct hp_ref), 1},
};

size_t hp_proto_body_size(uint16_t type)
{
        if (type >= HP_MSG_TYPE_END)
                return 0;
        return types[type].size;
}

int hp_proto_is_request(uint16_t type)
{
        return type < HP_MSG_TYPE_END && types[type].size && types[type].request;
}

const char *hp_proto_type_name(uint16_t type)
{
        if (type >= HP_MSG_TYPE_END || !types[type].name)
                return "UNKNOWN";
        return types[type].name;
}

/* An errno value a reply may carry: 0 or a small positive number. */
static int status_ok(const struct hp_status *st)
{
        return st->status >= 0 && st->status < 4096 && st->reserved == 0;
}

static int page_size_ok(uint64_t ps)
{
        return ps >= 4096 && (ps & (ps - 1)) == 0;
}

static int body_ok(const struct hp_msg *m)
{
        switch (m->hdr.type) {
        case HP_MSG_HELLO:
                return (m->u.hello.flags & ~HP_HELLO_KNOWN) == 0 && m->u.hello.version >= 1;
        case HP_MSG_HELLO_REPLY:
                if (!status_ok(&m->u.hello_reply.st) || m->u.hello_reply.reserved)
                        return 0;
                if (m->u.hello_reply.st.status)
                        return 1;
                return m->u.hello_reply.version == HP_PROTO_VERSION &&
                       page_size_ok(m->u.hello_reply.default_page_size);
        case HP_MSG_ALLOC:
                return m->u.alloc.key >= 0 && (m->u.alloc.flag & ~HP_FLAG_KNOWN) == 0 &&
                       (m->u.alloc.prot & ~HP_PROT_KNOWN) == 0 && m->u.alloc.reserved == 0;
        case HP_MSG_ALLOC_REPLY: {
                const struct hp_alloc_reply *r = &m->u.alloc_reply;
                if (!status_ok(&r->st) || r->reserved)
                        return 0;
                if (r->st.status)
                        return r->id == 0 && r->size == 0 && r->page_size == 0 && r->access == 0;
                return r->id != 0 && page_size_ok(r->page_size) && r->size != 0 &&
                       r->size % r->page_size == 0 &&
                       (r->access == HP_ACCESS_RDONLY || r->access == HP_ACCESS_RDWR);
        }
        case HP_MSG_RELEASE:
        case HP_MSG_DROP:
                return m->u.ref.id != 0;
        case HP_MSG_FORK:
                return m->u.fork.flags == 0 && m->u.fork.reserved == 0;
        case HP_MSG_FORK_REPLY:
                if (!status_ok(&m->u.fork_reply.st))
                        return 0;
                return m->u.fork_reply.st.status ? m->u.fork_reply.token == 0
                                                 : m->u.fork_reply.token != 0;
        case HP_MSG_FORK_DONE:
                return m->u.fork_done.token != 0 && m->u.fork_done.pid >= -1 &&
                       m->u.fork_done.pid != 0 && m->u.fork_done.reserved == 0;
        case HP_MSG_CLAIM:
                return m->u.token.token != 0;
        case HP_MSG_REGISTER:
                return m->u.reg.id != 0 && m->u.reg.ino != 0;
        case HP_MSG_LIST:
                return 1;
        case HP_MSG_LIST_REPLY:
        case HP_MSG_STAT_REPLY:
                return status_ok(&m->u.list_reply.st) && m->u.list_reply.reserved == 0;
        case HP_MSG_STATUS:
                return m->u.status_req.flags == 0 && m->u.status_req.reserved == 0;
        case HP_MSG_STATUS_REPLY:
                return status_ok(&m->u.status_reply.st) &&
                       m->u.status_reply.nsizes <= HP_STATUS_SIZES &&
                       memchr(m->u.status_reply.version, 0, sizeof(m->u.status_reply.version));
        case HP_MSG_USERS:
                return m->u.users.reserved == 0;
        case HP_MSG_USERS_REPLY:
                return status_ok(&m->u.users_reply.st) && m->u.users_reply.nsizes <= HP_USERS_SIZES;
        case HP_MSG_REMOVE:
        case HP_MSG_STAT:
                return m->u.target.reserved == 0 && m->u.target.key >= 0 &&
                       (m->u.target.key != 0) != (m->u.target.id != 0);
        case HP_MSG_LOG_LEVEL:
                return m->u.log_level.level >= -1 && m->u.log_level.level <= 7 &&
                       m->u.log_level.reserved == 0;
        case HP_MSG_LOG_LEVEL_REPLY:
                return status_ok(&m->u.log_level_reply.st) && m->u.log_level_reply.level >= 0 &&
                       m->u.log_level_reply.level <= 7 && m->u.log_level_reply.reserved == 0;
        case HP_MSG_COUNTER:
                return m->u.counter.reserved == 0;
        case HP_MSG_COUNTER_REPLY:
                return status_ok(&m->u.counter_reply.st) &&
                       memchr(m->u.counter_reply.name, 0, sizeof(m->u.counter_reply.name));
        case HP_MSG_PROGRESS:
                return status_ok(&m->u.status) && m->u.status.status == 0;
        case HP_MSG_RELEASE_REPLY:
        case HP_MSG_FORK_DONE_REPLY:
        case HP_MSG_CLAIM_REPLY:
        case HP_MSG_REGISTER_REPLY:
        case HP_MSG_REMOVE_REPLY:
                return status_ok(&m->u.status);
        }
        return 0;
}

int hp_proto_decode(const void *buf, size_t n, enum hp_dir dir, struct hp_msg *out)
{
        size_t body;

        memset(out, 0, sizeof(*out));
        if (!buf || n < sizeof(struct hp_hdr) || n > HP_MSG_MAX)
                return -EBADMSG;
        memcpy(&out->hdr, buf, sizeof(out->hdr));
        if (out->hdr.version != HP_PROTO_VERSION)
                return -EPROTO;
        body = hp_proto_body_size(out->hdr.type);
        if (!body || hp_proto_is_request(out->hdr.type) != (dir == HP_DIR_REQUEST))
                return -EBADMSG;
        if (out->hdr.len != n || n != sizeof(struct hp_hdr) + body)
                return -EBADMSG;
        memcpy(&out->u, (const char *)buf + sizeof(struct hp_hdr), body);
        if (!body_ok(out))
                return -EBADMSG;
        return 0;
}

int hp_proto_encode(void *buf, size_t cap, uint16_t type, uint64_t seq, const void *body,
                    size_t body_len)
{
        struct hp_hdr hdr;
        size_t want = hp_proto_body_size(type);

        if (!want || body_len != want || cap < sizeof(hdr) + want || !body)
                return -EINVAL;
        hdr = (struct hp_hdr){
            .version = HP_PROTO_VERSION,
            .type = type,
            .len = (uint32_t)(sizeof(hdr) + want),
            .seq = seq,
        };
        memcpy(buf, &hdr, sizeof(hdr));
        memcpy((char *)buf + sizeof(hdr), body, want);
        return (int)(sizeof(hdr) + want);
}
