/* demo_pki.c — hocba-demo's PKI: a deterministic random generator for
 * OpenSSL (demo data only), RSA keys, the CA, seal and staff certificates, the
 * CRLs, the trust inputs and keys/ on disk, and the CMS signatures of the
 * packages (tools/demo.h). */
#include "demo.h"

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- deterministic random numbers for OpenSSL (DEMO DATA ONLY) ----------------
 *
 * !!! NEVER COPY THIS INTO ANYTHING THAT MAKES REAL KEYS. !!!
 * It replaces OpenSSL's random generator for this whole process with a
 * ChaCha20 counter generator keyed from --seed, so that the demo's RSA keys,
 * and hence every byte written, are the same for the same seed. Anybody who
 * knows the seed knows every private key; that is the point for a demo and
 * fatal anywhere else.
 *
 * OpenSSL 3.0 still honours a legacy RAND_METHOD: RAND_bytes_ex and
 * RAND_priv_bytes_ex call its bytes() whenever a method other than the
 * default one is installed. RAND_METHOD callbacks take no context, so the
 * state is per thread: before each key is generated the calling thread
 * selects a stream named after the key, which makes every key independent of
 * which thread made it and in what order. Threads that never select one (RSA
 * blinding while signing) draw from a fixed stream; those bytes never reach
 * the output. */

typedef struct {
    uint32_t key[8];
    uint64_t ctr;
    unsigned char buf[64];
    unsigned pos;
    int ready;
} drbg_t;

/* Written once in demo_drbg_install() before any thread starts, read-only after. */
static unsigned char g_drbg_base[32];
static uint32_t g_drbg_unselected[8];
static _Thread_local drbg_t tl_drbg;

static uint32_t rotl32(uint32_t v, int n)
{
    return (v << n) | (v >> (32 - n));
}

static void chacha_qr(uint32_t *x, int a, int b, int c, int e)
{
    x[a] += x[b], x[e] ^= x[a], x[e] = rotl32(x[e], 16);
    x[c] += x[e], x[b] ^= x[c], x[b] = rotl32(x[b], 12);
    x[a] += x[b], x[e] ^= x[a], x[e] = rotl32(x[e], 8);
    x[c] += x[e], x[b] ^= x[c], x[b] = rotl32(x[b], 7);
}

/* RFC 8439 block function with a 64-bit counter and a zero nonce. */
static void chacha20_block(const uint32_t key[8], uint64_t ctr, unsigned char out[64])
{
    /* clang-format off */
    uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
                      key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
                      (uint32_t)ctr, (uint32_t)(ctr >> 32), 0, 0};
    /* clang-format on */
    uint32_t x[16];
    memcpy(x, s, sizeof x);
    for (int i = 0; i < 10; i++) {
        chacha_qr(x, 0, 4, 8, 12), chacha_qr(x, 1, 5, 9, 13);
        chacha_qr(x, 2, 6, 10, 14), chacha_qr(x, 3, 7, 11, 15);
        chacha_qr(x, 0, 5, 10, 15), chacha_qr(x, 1, 6, 11, 12);
        chacha_qr(x, 2, 7, 8, 13), chacha_qr(x, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; i++) {
        uint32_t v = x[i] + s[i];
        out[4 * i] = (unsigned char)v, out[4 * i + 1] = (unsigned char)(v >> 8);
        out[4 * i + 2] = (unsigned char)(v >> 16), out[4 * i + 3] = (unsigned char)(v >> 24);
    }
}

static void words_from_bytes(uint32_t w[8], const unsigned char b[32])
{
    for (int i = 0; i < 8; i++)
        w[i] = (uint32_t)b[4 * i] | (uint32_t)b[4 * i + 1] << 8 | (uint32_t)b[4 * i + 2] << 16 |
               (uint32_t)b[4 * i + 3] << 24;
}

/* Key this thread's stream from the seed and a label: SHA-256(base || label).
 * Called from our code only, never from inside an OpenSSL callback. */
void demo_drbg_select(const char *label)
{
    unsigned char in[32 + 64], md[SHA256_DIGEST_LENGTH];
    size_t n = strlen(label);
    if (n > 64)
        n = 64;
    memcpy(in, g_drbg_base, 32);
    memcpy(in + 32, label, n);
    SHA256(in, 32 + n, md);
    words_from_bytes(tl_drbg.key, md);
    tl_drbg.ctr = 0;
    tl_drbg.pos = sizeof tl_drbg.buf;
    tl_drbg.ready = 1;
}

