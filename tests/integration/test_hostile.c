/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_hostile.c - clients that misbehave, on a raw socket.
 *
 * Each hostile client must lose its connection (or get an error reply) and
 * nothing else: the daemon keeps serving a well-behaved client through the
 * library, and its descriptor count returns to where it started.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <hugepages.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "hp_proto.h"
#include "wire.h"

#define RW     (PROT_READ | PROT_WRITE)
#define NOBODY 65534

/* The wire client, asserting. */
static int raw_connect(void)
{
        int fd = wire_connect(hp_daemon.sock);

        ck_assert_msg(fd >= 0, "connect: %s", strerror(-fd));
        return fd;
}

static void send_msg(int fd, uint16_t type, uint64_t seq, const void *body, size_t len)
{
        ck_assert_int_eq(wire_send(fd, type, seq, body, len), 0);
}

static void hello(int fd)
{
        ck_assert_int_eq(wire_greet(fd), 0);
}

/* The daemon hung up on fd (within 2 s). */
static void expect_dropped(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char buf[256];

        ck_assert_int_eq(poll(&p, 1, 2000), 1);
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        break;
                ck_assert_msg(n > 0, "recv: %s", strerror(errno));
                /* A reply that was already queued; the hang-up follows. */
                ck_assert_int_eq(poll(&p, 1, 2000), 1);
        }
        close(fd);
}

/* The daemon is alive, serves the library, and holds no extra descriptors. */
static void expect_healthy(void)
{
        char *p;

        ck_assert_int_eq(kill(hp_daemon.pid, 0), 0);
        p = alloc_hugepages(6000, NULL, MB2, RW, IPC_CREAT | 0600);
        ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
        p[0] = 1;
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert(wait_used(MB2, hp_base2m, 1000));
        /* The library's own connection is one more. */
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, hp_daemon.fds + 1, 2000),
                         hp_daemon.fds + 1);
}

START_TEST(garbage)
{
        char junk[HP_MSG_MAX];

        for (size_t len = 1; len <= sizeof(junk); len += 7) {
                int fd = raw_connect();

                for (size_t i = 0; i < len; i++)
                        junk[i] = (char)(i * 131 + len);
                ck_assert_int_eq(send(fd, junk, len, MSG_NOSIGNAL), (ssize_t)len);
                expect_dropped(fd);
        }
        expect_healthy();
}
END_TEST

START_TEST(oversized_and_undersized)
{
        static char big[65536];
        struct hp_hdr h = {.version = HP_PROTO_VERSION, .type = HP_MSG_HELLO, .len = 16};
        int fd = raw_connect();

        ck_assert_int_eq(send(fd, big, sizeof(big), MSG_NOSIGNAL), (ssize_t)sizeof(big));
        expect_dropped(fd);
        fd = raw_connect();
        ck_assert_int_eq(send(fd, &h, 8, MSG_NOSIGNAL), 8);
        expect_dropped(fd);
        fd = raw_connect();
        ck_assert_int_eq(send(fd, &h, sizeof(h), MSG_NOSIGNAL), (ssize_t)sizeof(h));
        expect_dropped(fd);
        /* A valid ALLOC with a lying length field, after a good HELLO. */
        {
                struct hp_alloc a = {.key = 0, .len = MB2, .prot = 3};
                char buf[HP_MSG_MAX];
                int n = hp_proto_encode(buf, sizeof(buf), HP_MSG_ALLOC, 2, &a, sizeof(a));

                fd = raw_connect();
                hello(fd);
                ((struct hp_hdr *)buf)->len = 1000;
                ck_assert_int_eq(send(fd, buf, (size_t)n, MSG_NOSIGNAL), n);
                expect_dropped(fd);
        }
        /* An empty datagram. */
        fd = raw_connect();
        ck_assert_int_eq(send(fd, big, 0, MSG_NOSIGNAL), 0);
        expect_dropped(fd);
        expect_healthy();
}
END_TEST

