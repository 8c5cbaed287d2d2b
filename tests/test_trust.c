/* test_trust.c — the trust store (lookup/trust.h) built from hocba-demo's
 * trust inputs (made in the group setup): what it counts, each certificate
 * of keys/index.txt known with its chain to the anchor and its revocation
 * under the demo's CRLs, the registry's answers, the checks the publisher
 * runs before accepting a bundle, a CRL or a registry, and the inputs it
 * refuses to build from. test_verify.c tests the store inside verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/trust.h"
#include "tests/harness.h"

#define MAX_CERTS 128

/* One line of the demo's keys/index.txt. */
typedef struct {
    char file[96], role[24], school[24], name[160], sha[65], status[64];
    const uint8_t *der;
    size_t len;
} demo_cert_t;

typedef struct {
    const char *tmp, *demo;
    str_t anchors, inters, registry, crls[2];
    demo_cert_t certs[MAX_CERTS];
    size_t ncerts;
    trust_t *t;       /* everything, both CRLs */
    trust_t *no_crls; /* the same without CRLs */
} ctx_t;

static str_t file_str(const char *demo, const char *name)
{
    size_t len = 0;
    const char *p = harness_read_file(harness_printf("%s/%s", demo, name), &len);
    return str_n(p, p != NULL ? len : 0);
}

static trust_t *build(const ctx_t *c, size_t ncrls, uint64_t version)
{
    trust_inputs_t in = {version, c->anchors, c->inters, c->registry, ncrls, c->crls, 0, NULL};
    trust_t *t = NULL;
    char why[TRUST_WHY_LEN] = "";
    if (trust_build(&in, &t, why, sizeof why) != 0)
        fail_msg("trust_build: expected success, got: %s", why);
    return t;
}

static const demo_cert_t *cert_named(const ctx_t *c, const char *file)
{
    for (size_t i = 0; i < c->ncerts; i++)
        if (strcmp(c->certs[i].file, file) == 0)
            return &c->certs[i];
    fail_msg("keys/index.txt has no %s", file);
    return NULL;
}

static trust_cert_t *get(trust_t *t, const demo_cert_t *d)
{
    trust_der_t td;
    assert_int_equal(trust_der(&td, d->der, d->len), 0);
    trust_cert_t *tc = trust_cert_get(t, &td);
    if (tc == NULL)
        fail_msg("%s: expected the store to take the certificate, got NULL", d->file);
    return tc;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void unhex32(const char *h, unsigned char out[32])
{
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1)
            fail_msg("test data: bad SHA-256 %s", h);
        out[i] = (unsigned char)v;
    }
}

static void test_trust_builds_from_the_demo_inputs_and_counts_them(void **state)
{
    ctx_t *c = *state;
    trust_t *t = build(c, 2, 41);
    assert_int_equal(trust_version(t), 41);
    assert_int_equal(trust_anchor_count(t), 1);
    assert_int_equal(trust_crl_count(t), 2);
    assert_int_equal(trust_crls_rejected(t), 0);
    assert_int_equal(trust_registry_version(t), 2);
    size_t schools = 0;
    for (size_t i = 0; i < c->ncerts; i++)
        schools += strcmp(c->certs[i].role, "school_seal") == 0;
    assert_int_equal(trust_school_count(t), schools);
    trust_free(t);
}

