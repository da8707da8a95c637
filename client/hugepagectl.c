/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hugepagectl - what hugepaged holds, and cleaning up: the ipcs/ipcrm of
 * shared huge pages.
 *
 *   hugepagectl [OPTIONS] list | status | users | show KEY | remove KEY |
 *                         log-level [LEVEL] | help
 *   (show and remove also take --id ID instead of KEY; options go anywhere)
 *
 * Exit status: 0 done; 1 the daemon refused (no such key, not yours);
 * 2 bad usage; 3 the daemon cannot be reached or spoke nonsense. What a
 * command prints goes to stdout only once it has succeeded: on failure
 * stdout stays empty and the reason goes to stderr.
 * Talks to the daemon through proto/ and the library's connection code; it
 * does not link libhugepages (it maps nothing).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "hugepages.h"

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_NO_DAEMON = 3 };

static int json, no_legend, bytes_exact;
static struct conn conn = CONN_INIT;

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: hugepagectl [OPTIONS] COMMAND\n"
                "\n"
                "Commands:\n"
                "  list              the segments you may read (root: all)\n"
                "  status            the daemon, the huge page pools, and your usage\n"
                "  users             each user's usage against its limits (others: root only)\n"
                "  show KEY          everything about one segment (show --id ID: by id)\n"
                "  remove KEY        no new attaches to KEY; the memory goes with its last user\n"
                "  remove --id ID    the same, by segment id\n"
                "  log-level [LEVEL] the daemon's log level; root may set it (err, warning,\n"
                "                    notice, info, debug) until SIGHUP or a restart\n"
                "  help              this text\n"
                "\n"
                "Options (anywhere on the line):\n"
                "  -s, --socket PATH the daemon's socket (default $HUGEPAGED_SOCKET, else\n"
                "                    " HUGEPAGES_DEFAULT_SOCKET ")\n"
                "  -j, --json        machine-readable output (docs/hugepagectl.md)\n"
                "  -n, --no-legend   no header line in tables\n"
                "  -b, --bytes       sizes in bytes, not KiB/MiB/GiB\n"
                "  -h, --help        this text\n"
                "  -V, --version     the version\n");
}

static const char *socket_path(void)
{
        const char *path = getenv("HUGEPAGED_SOCKET");

        return path && *path ? path : HUGEPAGES_DEFAULT_SOCKET;
}

static int no_daemon(int r)
{
        const char *path = socket_path();

        if (r != -ENOSYS)
                fprintf(stderr, "hugepagectl: talking to hugepaged at %s: %s\n", path,
                        strerror(-r));
        else if (conn.connect_errno == EACCES || conn.connect_errno == EPERM)
                fprintf(stderr,
                        "hugepagectl: permission denied: you may not connect to %s "
                        "(its mode or group keep you out)\n",
                        path);
        else if (conn.connect_errno == ENOENT || conn.connect_errno == ECONNREFUSED)
                fprintf(stderr, "hugepagectl: hugepaged is not running (%s %s)\n",
                        conn.connect_errno == ENOENT ? "no socket at" : "nothing listens at", path);
        else if (conn.connect_errno)
                fprintf(stderr, "hugepagectl: cannot connect to %s: %s\n", path,
                        strerror(conn.connect_errno));
        else
                fprintf(stderr, "hugepagectl: hugepaged at %s does not answer\n", path);
        return EXIT_NO_DAEMON;
}

