/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test_proto.c - the codec and descriptor passing, without a daemon.
 *
 * Every message type round-trips; every malformed packet is refused: short,
 * long, unknown type, wrong direction, wrong version, reserved bits set,
 * out-of-range values, descriptors where none belong.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hp_proto.h"
#include "unit.h"

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        while ((de = readdir(d)))
                n += de->d_name[0] != '.';
        closedir(d);
        return n - 1; /* the DIR's own */
}

/* A valid body for every type. */
static size_t sample(uint16_t type, void *body)
{
        switch (type) {
        case HP_MSG_HELLO:
                *(struct hp_hello *)body =
                    (struct hp_hello){.version = 1, .flags = HP_HELLO_PROGRESS};
                break;
        case HP_MSG_HELLO_REPLY:
                *(struct hp_hello_reply *)body =
                    (struct hp_hello_reply){.version = 1, .default_page_size = 2 << 20};
                break;
        case HP_MSG_ALLOC:
                *(struct hp_alloc *)body = (struct hp_alloc){
                    .key = 7,
                    .flag = HP_FLAG_CREAT | 0644 | (21u << HP_FLAG_SIZE_SHIFT),
                    .len = 4 << 20,
                    .prot = HP_PROT_READ | HP_PROT_WRITE,
                };
                break;
        case HP_MSG_ALLOC_REPLY:
                *(struct hp_alloc_reply *)body = (struct hp_alloc_reply){
                    .id = 3,
                    .size = 4 << 20,
                    .page_size = 2 << 20,
                    .access = HP_ACCESS_RDWR,
                };
                break;
        case HP_MSG_RELEASE:
        case HP_MSG_DROP:
                *(struct hp_ref *)body = (struct hp_ref){.id = 99};
                break;
        case HP_MSG_FORK:
                *(struct hp_fork *)body = (struct hp_fork){0};
                break;
        case HP_MSG_FORK_REPLY:
                *(struct hp_fork_reply *)body = (struct hp_fork_reply){.token = 0xabcdef};
                break;
        case HP_MSG_FORK_DONE:
                *(struct hp_fork_done *)body = (struct hp_fork_done){.token = 5, .pid = 1234};
                break;
        case HP_MSG_CLAIM:
                *(struct hp_token *)body = (struct hp_token){.token = 77};
                break;
        case HP_MSG_REGISTER:
                *(struct hp_register *)body = (struct hp_register){.id = 3, .dev = 12, .ino = 99};
                break;
        case HP_MSG_LIST:
                *(struct hp_list *)body = (struct hp_list){.after_id = 4};
                break;
        case HP_MSG_LIST_REPLY:
                *(struct hp_list_reply *)body =
                    (struct hp_list_reply){.id = 5, .key = 42, .npids = 1, .pids = {77}};
                break;
        case HP_MSG_STATUS:
                *(struct hp_status_req *)body = (struct hp_status_req){0};
                break;
        case HP_MSG_STATUS_REPLY:
                *(struct hp_status_reply *)body =
                    (struct hp_status_reply){.nsizes = 1, .version = "0.1.0"};
                break;
        case HP_MSG_REMOVE:
        case HP_MSG_STAT:
                *(struct hp_target *)body = (struct hp_target){.key = 42};
                break;
        case HP_MSG_LOG_LEVEL:
                *(struct hp_log_level *)body = (struct hp_log_level){.level = -1};
                break;
        case HP_MSG_LOG_LEVEL_REPLY:
                *(struct hp_log_level_reply *)body = (struct hp_log_level_reply){.level = 7};
                break;
        case HP_MSG_COUNTER:
                *(struct hp_counter *)body = (struct hp_counter){.index = 3};
                break;
        case HP_MSG_COUNTER_REPLY:
                *(struct hp_counter_reply *)body =
                    (struct hp_counter_reply){.name = "segments_created", .value = 3};
                break;
        case HP_MSG_RELEASE_REPLY:
        case HP_MSG_USERS:
                *(struct hp_users *)body = (struct hp_users){.from_uid = 1000};
                break;
        case HP_MSG_USERS_REPLY:
                *(struct hp_users_reply *)body =
                    (struct hp_users_reply){.uid = 1000, .nsizes = 1, .bytes = 2 << 20};
                break;
        case HP_MSG_PROGRESS:
                *(struct hp_status *)body = (struct hp_status){0};
                break;
        case HP_MSG_REMOVE_REPLY:
        case HP_MSG_FORK_DONE_REPLY:
        case HP_MSG_CLAIM_REPLY:
        case HP_MSG_REGISTER_REPLY:
                *(struct hp_status *)body = (struct hp_status){.status = ENOENT};
                break;
        }
        return hp_proto_body_size(type);
}

