/* test_receipt.c — verification receipts and the check of a package one holds (http.md, issue 20),
 * over real HTTP/1.1 to the real portal.
 *
 * The group setup makes demo data (12 pupils, seed 3: valid, recalled and — once the CRLs are in —
 * invalid records), publishes trust inputs, registry, batch and CRLs, and starts two portals on free
 * loopback ports: one with the demo's receipt key (DEMO/receipt/receipt.{pem,key}) and --rate-limit 0,
 * one without a receipt key and with --rate-limit 4, which the rate-limit tests use. Receipts are
 * verified with the stock `openssl cms -verify` and the demo's receipt root (DEMO/receipt/root.pem),
 * exactly as http.md tells a reader to.
 *
 * The file-check tests sign their own packages with the stock openssl commands (package-format.md §7)
 * and the demo's published keys (DEMO/keys/index.txt): payloads edited with jansson and signed by the
 * three signers the original declared.
 *
 * Children get SIGKILL when this process dies. Set HOCBA_KEEP_TMP=1 to keep the temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/harness.h"
#include "tests/http.h"

#define DEMO_STUDENTS "12"
#define DEMO_SEED "3"
#define EXCHANGE_TIMEOUT_MS 10000 /* a receipt is signed under the sanitizers */
#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define CHILD_TIMEOUT_MS 120000
#define RATE_LIMIT 4
#define CMS_CERTS 32 /* certificates a .p7s may hold (lookup/cms.h) */

typedef struct {
    const char *tmp;
    char demo[320], db[320], perr[320], perr2[320];
    const char *portal_bin, *publish_bin, *demo_bin;
    int port, port2; /* with the receipt key, rate limit 0; without, rate limit RATE_LIMIT */
    pid_t pid, pid2;
    harness_code_t *codes;
    size_t ncodes;
    const harness_code_t *valid, *recalled, *invalid;
} ctx_t;

/* ---- files and programs ---------------------------------------------------------------------- */

static void write_file(const char *path, const void *p, size_t n)
{
    if (harness_write_file(path, p, n) != 0)
        fail_msg("cannot write %s: %s", path, strerror(errno));
}

static const char *sha256_hex(const void *p, size_t n)
{
    unsigned char d[32];
    SHA256(p, n, d);
    char *hex = harness_malloc(65);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    return hex;
}

static harness_run_t *run(const char *const argv[])
{
    harness_run_t *r = harness_malloc(sizeof *r);
    harness_run(r, NULL, argv, CHILD_TIMEOUT_MS);
    return r;
}

static __attribute__((unused)) void publish_ok(ctx_t *c, const char *a, const char *b, const char *d)
{
    const char *argv[] = {c->publish_bin, "--db", c->db, a, b, d, NULL};
    harness_run_t *r = run(argv);
    HARNESS_EXPECT_EXIT(r, 0);
}

/* `openssl cms -verify` of a DER receipt against the demo's receipt root, as http.md tells a reader
 * to; the statement it writes out, parsed. */
static json_t *verify_receipt(ctx_t *c, const unsigned char *der, size_t len, const char *what)
{
    const char *in = harness_printf("%s/receipt-%ld.p7m", c->tmp, harness_now_ms());
    const char *out = harness_printf("%s.json", in);
    write_file(in, der, len);
    const char *root = harness_printf("%s/receipt/root.pem", c->demo);
    const char *argv[] = {"openssl", "cms",     "-verify", "-in",  in,  "-inform",
                          "DER",     "-CAfile", root,      "-out", out, NULL};
    harness_run_t *r = run(argv);
    HARNESS_CHECK_RUN(r->status == 0, r,
                      "%s: expected `openssl cms -verify -in receipt.p7m -inform DER -CAfile ROOT.pem` "
                      "to verify the receipt, got %s",
                      what, harness_ending(r));
    size_t n;
    char *text = harness_read_file(out, &n);
    json_error_t err;
    json_t *j = text ? json_loadb(text, n, JSON_REJECT_DUPLICATES, &err) : NULL;
    if (j == NULL)
        fail_msg("%s: the signed statement is not JSON: %s", what, text ? err.text : "no output");
    return j;
}

/* The stored payload of a demo package, and its SHA-256. */
static const char *payload_sha256_of(ctx_t *c, const harness_code_t *e, char **text, size_t *len)
{
    const char *path = harness_printf("%s/batch/%s.json", c->demo, e->stem);
    *text = harness_read_file(path, len);
    if (*text == NULL)
        fail_msg("cannot read %s", path);
    return sha256_hex(*text, *len);
}

static int start(ctx_t *c, int *port, pid_t *pid, const char *errfile, const char *const extra[]);

/* ---- tests: receipts ------------------------------------------------------------------------------ */

static const char *const STATEMENT_MEMBERS[] = {"receipt",     "code",   "status",        "checks",
                                                "verified_at", "portal", "trust_version", "payload_sha256"};

