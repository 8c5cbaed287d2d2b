/* test_verify.c — verdicts computed from stored bytes: the DER reader, the
 * CMS reader and the eight checks, on packages made by hocba-demo and by
 * the stock openssl command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lookup/cms.h"
#include "lookup/code.h"
#include "lookup/der.h"
#include "lookup/digest.h"
#include "lookup/payload.h"
#include "lookup/trust.h"
#include "lookup/verify.h"

typedef struct {
    char *stem;
    char code[CODE_LEN + 1];
    char expected[32];
    uint8_t *json, *p7s;
    size_t jlen, plen;
} pkg_t;

static char dir[256];
static pkg_t pkgs[128];
static size_t npkgs;
static str_t anchors, inters, registry, crl_issuing, crl_root;
static int64_t now;

/* Certificate hashes and registry documents for the registry tests. */
#define HA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define V2(schools) "{\"schema\":\"hocba.schools.v2\",\"schools\":[" schools "]}"
#define SCHOOL(code, rest) "{\"code\":\"" code "\",\"name\":\"Trường A\",\"province\":\"Hà Nội\"" rest "}"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static str_t slurp_str(const char *name)
{
    char path[512];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint8_t *b = slurp(path, &len);
    return str_n(b, b ? len : 0);
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("HOCBA_BIN");
    char cmd[1024];
    snprintf(dir, sizeof dir, "/tmp/hocba-test-verify-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(cmd, sizeof cmd, "%s/hocba-demo --out %s/demo --students 40 --seed 7 >/dev/null",
             bin ? bin : "bin", dir);
    if (run(cmd) != 0) {
        fprintf(stderr, "setup: %s failed\n", cmd);
        return -1;
    }
    strncat(dir, "/demo", sizeof dir - strlen(dir) - 1);
    anchors = slurp_str("trust/anchors.pem");
    inters = slurp_str("trust/intermediates.pem");
    registry = slurp_str("schools.json");
    crl_issuing = slurp_str("trust/issuing-ca.crl");
    crl_root = slurp_str("trust/root-ca.crl");
    if (anchors.len == 0 || registry.len == 0 || crl_issuing.len == 0)
        return -1;

    /* expected verdicts from codes.txt */
    char path[512], line[1024];
    snprintf(path, sizeof path, "%s/codes.txt", dir);
    FILE *f = fopen(path, "r");
    char (*codes)[CODE_LEN + 1] = calloc(4096, sizeof *codes);
    char (*exp)[32] = calloc(4096, sizeof *exp);
    size_t ncodes = 0;
    while (f && fgets(line, sizeof line, f) && ncodes < 4096) {
        if (line[0] == '#')
            continue;
        char *t1 = strchr(line, '\t');
        if (!t1)
            continue;
        char *t2 = strchr(t1 + 1, '\t');
        if (t2)
            *t2 = '\0';
        memcpy(codes[ncodes], line, CODE_LEN);
        snprintf(exp[ncodes], 32, "%s", t1 + 1);
        ncodes++;
    }
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/batch", dir);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && npkgs < 128) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        pkg_t *p = &pkgs[npkgs++];
        p->stem = strndup(e->d_name, n - 5);
        snprintf(path, sizeof path, "%s/batch/%s.json", dir, p->stem);
        p->json = slurp(path, &p->jlen);
        snprintf(path, sizeof path, "%s/batch/%s.p7s", dir, p->stem);
        p->p7s = slurp(path, &p->plen);
        code_from_payload(p->json, p->jlen, p->code);
        for (size_t i = 0; i < ncodes; i++)
            if (memcmp(codes[i], p->code, CODE_LEN) == 0)
                snprintf(p->expected, sizeof p->expected, "%s", exp[i]);
    }
    if (d)
        closedir(d);
    free(codes);
    free(exp);
    now = (int64_t)time(NULL);
    return npkgs > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < npkgs; i++) {
        free(pkgs[i].stem);
        free(pkgs[i].json);
        free(pkgs[i].p7s);
    }
    free((void *)anchors.ptr);
    free((void *)inters.ptr);
    free((void *)registry.ptr);
    free((void *)crl_issuing.ptr);
    free((void *)crl_root.ptr);
    char cmd[600];
    dir[strlen(dir) - 5] = '\0';
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return run(cmd) == 0 ? 0 : -1;
}

static trust_t *make_trust(str_t a, str_t reg, int with_crls, uint64_t version)
{
    str_t crls[2] = {crl_issuing, crl_root};
    trust_inputs_t in = {version, a, inters, reg, with_crls ? (crl_root.len ? 2 : 1) : 0, crls};
    trust_t *t = NULL;
    char why[TRUST_WHY_LEN];
    if (trust_build(&in, &t, why, sizeof why) != 0)
        fail_msg("trust_build: %s", why);
    return t;
}

/* Verify one package; v is heap-allocated by the caller. */
static void verify_one(trust_t *t, const pkg_t *p, const uint8_t *json, verdict_t *v)
{
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    int parsed = payload_parse(json, p->jlen, &pl, why, sizeof why) == PAYLOAD_OK;
    assert_int_equal(verify_package(t, parsed ? &pl : NULL, json, p->jlen, p->p7s, p->plen, now, NULL, v), 0);
    if (parsed)
        payload_free(&pl);
}

static int failed(const verdict_t *v, int check, const char *role)
{
    for (size_t i = 0; i < v->nitems; i++) {
        const verify_item_t *it = &v->items[i];
        if (!it->ok && it->check == check &&
            (role == NULL || (it->signer >= 0 && strcmp(v->signers[it->signer].role, role) == 0)))
            return 1;
    }
    return 0;
}

static const pkg_t *find_expected(const char *expected)
{
    for (size_t i = 0; i < npkgs; i++)
        if (strcmp(pkgs[i].expected, expected) == 0)
            return &pkgs[i];
    return NULL;
}

/* ---- DER ------------------------------------------------------------------ */

static void test_der_refuses_truncation_and_ber(void **state)
{
    (void)state;
    der_elem_t e;
    const uint8_t trunc[] = {0x30, 0x05, 0x02, 0x01};
    der_cur_t c = der_cursor(trunc, sizeof trunc);
    assert_int_equal(der_next(&c, &e), DER_EBAD);
    const uint8_t ber[] = {0x30, 0x80, 0x00, 0x00};
    c = der_cursor(ber, sizeof ber);
    assert_int_equal(der_next(&c, &e), DER_EBER);
    const uint8_t longform[] = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5}; /* non-minimal length */
    c = der_cursor(longform, sizeof longform);
    assert_int_equal(der_next(&c, &e), DER_EBAD);
    const uint8_t huge[] = {0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0};
    c = der_cursor(huge, sizeof huge);
    assert_int_equal(der_next(&c, &e), DER_EBAD);
    c = der_cursor(NULL, 0);
    assert_int_equal(der_next(&c, &e), DER_EEND);
}

static void test_der_time_reads_both_forms(void **state)
{
    (void)state;
    der_elem_t e = {DER_UTCTIME, (const uint8_t *)"250520083000Z", 13, NULL, 0};
    int64_t t;
    assert_int_equal(der_time(&e, &t), DER_OK);
    assert_int_equal(t, 1747729800);
    der_elem_t g = {DER_GENTIME, (const uint8_t *)"20500101000000Z", 15, NULL, 0};
    assert_int_equal(der_time(&g, &t), DER_OK);
    assert_int_equal(t, 2524608000);
    der_elem_t bad = {DER_UTCTIME, (const uint8_t *)"250229083000Z", 13, NULL, 0};
    assert_int_equal(der_time(&bad, &t), DER_EBAD);
    der_elem_t local = {DER_UTCTIME, (const uint8_t *)"2505200830000", 13, NULL, 0};
    assert_int_equal(der_time(&local, &t), DER_EBAD);
}

/* ---- CMS reader ------------------------------------------------------------- */

static void test_cms_reads_three_signers_of_a_demo_package(void **state)
{
    (void)state;
    const pkg_t *p = find_expected("valid");
    assert_non_null(p);
    cms_signed_t *sd = malloc(sizeof *sd);
    char why[256];
    assert_int_equal(cms_parse(p->p7s, p->plen, sd, why, sizeof why), CMS_OK);
    assert_int_equal(sd->nsigners, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_null(sd->signers[i].problem);
        assert_true(sd->signers[i].cert >= 0);
        assert_int_equal(sd->signers[i].md, CMS_MD_SHA256);
        assert_int_equal(sd->signers[i].message_digest_len, 32);
        assert_true(sd->signers[i].has_signing_time);
    }
    free(sd);
}

static void test_cms_refuses_every_truncation_without_crashing(void **state)
{
    (void)state;
    const pkg_t *p = find_expected("valid");
    cms_signed_t *sd = malloc(sizeof *sd);
    char why[256];
    for (size_t n = 0; n < p->plen; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, p->p7s, n);
        if (cms_parse(cut, n, sd, why, sizeof why) == CMS_OK)
            fail_msg("a .p7s cut to %zu of %zu bytes parsed", n, p->plen);
        free(cut);
    }
    free(sd);
}

