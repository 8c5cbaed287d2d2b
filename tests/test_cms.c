/* test_cms.c — the CMS SignedData reader (lookup/cms.h) on real signature
 * files: hocba-demo's packages (DER, made in the group setup), the BER ones
 * Bouncy Castle and gpgsm wrote (tests/fixtures/ber), and what `openssl cms`
 * makes that is no detached SignedData. What it finds must be what the file
 * holds (each signer's certificate, algorithms, messageDigest = SHA-256 of
 * the payload, signing time); anything else is refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lookup/ber.h"
#include "lookup/cms.h"
#include "tests/harness.h"

#define FIX "tests/fixtures/ber"
#define MAX_PKGS 32

typedef struct {
    const char *stem;
    const uint8_t *json, *p7s;
    size_t jlen, plen;
} pkg_t;

typedef struct {
    const char *tmp;
    pkg_t pkgs[MAX_PKGS]; /* the demo's batch */
    size_t npkgs;
    const uint8_t *attached, *data_only; /* openssl cms -sign -nodetach; openssl cms -data_create */
    size_t attached_len, data_only_len;
} ctx_t;

static const char *const BER_STEMS[] = {"bc-getencoded", "bc-stream", "gpgsm"};

static void jdecref(void *j)
{
    json_decref(j);
}

static cms_signed_t *parse_ok(const char *what, const uint8_t *p7s, size_t len)
{
    cms_signed_t *s = harness_malloc(sizeof *s);
    char why[256] = "";
    int rc = cms_parse(p7s, len, s, why, sizeof why);
    if (rc != CMS_OK)
        fail_msg("%s: expected CMS_OK, got %d: %s", what, rc, why);
    return s;
}

static void expect_refused(const char *what, const uint8_t *p7s, size_t len, int want, const char *needle)
{
    cms_signed_t *s = harness_malloc(sizeof *s);
    char why[256] = "";
    int rc = cms_parse(p7s, len, s, why, sizeof why);
    if (rc != want || strstr(why, needle) == NULL)
        fail_msg("%s: expected %d with a reason containing \"%s\", got %d: \"%s\"", what, want, needle, rc,
                 why);
}

/* A signer's messageDigest must be the SHA-256 of the payload. */
static void expect_digest_of(const char *what, const cms_signer_t *s, const uint8_t *json, size_t jlen)
{
    unsigned char want[SHA256_DIGEST_LENGTH];
    SHA256(json, jlen, want);
    if (s->message_digest == NULL || s->message_digest_len != sizeof want ||
        memcmp(s->message_digest, want, sizeof want) != 0)
        fail_msg("%s: expected the messageDigest to be the payload's SHA-256 (%zu bytes found)", what,
                 s->message_digest ? s->message_digest_len : 0);
}

static void test_cms_reads_every_signer_of_a_demo_package(void **state)
{
    ctx_t *c = *state;
    int transcripts = 0;
    for (size_t i = 0; i < c->npkgs; i++) {
        const pkg_t *p = &c->pkgs[i];
        cms_signed_t *s = parse_ok(p->stem, p->p7s, p->plen);
        json_t *doc = harness_keep_with(json_loadb((const char *)p->json, p->jlen, 0, NULL), jdecref);
        size_t declared = json_array_size(json_object_get(doc, "signers"));
        transcripts += strstr(p->stem, "-recall") == NULL;
        if (s->nsigners != declared)
            fail_msg("%s: expected the %zu signers the payload declares, got %zu", p->stem, declared,
                     s->nsigners);
        for (size_t k = 0; k < s->nsigners; k++) {
            const cms_signer_t *g = &s->signers[k];
            if (g->problem != NULL || g->attrs_problem != NULL)
                fail_msg("%s signer %zu: expected no problem, got \"%s\" / \"%s\"", p->stem, k,
                         g->problem ? g->problem : "", g->attrs_problem ? g->attrs_problem : "");
            assert_true(g->cert >= 0 && (size_t)g->cert < s->ncerts);
            assert_int_equal(g->md, CMS_MD_SHA256);
            assert_true(g->sig != CMS_SIG_NONE);
            assert_true(g->content_type_ok);
            assert_false(g->attrs_ber);
            assert_true(g->signature != NULL && g->signature_len >= 64);
            expect_digest_of(p->stem, g, p->json, p->jlen);
            /* signed since the demo's CAs exist, and not in the future */
            if (!g->has_signing_time || g->signing_time < 1577836800 || g->signing_time > time(NULL) + 86400)
                fail_msg("%s signer %zu: expected a signing time from 2020 to now, got %lld", p->stem, k,
                         (long long)g->signing_time);
        }
    }
    assert_true(transcripts > 0);
}

