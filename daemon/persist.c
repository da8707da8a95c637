/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * persist.c - records that survive the daemon; see persist.h.
 *
 * Pure: no I/O, no global state. The reader is strict, because what it
 * reads may have been left by another version, or put in the hugetlbfs
 * directory by someone else: every field is present, in range, plain
 * digits without sign or leading zeros, and nothing follows the last.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "persist.h"

#define PREFIX "hpd"

int persist_format(const struct persist_rec *r, char *buf, size_t cap)
{
        int n;

        switch (r->kind) {
        case PERSIST_SEGMENT:
                if (r->u.seg.id == 0 || r->u.seg.key < 0 || r->u.seg.mode > 0777 ||
                    r->u.seg.ctime < 0)
                        return -EINVAL;
                n = snprintf(buf, cap,
                             PREFIX "%d-seg-%" PRIu64 "-%" PRId32 "-%" PRIu32 "-%" PRIu32
                                    "-%" PRIo32 "-%" PRIu64 "-%" PRIu64 "-%" PRId64,
                             PERSIST_VERSION, r->u.seg.id, r->u.seg.key, r->u.seg.uid, r->u.seg.gid,
                             r->u.seg.mode, r->u.seg.size, r->u.seg.page_size, r->u.seg.ctime);
                break;
        case PERSIST_POOL:
                n = snprintf(buf, cap, PREFIX "%d-pool-%" PRIu64 "-%" PRIu64 "-%" PRIu64,
                             PERSIST_VERSION, r->u.pool.page_size, r->u.pool.pages, r->u.pool.base);
                break;
        case PERSIST_STATE:
                n = snprintf(buf, cap, PREFIX "%d-state", PERSIST_VERSION);
                break;
        case PERSIST_CONN:
                if (r->u.conn.id == 0)
                        return -EINVAL;
                n = snprintf(buf, cap, PREFIX "%d-conn-%" PRIu64, PERSIST_VERSION, r->u.conn.id);
                break;
        case PERSIST_LEDGER:
                n = snprintf(buf, cap, PREFIX "%d-ledger", PERSIST_VERSION);
                break;
        case PERSIST_EPOCH:
                n = snprintf(buf, cap, PREFIX "%d-epoch", PERSIST_VERSION);
                break;
        default:
                return -EINVAL;
        }
        if (n < 0 || (size_t)n >= cap || n > PERSIST_MAX)
                return -ENOBUFS;
        return n;
}

/* A cursor over the n bytes of a record. */
struct cur {
        const char *p, *end;
};

/* One field of digits in base (8 or 10), up to the next '-' or the end,
 * at most max. Consumes the '-' after it unless last. */
static int field(struct cur *c, unsigned base, uint64_t max, int last, uint64_t *out)
{
        const char *start = c->p;
        uint64_t v = 0;

        while (c->p < c->end && *c->p != '-') {
                unsigned d = (unsigned)(*c->p - '0');

                if (d >= base || v > (max - d) / base)
                        return -EBADMSG;
                v = v * base + d;
                c->p++;
        }
        if (c->p == start || (*start == '0' && c->p - start > 1))
                return -EBADMSG;
        if (last ? c->p != c->end : c->p == c->end)
                return -EBADMSG;
        if (!last)
                c->p++; /* the '-' */
        *out = v;
        return 0;
}

/* The literal word w followed by '-' (or the end, if last). */
static int word(struct cur *c, const char *w, int last)
{
        size_t n = strlen(w), left = (size_t)(c->end - c->p);

        if (left < n || memcmp(c->p, w, n))
                return -EBADMSG;
        if (last ? left != n : left == n || c->p[n] != '-')
                return -EBADMSG;
        c->p += last ? n : n + 1;
        return 0;
}