static void test_trust_refuses_inputs_it_cannot_build_from(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *what, *anchors, *inters, *registry;
    } BAD[] = {
        {"no anchors", "", NULL, NULL},
        {"anchors that are not PEM", "not a certificate", NULL, NULL},
        {"intermediates that are not PEM", NULL,
         "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", NULL},
        {"a registry that is not JSON", NULL, NULL, "{\"schema\":"},
        {"a registry of another schema", NULL, NULL, "{\"schema\":\"hocba.schools.v9\",\"schools\":[]}"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        trust_inputs_t in = {1, c->anchors, c->inters, c->registry, 0, NULL, 0, NULL};
        if (BAD[i].anchors != NULL)
            in.anchors = str_n(BAD[i].anchors, strlen(BAD[i].anchors));
        if (BAD[i].inters != NULL)
            in.intermediates = str_n(BAD[i].inters, strlen(BAD[i].inters));
        if (BAD[i].registry != NULL)
            in.registry = str_n(BAD[i].registry, strlen(BAD[i].registry));
        trust_t *t = NULL;
        char why[TRUST_WHY_LEN] = "";
        int rc = trust_build(&in, &t, why, sizeof why);
        if (rc != -1 || why[0] == '\0') {
            trust_free(t);
            fail_msg("%s: expected -1 with a reason, got %d: \"%s\"", BAD[i].what, rc, why);
        }
    }
}

/* Each demo certificate: its hash, its names, and its chain (the issuing CA, then the root). */
static void test_trust_knows_each_demo_certificate_and_its_chain(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < c->ncerts; i++) {
        const demo_cert_t *d = &c->certs[i];
        trust_cert_t *tc = get(c->t, d);
        char sha[65];
        hex(tc->sha256, 32, sha);
        if (strcmp(sha, d->sha) != 0)
            fail_msg("%s: expected SHA-256 %s, got %s", d->file, d->sha, sha);
        assert_true(tc->not_before < tc->not_after);
        assert_true(tc->cn[0] != '\0');
        trust_chain_t chain;
        char why[TRUST_WHY_LEN] = "";
        if (trust_cert_chain(c->t, tc, NULL, 0, TRUST_ANY_TIME, &chain, why, sizeof why) != 0)
            fail_msg("%s: expected a chain to the anchor, got: %s", d->file, why);
        int root = strcmp(d->role, "root_ca") == 0, issuing = strcmp(d->role, "issuing_ca") == 0;
        assert_int_equal(tc->is_anchor, root);
        assert_int_equal(tc->is_intermediate, issuing);
        int want = root ? 0 : issuing ? 1 : 2;
        if (chain.n != want || (want > 0 && !chain.c[want - 1]->is_anchor))
            fail_msg("%s: expected a chain of %d ending at the anchor, got %d", d->file, want, chain.n);
        if ((strcmp(d->role, "principal") == 0 || strcmp(d->role, "homeroom_teacher") == 0) &&
            strcmp(tc->cn, d->name) != 0)
            fail_msg("%s: expected CN %s, got %s", d->file, d->name, tc->cn);
    }
}

/* keys/index.txt says which certificates the issuing CA's CRL revokes, and why. */
static void test_trust_marks_what_the_crls_revoke(void **state)
{
    ctx_t *c = *state;
    int revoked = 0;
    for (size_t i = 0; i < c->ncerts; i++) {
        const demo_cert_t *d = &c->certs[i];
        trust_cert_t *with = get(c->t, d), *without = get(c->no_crls, d);
        int want = strncmp(d->status, "revoked", 7) == 0;
        int compromise = strstr(d->status, "keyCompromise") != NULL;
        revoked += want;
        if (with->revoked != want || with->revoked_key_compromise != compromise || without->revoked)
            fail_msg(
                "%s (%s): expected revoked %d (key compromise %d), and not without CRLs; got %d (%d), %d",
                d->file, d->status, want, compromise, with->revoked, with->revoked_key_compromise,
                without->revoked);
        if (want && with->revoked_at <= 0)
            fail_msg("%s: expected the revocation's date, got %lld", d->file, (long long)with->revoked_at);
    }
    assert_true(revoked >= 2);
}

static void test_trust_finds_no_chain_for_another_cas_certificate(void **state)
{
    ctx_t *c = *state;
    size_t len;
    const char *pem = harness_read_file("tests/fixtures/ber/pki/teacher.pem", &len);
    assert_non_null(pem);
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(x);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    assert_true(n > 0);
    trust_der_t td;
    assert_int_equal(trust_der(&td, der, (size_t)n), 0);
    trust_cert_t *tc = trust_cert_get(c->t, &td);
    trust_chain_t chain;
    char why[TRUST_WHY_LEN] = "";
    int rc = tc != NULL ? trust_cert_chain(c->t, tc, NULL, 0, TRUST_ANY_TIME, &chain, why, sizeof why) : 0;
    OPENSSL_free(der);
    assert_non_null(tc);
    if (rc != -1 || why[0] == '\0')
        fail_msg("expected no chain with a reason, got %d: \"%s\"", rc, why);
}