/* The statement http.md gives, and nothing else: no detail in a check, no name. */
static void expect_statement(ctx_t *c, int port, json_t *s, const harness_code_t *e, const char *status,
                             const char *what)
{
    char *payload;
    size_t plen;
    const char *sha = payload_sha256_of(c, e, &payload, &plen);
    size_t n = sizeof STATEMENT_MEMBERS / sizeof *STATEMENT_MEMBERS;
    if (json_object_size(s) != n)
        fail_msg("%s: expected the statement's %zu members, got %zu", what, n, json_object_size(s));
    for (size_t i = 0; i < n; i++)
        if (json_object_get(s, STATEMENT_MEMBERS[i]) == NULL)
            fail_msg("%s: the statement has no \"%s\"", what, STATEMENT_MEMBERS[i]);
    const char *got;
    if ((got = json_string_value(json_object_get(s, "receipt"))) == NULL ||
        strcmp(got, "hocba.receipt.v1") != 0)
        fail_msg("%s: expected \"receipt\": \"hocba.receipt.v1\", got %s", what, got ? got : "none");
    if ((got = json_string_value(json_object_get(s, "code"))) == NULL || strcmp(got, e->code) != 0)
        fail_msg("%s: expected \"code\": \"%s\", got %s", what, e->code, got ? got : "none");
    if ((got = json_string_value(json_object_get(s, "status"))) == NULL || strcmp(got, status) != 0)
        fail_msg("%s: expected \"status\": \"%s\", got %s", what, status, got ? got : "none");
    /* payload_sha256 is the SHA-256 of the package as the school published it */
    if ((got = json_string_value(json_object_get(s, "payload_sha256"))) == NULL || strcmp(got, sha) != 0)
        fail_msg("%s: expected \"payload_sha256\": \"%s\" (SHA-256 of batch/%s.json), got %s", what, sha,
                 e->stem, got ? got : "none");
    const char *url = harness_printf("http://127.0.0.1:%d", port);
    if ((got = json_string_value(json_object_get(s, "portal"))) == NULL || strcmp(got, url) != 0)
        fail_msg("%s: expected \"portal\": \"%s\", got %s", what, url, got ? got : "none");
    if (!json_is_integer(json_object_get(s, "trust_version")))
        fail_msg("%s: expected an integer trust_version", what);
    got = json_string_value(json_object_get(s, "verified_at"));
    if (got == NULL || strlen(got) != 20 || got[10] != 'T' || got[19] != 'Z')
        fail_msg("%s: expected verified_at in RFC 3339 UTC, got %s", what, got ? got : "none");
    json_t *checks = json_object_get(s, "checks"), *ch;
    size_t i;
    if (json_array_size(checks) < 8)
        fail_msg("%s: expected the checks of every signer, got %zu", what, json_array_size(checks));
    json_array_foreach(checks, i, ch)
    {
        if (json_object_size(ch) != 3 || !json_is_string(json_object_get(ch, "check")) ||
            !json_is_true(json_object_get(ch, "ok")) || json_object_get(ch, "role") == NULL)
            fail_msg("%s: expected each check to be {check, role, ok: true} and nothing else (no detail); "
                     "check %zu is "
                     "not",
                     what, i);
    }
    /* no personal data beyond the code */
    char *text = json_dumps(s, 0);
    json_t *pl = json_loads(payload, 0, NULL);
    const char *name = json_string_value(json_object_get(json_object_get(pl, "student"), "full_name"));
    const char *school = json_string_value(json_object_get(json_object_get(pl, "school"), "name"));
    if (name == NULL || school == NULL || strstr(text, name) || strstr(text, school))
        fail_msg("%s: expected neither the pupil's name nor the school's in the statement", what);
    free(text);
    json_decref(pl);
}

static const harness_code_t *code_of(ctx_t *c, const char *what)
{
    return strcmp(what, "valid") == 0 ? c->valid : strcmp(what, "recalled") == 0 ? c->recalled : c->invalid;
}

static void test_receipt_of_a_valid_or_recalled_record_verifies_offline_and_names_its_payload(void **state)
{
    ctx_t *c = *state;
    static const char *const T[] = {"valid", "recalled"};
    for (size_t k = 0; k < 2; k++) {
        const harness_code_t *e = code_of(c, T[k]);
        resp_t *r = http_get(c->port, harness_printf("/api/v1/transcripts/%s/receipt", e->code));
        EXPECT_STATUS(r, 200);
        http_expect_header_has(r, "content-type", "application/pkcs7-mime");
        http_expect_header_has(r, "content-type", "smime-type=signed-data");
        http_expect_header_has(r, "content-disposition",
                               harness_printf("attachment; filename=\"hocba-receipt-%s.p7m\"", e->code));
        http_expect_header_has(r, "cache-control", "no-store");
        http_expect_header_has(r, "x-robots-tag", "noindex");
        json_t *s = verify_receipt(c, (const unsigned char *)r->body, r->bodylen, r->what);
        expect_statement(c, c->port, s, e, T[k], r->what);
        json_decref(s);
    }
}

/* A receipt is made for each request: a second one is signed anew at its own time. */
static void test_receipt_is_made_per_request_and_answers_head(void **state)
{
    ctx_t *c = *state;
    const char *path = harness_printf("/api/v1/transcripts/%s/receipt", c->valid->code);
    resp_t *h = http_request(NULL, c->port, "HEAD", path, NULL, NULL, 0);
    EXPECT_STATUS(h, 200);
    EXPECT(h, h->bodylen == 0, "expected no body for HEAD, got %zu bytes", h->bodylen);
    http_expect_header_has(h, "content-type", "application/pkcs7-mime");
    /* a lower-case spelling is taken as the code, without a redirect */
    resp_t *r = http_get(
        c->port, harness_printf("/api/v1/transcripts/%.4s-%s/receipt", c->valid->code, c->valid->code + 4));
    EXPECT_STATUS(r, 200);
}

static void test_receipt_of_an_invalid_record_is_409_not_receiptable(void **state)
{
    ctx_t *c = *state;
    resp_t *r = http_get(c->port, harness_printf("/api/v1/transcripts/%s/receipt", c->invalid->code));
    http_expect_problem(r, 409, "not_receiptable");
    http_expect_header_has(r, "cache-control", "no-store");
    r = http_get(c->port, harness_printf("/v/%s/receipt", c->invalid->code));
    EXPECT_STATUS(r, 409);
    http_expect_header_has(r, "content-type", "text/html");
    EXPECT(r, !http_body_has(r, "download="), "expected no receipt to download on the 409 page");
}

static void test_receipt_of_an_unknown_or_malformed_code_is_404_or_400(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *path;
        int status;
        const char *error;
    } T[] = {
        {"/api/v1/transcripts/ZZZZ/receipt", 400, "malformed_code"},
        {"/api/v1/transcripts/ZZZZZZZZZZZZZZZZ/receipt/more", 404, "not_found"},
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++)
        http_expect_problem(http_get(c->port, T[i].path), T[i].status, T[i].error);
    /* a code with a valid check symbol that nothing has */
    char unknown[17];
    /* Luhn mod 32: the check symbol of fifteen Z (31 each) */
    unsigned sum = 0, factor = 2;
    for (int i = 0; i < 15; i++) {
        unsigned add = factor * 31;
        sum += add / 32 + add % 32;
        factor = factor == 2 ? 1 : 2;
    }
    memset(unknown, 'Z', 15);
    unknown[15] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(32 - sum % 32) % 32];
    unknown[16] = '\0';
    resp_t *r = http_get(c->port, harness_printf("/api/v1/transcripts/%s/receipt", unknown));
    http_expect_problem(r, 404, "not_found");
    r = http_get(c->port, harness_printf("/v/%s/receipt", unknown));
    EXPECT_STATUS(r, 404);
}

/* The printable page: the statement as signed, its members in words, the QR, and the very receipt
 * to download (a data: URL whose statement is the one shown). */