static int parse_segment(struct cur *c, struct persist_rec *r)
{
        uint64_t v[9];
        static const struct {
                unsigned base;
                uint64_t max;
        } f[9] = {
            {10, UINT64_MAX}, {10, INT32_MAX},  {10, UINT32_MAX}, {10, UINT32_MAX},
            {8, 0777},        {10, UINT64_MAX}, {10, UINT64_MAX}, {10, INT64_MAX},
        };
        int e;

        for (int i = 0; i < 8; i++)
                if ((e = field(c, f[i].base, f[i].max, i == 7, &v[i])) < 0)
                        return e;
        if (v[0] == 0 || v[5] == 0 || v[6] == 0 || (v[6] & (v[6] - 1)) || v[5] % v[6])
                return -EBADMSG;
        r->kind = PERSIST_SEGMENT;
        r->u.seg.id = v[0];
        r->u.seg.key = (int32_t)v[1];
        r->u.seg.uid = (uint32_t)v[2];
        r->u.seg.gid = (uint32_t)v[3];
        r->u.seg.mode = (uint32_t)v[4];
        r->u.seg.size = v[5];
        r->u.seg.page_size = v[6];
        r->u.seg.ctime = (int64_t)v[7];
        return 0;
}

static int parse_pool(struct cur *c, struct persist_rec *r)
{
        uint64_t ps, pages, base;
        int e;

        if ((e = field(c, 10, UINT64_MAX, 0, &ps)) < 0 ||
            (e = field(c, 10, UINT64_MAX, 0, &pages)) < 0 ||
            (e = field(c, 10, UINT64_MAX, 1, &base)) < 0)
                return e;
        if (ps == 0 || (ps & (ps - 1)))
                return -EBADMSG;
        r->kind = PERSIST_POOL;
        r->u.pool.page_size = ps;
        r->u.pool.pages = pages;
        r->u.pool.base = base;
        return 0;
}

int persist_parse(const char *text, size_t n, struct persist_rec *out)
{
        struct cur c = {text, text + n};
        uint64_t version;
        int e;

        memset(out, 0, sizeof(*out));
        if (n > PERSIST_MAX || n < strlen(PREFIX) || memcmp(text, PREFIX, strlen(PREFIX)))
                return -ENOENT;
        c.p += strlen(PREFIX);
        if ((e = field(&c, 10, UINT32_MAX, 0, &version)) < 0)
                return e;
        if (version != PERSIST_VERSION)
                return -EPROTONOSUPPORT;
        if (word(&c, "seg", 0) == 0)
                return parse_segment(&c, out);
        if (word(&c, "pool", 0) == 0)
                return parse_pool(&c, out);
        if (word(&c, "state", 1) == 0) {
                out->kind = PERSIST_STATE;
                return 0;
        }
        if (word(&c, "ledger", 1) == 0) {
                out->kind = PERSIST_LEDGER;
                return 0;
        }
        if (word(&c, "epoch", 1) == 0) {
                out->kind = PERSIST_EPOCH;
                return 0;
        }
        if (word(&c, "conn", 0) == 0) {
                if ((e = field(&c, 10, UINT64_MAX, 1, &out->u.conn.id)) < 0 || !out->u.conn.id)
                        return -EBADMSG;
                out->kind = PERSIST_CONN;
                return 0;
        }
        return -EBADMSG;
}

int persist_ledger_check(const void *mem, size_t len)
{
        const struct persist_ledger *h = mem;

        if (len < PERSIST_LEDGER_HEAD || memcmp(h->magic, PERSIST_LEDGER_MAGIC, 8))
                return -EBADMSG;
        if (h->version != PERSIST_VERSION)
                return -EPROTONOSUPPORT;
        if (h->slot_size != sizeof(struct persist_slot) || h->nslots < 1 ||
            h->nslots > (len - PERSIST_LEDGER_HEAD) / sizeof(struct persist_slot) ||
            h->ntx > PERSIST_TX_MAX || h->applied > h->committed)
                return -EBADMSG;
        for (uint32_t i = 0; i < h->ntx; i++)
                if (h->tx[i].idx == 0 || h->tx[i].idx >= h->nslots)
                        return -EBADMSG;
        return 0;
}