/* A DER header (tag, definite length) into out; its length. */
static size_t der_header(unsigned tag, size_t len, uint8_t *out)
{
    out[0] = (uint8_t)tag;
    if (len < 0x80) {
        out[1] = (uint8_t)len;
        return 2;
    }
    size_t n = 0;
    for (size_t v = len; v > 0; v >>= 8)
        n++;
    out[1] = (uint8_t)(0x80 | n);
    for (size_t i = 0; i < n; i++)
        out[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    return 2 + n;
}

/* ContentInfo { oid, [0] { sd, in0 }, after } in DER, into out (malloc'd). */
static size_t content_info(const der_elem_t *oid, const der_elem_t *sd, const uint8_t *in0, size_t in0len,
                           const uint8_t *after, size_t afterlen, uint8_t **out)
{
    uint8_t h1[8], h2[8];
    size_t wraplen = sd->rawlen + in0len;
    size_t n2 = der_header(DER_CTX_CONS(0), wraplen, h2);
    size_t body = oid->rawlen + n2 + wraplen + afterlen;
    size_t n1 = der_header(DER_SEQUENCE, body, h1);
    uint8_t *b = malloc(n1 + body), *o = b;
    memcpy(o, h1, n1), o += n1;
    memcpy(o, oid->raw, oid->rawlen), o += oid->rawlen;
    memcpy(o, h2, n2), o += n2;
    memcpy(o, sd->raw, sd->rawlen), o += sd->rawlen;
    if (in0len > 0)
        memcpy(o, in0, in0len), o += in0len;
    if (afterlen > 0)
        memcpy(o, after, afterlen);
    *out = b;
    return n1 + body;
}

/* X.690 and RFC 5652: a ContentInfo holds its type and [0] content, and
 * [0] holds the SignedData, nothing else; `openssl cms` refuses more. Bytes
 * after either are covered by no signature: accepting them would make other
 * .p7s files that still verify. Rebuilt without them, the same parts parse. */
static void test_cms_refuses_data_after_the_signed_data(void **state)
{
    (void)state;
    const pkg_t *p = find_expected("valid");
    cms_signed_t *sd = malloc(sizeof *sd);
    char why[256];
    der_cur_t c = der_cursor(p->p7s, p->plen);
    der_elem_t ci, oid, wrap, signed_data;
    assert_int_equal(der_expect(&c, DER_SEQUENCE, &ci), DER_OK);
    der_cur_t cc = der_inside(&ci);
    assert_int_equal(der_expect(&cc, DER_OID, &oid), DER_OK);
    assert_int_equal(der_expect(&cc, DER_CTX_CONS(0), &wrap), DER_OK);
    der_cur_t w = der_inside(&wrap);
    assert_int_equal(der_expect(&w, DER_SEQUENCE, &signed_data), DER_OK);
    static const uint8_t null[] = {0x05, 0x00}, junk[] = {0x04, 0x04, 'j', 'u', 'n', 'k'};
    uint8_t *b;
    size_t n = content_info(&oid, &signed_data, NULL, 0, NULL, 0, &b);
    if (n != p->plen || memcmp(b, p->p7s, n) != 0 || cms_parse(b, n, sd, why, sizeof why) != CMS_OK)
        fail_msg("test setup: %s rebuilt from its parts should be itself and parse", p->stem);
    free(b);
    n = content_info(&oid, &signed_data, NULL, 0, junk, sizeof junk, &b);
    if (cms_parse(b, n, sd, why, sizeof why) != CMS_EFORMAT)
        fail_msg("expected CMS_EFORMAT for an OCTET STRING after the [0] content of a ContentInfo");
    free(b);
    n = content_info(&oid, &signed_data, null, sizeof null, NULL, 0, &b);
    if (cms_parse(b, n, sd, why, sizeof why) != CMS_EFORMAT)
        fail_msg("expected CMS_EFORMAT for a NULL after the SignedData inside [0]");
    assert_non_null(strstr(why, "after its SignedData"));
    free(b);
    free(sd);
}

static void test_cms_refuses_text_and_attached(void **state)
{
    (void)state;
    cms_signed_t *sd = malloc(sizeof *sd);
    char why[256];
    assert_int_equal(cms_parse((const uint8_t *)"hello", 5, sd, why, sizeof why), CMS_EFORMAT);
    assert_non_null(strstr(why, "not a CMS"));
    /* the same signature with the content embedded (-nodetach) is refused */
    char cmd[1500];
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout att.key "
             "-out att.pem -subj '/CN=Attached' -days 30 2>/dev/null && printf '{}' > att.json && "
             "openssl cms -sign -binary -nodetach -md sha256 -in att.json -signer att.pem -inkey att.key "
             "-outform DER -out att.p7s",
             dir);
    assert_int_equal(run(cmd), 0);
    str_t att = slurp_str("att.p7s");
    assert_true(att.len > 0);
    assert_int_equal(cms_parse((const uint8_t *)att.ptr, att.len, sd, why, sizeof why), CMS_EATTACHED);
    assert_non_null(strstr(why, "detached"));
    free((void *)att.ptr);
    free(sd);
}

/* ---- verdicts ----------------------------------------------------------------- */

static void test_verify_demo_packages_valid_before_crl(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 0, 1);
    verdict_t *v = malloc(sizeof *v);
    size_t checked = 0;
    for (size_t i = 0; i < npkgs; i++) {
        if (strcmp(pkgs[i].expected, "recall-notice") == 0)
            continue;
        verify_one(t, &pkgs[i], pkgs[i].json, v);
        if (!v->ok) {
            char r[1024];
            verify_reason(v, r, sizeof r);
            fail_msg("%s (%s): expected valid signatures, got: %s", pkgs[i].stem, pkgs[i].expected, r);
        }
        assert_int_equal(v->nsigners, 3);
        checked++;
    }
    assert_true(checked >= 30);
    free(v);
    trust_free(t);
}

static void test_verify_key_compromise_crl_invalidates_only_that_signer(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 1, 2);
    verdict_t *v = malloc(sizeof *v);
    size_t invalid = 0;
    for (size_t i = 0; i < npkgs; i++) {
        if (strcmp(pkgs[i].expected, "recall-notice") == 0)
            continue;
        verify_one(t, &pkgs[i], pkgs[i].json, v);
        if (strcmp(pkgs[i].expected, "invalid-after-crl") == 0) {
            assert_false(v->ok);
            assert_true(failed(v, VERIFY_REVOCATION, "homeroom_teacher"));
            assert_false(failed(v, VERIFY_REVOCATION, "principal"));
            assert_false(failed(v, VERIFY_SIGNATURE, NULL));
            invalid++;
        } else if (!v->ok) {
            char r[1024];
            verify_reason(v, r, sizeof r);
            fail_msg("%s (%s) should stay valid with the CRL (a 'superseded' revocation after signing does "
                     "not count): %s",
                     pkgs[i].stem, pkgs[i].expected, r);
        }
    }
    assert_true(invalid >= 1);
    assert_int_equal(trust_crl_count(t), crl_root.len ? 2 : 1);
    free(v);
    trust_free(t);
}

/* PEM for each DER CRL, one after another, as `cat` would bundle them,
 * followed by `tail` as is; malloc'd, NUL-terminated. */
static str_t pem_bundle(const str_t *der, size_t n, str_t tail)
{
    BIO *b = BIO_new(BIO_s_mem());
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)der[i].ptr;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)der[i].len);
        assert_non_null(crl);
        assert_int_equal(PEM_write_bio_X509_CRL(b, crl), 1);
        X509_CRL_free(crl);
    }
    char *data;
    long len = BIO_get_mem_data(b, &data);
    char *copy = malloc((size_t)len + tail.len + 1);
    assert_non_null(copy);
    memcpy(copy, data, (size_t)len);
    if (tail.len > 0)
        memcpy(copy + len, tail.ptr, tail.len);
    copy[(size_t)len + tail.len] = '\0';
    BIO_free(b);
    return str_n(copy, (size_t)len + tail.len);
}

/* A PEM file holding several CRLs (cat root.crl.pem issuing.crl.pem) is
 * used whole: the issuing CA's revocations, second in the file, count. A
 * block that is not a CRL makes the file refused, naming the block. */
static void test_trust_uses_every_crl_of_a_pem_bundle(void **state)
{
    (void)state;
    str_t parts[2] = {crl_root.len ? crl_root : crl_issuing, crl_issuing};
    str_t bundle = pem_bundle(parts, 2, str_n(NULL, 0));
    trust_t *t = make_trust(anchors, registry, 0, 1);
    char why[TRUST_WHY_LEN];
    assert_int_equal(trust_check_crl(t, bundle, why, sizeof why), 2);

    str_t mixed = pem_bundle(parts + 1, 1, anchors);
    assert_int_equal(trust_check_crl(t, mixed, why, sizeof why), -1);
    assert_non_null(strstr(why, "PEM block 2"));
    assert_non_null(strstr(why, "CERTIFICATE"));
    free((void *)mixed.ptr);
    trust_free(t);

    trust_inputs_t in = {7, anchors, inters, registry, 1, &bundle};
    assert_int_equal(trust_build(&in, &t, why, sizeof why), 0);
    assert_int_equal(trust_crl_count(t), 2);
    assert_int_equal(trust_crls_rejected(t), 0);
    verdict_t *v = malloc(sizeof *v);
    size_t invalid = 0;
    for (size_t i = 0; i < npkgs; i++)
        if (strcmp(pkgs[i].expected, "invalid-after-crl") == 0) {
            verify_one(t, &pkgs[i], pkgs[i].json, v);
            assert_false(v->ok);
            assert_true(failed(v, VERIFY_REVOCATION, "homeroom_teacher"));
            invalid++;
        }
    assert_true(invalid >= 1);
    free(v);
    trust_free(t);
    free((void *)bundle.ptr);
}

