/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * admin.c - hugepagectl's requests; see admin.h.
 *
 * Removing is ipcrm's: the key stops finding the segment at once, and the
 * memory goes when its last user lets go. The segment is persisted under
 * key 0 from then on, so a restarted daemon does not give the key back to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "config.h"
#include "hpd.h"
#include "log.h"
#include "policy.h"
#include "segref.h"

#ifndef HUGEPAGED_VERSION
#define HUGEPAGED_VERSION "0"
#endif

static int may_see(const struct client *c, const struct segment *s)
{
        return c->cred.uid == 0 || c->cred.uid == s->uid ||
               policy_check(&c->cred, s, HP_PROT_READ) == 0;
}

/* The processes attached: their number, and the first HP_LIST_PIDS pids,
 * each 0 unless the caller may know it (root: all; anyone else: its own
 * user's processes). */
static void add_pids(struct clients *cs, const struct client *asker, struct hp_list_reply *r)
{
        for (struct list *l = cs->all.next; l != &cs->all; l = l->next) {
                struct client *c = container_of(l, struct client, link);

                if (!segref_count(&c->refs, r->id))
                        continue;
                if (r->npids < HP_LIST_PIDS &&
                    (asker->cred.uid == 0 || asker->cred.uid == c->cred.uid))
                        r->pids[r->npids] = c->cred.pid;
                r->npids++;
        }
}

struct next {
        const struct client *c;
        uint64_t after;
        struct segment *best;
};

static void find_next(struct segment *s, void *arg)
{
        struct next *n = arg;

        if (s->ready && s->id > n->after && (!n->best || s->id < n->best->id) && may_see(n->c, s))
                n->best = s;
}

/* What LIST and STAT tell of one segment. */
static void describe(struct client *c, const struct segment *s, struct hp_list_reply *l)
{
        *l = (struct hp_list_reply){
            .id = s->id,
            .key = s->key,
            .mode = s->mode | (s->removed ? HP_LIST_REMOVED : 0),
            .size = s->size,
            .page_size = s->page_size,
            .uid = s->uid,
            .gid = s->gid,
            .users = s->users,
            .ctime = s->ctime,
        };
        add_pids(&c->hpd->clients, c, l);
}

int admin_list(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct next n = {c, m->u.list.after_id, NULL};

        /* O(segments) a reply: an operator's tool, not a hot path. */
        segment_foreach(&c->hpd->segs, find_next, &n);
        if (!n.best)
                return -ENOENT;
        describe(c, n.best, &r->u.list);
        return 0;
}

/* The segment a REMOVE or STAT names: by key the one the key finds now, by
 * id any, removed or not. */
static struct segment *target(struct client *c, const struct hp_target *t)
{
        struct segment *s =
            t->key ? segment_by_key(&c->hpd->segs, t->key) : segment_by_id(&c->hpd->segs, t->id);

        return s && s->ready && !(t->key && s->removed) ? s : NULL;
}

int admin_stat(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct segment *s = target(c, &m->u.target);

        /* As shmctl(IPC_STAT): a segment the caller may not read is EACCES
         * (alloc_hugepages() tells as much of a key). */
        if (!s)
                return -ENOENT;
        if (!may_see(c, s))
                return -EACCES;
        describe(c, s, &r->u.list);
        return 0;
}

struct totals {
        uint64_t segments, bytes;
};

static void add_up(struct segment *s, void *arg)
{
        struct totals *t = arg;

        t->segments++;
        t->bytes += s->size;
}

int admin_status(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct hpd *hpd = c->hpd;
        struct hp_status_reply *st = &r->u.status;
        struct totals t = {0};

        (void)m;
        st->uptime = (uint64_t)(time(NULL) - hpd->started);
        if (c->cred.uid == 0) {
                segment_foreach(&hpd->segs, add_up, &t);
                st->segments = t.segments;
                st->bytes = t.bytes;
                st->clients = hpd->clients.count;
        } else {
                /* Anyone else: its own, not what other users hold. */
                const struct user *u = user_find(&hpd->users, c->cred.uid);

                st->segments = u ? u->count[USER_SEGMENTS] : 0;
                st->bytes = u ? u->count[USER_BYTES] : 0;
                st->clients = u ? (uint32_t)u->count[USER_CONNECTIONS] : 0;
        }
        for (size_t i = 0; i < hpd->pool.nsizes && st->nsizes < HP_STATUS_SIZES; i++) {
                struct pool_size *ps = &hpd->pool.sizes[i];
                uint64_t total = 0, free = 0, resv = 0;

                pool_read(ps, &total, &free, &resv);
                st->sizes[st->nsizes].page_size = ps->page_size;
                st->sizes[st->nsizes].total = total;
                st->sizes[st->nsizes].free = free;
                st->sizes[st->nsizes].reserved = resv;
                /* Surplus pages: what growth brought about and users still hold. */
                st->sizes[st->nsizes].added = pool_surplus(ps);
                st->nsizes++;
        }
        snprintf(st->version, sizeof(st->version), "%s", HUGEPAGED_VERSION);
        return 0;
}

int admin_remove(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct segment *s = target(c, &m->u.target);

        (void)r;
        if (!s || s->removed || !may_see(c, s))
                return -ENOENT;
        if (c->cred.uid != 0 && c->cred.uid != s->uid)
                return -EPERM;
        log_event(LOG_INFO,
                  &(struct log_ctx){.fields = LOG_KEY | LOG_SEGMENT | LOG_PEER,
                                    .message_id = LOG_ID_REMOVED,
                                    .key = s->key,
                                    .segment = s->id,
                                    .pid = c->cred.pid,
                                    .uid = c->cred.uid},
                  "client pid=%d uid=%u: removed key=%" PRId32 " id=%" PRIu64 " (%" PRIu64
                  " users left)",
                  c->cred.pid, c->cred.uid, s->key, s->id, s->users);
        segref_remove_key(c->hpd, s);
        /* Before the answer: whoever hears of the removal finds the key gone. */
        epoch_bump(&c->hpd->epoch);
        return 0;
}