static void test_receipt_page_shows_the_signed_statement_its_qr_and_the_receipt_to_download(void **state)
{
    ctx_t *c = *state;
    resp_t *r = http_get(c->port, harness_printf("/v/%s/receipt?lang=en", c->valid->code));
    EXPECT_STATUS(r, 200);
    http_expect_header_has(r, "content-type", "text/html");
    http_expect_header_has(r, "cache-control", "no-store");
    http_expect_header_has(r, "content-security-policy", "default-src 'none'");
    EXPECT(r, http_body_has(r, harness_printf("/v/%s/qr.svg", c->valid->code)),
           "expected the QR of the record's page");
    EXPECT(r, http_body_has(r, "Verification receipt"), "expected the page's heading in English");
    /* the renderer writes each = as &#61; (render.h) */
    static const char prefix[] = "href=\"data:application/pkcs7-mime;smime-type&#61;signed-data;base64,";
    const char *q = memmem(r->body, r->bodylen, prefix, sizeof prefix - 1);
    EXPECT(r, q != NULL, "expected a download link holding the signed receipt as a data: URL");
    q += sizeof prefix - 1;
    char *p = harness_strndup(q, strcspn(q, "\""));
    for (char *eq; (eq = strstr(p, "&#61;")) != NULL;)
        memmove(eq + 1, eq + 5, strlen(eq + 5) + 1), *eq = '=';
    size_t b64 = strlen(p);
    unsigned char *der = harness_malloc(b64);
    int n = EVP_DecodeBlock(der, (const unsigned char *)p, (int)b64);
    EXPECT(r, n > 0, "expected base64 in the data: URL");
    while (n > 0 && b64 > 0 && p[b64 - 1] == '=')
        n--, b64--;
    json_t *s = verify_receipt(c, der, (size_t)n, r->what);
    expect_statement(c, c->port, s, c->valid, "valid", r->what);
    /* the page shows that same statement: its SHA-256 of the payload and its time */
    const char *sha = json_string_value(json_object_get(s, "payload_sha256"));
    const char *at = json_string_value(json_object_get(s, "verified_at"));
    EXPECT(r, http_body_has(r, sha), "expected the page to show payload_sha256 %s", sha);
    EXPECT(r, http_body_has(r, harness_printf("&quot;verified_at&quot;: &quot;%s&quot;", at)),
           "expected the page to show the signed statement, verified_at %s", at);
    EXPECT(r, http_body_has(r, harness_printf("download=\"hocba-receipt-%s.p7m\"", c->valid->code)),
           "expected the download to be named after the code");
    json_decref(s);
    /* the record's page links to it */
    r = http_get(c->port, harness_printf("/v/%s", c->valid->code));
    EXPECT(r, http_body_has(r, harness_printf("href=\"/v/%s/receipt\"", c->valid->code)),
           "expected the page to link its receipt");
}

static void test_receipt_chain_is_the_receipt_certificates_pem(void **state)
{
    ctx_t *c = *state;
    size_t n;
    char *pem = harness_read_file(harness_printf("%s/receipt/receipt.pem", c->demo), &n);
    resp_t *r = http_get(c->port, "/static/receipt-chain.pem");
    EXPECT_STATUS(r, 200);
    http_expect_header_has(r, "content-type", "application/pem-certificate-chain");
    EXPECT(r, pem != NULL && r->bodylen == n && memcmp(r->body, pem, n) == 0,
           "expected /static/receipt-chain.pem to hold the certificates of --receipt-cert (%zu bytes), got "
           "%zu bytes",
           n, r->bodylen);
}

/* Without --receipt-cert/--receipt-key: no receipt, no chain, no link. */
static void test_without_a_receipt_key_receipts_are_404(void **state)
{
    ctx_t *c = *state;
    resp_t *r = http_get(c->port2, harness_printf("/api/v1/transcripts/%s/receipt", c->valid->code));
    http_expect_problem(r, 404, "not_found");
    r = http_get(c->port2, harness_printf("/v/%s/receipt", c->valid->code));
    EXPECT_STATUS(r, 404);
    r = http_get(c->port2, "/static/receipt-chain.pem");
    EXPECT_STATUS(r, 404);
    r = http_get(c->port2, harness_printf("/v/%s", c->valid->code));
    EXPECT_STATUS(r, 200);
    EXPECT(r, !http_body_has(r, "/receipt"), "expected no receipt link without a receipt key");
}

/* A bad pair exits 2 with one line naming what is wrong. */
static void test_bad_receipt_key_or_certificate_stops_the_portal_with_exit_2(void **state)
{
    ctx_t *c = *state;
    const char *cert = harness_printf("%s/receipt/receipt.pem", c->demo);
    const char *key = harness_printf("%s/receipt/receipt.key", c->demo);
    const char *other_key = harness_printf("%s/keys/root-ca.key", c->demo);
    /* the receipts' root CA: its key usage is keyCertSign and cRLSign only */
    const char *root = harness_printf("%s/receipt/root.pem", c->demo);
    static const struct {
        int which;
        const char *want;
    } T[] = {{0, "does not match"}, {1, "no PEM certificate"}, {2, "go together"}, {3, "key usage"}};
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        const char *args[4][4] = {{"--receipt-cert", cert, "--receipt-key", other_key},
                                  {"--receipt-cert", key, "--receipt-key", key},
                                  {"--receipt-cert", cert, NULL, NULL},
                                  {"--receipt-cert", root, "--receipt-key", key}};
        const char *listen = harness_printf("127.0.0.1:%d", harness_free_port());
        const char *argv[] = {c->portal_bin, "--db",     c->db,      "--listen", listen,
                              args[i][0],    args[i][1], args[i][2], args[i][3], NULL};
        harness_run_t *r = run(argv);
        HARNESS_CHECK_RUN(r->status == 2 && strstr(r->err, T[i].want) != NULL &&
                              strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
                          r, "case %zu: expected exit 2 and one line saying \"%s\", got %s", i, T[i].want,
                          harness_ending(r));
    }
}

/* Old chains (docs/operations.md: a rotated root stays published) are .pem files of the static
 * directory; a private key there stops the portal. */