static void test_verify_detects_one_altered_byte(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 0, 1);
    verdict_t *v = malloc(sizeof *v);
    const pkg_t *p = find_expected("valid");
    uint8_t *copy = malloc(p->jlen);
    memcpy(copy, p->json, p->jlen);
    char *digit = memchr(copy, '9', p->jlen);
    if (digit == NULL)
        digit = memchr(copy, '8', p->jlen);
    assert_non_null(digit);
    *digit = *digit == '9' ? '8' : '9';
    verify_one(t, p, copy, v);
    assert_false(v->ok);
    assert_true(failed(v, VERIFY_INTEGRITY, "homeroom_teacher"));
    assert_true(failed(v, VERIFY_INTEGRITY, "principal"));
    assert_true(failed(v, VERIFY_INTEGRITY, "school_seal"));
    free(copy);
    free(v);
    trust_free(t);
}

static void test_verify_detects_altered_signature_bytes(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 0, 1);
    verdict_t *v = malloc(sizeof *v);
    const pkg_t *p = find_expected("valid");
    pkg_t q = *p;
    q.p7s = malloc(p->plen);
    memcpy(q.p7s, p->p7s, p->plen);
    q.p7s[p->plen - 10] ^= 0x01; /* inside the last SignerInfo's signature */
    verify_one(t, &q, q.json, v);
    assert_false(v->ok);
    assert_true(failed(v, VERIFY_SIGNATURE, NULL));
    free(q.p7s);
    free(v);
    trust_free(t);
}

static void test_verify_distrusted_anchor_breaks_chain(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s/other.key "
             "-out %s/other.pem -subj '/CN=Another Root' -days 30 2>/dev/null",
             dir, dir);
    assert_int_equal(run(cmd), 0);
    str_t other = slurp_str("other.pem");
    trust_t *t = make_trust(other, registry, 0, 9);
    verdict_t *v = malloc(sizeof *v);
    const pkg_t *p = find_expected("valid");
    verify_one(t, p, p->json, v);
    assert_false(v->ok);
    assert_true(failed(v, VERIFY_CHAIN, "principal"));
    assert_false(failed(v, VERIFY_INTEGRITY, NULL));
    free(v);
    trust_free(t);
    free((void *)other.ptr);
}

static void test_verify_signed_after_publication_fails_validity(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 0, 1);
    verdict_t *v = malloc(sizeof *v);
    const pkg_t *p = find_expected("valid");
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    assert_int_equal(payload_parse(p->json, p->jlen, &pl, why, sizeof why), 0);
    /* published in 2001: every signing time is later than that */
    assert_int_equal(verify_package(t, &pl, p->json, p->jlen, p->p7s, p->plen, 978307200, NULL, v), 0);
    assert_false(v->ok);
    assert_true(failed(v, VERIFY_VALIDITY, "principal"));
    payload_free(&pl);
    free(v);
    trust_free(t);
}

static void test_verify_unregistered_seal_fails_seal_registry(void **state)
{
    (void)state;
    const char *empty = "{\"schema\":\"hocba.schools.v1\",\"schools\":[]}";
    trust_t *t = make_trust(anchors, str_c(empty), 0, 1);
    verdict_t *v = malloc(sizeof *v);
    const pkg_t *p = find_expected("valid");
    verify_one(t, p, p->json, v);
    assert_false(v->ok);
    assert_true(failed(v, VERIFY_SEAL_REGISTRY, "school_seal"));
    assert_false(failed(v, VERIFY_CHAIN, NULL));
    free(v);
    trust_free(t);
}

static void test_verify_same_verdict_with_warm_cache(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 1, 3);
    verdict_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    for (size_t i = 0; i < npkgs; i++) {
        verify_one(t, &pkgs[i], pkgs[i].json, a);
        verify_one(t, &pkgs[i], pkgs[i].json, b);
        assert_int_equal(a->ok, b->ok);
        assert_int_equal(a->nitems, b->nitems);
        for (size_t k = 0; k < a->nitems; k++)
            assert_int_equal(a->items[k].ok, b->items[k].ok);
    }
    free(a);
    free(b);
    trust_free(t);
}

/* Valid UTF-8 by RFC 3629's byte ranges: 1 or 0. */
static int utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u != 0) {
        size_t n = *u < 0x80 ? 1 : *u >= 0xC2 && *u <= 0xDF ? 2 : *u >= 0xE0 && *u <= 0xEF ? 3
                             : *u >= 0xF0 && *u <= 0xF4 ? 4 : 0;
        if (n == 0)
            return 0;
        unsigned char lo = *u == 0xE0 ? 0xA0 : *u == 0xF0 ? 0x90 : 0x80;
        unsigned char hi = *u == 0xED ? 0x9F : *u == 0xF4 ? 0x8F : 0xBF;
        for (size_t k = 1; k < n; k++)
            if (u[k] < (k == 1 ? lo : 0x80) || u[k] > (k == 1 ? hi : 0xBF))
                return 0;
        u += n;
    }
    return 1;
}

/* Details quote CA certificates' subjects (cut to 80 bytes) and are cut to
 * VERIFY_DETAIL_LEN: a cut inside a Vietnamese character would make the
 * detail invalid UTF-8, which the page and the API cannot carry. A signer's
 * own subject is never quoted (http.md: an invalid record names nobody, and
 * details are shown for invalid records): with the CRLs loaded, the revoked
 * teacher's detail says so without naming them. Every detail of every
 * package is whole UTF-8. */
static void test_verify_details_are_whole_utf8_and_name_no_signer(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 1, 9);
    verdict_t *v = malloc(sizeof *v);
    size_t quoted = 0, revoked = 0;
    for (size_t i = 0; i < npkgs; i++) {
        verify_one(t, &pkgs[i], pkgs[i].json, v);
        for (size_t k = 0; k < v->nitems; k++) {
            const char *d = v->items[k].detail;
            if (!utf8_valid(d))
                fail_msg("%s: the %s detail is not valid UTF-8: %s", pkgs[i].stem,
                         verify_check_name(v->items[k].check), d);
            quoted += strstr(d, "CN=") != NULL;
            revoked += strstr(d, "the signer's certificate was revoked") != NULL;
            for (size_t j = 0; j < v->nsigners; j++)
                if (v->signers[j].cn[0] && strstr(d, v->signers[j].cn) != NULL)
                    fail_msg("%s: the %s detail names a signer (%s): %s", pkgs[i].stem,
                             verify_check_name(v->items[k].check), v->signers[j].cn, d);
        }
        for (size_t k = 0; k < v->nsigners; k++)
            if (!utf8_valid(v->signers[k].cn) || !utf8_valid(v->signers[k].o) || !utf8_valid(v->signers[k].l))
                fail_msg("%s: signer CN, O or L is not valid UTF-8: %s / %s / %s", pkgs[i].stem, v->signers[k].cn,
                         v->signers[k].o, v->signers[k].l);
    }
    if (quoted == 0 || revoked == 0)
        fail_msg("expected a detail quoting a CA's subject (%zu) and one saying a signer's certificate was revoked "
                 "(%zu), found none",
                 quoted, revoked);
    free(v);
    trust_free(t);
}

/* A subject longer than the store keeps (255 bytes of RFC 2253) is cut on a
 * character: here the cut falls inside "ộ" (three bytes). */
static void test_trust_cuts_a_long_subject_on_a_character(void **state)
{
    (void)state;
    static const char *const rdns[][2] = {
        {"C", "VN"},
        {"ST", "Th\xC3\xA0nh ph\xE1\xBB\x91 H\xE1\xBB\x93 Ch\xC3\xAD Minh"},
        {"L", "Ph\xC6\xB0\xE1\xBB\x9Dng B\xE1\xBA\xBFn Ngh\xC3\xA9 Qu\xE1\xBA\xADn M\xE1\xBB\x99t Th\xC3\xA0nh ph\xE1\xBB\x91 H\xE1\xBB\x93 Ch\xC3\xAD Minh Vi\xE1\xBB\x87t Nam khu ph\xE1\xBB\x91 Ba \xC4\x91\xC6\xB0\xE1\xBB\x9Dng L\xC3\xAA"},
        {"O", "Tr\xC6\xB0\xE1\xBB\x9Dng Ti\xE1\xBB\x83u h\xE1\xBB\x8D" "c Nguy\xE1\xBB\x85n Th\xE1\xBB\x8B "
              "Minh Khai"},
        {"OU", "T\xE1\xBB\x95 chuy\xC3\xAAn m\xC3\xB4n kh\xE1\xBB\x91i m\xE1\xBB\x99t"},
        {"CN", "Nguy\xE1\xBB\x85n Th\xE1\xBB\x8B Ho\xC3\xA0ng Ph\xC6\xB0\xC6\xA1ng Th\xE1\xBA\xA3o "
               "Nguy\xC3\xAAn \xE1\xBB\x99\xE1\xBB\x99\xE1\xBB\x99\xE1\xBB\x99"},
    };
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name = X509_get_subject_name(x);
    assert_non_null(key);
    for (size_t i = 0; i < sizeof rdns / sizeof rdns[0]; i++)
        assert_int_equal(X509_NAME_add_entry_by_txt(name, rdns[i][0], MBSTRING_UTF8,
                                                    (const unsigned char *)rdns[i][1], -1, -1, 0),
                         1);
    X509_set_issuer_name(x, name);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    /* the whole subject as the store prints it, and where 255 bytes end */
    BIO *b = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char full[1024];
    int n = BIO_read(b, full, sizeof full - 1);
    BIO_free(b);
    assert_true(n > 255);
    full[n] = '\0';
    if (((unsigned char)full[255] & 0xC0) != 0x80)
        fail_msg("test setup: byte 255 of the subject should be inside a character: %s", full);
    unsigned char *der = NULL;
    int dlen = i2d_X509(x, &der);
    assert_true(dlen > 0);
    trust_t *t = make_trust(anchors, registry, 0, 5);
    trust_der_t d;
    assert_int_equal(trust_der(&d, der, (size_t)dlen), 0);
    trust_cert_t *c = trust_cert_get(t, &d);
    assert_non_null(c);
    size_t got = strlen(c->subject);
    if (!utf8_valid(c->subject) || got > 255 || got < 253 || memcmp(c->subject, full, got) != 0)
        fail_msg("expected the subject cut to whole characters within 255 bytes (%d in all), got %zu bytes: %s", n,
                 got, c->subject);
    trust_free(t);
    OPENSSL_free(der);
    X509_free(x);
    EVP_PKEY_free(key);
}

