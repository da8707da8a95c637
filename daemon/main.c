/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * main.c - hugepaged: options, configuration, start-up, the event loop,
 * signals, shutdown.
 *
 * Owns the process: limits, signals, the order things start and stop in,
 * and which configuration is in force (read at start, again on SIGHUP).
 * Start-up failures are fatal here; nothing a client does reaches this file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "closer.h"
#include "config.h"
#include "dispatch.h"
#include "hold.h"
#include "hpd.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "request.h"
#include "restore.h"
#include "segref.h"
#include "session.h"
#include "worker.h"

#ifndef HUGEPAGED_VERSION
#define HUGEPAGED_VERSION "0"
#endif

#define MAX_OVERRIDES 32

/* The command line: a configuration file, and keys that win over it. */
struct options {
        const char *config;
        int config_given;
        struct {
                const char *section, *key, *value;
        } set[MAX_OVERRIDES];
        int nset;
};

/* What the signal handlers need. */
struct run {
        struct hpd *hpd;
        const struct options *opts;
        uint64_t mem_total;
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: hugepaged [OPTIONS]\n"
                "\n"
                "Hand out shared huge-page memory by key (alloc_hugepages(3)). Settings and\n"
                "limits are read from " CONFIG_DEFAULT_PATH " and its .d/ drop-ins\n"
                "(hugepaged.conf(5)); an option here wins over the file.\n"
                "\n"
                "  -c, --config PATH       read PATH (and PATH.d/*.conf) instead\n"
                "  -s, --socket PATH       listen on PATH (default: the socket systemd\n"
                "                          passes, else " HPD_DEFAULT_SOCKET ")\n"
                "  -m, --socket-mode MODE  permission bits of the socket file (default 0666)\n"
                "  -g, --socket-group GRP  group of the socket file\n"
                "      --no-pool-grow      never grow the huge page pool; ENOMEM when it is short\n"
                "      --warm PAGESIZE:BYTES\n"
                "                          keep BYTES of PAGESIZE pages zeroed and ready for new\n"
                "                          segments (repeatable: one per page size)\n"
                "      --idle-exit SECONDS exit after SECONDS with no clients and no segments\n"
                "                          (0, the default: never; for socket activation)\n"
                "      --backend memfd|hugetlbfs:DIR\n"
                "                          where segments live (default memfd; a hugetlbfs\n"
                "                          directory keeps them across restarts without systemd)\n"
                "  -v, --verbose           log every connection and segment (--log-level debug)\n"
                "      --log-level LEVEL   err, warning, notice, info (the default) or debug\n"
                "  -h, --help              this text\n"
                "      --version           the version\n");
}

/* A bad value on the command line is a usage error, before any file is read. */
static int check_options(const struct options *o)
{
        struct config scratch;
        char err[256];
        int r = 0;

        config_defaults(&scratch, 0);
        for (int i = 0; r == 0 && i < o->nset; i++)
                r = config_set(&scratch, o->set[i].section, o->set[i].key, o->set[i].value, 0, err,
                               sizeof(err));
        config_free(&scratch);
        if (r < 0)
                fprintf(stderr, "hugepaged: %s\n", err);
        return r;
}

