/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * user.c - per-user accounting; see user.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "list.h"
#include "user.h"

static struct user *find(const struct users *us, uid_t uid)
{
        struct hnode *n = htab_find(&us->by_uid, uid);

        return n ? container_of(n, struct user, node) : NULL;
}

const struct user *user_find(const struct users *us, uid_t uid)
{
        return find(us, uid);
}

static struct user *get(struct users *us, uid_t uid)
{
        struct user *u = find(us, uid);

        if (u)
                return u;
        u = calloc(1, sizeof(*u));
        if (!u)
                return NULL;
        u->uid = uid;
        if (htab_insert(&us->by_uid, &u->node, uid) < 0) {
                free(u);
                return NULL;
        }
        return u;
}

static void put(struct users *us, struct user *u)
{
        if (u->charges)
                return;
        htab_remove(&us->by_uid, &u->node);
        free(u);
}

static int over(uint64_t have, uint64_t amount, uint64_t limit)
{
        return amount > limit || have > limit - amount;
}

int user_charge(struct users *us, struct charge *ch, uid_t uid, enum user_count what, size_t size,
                uint64_t amount, uint64_t limit, uint64_t size_limit, uint64_t all_limit, int force)
{
        struct user *u;

        *ch = (struct charge){0};
        if (what == USER_BYTES && size >= USER_SIZES)
                return -EINVAL;
        u = get(us, uid);
        if (!u)
                return -ENOMEM;
        u->limit[what] = limit;
        if (what == USER_BYTES)
                u->size_limit[size] = size_limit;
        if (!force &&
            (over(u->count[what], amount, limit) ||
             (what == USER_BYTES && (over(u->bytes[size], amount, size_limit) ||
                                     (uid != 0 && over(us->all_bytes, amount, all_limit)))))) {
                put(us, u);
                return -EDQUOT;
        }
        u->count[what] += amount;
        if (what == USER_BYTES) {
                u->bytes[size] += amount;
                if (uid != 0)
                        us->all_bytes += amount;
        }
        u->charges++;
        *ch = (struct charge){u, what, size, amount};
        return 0;
}

void user_uncharge(struct users *us, struct charge *ch)
{
        struct user *u = ch->user;

        if (!u)
                return;
        u->count[ch->what] -= ch->amount;
        if (ch->what == USER_BYTES) {
                u->bytes[ch->size] -= ch->amount;
                if (u->uid != 0)
                        us->all_bytes -= ch->amount;
        }
        u->refused &= ~(1u << ch->what); /* under again: a next refusal is news */
        u->charges--;
        *ch = (struct charge){0};
        put(us, u);
}

int user_should_log(struct users *us, uid_t uid, enum user_count what)
{
        struct user *u = find(us, uid);

        if (!u)
                return 1; /* holds nothing of that: can only be refused once */
        if (u->refused & (1u << what))
                return 0;
        u->refused |= 1u << what;
        return 1;
}

struct walk {
        void (*fn)(const struct user *u, void *ctx);
        void *ctx;
};

static void visit(struct hnode *n, void *arg)
{
        struct walk *w = arg;

        w->fn(container_of(n, struct user, node), w->ctx);
}

void user_foreach(const struct users *us, void (*fn)(const struct user *u, void *ctx), void *ctx)
{
        struct walk w = {fn, ctx};

        htab_foreach((struct htab *)&us->by_uid, visit, &w);
}