/* x signed with key, as DER (OPENSSL_free it); frees x and key. */
static unsigned char *signed_der(X509 *x, EVP_PKEY *key, int *len)
{
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    *len = i2d_X509(x, &der);
    assert_true(*len > 64);
    X509_free(x);
    EVP_PKEY_free(key);
    return der;
}

/* A self-signed certificate with a P-256 key, as DER (OPENSSL_free it). */
static unsigned char *self_signed_der(long serial, int *len)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               (const unsigned char *)"hint test", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    return signed_der(x, key, len);
}

/* A certificate for pub, signed by signer (a CA key or pub's own), as DER. */
static unsigned char *cert_for_key(EVP_PKEY *pub, EVP_PKEY *signer, long serial, int *len)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8, (const unsigned char *)"key test",
                               -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    assert_int_equal(X509_set_pubkey(x, pub), 1);
    assert_true(EVP_PKEY_up_ref(signer));
    return signed_der(x, signer, len);
}

static const trust_cert_t *cached(trust_t *t, const unsigned char *der, int len)
{
    trust_der_t d;
    assert_int_equal(trust_der(&d, der, (size_t)len), 0);
    const trust_cert_t *c = trust_cert_get(t, &d);
    assert_non_null(c);
    return c;
}

/* Check 6 compares keys (§5: "key" is the SubjectPublicKeyInfo): one key
 * in two encodings is one key, so that a second certificate for the seal's
 * key cannot pass as a person's by writing its key another way. An EC point
 * compressed and uncompressed, an RSA modulus under rsaEncryption and under
 * RSASSA-PSS: two SubjectPublicKeyInfo, one key_id; another key, another id. */
static void test_trust_one_key_in_two_encodings_is_one_key(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 0, 11);
    EVP_PKEY *ec = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
    assert_non_null(ec);
    assert_non_null(other);
    int l1, l2, l3;
    unsigned char *plain = cert_for_key(ec, ec, 1, &l1);
    assert_int_equal(EVP_PKEY_set_utf8_string_param(ec, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                                    OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED),
                     1);
    unsigned char *compressed = cert_for_key(ec, ec, 2, &l2);
    unsigned char *another = cert_for_key(other, other, 3, &l3);
    const trust_cert_t *a = cached(t, plain, l1), *b = cached(t, compressed, l2), *c = cached(t, another, l3);
    assert_int_not_equal(l1, l2); /* 65-byte point against 33 */
    assert_memory_equal(a->key_id, b->key_id, 32);
    assert_memory_not_equal(a->key_id, c->key_id, 32);

    EVP_PKEY *rsa = EVP_RSA_gen(2048), *pss = NULL;
    OSSL_PARAM *pub = NULL;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    assert_non_null(rsa);
    assert_int_equal(EVP_PKEY_todata(rsa, EVP_PKEY_PUBLIC_KEY, &pub), 1);
    assert_int_equal(EVP_PKEY_fromdata_init(pctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(pctx, &pss, EVP_PKEY_PUBLIC_KEY, pub), 1);
    int l4, l5;
    unsigned char *as_rsa = cert_for_key(rsa, rsa, 4, &l4), *as_pss = cert_for_key(pss, rsa, 5, &l5);
    const trust_cert_t *d = cached(t, as_rsa, l4), *e = cached(t, as_pss, l5);
    assert_int_equal(EVP_PKEY_get_base_id(e->pkey), EVP_PKEY_RSA_PSS);
    assert_memory_equal(d->key_id, e->key_id, 32);
    assert_memory_not_equal(d->key_id, a->key_id, 32);
    OSSL_PARAM_free(pub);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pss);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(other);
    EVP_PKEY_free(ec);
    OPENSSL_free(plain);
    OPENSSL_free(compressed);
    OPENSSL_free(another);
    OPENSSL_free(as_rsa);
    OPENSSL_free(as_pss);
    trust_free(t);
}

/* trust_der_hinted with hint h for len bytes at der: the hash it gives must
 * be the true SHA-256 of those bytes whatever the hint says. */
static void expect_hinted_hash(trust_t *t, const unsigned char *der, size_t len, const unsigned char *hint,
                               const char *what)
{
    trust_der_t d;
    unsigned char want[32];
    assert_int_equal(digest_sha256(der, len, want), 0);
    assert_int_equal(trust_der_hinted(t, &d, der, len, hint), 0);
    if (d.der != der || d.len != len || memcmp(d.sha256, want, 32) != 0)
        fail_msg("%s: expected the SHA-256 of the bytes given, got another hash", what);
}

/* The index names each certificate's SHA-256 and verification may take it
 * as a hint (the hash is skipped for a certificate the cache holds with the
 * same bytes), but a hint never decides: bytes that differ from the cached
 * certificate's by one bit, by length, or a certificate altogether
 * different, all get their own hash, and so a different cache entry. */
static void test_trust_certificate_hints_never_decide(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 0, 6);
    int alen, blen;
    unsigned char *a = self_signed_der(1, &alen), *b = self_signed_der(2, &blen);
    unsigned char ha[32], junk[32];
    assert_int_equal(digest_sha256(a, (size_t)alen, ha), 0);
    memset(junk, 0xA5, sizeof junk);

    expect_hinted_hash(t, a, (size_t)alen, NULL, "no hint");
    expect_hinted_hash(t, a, (size_t)alen, ha, "a right hint, certificate not cached yet");
    expect_hinted_hash(t, a, (size_t)alen, junk, "a hint no certificate has");
    trust_der_t d;
    assert_int_equal(trust_der(&d, a, (size_t)alen), 0);
    trust_cert_t *ca = trust_cert_get(t, &d);
    assert_non_null(ca);
    if (ca->der_len != (size_t)alen || memcmp(ca->der, a, (size_t)alen) != 0)
        fail_msg("expected the cache entry to keep the DER its hash was made from");

    expect_hinted_hash(t, a, (size_t)alen, ha, "a right hint, certificate cached");
    unsigned char *flip = malloc((size_t)alen);
    memcpy(flip, a, (size_t)alen);
    flip[alen / 2] ^= 0x01;
    expect_hinted_hash(t, flip, (size_t)alen, ha, "one bit changed, hint of the cached certificate");
    expect_hinted_hash(t, a, (size_t)alen - 1, ha, "one byte short, hint of the cached certificate");
    expect_hinted_hash(t, b, (size_t)blen, ha, "another certificate, hint of the cached one");
    /* and the other certificate is its own entry, not the cached one */
    assert_int_equal(trust_der_hinted(t, &d, b, (size_t)blen, ha), 0);
    trust_cert_t *cb = trust_cert_get(t, &d);
    if (cb == NULL || cb == ca || X509_cmp(cb->x, ca->x) == 0)
        fail_msg("expected a certificate given with another's hint to get its own cache entry");
    free(flip);
    OPENSSL_free(a);
    OPENSSL_free(b);
    trust_free(t);
}

/* The publisher shares its payload hash with verification and takes back
 * the certificates' hashes: the verdict is the one verify_package gives, the
 * hashes are those of the .p7s's certificates in order, and a hash that is
 * not the payload's fails integrity (it is used, and never trusted blindly). */