static int parse(int argc, char **argv, struct options *o)
{
        enum {
                OPT_NO_GROW = 256,
                OPT_VERSION,
                OPT_IDLE_EXIT,
                OPT_BACKEND,
                OPT_LOG_LEVEL,
                OPT_WARM
        };
        static const struct option longopts[] = {
            {"config", required_argument, NULL, 'c'},
            {"socket", required_argument, NULL, 's'},
            {"socket-mode", required_argument, NULL, 'm'},
            {"socket-group", required_argument, NULL, 'g'},
            {"no-pool-grow", no_argument, NULL, OPT_NO_GROW},
            {"idle-exit", required_argument, NULL, OPT_IDLE_EXIT},
            {"backend", required_argument, NULL, OPT_BACKEND},
            {"verbose", no_argument, NULL, 'v'},
            {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
            {"warm", required_argument, NULL, OPT_WARM},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, OPT_VERSION},
            {0},
        };
        /* Each option is the key of hugepaged.conf(5) it overrides. */
        static const struct {
                int opt;
                const char *section, *key, *value; /* value NULL: the argument */
        } keys[] = {
            {'s', "Daemon", "Socket", NULL},
            {'m', "Daemon", "SocketMode", NULL},
            {'g', "Daemon", "SocketGroup", NULL},
            {OPT_NO_GROW, "Pool", "Grow", "no"},
            {OPT_IDLE_EXIT, "Daemon", "IdleExitSec", NULL},
            {OPT_BACKEND, "Daemon", "Backend", NULL},
            {'v', "Daemon", "LogLevel", "debug"},
            {OPT_LOG_LEVEL, "Daemon", "LogLevel", NULL},
            {OPT_WARM, "Pool", "Warm", NULL},
        };
        int c;

        *o = (struct options){.config = CONFIG_DEFAULT_PATH};
        while ((c = getopt_long(argc, argv, "c:s:m:g:vh", longopts, NULL)) != -1) {
                size_t i;

                switch (c) {
                case 'c':
                        o->config = optarg;
                        o->config_given = 1;
                        continue;
                case 'h':
                        usage(stdout);
                        exit(0);
                case OPT_VERSION:
                        printf("hugepaged %s (protocol %d)\n", HUGEPAGED_VERSION, HP_PROTO_VERSION);
                        exit(0);
                }
                for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && keys[i].opt != c; i++)
                        ;
                if (i == sizeof(keys) / sizeof(keys[0]) || o->nset == MAX_OVERRIDES) {
                        usage(stderr);
                        return -1;
                }
                o->set[o->nset].section = keys[i].section;
                o->set[o->nset].key = keys[i].key;
                o->set[o->nset].value = keys[i].value ? keys[i].value : optarg;
                o->nset++;
        }
        if (optind != argc) {
                usage(stderr);
                return -1;
        }
        return check_options(o);
}

/* The defaults, the file and its drop-ins, then the command line. NULL
 * (the reason logged) if any of it is wrong. */
static struct config *load(const struct options *o, uint64_t mem_total)
{
        struct config *c = calloc(1, sizeof(*c));
        char err[512] = "";
        int r;

        if (!c) {
                log_err("configuration: out of memory");
                return NULL;
        }
        config_defaults(c, mem_total);
        r = config_load(c, o->config, !o->config_given, mem_total, err, sizeof(err));
        for (int i = 0; r == 0 && i < o->nset; i++)
                r = config_set(c, o->set[i].section, o->set[i].key, o->set[i].value, mem_total, err,
                               sizeof(err));
        if (r < 0) {
                log_err("configuration: %s", err);
                config_free(c);
                free(c);
                return NULL;
        }
        return c;
}

static void apply(struct hpd *hpd, struct config *c)
{
        if (hpd->config) {
                config_free(hpd->config);
                free(hpd->config);
        }
        hpd->config = c;
        log_set_level(c->log_level);
        pool_set_growth(&hpd->pool, c->grow, c->max_grow);
}

/* The warm pool of each page size, as the configuration says (memfds only). */
static void apply_warm(struct hpd *hpd)
{
        const struct config *c = hpd->config;

        for (size_t i = 0; i < c->nwarm; i++)
                if (!pool_find(&hpd->pool, c->warm[i].page_size))
                        log_warn("Warm=: no %" PRIu64 " kB huge pages here; ignored",
                                 c->warm[i].page_size / 1024);
        for (size_t i = 0; i < hpd->pool.nsizes; i++) {
                uint64_t page_size = hpd->pool.sizes[i].page_size;
                uint64_t bytes = config_warm_for(c, page_size);

                if (bytes && hpd->backend.dir >= 0) {
                        log_warn("Warm=: the hugetlbfs backend has no warm pool; ignored");
                        bytes = 0;
                }
                worker_set_warm(hpd->worker, page_size, bytes);
        }
}