START_TEST(protocol_order_and_versions)
{
        struct hp_alloc a = {.key = 0, .len = MB2, .prot = 3};
        struct hp_hello h = {.version = HP_PROTO_VERSION};
        char buf[HP_MSG_MAX];
        int fd, n;

        /* No HELLO first. */
        fd = raw_connect();
        send_msg(fd, HP_MSG_ALLOC, 1, &a, sizeof(a));
        expect_dropped(fd);
        /* A second HELLO. */
        fd = raw_connect();
        hello(fd);
        send_msg(fd, HP_MSG_HELLO, 2, &h, sizeof(h));
        expect_dropped(fd);
        /* Wrong version in the header. */
        fd = raw_connect();
        n = hp_proto_encode(buf, sizeof(buf), HP_MSG_HELLO, 1, &h, sizeof(h));
        ((struct hp_hdr *)buf)->version = 7;
        ck_assert_int_eq(send(fd, buf, (size_t)n, MSG_NOSIGNAL), n);
        expect_dropped(fd);
        /* A reply type sent as a request; an unknown type. */
        for (uint16_t t = HP_MSG_HELLO_REPLY; t <= HP_MSG_TYPE_END; t += HP_MSG_TYPE_END - 2) {
                fd = raw_connect();
                hello(fd);
                memset(buf, 0, sizeof(buf));
                *(struct hp_hdr *)buf = (struct hp_hdr){HP_PROTO_VERSION, t, 40, 2};
                ck_assert_int_eq(send(fd, buf, 40, MSG_NOSIGNAL), 40);
                expect_dropped(fd);
        }
        expect_healthy();
}
END_TEST

START_TEST(reserved_bits_and_bad_values)
{
        struct hp_alloc bad[] = {
            {.key = 0, .len = MB2, .prot = 3, .reserved = 1},
            {.key = 0, .len = MB2, .prot = 0x10},
            {.key = -5, .len = MB2, .prot = 3},
            {.key = 9, .len = MB2, .prot = 3, .flag = 0x10000 | 01000},
        };
        struct hp_ref zero = {.id = 0};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char buf[HP_MSG_MAX];
                int fd = raw_connect(), n;

                hello(fd);
                /* Encode by hand: the codec would refuse nothing here, but be explicit. */
                n = hp_proto_encode(buf, sizeof(buf), HP_MSG_ALLOC, 2, &bad[i], sizeof(bad[i]));
                ck_assert_int_eq(send(fd, buf, (size_t)n, MSG_NOSIGNAL), n);
                expect_dropped(fd);
        }
        {
                int fd = raw_connect();

                hello(fd);
                send_msg(fd, HP_MSG_RELEASE, 2, &zero, sizeof(zero));
                expect_dropped(fd);
        }
        expect_healthy();
}
END_TEST

START_TEST(release_and_claim_of_foreign_ids)
{
        /* Well-formed but meaningless requests get an error reply, not a hang-up. */
        struct hp_ref ref = {.id = 123456};
        struct hp_msg m;
        int fd = raw_connect();

        hello(fd);
        send_msg(fd, HP_MSG_RELEASE, 2, &ref, sizeof(ref));
        ck_assert_int_eq(wire_recv(fd, &m, NULL), 0);
        ck_assert_int_eq(m.hdr.seq, 2);
        ck_assert_int_eq(m.u.status.status, EINVAL);
        send_msg(fd, HP_MSG_CLAIM, 3, &(struct hp_token){.token = 0x1234}, sizeof(struct hp_token));
        ck_assert_int_eq(wire_recv(fd, &m, NULL), 0);
        ck_assert_int_eq(m.u.status.status, ENOENT);
        close(fd);
        expect_healthy();
}
END_TEST

/* The two defences against descriptors a client sends: the kernel refuses
 * them at the socket (SO_PASSRIGHTS, Linux 6.16), or the daemon closes them
 * off its loop. Each test below runs against both: "kernel" where this
 * kernel can, and "fallback" forced by HUGEPAGED_SO_PASSRIGHTS=0. */