static void test_old_receipt_chains_are_served_from_static_and_a_key_there_is_refused(void **state)
{
    ctx_t *c = *state;
    const char *dir = harness_printf("%s/static", c->tmp), *old = harness_printf("%s/receipt-chains", dir);
    const char *cp[] = {"cp", "-r", "static", dir, NULL};
    HARNESS_EXPECT_EXIT(run(cp), 0);
    const char *mk[] = {"mkdir", "-p", old, NULL};
    HARNESS_EXPECT_EXIT(run(mk), 0);
    const char *cp2[] = {"cp", harness_printf("%s/receipt/root.pem", c->demo),
                         harness_printf("%s/2026.pem", old), NULL};
    HARNESS_EXPECT_EXIT(run(cp2), 0);
    int port;
    pid_t pid;
    const char *extra[] = {"--static", dir, NULL};
    if (start(c, &port, &pid, harness_printf("%s/portal-static.err", c->tmp), extra) != 0)
        fail_msg("the portal did not start with --static %s", dir);
    resp_t *r = http_get(port, "/static/receipt-chains/2026.pem");
    harness_kill(pid);
    EXPECT_STATUS(r, 200);
    http_expect_header_has(r, "content-type", "application/pem-certificate-chain");
    const char *cp3[] = {"cp", harness_printf("%s/receipt/receipt.key", c->demo),
                         harness_printf("%s/key.pem", old), NULL};
    HARNESS_EXPECT_EXIT(run(cp3), 0);
    const char *argv[] = {
        c->portal_bin, "--db", c->db, "--listen", harness_printf("127.0.0.1:%d", harness_free_port()),
        "--static",    dir,    NULL};
    harness_run_t *rr = run(argv);
    HARNESS_CHECK_RUN(rr->status == 2 && strstr(rr->err, "private key") != NULL, rr,
                      "expected exit 2 naming the private key in the static directory, got %s",
                      harness_ending(rr));
}

/* A receipt is a lookup: charged like one (a found code 1, an unknown one more). */
static void test_receipts_are_rate_limited_like_lookups(void **state)
{
    ctx_t *c = *state;
    /* the portal with the rate limit has no receipt key: a second one with both */
    int port = harness_free_port();
    const char *listen = harness_printf("127.0.0.1:%d", port);
    const char *cert = harness_printf("%s/receipt/receipt.pem", c->demo);
    const char *key = harness_printf("%s/receipt/receipt.key", c->demo);
    const char *argv[] = {c->portal_bin, "--db",           c->db, "--listen",      listen, "--rate-limit",
                          "3",           "--receipt-cert", cert,  "--receipt-key", key,    NULL};
    const char *err = harness_printf("%s/portal-rl.err", c->tmp);
    pid_t pid = harness_start_bg(argv, err, 0);
    long t0 = harness_now_ms();
    while (harness_now_ms() - t0 < READY_TIMEOUT_MS && http_get(port, "/healthz")->status != 200)
        harness_sleep_ms(50);
    const char *path = harness_printf("/api/v1/transcripts/%s/receipt", c->valid->code);
    for (int i = 0; i < 3; i++) {
        resp_t *r = http_get(port, path);
        if (r->status != 200) {
            harness_kill(pid);
            http_dump(r);
            fail_msg("expected receipt %d of 3 to be 200, got %d", i + 1, r->status);
        }
    }
    resp_t *r = http_get(port, path);
    int st = r->status;
    const char *retry = http_header(r, "retry-after");
    int st_page = http_get(port, harness_printf("/v/%s/receipt", c->valid->code))->status;
    harness_kill(pid);
    EXPECT(r, st == 429 && retry != NULL,
           "expected the 4th receipt within the minute to be 429 with Retry-After, got %d", st);
    EXPECT(r, st_page == 429, "expected the receipt page to be 429 too, got %d", st_page);
}

/* ---- tests: the file check ------------------------------------------------------------------------ */

#define BOUNDARY "----hocbaTestBoundary7MA4YWxk"

