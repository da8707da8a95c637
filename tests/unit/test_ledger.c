/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_ledger.c - the ledger: what a daemon killed at any instant leaves.
 *
 * A "crash" here is a second ledger adopting a duplicate of the first's
 * memfd while the first is left exactly where it stopped, as a restarted
 * daemon finds it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"
#include "unit.h"

static struct persist_slot ref(uint64_t holder, uint64_t seg, uint64_t count)
{
        return (struct persist_slot){
            .kind = PERSIST_SLOT_REF, .sub = PERSIST_SLOT_CONN, .id = holder, .a = seg, .b = count};
}

/* What a restarted daemon reads from l's memory now. */
static void reopen(const struct ledger *l, struct ledger *out)
{
        int fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 3);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ledger_adopt(out, fd), 0);
}

START_TEST(committed_changes_survive_staged_ones_do_not)
{
        struct ledger l, r;
        uint32_t a, b;
        struct persist_slot s = ref(7, 1, 3);

        ck_assert_int_eq(ledger_create(&l), 0);
        ck_assert_int_eq(ledger_alloc(&l, &a), 0);
        ck_assert_int_eq(ledger_alloc(&l, &b), 0);
        ck_assert_uint_ne(a, 0);
        ck_assert_uint_ne(a, b);
        ledger_set(&l, a, &s);
        ledger_commit(&l);
        s = ref(7, 2, 1);
        ledger_set(&l, b, &s); /* staged, never committed: the daemon died here */
        reopen(&l, &r);
        ck_assert_uint_eq(ledger_slot(&r, a)->kind, PERSIST_SLOT_REF);
        ck_assert_uint_eq(ledger_slot(&r, a)->b, 3);
        ck_assert_uint_eq(ledger_slot(&r, b)->kind, PERSIST_SLOT_FREE);
        ledger_close(&r);
        ledger_close(&l);
}
END_TEST

START_TEST(a_committed_journal_not_yet_applied_is_applied)
{
        struct ledger l, r;
        uint32_t a, b;
        struct persist_slot s1 = ref(7, 1, 2), s2 = ref(9, 1, 5);

        ck_assert_int_eq(ledger_create(&l), 0);
        ck_assert_int_eq(ledger_alloc(&l, &a), 0);
        ck_assert_int_eq(ledger_alloc(&l, &b), 0);
        ledger_set(&l, a, &s1);
        ledger_set(&l, b, &s2);
        /* The commit's one store, and a death before the slots are written. */
        l.head->committed++;
        reopen(&l, &r);
        ck_assert_uint_eq(ledger_slot(&r, a)->b, 2);
        ck_assert_uint_eq(ledger_slot(&r, b)->b, 5);
        ck_assert_uint_eq(r.head->applied, r.head->committed);
        ck_assert_uint_eq(r.head->ntx, 0);
        /* Half applied (one slot written, not the other): the same result. */
        ledger_close(&r);
        ledger_close(&l);
        ck_assert_int_eq(ledger_create(&l), 0);
        ck_assert_int_eq(ledger_alloc(&l, &a), 0);
        ck_assert_int_eq(ledger_alloc(&l, &b), 0);
        ledger_set(&l, a, &s1);
        ledger_set(&l, b, &s2);
        l.head->committed++;
        l.slots[a] = s1;
        reopen(&l, &r);
        ck_assert_uint_eq(ledger_slot(&r, a)->b, 2);
        ck_assert_uint_eq(ledger_slot(&r, b)->b, 5);
        ledger_close(&r);
        ledger_close(&l);
}
END_TEST

START_TEST(more_changes_than_the_journal_holds_commit_in_groups)
{
        struct ledger l, r;
        uint32_t idx[PERSIST_TX_MAX * 3];

        ck_assert_int_eq(ledger_create(&l), 0);
        for (unsigned i = 0; i < PERSIST_TX_MAX * 3; i++) {
                struct persist_slot s = ref(1, i + 1, 1);

                ck_assert_int_eq(ledger_alloc(&l, &idx[i]), 0);
                ledger_set(&l, idx[i], &s);
        }
        ledger_commit(&l);
        reopen(&l, &r);
        for (unsigned i = 0; i < PERSIST_TX_MAX * 3; i++)
                ck_assert_uint_eq(ledger_slot(&r, idx[i])->a, i + 1);
        ledger_close(&r);
        ledger_close(&l);
}
END_TEST