static int demo_rand_bytes(unsigned char *buf, int num)
{
    drbg_t *g = &tl_drbg;
    if (!g->ready) {
        memcpy(g->key, g_drbg_unselected, sizeof g->key);
        g->ctr = 0;
        g->pos = sizeof g->buf;
        g->ready = 1;
    }
    while (num > 0) {
        if (g->pos == sizeof g->buf) {
            chacha20_block(g->key, g->ctr++, g->buf);
            g->pos = 0;
        }
        unsigned take = (unsigned)sizeof g->buf - g->pos;
        if (take > (unsigned)num)
            take = (unsigned)num;
        memcpy(buf, g->buf + g->pos, take);
        g->pos += take, buf += take, num -= (int)take;
    }
    return 1;
}

/* Seeding and entropy from outside are ignored: the output must depend on --seed only. */
static int demo_rand_seed(const void *buf, int num)
{
    (void)buf, (void)num;
    return 1;
}

static int demo_rand_add(const void *buf, int num, double entropy)
{
    (void)buf, (void)num, (void)entropy;
    return 1;
}

static void demo_rand_cleanup(void)
{
}

static int demo_rand_status(void)
{
    return 1;
}

static RAND_METHOD demo_rand_method = {demo_rand_seed, demo_rand_bytes, demo_rand_cleanup,
                                       demo_rand_add,  demo_rand_bytes, demo_rand_status};

void demo_drbg_install(uint64_t seed)
{
    static const char tag[] = "hocba-demo DRBG v1 (demo data only)";
    unsigned char in[sizeof tag + 8], md[SHA256_DIGEST_LENGTH];
    memcpy(in, tag, sizeof tag);
    for (int i = 0; i < 8; i++)
        in[sizeof tag + (size_t)i] = (unsigned char)(seed >> (56 - 8 * i));
    SHA256(in, sizeof in, g_drbg_base);
    in[0] ^= 0x55; /* a different key for threads that select no stream */
    SHA256(in, sizeof in, md);
    words_from_bytes(g_drbg_unselected, md);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    RAND_set_rand_method(&demo_rand_method);
#pragma GCC diagnostic pop
}

/* ---- PKI --------------------------------------------------------------------------------- */

/* An RSA key from two random primes of half the size, e = 65537, d modulo
 * lcm(p-1, q-1): the textbook construction. EVP_RSA_gen takes the SP 800-56B
 * path (auxiliary primes), about 150 ms a key here against about 60 ms for
 * this, and key generation is most of this program's run time. These keys
 * are public anyway (keys/), so the stricter procedure buys nothing. */
static EVP_PKEY *demo_rsa_keygen(int bits)
{
    BN_CTX *bc = BN_CTX_new();
    BIGNUM *p = BN_new(), *q = BN_new(), *e = BN_new(), *n = BN_new(), *dd = BN_new(), *dp = BN_new();
    BIGNUM *dq = BN_new(), *qinv = BN_new(), *p1 = BN_new(), *q1 = BN_new(), *g = BN_new(), *lcm = BN_new();
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *key = NULL;
    int ok = bc && p && q && e && n && dd && dp && dq && qinv && p1 && q1 && g && lcm;
    ok = ok && BN_set_word(e, RSA_F4);
    for (int tries = 0; ok; tries++) {
        if (tries == 100) { /* cannot happen with a working generator */
            ok = 0;
            break;
        }
        ok = BN_generate_prime_ex2(p, bits / 2, 0, NULL, NULL, NULL, bc) &&
             BN_generate_prime_ex2(q, bits - bits / 2, 0, NULL, NULL, NULL, bc);
        if (ok && BN_cmp(p, q) < 0)
            BN_swap(p, q);
        /* |p - q| must not be small (Fermat factoring); gcd(e, p-1) = gcd(e, q-1) = 1. */
        ok = ok && BN_sub(g, p, q);
        if (!ok || BN_num_bits(g) <= bits / 2 - 100)
            continue;
        ok = BN_sub(p1, p, BN_value_one()) && BN_sub(q1, q, BN_value_one()) && BN_gcd(g, p1, e, bc);
        if (!ok || !BN_is_one(g))
            continue;
        ok = BN_gcd(g, q1, e, bc);
        if (!ok || !BN_is_one(g))
            continue;
        /* Both primes have their top two bits set, so n has exactly `bits` bits. */
        ok = BN_mul(n, p, q, bc) && BN_gcd(g, p1, q1, bc) && BN_mul(lcm, p1, q1, bc) &&
             BN_div(lcm, NULL, lcm, g, bc);
        ok = ok && BN_mod_inverse(dd, e, lcm, bc) && BN_mod(dp, dd, p1, bc) && BN_mod(dq, dd, q1, bc);
        ok = ok && BN_mod_inverse(qinv, q, p, bc);
        break;
    }
    ok = ok && (bld = OSSL_PARAM_BLD_new()) != NULL;
    ok = ok && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, dd) &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv);
    ok = ok && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL;
    ok = ok && (pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL;
    ok = ok && EVP_PKEY_fromdata_init(pc) > 0 && EVP_PKEY_fromdata(pc, &key, EVP_PKEY_KEYPAIR, params) > 0;
    if (!ok) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(p), BN_clear_free(q), BN_free(e), BN_free(n), BN_clear_free(dd), BN_clear_free(dp);
    BN_clear_free(dq), BN_clear_free(qinv), BN_clear_free(p1), BN_clear_free(q1), BN_clear_free(g);
    BN_clear_free(lcm);
    BN_CTX_free(bc);
    return key;
}