/* A multipart/form-data body of the given parts ("name", bytes), as a browser writes it. */
static char *form(size_t *len, const char *n1, const void *p1, size_t l1, const char *n2, const void *p2,
                  size_t l2)
{
    char *out = NULL;
    size_t cap = 0;
    *len = 0;
    const char *names[2] = {n1, n2};
    const void *parts[2] = {p1, p2};
    size_t lens[2] = {l1, l2};
    for (int i = 0; i < 2 && names[i] != NULL; i++) {
        const char *h = harness_printf("--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"%s\"; "
                                       "filename=\"T.%s\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                                       names[i], i == 0 ? "json" : "p7s");
        harness_append(&out, len, &cap, h, strlen(h));
        harness_append(&out, len, &cap, parts[i], lens[i]);
        harness_append(&out, len, &cap, "\r\n", 2);
    }
    harness_append(&out, len, &cap, "--" BOUNDARY "--\r\n", strlen("--" BOUNDARY "--\r\n"));
    return harness_keep(out);
}

static const char *const FORM_TYPE = "Content-Type: multipart/form-data; boundary=" BOUNDARY "\r\n";

/* POST a payload and a signature to the API (api 1) or the page (api 0). */
static resp_t *check_files(int port, int api, const void *pl, size_t pllen, const void *sig, size_t siglen)
{
    size_t len;
    char *body = form(&len, "payload", pl, pllen, "signature", sig, siglen);
    return http_request(NULL, port, "POST", api ? "/api/v1/packages/verify" : "/check?lang=en", FORM_TYPE,
                        body, len);
}

typedef struct {
    char *json, *p7s;
    size_t jlen, plen;
    const char *school, *names[3]; /* what the answer must never show: the school's and signers' names */
} pkg_t;

/* The label (keys/LABEL.pem) of the certificate with this SHA-256, from keys/index.txt. */
static const char *key_label(ctx_t *c, const char *sha)
{
    char *index = harness_read_file(harness_printf("%s/keys/index.txt", c->demo), NULL);
    const char *p = index ? strstr(index, sha) : NULL;
    if (p == NULL)
        fail_msg("keys/index.txt has no certificate %s", sha);
    while (p > index && p[-1] != '\n')
        p--;
    return harness_strndup(p, strcspn(p, ".")); /* "LABEL.pem\t..." */
}

/* The valid demo package, edited by edit (NULL: as published) and signed again, with the stock
 * openssl commands, by the three certificates it declares. */
static pkg_t *package(ctx_t *c, void (*edit)(ctx_t *, json_t *), const char *stem)
{
    pkg_t *k = harness_malloc(sizeof *k);
    memset(k, 0, sizeof *k);
    const char *src = harness_printf("%s/batch/%s", c->demo, c->valid->stem);
    size_t n;
    char *text = harness_read_file(harness_printf("%s.json", src), &n);
    json_t *j = json_loadb(text, n, 0, NULL);
    k->school =
        harness_printf("%s", json_string_value(json_object_get(json_object_get(j, "school"), "name")));
    json_t *signers = json_object_get(j, "signers");
    for (size_t i = 0; i < 3; i++)
        k->names[i] =
            harness_printf("%s", json_string_value(json_object_get(json_array_get(signers, i), "name")));
    if (edit == NULL) {
        k->json = text, k->jlen = n;
        k->p7s = harness_read_file(harness_printf("%s.p7s", src), &k->plen);
        json_decref(j);
        return k;
    }
    edit(c, j);
    char *out = json_dumps(j, JSON_INDENT(2));
    const char *path = harness_printf("%s/%s", c->tmp, stem);
    write_file(harness_printf("%s.json", path), out, strlen(out));
    free(out);
    for (size_t i = 0; i < 3; i++) {
        const char *label = key_label(
            c, json_string_value(json_object_get(json_array_get(signers, i), "certificate_sha256")));
        const char *pem = harness_printf("%s/keys/%s.pem", c->demo, label),
                   *key = harness_printf("%s/keys/%s.key", c->demo, label);
        const char *sign[] = {"openssl",   "cms",
                              "-sign",     "-binary",
                              "-md",       "sha256",
                              "-in",       harness_printf("%s.json", path),
                              "-signer",   pem,
                              "-inkey",    key,
                              "-certfile", harness_printf("%s/trust/intermediates.pem", c->demo),
                              "-outform",  "DER",
                              "-out",      harness_printf("%s.p7s", path),
                              NULL};
        const char *resign[] = {"openssl",  "cms",
                                "-resign",  "-binary",
                                "-inform",  "DER",
                                "-in",      harness_printf("%s.p7s", path),
                                "-content", harness_printf("%s.json", path),
                                "-signer",  pem,
                                "-inkey",   key,
                                "-md",      "sha256",
                                "-outform", "DER",
                                "-out",     harness_printf("%s.p7s", path),
                                NULL};
        harness_run_t *r = run(i == 0 ? sign : resign);
        HARNESS_EXPECT_EXIT(r, 0);
    }
    json_decref(j);
    k->json = harness_read_file(harness_printf("%s.json", path), &k->jlen);
    k->p7s = harness_read_file(harness_printf("%s.p7s", path), &k->plen);
    return k;
}

/* Another school's name in place of its own: the registry binds the name people read (check school_name). */
static void foreign_name(ctx_t *c, json_t *j)
{
    size_t n;
    char *text = harness_read_file(harness_printf("%s/schools.json", c->demo), &n);
    json_t *reg = json_loadb(text, n, 0, NULL), *e;
    const char *own = json_string_value(json_object_get(json_object_get(j, "school"), "code"));
    size_t i;
    json_array_foreach(json_object_get(reg, "schools"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "code")), own) != 0) {
            json_object_set(json_object_get(j, "school"), "name", json_object_get(e, "name"));
            break;
        }
    }
    json_decref(reg);
}

/* A transcript the school signed and never published: a document_id of its own. */
static void never_published(ctx_t *c, json_t *j)
{
    (void)c;
    json_object_set_new(j, "document_id", json_string("HB-TEST-NEVER-PUBLISHED-1"));
}

/* The same document_id as a published one, with other content. */
static void other_content(ctx_t *c, json_t *j)
{
    (void)c;
    json_object_set_new(j, "remarks", json_string("Ghi chú khác với bản đã phát hành."));
}

/* What the answer must never hold: the school's name, a signer's name (the certificates' CN are the
 * same names in the demo), the foreign name. */
static void expect_no_names(const resp_t *r, const pkg_t *k, const char *foreign)
{
    EXPECT(r, !http_body_has(r, k->school), "expected no school name in %s", r->what);
    for (int i = 0; i < 3; i++)
        EXPECT(r, !http_body_has(r, k->names[i]), "expected no signer name (\"%s\") in %s", k->names[i],
               r->what);
    if (foreign != NULL)
        EXPECT(r, !http_body_has(r, foreign), "expected no school name (\"%s\") in %s", foreign, r->what);
}

/* {"status", "checks": [...], "published", "record"} as static/openapi.json's PackageVerdict says. */
static json_t *verdict_of(const resp_t *r, const char *status, const char *published)
{
    EXPECT_STATUS(r, 200);
    http_expect_header_has(r, "content-type", "application/json");
    http_expect_header_has(r, "cache-control", "no-store");
    json_t *j = json_loadb(r->body, r->bodylen, 0, NULL);
    const char *s = json_string_value(json_object_get(j, "status"));
    const char *p = json_string_value(json_object_get(j, "published"));
    EXPECT(r, s && strcmp(s, status) == 0, "expected \"status\": \"%s\" from %s, got %s", status, r->what,
           s ? s : "none");
    EXPECT(r, p && strcmp(p, published) == 0, "expected \"published\": \"%s\" from %s, got %s", published,
           r->what, p ? p : "none");
    return j;
}

/* The check's item with this name that fails, or NULL. */
static json_t *failed(json_t *j, const char *check)
{
    json_t *ch;
    size_t i;
    json_array_foreach(json_object_get(j, "checks"), i, ch)
    {
        if (strcmp(json_string_value(json_object_get(ch, "check")), check) == 0 &&
            json_is_false(json_object_get(ch, "ok")))
            return ch;
    }
    return NULL;
}

static void test_check_of_published_files_names_the_record_and_links_it(void **state)
{
    ctx_t *c = *state;
    pkg_t *k = package(c, NULL, NULL);
    resp_t *r = check_files(c->port, 1, k->json, k->jlen, k->p7s, k->plen);
    json_t *j = verdict_of(r, "valid", "published");
    json_t *rec = json_object_get(j, "record");
    const char *code = json_string_value(json_object_get(rec, "code"));
    const char *st = json_string_value(json_object_get(rec, "status"));
    const char *url = json_string_value(json_object_get(rec, "url"));
    EXPECT(r, code && strcmp(code, c->valid->code) == 0, "expected record.code %s, got %s", c->valid->code,
           code ? code : "none");
    EXPECT(r, st && strcmp(st, "valid") == 0, "expected record.status valid, got %s", st ? st : "none");
    EXPECT(r, url && strcmp(url, harness_printf("http://127.0.0.1:%d/v/%s", c->port, c->valid->code)) == 0,
           "expected record.url to be the record's page, got %s", url ? url : "none");
    EXPECT(r, failed(j, "school_name") == NULL, "expected school_name to hold");
    json_decref(j);
    expect_no_names(r, k, NULL);
    r = check_files(c->port, 0, k->json, k->jlen, k->p7s, k->plen);
    EXPECT_STATUS(r, 200);
    http_expect_header_has(r, "content-type", "text/html");
    EXPECT(r, http_body_has(r, harness_printf("href=\"/v/%s?lang&#61;en\"", c->valid->code)),
           "expected a link to the record's page");
    expect_no_names(r, k, NULL);
}

