/* receipt.c — the receipt statement and its signature (receipt.h). */
#include "receipt.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct receipt_signer {
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) * chain; /* the certificates after the first that are not self-signed: embedded */
    EVP_MD *md;
    char *pem; /* every certificate of the file, as PEM */
    size_t pemlen;
    int64_t not_after;
};

/* The first OpenSSL error as words, for a one-line reason. */
static const char *ssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

static int64_t asn1_seconds(const ASN1_TIME *t)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

/* Every certificate of a PEM file: the first into s->cert, the others into the chain (when not
 * self-signed), all of them re-encoded into s->pem. */
static int read_certs(receipt_signer_t *s, const char *path, char *why, size_t whylen)
{
    BIO *in = BIO_new_file(path, "r"), *pem = BIO_new(BIO_s_mem());
    X509 *x;
    int n = 0;
    if (in == NULL || pem == NULL) {
        snprintf(why, whylen, "--receipt-cert %s: cannot read it (%s)", path, ssl_reason());
        BIO_free(in), BIO_free(pem);
        return -1;
    }
    while ((x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        int ok = PEM_write_bio_X509(pem, x);
        X509_check_purpose(x, -1, 0); /* fill the extension cache now, before threads read it */
        if (n++ == 0)
            s->cert = x;
        else if (X509_check_issued(x, x) == X509_V_OK)
            X509_free(x); /* a root: the verifier brings its own */
        else
            ok = ok && sk_X509_push(s->chain, x) > 0;
        if (!ok) {
            snprintf(why, whylen, "--receipt-cert %s: out of memory", path);
            BIO_free(in), BIO_free(pem);
            return -1;
        }
    }
    ERR_clear_error(); /* the end of the file */
    BIO_free(in);
    char *p;
    long len = BIO_get_mem_data(pem, &p);
    if (n == 0 || len <= 0 || (s->pem = malloc((size_t)len)) == NULL) {
        snprintf(why, whylen, "--receipt-cert %s: %s", path,
                 n == 0 ? "no PEM certificate in it (expected the receipt certificate, then its chain)"
                        : "out of memory");
        BIO_free(pem);
        return -1;
    }
    memcpy(s->pem, p, (size_t)len);
    s->pemlen = (size_t)len;
    BIO_free(pem);
    return 0;
}

/* What openssl cms -verify's default purpose (S/MIME signing) asks of the certificate, and that it
 * is valid now. */
static int check_cert(const receipt_signer_t *s, const char *path, int64_t now, char *why, size_t whylen)
{
    uint32_t flags = X509_get_extension_flags(s->cert), ku = X509_get_key_usage(s->cert);
    if ((flags & EXFLAG_XKUSAGE) && !(X509_get_extended_key_usage(s->cert) & XKU_SMIME)) {
        snprintf(why, whylen,
                 "--receipt-cert %s: its extended key usage lacks emailProtection, so openssl cms -verify "
                 "would refuse every receipt (unsuitable certificate purpose)",
                 path);
        return -1;
    }
    if (ku != UINT32_MAX && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
        snprintf(why, whylen,
                 "--receipt-cert %s: its key usage allows neither digitalSignature nor nonRepudiation", path);
        return -1;
    }
    time_t t = (time_t)now;
    if (X509_cmp_time(X509_get0_notBefore(s->cert), &t) > 0 ||
        X509_cmp_time(X509_get0_notAfter(s->cert), &t) < 0) {
        char nb[24], na[24];
        view_format_rfc3339(asn1_seconds(X509_get0_notBefore(s->cert)), nb);
        view_format_rfc3339(asn1_seconds(X509_get0_notAfter(s->cert)), na);
        snprintf(why, whylen, "--receipt-cert %s: the certificate is not valid now (valid from %s to %s)",
                 path, nb, na);
        return -1;
    }
    return 0;
}

int receipt_signer_load(const char *cert_path, const char *key_path, int64_t now, receipt_signer_t **out,
                        char *why, size_t whylen)
{
    receipt_signer_t *s = calloc(1, sizeof *s);
    *out = NULL;
    if (s == NULL || (s->chain = sk_X509_new_null()) == NULL ||
        (s->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
        snprintf(why, whylen, "out of memory");
        receipt_signer_free(s);
        return -1;
    }
    if (read_certs(s, cert_path, why, whylen) != 0 || check_cert(s, cert_path, now, why, whylen) != 0) {
        receipt_signer_free(s);
        return -1;
    }
    BIO *in = BIO_new_file(key_path, "r");
    s->key = in != NULL ? PEM_read_bio_PrivateKey(in, NULL, NULL, NULL) : NULL;
    BIO_free(in);
    if (s->key == NULL) {
        snprintf(why, whylen, "--receipt-key %s: cannot read a PEM private key (%s)", key_path, ssl_reason());
        receipt_signer_free(s);
        return -1;
    }
    if (X509_check_private_key(s->cert, s->key) != 1) {
        snprintf(why, whylen, "--receipt-key %s does not match the certificate of --receipt-cert %s",
                 key_path, cert_path);
        receipt_signer_free(s);
        return -1;
    }
    s->not_after = asn1_seconds(X509_get0_notAfter(s->cert));
    ERR_clear_error();
    *out = s;
    return 0;
}

void receipt_signer_free(receipt_signer_t *s)
{
    if (s == NULL)
        return;
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
    sk_X509_pop_free(s->chain, X509_free);
    EVP_MD_free(s->md);
    free(s->pem);
    free(s);
}

str_t receipt_signer_chain_pem(const receipt_signer_t *s)
{
    return str_n(s->pem, s->pemlen);
}

int64_t receipt_signer_not_after(const receipt_signer_t *s)
{
    return s->not_after;
}

int receipt_allowed(const view_t *v)
{
    return v->status == VIEW_VALID || v->status == VIEW_RECALLED;
}

char *receipt_statement(const view_t *v, const char *public_url, uint64_t trust_version, int64_t now,
                        size_t *len)
{
    char code[CODE_LEN + 1], at[24], hex[65], *out = NULL;
    size_t size = 0;
    const verdict_t *vd = v->verdict;
    if (!v->has_payload_sha256 || vd == NULL)
        return NULL;
    memcpy(code, v->code, CODE_LEN);
    code[CODE_LEN] = '\0';
    view_format_rfc3339(now, at);
    str_hex(v->payload_sha256, 32, hex);
    FILE *f = open_memstream(&out, &size);
    if (f == NULL)
        return NULL;
    /* one member a line, one check a line: the statement is read by people too */
    int bad =
        fprintf(f, "{\n  \"receipt\": \"%s\",\n  \"code\": \"%s\",\n  \"status\": \"%s\",\n  \"checks\": [",
                RECEIPT_SCHEMA, code, view_status_name(v->status)) < 0;
    for (size_t i = 0; !bad && i < vd->nitems; i++) {
        const verify_item_t *it = &vd->items[i];
        json_t *o = json_pack("{s:s, s:s?, s:b}", "check", verify_check_name(it->check), "role",
                              it->signer >= 0 ? vd->signers[it->signer].role : NULL, "ok", it->ok);
        bad = o == NULL || fputs(i ? ",\n    " : "\n    ", f) < 0 || json_dumpf(o, f, JSON_COMPACT) != 0;
        json_decref(o);
    }
    json_t *url = json_string(public_url);
    bad = bad || url == NULL || fprintf(f, "\n  ],\n  \"verified_at\": \"%s\",\n  \"portal\": ", at) < 0 ||
          json_dumpf(url, f, JSON_ENCODE_ANY) != 0 ||
          fprintf(f, ",\n  \"trust_version\": %llu,\n  \"payload_sha256\": \"%s\"\n}\n",
                  (unsigned long long)trust_version, hex) < 0;
    json_decref(url);
    if (fclose(f) != 0 || bad) {
        free(out);
        return NULL;
    }
    *len = size;
    return out;
}

json_t *receipt_page_context(const view_t *v, json_t *t, const char *lang_query, const char *public_url,
                             uint64_t trust_version, int64_t now, const char *statement, size_t len,
                             const unsigned char *der, size_t derlen)
{
    char code[CODE_LEN + 1], g[CODE_GROUPED_LEN + 1], buf[160], at[32], hex[65];
    static const char prefix[] = "data:application/pkcs7-mime;smime-type=signed-data;base64,";
    const verdict_t *vd = v->verdict;
    memcpy(code, v->code, CODE_LEN);
    code[CODE_LEN] = '\0';
    code_format_grouped(v->code, g);
    size_t cap = sizeof prefix + 4 * (derlen / 3 + 1);
    char *url = malloc(cap);
    json_t *c = json_object(), *r = json_object(), *checks = json_array();
    if (url == NULL || c == NULL || r == NULL || checks == NULL) {
        free(url);
        json_decref(c), json_decref(r), json_decref(checks);
        return NULL;
    }
    memcpy(url, prefix, sizeof prefix - 1);
    EVP_EncodeBlock((unsigned char *)url + sizeof prefix - 1, der, (int)derlen);
    json_object_set_new(c, "code", json_string(code));
    json_object_set_new(c, "code_grouped", json_string(g));
    json_object_set_new(c, "status", json_string(view_status_name(v->status)));
    json_object_set_new(c, "is_valid", json_boolean(v->status == VIEW_VALID));
    json_object_set_new(c, "is_recalled", json_boolean(v->status == VIEW_RECALLED));
    snprintf(buf, sizeof buf, "%s/v/%s", public_url, code);
    json_object_set_new(c, "page_url", json_string(buf));
    snprintf(buf, sizeof buf, "/v/%s%.16s", code, lang_query);
    json_object_set_new(c, "page_link", json_string(buf));
    snprintf(buf, sizeof buf, "/v/%s/qr.svg", code);
    json_object_set_new(c, "qr_svg_url", json_string(buf));
    for (size_t i = 0; vd != NULL && i < vd->nitems; i++) {
        const verify_item_t *it = &vd->items[i];
        json_t *o = json_pack("{s:s, s:b}", "check_label",
                              view_label(t, "check_name.", verify_check_name(it->check)), "ok", it->ok);
        if (it->signer >= 0)
            view_role_label(o, t, vd->signers[it->signer].role);
        json_array_append_new(checks, o);
    }
    json_object_set_new(r, "checks", checks);
    json_object_set_new(r, "statement", json_stringn(statement, len));
    view_format_datetime(now, at);
    json_object_set_new(r, "verified_at", json_string(at));
    json_object_set_new(r, "portal", json_string(public_url));
    json_object_set_new(r, "trust_version", json_integer((json_int_t)trust_version));
    str_hex(v->payload_sha256, 32, hex);
    json_object_set_new(r, "payload_sha256", json_string(hex));
    json_object_set_new(r, "download_url", json_string(url));
    snprintf(buf, sizeof buf, "hocba-receipt-%s.p7m", code);
    json_object_set_new(r, "download_name", json_string(buf));
    json_object_set_new(c, "receipt", r);
    free(url);
    return c;
}

int receipt_sign(const receipt_signer_t *s, const char *statement, size_t len, int64_t now,
                 unsigned char **der, size_t *derlen)
{
    const unsigned flags = CMS_BINARY | CMS_NOSMIMECAP | CMS_PARTIAL;
    BIO *in = BIO_new_mem_buf(statement, (int)len);
    CMS_ContentInfo *cms = in != NULL ? CMS_sign(NULL, NULL, s->chain, NULL, flags) : NULL;
    CMS_SignerInfo *si = cms != NULL ? CMS_add1_signer(cms, s->cert, s->key, s->md, flags) : NULL;
    ASN1_TIME *t = si != NULL ? ASN1_TIME_adj(NULL, (time_t)now, 0, 0) : NULL;
    unsigned char *p = NULL;
    int n = -1;
    /* the signing time is the statement's verified_at, not whenever CMS_final runs */
    if (t != NULL &&
        CMS_signed_add1_attr_by_NID(si, NID_pkcs9_signingTime, ASN1_STRING_type(t), t, -1) == 1 &&
        CMS_final(cms, in, NULL, CMS_BINARY) == 1)
        n = i2d_CMS_ContentInfo(cms, &p);
    ASN1_TIME_free(t);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    *der = NULL;
    if (n > 0 && (*der = malloc((size_t)n)) != NULL) {
        memcpy(*der, p, (size_t)n);
        *derlen = (size_t)n;
    }
    OPENSSL_free(p);
    ERR_clear_error();
    return *der != NULL ? 0 : -1;
}