START_TEST(it_grows_and_reuses_freed_slots)
{
        struct ledger l, r;
        uint32_t first, idx = 0, again;
        struct persist_slot s = ref(3, 3, 3);

        ck_assert_int_eq(ledger_create(&l), 0);
        ck_assert_int_eq(ledger_alloc(&l, &first), 0);
        for (int i = 0; i < 1000; i++) {
                ck_assert_int_eq(ledger_alloc(&l, &idx), 0);
                ledger_set(&l, idx, &s);
                ledger_commit(&l);
        }
        ck_assert_uint_ge(ledger_nslots(&l), 1001);
        ledger_free(&l, idx);
        ledger_commit(&l);
        ck_assert_int_eq(ledger_alloc(&l, &again), 0);
        ck_assert_uint_eq(again, idx);
        reopen(&l, &r);
        ck_assert_uint_eq(ledger_nslots(&r), ledger_nslots(&l));
        ck_assert_uint_eq(ledger_slot(&r, idx)->kind, PERSIST_SLOT_FREE);
        ck_assert_uint_eq(ledger_slot(&r, idx - 1)->b, 3);
        ledger_close(&r);
        ledger_close(&l);
}
END_TEST

START_TEST(connection_ids_are_never_reused)
{
        struct ledger l, r;
        uint64_t a, b;

        ck_assert_int_eq(ledger_create(&l), 0);
        a = ledger_new_conn_id(&l);
        reopen(&l, &r);
        b = ledger_new_conn_id(&r);
        ck_assert_uint_gt(b, a);
        ledger_close(&r);
        ledger_close(&l);
}
END_TEST

START_TEST(what_is_not_a_ledger_is_refused)
{
        static char mem[PERSIST_LEDGER_HEAD + 64 * sizeof(struct persist_slot)];
        struct persist_ledger *h = (struct persist_ledger *)mem;

        ck_assert_int_eq(persist_ledger_check(mem, sizeof(mem)), -EBADMSG);
        memcpy(h->magic, PERSIST_LEDGER_MAGIC, 8);
        h->version = PERSIST_VERSION;
        h->slot_size = sizeof(struct persist_slot);
        h->nslots = 64;
        ck_assert_int_eq(persist_ledger_check(mem, sizeof(mem)), 0);
        ck_assert_int_eq(persist_ledger_check(mem, PERSIST_LEDGER_HEAD - 1), -EBADMSG);
        ck_assert_int_eq(persist_ledger_check(mem, sizeof(mem) - 1), -EBADMSG); /* cut short */
        h->ntx = 1;
        h->tx[0].idx = 64; /* past the last slot */
        ck_assert_int_eq(persist_ledger_check(mem, sizeof(mem)), -EBADMSG);
        h->tx[0].idx = 0; /* slot 0 is never used */
        ck_assert_int_eq(persist_ledger_check(mem, sizeof(mem)), -EBADMSG);
        h->ntx = PERSIST_TX_MAX + 1;
        ck_assert_int_eq(persist_ledger_check(mem, sizeof(mem)), -EBADMSG);
        h->ntx = 0;
        h->applied = h->committed + 1;
        ck_assert_int_eq(persist_ledger_check(mem, sizeof(mem)), -EBADMSG);
        h->applied = 0;
        h->version = PERSIST_VERSION + 1;
        ck_assert_int_eq(persist_ledger_check(mem, sizeof(mem)), -EPROTONOSUPPORT);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("ledger");
        TCase *tc = tcase_create("ledger");

        tcase_add_test(tc, committed_changes_survive_staged_ones_do_not);
        tcase_add_test(tc, a_committed_journal_not_yet_applied_is_applied);
        tcase_add_test(tc, more_changes_than_the_journal_holds_commit_in_groups);
        tcase_add_test(tc, it_grows_and_reuses_freed_slots);
        tcase_add_test(tc, connection_ids_are_never_reused);
        tcase_add_test(tc, what_is_not_a_ledger_is_refused);
        suite_add_tcase(s, tc);
        return unit_run(s);
}
