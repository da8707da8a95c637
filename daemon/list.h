/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * list.h - intrusive doubly linked list.
 *
 * Owns nothing: nodes live inside the structures that are listed. An unlinked
 * node points at itself, so list_unlink() is safe to call twice.
 */
#ifndef HPD_LIST_H
#define HPD_LIST_H

#include <stddef.h>

struct list {
        struct list *prev, *next;
};

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void list_init(struct list *l)
{
        l->prev = l->next = l;
}

static inline int list_empty(const struct list *l)
{
        return l->next == l;
}

static inline void list_append(struct list *head, struct list *n)
{
        n->prev = head->prev;
        n->next = head;
        head->prev->next = n;
        head->prev = n;
}

static inline void list_unlink(struct list *n)
{
        n->prev->next = n->next;
        n->next->prev = n->prev;
        list_init(n);
}

#endif
