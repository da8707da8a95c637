/*
 * admin.c - hugepagectl's requests; see admin.h.
 *
 * Removing is ipcrm's: the key stops finding the segment at once, and the
 * memory goes when its last user lets go. The segment is renamed to key 0 in
 * systemd's store or the hugetlbfs directory, so a restarted daemon does not
 * give the key back to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "client.h"
#include "hpd.h"
#include "log.h"
#include "policy.h"
#include "store.h"

#ifndef HUGEPAGED_VERSION
#define HUGEPAGED_VERSION "0"
#endif

static int may_see(const struct client *c, const struct segment *s)
{
        return c->cred.uid == 0 || c->cred.uid == s->uid ||
               policy_check(&c->cred, s, HP_PROT_READ) == 0;
}

static void add_pids(struct hpd *hpd, struct hp_list_reply *r)
{
        for (struct list *l = hpd->clients.next; l != &hpd->clients; l = l->next) {
                struct client *c = container_of(l, struct client, link);

                if (!htab_find(&c->refs, r->id))
                        continue;
                if (r->npids < HP_LIST_PIDS)
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

void admin_list(struct client *c)
{
        struct next n = {c, c->req.u.list.after_id, NULL};
        struct hp_list_reply r = {0};

        /* O(segments) a reply: an operator's tool, not a hot path. */
        segment_foreach(&c->hpd->segs, find_next, &n);
        if (!n.best) {
                r.st.status = ENOENT;
                client_reply(c, HP_MSG_LIST_REPLY, &r, sizeof(r), -1);
                return;
        }
        r.id = n.best->id;
        r.key = n.best->key;
        r.mode = n.best->mode | (n.best->removed ? HP_LIST_REMOVED : 0);
        r.size = n.best->size;
        r.page_size = n.best->page_size;
        r.uid = n.best->uid;
        r.gid = n.best->gid;
        r.users = n.best->users;
        r.ctime = n.best->ctime;
        add_pids(c->hpd, &r);
        client_reply(c, HP_MSG_LIST_REPLY, &r, sizeof(r), -1);
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

void admin_status(struct client *c)
{
        struct hpd *hpd = c->hpd;
        struct hp_status_reply r = {0};
        struct totals t = {0};

        segment_foreach(&hpd->segs, add_up, &t);
        r.uptime = (uint64_t)(time(NULL) - hpd->started);
        r.segments = t.segments;
        r.bytes = t.bytes;
        r.clients = hpd->nclients;
        for (size_t i = 0; i < hpd->pool.nsizes && r.nsizes < HP_STATUS_SIZES; i++) {
                struct pool_size *ps = &hpd->pool.sizes[i];
                uint64_t total = 0, free = 0, resv = 0;

                pool_read(ps, &total, &free, &resv);
                r.sizes[r.nsizes].page_size = ps->page_size;
                r.sizes[r.nsizes].total = total;
                r.sizes[r.nsizes].free = free;
                r.sizes[r.nsizes].reserved = resv;
                /* The worker's count; a moment stale at worst. */
                r.sizes[r.nsizes].added = __atomic_load_n(&ps->added, __ATOMIC_RELAXED);
                r.nsizes++;
        }
        snprintf(r.version, sizeof(r.version), "%s", HUGEPAGED_VERSION);
        client_reply(c, HP_MSG_STATUS_REPLY, &r, sizeof(r), -1);
}

void admin_remove(struct client *c)
{
        const struct hp_remove *rm = &c->req.u.remove;
        struct segment *s =
            rm->key ? segment_by_key(&c->hpd->segs, rm->key) : segment_by_id(&c->hpd->segs, rm->id);
        struct hp_status st = {0};

        if (!s || !s->ready || s->removed || !may_see(c, s))
                st.status = ENOENT;
        else if (c->cred.uid != 0 && c->cred.uid != s->uid)
                st.status = EPERM;
        if (!st.status) {
                log_info("client pid=%d uid=%u: removed key=%" PRId32 " id=%" PRIu64 " (%" PRIu64
                         " users left)",
                         c->cred.pid, c->cred.uid, s->key, s->id, s->users);
                store_remove(s);
                segment_forget_key(&c->hpd->segs, s);
                store_add(s);
        }
        client_reply(c, HP_MSG_REMOVE_REPLY, &st, sizeof(st), -1);
}