/* The certificate set: where it lies in the file, certificates only, each one a whole Certificate
 * inside it that cms_cert_parse reads alike. */
static void test_cms_finds_the_certificate_set_and_each_certificate(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < c->npkgs; i++) {
        const pkg_t *p = &c->pkgs[i];
        cms_signed_t *s = parse_ok(p->stem, p->p7s, p->plen);
        assert_true(s->ncerts >= 2); /* the signers' and the issuing CA's */
        assert_true(s->certs_only);
        assert_true(s->certs_start < s->certs_end && s->certs_end <= p->plen);
        for (size_t k = 0; k < s->ncerts; k++) {
            const cms_cert_t *ct = &s->certs[k];
            if (ct->der < p->p7s + s->certs_start || ct->der + ct->len > p->p7s + s->certs_end)
                fail_msg("%s certificate %zu: expected it inside the certificate set", p->stem, k);
            cms_cert_t again;
            assert_int_equal(cms_cert_parse(ct->der, ct->len, &again), 0);
            assert_int_equal(again.serial.len, ct->serial.len);
            assert_memory_equal(again.serial.val, ct->serial.val, ct->serial.len);
            assert_int_equal(again.issuer.rawlen, ct->issuer.rawlen);
            assert_memory_equal(again.issuer.raw, ct->issuer.raw, ct->issuer.rawlen);
        }
    }
}

/* Signature files in BER (the fixtures keep their signed attributes in DER): what they hold is read;
 * and a signer's attributes read again from their DER re-encoding as a SET (cms_signer_read_attrs, what
 * a file with BER attributes goes through) say the same. */
static void test_cms_reads_ber_files_and_attributes_from_their_der(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BER_STEMS / sizeof BER_STEMS[0]; i++) {
        size_t plen, jlen;
        const char *stem = BER_STEMS[i];
        const uint8_t *p7s =
            (const uint8_t *)harness_read_file(harness_printf(FIX "/batch/%s.p7s", stem), &plen);
        const uint8_t *json =
            (const uint8_t *)harness_read_file(harness_printf(FIX "/batch/%s.json", stem), &jlen);
        assert_non_null(p7s);
        assert_non_null(json);
        cms_signed_t *s = parse_ok(stem, p7s, plen);
        assert_true(s->nsigners >= 1);
        for (size_t k = 0; k < s->nsigners; k++) {
            cms_signer_t *g = &s->signers[k];
            assert_true(g->cert >= 0);
            assert_null(g->attrs_problem);
            expect_digest_of(stem, g, json, jlen);
            int64_t when = g->signing_time;
            uint8_t *der;
            size_t dlen;
            assert_int_equal(ber_to_der(g->attrs, g->attrslen, DER_SET, &der, &dlen, NULL, 0), 0);
            harness_keep(der);
            cms_signer_read_attrs(g, der, dlen);
            assert_ptr_equal(g->attrs, der);
            assert_null(g->attrs_problem);
            assert_true(g->content_type_ok);
            assert_true(g->signing_time == when);
            expect_digest_of(stem, g, json, jlen);
        }
    }
}