int demo_keygen_task(demo_t *d, size_t i)
{
    ident_t *id = &d->ids[i];
    char label[64];
    snprintf(label, sizeof label, "key:%s", id->label);
    demo_drbg_select(label);
    id->key = demo_rsa_keygen(DEMO_RSA_BITS);
    if (!id->key) {
        char buf[256];
        demo_set_error(d, "RSA key generation for %s failed: %s", id->label, demo_ssl_error(buf, sizeof buf));
        return -1;
    }
    return 0;
}

static int name_add(X509_NAME *nm, int nid, const char *v)
{
    return X509_NAME_add_entry_by_NID(nm, nid, MBSTRING_UTF8, (const unsigned char *)v, -1, -1, 0);
}

#define DEMO_CA_ORG "Hocba DEMO — NOT FOR REAL USE"

static X509_NAME *subject_name(const demo_t *d, const ident_t *id)
{
    X509_NAME *nm = X509_NAME_new();
    if (!nm)
        return NULL;
    int ok = name_add(nm, NID_countryName, "VN");
    if (id->kind == ID_ROOT || id->kind == ID_ISSUING) {
        ok = ok && name_add(nm, NID_organizationName, DEMO_CA_ORG);
    } else {
        const demo_school_t *s = d->schools[id->school].def;
        char org[200];
        snprintf(org, sizeof org, "%s (DEMO)", s->name);
        ok = ok && name_add(nm, NID_stateOrProvinceName, s->province);
        ok = ok && name_add(nm, NID_localityName, s->district);
        ok = ok && name_add(nm, NID_organizationName, org);
        if (id->kind == ID_PRINCIPAL)
            ok = ok && name_add(nm, NID_title, "Hiệu trưởng");
        else if (id->kind == ID_TEACHER)
            ok = ok && name_add(nm, NID_title, "Giáo viên");
        /* a personal certificate names its holder's citizen id, as Vietnamese
         * CAs write it; pages and the API must never show it (§5) */
        if (id->kind == ID_PRINCIPAL || id->kind == ID_TEACHER) {
            char uid[32];
            snprintf(uid, sizeof uid, "CCCD:%s185%06llu", s->cccd3,
                     (unsigned long long)(id->serial % 1000000));
            ok = ok && name_add(nm, NID_userId, uid);
        }
    }
    if (id->kind == ID_SEAL) {
        char cn[200];
        snprintf(cn, sizeof cn, "%s (DEMO)", id->name);
        ok = ok && name_add(nm, NID_commonName, cn);
    } else {
        ok = ok && name_add(nm, NID_commonName, id->name);
    }
    if (!ok) {
        X509_NAME_free(nm);
        return NULL;
    }
    return nm;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = e && X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok;
}

