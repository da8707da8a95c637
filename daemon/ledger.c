/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ledger.c - who holds what; see ledger.h.
 *
 * A group of changes: each staged into the journal (head->tx), then one
 * store of head->committed, then the slots written, then head->applied.
 * The stores are ordered with release fences: a daemon killed between any
 * two of them leaves a ledger that ledger_adopt() makes whole. (A process
 * killed leaves every store it made in the memfd's page cache; the ledger
 * need not survive the machine.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ledger.h"
#include "log.h"

#define FIRST_SLOTS 256u

static size_t bytes_for(uint64_t nslots)
{
        return PERSIST_LEDGER_HEAD + (size_t)nslots * sizeof(struct persist_slot);
}

static void point(struct ledger *l, void *mem, size_t len)
{
        l->head = mem;
        l->slots = (struct persist_slot *)((char *)mem + PERSIST_LEDGER_HEAD);
        l->len = len;
}

static int push_free(struct ledger *l, uint32_t idx)
{
        if (l->nfree == l->free_cap) {
                size_t cap = l->free_cap ? l->free_cap * 2 : FIRST_SLOTS;
                uint32_t *f = realloc(l->free, cap * sizeof(*f));

                if (!f)
                        return -ENOMEM;
                l->free = f;
                l->free_cap = cap;
        }
        l->free[l->nfree++] = idx;
        return 0;
}

/* Every free slot onto the stack, lowest index on top. */
static int collect_free(struct ledger *l, uint32_t from, uint32_t to)
{
        for (uint32_t i = to; i-- > from;)
                if (l->slots[i].kind == PERSIST_SLOT_FREE && push_free(l, i) < 0)
                        return -ENOMEM;
        return 0;
}

static void apply(struct ledger *l)
{
        struct persist_ledger *h = l->head;

        for (uint32_t i = 0; i < h->ntx; i++)
                l->slots[h->tx[i].idx] = h->tx[i].slot;
        __atomic_store_n(&h->applied, h->committed, __ATOMIC_RELEASE);
        h->ntx = 0;
}

/* A new ledger in fd (taken; emptied first). */
static int init_fd(struct ledger *l, int fd)
{
        size_t len = bytes_for(FIRST_SLOTS);
        void *mem;

        memset(l, 0, sizeof(*l));
        l->fd = -1;
        if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)len) < 0 ||
            (mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
                int e = -errno;

                close(fd);
                return e;
        }
        point(l, mem, len);
        memcpy(l->head->magic, PERSIST_LEDGER_MAGIC, 8);
        l->head->version = PERSIST_VERSION;
        l->head->slot_size = sizeof(struct persist_slot);
        l->head->nslots = FIRST_SLOTS;
        l->head->next_conn = 1;
        l->fd = fd;
        if (collect_free(l, 1, FIRST_SLOTS) < 0) {
                ledger_close(l);
                return -ENOMEM;
        }
        return 0;
}

int ledger_create(struct ledger *l)
{
        int fd = memfd_create("hugepaged-ledger", MFD_CLOEXEC);

        if (fd < 0) {
                memset(l, 0, sizeof(*l));
                l->fd = -1;
                return -errno;
        }
        return init_fd(l, fd);
}