/* A JSON string, escaped. */
static void jstr(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

/* A user's or group's name, or its number when it has none. */
static const char *name_or_id(const char *name, uint32_t id, char *buf, size_t len)
{
        if (name)
                return name;
        snprintf(buf, len, "%" PRIu32, id);
        return buf;
}

static const char *human(uint64_t bytes, char *buf, size_t len)
{
        if (bytes_exact) {
                snprintf(buf, len, "%" PRIu64, bytes);
                return buf;
        }
        {
                static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
                int u = 0;

                double v = (double)bytes;

                while (bytes >= 1024 && bytes % 1024 == 0 && u < 4) {
                        bytes /= 1024;
                        u++;
                }
                if (bytes < 1024 || u == 4) {
                        snprintf(buf, len, "%" PRIu64 " %s", bytes, unit[u]);
                        return buf;
                }
                /* Not a whole number of any unit: one decimal of the largest. */
                for (u = 0; v >= 1024 && u < 4; u++)
                        v /= 1024;
                snprintf(buf, len, "%.1f %s", v, unit[u]);
                return buf;
        }
}

static const char *iso_time(int64_t t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;

        gmtime_r(&tt, &tm);
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return buf;
}

static void print_segment(const struct hp_list_reply *r, int first)
{
        char ub[16], gb[16], sz[32], ps[32], ct[32];
        struct passwd *pw = getpwuid(r->uid);
        const char *owner = name_or_id(pw ? pw->pw_name : NULL, r->uid, ub, sizeof(ub));
        struct group *gr = getgrgid(r->gid);
        const char *group = name_or_id(gr ? gr->gr_name : NULL, r->gid, gb, sizeof(gb));
        uint32_t shown = r->npids < HP_LIST_PIDS ? r->npids : HP_LIST_PIDS;
        int removed = (r->mode & HP_LIST_REMOVED) != 0;

        if (json) {
                printf("%s\n    {\"key\": %" PRId32 ", \"key_hex\": \"0x%08" PRIx32
                       "\", \"id\": %" PRIu64 ", \"removed\": %s, \"size\": %" PRIu64
                       ", \"page_size\": %" PRIu64 ", \"uid\": %" PRIu32 ", \"owner\": ",
                       first ? "" : ",", r->key, (uint32_t)r->key, r->id,
                       removed ? "true" : "false", r->size, r->page_size, r->uid);
                jstr(owner);
                printf(", \"gid\": %" PRIu32 ", \"group\": ", r->gid);
                jstr(group);
                printf(", \"mode\": \"%04o\", \"users\": %" PRIu64 ", \"npids\": %" PRIu32
                       ", \"pids\": [",
                       r->mode & 0777, r->users, r->npids);
                /* Another user's processes come as 0: not listed. */
                for (uint32_t i = 0, n = 0; i < shown; i++)
                        if (r->pids[i])
                                printf("%s%" PRId32, n++ ? ", " : "", r->pids[i]);
                printf("], \"created\": \"%s\", \"created_unix\": %" PRId64 "}",
                       iso_time(r->ctime, ct, sizeof(ct)), r->ctime);
                return;
        }
        printf("0x%08" PRIx32 " %10" PRId32 "%s %6" PRIu64 " %9s %8s %-10s %-10s %04o %5" PRIu64
               " %-20s ",
               (uint32_t)r->key, r->key, removed ? "*" : " ", r->id, human(r->size, sz, sizeof(sz)),
               human(r->page_size, ps, sizeof(ps)), owner, group, r->mode & 0777, r->users,
               iso_time(r->ctime, ct, sizeof(ct)));
        for (uint32_t i = 0; i < shown; i++) {
                if (r->pids[i])
                        printf("%s%" PRId32, i ? "," : "", r->pids[i]);
                else
                        printf("%s?", i ? "," : ""); /* another user's process */
        }
        if (r->npids > shown)
                printf(",+%" PRIu32, r->npids - shown);
        printf("%s\n", shown ? "" : "-");
}

static int cmd_list(void)
{
        struct hp_list req = {0};
        struct hp_msg reply;
        int n = 0;

        if (json)
                printf("{\"segments\": [");
        else if (!no_legend)
                printf("%-10s %11s %6s %9s %8s %-10s %-10s %-4s %5s %-20s %s\n", "KEY", "DECIMAL",
                       "ID", "SIZE", "PAGE", "OWNER", "GROUP", "MODE", "USERS", "CREATED", "PIDS");
        for (;;) {
                int r = conn_call(&conn, HP_MSG_LIST, &req, sizeof(req), HP_MSG_LIST_REPLY, &reply,
                                  NULL, 0);

                if (r < 0)
                        return no_daemon(r);
                if (reply.u.list_reply.st.status == ENOENT)
                        break;
                if (reply.u.list_reply.st.status)
                        return no_daemon(-reply.u.list_reply.st.status);
                print_segment(&reply.u.list_reply, n == 0);
                req.after_id = reply.u.list_reply.id;
                n++;
        }
        if (json)
                printf("%s]}\n", n ? "\n  " : "");
        return 0;
}

/* A limit: the number, or "-" (text) / null (JSON) for none. */
static const char *limit_text(uint64_t v, int bytes, char *buf, size_t len)
{
        if (v == HP_NO_LIMIT)
                return json ? "null" : "-";
        if (bytes && !json)
                return human(v, buf, len);
        snprintf(buf, len, "%" PRIu64, v);
        return buf;
}

static void print_user_json(const struct hp_users_reply *u)
{
        char b[8][32], nb[16];
        struct passwd *pw = getpwuid(u->uid);

        printf("{\"uid\": %" PRIu32 ", \"user\": ", u->uid);
        jstr(name_or_id(pw ? pw->pw_name : NULL, u->uid, nb, sizeof(nb)));
        printf(", \"bytes\": %" PRIu64 ", \"max_bytes\": %s, \"segments\": %" PRIu64
               ", \"max_segments\": %s, \"connections\": %" PRIu64
               ", \"max_connections\": %s, \"fork_holds\": %" PRIu64
               ", \"max_fork_holds\": %s, \"page_sizes\": [",
               u->bytes, limit_text(u->max_bytes, 1, b[0], 32), u->segments,
               limit_text(u->max_segments, 0, b[1], 32), u->connections,
               limit_text(u->max_connections, 0, b[2], 32), u->fork_holds,
               limit_text(u->max_fork_holds, 0, b[3], 32));
        for (uint32_t i = 0; i < u->nsizes; i++)
                printf("%s{\"page_size\": %" PRIu64 ", \"bytes\": %" PRIu64 ", \"max_bytes\": %s}",
                       i ? ", " : "", u->sizes[i].page_size, u->sizes[i].bytes,
                       limit_text(u->sizes[i].max_bytes, 1, b[4], 32));
        printf("]}");
}

static void print_user_row(const struct hp_users_reply *u)
{
        char b[8][32], nb[16];
        struct passwd *pw = getpwuid(u->uid);

        printf("%-10" PRIu32 " %-12s %10s %10s %8" PRIu64 " %8s %6" PRIu64 " %6s %6" PRIu64
               " %6s\n",
               u->uid, name_or_id(pw ? pw->pw_name : NULL, u->uid, nb, sizeof(nb)),
               human(u->bytes, b[0], 32), limit_text(u->max_bytes, 1, b[1], 32), u->segments,
               limit_text(u->max_segments, 0, b[2], 32), u->connections,
               limit_text(u->max_connections, 0, b[3], 32), u->fork_holds,
               limit_text(u->max_fork_holds, 0, b[4], 32));
}

static const char user_header[] = "%-10s %-12s %10s %10s %8s %8s %6s %6s %6s %6s\n";
#define USER_COLUMNS                                                                               \
        "UID", "USER", "BYTES", "MAX", "SEGMENTS", "MAX", "CONNS", "MAX", "HOLDS", "MAX"

/* One USERS round trip: 0 (a user in *out), 1 (no more), or an exit code. */
static int next_user(uint32_t from, struct hp_msg *reply)
{
        struct hp_users req = {.from_uid = from};
        int r =
            conn_call(&conn, HP_MSG_USERS, &req, sizeof(req), HP_MSG_USERS_REPLY, reply, NULL, 0);

        if (r < 0)
                return no_daemon(r);
        if (reply->u.users_reply.st.status == ENOENT)
                return 1;
        if (reply->u.users_reply.st.status)
                return no_daemon(-reply->u.users_reply.st.status);
        return 0;
}

static int cmd_users(void)
{
        struct hp_users_reply all = {0};
        struct hp_msg reply;
        uint32_t from = 0;
        char b[2][32];
        int n = 0, r;

        while ((r = next_user(from, &reply)) == 0) {
                const struct hp_users_reply *u = &reply.u.users_reply;

                if (n == 0 && json)
                        printf("{\"users\": [");
                else if (n == 0 && !no_legend)
                        printf(user_header, USER_COLUMNS);
                if (json) {
                        printf("%s\n    ", n ? "," : "");
                        print_user_json(u);
                } else {
                        print_user_row(u);
                }
                all = *u;
                n++;
                if (u->uid == UINT32_MAX)
                        break;
                from = u->uid + 1;
        }
        if (r > 1)
                return r;
        /* Every user together is root's to see. */
        if (json && getuid() != 0) {
                printf("%s], \"all_users\": null}\n", n ? "\n  " : "{\"users\": [");
        } else if (json) {
                printf("%s], \"all_users\": {\"bytes\": %" PRIu64 ", \"max_bytes\": %s}}\n",
                       n ? "\n  " : "{\"users\": [", all.all_bytes,
                       limit_text(all.max_all_bytes, 1, b[0], 32));
        } else if (n == 0 && !no_legend) {
                printf(user_header, USER_COLUMNS);
        }
        if (!json && getuid() == 0)
                printf("all non-root users: %s of %s\n", human(all.all_bytes, b[0], 32),
                       limit_text(all.max_all_bytes, 1, b[1], 32));
        return 0;
}

/* The daemon's counters (root only): printed as JSON members or lines.
 * Returns 0, 1 when the daemon keeps them from the caller, or an exit code. */
static int print_counters(void)
{
        struct hp_counter req = {0};
        struct hp_msg reply;
        const struct hp_counter_reply *cr = &reply.u.counter_reply;

        for (;; req.index++) {
                int r = conn_call(&conn, HP_MSG_COUNTER, &req, sizeof(req), HP_MSG_COUNTER_REPLY,
                                  &reply, NULL, 0);

                if (r < 0)
                        return no_daemon(r);
                if (cr->st.status == EPERM && req.index == 0)
                        return 1;
                if (cr->st.status == ENOENT)
                        break;
                if (cr->st.status)
                        return no_daemon(-cr->st.status);
                if (json)
                        printf("%s\"%s\": %" PRIu64, req.index ? ", " : "{", cr->name, cr->value);
                else
                        printf("%s%-32s %" PRIu64 "\n",
                               req.index ? "" : "\ncounters since start:\n", cr->name, cr->value);
        }
        if (json)
                printf(req.index ? "}" : "{}");
        return 0;
}

static int cmd_status(void)
{
        struct hp_status_req req = {0};
        struct hp_msg reply;
        const struct hp_status_reply *s = &reply.u.status_reply;
        char b[32];
        struct hp_msg mine;
        int r = conn_call(&conn, HP_MSG_STATUS, &req, sizeof(req), HP_MSG_STATUS_REPLY, &reply,
                          NULL, 0);

        if (r < 0)
                return no_daemon(r);
        r = next_user((uint32_t)getuid(), &mine);
        if (r > 1)
                return r;
        if (json) {
                printf("{\"version\": ");
                jstr(s->version);
                printf(", \"protocol\": %d, \"uptime_seconds\": %" PRIu64 ", \"segments\": %" PRIu64
                       ", \"bytes\": %" PRIu64 ", \"clients\": %" PRIu32 ", \"pools\": [",
                       HP_PROTO_VERSION, s->uptime, s->segments, s->bytes, s->clients);
                for (uint32_t i = 0; i < s->nsizes; i++)
                        printf("%s{\"page_size\": %" PRIu64 ", \"total\": %" PRIu64
                               ", \"free\": %" PRIu64 ", \"reserved\": %" PRIu64
                               ", \"added\": %" PRIu64 "}",
                               i ? ", " : "", s->sizes[i].page_size, s->sizes[i].total,
                               s->sizes[i].free, s->sizes[i].reserved, s->sizes[i].added);
                printf("], \"usage\": ");
                if (r == 0)
                        print_user_json(&mine.u.users_reply);
                else
                        printf("null");
                printf(", \"counters\": ");
                r = print_counters();
                if (r > 1)
                        return r;
                printf("%s}\n", r ? "null" : "");
                return 0;
        }
        printf("hugepaged %s (protocol %d), up %" PRIu64 " s\n", s->version, HP_PROTO_VERSION,
               s->uptime);
        printf("segments %" PRIu64 ", %s, clients %" PRIu32 "\n", s->segments,
               human(s->bytes, b, sizeof(b)), s->clients);
        printf("%-10s %8s %8s %8s %8s\n", "PAGE", "TOTAL", "FREE", "RESERVED", "ADDED");
        for (uint32_t i = 0; i < s->nsizes; i++)
                printf("%-10s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n",
                       human(s->sizes[i].page_size, b, sizeof(b)), s->sizes[i].total,
                       s->sizes[i].free, s->sizes[i].reserved, s->sizes[i].added);
        if (r == 0) {
                printf("\nyour usage and limits:\n");
                if (!no_legend)
                        printf(user_header, USER_COLUMNS);
                print_user_row(&mine.u.users_reply);
        }
        r = print_counters();
        return r > 1 ? r : 0;
}

/* log-level [LEVEL]: the daemon's, and for root setting it. */
static int cmd_log_level(int argc, char **argv)
{
        static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                            "warning", "notice", "info", "debug"};
        struct hp_log_level req = {.level = -1};
        struct hp_msg reply;
        int r;

        if (argc > 1) {
                fprintf(stderr, "hugepagectl: log-level takes at most one LEVEL\n");
                return EXIT_USAGE;
        }
        if (argc == 1) {
                for (int i = 0; i < 8; i++)
                        if (strcmp(argv[0], names[i]) == 0)
                                req.level = i;
                if (req.level < 0) {
                        fprintf(stderr,
                                "hugepagectl: unknown log level '%s' (emerg, alert, crit, err, "
                                "warning, notice, info, debug)\n",
                                argv[0]);
                        return EXIT_USAGE;
                }
        }
        r = conn_call(&conn, HP_MSG_LOG_LEVEL, &req, sizeof(req), HP_MSG_LOG_LEVEL_REPLY, &reply,
                      NULL, 0);
        if (r < 0)
                return no_daemon(r);
        r = reply.u.log_level_reply.st.status;
        if (r == EPERM) {
                fprintf(stderr, "hugepagectl: only root may set the log level\n");
                return EXIT_REFUSED;
        }
        if (r)
                return no_daemon(-r);
        if (json)
                printf("{\"log_level\": \"%s\"}\n", names[reply.u.log_level_reply.level]);
        else
                printf("%s\n", names[reply.u.log_level_reply.level]);
        return 0;
}