static void test_trust_cert_get_refuses_what_is_no_certificate(void **state)
{
    ctx_t *c = *state;
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    trust_der_t td;
    assert_int_equal(trust_der(&td, junk, sizeof junk), 0);
    assert_null(trust_cert_get(c->t, &td));
    const demo_cert_t *d = cert_named(c, "issuing-ca.pem");
    assert_int_equal(trust_der(&td, d->der, d->len - 1), 0);
    assert_null(trust_cert_get(c->t, &td));
}

/* A wrong hint costs a hash, never a wrong one. */
static void test_trust_der_hinted_ignores_a_wrong_hint(void **state)
{
    ctx_t *c = *state;
    const demo_cert_t *root = cert_named(c, "root-ca.pem"), *issuing = cert_named(c, "issuing-ca.pem");
    get(c->t, root);
    get(c->t, issuing);
    trust_der_t plain, hinted;
    assert_int_equal(trust_der(&plain, issuing->der, issuing->len), 0);
    trust_der_t root_d;
    assert_int_equal(trust_der(&root_d, root->der, root->len), 0);
    assert_int_equal(trust_der_hinted(c->t, &hinted, issuing->der, issuing->len, root_d.sha256), 0);
    assert_memory_equal(hinted.sha256, plain.sha256, 32);
    assert_int_equal(trust_der_hinted(c->t, &hinted, issuing->der, issuing->len, plain.sha256), 0);
    assert_memory_equal(hinted.sha256, plain.sha256, 32);
    assert_int_equal(trust_der_hinted(c->t, &hinted, issuing->der, issuing->len, NULL), 0);
    assert_memory_equal(hinted.sha256, plain.sha256, 32);
}

/* The registry binds each school's seal, principal and teachers, and names each school. */
static void test_trust_registry_answers_for_each_demo_certificate(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < c->ncerts; i++) {
        const demo_cert_t *d = &c->certs[i];
        unsigned char sha[32];
        unhex32(d->sha, sha);
        int seal = strcmp(d->role, "school_seal") == 0, principal = strcmp(d->role, "principal") == 0;
        int teacher = strcmp(d->role, "homeroom_teacher") == 0;
        if (!seal && !principal && !teacher)
            continue;
        assert_int_equal(trust_seal_registered(c->t, d->school, sha), seal);
        const char *school = trust_seal_school(c->t, sha);
        if (seal ? school == NULL || strcmp(school, d->school) != 0 : school != NULL)
            fail_msg("%s: expected trust_seal_school %s, got %s", d->file, seal ? d->school : "NULL",
                     school ? school : "NULL");
        int as_principal = trust_staff_registered(c->t, d->school, TRUST_STAFF_PRINCIPAL, sha);
        int as_teacher = trust_staff_registered(c->t, d->school, TRUST_STAFF_TEACHER, sha);
        if (as_principal != (principal ? TRUST_STAFF_LISTED : TRUST_STAFF_NOT_LISTED) ||
            as_teacher != (teacher ? TRUST_STAFF_LISTED : TRUST_STAFF_NOT_LISTED))
            fail_msg("%s (%s): expected principal %d teacher %d, got %d %d", d->file, d->role,
                     principal ? TRUST_STAFF_LISTED : TRUST_STAFF_NOT_LISTED,
                     teacher ? TRUST_STAFF_LISTED : TRUST_STAFF_NOT_LISTED, as_principal, as_teacher);
        assert_int_equal(trust_staff_registered(c->t, "99999999", TRUST_STAFF_PRINCIPAL, sha),
                         TRUST_STAFF_UNBOUND);
        if (seal) {
            const char *name, *province, *until = "x";
            assert_int_equal(trust_school_name(c->t, d->school, NULL, &name, &province, &until), 0);
            if (strcmp(name, d->name) != 0 || province[0] == '\0' || until != NULL)
                fail_msg("%s: expected school name %s, got %s (%s)", d->file, d->name, name, province);
            const unsigned char(*list)[32];
            assert_int_equal(trust_school_certs(c->t, d->school, TRUST_SCHOOL_SEAL, &list), 1);
            assert_memory_equal(list[0], sha, 32);
        }
    }
}