static void test_verify_shared_hashes(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 1, 4);
    verdict_t *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    verify_shared_t *sh = calloc(1, sizeof *sh);
    cms_signed_t *sd = malloc(sizeof *sd);
    char why[256];
    for (size_t i = 0; i < npkgs; i++) {
        payload_t pl;
        unsigned char h[32];
        int parsed = payload_parse(pkgs[i].json, pkgs[i].jlen, &pl, why, sizeof why) == PAYLOAD_OK;
        assert_int_equal(digest_sha256(pkgs[i].json, pkgs[i].jlen, h), 0);
        assert_int_equal(verify_package(t, parsed ? &pl : NULL, pkgs[i].json, pkgs[i].jlen, pkgs[i].p7s,
                                        pkgs[i].plen, now, NULL, a),
                         0);
        sh->payload_sha256 = h;
        assert_int_equal(verify_package_shared(t, parsed ? &pl : NULL, pkgs[i].json, pkgs[i].jlen, pkgs[i].p7s,
                                               pkgs[i].plen, now, NULL, sh, b),
                         0);
        assert_int_equal(a->ok, b->ok);
        assert_int_equal(a->nitems, b->nitems);
        assert_int_equal(cms_parse(pkgs[i].p7s, pkgs[i].plen, sd, why, sizeof why), CMS_OK);
        assert_int_equal(sh->ncerts, sd->ncerts);
        for (size_t k = 0; k < sd->ncerts; k++) {
            unsigned char ch[32];
            assert_int_equal(digest_sha256(sd->certs[k].der, sd->certs[k].len, ch), 0);
            assert_memory_equal(sh->cert_sha256[k], ch, 32);
        }
        if (a->ok) {
            h[0] ^= 1;
            assert_int_equal(verify_package_shared(t, parsed ? &pl : NULL, pkgs[i].json, pkgs[i].jlen,
                                                   pkgs[i].p7s, pkgs[i].plen, now, NULL, sh, b),
                             0);
            assert_false(b->ok);
            assert_true(failed(b, VERIFY_INTEGRITY, NULL));
        }
        if (parsed)
            payload_free(&pl);
    }
    free(sd);
    free(sh);
    free(a);
    free(b);
    trust_free(t);
}

/* A package found under its own lookup code verifies as before; under
 * another code (a record moved within the index) it fails integrity at the
 * package level, whatever its signatures say. */
static void test_verify_payload_must_give_the_code(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 1, 4);
    verdict_t *plain = malloc(sizeof *plain), *v = malloc(sizeof *v);
    verify_shared_t *sh = calloc(1, sizeof *sh);
    char why[256];
    int checked = 0;
    for (size_t i = 0; i < npkgs; i++) {
        payload_t pl;
        char own[CODE_LEN], other[CODE_LEN];
        int parsed = payload_parse(pkgs[i].json, pkgs[i].jlen, &pl, why, sizeof why) == PAYLOAD_OK;
        assert_int_equal(verify_package(t, parsed ? &pl : NULL, pkgs[i].json, pkgs[i].jlen, pkgs[i].p7s,
                                        pkgs[i].plen, now, NULL, plain),
                         0);
        code_from_payload(pkgs[i].json, pkgs[i].jlen, own);
        sh->code = own;
        assert_int_equal(verify_package_shared(t, parsed ? &pl : NULL, pkgs[i].json, pkgs[i].jlen,
                                               pkgs[i].p7s, pkgs[i].plen, now, NULL, sh, v),
                         0);
        assert_int_equal(v->ok, plain->ok);
        assert_int_equal(v->nitems, plain->nitems);
        if (plain->ok) {
            /* the code of the next package: a real code, of another record */
            code_from_payload(pkgs[(i + 1) % npkgs].json, pkgs[(i + 1) % npkgs].jlen, other);
            assert_memory_not_equal(own, other, CODE_LEN);
            sh->code = other;
            assert_int_equal(verify_package_shared(t, parsed ? &pl : NULL, pkgs[i].json, pkgs[i].jlen,
                                                   pkgs[i].p7s, pkgs[i].plen, now, NULL, sh, v),
                             0);
            assert_false(v->ok);
            assert_int_equal(v->nitems, plain->nitems + 1);
            const verify_item_t *it = &v->items[0];
            assert_int_equal(it->check, VERIFY_INTEGRITY);
            assert_int_equal(it->signer, -1);
            assert_false(it->ok);
            assert_non_null(strstr(it->detail, "lookup code"));
            /* every signature still checks out: only the code is wrong */
            for (size_t k = 1; k < v->nitems; k++)
                assert_true(v->items[k].ok);
            checked++;
        }
        if (parsed)
            payload_free(&pl);
    }
    assert_true(checked > 0);
    free(sh);
    free(plain);
    free(v);
    trust_free(t);
}

typedef struct {
    trust_t *t;
    int ok[128];
    size_t nitems[128];
    int differs; /* a later round disagreed with the first */
} verify_run_t;

/* Verify every package three times over on this thread (no cmocka asserts:
 * it runs on other threads). */
static void *verify_all(void *arg)
{
    verify_run_t *r = arg;
    verdict_t *v = malloc(sizeof *v);
    for (int round = 0; v != NULL && round < 3; round++) {
        for (size_t i = 0; i < npkgs; i++) {
            payload_t pl;
            char why[PAYLOAD_WHY_LEN];
            int parsed = payload_parse(pkgs[i].json, pkgs[i].jlen, &pl, why, sizeof why) == PAYLOAD_OK;
            if (verify_package(r->t, parsed ? &pl : NULL, pkgs[i].json, pkgs[i].jlen, pkgs[i].p7s,
                               pkgs[i].plen, now, NULL, v) != 0)
                r->differs = 1;
            if (parsed)
                payload_free(&pl);
            if (round == 0) {
                r->ok[i] = v->ok;
                r->nitems[i] = v->nitems;
            } else if (r->ok[i] != v->ok || r->nitems[i] != v->nitems) {
                r->differs = 1;
            }
        }
    }
    free(v);
    return NULL;
}

/* The demo's issuing CA certificate and its issuer's (the root's) key. */
static void demo_issuing_and_root_key(X509 **ca, EVP_PKEY **root)
{
    char path[512];
    snprintf(path, sizeof path, "%s/keys/issuing-ca.pem", dir);
    FILE *f = fopen(path, "r");
    *ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/keys/root-ca.key", dir);
    f = fopen(path, "r");
    *root = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    if (*ca == NULL || *root == NULL)
        fail_msg("test setup: cannot read the demo's issuing CA certificate or root key under %s/keys", dir);
}

/* The demo's issuing CA certified again by the root with its own name and
 * key (so the same key identifiers) but valid only in 2020: what a bundle
 * holds after a CA renewal, the old certificate left in. As DER (free it). */
static unsigned char *expired_issuing_copy(int *len)
{
    X509 *x;
    EVP_PKEY *root;
    demo_issuing_and_root_key(&x, &root);
    /* another serial of the same length, UTCTime dates as the original's:
     * the copy's DER is as long as the original's */
    ASN1_INTEGER *serial = X509_get_serialNumber(x);
    assert_true(serial->length > 0);
    serial->data[serial->length - 1] ^= 0x20;
    assert_int_equal(ASN1_UTCTIME_set_string(X509_getm_notBefore(x), "200101000000Z"), 1);
    assert_int_equal(ASN1_UTCTIME_set_string(X509_getm_notAfter(x), "210101000000Z"), 1);
    return signed_der(x, root, len);
}

static str_t pem_of(const unsigned char *der, int len)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, len);
    BIO *b = BIO_new(BIO_s_mem());
    assert_non_null(x);
    assert_true(PEM_write_bio_X509(b, x) == 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *copy = malloc((size_t)n);
    memcpy(copy, data, (size_t)n);
    BIO_free(b);
    X509_free(x);
    return str_n(copy, (size_t)n);
}

/* §5.4: every certificate of the chain valid at the signing time. After a
 * CA renewal a bundle may hold the CA's old certificate (same name and key,
 * expired) beside the new: a valid chain exists and must be found, in
 * whichever order the bundle has them. The chain had been built blind to
 * dates, taking the first match, so the order decided. */
static void test_verify_finds_the_valid_chain_beside_an_expired_ca_copy(void **state)
{
    (void)state;
    int olen;
    unsigned char *old = expired_issuing_copy(&olen);
    str_t oldpem = pem_of(old, olen);
    const pkg_t *p = find_expected("valid");
    assert_non_null(p);
    verdict_t *v = malloc(sizeof *v);
    for (int order = 0; order < 2; order++) {
        char *both = malloc(oldpem.len + inters.len);
        memcpy(both, order == 0 ? oldpem.ptr : inters.ptr, order == 0 ? oldpem.len : inters.len);
        memcpy(both + (order == 0 ? oldpem.len : inters.len), order == 0 ? inters.ptr : oldpem.ptr,
               order == 0 ? inters.len : oldpem.len);
        trust_inputs_t in = {
            40 + (uint64_t)order, anchors, str_n(both, oldpem.len + inters.len), registry, 0, NULL};
        trust_t *t = NULL;
        char why[TRUST_WHY_LEN];
        if (trust_build(&in, &t, why, sizeof why) != 0)
            fail_msg("trust_build: %s", why);
        verify_one(t, p, p->json, v);
        for (size_t i = 0; !v->ok && i < v->nitems; i++)
            if (!v->items[i].ok)
                fail_msg("%s, with the expired CA copy %s the current one: expected valid, got: %s", p->stem,
                         order == 0 ? "before" : "after", v->items[i].detail);
        assert_true(v->ok);
        trust_free(t);
        free(both);
    }
    free(v);
    free((void *)oldpem.ptr);
    OPENSSL_free(old);
}

/* A CRL of the demo root revoking the issuing CA now (after every demo
 * signature) with this reason, as DER in out (free it). */