static int same(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* SIGHUP: a new configuration, whole, or the old one kept. */
static void reload(struct run *run)
{
        struct hpd *hpd = run->hpd;
        struct config *c = load(run->opts, run->mem_total), *old = hpd->config;

        if (!c) {
                log_warn("SIGHUP: the configuration above is refused; the one in force stays");
                return;
        }
        if (!same(c->socket, old->socket) || c->socket_mode != old->socket_mode ||
            c->socket_group != old->socket_group || !same(c->backend, old->backend))
                log_warn("SIGHUP: Socket=, SocketMode=, SocketGroup= and Backend= change only "
                         "at a restart");
        c->idle_exit = old->idle_exit; /* timers already set */
        apply(hpd, c);
        apply_warm(hpd);
        log_info("SIGHUP: configuration reloaded; new limits apply to what comes next");
}

/* Raise the descriptor limit as far as allowed and size the client table from
 * it: each client costs one descriptor, each segment one or two. */
static unsigned set_limits(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return 64;
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        return rl.rlim_cur > 256 ? (unsigned)(rl.rlim_cur / 2) : 64;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
        struct run *run = arg;

        (void)what;
        switch (sig) {
        case SIGHUP:
                reload(run);
                break;
        case SIGUSR1:
        case SIGUSR2:
                log_info("%s: ignored", sigabbrev_np((int)sig));
                break;
        default:
                log_info("%s: shutting down", sigabbrev_np((int)sig));
                event_base_loopbreak(run->hpd->base);
        }
}

/* What systemd passed: the listening socket (unless a socket path is
 * configured), and what a previous daemon left in the store. */
static int take_systemd_fds(struct hpd *hpd, struct listener *l)
{
        char **names = NULL;
        int n = sd_listen_fds_with_names(1, &names), r = 0;

        l->fd = l->lock_fd = -1;
        l->path[0] = '\0';
        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                const char *name = names && names[i] ? names[i] : "";

                if (restore_systemd(hpd, fd, name))
                        continue;
                if (!hpd->config->socket && l->fd < 0)
                        r = listener_adopt(l, fd);
                else
                        close(fd);
                if (r < 0)
                        break;
        }
        if (names)
                for (int i = 0; i < n; i++)
                        free(names[i]);
        free(names);
        return r;
}

/* Neither systemd's store nor a hugetlbfs directory: a pool growth in flight
 * is marked in the socket's directory, and what a dead daemon left there is
 * undone now. */
