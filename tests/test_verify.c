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

#include "lookup/ber.h"
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
    char(*codes)[CODE_LEN + 1] = calloc(4096, sizeof *codes);
    char(*exp)[32] = calloc(4096, sizeof *exp);
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
    trust_inputs_t in = {version, a, inters, reg, with_crls ? (crl_root.len ? 2 : 1) : 0, crls, 0, NULL};
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
    const uint8_t longform[] = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5}; /* non-minimal length: BER only */
    c = der_cursor(longform, sizeof longform);
    assert_int_equal(der_next(&c, &e), DER_EBER);
    const uint8_t huge[] = {0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0};
    c = der_cursor(huge, sizeof huge);
    assert_int_equal(der_next(&c, &e), DER_EBAD);
    c = der_cursor(NULL, 0);
    assert_int_equal(der_next(&c, &e), DER_EEND);
}

static void test_der_time_reads_both_forms(void **state)
{
    (void)state;
    der_elem_t e = {.tag = DER_UTCTIME, .val = (const uint8_t *)"250520083000Z", .len = 13};
    int64_t t;
    assert_int_equal(der_time(&e, &t), DER_OK);
    assert_int_equal(t, 1747729800);
    der_elem_t g = {.tag = DER_GENTIME, .val = (const uint8_t *)"20500101000000Z", .len = 15};
    assert_int_equal(der_time(&g, &t), DER_OK);
    assert_int_equal(t, 2524608000);
    der_elem_t bad = {.tag = DER_UTCTIME, .val = (const uint8_t *)"250229083000Z", .len = 13};
    assert_int_equal(der_time(&bad, &t), DER_EBAD);
    der_elem_t local = {.tag = DER_UTCTIME, .val = (const uint8_t *)"2505200830000", .len = 13};
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

    trust_inputs_t in = {7, anchors, inters, registry, 1, &bundle, 0, NULL};
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
        size_t n = *u < 0x80                  ? 1
                   : *u >= 0xC2 && *u <= 0xDF ? 2
                   : *u >= 0xE0 && *u <= 0xEF ? 3
                   : *u >= 0xF0 && *u <= 0xF4 ? 4
                                              : 0;
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
                fail_msg("%s: signer CN, O or L is not valid UTF-8: %s / %s / %s", pkgs[i].stem,
                         v->signers[k].cn, v->signers[k].o, v->signers[k].l);
    }
    if (quoted == 0 || revoked == 0)
        fail_msg("expected a detail quoting a CA's subject (%zu) and one saying a signer's certificate was "
                 "revoked "
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
        {"L", "Ph\xC6\xB0\xE1\xBB\x9Dng B\xE1\xBA\xBFn Ngh\xC3\xA9 Qu\xE1\xBA\xADn M\xE1\xBB\x99t "
              "Th\xC3\xA0nh ph\xE1\xBB\x91 H\xE1\xBB\x93 Ch\xC3\xAD Minh Vi\xE1\xBB\x87t Nam khu "
              "ph\xE1\xBB\x91 Ba \xC4\x91\xC6\xB0\xE1\xBB\x9Dng L\xC3\xAA"},
        {"O", "Tr\xC6\xB0\xE1\xBB\x9Dng Ti\xE1\xBB\x83u h\xE1\xBB\x8D"
              "c Nguy\xE1\xBB\x85n Th\xE1\xBB\x8B "
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
        fail_msg(
            "expected the subject cut to whole characters within 255 bytes (%d in all), got %zu bytes: %s", n,
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
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               (const unsigned char *)"key test", -1, -1, 0);
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
        assert_int_equal(verify_package_shared(t, parsed ? &pl : NULL, pkgs[i].json, pkgs[i].jlen,
                                               pkgs[i].p7s, pkgs[i].plen, now, NULL, sh, b),
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
            40 + (uint64_t)order, anchors, str_n(both, oldpem.len + inters.len), registry, 0, NULL, 0, NULL};
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
        trust_inputs_t in = {60 + (uint64_t)i, anchors, inters, registry, 1, &crl, 0, NULL};
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

    trust_inputs_t in = {50, anchors, str_n("", 0), registry, 0, NULL, 0, NULL};
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
    } t[] = {{"", 1},
             {",\"principal_certificates\":[]", 1},
             {",\"principal_certificates\":[\"*\"]", 1},
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
    snprintf(
        cmd, sizeof cmd,
        "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout pss.key -out pss.pem -subj '/CN=PSS "
        "signer' "
        "-days 30 -addext keyUsage=critical,digitalSignature 2>/dev/null && printf '{\"x\":1}' > pss.json && "
        "openssl cms -sign -binary -md sha256 -in pss.json -signer pss.pem -inkey pss.key "
        "-keyopt rsa_padding_mode:pss -outform DER -out pss.p7s",
        dir);
    assert_int_equal(run(cmd), 0);
    str_t anchor = slurp_str("pss.pem"), json = slurp_str("pss.json"), p7s = slurp_str("pss.p7s");
    trust_t *t = make_trust(anchor, registry, 0, 1);
    verdict_t *v = malloc(sizeof *v);
    assert_int_equal(verify_package(t, NULL, (const uint8_t *)json.ptr, json.len, (const uint8_t *)p7s.ptr,
                                    p7s.len, now + 60, NULL, v),
                     0);
    int signature_ok = 0;
    for (size_t i = 0; i < v->nitems; i++)
        signature_ok |= v->items[i].check == VERIFY_SIGNATURE && v->items[i].ok;
    assert_true(signature_ok);
    assert_false(failed(v, VERIFY_SIGNATURE, NULL));
    assert_false(failed(v, VERIFY_INTEGRITY, NULL));
    assert_false(failed(v, VERIFY_CHAIN, NULL));
    ((uint8_t *)p7s.ptr)[p7s.len - 5] ^= 0x10; /* inside the signature value */
    assert_int_equal(verify_package(t, NULL, (const uint8_t *)json.ptr, json.len, (const uint8_t *)p7s.ptr,
                                    p7s.len, now + 60, NULL, v),
                     0);
    assert_true(failed(v, VERIFY_SIGNATURE, NULL));
    free(v);
    trust_free(t);
    free((void *)anchor.ptr);
    free((void *)json.ptr);
    free((void *)p7s.ptr);
}

/* ---- revocation fails closed (package-format.md §6) -------------------------------------------- */

/* The DER of the demo's certificate keys/LABEL.pem (free it). */
static str_t demo_cert_der(const char *label)
{
    char path[512];
    snprintf(path, sizeof path, "%s/keys/%s.pem", dir, label);
    FILE *f = fopen(path, "r");
    X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f)
        fclose(f);
    unsigned char *der = NULL;
    int n = x ? i2d_X509(x, &der) : -1;
    X509_free(x);
    if (n <= 0)
        fail_msg("test setup: cannot read %s", path);
    char *copy = malloc((size_t)n);
    memcpy(copy, der, (size_t)n);
    OPENSSL_free(der);
    return str_n(copy, (size_t)n);
}

/* One row: trust inputs, and what a valid package, the revoked teacher's
 * package and an altered package give under them. */