static int fallback;

static int kernel_refuses_rights(void)
{
        int sv[2], zero = 0, r;

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        r = setsockopt(sv[0], SOL_SOCKET, 83 /* SO_PASSRIGHTS */, &zero, sizeof(zero));
        close(sv[0]);
        close(sv[1]);
        return r == 0;
}

static void setup_kernel(void)
{
        unsetenv("HUGEPAGED_SO_PASSRIGHTS");
        fallback = !kernel_refuses_rights();
        if (fallback)
                fprintf(stderr, "\n*** this kernel has no SO_PASSRIGHTS: the \"kernel\" case tests "
                                "the fallback too ***\n\n");
        hp_setup();
}

static void setup_fallback(void)
{
        setenv("HUGEPAGED_SO_PASSRIGHTS", "0", 1);
        fallback = 1;
        hp_setup();
}

/* Send a request with a descriptor: refused by the kernel (the connection
 * lives on), or taken and the connection dropped. */
static void send_with_fd(int sock, const void *msg, size_t len, int fd)
{
        int r = hp_proto_send(sock, msg, len, fd, 0);

        if (fallback) {
                ck_assert_int_eq(r, 0);
                expect_dropped(sock);
        } else {
                ck_assert_int_eq(r, -EPERM);
                close(sock);
        }
}

START_TEST(descriptors_sent_to_the_daemon)
{
        struct hp_hello h = {.version = HP_PROTO_VERSION};
        struct hp_ref ref = {.id = 1};
        char buf[HP_MSG_MAX];
        int n, fd, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

        /* With the HELLO. */
        fd = raw_connect();
        n = hp_proto_encode(buf, sizeof(buf), HP_MSG_HELLO, 1, &h, sizeof(h));
        send_with_fd(fd, buf, (size_t)n, devnull);
        /* With a later request. */
        fd = raw_connect();
        hello(fd);
        n = hp_proto_encode(buf, sizeof(buf), HP_MSG_RELEASE, 2, &ref, sizeof(ref));
        send_with_fd(fd, buf, (size_t)n, devnull);
        /* Its own socket, to tempt a reference cycle. */
        fd = raw_connect();
        hello(fd);
        send_with_fd(fd, buf, (size_t)n, fd);
        close(devnull);
        expect_healthy();
}
END_TEST

/* A TCP socket whose close() lingers: unsent data that nobody reads, and
 * SO_LINGER of linger seconds. */
static int lingering_socket(int linger)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof(a);
        struct linger l = {1, linger};
        static char junk[65536];
        int lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s;

        if (lsock < 0 || bind(lsock, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            listen(lsock, 1) < 0 || getsockname(lsock, (struct sockaddr *)&a, &alen) < 0)
                _exit(3);
        s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
                _exit(3);
        /* Fill what the peer will take, then some: never read. */
        while (send(s, junk, sizeof(junk), MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
                ;
        setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        return s; /* lsock stays open (and unaccepted) until the child exits */
}

/* An attacker (nobody) hands the daemon lingering sockets, one at a time;
 * each time, root's request must be answered within 50 ms. */
START_TEST(lingering_sockets_never_freeze_the_loop)
{
        int sync[2];
        pid_t pid;

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync), 0);
        pid = fork();
        if (pid == 0) {
                struct hp_hello h = {.version = HP_PROTO_VERSION};
                char buf[HP_MSG_MAX], c;
                int n = hp_proto_encode(buf, sizeof(buf), HP_MSG_HELLO, 1, &h, sizeof(h));

                close(sync[0]);
                if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
                        _exit(126);
                for (int i = 0; i < 5; i++) {
                        int d = wire_connect(hp_daemon.sock), s = lingering_socket(5);

                        if (d < 0)
                                _exit(2);
                        hp_proto_send(d, buf, (size_t)n, s, 0); /* EPERM where refused */
                        close(s); /* the daemon's copy is now the last */
                        if (write(sync[1], "s", 1) != 1 || read(sync[1], &c, 1) != 1)
                                _exit(4);
                        close(d);
                }
                _exit(0);
        }
        close(sync[1]);
        for (int i = 0; i < 5; i++) {
                double t;
                char c;
                void *p;

                ck_assert_int_eq(read(sync[0], &c, 1), 1);
                usleep(20 * 1000); /* let the daemon get to it */
                t = now_ms();
                p = must_alloc(0, MB2, RW, 0);
                ck_assert_int_eq(free_hugepages(p), 0);
                ck_assert_msg(now_ms() - t < 50, "root waited %.1f ms", now_ms() - t);
                ck_assert_int_eq(write(sync[0], "g", 1), 1);
        }
        ck_assert_int_eq(wait_exit(pid), 0);
        close(sync[0]);
        expect_healthy();
}
END_TEST