/* Certificate of id, signed by issuer (NULL: self-signed). */
int demo_make_cert(demo_t *d, ident_t *id, const ident_t *issuer)
{
    static const char *const validity[][2] = {
        [ID_ROOT] = {"20200101000000Z", "20451231235959Z"},
        [ID_ISSUING] = {"20220101000000Z", "20351231235959Z"},
        [ID_SEAL] = {"20240801000000Z", "20271231235959Z"},
        [ID_PRINCIPAL] = {"20240801000000Z", "20271231235959Z"},
        [ID_TEACHER] = {"20240801000000Z", "20271231235959Z"},
    };
    int is_ca = id->kind == ID_ROOT || id->kind == ID_ISSUING;
    X509 *x = X509_new();
    X509_NAME *nm = subject_name(d, id);
    int ok = x && nm;
    ok = ok && X509_set_version(x, X509_VERSION_3);
    ok = ok && ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), id->serial);
    ok = ok && X509_set_subject_name(x, nm);
    ok = ok && X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : nm);
    ok = ok && ASN1_TIME_set_string_X509(X509_getm_notBefore(x), validity[id->kind][0]);
    ok = ok && ASN1_TIME_set_string_X509(X509_getm_notAfter(x), validity[id->kind][1]);
    ok = ok && X509_set_pubkey(x, id->key);
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, issuer ? issuer->cert : x, x, NULL, NULL, 0);
        if (is_ca) {
            ok = add_ext(x, &ctx, NID_basic_constraints,
                         id->kind == ID_ROOT ? "critical,CA:TRUE" : "critical,CA:TRUE,pathlen:0");
            ok = ok && add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        } else {
            ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
            ok = ok && add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation");
        }
        ok = ok && add_ext(x, &ctx, NID_subject_key_identifier, "hash");
        ok = ok && add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    }
    ok = ok && X509_sign(x, issuer ? issuer->key : id->key, d->sha256) > 0;
    X509_NAME_free(nm);
    if (!ok) {
        X509_free(x);
        char what[96];
        snprintf(what, sizeof what, "certificate for %s", id->label);
        return demo_ssl_fail(d, what);
    }
    /* Fill the extension cache now, while one thread runs, so that signing
     * threads only ever read the certificate. */
    X509_check_purpose(x, -1, 0);
    id->cert = x;

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!X509_digest(x, d->sha256, md, &mdlen) || mdlen != 32)
        return demo_ssl_fail(d, "certificate digest");
    for (unsigned i = 0; i < 32; i++)
        snprintf(id->hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* A v2 CRL of ca, with cRLNumber and AKI, listing the identities whose
 * reason is set and whose certificates ca issued. */
static int make_crl(demo_t *d, const ident_t *ca, const char *file)
{
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = ASN1_TIME_new(), *next = ASN1_TIME_new(), *revoked_at = ASN1_TIME_new();
    ASN1_INTEGER *number = ASN1_INTEGER_new();
    int ok = crl && last && next && revoked_at && number;
    ok = ok && X509_CRL_set_version(crl, X509_CRL_VERSION_2);
    ok = ok && X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert));
    ok = ok && ASN1_TIME_set_string_X509(last, "20250901010000Z");
    ok = ok && ASN1_TIME_set_string_X509(next, "20271231235959Z");
    ok = ok && ASN1_TIME_set_string_X509(revoked_at, "20250901000000Z");
    ok = ok && X509_CRL_set1_lastUpdate(crl, last) && X509_CRL_set1_nextUpdate(crl, next);
    for (size_t i = 0; ok && i < d->nids; i++) {
        const ident_t *id = &d->ids[i];
        if (id->reason == CRL_REASON_NONE || !id->cert || X509_check_issued(ca->cert, id->cert) != X509_V_OK)
            continue;
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_ENUMERATED *why = ASN1_ENUMERATED_new();
        ok = r && why && X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(id->cert));
        ok = ok && X509_REVOKED_set_revocationDate(r, revoked_at);
        ok = ok && ASN1_ENUMERATED_set(why, id->reason);
        ok = ok && X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, why, 0, 0);
        ASN1_ENUMERATED_free(why);
        if (ok && X509_CRL_add0_revoked(crl, r))
            continue;
        X509_REVOKED_free(r);
        ok = 0;
    }
    ok = ok && X509_CRL_sort(crl);
    ok = ok && ASN1_INTEGER_set(number, 1) && X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0);
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
        ok = e && X509_CRL_add_ext(crl, e, -1);
        X509_EXTENSION_free(e);
    }
    ok = ok && X509_CRL_sign(crl, ca->key, d->sha256) > 0;
    unsigned char *der = NULL;
    int len = ok ? i2d_X509_CRL(crl, &der) : -1;
    ASN1_TIME_free(last), ASN1_TIME_free(next), ASN1_TIME_free(revoked_at);
    ASN1_INTEGER_free(number);
    X509_CRL_free(crl);
    if (len <= 0)
        return demo_ssl_fail(d, file);
    int rc = demo_write_under(d, "trust", file, "", der, (size_t)len, 0644);
    OPENSSL_free(der);
    return rc;
}