static void test_trust_registry_knows_no_other_school(void **state)
{
    ctx_t *c = *state;
    const char *name, *province;
    const unsigned char(*list)[32];
    assert_int_equal(trust_school_name(c->t, "99999999", NULL, &name, &province, NULL), -1);
    assert_int_equal(trust_school_certs(c->t, "99999999", TRUST_SCHOOL_SEAL, &list), 0);
    size_t n = trust_school_count(c->t);
    for (size_t i = 1; i < n; i++)
        if (strcmp(trust_school_code(c->t, i - 1), trust_school_code(c->t, i)) >= 0)
            fail_msg("expected school codes in byte order, got %s before %s", trust_school_code(c->t, i - 1),
                     trust_school_code(c->t, i));
    assert_null(trust_school_code(c->t, n));
    assert_true(trust_school_same(c->t, c->no_crls, trust_school_code(c->t, 0)));
}

static void expect_shown(const char *cn, const char *o, const char *l, size_t n, const char *want)
{
    char out[256];
    memset(out, 'Z', sizeof out);
    trust_subject_shown(cn, o, l, out, n);
    if (strcmp(out, want) != 0)
        fail_msg("(%s, %s, %s) in %zu bytes: expected \"%s\", got \"%s\"", cn, o, l, n, want, out);
}

static void test_trust_subject_shown_escapes_and_leaves_out_empty_attributes(void **state)
{
    (void)state;
    expect_shown("Lê Văn Minh", "Trường Kim Đồng", "Hà Nội", 256,
                 "CN=Lê Văn Minh,O=Trường Kim Đồng,L=Hà Nội");
    expect_shown("Lê Văn Minh", "", "Hà Nội", 256, "CN=Lê Văn Minh,L=Hà Nội");
    expect_shown("", "", "", 256, "");
    expect_shown("A, B+C", "\"Q\" <x>; y\\", "", 256, "CN=A\\, B\\+C,O=\\\"Q\\\" \\<x\\>\\; y\\\\");
    expect_shown("#1 ", " lead", "", 256, "CN=\\#1\\ ,O=\\ lead");
    expect_shown("Lê", "", "", 8, "CN=L"); /* room for half of "ê": cut before it, never inside */
}