/* The attacker fills its own receive queue so that the daemon stops
 * reading it, sends the daemon its own end of the connection (which then
 * can never be closed by its exit), and exits. Every such connection must
 * go, with what it held, once its replies have waited their bound. */
START_TEST(self_sent_socket_ends_leave_nothing)
{
        pid_t pid = fork();

        if (pid == 0) {
                struct hp_status_req st = {0};
                char buf[HP_MSG_MAX];
                struct hp_msg m;
                int n = hp_proto_encode(buf, sizeof(buf), HP_MSG_STATUS, 9, &st, sizeof(st));

                if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
                        _exit(126);
                for (int c = 0; c < 8; c++) {
                        int d = wire_connect(hp_daemon.sock), seg;

                        if (d < 0 || wire_greet(d) < 0)
                                _exit(2);
                        seg = wire_alloc(d, 0, 0, HP_PROT_READ | HP_PROT_WRITE, MB2, &m);
                        if (seg < 0)
                                _exit(3);
                        close(seg);
                        for (int i = 0; i < 700; i++)
                                send(d, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
                        usleep(50 * 1000);
                        hp_proto_send(d, buf, (size_t)n, d, MSG_DONTWAIT);
                        /* d stays open in this process only until it exits. */
                }
                _exit(0);
        }
        ck_assert_int_eq(wait_exit(pid), 0);
        /* The daemon notices within its reply bound. */
        ck_assert_int_eq(fd_count_reaches(hp_daemon.pid, hp_daemon.fds, (10 + 5) * 1000),
                         hp_daemon.fds);
        ck_assert(wait_used(MB2, hp_base2m, 3000));
        expect_healthy();
}
END_TEST

/* A daemon that stops answering (SIGSTOP) makes no call hang: each returns
 * within the library's bound, $HUGEPAGED_TIMEOUT (1 s here). */
START_TEST(the_library_never_waits_without_bound)
{
        char *p = must_alloc(0, MB2, RW, 0); /* connected */
        double t;

        setenv("HUGEPAGED_TIMEOUT", "1", 1);
        ck_assert_int_eq(kill(hp_daemon.pid, SIGSTOP), 0);
        t = now_ms();
        expect_fail(alloc_hugepages(0, NULL, MB2, RW, 0), ENOSYS);
        ck_assert_double_gt(now_ms() - t, 900);
        ck_assert_double_lt(now_ms() - t, 3000);
        /* A free unmaps whatever the daemon does. */
        t = now_ms();
        ck_assert_int_eq(free_hugepages(p), 0);
        ck_assert_double_lt(now_ms() - t, 3000);
        /* A new process: connected, greeted, no answer. */
        t = now_ms();
        ck_assert_str_eq(try_key(0), "ENOSYS");
        ck_assert_double_lt(now_ms() - t, 3000);
        ck_assert_int_eq(kill(hp_daemon.pid, SIGCONT), 0);
        unsetenv("HUGEPAGED_TIMEOUT");
        expect_healthy();
}
END_TEST

/* STATUS gives a user its own figures, not every user's; LIST gives the
 * pids of other users' processes to root only. */
START_TEST(status_and_list_show_only_ones_own)
{
        char out[8192], out2[64], want[64];
        void *mine = must_alloc(801, MB2, RW, IPC_CREAT | 0666);
        pid_t other;

        other = helper_start_as(NOBODY, NOBODY, out2, sizeof(out2),
                                (const char *const[]){"hold", "801", "2097152", "0", NULL});
        ck_assert_str_eq(out2, "ready");
        ck_assert_int_eq(
            ctl_run(NOBODY, out, sizeof(out), (const char *const[]){"--json", "status", NULL}), 0);
        ck_assert_msg(strstr(out, "\"segments\": 0, \"bytes\": 0"), "%s", out);
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "status", NULL}), 0);
        ck_assert_msg(strstr(out, "\"segments\": 1, \"bytes\": 2097152"), "%s", out);
        /* Nobody sees both processes counted, and only its own pid. */
        ck_assert_int_eq(
            ctl_run(NOBODY, out, sizeof(out), (const char *const[]){"--json", "list", NULL}), 0);
        snprintf(want, sizeof(want), "\"npids\": 2, \"pids\": [%d]", (int)other);
        ck_assert_msg(strstr(out, want), "'%s' lacks '%s'", out, want);
        ck_assert_int_eq(
            ctl_run(0, out, sizeof(out), (const char *const[]){"--json", "list", NULL}), 0);
        ck_assert_ptr_nonnull(strstr(out, "\"npids\": 2, \"pids\": ["));
        snprintf(want, sizeof(want), "%d", (int)getpid());
        ck_assert_ptr_nonnull(strstr(out, want));
        kill(other, SIGKILL);
        wait_exit(other);
        ck_assert_int_eq(free_hugepages(mine), 0);
}
END_TEST

