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
#include <unistd.h>

#include "harness.h"
#include "hp_proto.h"
#include "wire.h"

#define RW (PROT_READ | PROT_WRITE)

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

START_TEST(descriptors_sent_to_the_daemon)
{
        struct hp_hello h = {.version = HP_PROTO_VERSION};
        struct hp_ref ref = {.id = 1};
        char buf[HP_MSG_MAX];
        int n, fd, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

        /* With the HELLO. */
        fd = raw_connect();
        n = hp_proto_encode(buf, sizeof(buf), HP_MSG_HELLO, 1, &h, sizeof(h));
        ck_assert_int_eq(hp_proto_send(fd, buf, (size_t)n, devnull, 0), 0);
        expect_dropped(fd);
        /* With a later request. */
        fd = raw_connect();
        hello(fd);
        n = hp_proto_encode(buf, sizeof(buf), HP_MSG_RELEASE, 2, &ref, sizeof(ref));
        ck_assert_int_eq(hp_proto_send(fd, buf, (size_t)n, devnull, 0), 0);
        expect_dropped(fd);
        /* Its own socket, to tempt a reference cycle. */
        fd = raw_connect();
        hello(fd);
        ck_assert_int_eq(hp_proto_send(fd, buf, (size_t)n, fd, 0), 0);
        expect_dropped(fd);
        close(devnull);
        expect_healthy();
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
        tcase_add_test(tc, descriptors_sent_to_the_daemon);
        tcase_add_test(tc, thousand_connections);
        tcase_add_test(tc, client_that_never_reads);
        tcase_add_test(tc, descriptors_handed_out_are_sealed_and_moded);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return hp_run(hostile_suite());
}