/* The key (or, with --id, the id) a command names. 0, or an exit code. */
static const char *id_arg;

static int parse_target(int argc, char **argv, struct hp_target *t)
{
        const char *arg = id_arg ? id_arg : argc == 1 ? argv[0] : NULL;
        char *end;
        long long v;

        if ((id_arg && argc != 0) || !arg) {
                fprintf(stderr, "hugepagectl: name one segment: KEY, or --id ID\n");
                return EXIT_USAGE;
        }
        errno = 0;
        v = strtoll(arg, &end, 0);
        if (errno || *end || v <= 0 || (!id_arg && v > INT32_MAX)) {
                fprintf(stderr, "hugepagectl: bad %s '%s'\n", id_arg ? "id" : "key", arg);
                return EXIT_USAGE;
        }
        *t = (struct hp_target){0};
        if (id_arg)
                t->id = (uint64_t)v;
        else
                t->key = (int32_t)v;
        return 0;
}

/* show: everything the daemon tells of one segment the caller may read. */
static int cmd_show(int argc, char **argv)
{
        struct hp_target t;
        struct hp_msg reply;
        const struct hp_list_reply *l = &reply.u.list_reply;
        const char *arg = id_arg ? id_arg : argc ? argv[0] : "";
        char ub[16], gb[16], sz[32], ps[32], ct[32];
        struct passwd *pw;
        struct group *gr;
        int r = parse_target(argc, argv, &t);

        if (r)
                return r;
        r = conn_call(&conn, HP_MSG_STAT, &t, sizeof(t), HP_MSG_STAT_REPLY, &reply, NULL, 0);
        if (r < 0)
                return no_daemon(r);
        if (l->st.status == ENOENT) {
                fprintf(stderr, "hugepagectl: no such %s: %s\n", t.id ? "id" : "key", arg);
                return EXIT_REFUSED;
        }
        if (l->st.status == EACCES) {
                fprintf(stderr, "hugepagectl: %s %s: permission denied (no read permission)\n",
                        t.id ? "id" : "key", arg);
                return EXIT_REFUSED;
        }
        if (l->st.status)
                return no_daemon(-l->st.status);
        if (json) {
                print_segment(l, 1);
                printf("\n");
                return 0;
        }
        pw = getpwuid(l->uid);
        gr = getgrgid(l->gid);
        printf("key:        0x%08" PRIx32 " (%" PRId32 ")%s\n", (uint32_t)l->key, l->key,
               (l->mode & HP_LIST_REMOVED) ? ", removed" : "");
        printf("id:         %" PRIu64 "\n", l->id);
        printf("size:       %s\n", human(l->size, sz, sizeof(sz)));
        printf("page size:  %s\n", human(l->page_size, ps, sizeof(ps)));
        printf("owner:      %s (%" PRIu32 ")\n",
               name_or_id(pw ? pw->pw_name : NULL, l->uid, ub, sizeof(ub)), l->uid);
        printf("group:      %s (%" PRIu32 ")\n",
               name_or_id(gr ? gr->gr_name : NULL, l->gid, gb, sizeof(gb)), l->gid);
        printf("mode:       %04o\n", l->mode & 0777);
        printf("users:      %" PRIu64 "\n", l->users);
        printf("created:    %s\n", iso_time(l->ctime, ct, sizeof(ct)));
        printf("processes:  %" PRIu32, l->npids);
        for (uint32_t i = 0; i < l->npids && i < HP_LIST_PIDS; i++)
                printf(i ? ", %" PRId32 : " (%" PRId32, l->pids[i]);
        printf("%s\n", l->npids ? ")" : "");
        return 0;
}

