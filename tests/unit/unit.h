/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * unit.h - running one Check suite of unit tests (no daemon, no huge pages).
 */
#ifndef HP_UNIT_H
#define HP_UNIT_H

#include <check.h>

static inline int unit_run(Suite *s)
{
        SRunner *sr = srunner_create(s);
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}

#endif