/* Attributes that are no SET of attributes leave the signer with a reason, not a digest. */
static void test_cms_signer_read_attrs_refuses_malformed_attributes(void **state)
{
    ctx_t *c = *state;
    cms_signed_t *s = parse_ok(c->pkgs[0].stem, c->pkgs[0].p7s, c->pkgs[0].plen);
    static const uint8_t bad[] = {0x31, 0x03, 0x02, 0x01, 0x01}; /* a SET holding an INTEGER */
    cms_signer_t *g = &s->signers[0];
    cms_signer_read_attrs(g, bad, sizeof bad);
    if (g->attrs_problem == NULL || g->message_digest != NULL)
        fail_msg("expected a reason and no messageDigest, got \"%s\"",
                 g->attrs_problem ? g->attrs_problem : "");
}

static void test_cms_refuses_what_is_no_detached_signeddata(void **state)
{
    ctx_t *c = *state;
    static const uint8_t json[] = "{\"schema\":\"hocba.tieuhoc.v1\"}";
    static const uint8_t seq[] = {0x30, 0x00};
    expect_refused("empty", json, 0, CMS_EFORMAT, "not");
    expect_refused("a JSON payload", json, sizeof json - 1, CMS_EFORMAT, "not");
    expect_refused("an empty SEQUENCE", seq, sizeof seq, CMS_EFORMAT, "not a CMS structure");
    expect_refused("id-data content (openssl cms -data_create)", c->data_only, c->data_only_len, CMS_EFORMAT,
                   "another content type");
    expect_refused("embedded content (openssl cms -sign -nodetach)", c->attached, c->attached_len,
                   CMS_EATTACHED, "not detached");
}

static void test_cms_refuses_data_after_the_content_info(void **state)
{
    ctx_t *c = *state;
    const pkg_t *p = &c->pkgs[0];
    uint8_t *more = harness_malloc(p->plen + 2);
    memcpy(more, p->p7s, p->plen);
    more[p->plen] = 0x05;
    more[p->plen + 1] = 0x00;
    expect_refused("a package with a NULL after it", more, p->plen + 2, CMS_EFORMAT, "after");
}

/* Every prefix of a package is refused with a reason, never read past its end. */
static void test_cms_refuses_every_truncation_of_a_package(void **state)
{
    ctx_t *c = *state;
    const pkg_t *p = &c->pkgs[0];
    for (size_t n = 0; n < p->plen; n++) {
        uint8_t *cut = malloc(n ? n : 1); /* exactly n bytes, so that ASan sees a read past them */
        assert_non_null(cut);
        memcpy(cut, p->p7s, n);
        cms_signed_t s;
        char why[256] = "";
        int rc = cms_parse(cut, n, &s, why, sizeof why);
        free(cut);
        if (rc == CMS_OK || why[0] == '\0')
            fail_msg("%s cut to %zu of %zu bytes: expected a refusal with a reason, got %d: \"%s\"", p->stem,
                     n, p->plen, rc, why);
    }
}

static void crypto_free(void *p)
{
    OPENSSL_free(p);
}

/* A fixture's certificate, PEM to DER with OpenSSL. */
static const uint8_t *cert_der(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (x == NULL)
        fail_msg("%s: not a PEM certificate", path);
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    if (n <= 0)
        fail_msg("%s: cannot encode", path);
    *len = (size_t)n;
    return harness_keep_with(der, crypto_free);
}