const char *demo_role_of(int kind)
{
    switch (kind) {
    case ID_ROOT:
        return "root_ca";
    case ID_ISSUING:
        return "issuing_ca";
    case ID_SEAL:
        return "school_seal";
    case ID_PRINCIPAL:
        return "principal";
    default:
        return "homeroom_teacher";
    }
}

/* keys/LABEL.pem, keys/LABEL.key and keys/index.txt. */
int demo_write_keys(demo_t *d)
{
    BIO *index = BIO_new(BIO_s_mem());
    if (!index)
        return demo_ssl_fail(d, "memory");
    BIO_printf(index, "# DEMO ONLY — these private keys are published. file\trole\tschool\tname\t"
                      "certificate_sha256\tstatus\n");
    for (size_t i = 0; i < d->nids; i++) {
        const ident_t *id = &d->ids[i];
        BIO *c = BIO_new(BIO_s_mem()), *k = BIO_new(BIO_s_mem());
        int ok = c && k && PEM_write_bio_X509(c, id->cert);
        ok = ok && PEM_write_bio_PrivateKey(k, id->key, NULL, NULL, 0, NULL, NULL);
        if (!ok) {
            BIO_free(c), BIO_free(k), BIO_free(index);
            return demo_ssl_fail(d, id->label);
        }
        if (demo_write_bio(d, "keys", id->label, ".pem", c, 0644) != 0) {
            BIO_free(k), BIO_free(index);
            return -1;
        }
        if (demo_write_bio(d, "keys", id->label, ".key", k, 0600) != 0) {
            BIO_free(index);
            return -1;
        }
        const char *status = id->reason == CRL_REASON_KEY_COMPROMISE ? "revoked keyCompromise 2025-09-01"
                             : id->reason == CRL_REASON_SUPERSEDED   ? "revoked superseded 2025-09-01"
                                                                     : "good";
        BIO_printf(index, "%s.pem\t%s\t%s\t%s\t%s\t%s\n", id->label, demo_role_of(id->kind),
                   id->school >= 0 ? d->schools[id->school].code : "-", id->name, id->hex, status);
    }
    return demo_write_bio(d, "keys", "index", ".txt", index, 0644);
}

int demo_write_trust(demo_t *d)
{
    BIO *a = BIO_new(BIO_s_mem()), *m = BIO_new(BIO_s_mem());
    if (!a || !m || !PEM_write_bio_X509(a, d->ids[0].cert) || !PEM_write_bio_X509(m, d->ids[1].cert)) {
        BIO_free(a), BIO_free(m);
        return demo_ssl_fail(d, "trust anchors");
    }
    if (demo_write_bio(d, "trust", "anchors", ".pem", a, 0644) != 0) {
        BIO_free(m);
        return -1;
    }
    if (demo_write_bio(d, "trust", "intermediates", ".pem", m, 0644) != 0)
        return -1;
    if (make_crl(d, &d->ids[0], "root-ca.crl") != 0)
        return -1;
    return make_crl(d, &d->ids[1], "issuing-ca.crl");
}

/* ---- the portal's receipt key (http.md, "Verification receipts") ---------------------------- */

/* One receipt certificate (or, with issuer NULL, the self-signed root that issues it): ECDSA P-256,
 * fixed dates. The root is a CA of its own, never a trust anchor of transcripts, so that the
 * portal's receipt key can sign nothing a school could. The receipt certificate's extended key
 * usage is emailProtection, which `openssl cms -verify`'s default purpose check asks for. */