static int cmd_remove(int argc, char **argv)
{
        struct hp_target req;
        struct hp_msg reply;
        const char *arg = id_arg ? id_arg : argc ? argv[0] : "";
        int by_id = id_arg != NULL, r = parse_target(argc, argv, &req);

        if (r)
                return r;
        r = conn_call(&conn, HP_MSG_REMOVE, &req, sizeof(req), HP_MSG_REMOVE_REPLY, &reply, NULL,
                      0);
        if (r < 0)
                return no_daemon(r);
        r = reply.u.status.status;
        if (json && !r)
                printf("{\"removed\": true, \"error\": null}\n");
        if (r == ENOENT) {
                fprintf(stderr, "hugepagectl: no such %s: %s\n", by_id ? "id" : "key", arg);
        } else if (r == EPERM) {
                fprintf(stderr, "hugepagectl: %s %s: only its owner or root may remove it\n",
                        by_id ? "id" : "key", arg);
        } else if (r) {
                fprintf(stderr, "hugepagectl: remove %s: %s\n", arg, strerror(r));
        }
        return r ? EXIT_REFUSED : 0;
}

/* What a command prints is held until it succeeds: a failed command leaves
 * stdout empty (a pipe into a JSON parser sees nothing, not half a
 * document). */
static FILE *real_stdout;
static char *held;
static size_t held_len;

