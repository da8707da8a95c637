/*
 * main.c - hugepaged: options, start-up, the event loop, shutdown.
 *
 * Owns the process: limits, signals, the order things start and stop in.
 * Start-up failures are fatal here; nothing a client does reaches this file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "dispatch.h"
#include "hold.h"
#include "hpd.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "request.h"
#include "restore.h"
#include "segref.h"
#include "worker.h"

/* How often free pages the daemon added go back to the kernel (pages a
 * process still maps after its segment was destroyed come free later). */
#define GIVE_BACK_SECONDS 2

#ifndef HUGEPAGED_VERSION
#define HUGEPAGED_VERSION "0"
#endif

struct options {
        const char *socket;
        mode_t mode;
        gid_t gid;
        int grow;
        int verbose;
        unsigned idle_exit;
        unsigned restore_grace;
        const char *hugetlbfs; /* --backend hugetlbfs:DIR */
};

static void usage(FILE *f)
{
        fprintf(
            f, "Usage: hugepaged [OPTIONS]\n"
               "\n"
               "Hand out shared huge-page memory by key (alloc_hugepages(3)).\n"
               "\n"
               "  -s, --socket PATH       listen on PATH (default: the socket systemd\n"
               "                          passes, else " HPD_DEFAULT_SOCKET ")\n"
               "  -m, --socket-mode MODE  permission bits of the socket file (default 0666)\n"
               "  -g, --socket-group GRP  group of the socket file\n"
               "      --no-pool-grow      never raise nr_hugepages; ENOMEM when the pool is short\n"
               "      --idle-exit SECONDS exit after SECONDS with no clients and no segments\n"
               "                          (0, the default: never; for socket activation)\n"
               "      --restore-grace S   after a restart, keep segments from systemd's store\n"
               "                          S seconds for their users to return (default 30)\n"
               "      --backend memfd|hugetlbfs:DIR\n"
               "                          where segments live (default memfd; a hugetlbfs\n"
               "                          directory keeps them across restarts without systemd)\n"
               "  -v, --verbose           log every connection and segment\n"
               "  -h, --help              this text\n"
               "      --version           the version\n");
}