static str_t root_crl_revoking_issuing(int reason)
{
    X509 *ca;
    EVP_PKEY *key;
    demo_issuing_and_root_key(&ca, &key);
    X509_CRL *crl = X509_CRL_new();
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_TIME *when = ASN1_TIME_set(NULL, time(NULL) - 60);
    ASN1_TIME *next = ASN1_TIME_set(NULL, time(NULL) + 86400);
    ASN1_ENUMERATED *why = ASN1_ENUMERATED_new();
    assert_true(crl && rev && when && next && why);
    assert_true(X509_CRL_set_version(crl, 1) == 1);
    assert_true(X509_CRL_set_issuer_name(crl, X509_get_issuer_name(ca)) == 1);
    assert_true(X509_CRL_set1_lastUpdate(crl, when) == 1);
    assert_true(X509_CRL_set1_nextUpdate(crl, next) == 1);
    assert_true(X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(ca)) == 1);
    assert_true(X509_REVOKED_set_revocationDate(rev, when) == 1);
    assert_true(ASN1_ENUMERATED_set(why, reason) == 1);
    assert_true(X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, why, 0, 0) == 1);
    assert_true(X509_CRL_add0_revoked(crl, rev) == 1);
    assert_true(X509_CRL_sort(crl) == 1);
    assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    assert_true(n > 0);
    char *copy = malloc((size_t)n);
    memcpy(copy, der, (size_t)n);
    OPENSSL_free(der);
    ASN1_ENUMERATED_free(why);
    ASN1_TIME_free(when);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
    X509_free(ca);
    return str_n(copy, (size_t)n);
}

/* decisions.md: a CA certificate revoked because the CA's key was
 * compromised (cACompromise) is revoked whatever the date, as keyCompromise
 * is; revoked for another reason (superseded) after the signing time, it
 * still was valid then. */
static void test_verify_ca_compromise_counts_whatever_the_date(void **state)
{
    (void)state;
    const pkg_t *p = find_expected("valid");
    assert_non_null(p);
    verdict_t *v = malloc(sizeof *v);
    static const int reasons[] = {CRL_REASON_CA_COMPROMISE, CRL_REASON_SUPERSEDED};
    for (int i = 0; i < 2; i++) {
        str_t crl = root_crl_revoking_issuing(reasons[i]);
        trust_inputs_t in = {60 + (uint64_t)i, anchors, inters, registry, 1, &crl};
        trust_t *t = NULL;
        char why[TRUST_WHY_LEN];
        if (trust_build(&in, &t, why, sizeof why) != 0)
            fail_msg("trust_build: %s", why);
        if (trust_crl_count(t) != 1)
            fail_msg("test setup: expected the root's CRL to be loaded, %zu CRLs are", trust_crl_count(t));
        verify_one(t, p, p->json, v);
        if (i == 0 && (v->ok || !failed(v, VERIFY_REVOCATION, NULL)))
            fail_msg("%s: expected a failed revocation check once the issuing CA is revoked for cACompromise "
                     "(after the signing time), got %s",
                     p->stem, v->ok ? "valid" : "other failures");
        if (i == 1 && !v->ok)
            fail_msg("%s: expected valid with the issuing CA revoked as superseded after the signing time",
                     p->stem);
        trust_free(t);
        free((void *)crl.ptr);
    }
    free(v);
}

/* Threads share the certificate cache and its chains. Package x carries the
 * issuing CA's certificate, package y (the same signers) only its expired
 * copy, and the store has no intermediate: x is valid and y is not, on
 * four threads at once, every time. The chain had been read from the cache
 * without its lock while another thread wrote it, and x came out invalid
 * now and then. */
typedef struct {
    trust_t *t;
    const pkg_t *x;
    const uint8_t *y;
    int wrong;
} chain_race_t;

static void *verify_x_and_y(void *arg)
{
    chain_race_t *r = arg;
    verdict_t *v = malloc(sizeof *v);
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    if (v == NULL || payload_parse(r->x->json, r->x->jlen, &pl, why, sizeof why) != PAYLOAD_OK) {
        r->wrong = -1;
        free(v);
        return NULL;
    }
    for (int i = 0; i < 300; i++) {
        const uint8_t *cms = i % 2 ? r->y : r->x->p7s;
        verify_package(r->t, &pl, r->x->json, r->x->jlen, cms, r->x->plen, now, NULL, v);
        r->wrong += v->ok != (i % 2 == 0);
    }
    payload_free(&pl);
    free(v);
    return NULL;
}

static void test_verify_chains_are_read_whole_on_threads(void **state)
{
    (void)state;
    int olen;
    unsigned char *old = expired_issuing_copy(&olen);
    const pkg_t *x = find_expected("valid");
    assert_non_null(x);
    /* the issuing CA's DER and its copy have the same length: swap it in place */
    const unsigned char *q = (const unsigned char *)inters.ptr;
    BIO *bio = BIO_new_mem_buf(q, (int)inters.len);
    X509 *cur = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    assert_non_null(cur);
    unsigned char *curder = NULL;
    int clen = i2d_X509(cur, &curder);
    X509_free(cur);
    if (clen != olen)
        fail_msg("test setup: the CA copy is %d bytes, the CA certificate %d", olen, clen);
    uint8_t *y = malloc(x->plen);
    memcpy(y, x->p7s, x->plen);
    uint8_t *at = memmem(y, x->plen, curder, (size_t)clen);
    if (at == NULL)
        fail_msg("test setup: %s does not carry the issuing CA's certificate", x->stem);
    memcpy(at, old, (size_t)olen);

    trust_inputs_t in = {50, anchors, str_n("", 0), registry, 0, NULL};
    trust_t *t = NULL;
    char why[TRUST_WHY_LEN];
    if (trust_build(&in, &t, why, sizeof why) != 0)
        fail_msg("trust_build: %s", why);
    chain_race_t r[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        r[i] = (chain_race_t){t, x, y, 0};
        assert_int_equal(pthread_create(&th[i], NULL, verify_x_and_y, &r[i]), 0);
    }
    int wrong = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        wrong += r[i].wrong;
    }
    if (wrong != 0)
        fail_msg("expected %s valid and its copy carrying the expired CA invalid on every one of 1,200 "
                 "verifications on four threads; %d verdicts were otherwise",
                 x->stem, wrong);
    trust_free(t);
    free(y);
    OPENSSL_free(curder);
    OPENSSL_free(old);
}

/* Signature contexts are kept per thread, a bounded number: with four of
 * them (one set) and more signing keys than that, two threads at once, each
 * round evicting, every verdict is the one a lone thread gives. */
static void test_verify_same_verdicts_on_two_threads_with_many_keys(void **state)
{
    (void)state;
    trust_t *t = make_trust(anchors, registry, 1, 3);
    verdict_t *v = malloc(sizeof *v);
    unsigned char seen[128 * 3][32];
    size_t nseen = 0;
    verify_run_t lone = {.t = t}, a = {.t = t}, b = {.t = t};
    verify_all(&lone);
    for (size_t i = 0; i < npkgs; i++) {
        verify_one(t, &pkgs[i], pkgs[i].json, v);
        for (size_t k = 0; k < v->nsigners; k++) {
            size_t j = 0;
            while (j < nseen && memcmp(seen[j], v->signers[k].cert_sha256, 32) != 0)
                j++;
            if (j == nseen && nseen < 128 * 3)
                memcpy(seen[nseen++], v->signers[k].cert_sha256, 32);
        }
    }
    if (nseen <= 4)
        fail_msg("expected more than 4 signing certificates among the packages, found %zu", nseen);
    verify_set_key_contexts(4);
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, verify_all, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, verify_all, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    verify_set_key_contexts(VERIFY_KEY_CONTEXTS);
    assert_false(lone.differs);
    assert_false(a.differs);
    assert_false(b.differs);
    for (size_t i = 0; i < npkgs; i++) {
        if (a.ok[i] != lone.ok[i] || b.ok[i] != lone.ok[i] || a.nitems[i] != lone.nitems[i])
            fail_msg("%s: verdict %d/%d on two threads, %d alone", pkgs[i].stem, a.ok[i], b.ok[i],
                     lone.ok[i]);
    }
    free(v);
    trust_free(t);
}

static void test_verify_recall_needs_school_authority(void **state)
{
    (void)state;
    const pkg_t *r = find_expected("recall-notice");
    assert_non_null(r);
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    assert_int_equal(payload_parse(r->json, r->jlen, &pl, why, sizeof why), 0);
    assert_int_equal(pl.kind, PAYLOAD_RECALL);
    verdict_t *v = malloc(sizeof *v);
    trust_t *t = make_trust(anchors, registry, 0, 1);
    assert_int_equal(verify_package(t, &pl, r->json, r->jlen, r->p7s, r->plen, now, NULL, v), 0);
    assert_true(v->ok); /* the registered seal suffices */
    trust_free(t);
    const char *empty = "{\"schema\":\"hocba.schools.v1\",\"schools\":[]}";
    t = make_trust(anchors, str_c(empty), 0, 1);
    assert_int_equal(verify_package(t, &pl, r->json, r->jlen, r->p7s, r->plen, now, NULL, v), 0);
    assert_false(v->ok);
    assert_true(failed(v, VERIFY_ROLES, NULL));
    trust_free(t);
    payload_free(&pl);
    free(v);
}

