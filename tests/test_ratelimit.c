/* test_ratelimit.c — the portal's lookup limiter (portal/ratelimit.h): a
 * client may look up per_minute times, then waits the seconds a token takes to
 * come back; misses cost more; clients are apart, but an IPv6 /64 is one
 * client and an IPv4-mapped address is its IPv4 one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "portal/ratelimit.h"

/* An address as the sockaddr the portal hands the limiter. */
typedef struct {
    struct sockaddr_storage ss;
} addr_t;

static const struct sockaddr *addr(addr_t *a, const char *text)
{
    memset(a, 0, sizeof *a);
    if (strchr(text, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
        s6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, text, &s6->sin6_addr) != 1)
            fail_msg("test data: %s is not an IPv6 address", text);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
        s4->sin_family = AF_INET;
        if (inet_pton(AF_INET, text, &s4->sin_addr) != 1)
            fail_msg("test data: %s is not an IPv4 address", text);
    }
    return (const struct sockaddr *)&a->ss;
}

static struct ratelimit *limiter(unsigned per_minute)
{
    struct ratelimit *r = ratelimit_new(per_minute);
    if (r == NULL)
        fail_msg("ratelimit_new(%u) gave NULL", per_minute);
    return r;
}

/* Spend n tokens of the client at text, one lookup at a time. */
static void spend(struct ratelimit *r, const char *text, unsigned n)
{
    addr_t a;
    for (unsigned i = 0; i < n; i++)
        ratelimit_charge(r, addr(&a, text), 1);
}

static void expect_wait(struct ratelimit *r, const char *text, unsigned lo, unsigned hi)
{
    addr_t a;
    unsigned w = ratelimit_check(r, addr(&a, text));
    if (w < lo || w > hi)
        fail_msg("%s: expected a wait of %u to %u seconds, got %u", text, lo, hi, w);
}

static void test_ratelimit_lets_a_new_client_look_up(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(6);
    expect_wait(r, "192.0.2.1", 0, 0);
    expect_wait(r, "2001:db8::1", 0, 0);
    ratelimit_free(r);
}

static void test_ratelimit_checking_costs_nothing(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(2);
    for (int i = 0; i < 100; i++)
        expect_wait(r, "192.0.2.1", 0, 0);
    ratelimit_free(r);
}

/* 6 a minute: a token every 10 seconds. */
static void test_ratelimit_makes_a_client_wait_once_its_minute_is_spent(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(6);
    spend(r, "192.0.2.1", 5);
    expect_wait(r, "192.0.2.1", 0, 0);
    spend(r, "192.0.2.1", 1);
    expect_wait(r, "192.0.2.1", 9, 10);
    ratelimit_free(r);
}

/* A miss charged 3 costs as much as three hits. */
static void test_ratelimit_charges_a_miss_its_cost(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(6);
    addr_t a;
    ratelimit_charge(r, addr(&a, "192.0.2.1"), 3);
    ratelimit_charge(r, addr(&a, "192.0.2.1"), 3);
    expect_wait(r, "192.0.2.1", 9, 10);
    ratelimit_free(r);
}

/* A burst of misses keeps the client waiting longer, but never more than two minutes' worth: the debt
 * stops at one minute of tokens below zero (7 tokens at 6 a minute: 70 seconds). */
static void test_ratelimit_bounds_the_debt_of_a_burst_of_misses(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(6);
    addr_t a;
    ratelimit_charge(r, addr(&a, "192.0.2.1"), 9);
    expect_wait(r, "192.0.2.1", 39, 40);
    ratelimit_charge(r, addr(&a, "192.0.2.1"), 1000000);
    expect_wait(r, "192.0.2.1", 69, 70);
    ratelimit_free(r);
}

static void test_ratelimit_keeps_clients_apart(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(6);
    spend(r, "192.0.2.1", 6);
    expect_wait(r, "192.0.2.1", 9, 10);
    expect_wait(r, "192.0.2.2", 0, 0);
    expect_wait(r, "198.51.100.1", 0, 0);
    ratelimit_free(r);
}

static void test_ratelimit_counts_an_ipv6_64_as_one_client(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(6);
    spend(r, "2001:db8:1:2::1", 6);
    expect_wait(r, "2001:db8:1:2:ffff:ffff:ffff:ffff", 9, 10);
    expect_wait(r, "2001:db8:1:3::1", 0, 0);
    ratelimit_free(r);
}

static void test_ratelimit_counts_an_ipv4_mapped_address_as_its_ipv4_client(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(6);
    spend(r, "::ffff:192.0.2.7", 6);
    expect_wait(r, "192.0.2.7", 9, 10);
    expect_wait(r, "::ffff:192.0.2.8", 0, 0);
    ratelimit_free(r);
}

/* An address of another family (a Unix socket) has no bucket: never limited, never charged. */
static void test_ratelimit_never_limits_a_client_of_another_family(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(1);
    struct sockaddr_un un;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    ratelimit_charge(r, (const struct sockaddr *)&un, 1000);
    assert_int_equal(ratelimit_check(r, (const struct sockaddr *)&un), 0);
    ratelimit_free(r);
}

/* Memory is bounded: far more clients than the limiter tracks at once each get their minute, and the
 * latest of them is still held to it. */
static void test_ratelimit_serves_more_clients_than_it_tracks(void **state)
{
    (void)state;
    struct ratelimit *r = limiter(2);
    addr_t a;
    char text[32];
    for (unsigned i = 0; i < 200000; i++) {
        snprintf(text, sizeof text, "10.%u.%u.%u", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff);
        if (ratelimit_check(r, addr(&a, text)) != 0)
            fail_msg("client %u (%s): expected no wait for a new client, got one", i, text);
        ratelimit_charge(r, addr(&a, text), 1);
    }
    spend(r, text, 1);
    expect_wait(r, text, 29, 30);
    ratelimit_free(r);
}

static void test_ratelimit_free_ignores_null(void **state)
{
    (void)state;
    ratelimit_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit_lets_a_new_client_look_up),
        cmocka_unit_test(test_ratelimit_checking_costs_nothing),
        cmocka_unit_test(test_ratelimit_makes_a_client_wait_once_its_minute_is_spent),
        cmocka_unit_test(test_ratelimit_charges_a_miss_its_cost),
        cmocka_unit_test(test_ratelimit_bounds_the_debt_of_a_burst_of_misses),
        cmocka_unit_test(test_ratelimit_keeps_clients_apart),
        cmocka_unit_test(test_ratelimit_counts_an_ipv6_64_as_one_client),
        cmocka_unit_test(test_ratelimit_counts_an_ipv4_mapped_address_as_its_ipv4_client),
        cmocka_unit_test(test_ratelimit_never_limits_a_client_of_another_family),
        cmocka_unit_test(test_ratelimit_serves_more_clients_than_it_tracks),
        cmocka_unit_test(test_ratelimit_free_ignores_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