static enum hp_dir dir_of(uint16_t type)
{
        return hp_proto_is_request(type) ? HP_DIR_REQUEST : HP_DIR_REPLY;
}

START_TEST(every_type_round_trips)
{
        for (uint16_t t = 1; t < HP_MSG_TYPE_END; t++) {
                char body[HP_MSG_MAX], buf[HP_MSG_MAX];
                struct hp_msg m;
                size_t len = sample(t, body);
                int n = hp_proto_encode(buf, sizeof(buf), t, 1000 + t, body, len);

                ck_assert_int_eq(n, (int)(sizeof(struct hp_hdr) + len));
                ck_assert_msg(hp_proto_decode(buf, (size_t)n, dir_of(t), &m) == 0, "%s refused",
                              hp_proto_type_name(t));
                ck_assert_uint_eq(m.hdr.type, t);
                ck_assert_uint_eq(m.hdr.seq, 1000u + t);
                ck_assert_int_eq(memcmp(&m.u, body, len), 0);
        }
}
END_TEST

START_TEST(encode_refuses_wrong_sizes)
{
        char body[HP_MSG_MAX] = {0}, buf[HP_MSG_MAX];

        ck_assert_int_eq(hp_proto_encode(buf, sizeof(buf), HP_MSG_ALLOC, 1, body, 8), -EINVAL);
        ck_assert_int_eq(hp_proto_encode(buf, sizeof(buf), 0, 1, body, 8), -EINVAL);
        ck_assert_int_eq(hp_proto_encode(buf, sizeof(buf), HP_MSG_TYPE_END, 1, body, 8), -EINVAL);
        ck_assert_int_eq(hp_proto_encode(buf, 20, HP_MSG_ALLOC, 1, body, 24), -EINVAL);
}
END_TEST

/* Build a valid message of type t into buf, return its length. */
static size_t valid(uint16_t t, char *buf)
{
        char body[HP_MSG_MAX];
        size_t len = sample(t, body);

        return (size_t)hp_proto_encode(buf, HP_MSG_MAX, t, 5, body, len);
}

START_TEST(short_and_long_packets)
{
        for (uint16_t t = 1; t < HP_MSG_TYPE_END; t++) {
                char buf[HP_MSG_MAX + 8] = {0};
                struct hp_msg m;
                size_t n = valid(t, buf);

                for (size_t cut = 0; cut < n; cut++)
                        ck_assert_int_lt(hp_proto_decode(buf, cut, dir_of(t), &m), 0);
                /* One byte more, with the header's length lying either way. */
                ck_assert_int_eq(hp_proto_decode(buf, n + 1, dir_of(t), &m), -EBADMSG);
                ((struct hp_hdr *)buf)->len = (uint32_t)(n + 1);
                ck_assert_int_eq(hp_proto_decode(buf, n + 1, dir_of(t), &m), -EBADMSG);
                ck_assert_int_eq(hp_proto_decode(buf, n, dir_of(t), &m), -EBADMSG);
                ((struct hp_hdr *)buf)->len = UINT32_MAX;
                ck_assert_int_eq(hp_proto_decode(buf, n, dir_of(t), &m), -EBADMSG);
        }
        ck_assert_int_eq(hp_proto_decode(NULL, 0, HP_DIR_REQUEST, &(struct hp_msg){0}), -EBADMSG);
}
END_TEST

