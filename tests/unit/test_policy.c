/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_policy.c - who may map a segment with which protection: shmget()'s
 * rules, decided from the peer's credentials alone.
 */
#include <check.h>
#include <errno.h>

#include "hp_proto.h"
#include "policy.h"
#include "segment.h"
#include "unit.h"

static struct segment seg(uid_t uid, gid_t gid, mode_t mode)
{
        return (struct segment){.uid = uid, .gid = gid, .mode = mode};
}

static struct creds who(uid_t uid, gid_t gid, gid_t *groups, int ngroups)
{
        return (struct creds){
            .pid = 1, .uid = uid, .gid = gid, .groups = groups, .ngroups = ngroups};
}

#define R  HP_PROT_READ
#define RW (HP_PROT_READ | HP_PROT_WRITE)

START_TEST(owner_group_other_bits)
{
        struct segment s = seg(1000, 100, 0640);
        struct creds owner = who(1000, 5, NULL, 0), member = who(2000, 100, NULL, 0),
                     other = who(3000, 300, NULL, 0);

        ck_assert_int_eq(policy_check(&owner, &s, RW), 0);
        ck_assert_int_eq(policy_check(&member, &s, R), 0);
        ck_assert_int_eq(policy_check(&member, &s, RW), -EACCES);
        ck_assert_int_eq(policy_check(&other, &s, R), -EACCES);
}
END_TEST

/* The owner's bits are the owner's even when they say less than the group's
 * or the others' (as for files and SysV shm). */
START_TEST(owner_bits_are_not_widened_by_group_or_other)
{
        struct segment s = seg(1000, 100, 0066);
        struct creds owner = who(1000, 100, NULL, 0), member = who(2000, 100, NULL, 0);

        ck_assert_int_eq(policy_check(&owner, &s, R), -EACCES);
        ck_assert_int_eq(policy_check(&member, &s, RW), 0);
}
END_TEST

START_TEST(supplementary_groups_count)
{
        gid_t groups[] = {7, 100, 9};
        struct segment s = seg(1000, 100, 0660);
        struct creds member = who(2000, 5, groups, 3), stranger = who(2000, 5, groups, 1);

        ck_assert_int_eq(policy_check(&member, &s, RW), 0);
        ck_assert_int_eq(policy_check(&stranger, &s, R), -EACCES);
}
END_TEST

/* Any mapping needs read; PROT_EXEC and PROT_NONE count as reading. */
START_TEST(every_mapping_needs_read)
{
        struct segment s = seg(1000, 100, 0602); /* others: write only */
        struct creds other = who(3000, 300, NULL, 0);

        ck_assert_int_eq(policy_check(&other, &s, HP_PROT_WRITE), -EACCES);
        ck_assert_int_eq(policy_check(&other, &s, HP_PROT_EXEC), -EACCES);
        ck_assert_int_eq(policy_check(&other, &s, 0), -EACCES);
        s.mode = 0604;
        ck_assert_int_eq(policy_check(&other, &s, 0), 0);
        ck_assert_int_eq(policy_check(&other, &s, HP_PROT_READ | HP_PROT_EXEC), 0);
}
END_TEST

START_TEST(root_passes_every_check)
{
        struct segment s = seg(1000, 100, 0);
        struct creds root = who(0, 0, NULL, 0);

        ck_assert_int_eq(policy_check(&root, &s, RW | HP_PROT_EXEC), 0);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("policy");
        TCase *tc = tcase_create("access");

        tcase_add_test(tc, owner_group_other_bits);
        tcase_add_test(tc, owner_bits_are_not_widened_by_group_or_other);
        tcase_add_test(tc, supplementary_groups_count);
        tcase_add_test(tc, every_mapping_needs_read);
        tcase_add_test(tc, root_passes_every_check);
        suite_add_tcase(s, tc);
        return unit_run(s);
}