/* §4 rev. 2: the principal who signed the recalled transcript may sign its
 * recall alone only while the registry still lists that certificate where
 * it lists the school's principals. The demo's notice is also sealed, so
 * the school's entry here registers no seal (seal_registry fails): the
 * principal decides its roles. */
static void test_verify_recall_by_a_principal_no_longer_listed_fails(void **state)
{
    (void)state;
    const pkg_t *r = find_expected("recall-notice");
    assert_non_null(r);
    payload_t pl;
    char why[PAYLOAD_WHY_LEN], hex[65], reg[1024];
    assert_int_equal(payload_parse(r->json, r->jlen, &pl, why, sizeof why), 0);
    int pi = payload_find_role(&pl, "principal");
    assert_true(pi >= 0);
    const unsigned char *principal = pl.signers[pi].cert_sha256;
    str_hex(principal, 32, hex);
    static const struct {
        const char *list; /* the school's principal_certificates member; "*" the principal's hash */
        int ok;
    } t[] = {{"", 1}, {",\"principal_certificates\":[]", 1}, {",\"principal_certificates\":[\"*\"]", 1},
             {",\"principal_certificates\":[\"" HC "\"]", 0}};
    verdict_t *v = malloc(sizeof *v);
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char list[200];
        const char *star = strchr(t[i].list, '*');
        if (star != NULL)
            snprintf(list, sizeof list, "%.*s%s%s", (int)(star - t[i].list), t[i].list, hex, star + 1);
        else
            snprintf(list, sizeof list, "%s", t[i].list);
        snprintf(reg, sizeof reg,
                 "{\"schema\":\"hocba.schools.v2\",\"schools\":[{\"code\":\"%s\",\"name\":\"x\","
                 "\"province\":\"y\",\"seal_certificates\":[]%s}]}",
                 pl.school_code, list);
        trust_t *t2 = make_trust(anchors, str_c(reg), 0, 20 + i);
        assert_int_equal(verify_package(t2, &pl, r->json, r->jlen, r->p7s, r->plen, now, principal, v), 0);
        trust_free(t2);
        int roles_ok = !failed(v, VERIFY_ROLES, NULL); /* seal_registry fails: no seal is registered */
        if (roles_ok != t[i].ok)
            fail_msg("principal_certificates \"%s\": expected the recall's roles %s", list,
                     t[i].ok ? "to hold" : "to fail");
    }
    assert_true(failed(v, VERIFY_ROLES, NULL));
    int said = 0;
    for (size_t i = 0; i < v->nitems; i++)
        said |= !v->items[i].ok && strstr(v->items[i].detail, "no longer lists that certificate") != NULL;
    assert_true(said);
    free(v);
    payload_free(&pl);
}

/* A signature made by the stock tool with RSASSA-PSS verifies (and one
 * flipped bit of it does not). Only one signer: `openssl cms -resign`
 * cannot re-sign a PSS package in OpenSSL 3.0. */
static void test_verify_accepts_rsa_pss_from_the_stock_tool(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout pss.key -out pss.pem -subj '/CN=PSS signer' "
             "-days 30 -addext keyUsage=critical,digitalSignature 2>/dev/null && printf '{\"x\":1}' > pss.json && "
             "openssl cms -sign -binary -md sha256 -in pss.json -signer pss.pem -inkey pss.key "
             "-keyopt rsa_padding_mode:pss -outform DER -out pss.p7s",
             dir);
    assert_int_equal(run(cmd), 0);
    str_t anchor = slurp_str("pss.pem"), json = slurp_str("pss.json"), p7s = slurp_str("pss.p7s");
    trust_t *t = make_trust(anchor, registry, 0, 1);
    verdict_t *v = malloc(sizeof *v);
    assert_int_equal(verify_package(t, NULL, (const uint8_t *)json.ptr, json.len, (const uint8_t *)p7s.ptr, p7s.len,
                                    now + 60, NULL, v),
                     0);
    int signature_ok = 0;
    for (size_t i = 0; i < v->nitems; i++)
        signature_ok |= v->items[i].check == VERIFY_SIGNATURE && v->items[i].ok;
    assert_true(signature_ok);
    assert_false(failed(v, VERIFY_SIGNATURE, NULL));
    assert_false(failed(v, VERIFY_INTEGRITY, NULL));
    assert_false(failed(v, VERIFY_CHAIN, NULL));
    ((uint8_t *)p7s.ptr)[p7s.len - 5] ^= 0x10; /* inside the signature value */
    assert_int_equal(verify_package(t, NULL, (const uint8_t *)json.ptr, json.len, (const uint8_t *)p7s.ptr, p7s.len,
                                    now + 60, NULL, v),
                     0);
    assert_true(failed(v, VERIFY_SIGNATURE, NULL));
    free(v);
    trust_free(t);
    free((void *)anchor.ptr);
    free((void *)json.ptr);
    free((void *)p7s.ptr);
}

static void test_trust_refuses_bad_inputs(void **state)
{
    (void)state;
    trust_inputs_t in = {1, str_c(""), str_c(""), str_c(""), 0, NULL};
    trust_t *t = NULL;
    char why[TRUST_WHY_LEN];
    assert_int_equal(trust_build(&in, &t, why, sizeof why), -1);
    assert_non_null(strstr(why, "no trust anchors"));
    in.anchors = str_c("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert_int_equal(trust_build(&in, &t, why, sizeof why), -1);
    assert_int_equal(trust_check_registry(str_c("{\"schema\":\"x\"}"), why, sizeof why), -1);
    assert_int_equal(trust_check_registry(str_c("{\"schema\":\"hocba.schools.v1\",\"schools\":[{\"code\":\"A\","
                                                 "\"name\":\"n\",\"province\":\"p\",\"seal_certificates\":[\"AB\"]}]}"),
                                           why, sizeof why),
                     -1);
    assert_non_null(strstr(why, "64 lower-case hex"));
    /* a CRL signed by nobody we trust */
    t = make_trust(anchors, registry, 0, 1);
    assert_int_equal(trust_check_crl(t, crl_issuing, why, sizeof why), 1);
    assert_int_equal(trust_check_crl(t, str_c("not a crl"), why, sizeof why), -1);
    trust_free(t);
}

/* Registry documents, hocba.schools.v1 and v2 (package-format.md §6): what
 * is accepted and what is refused, with the words the refusal must hold. */
static void test_trust_registry_v2_is_checked_strictly(void **state)
{
    (void)state;
    static const struct {
        const char *json, *want; /* want: NULL when accepted, else words of the refusal */
    } t[] = {
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[\"" HA "\"],\"principal_certificates\":[\"" HB
                          "\"],\"teacher_certificates\":[\"" HB "\",\"" HC
                          "\"],\"former_names\":[{\"name\":\"Trường B\",\"province\":\"Hà Tây\","
                          "\"until\":\"2008-07-31\"},{\"name\":\"Trường C\",\"province\":\"Hà Nội\","
                          "\"until\":\"2025-06-30\"}]")),
         NULL},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"principal_certificates\":[],\"former_names\":[]")),
         NULL},
        {"{\"schema\":\"hocba.schools.v1\",\"schools\":[" SCHOOL(
             "TH1", ",\"seal_certificates\":[],\"district\":\"x\"") "]}",
         NULL},
        {"{\"schema\":\"hocba.schools.v3\",\"schools\":[]}", "\"hocba.schools.v2\""},
        {"[]", "schema"},
        {V2(SCHOOL("TH1", "")), "seal_certificates must be an array"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"principal_certificate\":[\"" HB "\"]")),
         "unknown member \"principal_certificate\""},
        {"{\"schema\":\"hocba.schools.v1\",\"schools\":[" SCHOOL("TH1", ",\"seal_certificates\":[],"
                                                                        "\"teacher_certificates\":[\"" HB
                                                                        "\"]") "]}",
         "teacher_certificates is a member of hocba.schools.v2"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"principal_certificates\":\"" HB "\"")),
         "principal_certificates must be an array"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"teacher_certificates\":[\"" HB "\",\"BB\"]")),
         "teacher_certificates[1] must be 64 lower-case hex"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"teacher_certificates\":[\"" HB "\",7]")),
         "teacher_certificates[1] must be 64 lower-case hex"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[\"" HA "\"]") "," SCHOOL(
             "TH2", ",\"seal_certificates\":[],\"principal_certificates\":[\"" HA "\"]")),
         "registered as the seal of school TH1"},
        {V2(SCHOOL("TH1",
                   ",\"seal_certificates\":[],\"former_names\":[{\"name\":\"B\",\"province\":\"P\"}]")),
         "former_names[0].until must be a date"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"former_names\":[{\"name\":\"B\",\"province\":\"P\","
                          "\"until\":\"2025-02-30\"}]")),
         "former_names[0].until must be a date"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"former_names\":[{\"name\":\"\",\"province\":\"P\","
                          "\"until\":\"2025-02-28\"}]")),
         "former_names[0] needs a name and a province"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"former_names\":[{\"name\":\"B\",\"province\":\"P\","
                          "\"until\":\"2025-02-28\",\"since\":\"2001-01-01\"}]")),
         "unknown member \"since\""},
        {V2(SCHOOL(
             "TH1",
             ",\"seal_certificates\":[],\"former_names\":[{\"name\":\"B\",\"province\":\"P\","
             "\"until\":\"2025-02-28\"},{\"name\":\"C\",\"province\":\"P\",\"until\":\"2025-02-28\"}]")),
         "two names end on 2025-02-28"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[],\"former_names\":{}")), "former_names must be an array"},
        {V2(SCHOOL("TH1", ",\"seal_certificates\":[]") "," SCHOOL(
             "TH2", ",\"seal_certificates\":[]") "," SCHOOL("TH1", ",\"seal_certificates\":[]")),
         "school TH1 is listed twice"},
        {V2("7"), "schools[0] must be an object"},
    };
    char why[TRUST_WHY_LEN];
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        why[0] = '\0';
        int n = trust_check_registry(str_c(t[i].json), why, sizeof why);
        if (t[i].want == NULL && n < 0)
            fail_msg("registry %zu: expected it to be accepted, got: %s", i, why);
        if (t[i].want != NULL && (n >= 0 || strstr(why, t[i].want) == NULL))
            fail_msg("registry %zu: expected a refusal saying \"%s\", got %d: %s", i, t[i].want, n, why);
    }
}