typedef struct {
    const char *what;
    int intermediates;         /* the intermediates bundle is in the store */
    int crl_issuing, crl_root; /* which CRLs are stored */
    int remember_issuing, remember_root;
    int valid_ok, valid_unjudged;     /* a valid package */
    int revoked_ok, revoked_unjudged; /* the keyCompromise teacher's */
    size_t unchecked;                 /* trust_issuers_unchecked */
} remembered_case_t;

static const remembered_case_t REMEMBERED[] = {
    {"both CAs remembered, their CRLs verify", 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
    {"the intermediates taken out of the store: the issuing CA's CRL no longer verifies", 0, 1, 1, 1, 1, 1, 1,
     1, 1, 1},
    {"the issuing CA's CRL dropped from the set", 1, 0, 1, 1, 1, 1, 1, 1, 1, 1},
    {"no CA ever published a CRL: nothing to judge against", 1, 0, 0, 0, 0, 1, 0, 1, 0, 0},
    {"an issuer not remembered, its CRL taken out: as before", 1, 0, 1, 0, 1, 1, 0, 1, 0, 0},
    {"the root's CRL dropped: the issuing CA's own revocation cannot be judged", 1, 1, 0, 1, 1, 1, 1, 0, 1,
     1},
};

/* Once an issuer has published a CRL it is judged against a CRL of it that
 * verifies now; without one, every signature under it is "cannot check
 * now" (unjudged, never valid), while a package that fails another check
 * stays invalid. The revoked teacher's package was valid in rows 2 and 3:
 * its CRL was silently left out. */
static void test_verify_remembered_issuer_without_a_verifying_crl_is_unjudged(void **state)
{
    (void)state;
    const pkg_t *good = find_expected("valid"), *revoked = find_expected("invalid-after-crl");
    assert_non_null(good);
    assert_non_null(revoked);
    str_t issuing = demo_cert_der("issuing-ca"), root = demo_cert_der("root-ca");
    trust_issuer_t both[2];
    assert_int_equal(trust_issuer_of_cert((const uint8_t *)issuing.ptr, issuing.len, &both[0]), 0);
    assert_int_equal(trust_issuer_of_cert((const uint8_t *)root.ptr, root.len, &both[1]), 0);
    uint8_t *altered = malloc(good->jlen);
    memcpy(altered, good->json, good->jlen);
    altered[good->jlen / 2] ^= 0x01;
    verdict_t *v = malloc(sizeof *v);
    for (size_t i = 0; i < sizeof REMEMBERED / sizeof *REMEMBERED; i++) {
        const remembered_case_t *rc = &REMEMBERED[i];
        str_t crls[2];
        trust_issuer_t remembered[2];
        size_t ncrls = 0, nrem = 0;
        if (rc->crl_issuing)
            crls[ncrls++] = crl_issuing;
        if (rc->crl_root)
            crls[ncrls++] = crl_root;
        if (rc->remember_issuing)
            remembered[nrem++] = both[0];
        if (rc->remember_root)
            remembered[nrem++] = both[1];
        trust_inputs_t in = {100 + i,  anchors,   rc->intermediates ? inters : str_c(""),
                             registry, ncrls,     crls,
                             nrem,     remembered};
        trust_t *t = NULL;
        char why[TRUST_WHY_LEN];
        if (trust_build(&in, &t, why, sizeof why) != 0)
            fail_msg("%s: trust_build: %s", rc->what, why);
        if (trust_issuers_unchecked(t) != rc->unchecked)
            fail_msg("%s: expected %zu remembered issuers without a verifying CRL, got %zu", rc->what,
                     rc->unchecked, trust_issuers_unchecked(t));
        const pkg_t *pk[2] = {good, revoked};
        for (int k = 0; k < 2; k++) {
            verify_one(t, pk[k], pk[k]->json, v);
            int want_ok = k ? rc->revoked_ok : rc->valid_ok,
                want_unjudged = k ? rc->revoked_unjudged : rc->valid_unjudged;
            if (v->ok != want_ok || (v->unjudged > 0) != want_unjudged) {
                char r[1024];
                verify_reason(v, r, sizeof r);
                fail_msg("%s: the %s package: expected %s%s, got %s%s (%s)", rc->what,
                         k ? "revoked teacher's" : "valid", want_ok ? "ok" : "not ok",
                         want_unjudged ? " and unjudged" : "", v->ok ? "ok" : "not ok",
                         v->unjudged ? " and unjudged" : "", r);
            }
            if (v->unjudged && strstr(v->unjudged_ca, "Hocba DEMO") == NULL)
                fail_msg("%s: expected the CA that cannot be checked named, got \"%s\"", rc->what,
                         v->unjudged_ca);
        }
        /* a package that fails another check keeps its failure */
        pkg_t copy = *good;
        verify_one(t, &copy, altered, v);
        if (v->ok || !failed(v, VERIFY_INTEGRITY, NULL))
            fail_msg("%s: expected the altered package to fail integrity", rc->what);
        trust_free(t);
    }
    free(v);
    free(altered);
    free((void *)issuing.ptr);
    free((void *)root.ptr);
}

/* What status and /metrics show of each CRL: its issuer (CN and a short
 * hash of name and key), number, dates, and whether it verifies; and of each
 * remembered issuer whether a CRL of it verifies and whether it is in the
 * store. A CRL that no longer verifies is still attributed to its issuer by
 * the remembered key. */
static void test_trust_reports_each_crl_and_remembered_issuer(void **state)
{
    (void)state;
    str_t issuing = demo_cert_der("issuing-ca"), root = demo_cert_der("root-ca");
    trust_issuer_t both[2];
    unsigned char issuing_id[32];
    char issuing_hash[9];
    assert_int_equal(trust_issuer_of_cert((const uint8_t *)issuing.ptr, issuing.len, &both[0]), 0);
    assert_int_equal(trust_issuer_of_cert((const uint8_t *)root.ptr, root.len, &both[1]), 0);
    assert_int_equal(trust_issuer_id(&both[0], issuing_id), 0);
    str_hex(issuing_id, 4, issuing_hash);
    str_t crls[2] = {crl_issuing, crl_root};
    for (int with_inters = 1; with_inters >= 0; with_inters--) {
        trust_inputs_t in = {7, anchors, with_inters ? inters : str_c(""), registry, 2, crls, 2, both};
        trust_t *t = NULL;
        char why[TRUST_WHY_LEN];
        assert_int_equal(trust_build(&in, &t, why, sizeof why), 0);
        const trust_crl_info_t *ci;
        assert_int_equal(trust_crl_infos(t, &ci), 2);
        const trust_crl_info_t *is = &ci[0];
        if (strcmp(is->issuer_cn, "Hocba DEMO Issuing CA") != 0 ||
            strcmp(is->issuer_hash, issuing_hash) != 0 || !is->issuer_known || is->verifies != with_inters ||
            is->file != 0)
            fail_msg("with%s intermediates: expected the issuing CA's CRL as \"Hocba DEMO Issuing CA\" [%s], "
                     "verifying %d, got \"%s\" [%s], known %d, verifying %d",
                     with_inters ? "" : "out", issuing_hash, with_inters, is->issuer_cn, is->issuer_hash,
                     is->issuer_known, is->verifies);
        assert_string_equal(is->number, "1");
        assert_true(is->this_update > 1700000000 && is->next_update > is->this_update);
        assert_true(ci[1].verifies && strstr(ci[1].issuer_cn, "Hocba DEMO Root CA") == ci[1].issuer_cn);
        const trust_issuer_info_t *ii;
        assert_int_equal(trust_issuer_infos(t, &ii), 2);
        assert_memory_equal(ii[0].id, issuing_id, 32);
        assert_int_equal(ii[0].checked, with_inters);
        assert_int_equal(ii[0].in_store, with_inters);
        assert_true(ii[1].checked && ii[1].in_store);
        /* the package's own copy of the issuing CA is that issuer: what it issued is unjudged */
        trust_der_t d;
        assert_int_equal(trust_der(&d, (const uint8_t *)issuing.ptr, issuing.len), 0);
        const trust_cert_t *c = trust_cert_get(t, &d);
        assert_non_null(c);
        assert_memory_equal(c->ca_id, issuing_id, 32);
        assert_int_equal(c->revocations_unknown, !with_inters);
        trust_free(t);
    }
    free((void *)issuing.ptr);
    free((void *)root.ptr);
}

static void test_trust_refuses_bad_inputs(void **state)
{
    (void)state;
    trust_inputs_t in = {1, str_c(""), str_c(""), str_c(""), 0, NULL, 0, NULL};
    trust_t *t = NULL;
    char why[TRUST_WHY_LEN];
    assert_int_equal(trust_build(&in, &t, why, sizeof why), -1);
    assert_non_null(strstr(why, "no trust anchors"));
    in.anchors = str_c("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert_int_equal(trust_build(&in, &t, why, sizeof why), -1);
    assert_int_equal(trust_check_registry(str_c("{\"schema\":\"x\"}"), why, sizeof why), -1);
    assert_int_equal(
        trust_check_registry(str_c("{\"schema\":\"hocba.schools.v1\",\"schools\":[{\"code\":\"A\","
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

/* ---- BER: packages of other producers (tests/fixtures/mkber.sh) ------------------ */

/* Each package of tests/fixtures/ber/batch and what made it. */
static const struct {
    const char *stem, *producer;
} BER_PKGS[] = {
    {"bc-getencoded", "Bouncy Castle CMSSignedDataGenerator, getEncoded()"},
    {"bc-stream", "Bouncy Castle CMSSignedDataStreamGenerator"},
    {"gpgsm", "GnuPG gpgsm --detach-sign, three signers"},
};
#define NBER (sizeof BER_PKGS / sizeof *BER_PKGS)

/* A file of tests/fixtures/ber (the tests run from the project root). */
static str_t ber_fixture(const char *name)
{
    char path[300];
    size_t len = 0;
    snprintf(path, sizeof path, "tests/fixtures/ber/%s", name);
    uint8_t *b = slurp(path, &len);
    if (b == NULL)
        fail_msg("%s is missing: run the tests from the project root", path);
    return str_n(b, len);
}

static trust_t *ber_trust(void)
{
    str_t a = ber_fixture("trust/anchors.pem"), i = ber_fixture("trust/intermediates.pem"),
          r = ber_fixture("schools.json");
    trust_inputs_t in = {1, a, i, r, 0, NULL, 0, NULL};
    trust_t *t = NULL;
    char why[TRUST_WHY_LEN];
    if (trust_build(&in, &t, why, sizeof why) != 0)
        fail_msg("trust_build (BER fixtures): %s", why);
    free((void *)a.ptr);
    free((void *)i.ptr);
    free((void *)r.ptr);
    return t;
}

typedef struct {
    str_t json, p7s;
} ber_pkg_t;

static ber_pkg_t ber_pkg(size_t i)
{
    char name[100];
    ber_pkg_t p;
    snprintf(name, sizeof name, "batch/%s.json", BER_PKGS[i].stem);
    p.json = ber_fixture(name);
    snprintf(name, sizeof name, "batch/%s.p7s", BER_PKGS[i].stem);
    p.p7s = ber_fixture(name);
    return p;
}

static void ber_pkg_free(ber_pkg_t *p)
{
    free((void *)p->json.ptr);
    free((void *)p->p7s.ptr);
}

/* Verify p7s[0..len) as the signature file of p's payload; v on the heap. */
static void ber_verify(trust_t *t, const ber_pkg_t *p, const uint8_t *p7s, size_t len, verdict_t *v)
{
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    if (payload_parse((const uint8_t *)p->json.ptr, p->json.len, &pl, why, sizeof why) != PAYLOAD_OK)
        fail_msg("a BER fixture's payload does not parse: %s", why);
    assert_int_equal(
        verify_package(t, &pl, (const uint8_t *)p->json.ptr, p->json.len, p7s, len, now, NULL, v), 0);
    payload_free(&pl);
}

/* The failed item of a check for verdict signer idx (-1: the package), or NULL. */
static const verify_item_t *failed_item(const verdict_t *v, int check, int idx)
{
    for (size_t i = 0; i < v->nitems; i++)
        if (!v->items[i].ok && v->items[i].check == check && v->items[i].signer == idx)
            return &v->items[i];
    return NULL;
}

/* Child k of the SignedData of a .p7s (0 version, 1 digestAlgorithms, 2
 * encapContentInfo, 3 certificates, then crls or signerInfos). */
static der_elem_t signed_data_child(const uint8_t *p7s, size_t len, int k)
{
    der_cur_t c = der_cursor_ber(p7s, len);
    der_elem_t ci, e;
    assert_int_equal(der_next(&c, &ci), DER_OK);
    der_cur_t in = der_inside(&ci);
    assert_int_equal(der_next(&in, &e), DER_OK); /* contentType */
    assert_int_equal(der_next(&in, &e), DER_OK); /* [0] */
    in = der_inside(&e);
    assert_int_equal(der_next(&in, &e), DER_OK); /* SignedData */
    in = der_inside(&e);
    for (int i = 0; i <= k; i++)
        assert_int_equal(der_next(&in, &e), DER_OK);
    return e;
}

static der_elem_t first_child(const der_elem_t *e)
{
    der_cur_t c = der_inside(e);
    der_elem_t k;
    assert_int_equal(der_next(&c, &k), DER_OK);
    return k;
}

/* The element e of a file at base, encoded again with base[at, at + oldlen)
 * replaced by rep[0..replen): oldlen 0 inserts at a boundary between
 * elements, otherwise the range is one whole element. Definite lengths of
 * the elements holding it are made to fit; indefinite ones stay so.
 * Writes to out (room for e->rawlen + replen + 16); returns the length. */
static size_t rebuild(const uint8_t *base, const der_elem_t *e, size_t at, size_t oldlen, const uint8_t *rep,
                      size_t replen, uint8_t *out)
{
    size_t start = (size_t)(e->raw - base), end = start + e->rawlen;
    if (oldlen > 0 && at == start && oldlen == e->rawlen) {
        memcpy(out, rep, replen);
        return replen;
    }
    int inside = oldlen > 0 ? at >= start && at + oldlen <= end : at > start && at < end;
    if (!inside) {
        memcpy(out, e->raw, e->rawlen);
        return e->rawlen;
    }
    uint8_t *body = malloc(e->rawlen + replen + 16);
    size_t n = 0, h;
    der_cur_t c = der_inside(e);
    der_elem_t k;
    for (;;) {
        if (oldlen == 0 && at == (size_t)(c.p - base)) {
            memcpy(body + n, rep, replen);
            n += replen;
        }
        if (der_next(&c, &k) != DER_OK)
            break;
        n += rebuild(base, &k, at, oldlen, rep, replen, body + n);
    }
    if (e->indefinite) {
        out[0] = (uint8_t)e->tag, out[1] = 0x80, h = 2;
    } else {
        h = der_header(e->tag, n, out);
    }
    memcpy(out + h, body, n);
    if (e->indefinite)
        out[h + n] = 0, out[h + n + 1] = 0, n += 2;
    free(body);
    return h + n;
}

/* A .p7s with in[at, at + oldlen) replaced by rep (see rebuild); malloc'd. */
static uint8_t *splice(const uint8_t *in, size_t len, size_t at, size_t oldlen, const uint8_t *rep,
                       size_t replen, size_t *outlen)
{
    der_cur_t c = der_cursor_ber(in, len);
    der_elem_t ci;
    assert_int_equal(der_next(&c, &ci), DER_OK);
    uint8_t *out = malloc(len + replen + 16);
    *outlen = rebuild(in, &ci, at, oldlen, rep, replen, out);
    return out;
}

/* Each producer's package parses and verifies, every check holding, as is
 * and wrapped in PEM: the files are BER (indefinite lengths), which was
 * refused as "DER is required". */
static void test_verify_ber_packages_of_each_producer_are_valid(void **state)
{
    (void)state;
    trust_t *t = ber_trust();
    verdict_t *v = malloc(sizeof *v);
    cms_signed_t *sd = malloc(sizeof *sd);
    for (size_t i = 0; i < NBER; i++) {
        ber_pkg_t p = ber_pkg(i);
        const uint8_t *b = (const uint8_t *)p.p7s.ptr;
        char why[256];
        if (p.p7s.len < 2 || b[1] != 0x80 || ber_is_der(b, p.p7s.len, 0) != 0)
            fail_msg("%s: the fixture should be BER with indefinite lengths", BER_PKGS[i].stem);
        if (cms_parse(b, p.p7s.len, sd, why, sizeof why) != CMS_OK)
            fail_msg("%s (%s): expected it to parse, got: %s", BER_PKGS[i].stem, BER_PKGS[i].producer, why);
        assert_int_equal(sd->nsigners, 3);
        for (size_t k = 0; k < sd->nsigners; k++)
            if (sd->signers[k].problem != NULL)
                fail_msg("%s: signature %zu: %s", BER_PKGS[i].stem, k + 1, sd->signers[k].problem);
        ber_verify(t, &p, b, p.p7s.len, v);
        if (!v->ok) {
            char r[1024];
            verify_reason(v, r, sizeof r);
            fail_msg("%s (%s): expected every check to hold, got: %s", BER_PKGS[i].stem, BER_PKGS[i].producer,
                     r);
        }
        assert_int_equal(v->nsigners, 3);
        size_t signatures = 0;
        for (size_t k = 0; k < v->nitems; k++)
            signatures += v->items[k].check == VERIFY_SIGNATURE && v->items[k].ok;
        assert_int_equal(signatures, 3);
        /* PEM-wrapped, the same BER verifies too (package-format.md §1) */
        BIO *bio = BIO_new(BIO_s_mem());
        char *pem;
        assert_true(PEM_write_bio(bio, "CMS", "", (const unsigned char *)b, (long)p.p7s.len) > 0);
        long pemlen = BIO_get_mem_data(bio, &pem);
        ber_verify(t, &p, (const uint8_t *)pem, (size_t)pemlen, v);
        if (!v->ok) {
            char r[1024];
            verify_reason(v, r, sizeof r);
            fail_msg("%s in PEM: expected every check to hold, got: %s", BER_PKGS[i].stem, r);
        }
        BIO_free(bio);
        ber_pkg_free(&p);
    }
    free(sd);
    free(v);
    trust_free(t);
}

/* How the signed attributes are written again in BER. */
enum { ATTRS_SAME_DER, ATTRS_TIME_CHANGED, ATTRS_EXTRA, ATTRS_DIGEST_TWICE };

static const uint8_t OID_MD[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04};
static const uint8_t OID_ST[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05};

/* The signed attributes a[0..n) (DER, tag [0]) in BER: indefinite lengths,
 * in reverse order (so unsorted), each OID with a long-form length and the
 * messageDigest as a constructed OCTET STRING of two segments; all of which
 * their DER undoes. change then alters what they say, or not. */
static size_t ber_attrs(const uint8_t *a, size_t n, int change, uint8_t *out)
{
    der_cur_t c = der_cursor(a, n);
    der_elem_t attrs, list[16];
    size_t count = 0, o = 0;
    assert_int_equal(der_next(&c, &attrs), DER_OK);
    der_cur_t in = der_inside(&attrs);
    while (count < 16 && der_next(&in, &list[count]) == DER_OK)
        count++;
    out[o++] = 0xa0, out[o++] = 0x80;
    if (change == ATTRS_EXTRA) { /* 1.2.3.4 = NULL: an attribute the signer never signed */
        static const uint8_t extra[] = {0x30, 0x80, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x31,
                                        0x80, 0x05, 0x00, 0,    0,    0,    0};
        memcpy(out + o, extra, sizeof extra), o += sizeof extra;
    }
    if (change == ATTRS_DIGEST_TWICE) { /* a second messageDigest, of other bytes */
        out[o++] = 0x30, out[o++] = 0x80, out[o++] = 0x06, out[o++] = sizeof OID_MD;
        memcpy(out + o, OID_MD, sizeof OID_MD), o += sizeof OID_MD;
        out[o++] = 0x31, out[o++] = 0x80, out[o++] = 0x24, out[o++] = 0x80, out[o++] = 0x04, out[o++] = 32;
        memset(out + o, 0x55, 32), o += 32;
        memset(out + o, 0, 6), o += 6; /* the OCTET STRING, SET and SEQUENCE end */
    }
    for (size_t i = count; i-- > 0;) {
        der_cur_t ac = der_inside(&list[i]);
        der_elem_t oid, values, val;
        assert_int_equal(der_next(&ac, &oid), DER_OK);
        assert_int_equal(der_next(&ac, &values), DER_OK);
        der_cur_t vc = der_inside(&values);
        assert_int_equal(der_next(&vc, &val), DER_OK);
        out[o++] = 0x30, out[o++] = 0x80, out[o++] = 0x06, out[o++] = 0x81, out[o++] = (uint8_t)oid.len;
        memcpy(out + o, oid.val, oid.len), o += oid.len;
        out[o++] = 0x31, out[o++] = 0x80;
        int md = oid.len == sizeof OID_MD && memcmp(oid.val, OID_MD, oid.len) == 0;
        int st = oid.len == sizeof OID_ST && memcmp(oid.val, OID_ST, oid.len) == 0;
        if (md && val.tag == DER_OCTET_STRING && val.len > 1) {
            size_t half = val.len / 2;
            out[o++] = 0x24, out[o++] = 0x80, out[o++] = 0x04, out[o++] = (uint8_t)half;
            memcpy(out + o, val.val, half), o += half;
            out[o++] = 0x04, out[o++] = (uint8_t)(val.len - half);
            memcpy(out + o, val.val + half, val.len - half), o += val.len - half;
            out[o++] = 0, out[o++] = 0;
        } else {
            memcpy(out + o, val.raw, val.rawlen);
            if (st && change == ATTRS_TIME_CHANGED) /* one second later or earlier: "...SSZ" */
                out[o + val.rawlen - 2] ^= 1;
            o += val.rawlen;
        }
        memset(out + o, 0, 4), o += 4;
    }
    out[o++] = 0, out[o++] = 0;
    return o;
}

/* Signed attributes that come in BER are verified over their DER (RFC 5652
 * §5.4) and read from that DER: the same attributes in BER verify; BER
 * attributes whose DER differs from what was signed (a signing time moved
 * by a second, an attribute added) fail the signature check, and a second
 * messageDigest hidden in a BER form is seen. Each producer, signature 1. */
static void test_verify_ber_signed_attributes_are_verified_as_their_der(void **state)
{
    (void)state;
    static const struct {
        int change;
        const char *name, *why; /* NULL: every check holds */
    } CASES[] = {
        {ATTRS_SAME_DER, "the same attributes in BER", NULL},
        {ATTRS_TIME_CHANGED, "signingTime moved by a second",
         "over the DER encoding of its signed attributes"},
        {ATTRS_EXTRA, "an attribute added", "over the DER encoding of its signed attributes"},
        {ATTRS_DIGEST_TWICE, "a second messageDigest", "a signed attribute appears twice"},
    };
    trust_t *t = ber_trust();
    verdict_t *v = malloc(sizeof *v);
    cms_signed_t *sd = malloc(sizeof *sd);
    char why[256];
    for (size_t i = 0; i < NBER; i++) {
        ber_pkg_t p = ber_pkg(i);
        const uint8_t *b = (const uint8_t *)p.p7s.ptr;
        assert_int_equal(cms_parse(b, p.p7s.len, sd, why, sizeof why), CMS_OK);
        size_t at = (size_t)(sd->signers[0].attrs - b), alen = sd->signers[0].attrslen;
        int64_t signed_at = sd->signers[0].signing_time;
        for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k++) {
            uint8_t attrs[2048];
            size_t n = ber_attrs(b + at, alen, CASES[k].change, attrs), len;
            uint8_t *f = splice(b, p.p7s.len, at, alen, attrs, n, &len);
            if (cms_parse(f, len, sd, why, sizeof why) != CMS_OK || !sd->signers[0].attrs_ber)
                fail_msg("%s, %s: expected to parse with BER signed attributes, got: %s", BER_PKGS[i].stem,
                         CASES[k].name, why);
            ber_verify(t, &p, f, len, v);
            const verify_item_t *sig = failed_item(v, VERIFY_SIGNATURE, 0);
            if (CASES[k].why == NULL && !v->ok) {
                char r[1024];
                verify_reason(v, r, sizeof r);
                fail_msg("%s, %s: expected every check to hold, got: %s", BER_PKGS[i].stem, CASES[k].name, r);
            }
            if (CASES[k].why != NULL && (sig == NULL || strstr(sig->detail, CASES[k].why) == NULL))
                fail_msg(
                    "%s, %s: expected the signature check of signature 1 to fail with \"...%s...\", got %s",
                    BER_PKGS[i].stem, CASES[k].name, CASES[k].why, sig ? sig->detail : "no failure");
            for (int s = 1; s < 3; s++)
                if (failed_item(v, VERIFY_SIGNATURE, s) != NULL ||
                    failed_item(v, VERIFY_INTEGRITY, s) != NULL)
                    fail_msg("%s, %s: signature %d should be untouched", BER_PKGS[i].stem, CASES[k].name,
                             s + 1);
            /* the time shown is the one read from the DER that was verified */
            if (CASES[k].change == ATTRS_TIME_CHANGED)
                assert_int_equal(llabs(v->signers[0].signing_time - signed_at), 1);
            else if (CASES[k].change != ATTRS_DIGEST_TWICE)
                assert_int_equal(v->signers[0].signing_time, signed_at);
            free(f);
        }
        ber_pkg_free(&p);
    }
    free(sd);
    free(v);
    trust_free(t);
}

/* The private key of the fixture PKI that goes with a certificate. */
static EVP_PKEY *fixture_key_of(const uint8_t *der, size_t len)
{
    static const char *const NAMES[] = {"teacher", "teacher-rsa", "principal", "seal"};
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    assert_non_null(x);
    EVP_PKEY *found = NULL;
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES && found == NULL; i++) {
        char name[64];
        snprintf(name, sizeof name, "pki/%s.key", NAMES[i]);
        str_t pem = ber_fixture(name);
        BIO *b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
        EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        if (k != NULL && EVP_PKEY_eq(k, X509_get0_pubkey(x)) == 1)
            found = k;
        else
            EVP_PKEY_free(k);
        BIO_free(b);
        free((void *)pem.ptr);
    }
    X509_free(x);
    assert_non_null(found);
    return found;
}

/* A signer that signs its attributes in the order it sends them, unsorted
 * (so not their DER), is accepted, as `openssl cms -verify` accepts it (it
 * verifies over the order received; decisions.md); the same file with a
 * signing time changed is not. */
static void test_verify_accepts_attributes_signed_unsorted_as_openssl_does(void **state)
{
    (void)state;
    trust_t *t = ber_trust();
    verdict_t *v = malloc(sizeof *v);
    cms_signed_t *sd = malloc(sizeof *sd);
    ber_pkg_t p = ber_pkg(0);
    const uint8_t *b = (const uint8_t *)p.p7s.ptr;
    char why[256];
    assert_int_equal(cms_parse(b, p.p7s.len, sd, why, sizeof why), CMS_OK);
    const cms_signer_t *s = &sd->signers[0];
    size_t at = (size_t)(s->attrs - b), alen = s->attrslen;
    EVP_PKEY *key = fixture_key_of(sd->certs[s->cert].der, sd->certs[s->cert].len);

    /* the same attributes (DER each) in reverse order: as long as before */
    uint8_t *f = malloc(p.p7s.len), attrs[2048];
    memcpy(f, b, p.p7s.len);
    der_cur_t c = der_cursor(b + at, alen);
    der_elem_t top, list[16];
    size_t count = 0, hdr;
    assert_int_equal(der_next(&c, &top), DER_OK);
    hdr = (size_t)(top.val - top.raw);
    der_cur_t in = der_inside(&top);
    while (count < 16 && der_next(&in, &list[count]) == DER_OK)
        count++;
    assert_true(count >= 3);
    size_t o = hdr;
    memcpy(attrs, top.raw, hdr);
    for (size_t i = count; i-- > 0;)
        memcpy(attrs + o, list[i].raw, list[i].rawlen), o += list[i].rawlen;
    assert_int_equal(o, alen);
    memcpy(f + at, attrs, alen);

    /* signed as sent: SET tag, unsorted */
    uint8_t sig[600];
    size_t siglen = sizeof sig;
    attrs[0] = DER_SET;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, attrs, alen), 1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    uint8_t rep[620];
    size_t oldsig = (size_t)(s->signature - b), oldhdr = der_header(DER_OCTET_STRING, s->signature_len, rep);
    size_t n = der_header(DER_OCTET_STRING, siglen, rep), len;
    memcpy(rep + n, sig, siglen);
    uint8_t *g = splice(f, p.p7s.len, oldsig - oldhdr, oldhdr + s->signature_len, rep, n + siglen, &len);

    /* openssl verifies it */
    char path[400], cmd[1500];
    snprintf(path, sizeof path, "%s/unsorted.p7s", dir);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(g, 1, len, out), len);
    fclose(out);
    snprintf(
        cmd, sizeof cmd,
        "openssl cms -verify -binary -inform DER -in %s -content tests/fixtures/ber/batch/%s.json "
        "-CAfile tests/fixtures/ber/trust/anchors.pem -certfile tests/fixtures/ber/trust/intermediates.pem "
        "-out /dev/null 2>/dev/null",
        path, BER_PKGS[0].stem);
    if (run(cmd) != 0)
        fail_msg("test setup: openssl should accept attributes signed in the order sent");

    /* verified here too */
    ber_verify(t, &p, g, len, v);
    const verify_item_t *it = failed_item(v, VERIFY_SIGNATURE, 0);
    if (it != NULL || !v->ok)
        fail_msg("expected attributes signed in the order sent to verify, got %s",
                 it ? it->detail : "a failure");
    /* and a byte of the signingTime changed breaks it, in either order */
    const uint8_t *st = memmem(g + at, alen, "\x17\x0d", 2); /* UTCTime, 13 bytes */
    assert_non_null(st);
    g[(size_t)(st - g) + 12] ^= 0x01; /* a digit of the seconds */
    ber_verify(t, &p, g, len, v);
    it = failed_item(v, VERIFY_SIGNATURE, 0);
    if (it == NULL || strstr(it->detail, "sorted or in the order the file sends them") == NULL)
        fail_msg("expected the altered signing time to fail the signature, got %s",
                 it ? it->detail : "no failure");
    free(g);
    free(f);
    ber_pkg_free(&p);
    free(sd);
    free(v);
    trust_free(t);
}

/* Hostile BER is refused, saying which encoding rule breaks and where; the
 * verdict carries the reason. Made from a Bouncy Castle package, whose
 * SignedData and certificate set have indefinite lengths. */
enum {
    H_UNTERMINATED,
    H_EOC_IN_DEFINITE,
    H_TOO_DEEP,
    H_LENGTH_OVERFLOW,
    H_AFTER_CONTENT_INFO,
    H_AFTER_SIGNED_DATA,
    H_BER_CERTIFICATE
};

static uint8_t *hostile(int kind, const uint8_t *b, size_t len, size_t *outlen)
{
    uint8_t rep[256], *f;
    size_t n = 0;
    der_elem_t certs = signed_data_child(b, len, 3), infos = signed_data_child(b, len, 4);
    der_elem_t si = first_child(&infos), cert = first_child(&certs);
    size_t after_certs = (size_t)(certs.raw - b) + certs.rawlen;
    switch (kind) {
    case H_UNTERMINATED: /* the ContentInfo's end-of-contents octets cut off */
        f = malloc(len);
        memcpy(f, b, len - 2);
        *outlen = len - 2;
        return f;
    case H_EOC_IN_DEFINITE: /* end-of-contents octets inside the (definite) signerInfos */
        f = malloc(si.rawlen + 2);
        f[0] = f[1] = 0;
        memcpy(f + 2, si.raw, si.rawlen);
        uint8_t *g = splice(b, len, (size_t)(si.raw - b), si.rawlen, f, si.rawlen + 2, outlen);
        free(f);
        return g;
    case H_TOO_DEEP: /* a CRL set of 40 nested indefinite SEQUENCEs */
        rep[n++] = 0xa1, rep[n++] = 0x80;
        for (int i = 0; i < 40; i++)
            rep[n++] = 0x30, rep[n++] = 0x80;
        memset(rep + n, 0, 82), n += 82;
        return splice(b, len, after_certs, 0, rep, n, outlen);
    case H_LENGTH_OVERFLOW: /* a CRL set whose length does not fit 64 bits */
        rep[n++] = 0xa1, rep[n++] = 0x89;
        memset(rep + n, 0xff, 9), n += 9;
        return splice(b, len, after_certs, 0, rep, n, outlen);
    case H_AFTER_CONTENT_INFO:
        f = malloc(len + 2);
        memcpy(f, b, len);
        f[len] = 0x05, f[len + 1] = 0x00;
        *outlen = len + 2;
        return f;
    case H_AFTER_SIGNED_DATA: /* a NULL inside [0], after the SignedData's end-of-contents octets */
        rep[0] = 0x05, rep[1] = 0x00;
        return splice(b, len, len - 4, 0, rep, 2, outlen);
    default: /* the first certificate with an indefinite length */
        f = malloc(cert.rawlen + 4);
        f[0] = 0x30, f[1] = 0x80;
        memcpy(f + 2, cert.val, cert.len);
        f[2 + cert.len] = f[3 + cert.len] = 0;
        uint8_t *h = splice(b, len, (size_t)(cert.raw - b), cert.rawlen, f, cert.len + 4, outlen);
        free(f);
        return h;
    }
}

static void test_cms_refuses_hostile_ber_with_its_reason(void **state)
{
    (void)state;
    static const struct {
        int kind;
        const char *name, *why;
    } CASES[] = {
        {H_UNTERMINATED, "unterminated indefinite length",
         "an indefinite length has no end-of-contents octets at byte"},
        {H_EOC_IN_DEFINITE, "end-of-contents in a definite length",
         "end-of-contents octets where no indefinite length ends at byte"},
        {H_TOO_DEEP, "nesting beyond the limit", "elements nested more than 32 deep at byte"},
        {H_LENGTH_OVERFLOW, "length overflow", "a length runs past the end of what holds it at byte"},
        {H_AFTER_CONTENT_INFO, "data after the ContentInfo",
         "data after the end of the outermost element at byte"},
        {H_AFTER_SIGNED_DATA, "data after the SignedData in [0]", "has data after its SignedData"},
        {H_BER_CERTIFICATE, "a certificate in BER", "certificate 1 in the signature file is not DER-encoded"},
    };
    trust_t *t = ber_trust();
    verdict_t *v = malloc(sizeof *v);
    cms_signed_t *sd = malloc(sizeof *sd);
    ber_pkg_t p = ber_pkg(0);
    const uint8_t *b = (const uint8_t *)p.p7s.ptr;
    for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k++) {
        size_t len;
        char why[256] = "";
        uint8_t *f = hostile(CASES[k].kind, b, p.p7s.len, &len);
        int rc = cms_parse(f, len, sd, why, sizeof why);
        if (rc != CMS_EFORMAT || strstr(why, CASES[k].why) == NULL)
            fail_msg("%s: expected CMS_EFORMAT \"...%s...\", got %d \"%s\"", CASES[k].name, CASES[k].why, rc,
                     why);
        ber_verify(t, &p, f, len, v);
        const verify_item_t *it = failed_item(v, VERIFY_SIGNATURE, -1);
        if (v->ok || it == NULL || strstr(it->detail, CASES[k].why) == NULL)
            fail_msg("%s: expected the verdict to say \"...%s...\", got %s", CASES[k].name, CASES[k].why,
                     it ? it->detail : "no such failure");
        free(f);
    }
    ber_pkg_free(&p);
    free(sd);
    free(v);
    trust_free(t);
}

/* Producer 1's package parsed into sd: its first signer's certificate. */
static const cms_cert_t *first_signer_cert(const ber_pkg_t *p, cms_signed_t *sd)
{
    char why[256];
    if (cms_parse((const uint8_t *)p->p7s.ptr, p->p7s.len, sd, why, sizeof why) != CMS_OK ||
        sd->signers[0].cert < 0)
        fail_msg("expected the package to parse with its first signer's certificate: %s", why);
    return &sd->certs[sd->signers[0].cert];
}

/* A certificate that is BER inside (a name's length in the long form) is
 * read by the CMS reader, which reads only its outer fields, and refused by
 * the signature check: a certificate in the file must be DER (§5 check 2). */
static void test_verify_refuses_a_signer_certificate_in_ber(void **state)
{
    (void)state;
    trust_t *t = ber_trust();
    verdict_t *v = malloc(sizeof *v);
    cms_signed_t *sd = malloc(sizeof *sd);
    ber_pkg_t p = ber_pkg(0);
    const uint8_t *b = (const uint8_t *)p.p7s.ptr;
    char why[256];
    const cms_cert_t *c = first_signer_cert(&p, sd);
    /* the subject: the field after the validity, in tbsCertificate */
    der_cur_t cc = der_cursor(c->der, c->len);
    der_elem_t cert, tbs, e;
    assert_int_equal(der_next(&cc, &cert), DER_OK);
    cc = der_inside(&cert);
    assert_int_equal(der_next(&cc, &tbs), DER_OK);
    cc = der_inside(&tbs);
    for (int i = 0; i < 6; i++) /* [0] version, serial, signature, issuer, validity, subject */
        assert_int_equal(der_next(&cc, &e), DER_OK);
    der_elem_t rdn = first_child(&e);
    assert_true(rdn.len < 0x80 && rdn.rawlen == rdn.len + 2);
    uint8_t rep[200];
    rep[0] = rdn.raw[0], rep[1] = 0x81, rep[2] = (uint8_t)rdn.len;
    memcpy(rep + 3, rdn.val, rdn.len);
    size_t len;
    uint8_t *f = splice(b, p.p7s.len, (size_t)(rdn.raw - b), rdn.rawlen, rep, rdn.len + 3, &len);
    if (cms_parse(f, len, sd, why, sizeof why) != CMS_OK)
        fail_msg("expected the CMS reader to read past the certificate's inside, got: %s", why);
    ber_verify(t, &p, f, len, v);
    const verify_item_t *it = failed_item(v, VERIFY_SIGNATURE, 0);
    if (it == NULL || strstr(it->detail, "not DER-encoded") == NULL)
        fail_msg("expected signature 1 to fail as not DER-encoded, got %s", it ? it->detail : "no failure");
    free(f);
    ber_pkg_free(&p);
    free(sd);
    free(v);
    trust_free(t);
}

/* The issuer Name in the sid of a .p7s's first SignerInfo. */
static der_elem_t first_sid_issuer(const uint8_t *p7s, size_t len)
{
    der_elem_t e = signed_data_child(p7s, len, 3), last = e; /* certificates; signerInfos come last */
    der_cur_t c = der_cursor_ber(e.raw + e.rawlen, (size_t)(p7s + len - (e.raw + e.rawlen)));
    while (der_next(&c, &e) == DER_OK && (e.tag == DER_CTX(1) || e.tag == DER_SET)) {
        last = e;
        if (e.tag == DER_SET)
            break;
    }
    assert_int_equal(last.tag, DER_SET);
    der_elem_t si = first_child(&last), version, sid;
    der_cur_t sc = der_inside(&si);
    assert_int_equal(der_next(&sc, &version), DER_OK);
    assert_int_equal(der_next(&sc, &sid), DER_OK);
    assert_int_equal(sid.tag, DER_SEQUENCE);
    return first_child(&sid);
}

/* The first string of a Name (its first RDN's value): where its tag byte is in the Name's bytes. */
static size_t first_string_at(const der_elem_t *name)
{
    der_elem_t rdn = first_child(name), atv = first_child(&rdn), oid, value;
    der_cur_t c = der_inside(&atv);
    assert_int_equal(der_next(&c, &oid), DER_OK);
    assert_int_equal(der_next(&c, &value), DER_OK);
    assert_true(value.tag == 0x0c || value.tag == 0x13); /* UTF8String or PrintableString */
    return (size_t)(value.raw - name->raw);
}

/* A SignerInfo names its certificate by issuer and serial number; the issuer Name may come in BER
 * (RFC 5652 allows it, package-format.md §1) or with another string type than the certificate
 * has, and OpenSSL's CMS reader still finds the certificate (X509_NAME_cmp). Ours compared the
 * bytes, so such a package lost its signer ("its certificate is not included"). Another Name
 * still finds none. Producer 1's package, signature 1. */
static void test_verify_finds_a_signer_certificate_by_its_issuer_as_a_name(void **state)
{
    (void)state;
    enum { AS_BER, OTHER_STRING_TYPE, OTHER_NAME };
    static const struct {
        const char *what;
        int how, valid;
    } CASES[] = {
        {"the issuer Name in BER, indefinite length", AS_BER, 1},
        {"its first string in another string type", OTHER_STRING_TYPE, 1},
        {"another Name (a letter changed)", OTHER_NAME, 0},
    };
    trust_t *t = ber_trust();
    verdict_t *v = malloc(sizeof *v);
    ber_pkg_t p = ber_pkg(0);
    const uint8_t *b = (const uint8_t *)p.p7s.ptr;
    der_elem_t issuer = first_sid_issuer(b, p.p7s.len);
    assert_false(issuer.indefinite);
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        uint8_t rep[1024];
        size_t replen = issuer.rawlen, at = first_string_at(&issuer), len;
        assert_true(issuer.rawlen + 4 <= sizeof rep);
        memcpy(rep, issuer.raw, issuer.rawlen);
        if (CASES[i].how == AS_BER) {
            rep[0] = DER_SEQUENCE, rep[1] = 0x80;
            memcpy(rep + 2, issuer.val, issuer.len);
            rep[2 + issuer.len] = 0, rep[3 + issuer.len] = 0;
            replen = issuer.len + 4;
        } else if (CASES[i].how == OTHER_STRING_TYPE) {
            rep[at] = rep[at] == 0x0c ? 0x13 : 0x0c;
        } else {
            rep[at + 2] ^= 0x01; /* the string's first letter */
        }
        uint8_t *f = splice(b, p.p7s.len, (size_t)(issuer.raw - b), issuer.rawlen, rep, replen, &len);
        ber_verify(t, &p, f, len, v);
        if (CASES[i].valid && !v->ok) {
            char r[1024];
            verify_reason(v, r, sizeof r);
            fail_msg("%s: expected every check to hold, got: %s", CASES[i].what, r);
        }
        const verify_item_t *it = failed_item(v, VERIFY_SIGNATURE, 0);
        if (!CASES[i].valid && (it == NULL || strstr(it->detail, "certificate") == NULL))
            fail_msg("%s: expected signature 1 to fail for want of its certificate, got %s", CASES[i].what,
                     it ? it->detail : "no failure");
        free(f);
    }
    ber_pkg_free(&p);
    free(v);
    trust_free(t);
}