/* What each kind of package answers: table-driven, the API and the page alike. */
static void test_check_tells_altered_foreign_unpublished_and_differing_files_apart(void **state)
{
    ctx_t *c = *state;
    pkg_t *good = package(c, NULL, NULL);
    pkg_t *foreign = package(c, foreign_name, "foreign");
    pkg_t *never = package(c, never_published, "never");
    pkg_t *other = package(c, other_content, "other");
    /* one byte of the published payload changed: its signatures no longer cover it */
    pkg_t altered = *good;
    altered.json = harness_strndup(good->json, good->jlen);
    char *at = strstr(altered.json, "\"class\"");
    assert_non_null(at);
    at[1] = 'C';
    const char *foreign_school = NULL;
    {
        json_t *j = json_loadb(foreign->json, foreign->jlen, 0, NULL);
        foreign_school =
            harness_printf("%s", json_string_value(json_object_get(json_object_get(j, "school"), "name")));
        json_decref(j);
    }
    const struct {
        const char *what;
        const pkg_t *k;
        const char *status, *published, *fails;
    } T[] = {
        {"altered by a byte", &altered, "invalid", "not_published", "integrity"},
        {"another school's name", foreign, "invalid", "differs", "school_name"},
        {"signed, never published", never, "valid", "not_published", NULL},
        {"its document_id published with other content", other, "valid", "differs", NULL},
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        resp_t *r = check_files(c->port, 1, T[i].k->json, T[i].k->jlen, T[i].k->p7s, T[i].k->plen);
        json_t *j = verdict_of(r, T[i].status, T[i].published);
        EXPECT(r, json_is_null(json_object_get(j, "record")), "%s: expected \"record\": null", T[i].what);
        if (T[i].fails != NULL)
            EXPECT(r, failed(j, T[i].fails) != NULL, "%s: expected the check %s to fail", T[i].what,
                   T[i].fails);
        json_decref(j);
        expect_no_names(r, T[i].k, foreign_school);
        resp_t *pg = check_files(c->port, 0, T[i].k->json, T[i].k->jlen, T[i].k->p7s, T[i].k->plen);
        EXPECT_STATUS(pg, 200);
        expect_no_names(pg, T[i].k, foreign_school);
    }
}

static void test_check_of_garbage_is_invalid_and_says_nothing_of_publication(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *what, *payload, *signature;
    } T[] = {
        {"text", "hello", "world"},
        {"JSON that is no transcript", "{\"schema\": \"hocba.tieuhoc.v1\"}",
         "-----BEGIN CMS-----\nAAAA\n-----END CMS-----\n"},
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        resp_t *r = check_files(c->port, 1, T[i].payload, strlen(T[i].payload), T[i].signature,
                                strlen(T[i].signature));
        json_t *j = verdict_of(r, "invalid", "not_published");
        EXPECT(r, failed(j, "signature") != NULL && failed(j, "school_name") != NULL,
               "%s: expected signature and school_name to fail", T[i].what);
        json_decref(j);
    }
}

/* Each part at most 64 KiB (413 too_large); over the server's limit the HTTP layer refuses it. */
static void test_check_refuses_a_part_over_64_kib_with_413(void **state)
{
    ctx_t *c = *state;
    size_t big = 64 * 1024 + 1;
    char *p = harness_malloc(big);
    memset(p, 'a', big);
    resp_t *r = check_files(c->port, 1, p, big, "sig", 3);
    http_expect_problem(r, 413, "too_large");
    r = check_files(c->port, 0, "{}", 2, p, big);
    EXPECT_STATUS(r, 413);
    EXPECT(r, http_body_has(r, "enctype=\"multipart/form-data\"") && http_body_has(r, "field-error"),
           "expected the form again with the message");
    /* two parts of 64 KiB fit the server's limit; three do not */
    size_t huge = 3 * 64 * 1024;
    char *q = harness_malloc(huge);
    memset(q, 'b', huge);
    r = check_files(c->port, 1, q, huge, "sig", 3);
    http_expect_problem(r, 413, "too_large");
}

/* A malformed multipart body is a clear 400 problem; the page shows the form again with the message. */
static void test_check_refuses_malformed_multipart_with_400(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *what, *type, *body;
        int status;
        const char *error;
    } T[] = {
        {"no boundary", "multipart/form-data", "x", 400, "bad_multipart"},
        {"a preamble", "multipart/form-data; boundary=b",
         "pre\r\n--b\r\nContent-Disposition: form-data; name=payload\r\n\r\nx\r\n--b--", 400,
         "bad_multipart"},
        {"no close delimiter", "multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data; name=payload\r\n\r\nx\r\n", 400, "bad_multipart"},
        {"a part without a name", "multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", 400, "bad_multipart"},
        {"the same part twice", "multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data; name=payload\r\n\r\nx\r\n--b\r\n"
         "Content-Disposition: form-data; name=payload\r\n\r\ny\r\n--b--",
         400, "bad_multipart"},
        {"no signature part", "multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data; name=payload\r\n\r\nx\r\n--b--", 400, "bad_multipart"},
        {"a third part", "multipart/form-data; boundary=b",
         "--b\r\nContent-Disposition: form-data; name=payload\r\n\r\nx\r\n--b\r\n"
         "Content-Disposition: form-data; name=signature\r\n\r\ny\r\n--b\r\n"
         "Content-Disposition: form-data; name=other\r\n\r\nz\r\n--b--",
         400, "bad_multipart"},
        {"JSON, not multipart", "application/json", "{}", 415, "unsupported_media_type"},
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        const char *h = harness_printf("Content-Type: %s\r\n", T[i].type);
        resp_t *r =
            http_request(NULL, c->port, "POST", "/api/v1/packages/verify", h, T[i].body, strlen(T[i].body));
        json_t *j = http_expect_problem(r, T[i].status, T[i].error);
        EXPECT(r, json_string_length(json_object_get(j, "detail")) > 10,
               "%s: expected a detail that says what is wrong", T[i].what);
        if (T[i].status == 415)
            http_expect_header_has(r, "accept-post", "multipart/form-data");
        r = http_request(NULL, c->port, "POST", "/check", h, T[i].body, strlen(T[i].body));
        EXPECT(r,
               r->status == T[i].status && http_body_has(r, "enctype=\"multipart/form-data\"") &&
                   http_body_has(r, "check-error"),
               "%s: expected the page %d with the form and the message", T[i].what, T[i].status);
    }
}