static int open_dir_of(const char *socket)
{
        char dir[sizeof(((struct listener *)0)->path)];
        char *slash;

        snprintf(dir, sizeof(dir), "%s", socket);
        slash = strrchr(dir, '/');
        if (slash == dir)
                slash[1] = '\0';
        else if (slash)
                *slash = '\0';
        else
                strcpy(dir, ".");
        return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void keep_markers_beside(struct hpd *hpd, const char *socket)
{
        int fd = open_dir_of(socket);

        if (fd < 0)
                return;
        restore_markers(hpd, fd);
        keep_use_markers(&hpd->keep, fd);
}

/* The worker finished a job: answer who waited for a create. */
static void on_job_done(enum worker_job job, struct segment *s, void *arg)
{
        if (job == WORKER_CREATE)
                request_created(arg, s);
}

static const int handled[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2};
#define NSIGNALS (sizeof(handled) / sizeof(handled[0]))

int main(int argc, char **argv)
{
        struct hpd hpd = {.backend = BACKEND_MEMFD};
        struct event *sigs[NSIGNALS] = {0};
        struct options o;
        struct listener l;
        struct config *c;
        struct run run;
        unsigned max_clients;
        int r;

        hpd.ledger.fd = -1; /* inactive until restore_finish() */
        hpd.epoch = EPOCH_NONE;
        if (parse(argc, argv, &o) < 0)
                return 2;
        log_setup();
        run = (struct run){&hpd, &o, pool_meminfo("MemTotal")};
        if (!(c = load(&o, run.mem_total)))
                return 1;
        signal(SIGPIPE, SIG_IGN);
        max_clients = set_limits();
        hpd.started = time(NULL);
        if (dispatch_check() < 0)
                return 1;

        if (pool_init(&hpd.pool, c->grow) < 0) {
                log_err("this kernel offers no huge pages (/sys/kernel/mm/hugepages)");
                return 1;
        }
        apply(&hpd, c);
        if (c->backend) {
                r = memory_use_hugetlbfs(&hpd.backend, c->backend);
                if (r < 0 || !pool_find(&hpd.pool, hpd.backend.page_size)) {
                        log_err("%s is not a directory on a hugetlbfs mount: %s", c->backend,
                                errname(r < 0 ? r : -ENOTSUP));
                        return 1;
                }
                hpd.pool.default_size = hpd.backend.page_size;
                log_warn("hugetlbfs backend: its files cannot be sealed: a writer can shrink a "
                         "segment under its readers, an owner grow its file past the segment; "
                         "whoever may read %s sees every segment's name (hugepaged(8))",
                         c->backend);
        }
        keep_init(&hpd.keep, hpd.backend.dir);
        hpd.base = event_base_new();
        if (!hpd.base || restore_init(&hpd) < 0) {
                log_err("cannot create the event loop");
                return 1;
        }
        if ((r = restore_dir(&hpd)) < 0) {
                log_err("cannot read %s: %s", c->backend, errname(r));
                return 1;
        }
        if (take_systemd_fds(&hpd, &l) < 0)
                return 1;
        if (l.fd < 0 && (r = listener_open(&l, c->socket, c->socket_mode, c->socket_group)) < 0) {
                listener_close(&l);
                return 1;
        }
        if (l.path[0] && !hpd.keep.active && hpd.backend.dir < 0)
                keep_markers_beside(&hpd, l.path);
        if (l.path[0] && !hpd.keep.active && hpd.backend.dir >= 0)
                restore_ledger_in(&hpd, open_dir_of(l.path));
        if (worker_start(&hpd.worker, hpd.base, &hpd.pool, &hpd.keep, &hpd.backend, on_job_done,
                         &hpd) < 0 ||
            closer_start(&hpd.closer, hpd.base, &hpd.users) < 0 ||
            client_listen(&hpd.clients, hpd.base, l.fd, max_clients, &dispatch_ops, &hpd,
                          &hpd.users, &hpd.config, hpd.closer) < 0 ||
            notify_start(&hpd, c->idle_exit) < 0 || request_start(&hpd) < 0) {
                log_err("cannot start");
                listener_close(&l);
                return 1;
        }
        restore_finish(&hpd);
        apply_warm(&hpd);
        for (size_t i = 0; i < NSIGNALS; i++) {
                sigs[i] = evsignal_new(hpd.base, handled[i], on_signal, &run);
                if (!sigs[i] || event_add(sigs[i], NULL) < 0) {
                        log_err("cannot handle signals");
                        return 1;
                }
        }

        log_info("listening on %s (default page size %llu kB, pool growth %s)",
                 l.from_systemd ? "the socket from systemd" : l.path,
                 (unsigned long long)hpd.pool.default_size / 1024, c->grow ? "on" : "off");
        notify_ready(&hpd);

        event_base_dispatch(hpd.base);

        notify_stopping(&hpd);
        notify_stop(&hpd);
        event_free(hpd.progress);
        hpd.stopping = 1;
        /* Whatever goes from here on is only this process's copy: the
         * ledger keeps, for the next daemon, who holds what. */
        ledger_close(&hpd.ledger);
        restore_stop(&hpd);
        client_free_all(&hpd.clients);
        hold_free_all(&hpd);
        worker_stop(hpd.worker);
        closer_stop(hpd.closer);
        segref_shutdown(&hpd);
        session_stop(&hpd);
        ledger_close(&hpd.ledger);
        epoch_close(&hpd.epoch);
        keep_close(&hpd.keep);
        memory_close(&hpd.backend);
        listener_close(&l);
        for (size_t i = 0; i < NSIGNALS; i++)
                event_free(sigs[i]);
        event_base_free(hpd.base);
        htab_free(&hpd.users.by_uid);
        config_free(hpd.config);
        free(hpd.config);
        log_info("stopped");
        return 0;
}