static X509 *receipt_cert(demo_t *d, EVP_PKEY *key, const char *cn, uint64_t serial, X509 *issuer,
                          EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    int ok = x && nm && name_add(nm, NID_countryName, "VN") &&
             name_add(nm, NID_organizationName, DEMO_CA_ORG) && name_add(nm, NID_commonName, cn);
    ok = ok && X509_set_version(x, X509_VERSION_3) &&
         ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial);
    ok = ok && X509_set_subject_name(x, nm) &&
         X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm);
    ok = ok && ASN1_TIME_set_string_X509(X509_getm_notBefore(x), "20250101000000Z");
    ok = ok &&
         ASN1_TIME_set_string_X509(X509_getm_notAfter(x), issuer ? "20351231235959Z" : "20451231235959Z");
    ok = ok && X509_set_pubkey(x, key);
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
        if (issuer == NULL) {
            ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") &&
                 add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        } else {
            ok = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") &&
                 add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature") &&
                 add_ext(x, &ctx, NID_ext_key_usage, "emailProtection");
        }
        ok = ok && add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
             add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
    }
    ok = ok && X509_sign(x, issuer_key ? issuer_key : key, d->sha256) > 0;
    X509_NAME_free(nm);
    if (!ok) {
        X509_free(x);
        demo_ssl_fail(d, cn);
        return NULL;
    }
    return x;
}

/* receipt/root.pem (the CA a verifier of receipts trusts), receipt/receipt.pem (the receipt
 * certificate, then that root: what hocba-portal --receipt-cert takes and serves as
 * /static/receipt-chain.pem) and receipt/receipt.key (--receipt-key). */
int demo_write_receipt_key(demo_t *d)
{
    demo_drbg_select("key:receipt-root");
    EVP_PKEY *rk = EVP_EC_gen("P-256");
    demo_drbg_select("key:receipt");
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *root =
        rk ? receipt_cert(d, rk, "Hocba DEMO Portal Receipts Root CA — NOT FOR REAL USE", 0x5ec1, NULL, NULL)
           : NULL;
    X509 *cert = root && k ? receipt_cert(d, k, "Hocba DEMO portal receipts", 0x5ec2, root, rk) : NULL;
    BIO *rb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    int ok = cert && rb && cb && kb && PEM_write_bio_X509(rb, root) && PEM_write_bio_X509(cb, cert) &&
             PEM_write_bio_X509(cb, root) && PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL);
    int rc = ok ? 0 : (d->err[0] ? -1 : demo_ssl_fail(d, "the receipt key"));
    /* write_bio frees the BIO it is given */
    if (rc == 0)
        rc = demo_write_bio(d, "receipt", "root", ".pem", rb, 0644), rb = NULL;
    if (rc == 0)
        rc = demo_write_bio(d, "receipt", "receipt", ".pem", cb, 0644), cb = NULL;
    if (rc == 0)
        rc = demo_write_bio(d, "receipt", "receipt", ".key", kb, 0600), kb = NULL;
    BIO_free(rb), BIO_free(cb), BIO_free(kb);
    X509_free(root), X509_free(cert);
    EVP_PKEY_free(rk), EVP_PKEY_free(k);
    return rc;
}

/* ---- signing ------------------------------------------------------------------------------ */

/* Detached CMS SignedData, one SignerInfo per signer, with our own signingTime. */
int demo_sign_task(demo_t *d, size_t i)
{
    const job_t *job = &d->jobs[i];
    BIO *in = BIO_new_mem_buf(job->json, (int)job->len);
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_DETACHED | CMS_BINARY);
    int ok = in && cms;
    for (int k = 0; ok && k < job->nsigners; k++) {
        const ident_t *id = &d->ids[job->signer[k]];
        CMS_SignerInfo *si =
            CMS_add1_signer(cms, id->cert, id->key, d->sha256, CMS_PARTIAL | CMS_BINARY | CMS_NOSMIMECAP);
        ASN1_TIME *t = si ? ASN1_TIME_set(NULL, job->when[k]) : NULL;
        ok = t && CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, ASN1_STRING_type(t), t, -1);
        ASN1_TIME_free(t);
    }
    ok = ok && CMS_add1_cert(cms, d->ids[1].cert) > 0;
    ok = ok && CMS_final(cms, in, NULL, CMS_BINARY | CMS_DETACHED);
    unsigned char *der = NULL;
    int len = ok ? i2d_CMS_ContentInfo(cms, &der) : -1;
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    if (len <= 0) {
        char what[96];
        snprintf(what, sizeof what, "signing %s", job->stem);
        return demo_ssl_fail(d, what);
    }
    int rc = demo_write_under(d, "batch", job->stem, ".p7s", der, (size_t)len, 0644);
    OPENSSL_free(der);
    if (rc == 0)
        rc = demo_write_under(d, "batch", job->stem, ".json", job->json, job->len, 0644);
    return rc;
}