START_TEST(thousand_connections)
{
        for (int i = 0; i < 1000; i++) {
                int fd = raw_connect();

                if (i % 3 == 1)
                        hello(fd);
                if (i % 3 == 2) {
                        struct hp_hello h = {.version = HP_PROTO_VERSION};

                        /* Ask, then leave without reading. */
                        send_msg(fd, HP_MSG_HELLO, 1, &h, sizeof(h));
                }
                close(fd);
        }
        expect_healthy();
}
END_TEST

START_TEST(client_that_never_reads)
{
        struct hp_alloc a = {.key = 0, .len = MB2, .prot = 3};
        struct hp_ref ref = {.id = 99999};
        char buf[HP_MSG_MAX];
        int fd = raw_connect(), n, sent = 0;

        hello(fd);
        /* A few allocations whose replies (and descriptors) we never read... */
        for (int i = 0; i < 3; i++)
                send_msg(fd, HP_MSG_ALLOC, 10 + (uint64_t)i, &a, sizeof(a));
        /* ...then requests until the daemon stops reading from us. */
        n = hp_proto_encode(buf, sizeof(buf), HP_MSG_RELEASE, 100, &ref, sizeof(ref));
        while (sent < 100000 && send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == n)
                sent++;
        ck_assert_int_lt(sent, 100000); /* back-pressure reached us */
        /* Everyone else is served meanwhile. */
        {
                char *p = alloc_hugepages(6001, NULL, MB2, RW, IPC_CREAT | 0600);

                ck_assert_ptr_ne(p, HUGEPAGES_FAILED);
                ck_assert_int_eq(free_hugepages(p), 0);
        }
        /* The stuck client holds its three segments until it goes. */
        ck_assert(wait_used(MB2, hp_base2m + 3, 2000));
        close(fd);
        ck_assert(wait_used(MB2, hp_base2m, 2000));
        expect_healthy();
}
END_TEST