START_TEST(unknown_type_and_wrong_direction)
{
        char buf[HP_MSG_MAX];
        struct hp_msg m;
        size_t n = valid(HP_MSG_ALLOC, buf);

        ck_assert_int_eq(hp_proto_decode(buf, n, HP_DIR_REPLY, &m), -EBADMSG);
        for (uint32_t t = HP_MSG_TYPE_END; t <= UINT16_MAX; t += 97) {
                ((struct hp_hdr *)buf)->type = (uint16_t)t;
                ck_assert_int_eq(hp_proto_decode(buf, n, HP_DIR_REQUEST, &m), -EBADMSG);
        }
        ((struct hp_hdr *)buf)->type = 0;
        ck_assert_int_eq(hp_proto_decode(buf, n, HP_DIR_REQUEST, &m), -EBADMSG);
        n = valid(HP_MSG_HELLO_REPLY, buf);
        ck_assert_int_eq(hp_proto_decode(buf, n, HP_DIR_REQUEST, &m), -EBADMSG);
}
END_TEST

START_TEST(wrong_version)
{
        char buf[HP_MSG_MAX];
        struct hp_msg m;

        for (uint16_t t = 1; t < HP_MSG_TYPE_END; t++) {
                size_t n = valid(t, buf);

                ((struct hp_hdr *)buf)->version = 0;
                ck_assert_int_eq(hp_proto_decode(buf, n, dir_of(t), &m), -EPROTO);
                ((struct hp_hdr *)buf)->version = HP_PROTO_VERSION + 1;
                ck_assert_int_eq(hp_proto_decode(buf, n, dir_of(t), &m), -EPROTO);
        }
        /* A HELLO asking for version 0 is not a valid HELLO. */
        {
                struct hp_hello h = {.version = 0};
                int n = hp_proto_encode(buf, sizeof(buf), HP_MSG_HELLO, 1, &h, sizeof(h));

                ck_assert_int_eq(hp_proto_decode(buf, (size_t)n, HP_DIR_REQUEST, &m), -EBADMSG);
        }
}
END_TEST

/* Flip each byte of a body field and expect rejection. */
static void expect_bad(uint16_t t, size_t off, const void *val, size_t vlen)
{
        char buf[HP_MSG_MAX];
        struct hp_msg m;
        size_t n = valid(t, buf);

        memcpy(buf + sizeof(struct hp_hdr) + off, val, vlen);
        ck_assert_msg(hp_proto_decode(buf, n, dir_of(t), &m) == -EBADMSG,
                      "%s with field at %zu changed was accepted", hp_proto_type_name(t), off);
}