static void hold_stdout(void)
{
        FILE *f = open_memstream(&held, &held_len);

        if (f) {
                real_stdout = stdout;
                stdout = f;
        }
}

static int finish(int rc)
{
        if (real_stdout) {
                fclose(stdout);
                stdout = real_stdout;
                if (rc == 0 && held_len)
                        fwrite(held, 1, held_len, stdout);
                free(held);
        }
        return rc;
}

static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
        int args; /* how many operands it takes: 0, or -1 (its own checks) */
} commands[] = {
    {"list", NULL, 0},      {"status", NULL, 0},        {"users", NULL, 0},
    {"show", cmd_show, -1}, {"remove", cmd_remove, -1}, {"log-level", cmd_log_level, -1},
    {"help", NULL, 0},
};

int main(int argc, char **argv)
{
        static const struct option opts[] = {
            {"socket", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
            {"no-legend", no_argument, NULL, 'n'},    {"bytes", no_argument, NULL, 'b'},
            {"id", required_argument, NULL, 'i'},     {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},      {0},
        };
        const char *cmd;
        size_t i;
        int c;

        hold_stdout();
        while ((c = getopt_long(argc, argv, "s:jnbhV", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        setenv("HUGEPAGED_SOCKET", optarg, 1);
                        break;
                case 'j':
                        json = 1;
                        break;
                case 'n':
                        no_legend = 1;
                        break;
                case 'b':
                        bytes_exact = 1;
                        break;
                case 'i':
                        id_arg = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return finish(0);
                case 'V':
                        printf("hugepagectl %s (protocol %d)\n", HUGEPAGED_VERSION,
                               HP_PROTO_VERSION);
                        return finish(0);
                default:
                        fprintf(stderr, "Try 'hugepagectl --help'.\n");
                        return finish(EXIT_USAGE);
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return finish(EXIT_USAGE);
        }
        cmd = argv[optind];
        for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (strcmp(cmd, commands[i].name) == 0)
                        break;
        if (i == sizeof(commands) / sizeof(commands[0])) {
                fprintf(stderr, "hugepagectl: unknown command '%s'; try 'hugepagectl help'.\n",
                        cmd);
                return finish(EXIT_USAGE);
        }
        if ((commands[i].args == 0 && optind + 1 != argc) ||
            (id_arg && strcmp(cmd, "show") && strcmp(cmd, "remove"))) {
                fprintf(stderr, "hugepagectl: %s takes no %s\n", cmd, id_arg ? "--id" : "operands");
                return finish(EXIT_USAGE);
        }
        if (!strcmp(cmd, "help")) {
                usage(stdout);
                return finish(0);
        }
        if (!strcmp(cmd, "list"))
                return finish(cmd_list());
        if (!strcmp(cmd, "status"))
                return finish(cmd_status());
        if (!strcmp(cmd, "users"))
                return finish(cmd_users());
        return finish(commands[i].run(argc - optind - 1, argv + optind + 1));
}
