/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dispatch.c - the request table; see dispatch.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "admin.h"
#include "dispatch.h"
#include "hold.h"
#include "log.h"
#include "request.h"
#include "session.h"

struct route {
        uint16_t reply;    /* the reply's type; 0: none (a one-way request) */
        unsigned greeting; /* HELLO itself: only first, and only once */
        unsigned with_fd;  /* the reply may carry a descriptor */
        unsigned effect;   /* changes something: its answer is recorded, and a
                            * restarted daemon gives it again, never redoes it */
        handler_fn handle;
};

static const struct route routes[HP_MSG_TYPE_END] = {
    [HP_MSG_HELLO] = {HP_MSG_HELLO_REPLY, 1, 1, 1, request_hello},
    [HP_MSG_ALLOC] = {HP_MSG_ALLOC_REPLY, 0, 1, 1, request_alloc},
    [HP_MSG_RELEASE] = {HP_MSG_RELEASE_REPLY, 0, 0, 1, request_release},
    [HP_MSG_FORK] = {HP_MSG_FORK_REPLY, 0, 0, 1, hold_fork},
    [HP_MSG_FORK_DONE] = {HP_MSG_FORK_DONE_REPLY, 0, 0, 1, hold_fork_done},
    [HP_MSG_CLAIM] = {HP_MSG_CLAIM_REPLY, 0, 0, 1, hold_claim},
    [HP_MSG_REGISTER] = {HP_MSG_REGISTER_REPLY, 0, 0, 1, request_register},
    [HP_MSG_LIST] = {HP_MSG_LIST_REPLY, 0, 0, 0, admin_list},
    [HP_MSG_STATUS] = {HP_MSG_STATUS_REPLY, 0, 0, 0, admin_status},
    [HP_MSG_REMOVE] = {HP_MSG_REMOVE_REPLY, 0, 0, 1, admin_remove},
    [HP_MSG_USERS] = {HP_MSG_USERS_REPLY, 0, 0, 0, admin_users},
    [HP_MSG_STAT] = {HP_MSG_STAT_REPLY, 0, 0, 0, admin_stat},
    [HP_MSG_LOG_LEVEL] = {HP_MSG_LOG_LEVEL_REPLY, 0, 0, 0, admin_log_level},
    [HP_MSG_COUNTER] = {HP_MSG_COUNTER_REPLY, 0, 0, 0, admin_counter},
    [HP_MSG_DROP] = {0, 0, 0, 1, request_release},
};

int dispatch_check(void)
{
        for (uint16_t t = 0; t < HP_MSG_TYPE_END; t++) {
                if (!hp_proto_is_request(t))
                        continue;
                if (!routes[t].handle ||
                    (routes[t].reply && (hp_proto_body_size(routes[t].reply) == 0 ||
                                         hp_proto_is_request(routes[t].reply)))) {
                        log_err("internal: request %s has no route", hp_proto_type_name(t));
                        return -ENOENT;
                }
        }
        return 0;
}

static int on_request(struct client *c)
{
        const struct route *rt = &routes[c->req.hdr.type]; /* the codec checked the range */
        struct reply r = {.fd = -1};
        int result;

        if (!rt->handle)
                return -EBADMSG;
        c->reply_type = rt->reply;
        if (session_replay(c))
                return 0;
        if ((int)rt->greeting == c->greeted)
                return -EPROTO; /* HELLO not first, or twice */
        c->reply_type = rt->reply;
        result = rt->handle(c, &c->req, &r);
        if (result == REPLY_LATER)
                return 0;
        if (result == 0 && r.fd >= 0 && !rt->with_fd) {
                log_err("internal: %s answered with a descriptor", hp_proto_type_name(rt->reply));
                abort();
        }
        client_finish(c, result < 0 ? result : 0, &r);
        return 0;
}

static void on_gone(struct client *c)
{
        request_client_gone(c);
        hold_client_gone(c);
        session_close(c);
}

static void on_answered(struct client *c, int result, const struct reply *r)
{
        session_answered(c, (int)routes[c->req.hdr.type].effect, result, r);
}

const struct client_ops dispatch_ops = {
    .request = on_request,
    .gone = on_gone,
    .connected = session_open,
    .answered = on_answered,
};