static void test_trust_check_bundle_counts_certificates_and_refuses_the_rest(void **state)
{
    ctx_t *c = *state;
    char why[TRUST_WHY_LEN];
    assert_int_equal(trust_check_bundle(c->anchors, 1, why, sizeof why), 1);
    char *both =
        harness_printf("%.*s%.*s", (int)c->anchors.len, c->anchors.ptr, (int)c->inters.len, c->inters.ptr);
    assert_int_equal(trust_check_bundle(str_n(both, strlen(both)), 1, why, sizeof why), 2);
    assert_int_equal(trust_check_bundle(str_n("", 0), 0, why, sizeof why), 0);
    static const struct {
        const char *what, *pem;
    } BAD[] = {
        {"nothing, where one is needed", ""},
        {"text", "hello\n"},
        {"a private key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
        {"a certificate block of junk", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        why[0] = '\0';
        int rc = trust_check_bundle(str_n(BAD[i].pem, strlen(BAD[i].pem)), 1, why, sizeof why);
        if (rc != -1 || why[0] == '\0')
            fail_msg("%s: expected -1 with a reason, got %d: \"%s\"", BAD[i].what, rc, why);
    }
}

static void test_trust_check_crl_takes_the_demo_crls_and_refuses_junk(void **state)
{
    ctx_t *c = *state;
    char why[TRUST_WHY_LEN] = "";
    for (int i = 0; i < 2; i++)
        if (trust_check_crl(c->t, c->crls[i], why, sizeof why) != 1)
            fail_msg("CRL %d: expected 1 CRL that verifies, got: %s", i, why);
    static const char junk[] = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
    why[0] = '\0';
    assert_int_equal(trust_check_crl(c->t, str_n(junk, strlen(junk)), why, sizeof why), -1);
    assert_true(why[0] != '\0');
    why[0] = '\0';
    assert_int_equal(trust_check_crl(c->t, c->anchors, why, sizeof why), -1); /* a certificate is no CRL */
    assert_true(why[0] != '\0');
}

static void test_trust_check_registry_counts_schools_and_names_what_is_wrong(void **state)
{
    ctx_t *c = *state;
    char why[TRUST_WHY_LEN] = "";
    assert_int_equal(trust_check_registry(c->registry, why, sizeof why), (int)trust_school_count(c->t));
#define H64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ONE(v, rest)                                                                                         \
    "{\"schema\":\"hocba.schools." v "\",\"schools\":[{\"code\":\"01\",\"name\":\"A\",\"province\":\"B\","   \
    "\"seal_certificates\":[\"" H64 "\"]" rest "}]}"
    assert_int_equal(trust_check_registry(str_n(ONE("v1", ""), strlen(ONE("v1", ""))), why, sizeof why), 1);
    static const struct {
        const char *what, *json, *needle;
    } BAD[] = {
        {"not JSON", "{", ""},
        {"no schools", "{\"schema\":\"hocba.schools.v2\"}", "schools"},
        {"a v2 member in v1", ONE("v1", ",\"principal_certificates\":[]"), "principal_certificates"},
        {"a misspelt member", ONE("v2", ",\"teacher_certificate\":[]"), "teacher_certificate"},
        {"a short hash",
         "{\"schema\":\"hocba.schools.v2\",\"schools\":[{\"code\":\"01\",\"name\":\"A\","
         "\"province\":\"B\",\"seal_certificates\":[\"abc\"]}]}",
         "seal_certificates"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        why[0] = '\0';
        int rc = trust_check_registry(str_n(BAD[i].json, strlen(BAD[i].json)), why, sizeof why);
        if (rc != -1 || why[0] == '\0' || strstr(why, BAD[i].needle) == NULL)
            fail_msg("%s: expected -1 with a reason naming \"%s\", got %d: \"%s\"", BAD[i].what,
                     BAD[i].needle, rc, why);
    }
#undef ONE
#undef H64
}

/* The issuing CA's certificate stands for the issuer its CRL names: the same id. */
static void test_trust_issuer_of_cert_is_the_issuer_of_its_crl(void **state)
{
    ctx_t *c = *state;
    const demo_cert_t *d = cert_named(c, "issuing-ca.pem");
    trust_issuer_t is;
    unsigned char id[32];
    assert_int_equal(trust_issuer_of_cert(d->der, d->len, &is), 0);
    assert_int_equal(trust_issuer_id(&is, id), 0);
    const trust_crl_info_t *ci;
    size_t n = trust_crl_infos(c->t, &ci), found = 0;
    for (size_t i = 0; i < n; i++)
        if (ci[i].issuer_known && memcmp(ci[i].issuer_id, id, 32) == 0) {
            found++;
            assert_true(ci[i].verifies);
            assert_int_equal(trust_crl_signed_by(c->t, i, &is), 1);
        }
    assert_int_equal(found, 1);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_int_equal(trust_issuer_of_cert(junk, sizeof junk, &is), -1);
}

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    if (c != NULL) {
        trust_free(c->t);
        trust_free(c->no_crls);
    }
    harness_group_end(state, c != NULL ? c->tmp : NULL);
    return 0;
}

static void free_der(void *p)
{
    OPENSSL_free(p);
}

/* keys/index.txt: a line a certificate, each read to DER. */
static int load_certs(ctx_t *c)
{
    const char *text = harness_read_file(harness_printf("%s/keys/index.txt", c->demo), NULL);
    for (const char *line = text; line != NULL && *line != '\0' && c->ncerts < MAX_CERTS;) {
        const char *end = strchr(line, '\n');
        demo_cert_t *d = &c->certs[c->ncerts];
        if (line[0] != '#' && sscanf(line, "%95[^\t]\t%23[^\t]\t%23[^\t]\t%159[^\t]\t%64[^\t]\t%63[^\n]",
                                     d->file, d->role, d->school, d->name, d->sha, d->status) == 6) {
            FILE *f = fopen(harness_printf("%s/keys/%s", c->demo, d->file), "r");
            X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
            if (f != NULL)
                fclose(f);
            unsigned char *der = NULL;
            int n = x != NULL ? i2d_X509(x, &der) : -1;
            X509_free(x);
            if (n <= 0) {
                print_error("%s: not a certificate\n", d->file);
                return -1;
            }
            d->der = harness_keep_with(der, free_der);
            d->len = (size_t)n;
            c->ncerts++;
        }
        line = end != NULL ? end + 1 : NULL;
    }
    return c->ncerts > 4 ? 0 : -1;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    if ((c->tmp = harness_make_tmp("hocba-test-trust")) == NULL)
        return -1;
    c->demo = harness_printf("%s/demo", c->tmp);
    if (harness_make_demo(c->demo, "4", "7") != 0)
        return -1;
    c->anchors = file_str(c->demo, "trust/anchors.pem");
    c->inters = file_str(c->demo, "trust/intermediates.pem");
    c->registry = file_str(c->demo, "schools.json");
    c->crls[0] = file_str(c->demo, "trust/issuing-ca.crl");
    c->crls[1] = file_str(c->demo, "trust/root-ca.crl");
    if (c->anchors.len == 0 || c->crls[0].len == 0 || c->crls[1].len == 0 || load_certs(c) != 0)
        return -1;
    char why[TRUST_WHY_LEN];
    trust_inputs_t all = {1, c->anchors, c->inters, c->registry, 2, c->crls, 0, NULL};
    trust_inputs_t none = {1, c->anchors, c->inters, c->registry, 0, NULL, 0, NULL};
    if (trust_build(&all, &c->t, why, sizeof why) != 0 ||
        trust_build(&none, &c->no_crls, why, sizeof why) != 0) {
        print_error("trust_build: %s\n", why);
        return -1;
    }
    return 0;
}

static int group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, group_teardown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_builds_from_the_demo_inputs_and_counts_them),
        cmocka_unit_test(test_trust_refuses_inputs_it_cannot_build_from),
        cmocka_unit_test(test_trust_knows_each_demo_certificate_and_its_chain),
        cmocka_unit_test(test_trust_marks_what_the_crls_revoke),
        cmocka_unit_test(test_trust_finds_no_chain_for_another_cas_certificate),
        cmocka_unit_test(test_trust_cert_get_refuses_what_is_no_certificate),
        cmocka_unit_test(test_trust_der_hinted_ignores_a_wrong_hint),
        cmocka_unit_test(test_trust_registry_answers_for_each_demo_certificate),
        cmocka_unit_test(test_trust_registry_knows_no_other_school),
        cmocka_unit_test(test_trust_subject_shown_escapes_and_leaves_out_empty_attributes),
        cmocka_unit_test(test_trust_check_bundle_counts_certificates_and_refuses_the_rest),
        cmocka_unit_test(test_trust_check_crl_takes_the_demo_crls_and_refuses_junk),
        cmocka_unit_test(test_trust_check_registry_counts_schools_and_names_what_is_wrong),
        cmocka_unit_test(test_trust_issuer_of_cert_is_the_issuer_of_its_crl),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