/* Comparing Names decodes the sender's bytes, so a file gets 8 such comparisons in all
 * (lookup/cms.c): a signer whose issuer is in BER is found behind 7 certificates of its serial and
 * another issuer, and no longer behind 8. Producer 1's package, signature 1. */
static void test_cms_compares_issuers_as_names_a_bounded_number_of_times(void **state)
{
    (void)state;
    static const struct {
        size_t decoys;
        int found;
    } CASES[] = {{0, 1}, {7, 1}, {8, 0}};
    cms_signed_t *sd = malloc(sizeof *sd);
    ber_pkg_t p = ber_pkg(0);
    const uint8_t *b = (const uint8_t *)p.p7s.ptr;
    char why[256];
    const cms_cert_t *ct = first_signer_cert(&p, sd);
    const uint8_t *real = ct->der; /* in b, which outlives sd's next parses */
    size_t clen = ct->len, ncerts = sd->ncerts;
    size_t flip = (size_t)(ct->issuer.raw - ct->der) + first_string_at(&ct->issuer) + 2;
    uint8_t *decoy = malloc(clen);
    memcpy(decoy, ct->der, clen);
    decoy[flip] ^= 0x01; /* the same serial, another issuer */
    der_elem_t certs = signed_data_child(b, p.p7s.len, 3), issuer = first_sid_issuer(b, p.p7s.len);
    assert_int_equal(certs.tag, DER_CTX_CONS(0));
    uint8_t rep[1024];
    rep[0] = DER_SEQUENCE, rep[1] = 0x80;
    memcpy(rep + 2, issuer.val, issuer.len);
    rep[2 + issuer.len] = 0, rep[3 + issuer.len] = 0;
    size_t blen;
    uint8_t *ber = splice(b, p.p7s.len, (size_t)(issuer.raw - b), issuer.rawlen, rep, issuer.len + 4, &blen);
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        uint8_t *all = malloc(clen * CASES[i].decoys + 1);
        for (size_t k = 0; k < CASES[i].decoys; k++)
            memcpy(all + k * clen, decoy, clen);
        der_elem_t set = signed_data_child(ber, blen, 3);
        size_t len;
        uint8_t *f = CASES[i].decoys == 0 ? malloc(blen) : NULL;
        if (f != NULL)
            memcpy(f, ber, len = blen);
        else
            f = splice(ber, blen, (size_t)(set.val - ber), 0, all, clen * CASES[i].decoys, &len);
        assert_int_equal(cms_parse(f, len, sd, why, sizeof why), CMS_OK);
        assert_int_equal(sd->ncerts, ncerts + CASES[i].decoys);
        int k = sd->signers[0].cert;
        int found = k >= 0 && sd->certs[k].len == clen && memcmp(sd->certs[k].der, real, clen) == 0;
        if (found != CASES[i].found)
            fail_msg("behind %zu certificates of another issuer: expected the signer's certificate %s",
                     CASES[i].decoys, CASES[i].found ? "found" : "not found");
        free(f);
        free(all);
    }
    free(ber);
    free(decoy);
    ber_pkg_free(&p);
    free(sd);
}

