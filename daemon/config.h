/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config.h - hugepaged.conf(5): the settings and the limits.
 *
 * Owns: reading /etc/hugepaged/hugepaged.conf and then its drop-ins
 * (hugepaged.conf.d/NAME.conf, in lexical order, later wins) with libinih,
 * every key's syntax and range, and deciding which limits apply to a peer.
 * An unknown section or key, or a bad value, is an error naming the file,
 * the line and the key; a configuration is used whole or not at all. Must
 * never act on what it reads: main.c applies it.
 */
#ifndef HPD_CONFIG_H
#define HPD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef HUGEPAGED_CONFIG
#define CONFIG_DEFAULT_PATH HUGEPAGED_CONFIG /* from the build: /etc/hugepaged/... */
#else
#define CONFIG_DEFAULT_PATH "/etc/hugepaged/hugepaged.conf"
#endif
#define LIMIT_INFINITY UINT64_MAX
#define LIMIT_SIZES    4 /* MaxBytes<PAGESIZE>= keys a section may have */

struct creds;

/* The keys of [Limits], [User:NAME] and [Group:NAME]. */
struct limits {
        uint64_t bytes;       /* MaxBytes=: huge-page bytes of the user's segments */
        uint64_t segments;    /* MaxSegments= */
        uint64_t connections; /* MaxConnections= */
        uint64_t fork_holds;  /* MaxForkHolds=: holds not yet claimed */
        struct {
                uint64_t page_size, bytes;
        } by_size[LIMIT_SIZES]; /* MaxBytes2M=, MaxBytes1G=, ... */
        size_t nsizes;
        unsigned given; /* LIMIT_* bits: the keys this section set */
};

#define LIMIT_BYTES       (1u << 0)
#define LIMIT_SEGMENTS    (1u << 1)
#define LIMIT_CONNECTIONS (1u << 2)
#define LIMIT_FORK_HOLDS  (1u << 3)

struct config_id_limits {
        uint32_t id; /* uid or gid */
        struct limits limits;
};

#define CONFIG_WARM_MAX 8

struct config {
        /* [Daemon] */
        char *socket;       /* Socket= */
        mode_t socket_mode; /* SocketMode= */
        gid_t socket_group; /* SocketGroup=, (gid_t)-1: leave it */
        unsigned idle_exit; /* IdleExitSec= */
        char *backend;      /* Backend=: "memfd" or "hugetlbfs:DIR" */
        int log_level;      /* LogLevel=: a syslog priority, LOG_ERR .. LOG_DEBUG */
        /* [Pool] */
        int grow;          /* Grow= */
        uint64_t max_grow; /* MaxGrow=: bytes the daemon may add, all sizes */
        struct {
                uint64_t page_size, bytes;
        } warm[CONFIG_WARM_MAX]; /* Warm=PAGESIZE:BYTES, one per page size */
        size_t nwarm;
        /* [Limits] */
        struct limits defaults;
        uint64_t all_users; /* MaxBytesAllUsers= */
        /* [User:NAME] and [Group:NAME] */
        struct config_id_limits *users, *groups;
        size_t nusers, ngroups;
};

/* The built-in defaults, for a machine of mem_total bytes. */
void config_defaults(struct config *c, uint64_t mem_total);

/*
 * Read path and then every path.d/NAME.conf over what is already in c (the
 * defaults, from config_defaults). A missing main file is no error when
 * missing_ok. Returns 0, or a negative errno with the reason in err
 * ("FILE:LINE: Key=: why"); c is then half-read: free it, keep the old one.
 */
int config_load(struct config *c, const char *path, int missing_ok, uint64_t mem_total, char *err,
                size_t errlen);

/* The same, from a string (for the unit tests); name appears in errors. */
int config_load_string(struct config *c, const char *text, const char *name, uint64_t mem_total,
                       char *err, size_t errlen);

/* One key set as if read from a file named "command line": how options
 * override the file. 0 or -EINVAL (err says why). */
int config_set(struct config *c, const char *section, const char *key, const char *value,
               uint64_t mem_total, char *err, size_t errlen);

void config_free(struct config *c);

/*
 * The limits for a peer: its [User:] section's keys, then for each key not
 * set there the most generous of its groups' [Group:] sections (primary and
 * supplementary), then [Limits]. Root is unlimited but for a [User:] section
 * naming it.
 */
void config_limits_for(const struct config *c, const struct creds *cr, struct limits *out);

/* Bytes of that page size Warm= keeps ready (0: none). */
uint64_t config_warm_for(const struct config *c, uint64_t page_size);

/* A limit's bytes for one page size: the smaller of MaxBytes= and its
 * MaxBytes<SIZE>=, if any. */
uint64_t config_bytes_limit(const struct limits *l, uint64_t page_size);

/* "8G", "50%" of mem_total, "infinity"; bytes. 0 or -EINVAL. */
int config_parse_size(const char *s, uint64_t mem_total, uint64_t *out);

#endif