static void test_cms_cert_parse_reads_a_certificate_and_refuses_anything_else(void **state)
{
    (void)state;
    size_t len;
    const uint8_t *der = cert_der(FIX "/pki/teacher.pem", &len);
    cms_cert_t ct;
    assert_int_equal(cms_cert_parse(der, len, &ct), 0);
    assert_ptr_equal(ct.der, der);
    assert_int_equal(ct.len, len);
    assert_int_equal(ct.serial.tag, DER_INTEGER);
    assert_int_equal(ct.issuer.tag, DER_SEQUENCE);

    size_t rlen;
    const uint8_t *root = cert_der(FIX "/pki/root.pem", &rlen);
    cms_cert_t rt;
    assert_int_equal(cms_cert_parse(root, rlen, &rt), 0);

    uint8_t *longer = harness_malloc(len + 1);
    memcpy(longer, der, len);
    longer[len] = 0;
    static const uint8_t not_cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_int_equal(cms_cert_parse(der, len - 1, &ct), -1);
    assert_int_equal(cms_cert_parse(longer, len + 1, &ct), -1);
    assert_int_equal(cms_cert_parse(not_cert, sizeof not_cert, &ct), -1);
    assert_int_equal(cms_cert_parse(der, 0, &ct), -1);
}

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    harness_group_end(state, c != NULL ? c->tmp : NULL);
    return 0;
}

/* Run argv in the foreground; 0 when it exited 0 (else it is dumped). */
static int run(const char *const argv[])
{
    harness_run_t r;
    harness_run(&r, NULL, argv, 120000);
    if (r.status == 0)
        return 0;
    harness_dump_run(&r);
    return -1;
}

static int load_batch(ctx_t *c, const char *batch)
{
    DIR *d = opendir(batch);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL && c->npkgs < MAX_PKGS) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".p7s") != 0)
            continue;
        pkg_t *p = &c->pkgs[c->npkgs++];
        p->stem = harness_strndup(e->d_name, n - 4);
        p->p7s = (const uint8_t *)harness_read_file(harness_printf("%s/%s", batch, e->d_name), &p->plen);
        p->json = (const uint8_t *)harness_read_file(harness_printf("%s/%s.json", batch, p->stem), &p->jlen);
        if (p->p7s == NULL || p->json == NULL) {
            closedir(d);
            return -1;
        }
    }
    if (d != NULL)
        closedir(d);
    return c->npkgs > 0 ? 0 : -1;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    if ((c->tmp = harness_make_tmp("hocba-test-cms")) == NULL)
        return -1;
    const char *demo = harness_printf("%s/demo", c->tmp), *msg = harness_printf("%s/m.json", c->tmp);
    const char *att = harness_printf("%s/attached.p7m", c->tmp), *dat = harness_printf("%s/data.p7m", c->tmp);
    const char *sign[] = {"openssl",
                          "cms",
                          "-sign",
                          "-nodetach",
                          "-binary",
                          "-md",
                          "sha256",
                          "-in",
                          msg,
                          "-signer",
                          FIX "/pki/teacher.pem",
                          "-inkey",
                          FIX "/pki/teacher.key",
                          "-outform",
                          "DER",
                          "-out",
                          att,
                          NULL};
    const char *data[] = {"openssl", "cms", "-data_create", "-in", msg, "-outform", "DER", "-out", dat, NULL};
    if (harness_write_file(msg, "{}", 2) != 0 || harness_make_demo(demo, "2", "5") || run(sign) || run(data))
        return -1;
    c->attached = (const uint8_t *)harness_read_file(att, &c->attached_len);
    c->data_only = (const uint8_t *)harness_read_file(dat, &c->data_only_len);
    if (c->attached == NULL || c->data_only == NULL)
        return -1;
    return load_batch(c, harness_printf("%s/batch", demo));
}

static int group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, group_teardown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cms_reads_every_signer_of_a_demo_package),
        cmocka_unit_test(test_cms_finds_the_certificate_set_and_each_certificate),
        cmocka_unit_test(test_cms_reads_ber_files_and_attributes_from_their_der),
        cmocka_unit_test(test_cms_signer_read_attrs_refuses_malformed_attributes),
        cmocka_unit_test(test_cms_refuses_what_is_no_detached_signeddata),
        cmocka_unit_test(test_cms_refuses_data_after_the_content_info),
        cmocka_unit_test(test_cms_refuses_every_truncation_of_a_package),
        cmocka_unit_test(test_cms_cert_parse_reads_a_certificate_and_refuses_anything_else),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