/* A .p7s in PEM may come after a UTF-8 byte-order mark and blank lines (an editor's, a Windows
 * tool's): OpenSSL reads it, and so do we; it was taken for DER and refused as "not a CMS
 * structure". Text before the armour is still no PEM. */
static void test_verify_reads_pem_after_a_byte_order_mark_or_blank_lines(void **state)
{
    (void)state;
    static const struct {
        const char *before;
        int pem;
    } CASES[] = {
        {"", 1},  {"\n", 1},       {" \t\r\n\r\n", 1}, {"\xEF\xBB\xBF", 1}, {"\xEF\xBB\xBF\r\n", 1},
        {"x", 0}, {"\xEF\xBB", 0},
    };
    trust_t *t = ber_trust();
    verdict_t *v = malloc(sizeof *v);
    ber_pkg_t p = ber_pkg(0);
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    assert_true(PEM_write_bio(bio, "CMS", "", (const unsigned char *)p.p7s.ptr, (long)p.p7s.len) > 0);
    long pemlen = BIO_get_mem_data(bio, &pem);
    assert_false(verify_is_pem((const uint8_t *)p.p7s.ptr, p.p7s.len));
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        size_t n = strlen(CASES[i].before), len = n + (size_t)pemlen;
        uint8_t *f = malloc(len);
        memcpy(f, CASES[i].before, n);
        memcpy(f + n, pem, (size_t)pemlen);
        if (verify_is_pem(f, len) != CASES[i].pem)
            fail_msg("case %zu: expected verify_is_pem %d", i, CASES[i].pem);
        ber_verify(t, &p, f, len, v);
        if (v->ok != CASES[i].pem) {
            char r[1024];
            verify_reason(v, r, sizeof r);
            fail_msg("case %zu: expected %s, got: %s", i, CASES[i].pem ? "valid" : "invalid", r);
        }
        free(f);
    }
    BIO_free(bio);
    ber_pkg_free(&p);
    free(v);
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
    trust_t *t1 = make_trust(anchors,
                             str_c("{\"schema\":\"hocba.schools.v1\",\"schools\":[" SCHOOL(
                                 "TH1", ",\"seal_certificates\":[]") "]}"),
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
        cmocka_unit_test(test_verify_ber_packages_of_each_producer_are_valid),
        cmocka_unit_test(test_verify_ber_signed_attributes_are_verified_as_their_der),
        cmocka_unit_test(test_verify_accepts_attributes_signed_unsorted_as_openssl_does),
        cmocka_unit_test(test_cms_refuses_hostile_ber_with_its_reason),
        cmocka_unit_test(test_verify_refuses_a_signer_certificate_in_ber),
        cmocka_unit_test(test_verify_finds_a_signer_certificate_by_its_issuer_as_a_name),
        cmocka_unit_test(test_verify_reads_pem_after_a_byte_order_mark_or_blank_lines),
        cmocka_unit_test(test_cms_compares_issuers_as_names_a_bounded_number_of_times),
        cmocka_unit_test(test_verify_remembered_issuer_without_a_verifying_crl_is_unjudged),
        cmocka_unit_test(test_trust_reports_each_crl_and_remembered_issuer),
        cmocka_unit_test(test_trust_one_key_in_two_encodings_is_one_key),
        cmocka_unit_test(test_trust_registry_v2_is_checked_strictly),
        cmocka_unit_test(test_trust_registry_binds_staff_and_names_by_date),
    };
    return cmocka_run_group_tests_name("verify", tests, setup, teardown);
}