struct first_user {
        uint32_t from;
        const struct user *best;
};

static void find_user(const struct user *u, void *arg)
{
        struct first_user *f = arg;

        if (u->uid >= f->from && (!f->best || u->uid < f->best->uid))
                f->best = u;
}

int admin_users(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct hpd *hpd = c->hpd;
        struct first_user f = {m->u.users.from_uid, NULL};
        struct hp_users_reply *u = &r->u.users;
        struct limits l;
        uid_t uid;

        if (c->cred.uid == 0) {
                user_foreach(&hpd->users, find_user, &f);
                if (!f.best)
                        return -ENOENT;
                uid = f.best->uid;
        } else {
                if (c->cred.uid < f.from)
                        return -ENOENT;
                uid = c->cred.uid;
                f.best = user_find(&hpd->users, uid);
        }
        *u = (struct hp_users_reply){.uid = (uint32_t)uid};
        if (f.best) {
                u->bytes = f.best->count[USER_BYTES];
                u->segments = f.best->count[USER_SEGMENTS];
                u->connections = f.best->count[USER_CONNECTIONS];
                u->fork_holds = f.best->count[USER_FORK_HOLDS];
        }
        if (uid == c->cred.uid) {
                /* The caller's own: its limits as they apply now. */
                config_limits_for(hpd->config, &c->cred, &l);
                u->max_bytes = l.bytes;
                u->max_segments = l.segments;
                u->max_connections = l.connections;
                u->max_fork_holds = l.fork_holds;
        } else {
                u->max_bytes = f.best->limit[USER_BYTES];
                u->max_segments = f.best->limit[USER_SEGMENTS];
                u->max_connections = f.best->limit[USER_CONNECTIONS];
                u->max_fork_holds = f.best->limit[USER_FORK_HOLDS];
        }
        for (size_t i = 0; i < hpd->pool.nsizes && u->nsizes < HP_USERS_SIZES; i++) {
                uint64_t ps = hpd->pool.sizes[i].page_size;

                u->sizes[u->nsizes].page_size = ps;
                u->sizes[u->nsizes].bytes = f.best ? f.best->bytes[i] : 0;
                u->sizes[u->nsizes].max_bytes =
                    uid == c->cred.uid ? config_bytes_limit(&l, ps) : f.best->size_limit[i];
                u->nsizes++;
        }
        if (c->cred.uid == 0) {
                u->all_bytes = hpd->users.all_bytes;
                u->max_all_bytes = hpd->config->all_users;
        }
        return 0;
}

int admin_log_level(struct client *c, const struct hp_msg *m, struct reply *r)
{
        int level = m->u.log_level.level, was = log_level();

        if (level >= 0) {
                if (c->cred.uid != 0)
                        return -EPERM;
                log_set_level(level);
                log_event(LOG_NOTICE,
                          &(struct log_ctx){.fields = LOG_PEER, .pid = c->cred.pid, .uid = 0},
                          "client pid=%d uid=0: log level %s (was %s), until SIGHUP or a restart",
                          c->cred.pid, log_level_name(level), log_level_name(was));
        }
        r->u.log_level.level = log_level();
        return 0;
}

/* The counters, in a fixed order: name and value of the index-th. */
static int counter(struct hpd *hpd, uint32_t index, char *name, size_t len, uint64_t *value)
{
        const uint32_t answers = CLIENT_ANSWER_KINDS;

        if (index == 0) {
                snprintf(name, len, "segments_created");
                *value = hpd->created;
        } else if (index == 1) {
                snprintf(name, len, "segments_destroyed");
                *value = hpd->destroyed;
        } else if (index < 2 + answers) {
                int e = client_answer_errno(index - 2);

                snprintf(name, len, "answers_%s", e == 0 ? "ok" : e < 0 ? "other" : errname(e));
                *value = hpd->clients.answers[index - 2];
        } else if (index < 2 + answers + 2 * hpd->pool.nsizes) {
                struct pool_size *ps = &hpd->pool.sizes[(index - 2 - answers) / 2];
                int added = (index - 2 - answers) % 2 == 0;

                snprintf(name, len, "pool_pages_%s_%" PRIu64 "kB", added ? "added" : "returned",
                         ps->page_size / 1024);
                *value = __atomic_load_n(added ? &ps->pages_added : &ps->pages_returned,
                                         __ATOMIC_RELAXED);
        } else if (index < 2 + answers + 3 * hpd->pool.nsizes) {
                /* The daemon's own: zeroed and ready, for nobody yet. */
                struct pool_size *ps = &hpd->pool.sizes[index - 2 - answers - 2 * hpd->pool.nsizes];

                snprintf(name, len, "pool_warm_bytes_%" PRIu64 "kB", ps->page_size / 1024);
                *value = __atomic_load_n(&ps->warm_ready, __ATOMIC_RELAXED);
        } else {
                return -ENOENT;
        }
        return 0;
}

int admin_counter(struct client *c, const struct hp_msg *m, struct reply *r)
{
        struct hp_counter_reply *cr = &r->u.counter;

        /* They tell of every user's activity: root's. */
        if (c->cred.uid != 0)
                return -EPERM;
        return counter(c->hpd, m->u.counter.index, cr->name, sizeof(cr->name), &cr->value);
}