/* A raw ALLOC of one page; returns the descriptor that came with the reply. */
static int raw_alloc(int fd, int key, uint32_t flag, uint32_t prot)
{
        struct hp_msg m;
        int seg = wire_alloc(fd, key, flag, prot, MB2, &m);

        ck_assert_msg(seg >= 0, "ALLOC: %s", strerror(-seg));
        return seg;
}

/* What a client receives cannot be used to hurt the other users. */
START_TEST(descriptors_handed_out_are_sealed_and_moded)
{
        int sock = raw_connect(), rw, ro, seals;
        char path[64];

        hello(sock);
        rw = raw_alloc(sock, 6002, 01644, HP_PROT_READ | HP_PROT_WRITE);
        ro = raw_alloc(sock, 6002, 0, HP_PROT_READ);
        /* Sealed: nobody can shrink or grow memory others map. */
        seals = fcntl(rw, F_GET_SEALS);
        ck_assert_int_eq(seals, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
        ck_assert_int_eq(ftruncate(rw, 0), -1);
        ck_assert_int_eq(errno, EPERM);
        ck_assert_int_eq(ftruncate(rw, 2 * MB2), -1);
        ck_assert_int_eq(errno, EPERM);
        ck_assert_int_eq(fcntl(rw, F_ADD_SEALS, F_SEAL_WRITE), -1);
        ck_assert_int_eq(errno, EPERM);
        /* Read-only access is an O_RDONLY descriptor... */
        ck_assert_int_eq(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
        ck_assert_int_eq(fcntl(rw, F_GETFL) & O_ACCMODE, O_RDWR);
        ck_assert_ptr_eq(mmap(NULL, MB2, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), MAP_FAILED);
        ck_assert_int_eq(errno, EACCES);
        /* ...and the file carries the segment's owner and mode, so reopening
         * it for writing is judged like the segment (here: root, 0644). */
        {
                struct stat st;

                ck_assert_int_eq(fstat(ro, &st), 0);
                ck_assert_int_eq(st.st_mode & 0777, 0644);
                ck_assert_int_eq(st.st_uid, 0);
        }
        snprintf(path, sizeof(path), "/proc/self/fd/%d", ro);
        if (fork() == 0) {
                int r;

                if (setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(2);
                r = open(path, O_RDWR);
                _exit(r < 0 && errno == EACCES ? 0 : 1);
        }
        {
                int status;

                wait(&status);
                ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        close(rw);
        close(ro);
        close(sock);
        expect_healthy();
}
END_TEST

static Suite *hostile_suite(void)
{
        Suite *s = suite_create("hostile");
        TCase *tc = tcase_create("clients");

        tcase_add_checked_fixture(tc, hp_setup, hp_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, garbage);
        tcase_add_test(tc, oversized_and_undersized);
        tcase_add_test(tc, protocol_order_and_versions);
        tcase_add_test(tc, reserved_bits_and_bad_values);
        tcase_add_test(tc, release_and_claim_of_foreign_ids);
        tcase_add_test(tc, thousand_connections);
        tcase_add_test(tc, client_that_never_reads);
        tcase_add_test(tc, descriptors_handed_out_are_sealed_and_moded);
        tcase_add_test(tc, status_and_list_show_only_ones_own);
        tcase_add_test(tc, the_library_never_waits_without_bound);
        suite_add_tcase(s, tc);
        for (int i = 0; i < 2; i++) {
                tc = tcase_create(i ? "descriptors-fallback" : "descriptors-kernel");
                tcase_add_checked_fixture(tc, i ? setup_fallback : setup_kernel, hp_teardown);
                tcase_set_timeout(tc, 60);
                tcase_add_test(tc, descriptors_sent_to_the_daemon);
                tcase_add_test(tc, lingering_sockets_never_freeze_the_loop);
                tcase_add_test(tc, self_sent_socket_ends_leave_nothing);
                suite_add_tcase(s, tc);
        }
        return s;
}

int main(void)
{
        return hp_run(hostile_suite());
}