/* The number a /metrics line gives for name (a gauge without labels), or -1. */
static long metric(int port, const char *name)
{
    resp_t *r = http_request(NULL, port, "GET", "/metrics", NULL, NULL, 0);
    const char *p = r != NULL && r->status == 200 ? strstr(r->body, harness_printf("\n%s ", name)) : NULL;
    return p != NULL ? strtol(p + strlen(name) + 2, NULL, 10) : -1;
}

static void free_openssl(void *p)
{
    OPENSSL_free(p);
}

/* A .p7s (DER) of payload signed by a self-signed EC certificate, carrying n certificates never
 * seen before (the signer's among them): subjects "Foreign ROUND.I", one key for all. */
static unsigned char *foreign_p7s(const char *payload, size_t plen, int round, int n, size_t *len)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    STACK_OF(X509) *others = sk_X509_new_null();
    X509 *signer = NULL;
    assert_non_null(key);
    for (int i = 0; i < n; i++) {
        X509 *x = X509_new();
        X509_NAME *nm = X509_NAME_new();
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
                                   (const unsigned char *)harness_printf("Foreign %d.%d", round, i), -1, -1,
                                   0);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1000 * round + i + 1);
        X509_set_version(x, 2);
        X509_set_subject_name(x, nm);
        X509_set_issuer_name(x, nm);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_set_pubkey(x, key);
        assert_true(X509_sign(x, key, EVP_sha256()) > 0);
        X509_NAME_free(nm);
        if (signer == NULL)
            signer = x;
        else
            sk_X509_push(others, x);
    }
    BIO *in = BIO_new_mem_buf(payload, (int)plen);
    CMS_ContentInfo *cms = CMS_sign(signer, key, others, in, CMS_DETACHED | CMS_BINARY);
    assert_non_null(cms);
    unsigned char *der = NULL;
    int l = i2d_CMS_ContentInfo(cms, &der);
    assert_true(l > 0);
    *len = (size_t)l;
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    sk_X509_pop_free(others, X509_free);
    X509_free(signer);
    EVP_PKEY_free(key);
    return harness_keep_with(der, free_openssl);
}

/* Anyone may send a file of certificates never seen: checking it must not grow the trust store the
 * lookups share (it kept every certificate it decoded, for as long as the trust inputs stood, so
 * files sent in a loop made the portal's memory grow without end). A check uses its thread's own
 * store, built again after SNAPSHOT_CHECK_CERTS certificates; checks keep their answers across
 * that, and so do lookups. */
static void test_checked_files_do_not_grow_the_shared_trust_store(void **state)
{
    ctx_t *c = *state;
    pkg_t *k = package(c, NULL, NULL);
    resp_t *r = http_request(NULL, c->port, "GET", harness_printf("/v/%s", c->valid->code), NULL, NULL, 0);
    EXPECT_STATUS(r, 200);
    long before = metric(c->port, "hocba_trust_certificates");
    if (before <= 0)
        fail_msg("expected a hocba_trust_certificates gauge on /metrics, got %ld", before);
    for (int round = 0; round < 20; round++) { /* 640 certificates: past the bound on either thread */
        size_t plen;
        unsigned char *p7s = foreign_p7s(k->json, k->jlen, round, CMS_CERTS, &plen);
        r = check_files(c->port, 1, k->json, k->jlen, p7s, plen);
        json_t *j = verdict_of(r, "invalid", "not_published");
        EXPECT(r, failed(j, "chain") != NULL, "expected the chain check to fail in round %d", round);
        json_decref(j);
    }
    long after = metric(c->port, "hocba_trust_certificates");
    if (after != before)
        fail_msg("expected the shared trust store to hold %ld certificates still, it holds %ld", before,
                 after);
    r = check_files(c->port, 1, k->json, k->jlen, k->p7s, k->plen);
    json_decref(verdict_of(r, "valid", "published"));
    r = http_request(NULL, c->port, "GET", harness_api_path(c->valid->code), NULL, NULL, 0);
    EXPECT(r, r->status == 200 && http_body_has(r, "\"status\":\"valid\""),
           "expected the record valid still");
}

static void test_check_form_works_without_javascript(void **state)
{
    ctx_t *c = *state;
    resp_t *r = http_get(c->port, "/check");
    EXPECT_STATUS(r, 200);
    http_expect_header_has(r, "content-security-policy", "default-src 'none'");
    EXPECT(r,
           http_body_has(r, "method=\"post\"") && http_body_has(r, "enctype=\"multipart/form-data\"") &&
               http_body_has(r, "name=\"payload\" type=\"file\"") &&
               http_body_has(r, "name=\"signature\" type=\"file\"") && !http_body_has(r, "<script"),
           "expected a plain form posting two files");
    r = http_get(c->port, "/");
    EXPECT(r, http_body_has(r, "href=\"/check\""), "expected the home page to link the file check");
    r = http_request(NULL, c->port, "PUT", "/check", NULL, NULL, 0);
    EXPECT_STATUS(r, 405);
    http_expect_header_has(r, "allow", "GET, HEAD, POST");
}

/* A file check is a lookup: rate-limited like one. */
static void test_check_is_rate_limited_like_lookups(void **state)
{
    ctx_t *c = *state;
    int port = c->port2; /* --rate-limit 4, of which an earlier test spent one on a page */
    resp_t *r = NULL;
    int ok = 0;
    for (int i = 0; i <= RATE_LIMIT; i++) {
        r = check_files(port, 1, "x", 1, "y", 1);
        if (r->status != 200)
            break;
        ok++;
    }
    EXPECT(r, ok >= RATE_LIMIT - 1 && ok < RATE_LIMIT,
           "expected %d file checks to be answered, then 429; %d were", RATE_LIMIT - 1, ok);
    http_expect_problem(r, 429, "rate_limited");
    r = check_files(port, 0, "x", 1, "y", 1);
    EXPECT_STATUS(r, 429);
    /* the form itself costs nothing */
    EXPECT_STATUS(http_get(port, "/check"), 200);
}