START_TEST(reserved_fields_and_ranges)
{
        uint32_t one = 1, u32max = UINT32_MAX;
        int32_t neg = -1, big = 5000;
        uint64_t zero64 = 0, odd = 3 << 20;

        uint32_t hello_flag = ~HP_HELLO_KNOWN & (HP_HELLO_KNOWN + 1), progress_on_a_reply = 1;

        expect_bad(HP_MSG_HELLO, offsetof(struct hp_hello, flags), &hello_flag, 4);
        expect_bad(HP_MSG_PROGRESS, offsetof(struct hp_status, status), &progress_on_a_reply, 4);
        expect_bad(HP_MSG_HELLO_REPLY, offsetof(struct hp_hello_reply, reserved), &one, 4);
        expect_bad(HP_MSG_HELLO_REPLY, offsetof(struct hp_hello_reply, st.reserved), &one, 4);
        expect_bad(HP_MSG_HELLO_REPLY, offsetof(struct hp_hello_reply, default_page_size), &odd, 8);
        expect_bad(HP_MSG_ALLOC, offsetof(struct hp_alloc, reserved), &one, 4);
        expect_bad(HP_MSG_ALLOC, offsetof(struct hp_alloc, key), &neg, 4);
        expect_bad(HP_MSG_ALLOC, offsetof(struct hp_alloc, prot), &u32max, 4);
        {
                uint32_t unknown_flag = HP_FLAG_CREAT | 010000; /* SHM_NORESERVE-like */
                uint32_t prot8 = 8;

                expect_bad(HP_MSG_ALLOC, offsetof(struct hp_alloc, flag), &unknown_flag, 4);
                expect_bad(HP_MSG_ALLOC, offsetof(struct hp_alloc, prot), &prot8, 4);
        }
        expect_bad(HP_MSG_ALLOC_REPLY, offsetof(struct hp_alloc_reply, reserved), &one, 4);
        expect_bad(HP_MSG_ALLOC_REPLY, offsetof(struct hp_alloc_reply, access), &u32max, 4);
        expect_bad(HP_MSG_ALLOC_REPLY, offsetof(struct hp_alloc_reply, id), &zero64, 8);
        expect_bad(HP_MSG_ALLOC_REPLY, offsetof(struct hp_alloc_reply, page_size), &odd, 8);
        expect_bad(HP_MSG_ALLOC_REPLY, offsetof(struct hp_alloc_reply, st.status), &neg, 4);
        expect_bad(HP_MSG_RELEASE, offsetof(struct hp_ref, id), &zero64, 8);
        expect_bad(HP_MSG_DROP, offsetof(struct hp_ref, id), &zero64, 8);
        expect_bad(HP_MSG_CLAIM, offsetof(struct hp_token, token), &zero64, 8);
        expect_bad(HP_MSG_REGISTER, offsetof(struct hp_register, id), &zero64, 8);
        expect_bad(HP_MSG_REMOVE, offsetof(struct hp_target, reserved), &one, 4);
        expect_bad(HP_MSG_REMOVE, offsetof(struct hp_target, key), &neg, 4);
        {
                uint64_t id7 = 7;
                uint32_t nine = 9;
                char noterm[16];

                memset(noterm, 'x', sizeof(noterm));
                /* Both a key and an id. */
                expect_bad(HP_MSG_REMOVE, offsetof(struct hp_target, id), &id7, 8);
                expect_bad(HP_MSG_STATUS_REPLY, offsetof(struct hp_status_reply, nsizes), &nine, 4);
                expect_bad(HP_MSG_STATUS_REPLY, offsetof(struct hp_status_reply, version), noterm,
                           16);
                expect_bad(HP_MSG_LIST_REPLY, offsetof(struct hp_list_reply, reserved), &one, 4);
                expect_bad(HP_MSG_STAT, offsetof(struct hp_target, id), &id7, 8);
                expect_bad(HP_MSG_LOG_LEVEL, offsetof(struct hp_log_level, level), &nine, 4);
                expect_bad(HP_MSG_LOG_LEVEL_REPLY, offsetof(struct hp_log_level_reply, level),
                           &nine, 4);
                expect_bad(HP_MSG_COUNTER, offsetof(struct hp_counter, reserved), &one, 4);
        }
        {
                char noterm[HP_COUNTER_NAME];
                int32_t minus2 = -2;

                memset(noterm, 'x', sizeof(noterm));
                expect_bad(HP_MSG_COUNTER_REPLY, offsetof(struct hp_counter_reply, name), noterm,
                           sizeof(noterm));
                expect_bad(HP_MSG_LOG_LEVEL, offsetof(struct hp_log_level, level), &minus2, 4);
        }
        expect_bad(HP_MSG_REGISTER, offsetof(struct hp_register, ino), &zero64, 8);
        expect_bad(HP_MSG_FORK, offsetof(struct hp_fork, flags), &one, 4);
        expect_bad(HP_MSG_FORK, offsetof(struct hp_fork, reserved), &one, 4);
        expect_bad(HP_MSG_FORK_REPLY, offsetof(struct hp_fork_reply, token), &zero64, 8);
        expect_bad(HP_MSG_FORK_DONE, offsetof(struct hp_fork_done, token), &zero64, 8);
        expect_bad(HP_MSG_FORK_DONE, offsetof(struct hp_fork_done, reserved), &one, 4);
        {
                int32_t zero = 0, minus2 = -2;

                expect_bad(HP_MSG_FORK_DONE, offsetof(struct hp_fork_done, pid), &zero, 4);
                expect_bad(HP_MSG_FORK_DONE, offsetof(struct hp_fork_done, pid), &minus2, 4);
        }
        expect_bad(HP_MSG_RELEASE_REPLY, offsetof(struct hp_status, status), &big, 4);
        expect_bad(HP_MSG_CLAIM_REPLY, offsetof(struct hp_status, reserved), &one, 4);
        expect_bad(HP_MSG_FORK_DONE_REPLY, offsetof(struct hp_status, status), &neg, 4);

        /* An error reply carries nothing else. */
        {
                char buf[HP_MSG_MAX];
                struct hp_msg m;
                struct hp_alloc_reply r = {.st.status = ENOENT, .id = 4};
                int n = hp_proto_encode(buf, sizeof(buf), HP_MSG_ALLOC_REPLY, 1, &r, sizeof(r));

                ck_assert_int_eq(hp_proto_decode(buf, (size_t)n, HP_DIR_REPLY, &m), -EBADMSG);
                r.id = 0;
                n = hp_proto_encode(buf, sizeof(buf), HP_MSG_ALLOC_REPLY, 1, &r, sizeof(r));
                ck_assert_int_eq(hp_proto_decode(buf, (size_t)n, HP_DIR_REPLY, &m), 0);
        }
}
END_TEST