/* What the registry binds (§5, §6): staff lists only when non-empty and
 * only in v2; the name in force on a date with former_names. */
static void test_trust_registry_binds_staff_and_names_by_date(void **state)
{
    (void)state;
    unsigned char a[32], b[32], c[32];
    memset(a, 0xaa, 32), memset(b, 0xbb, 32), memset(c, 0xcc, 32);
    const char *v2 = V2(SCHOOL(
        "TH1",
        ",\"seal_certificates\":[\"" HA "\"],\"principal_certificates\":[\"" HB
        "\"],\"teacher_certificates\":[],\"former_names\":[{\"name\":\"Trường C\","
        "\"province\":\"Hà Tây\",\"until\":\"2025-06-30\"},{\"name\":\"Trường B\","
        "\"province\":\"Hà Tây\",\"until\":\"2008-07-31\"}]") "," SCHOOL("TH2", ",\"seal_certificates\":[]"));
    trust_t *t = make_trust(anchors, str_c(v2), 0, 1);
    assert_int_equal(trust_registry_version(t), 2);
    assert_int_equal(trust_staff_registered(t, "TH1", TRUST_STAFF_PRINCIPAL, b), TRUST_STAFF_LISTED);
    assert_int_equal(trust_staff_registered(t, "TH1", TRUST_STAFF_PRINCIPAL, c), TRUST_STAFF_NOT_LISTED);
    assert_int_equal(trust_staff_registered(t, "TH1", TRUST_STAFF_TEACHER, c),
                     TRUST_STAFF_UNBOUND); /* empty */
    assert_int_equal(trust_staff_registered(t, "TH2", TRUST_STAFF_PRINCIPAL, c),
                     TRUST_STAFF_UNBOUND); /* absent */
    assert_int_equal(trust_staff_registered(t, "TH9", TRUST_STAFF_PRINCIPAL, c),
                     TRUST_STAFF_UNBOUND); /* unknown */
    assert_string_equal(trust_seal_school(t, a), "TH1");
    static const struct {
        const char *date, *name, *province, *until;
    } when[] = {
        {"2001-09-05", "Trường B", "Hà Tây", "2008-07-31"},
        {"2008-07-31", "Trường B", "Hà Tây", "2008-07-31"},
        {"2008-08-01", "Trường C", "Hà Tây", "2025-06-30"},
        {"2025-06-30", "Trường C", "Hà Tây", "2025-06-30"},
        {"2025-07-01", "Trường A", "Hà Nội", NULL},
        {NULL, "Trường A", "Hà Nội", NULL},
    };
    for (size_t i = 0; i < sizeof when / sizeof *when; i++) {
        const char *name, *prov, *until;
        assert_int_equal(trust_school_name(t, "TH1", when[i].date, &name, &prov, &until), 0);
        if (strcmp(name, when[i].name) != 0 || strcmp(prov, when[i].province) != 0 ||
            (until == NULL) != (when[i].until == NULL) ||
            (until != NULL && strcmp(until, when[i].until) != 0))
            fail_msg("on %s: expected %s, %s (until %s), got %s, %s (until %s)",
                     when[i].date ? when[i].date : "-", when[i].name, when[i].province,
                     when[i].until ? when[i].until : "-", name, prov, until ? until : "-");
    }
    const char *name, *prov;
    assert_int_equal(trust_school_name(t, "TH9", NULL, &name, &prov, NULL), -1);
    /* the same lists in v1 bind nothing: v1 cannot even say them */
    trust_t *t1 = make_trust(
        anchors, str_c("{\"schema\":\"hocba.schools.v1\",\"schools\":[" SCHOOL("TH1", ",\"seal_certificates\":[]") "]}"),
        0, 1);
    assert_int_equal(trust_registry_version(t1), 1);
    assert_string_equal(trust_school_code(t1, 0), "TH1");
    assert_null(trust_school_code(t1, 1));
    assert_int_equal(trust_staff_registered(t1, "TH1", TRUST_STAFF_PRINCIPAL, c), TRUST_STAFF_UNBOUND);
    /* entries compare by content, lists in any order */
    const char *reordered = V2(SCHOOL("TH2", ",\"seal_certificates\":[]") "," SCHOOL(
        "TH1",
        ",\"seal_certificates\":[\"" HA "\"],\"teacher_certificates\":[],\"principal_certificates\":[\"" HB
        "\"],\"former_names\":[{\"name\":\"Trường B\",\"province\":\"Hà Tây\",\"until\":\"2008-07-31\"},"
        "{\"name\":\"Trường C\",\"province\":\"Hà Tây\",\"until\":\"2025-06-30\"}]"));
    const char *changed =
        V2(SCHOOL("TH1", ",\"seal_certificates\":[\"" HA "\"],\"principal_certificates\":[\"" HC
                         "\"],\"former_names\":[{\"name\":\"Trường C\",\"province\":\"Hà Tây\","
                         "\"until\":\"2025-06-30\"},{\"name\":\"Trường B\",\"province\":\"Hà Tây\","
                         "\"until\":\"2008-07-31\"}]"));
    trust_t *t2 = make_trust(anchors, str_c(reordered), 0, 2),
            *t3 = make_trust(anchors, str_c(changed), 0, 3);
    assert_true(trust_school_same(t, t2, "TH1"));
    assert_true(trust_school_same(t, t2, "TH2"));
    assert_false(trust_school_same(t, t3, "TH1"));
    assert_false(trust_school_same(t, t3, "TH2")); /* gone */
    assert_true(trust_school_same(t, t3, "TH9"));  /* in neither */
    trust_free(t3);
    trust_free(t2);
    trust_free(t1);
    trust_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_der_refuses_truncation_and_ber),
        cmocka_unit_test(test_der_time_reads_both_forms),
        cmocka_unit_test(test_cms_reads_three_signers_of_a_demo_package),
        cmocka_unit_test(test_cms_refuses_every_truncation_without_crashing),
        cmocka_unit_test(test_cms_refuses_data_after_the_signed_data),
        cmocka_unit_test(test_cms_refuses_text_and_attached),
        cmocka_unit_test(test_verify_demo_packages_valid_before_crl),
        cmocka_unit_test(test_verify_key_compromise_crl_invalidates_only_that_signer),
        cmocka_unit_test(test_verify_detects_one_altered_byte),
        cmocka_unit_test(test_verify_detects_altered_signature_bytes),
        cmocka_unit_test(test_verify_distrusted_anchor_breaks_chain),
        cmocka_unit_test(test_verify_signed_after_publication_fails_validity),
        cmocka_unit_test(test_verify_unregistered_seal_fails_seal_registry),
        cmocka_unit_test(test_verify_same_verdict_with_warm_cache),
        cmocka_unit_test(test_verify_same_verdicts_on_two_threads_with_many_keys),
        cmocka_unit_test(test_verify_details_are_whole_utf8_and_name_no_signer),
        cmocka_unit_test(test_verify_shared_hashes),
        cmocka_unit_test(test_trust_certificate_hints_never_decide),
        cmocka_unit_test(test_verify_finds_the_valid_chain_beside_an_expired_ca_copy),
        cmocka_unit_test(test_verify_chains_are_read_whole_on_threads),
        cmocka_unit_test(test_verify_ca_compromise_counts_whatever_the_date),
        cmocka_unit_test(test_verify_payload_must_give_the_code),
        cmocka_unit_test(test_trust_uses_every_crl_of_a_pem_bundle),
        cmocka_unit_test(test_trust_cuts_a_long_subject_on_a_character),
        cmocka_unit_test(test_verify_recall_needs_school_authority),
        cmocka_unit_test(test_verify_recall_by_a_principal_no_longer_listed_fails),
        cmocka_unit_test(test_verify_accepts_rsa_pss_from_the_stock_tool),
        cmocka_unit_test(test_trust_refuses_bad_inputs),
        cmocka_unit_test(test_trust_one_key_in_two_encodings_is_one_key),
        cmocka_unit_test(test_trust_registry_v2_is_checked_strictly),
        cmocka_unit_test(test_trust_registry_binds_staff_and_names_by_date),
    };
    return cmocka_run_group_tests_name("verify", tests, setup, teardown);
}