/* ---- group setup and teardown ------------------------------------------------------------------- */

static int start(ctx_t *c, int *port, pid_t *pid, const char *errfile, const char *const extra[])
{
    *port = harness_free_port();
    const char *listen = harness_printf("127.0.0.1:%d", *port);
    const char *url = harness_printf("http://127.0.0.1:%d", *port);
    const char *argv[16] = {c->portal_bin, "--db", c->db, "--listen", listen, "--public-url", url};
    int n = 7;
    for (int i = 0; extra[i] != NULL && n < 15; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    *pid = harness_start_bg(argv, errfile, 0);
    if (*pid <= 0)
        return -1;
    char why[160];
    if (http_wait_healthy(pid, *port, errfile, READY_TIMEOUT_MS, why, sizeof why) == 0)
        return 0;
    print_error("the portal: %s\n", why);
    return -1;
}

static const harness_code_t *first(ctx_t *c, const char *expect, const char *desc)
{
    for (size_t i = 0; i < c->ncodes; i++)
        if (strcmp(c->codes[i].expect, expect) == 0 && strstr(c->codes[i].desc, desc) != NULL)
            return &c->codes[i];
    return NULL;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    http_set_timeout_ms(EXCHANGE_TIMEOUT_MS);
    if ((c->tmp = harness_make_tmp("hocba-receipt-test")) == NULL)
        return -1;
    snprintf(c->demo, sizeof c->demo, "%s/demo", c->tmp);
    snprintf(c->db, sizeof c->db, "%s/index", c->tmp);
    snprintf(c->perr, sizeof c->perr, "%s/portal.err", c->tmp);
    snprintf(c->perr2, sizeof c->perr2, "%s/portal2.err", c->tmp);
    if (harness_bin(&c->portal_bin, "HOCBA_BIN", "hocba-portal") ||
        harness_bin(&c->publish_bin, "HOCBA_BIN", "hocba-publish") ||
        harness_bin(&c->demo_bin, "HOCBA_BIN", "hocba-demo"))
        return -1;
    harness_lsan_default();
    const char *demo[] = {c->demo_bin,   "--out",  c->demo,   "--students",
                          DEMO_STUDENTS, "--seed", DEMO_SEED, NULL};
    if (harness_run_ok(demo, CHILD_TIMEOUT_MS) ||
        harness_load_codes(c->demo, SIZE_MAX, &c->codes, &c->ncodes))
        return -1;
    c->valid = first(c, "valid", ": transcript,");
    c->recalled = first(c, "recalled", "transcript");
    c->invalid = first(c, "invalid-after-crl", "transcript");
    if (c->valid == NULL || c->recalled == NULL || c->invalid == NULL) {
        print_error("codes.txt lacks a valid, a recalled or an invalid-after-crl transcript\n");
        return -1;
    }
    const char *d = c->demo;
    const char *steps[][8] = {
        {c->publish_bin, "--db", c->db, "trust", harness_printf("%s/trust/anchors.pem", d),
         harness_printf("%s/trust/intermediates.pem", d), NULL},
        {c->publish_bin, "--db", c->db, "schools", harness_printf("%s/schools.json", d), NULL},
        {c->publish_bin, "--db", c->db, "batch", harness_printf("%s/batch", d), NULL},
        {c->publish_bin, "--db", c->db, "crl", harness_printf("%s/trust/issuing-ca.crl", d),
         harness_printf("%s/trust/root-ca.crl", d), NULL},
    };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if (harness_run_ok(steps[i], CHILD_TIMEOUT_MS))
            return -1;
    const char *with_key[] = {"--rate-limit",
                              "0",
                              "--receipt-cert",
                              harness_printf("%s/receipt/receipt.pem", d),
                              "--receipt-key",
                              harness_printf("%s/receipt/receipt.key", d),
                              NULL};
    const char *without[] = {"--rate-limit", harness_printf("%d", RATE_LIMIT), NULL};
    return start(c, &c->port, &c->pid, c->perr, with_key) || start(c, &c->port2, &c->pid2, c->perr2, without);
}

static int group_setup(void **state);

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    if (c == NULL)
        return 0;
    int rc = 0;
    const pid_t pids[] = {c->pid, c->pid2};
    const char *errs[] = {c->perr, c->perr2};
    for (int i = 0; i < 2; i++) {
        int st = 0;
        if (pids[i] <= 0)
            continue;
        if (!harness_stop(pids[i], SIGTERM, STOP_TIMEOUT_MS, &st) || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            print_error("a portal did not exit 0 on SIGTERM: %s%s\n", harness_wait_status_text(st),
                        harness_sanitizer_note(errs[i]));
            harness_dump_file_tail("portal output", errs[i]);
            rc = -1;
        }
    }
    harness_group_end(state, c->tmp);
    return rc;
}

static int group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, group_teardown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receipt_of_a_valid_or_recalled_record_verifies_offline_and_names_its_payload),
        cmocka_unit_test(test_receipt_is_made_per_request_and_answers_head),
        cmocka_unit_test(test_receipt_of_an_invalid_record_is_409_not_receiptable),
        cmocka_unit_test(test_receipt_of_an_unknown_or_malformed_code_is_404_or_400),
        cmocka_unit_test(test_receipt_page_shows_the_signed_statement_its_qr_and_the_receipt_to_download),
        cmocka_unit_test(test_receipt_chain_is_the_receipt_certificates_pem),
        cmocka_unit_test(test_without_a_receipt_key_receipts_are_404),
        cmocka_unit_test(test_bad_receipt_key_or_certificate_stops_the_portal_with_exit_2),
        cmocka_unit_test(test_old_receipt_chains_are_served_from_static_and_a_key_there_is_refused),
        cmocka_unit_test(test_receipts_are_rate_limited_like_lookups),
        cmocka_unit_test(test_check_of_published_files_names_the_record_and_links_it),
        cmocka_unit_test(test_check_tells_altered_foreign_unpublished_and_differing_files_apart),
        cmocka_unit_test(test_check_of_garbage_is_invalid_and_says_nothing_of_publication),
        cmocka_unit_test(test_check_refuses_a_part_over_64_kib_with_413),
        cmocka_unit_test(test_check_refuses_malformed_multipart_with_400),
        cmocka_unit_test(test_checked_files_do_not_grow_the_shared_trust_store),
        cmocka_unit_test(test_check_form_works_without_javascript),
        cmocka_unit_test(test_check_is_rate_limited_like_lookups),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
