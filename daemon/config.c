/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * config.c - hugepaged.conf(5); see config.h.
 *
 * libinih does the syntax ([Section], Key=value, comments); this file does
 * the meaning. The line of every key is known because the file is fed to
 * libinih one line at a time through reader(). A value may be followed by
 * a comment that starts with whitespace and '#' or ';'.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "policy.h"

struct parse {
        struct config *c;
        const char *name; /* the file, for errors */
        unsigned line;
        uint64_t mem_total;
        char *err;
        size_t errlen;
        int failed;
        /* A string being read (config_load_string). */
        const char *text;
};

void config_defaults(struct config *c, uint64_t mem_total)
{
        *c = (struct config){
            .socket_mode = 0666,
            .socket_group = (gid_t)-1,
            .grow = 1,
            .max_grow = mem_total / 4 * 3,
            .defaults =
                {
                    .bytes = mem_total / 4,
                    .segments = 4096,
                    .connections = 256,
                    .fork_holds = 64,
                },
            .all_users = mem_total / 2,
            .log_level = LOG_INFO,
        };
}

void config_free(struct config *c)
{
        free(c->socket);
        free(c->backend);
        free(c->users);
        free(c->groups);
        *c = (struct config){0};
}

/* Digits, then nothing else. */
static int parse_u64(const char *s, int base, uint64_t *out)
{
        char *end;
        unsigned long long v;

        if (!*s || !isdigit((unsigned char)*s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, base);
        if (errno || *end)
                return -EINVAL;
        *out = v;
        return 0;
}

/* A number with an optional binary suffix: "4096", "2M", "1G". */
static int parse_bytes(const char *s, uint64_t *out)
{
        static const char suffixes[] = "KMGT";
        size_t n = strlen(s);
        char num[32];
        unsigned shift = 0;
        uint64_t v;
        const char *p;

        if (n == 0 || n >= sizeof(num))
                return -EINVAL;
        memcpy(num, s, n + 1);
        if ((p = strchr(suffixes, toupper((unsigned char)num[n - 1]))) && num[n - 1]) {
                shift = 10 * (unsigned)(p - suffixes + 1);
                num[n - 1] = '\0';
        }
        if (parse_u64(num, 10, &v) < 0 || (shift && v > (UINT64_MAX >> shift)))
                return -EINVAL;
        *out = v << shift;
        return 0;
}

int config_parse_size(const char *s, uint64_t mem_total, uint64_t *out)
{
        size_t n = strlen(s);

        if (strcmp(s, "infinity") == 0) {
                *out = LIMIT_INFINITY;
                return 0;
        }
        if (n > 1 && s[n - 1] == '%') {
                char num[16];
                uint64_t pct;

                if (n - 1 >= sizeof(num))
                        return -EINVAL;
                memcpy(num, s, n - 1);
                num[n - 1] = '\0';
                if (parse_u64(num, 10, &pct) < 0 || pct > 100)
                        return -EINVAL;
                *out = (uint64_t)((unsigned __int128)mem_total * pct / 100);
                return 0;
        }
        return parse_bytes(s, out);
}

static int parse_count(const char *s, uint64_t *out)
{
        if (strcmp(s, "infinity") == 0) {
                *out = LIMIT_INFINITY;
                return 0;
        }
        return parse_u64(s, 10, out);
}

static int parse_bool(const char *s, int *out)
{
        static const char *yes[] = {"yes", "true", "on", "1"}, *no[] = {"no", "false", "off", "0"};

        for (size_t i = 0; i < 4; i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return *out = 1, 0;
                if (strcasecmp(s, no[i]) == 0)
                        return *out = 0, 0;
        }
        return -EINVAL;
}

static int parse_seconds(const char *s, unsigned max, unsigned *out)
{
        uint64_t v;

        if (parse_u64(s, 10, &v) < 0 || v > max)
                return -EINVAL;
        *out = (unsigned)v;
        return 0;
}

/* Record the first error, "FILE:LINE: Key=: why" (no "Key=: " when key is
 * ""). Returns 0: libinih's word for an error. */
static int fail(struct parse *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parse *p, const char *key, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (!p->failed) {
                n = snprintf(p->err, p->errlen, "%s:%u: %s%s", p->name, p->line, key,
                             key[0] ? "=: " : "");
                if (n >= 0 && (size_t)n < p->errlen) {
                        va_start(ap, fmt);
                        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
                        va_end(ap);
                }
        }
        p->failed = 1;
        return 0;
}

static int limits_key(struct parse *p, struct limits *l, const char *key, const char *v)
{
        uint64_t x, ps;

        if (strcmp(key, "MaxBytes") == 0) {
                if (config_parse_size(v, p->mem_total, &x) < 0)
                        return fail(p, key, "'%s' is not a size (bytes, K/M/G/T, N%% or infinity)",
                                    v);
                l->bytes = x;
                l->given |= LIMIT_BYTES;
                return 1;
        }
        if (strncmp(key, "MaxBytes", 8) == 0 && parse_bytes(key + 8, &ps) == 0) {
                size_t i;

                if (ps < 4096 || (ps & (ps - 1)))
                        return fail(p, key, "%s: not a page size", key + 8);
                if (config_parse_size(v, p->mem_total, &x) < 0)
                        return fail(p, key, "'%s' is not a size (bytes, K/M/G/T, N%% or infinity)",
                                    v);
                for (i = 0; i < l->nsizes && l->by_size[i].page_size != ps; i++)
                        ;
                if (i == LIMIT_SIZES)
                        return fail(p, key, "%s", "too many page sizes in one section");
                l->by_size[i].page_size = ps;
                l->by_size[i].bytes = x;
                if (i == l->nsizes)
                        l->nsizes++;
                return 1;
        }
        if (strcmp(key, "MaxSegments") == 0 || strcmp(key, "MaxConnections") == 0 ||
            strcmp(key, "MaxForkHolds") == 0) {
                if (parse_count(v, &x) < 0)
                        return fail(p, key, "'%s' is not a count (a number or infinity)", v);
                if (key[3] == 'S') {
                        l->segments = x;
                        l->given |= LIMIT_SEGMENTS;
                } else if (key[3] == 'C') {
                        l->connections = x;
                        l->given |= LIMIT_CONNECTIONS;
                } else {
                        l->fork_holds = x;
                        l->given |= LIMIT_FORK_HOLDS;
                }
                return 1;
        }
        return fail(p, key, "%s", "unknown key");
}

static int daemon_key(struct parse *p, const char *key, const char *v)
{
        struct config *c = p->c;
        uint64_t x;

        if (strcmp(key, "Socket") == 0) {
                if (!v[0] || strlen(v) >= 108)
                        return fail(p, key, "'%s' is not a path of under 108 bytes", v);
                free(c->socket);
                c->socket = strdup(v);
        } else if (strcmp(key, "SocketMode") == 0) {
                if (parse_u64(v, 8, &x) < 0 || x > 0777)
                        return fail(p, key, "'%s' is not an octal mode", v);
                c->socket_mode = (mode_t)x;
        } else if (strcmp(key, "SocketGroup") == 0) {
                struct group *g = getgrnam(v);

                if (!g && parse_u64(v, 10, &x) < 0)
                        return fail(p, key, "no group '%s'", v);
                c->socket_group = g ? g->gr_gid : (gid_t)x;
        } else if (strcmp(key, "IdleExitSec") == 0) {
                if (parse_seconds(v, 86400 * 365, &c->idle_exit) < 0)
                        return fail(p, key, "'%s' is not a number of seconds", v);
        } else if (strcmp(key, "Backend") == 0) {
                if (strcmp(v, "memfd") && !(strncmp(v, "hugetlbfs:/", 11) == 0))
                        return fail(p, key, "'%s' is neither memfd nor hugetlbfs:/DIR", v);
                free(c->backend);
                c->backend = strcmp(v, "memfd") ? strdup(v + 10) : NULL;
        } else if (strcmp(key, "LogLevel") == 0) {
                int prio = log_level_parse(v);

                if (prio < 0)
                        return fail(p, key,
                                    "'%s' is not one of emerg, alert, crit, err, "
                                    "warning, notice, info, debug",
                                    v);
                c->log_level = prio;
        } else {
                return fail(p, key, "%s", "unknown key");
        }
        return 1;
}

/* Warm=PAGESIZE:BYTES sets that size's warm pool (0 for none); Warm= with
 * nothing clears every size's. */
static int warm_key(struct config *c, const char *v)
{
        char size[32];
        const char *colon = strchr(v, ':');
        uint64_t ps, bytes;
        size_t i;

        if (!*v) {
                c->nwarm = 0;
                return 0;
        }
        if (!colon || (size_t)(colon - v) >= sizeof(size))
                return -EINVAL;
        memcpy(size, v, (size_t)(colon - v));
        size[colon - v] = '\0';
        if (parse_bytes(size, &ps) < 0 || ps < 4096 || (ps & (ps - 1)) ||
            parse_bytes(colon + 1, &bytes) < 0 || bytes % ps)
                return -EINVAL;
        for (i = 0; i < c->nwarm && c->warm[i].page_size != ps; i++)
                ;
        if (i == CONFIG_WARM_MAX)
                return -EINVAL;
        c->warm[i].page_size = ps;
        c->warm[i].bytes = bytes;
        if (i == c->nwarm)
                c->nwarm++;
        return 0;
}

uint64_t config_warm_for(const struct config *c, uint64_t page_size)
{
        for (size_t i = 0; i < c->nwarm; i++)
                if (c->warm[i].page_size == page_size)
                        return c->warm[i].bytes;
        return 0;
}

static int pool_key(struct parse *p, const char *key, const char *v)
{
        if (strcmp(key, "Grow") == 0) {
                if (parse_bool(v, &p->c->grow) < 0)
                        return fail(p, key, "'%s' is neither yes nor no", v);
        } else if (strcmp(key, "MaxGrow") == 0) {
                if (config_parse_size(v, p->mem_total, &p->c->max_grow) < 0)
                        return fail(p, key, "'%s' is not a size (bytes, K/M/G/T, N%% or infinity)",
                                    v);
        } else if (strcmp(key, "Warm") == 0) {
                if (warm_key(p->c, v) < 0)
                        return fail(p, key,
                                    "'%s' is not PAGESIZE:BYTES (a power of two, and a multiple "
                                    "of it; at most %d sizes)",
                                    v, CONFIG_WARM_MAX);
        } else {
                return fail(p, key, "%s", "unknown key");
        }
        return 1;
}

/* The entry of [User:NAME] or [Group:NAME], made if new. NULL: no such
 * user or group (err set), or out of memory. */
static struct limits *id_section(struct parse *p, const char *section)
{
        int user = strncmp(section, "User:", 5) == 0;
        const char *name = section + (user ? 5 : 6);
        struct config_id_limits **list = user ? &p->c->users : &p->c->groups;
        size_t *n = user ? &p->c->nusers : &p->c->ngroups;
        struct config_id_limits *grown;
        uint64_t id;

        if (user) {
                struct passwd *pw = getpwnam(name);

                if (pw)
                        id = pw->pw_uid;
                else if (parse_u64(name, 10, &id) < 0 || id >= UINT32_MAX)
                        return fail(p, "", "[%s]: no such user (name it by uid if it is to come)",
                                    section),
                               NULL;
        } else {
                struct group *g = getgrnam(name);

                if (g)
                        id = g->gr_gid;
                else if (parse_u64(name, 10, &id) < 0 || id >= UINT32_MAX)
                        return fail(p, "", "[%s]: no such group (name it by gid if it is to come)",
                                    section),
                               NULL;
        }
        for (size_t i = 0; i < *n; i++)
                if ((*list)[i].id == id)
                        return &(*list)[i].limits;
        grown = realloc(*list, (*n + 1) * sizeof(**list));
        if (!grown) {
                fail(p, "", "%s", "out of memory");
                return NULL;
        }
        *list = grown;
        grown[*n] = (struct config_id_limits){.id = (uint32_t)id};
        return &grown[(*n)++].limits;
}

/* The value without a trailing comment (" # ..." or " ; ...") and blanks. */
static void strip(char *v)
{
        char *end;

        for (char *q = v; *q; q++) {
                if ((*q == '#' || *q == ';') && q > v && isspace((unsigned char)q[-1])) {
                        *q = '\0';
                        break;
                }
        }
        end = v + strlen(v);
        while (end > v && isspace((unsigned char)end[-1]))
                *--end = '\0';
}

static int on_key(void *arg, const char *section, const char *key, const char *value)
{
        struct parse *p = arg;
        char v[256];
        struct limits *l;

        if (p->failed)
                return 0;
        snprintf(v, sizeof(v), "%s", value);
        strip(v);
        if (strcmp(section, "Daemon") == 0)
                return daemon_key(p, key, v);
        if (strcmp(section, "Pool") == 0)
                return pool_key(p, key, v);
        if (strcmp(section, "Limits") == 0) {
                if (strcmp(key, "MaxBytesAllUsers") == 0) {
                        if (config_parse_size(v, p->mem_total, &p->c->all_users) < 0)
                                return fail(p, key,
                                            "'%s' is not a size (bytes, K/M/G/T, N%% or infinity)",
                                            v);
                        return 1;
                }
                return limits_key(p, &p->c->defaults, key, v);
        }
        if ((strncmp(section, "User:", 5) == 0 && section[5]) ||
            (strncmp(section, "Group:", 6) == 0 && section[6])) {
                l = id_section(p, section);
                return l ? limits_key(p, l, key, v) : 0;
        }
        return fail(p, "", "[%s]: unknown section", section);
}

/* libinih's reader: one line at a time, counted. */
static char *read_file_line(char *buf, int len, void *arg)
{
        struct parse *p = arg;
        char *r = fgets(buf, len, (FILE *)p->text);

        if (r)
                p->line++;
        return r;
}

static char *read_string_line(char *buf, int len, void *arg)
{
        struct parse *p = arg;
        const char *nl;
        size_t n;

        if (!*p->text)
                return NULL;
        nl = strchr(p->text, '\n');
        n = nl ? (size_t)(nl - p->text) + 1 : strlen(p->text);
        if (n > (size_t)len - 1)
                n = (size_t)len - 1;
        memcpy(buf, p->text, n);
        buf[n] = '\0';
        p->text += n;
        p->line++;
        return buf;
}

/* After libinih: a syntax error it found is reported with its line. */
static int finish(struct parse *p, int r)
{
        if (r == 0 && !p->failed)
                return 0;
        if (!p->failed) {
                p->line = r > 0 ? (unsigned)r : p->line;
                fail(p, "", "%s", r > 0 ? "not [Section] nor Key=value" : "cannot be read");
        }
        return -EINVAL;
}

static int load_file(struct config *c, const char *path, int missing_ok, uint64_t mem_total,
                     char *err, size_t errlen)
{
        struct parse p = {c, path, 0, mem_total, err, errlen, 0, NULL};
        FILE *f = fopen(path, "re");
        int r;

        if (!f) {
                if (errno == ENOENT && missing_ok)
                        return 0;
                r = -errno;
                snprintf(err, errlen, "%s: %s", path, strerror(-r));
                return r;
        }
        p.text = (const char *)f;
        r = ini_parse_stream(read_file_line, &p, on_key, &p);
        fclose(f);
        return finish(&p, r);
}

static int is_conf(const struct dirent *de)
{
        size_t n = strlen(de->d_name);

        return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0;
}

int config_load(struct config *c, const char *path, int missing_ok, uint64_t mem_total, char *err,
                size_t errlen)
{
        char dir[PATH_MAX], file[PATH_MAX + 256];
        struct dirent **list = NULL;
        int n, r;

        if ((r = load_file(c, path, missing_ok, mem_total, err, errlen)) < 0)
                return r;
        snprintf(dir, sizeof(dir), "%s.d", path);
        n = scandir(dir, &list, is_conf, alphasort);
        for (int i = 0; i < n; i++) {
                snprintf(file, sizeof(file), "%s/%s", dir, list[i]->d_name);
                if (r == 0)
                        r = load_file(c, file, 0, mem_total, err, errlen);
                free(list[i]);
        }
        free(list);
        return r;
}

int config_load_string(struct config *c, const char *text, const char *name, uint64_t mem_total,
                       char *err, size_t errlen)
{
        struct parse p = {c, name, 0, mem_total, err, errlen, 0, text};

        return finish(&p, ini_parse_stream(read_string_line, &p, on_key, &p));
}

int config_set(struct config *c, const char *section, const char *key, const char *value,
               uint64_t mem_total, char *err, size_t errlen)
{
        struct parse p = {c, "command line", 0, mem_total, err, errlen, 0, NULL};

        on_key(&p, section, key, value);
        if (p.failed) {
                /* "command line:0: Key=: why" reads badly: drop the line. */
                char *colon = strstr(err, ":0: ");

                if (colon)
                        memmove(colon, colon + 2, strlen(colon + 2) + 1);
                return -EINVAL;
        }
        return 0;
}

static const struct limits *find_id(const struct config_id_limits *list, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (list[i].id == id)
                        return &list[i].limits;
        return NULL;
}

/* The four counts of a section, by LIMIT_* bit number. */
static uint64_t *count_of(struct limits *l, int k)
{
        uint64_t *f[] = {&l->bytes, &l->segments, &l->connections, &l->fork_holds};

        return f[k];
}

#define LIMIT_NCOUNTS 4

/* The group sections of the peer's groups (primary and supplementary). */
static const struct limits *group_of(const struct config *c, const struct creds *cr, int i)
{
        return find_id(c->groups, c->ngroups, (uint32_t)(i < 0 ? cr->gid : cr->groups[i]));
}

/* The page size's entry of l (made if new), or NULL if l is full. */
static uint64_t *size_of(struct limits *l, uint64_t page_size, int make)
{
        for (size_t i = 0; i < l->nsizes; i++)
                if (l->by_size[i].page_size == page_size)
                        return &l->by_size[i].bytes;
        if (!make || l->nsizes == LIMIT_SIZES)
                return NULL;
        l->by_size[l->nsizes].page_size = page_size;
        l->by_size[l->nsizes].bytes = LIMIT_INFINITY;
        return &l->by_size[l->nsizes++].bytes;
}

/* MaxBytes<SIZE>= for one page size: the user's; else the most generous of
 * the peer's groups'; else what out (the base) has. */
static void merge_size(const struct config *c, const struct creds *cr, const struct limits *user,
                       struct limits *out, uint64_t page_size)
{
        uint64_t *v = user ? size_of((struct limits *)user, page_size, 0) : NULL, best = 0;
        int found = 0;

        if (v) {
                best = *v;
                found = 1;
        }
        for (int i = -1; !v && i < cr->ngroups; i++) {
                const struct limits *g = group_of(c, cr, i);
                uint64_t *gv = g ? size_of((struct limits *)g, page_size, 0) : NULL;

                if (gv) {
                        best = found && best > *gv ? best : *gv;
                        found = 1;
                }
        }
        if (found && (v = size_of(out, page_size, 1)))
                *v = best;
}

/* Key by key over base: the user's section; else the most generous of the
 * peer's groups'; else base as it is. */
static void merge(const struct config *c, const struct creds *cr, const struct limits *user,
                  struct limits *out)
{
        for (int k = 0; k < LIMIT_NCOUNTS; k++) {
                uint64_t best = 0;
                int found = 0;

                if (user && (user->given & (1u << k))) {
                        *count_of(out, k) = *count_of((struct limits *)user, k);
                        continue;
                }
                for (int i = -1; i < cr->ngroups; i++) {
                        const struct limits *g = group_of(c, cr, i);
                        uint64_t v;

                        if (!g || !(g->given & (1u << k)))
                                continue;
                        v = *count_of((struct limits *)g, k);
                        best = found && best > v ? best : v;
                        found = 1;
                }
                if (found)
                        *count_of(out, k) = best;
        }
        /* Each page size's key the same way. */
        for (int i = -2; i < cr->ngroups; i++) {
                const struct limits *from = i == -2 ? user : group_of(c, cr, i);

                for (size_t k = 0; from && k < from->nsizes; k++)
                        merge_size(c, cr, user, out, from->by_size[k].page_size);
        }
}

void config_limits_for(const struct config *c, const struct creds *cr, struct limits *out)
{
        const struct limits *u = find_id(c->users, c->nusers, (uint32_t)cr->uid);

        if (cr->uid == 0) {
                /* Unlimited, but for what a [User:root] section sets. */
                *out = (struct limits){.bytes = LIMIT_INFINITY,
                                       .segments = LIMIT_INFINITY,
                                       .connections = LIMIT_INFINITY,
                                       .fork_holds = LIMIT_INFINITY};
                if (u)
                        merge(c, &(struct creds){.uid = 0, .gid = (gid_t)-1}, u, out);
        } else {
                *out = c->defaults;
                merge(c, cr, u, out);
        }
        out->given = 0;
}

uint64_t config_bytes_limit(const struct limits *l, uint64_t page_size)
{
        uint64_t b = l->bytes;

        for (size_t i = 0; i < l->nsizes; i++)
                if (l->by_size[i].page_size == page_size && l->by_size[i].bytes < b)
                        b = l->by_size[i].bytes;
        return b;
}