START_TEST(descriptor_travels_with_its_message)
{
        int sv[2], fd, got, before = count_fds();
        char buf[HP_MSG_MAX + 1];
        size_t n = valid(HP_MSG_ALLOC_REPLY, buf);

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        ck_assert_int_eq(hp_proto_send(sv[0], buf, n, fd, 0), 0);
        ck_assert_int_eq(hp_proto_recv(sv[1], buf, sizeof(buf), &got, 1, 0, NULL, NULL), (int)n);
        ck_assert_int_ge(got, 0);
        ck_assert_int_eq(fcntl(got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        close(got);
        close(fd);
        close(sv[0]);
        close(sv[1]);
        ck_assert_int_eq(count_fds(), before);
}
END_TEST

START_TEST(descriptors_where_none_belong_are_closed)
{
        int sv[2], got, before = count_fds();
        char buf[HP_MSG_MAX + 1];
        size_t n = valid(HP_MSG_RELEASE, buf);

        ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        /* One descriptor where none may come. */
        ck_assert_int_eq(hp_proto_send(sv[0], buf, n, sv[0], 0), 0);
        ck_assert_int_eq(hp_proto_recv(sv[1], buf, sizeof(buf), &got, 0, 0, NULL, NULL), -EBADMSG);
        ck_assert_int_eq(got, -1);
        /* Many descriptors in one message, where one may come. */
        {
                union {
                        char b[CMSG_SPACE(sizeof(int) * 6)];
                        struct cmsghdr a;
                } ctl = {0};
                int fds[6] = {0, 1, 2, sv[0], sv[0], sv[0]};
                struct iovec iov = {.iov_base = buf, .iov_len = n};
                struct msghdr mh = {.msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = ctl.b,
                                    .msg_controllen = sizeof(ctl.b)};
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(fds));
                memcpy(CMSG_DATA(c), fds, sizeof(fds));
                ck_assert_int_eq(sendmsg(sv[0], &mh, 0), (ssize_t)n);
                ck_assert_int_eq(hp_proto_recv(sv[1], buf, sizeof(buf), &got, 1, 0, NULL, NULL),
                                 -EBADMSG);
                ck_assert_int_eq(got, -1);
        }
        /* An oversized datagram is caught, not silently cut. */
        {
                char big[HP_MSG_MAX * 4] = {0};

                ck_assert_int_eq(send(sv[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
                ck_assert_int_eq(hp_proto_recv(sv[1], buf, sizeof(buf), &got, 1, 0, NULL, NULL),
                                 -EBADMSG);
        }
        close(sv[0]);
        close(sv[1]);
        ck_assert_int_eq(count_fds(), before);
}
END_TEST

static Suite *proto_suite(void)
{
        Suite *s = suite_create("proto");
        TCase *tc = tcase_create("codec");

        tcase_add_test(tc, every_type_round_trips);
        tcase_add_test(tc, encode_refuses_wrong_sizes);
        tcase_add_test(tc, short_and_long_packets);
        tcase_add_test(tc, unknown_type_and_wrong_direction);
        tcase_add_test(tc, wrong_version);
        tcase_add_test(tc, reserved_fields_and_ranges);
        suite_add_tcase(s, tc);
        tc = tcase_create("fdpass");
        tcase_add_test(tc, descriptor_travels_with_its_message);
        tcase_add_test(tc, descriptors_where_none_belong_are_closed);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return unit_run(proto_suite());
}