int ledger_open_at(struct ledger *l, int dir, const char *name)
{
        int fd = openat(dir, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        struct stat st;
        int r;

        if (fd < 0) {
                memset(l, 0, sizeof(*l));
                l->fd = -1;
                return -errno;
        }
        if (fstat(fd, &st) == 0 && st.st_size > 0) {
                int again = fcntl(fd, F_DUPFD_CLOEXEC, 3);

                r = ledger_adopt(l, fd);
                if (r == 0) {
                        if (again >= 0)
                                close(again);
                        return 1;
                }
                log_warn("ledger: %s is unreadable (%s): starting a new one", name, errname(r));
                fd = again;
                if (fd < 0)
                        return -errno;
        }
        r = init_fd(l, fd);
        return r;
}

int ledger_adopt(struct ledger *l, int fd)
{
        struct stat st;
        void *mem;
        int e;

        memset(l, 0, sizeof(*l));
        l->fd = -1;
        if (fstat(fd, &st) < 0 || st.st_size < (off_t)PERSIST_LEDGER_HEAD ||
            (uint64_t)st.st_size > (UINT64_C(1) << 40)) {
                close(fd);
                return -EBADMSG;
        }
        mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (mem == MAP_FAILED) {
                e = -errno;
                close(fd);
                return e;
        }
        e = persist_ledger_check(mem, (size_t)st.st_size);
        if (e < 0) {
                munmap(mem, (size_t)st.st_size);
                close(fd);
                return e;
        }
        point(l, mem, (size_t)st.st_size);
        l->fd = fd;
        /* Committed, perhaps not (wholly) applied: apply it (again). Not
         * committed: it never happened. */
        if (l->head->committed != l->head->applied)
                apply(l);
        l->head->ntx = 0;
        if (l->head->next_conn == 0)
                l->head->next_conn = 1;
        if (collect_free(l, 1, (uint32_t)l->head->nslots) < 0) {
                ledger_close(l);
                return -ENOMEM;
        }
        return 0;
}

void ledger_close(struct ledger *l)
{
        if (l->head)
                munmap(l->head, l->len);
        if (l->fd >= 0)
                close(l->fd);
        free(l->free);
        memset(l, 0, sizeof(*l));
        l->fd = -1;
}

/* Twice the slots. The journal holds indexes, not addresses: a move of the
 * mapping changes nothing staged. */
static int grow(struct ledger *l)
{
        uint64_t n = l->head->nslots, m = n * 2;
        size_t len = bytes_for(m);
        void *mem;

        if (m > UINT32_MAX || ftruncate(l->fd, (off_t)len) < 0)
                return -ENOMEM;
        mem = mremap(l->head, l->len, len, MREMAP_MAYMOVE);
        if (mem == MAP_FAILED)
                return -ENOMEM;
        point(l, mem, len);
        l->head->nslots = m; /* the new slots are zero: free */
        return collect_free(l, (uint32_t)n, (uint32_t)m);
}

int ledger_alloc(struct ledger *l, uint32_t *idx)
{
        *idx = 0;
        if (!ledger_active(l))
                return 0;
        if (l->nfree == 0 && grow(l) < 0) {
                log_warn("ledger: cannot grow past %" PRIu64 " slots", (uint64_t)l->head->nslots);
                return -ENOMEM;
        }
        *idx = l->free[--l->nfree];
        return 0;
}

void ledger_room(struct ledger *l, unsigned n)
{
        if (ledger_active(l) && l->head->ntx + n > PERSIST_TX_MAX)
                ledger_commit(l);
}

void ledger_set(struct ledger *l, uint32_t idx, const struct persist_slot *s)
{
        struct persist_tx_entry *e;

        if (!ledger_active(l) || idx == 0)
                return;
        ledger_room(l, 1);
        e = &l->head->tx[l->head->ntx];
        e->idx = idx;
        e->reserved = 0;
        e->slot = *s;
        /* The entry before the count that makes it part of the group. */
        __atomic_store_n(&l->head->ntx, l->head->ntx + 1, __ATOMIC_RELEASE);
}

void ledger_free(struct ledger *l, uint32_t idx)
{
        static const struct persist_slot none;

        if (!ledger_active(l) || idx == 0)
                return;
        ledger_set(l, idx, &none);
        if (push_free(l, idx) < 0)
                log_warn("ledger: slot %u lost until restart (out of memory)", idx);
}

void ledger_commit(struct ledger *l)
{
        struct persist_ledger *h = l->head;

        if (!ledger_active(l) || h->ntx == 0)
                return;
        __atomic_store_n(&h->committed, h->committed + 1, __ATOMIC_RELEASE);
        apply(l);
}

const struct persist_slot *ledger_slot(const struct ledger *l, uint32_t idx)
{
        if (!ledger_active(l) || idx == 0 || idx >= l->head->nslots)
                return NULL;
        return &l->slots[idx];
}

uint32_t ledger_nslots(const struct ledger *l)
{
        return ledger_active(l) ? (uint32_t)l->head->nslots : 0;
}

uint64_t ledger_new_conn_id(struct ledger *l)
{
        static uint64_t unrecorded = 1;

        if (!ledger_active(l))
                return unrecorded++;
        return l->head->next_conn++;
}