static int parse(int argc, char **argv, struct options *o)
{
        enum { OPT_NO_GROW = 256, OPT_VERSION, OPT_IDLE_EXIT, OPT_RESTORE_GRACE, OPT_BACKEND };
        static const struct option longopts[] = {
            {"socket", required_argument, NULL, 's'},
            {"socket-mode", required_argument, NULL, 'm'},
            {"socket-group", required_argument, NULL, 'g'},
            {"no-pool-grow", no_argument, NULL, OPT_NO_GROW},
            {"idle-exit", required_argument, NULL, OPT_IDLE_EXIT},
            {"restore-grace", required_argument, NULL, OPT_RESTORE_GRACE},
            {"backend", required_argument, NULL, OPT_BACKEND},
            {"verbose", no_argument, NULL, 'v'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, OPT_VERSION},
            {0},
        };
        int c;

        *o = (struct options){.mode = 0666, .gid = (gid_t)-1, .grow = 1, .restore_grace = 30};
        while ((c = getopt_long(argc, argv, "s:m:g:vh", longopts, NULL)) != -1) {
                char *end;
                struct group *g;

                switch (c) {
                case 's':
                        o->socket = optarg;
                        break;
                case 'm':
                        o->mode = (mode_t)strtoul(optarg, &end, 8);
                        if (*end || o->mode > 0777) {
                                fprintf(stderr, "hugepaged: bad mode '%s'\n", optarg);
                                return -1;
                        }
                        break;
                case 'g':
                        g = getgrnam(optarg);
                        if (!g) {
                                fprintf(stderr, "hugepaged: unknown group '%s'\n", optarg);
                                return -1;
                        }
                        o->gid = g->gr_gid;
                        break;
                case OPT_NO_GROW:
                        o->grow = 0;
                        break;
                case OPT_IDLE_EXIT: {
                        unsigned long v = strtoul(optarg, &end, 10);

                        if (*end || !*optarg || v > 86400 * 365) {
                                fprintf(stderr, "hugepaged: bad idle time '%s'\n", optarg);
                                return -1;
                        }
                        o->idle_exit = (unsigned)v;
                        break;
                }
                case OPT_BACKEND:
                        if (strcmp(optarg, "memfd") == 0) {
                                o->hugetlbfs = NULL;
                        } else if (strncmp(optarg, "hugetlbfs:", 10) == 0 && optarg[10]) {
                                o->hugetlbfs = optarg + 10;
                        } else {
                                fprintf(stderr, "hugepaged: bad backend '%s'\n", optarg);
                                return -1;
                        }
                        break;
                case OPT_RESTORE_GRACE: {
                        unsigned long v = strtoul(optarg, &end, 10);

                        if (*end || !*optarg || v < 1 || v > 86400) {
                                fprintf(stderr, "hugepaged: bad grace period '%s'\n", optarg);
                                return -1;
                        }
                        o->restore_grace = (unsigned)v;
                        break;
                }
                case 'v':
                        o->verbose = 1;
                        break;
                case 'h':
                        usage(stdout);
                        exit(0);
                case OPT_VERSION:
                        printf("hugepaged %s (protocol %d)\n", HUGEPAGED_VERSION, HP_PROTO_VERSION);
                        exit(0);
                default:
                        usage(stderr);
                        return -1;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return -1;
        }
        return 0;
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
        (void)what;
        log_info("%s: shutting down", sigabbrev_np((int)sig));
        event_base_loopbreak(arg);
}

/* What systemd passed: the listening socket (unless --socket says
 * otherwise), and what a previous daemon left in the store. */
static int take_systemd_fds(struct hpd *hpd, const struct options *o, struct listener *l)
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
                if (!o->socket && l->fd < 0)
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

/* The worker finished a job: answer who waited, persist the pool's counts. */
static void on_job_done(enum worker_job job, struct segment *s, void *arg)
{
        struct hpd *hpd = arg;

        if (job == WORKER_CREATE)
                request_created(hpd, s);
        keep_pool(&hpd->keep, &hpd->pool);
}

int main(int argc, char **argv)
{
        struct hpd hpd = {.backend = BACKEND_MEMFD};
        struct listener l;
        struct options o;
        struct event *sigs[2];
        unsigned max_clients;
        int r;

        if (parse(argc, argv, &o) < 0)
                return 2;
        log_init(o.verbose);
        signal(SIGPIPE, SIG_IGN);
        max_clients = set_limits();
        hpd.started = time(NULL);
        if (dispatch_check() < 0)
                return 1;

        if (pool_init(&hpd.pool, o.grow) < 0) {
                log_err("this kernel offers no huge pages (/sys/kernel/mm/hugepages)");
                return 1;
        }
        if (o.hugetlbfs) {
                r = memory_use_hugetlbfs(&hpd.backend, o.hugetlbfs);
                if (r < 0 || !pool_find(&hpd.pool, hpd.backend.page_size)) {
                        log_err("%s is not a directory on a hugetlbfs mount: %s", o.hugetlbfs,
                                errname(r < 0 ? r : -ENOTSUP));
                        return 1;
                }
                hpd.pool.default_size = hpd.backend.page_size;
        }
        keep_init(&hpd.keep, hpd.backend.dir);
        hpd.base = event_base_new();
        if (!hpd.base || restore_init(&hpd) < 0) {
                log_err("cannot create the event loop");
                return 1;
        }
        if ((r = restore_dir(&hpd)) < 0) {
                log_err("cannot read %s: %s", o.hugetlbfs, errname(r));
                return 1;
        }
        if (take_systemd_fds(&hpd, &o, &l) < 0)
                return 1;
        if (l.fd < 0 && (r = listener_open(&l, o.socket, o.mode, o.gid)) < 0) {
                listener_close(&l);
                return 1;
        }
        if (worker_start(&hpd.worker, hpd.base, &hpd.pool, &hpd.backend, GIVE_BACK_SECONDS,
                         on_job_done, &hpd) < 0 ||
            client_listen(&hpd.clients, hpd.base, l.fd, max_clients, &dispatch_ops, &hpd) < 0 ||
            notify_start(&hpd, o.idle_exit) < 0 || restore_start_grace(&hpd, o.restore_grace) < 0) {
                log_err("cannot start");
                listener_close(&l);
                return 1;
        }
        sigs[0] = evsignal_new(hpd.base, SIGTERM, on_signal, hpd.base);
        sigs[1] = evsignal_new(hpd.base, SIGINT, on_signal, hpd.base);
        if (!sigs[0] || !sigs[1] || event_add(sigs[0], NULL) < 0 || event_add(sigs[1], NULL) < 0) {
                log_err("cannot handle signals");
                return 1;
        }

        log_info("listening on %s (default page size %llu kB, pool growth %s)",
                 l.from_systemd ? "the socket from systemd" : l.path,
                 (unsigned long long)hpd.pool.default_size / 1024, o.grow ? "on" : "off");
        notify_ready(&hpd);

        event_base_dispatch(hpd.base);

        notify_stopping(&hpd);
        notify_stop(&hpd);
        hpd.stopping = 1;
        restore_stop(&hpd);
        client_free_all(&hpd.clients);
        hold_free_all(&hpd);
        worker_stop(hpd.worker);
        segref_shutdown(&hpd);
        pool_shutdown(&hpd.pool);
        keep_pool(&hpd.keep, &hpd.pool);
        keep_close(&hpd.keep);
        memory_close(&hpd.backend);
        listener_close(&l);
        event_free(sigs[0]);
        event_free(sigs[1]);
        event_base_free(hpd.base);
        log_info("stopped");
        return 0;
}
