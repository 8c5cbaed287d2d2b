/* portal_fixture.c — the group of the test_portal_*.c binaries and the helpers they share
 * (portal_fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include <lz4.h>
#include <zlib.h>

#include <jansson.h>

#include "lookup/code.h"
#include "tests/harness.h"
#include "tests/http.h"
#include "tests/portal_fixture.h"

#define DEMO_STUDENTS "40"
#define DEMO_SEED "3"
#define MAP_SIZE 68719476736ULL /* docs/index-format.md: 64 GiB, as the server */
#define MAX_CODES 128

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* ---- lookup codes (package-format.md §2) -------------------------------------------- */

static int sym_index(char ch)
{
    const char *p = ch ? strchr(ALPHABET, ch) : NULL;
    return p ? (int)(p - ALPHABET) : -1;
}

/* The check symbol of 15 code symbols: Luhn mod 32. */
static char check_symbol(const char *s15)
{
    unsigned sum = 0, factor = 2;
    for (int i = 14; i >= 0; i--) {
        unsigned addend = factor * (unsigned)sym_index(s15[i]);
        sum += addend / 32 + addend % 32;
        factor = factor == 2 ? 1 : 2;
    }
    return ALPHABET[(32 - sum % 32) % 32];
}

static void make_code(const char *s15, char out[17])
{
    memcpy(out, s15, 15);
    out[15] = check_symbol(s15);
    out[16] = '\0';
}

/* "ABCD-EFGH-JKMN-PQRS" */
const char *pf_grouped(const char *code)
{
    return harness_printf("%.4s-%.4s-%.4s-%.4s", code, code + 4, code + 8, code + 12);
}

const char *pf_lower(const char *s)
{
    char *p = harness_strndup(s, strlen(s));
    for (char *q = p; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    return p;
}

/* The code with its check symbol replaced by the next symbol: a typo. */
const char *pf_bad_check(const char *code)
{
    char *p = harness_strndup(code, 16);
    p[15] = ALPHABET[(sym_index(code[15]) + 1) % 32];
    return p;
}

/* ---- child processes ------------------------------------------------------------- */

static void publish_v(ctx_t *c, const char *db, harness_run_t *r, va_list ap)
{
    const char *argv[16];
    int argc = 0;
    argv[argc++] = c->publish_bin;
    argv[argc++] = "--db";
    argv[argc++] = db;
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 15;)
        argv[argc++] = a;
    argv[argc] = NULL;
    harness_run(r, NULL, argv, CHILD_TIMEOUT_MS);
}

/* Run the publisher: pf_publish(c, &r, ARG..., NULL), on the group's index. */
void pf_publish(ctx_t *c, harness_run_t *r, ...)
{
    va_list ap;
    va_start(ap, r);
    publish_v(c, c->db, r, ap);
    va_end(ap);
}

/* The same on another index: pf_publish_to(c, DB, &r, ARG..., NULL). */
void pf_publish_to(ctx_t *c, const char *db, harness_run_t *r, ...)
{
    va_list ap;
    va_start(ap, r);
    publish_v(c, db, r, ap);
    va_end(ap);
}

/* ---- HTTP (tests/http.h) to the portal under test ----------------------------------- */

resp_t *pf_request(ctx_t *c, const char *method, const char *path, const char *headers, const char *body,
                   size_t bodylen)
{
    return http_request(NULL, c->port, method, path, headers, body, bodylen);
}

resp_t *pf_get(ctx_t *c, const char *path)
{
    return pf_request(c, "GET", path, NULL, NULL, 0);
}

resp_t *pf_get_h(ctx_t *c, const char *path, const char *headers)
{
    return pf_request(c, "GET", path, headers, NULL, 0);
}

resp_t *pf_post_json(ctx_t *c, const char *path, const char *body, size_t len)
{
    return pf_request(c, "POST", path, "Content-Type: application/json\r\n", body, len);
}

void pf_expect_html(const resp_t *r)
{
    http_expect_type(r, "text/html");
    http_expect_header_has(r, "content-type", "charset=utf-8");
}

/* Location is path, or the public URL followed by path. */
static void expect_location(ctx_t *c, const resp_t *r, const char *path)
{
    const char *v = http_header(r, "location");
    const char *abs = harness_printf("http://127.0.0.1:%d%s", c->port, path);
    EXPECT(r, v && (strcmp(v, path) == 0 || strcmp(v, abs) == 0), "expected Location: %s for %s, got %s",
           path, r->what, v ? v : "none");
}

void pf_expect_redirect(ctx_t *c, const resp_t *r, int status, const char *path)
{
    EXPECT_STATUS(r, status);
    expect_location(c, r, path);
}

/* Every HTML answer: CSP of the own origin only, nosniff (http.md). */
void pf_expect_html_security_headers(const resp_t *r)
{
    const char *csp = http_header(r, "content-security-policy");
    EXPECT(r, csp != NULL, "expected a Content-Security-Policy on %s, got none", r->what);
    EXPECT(r, strstr(csp, "frame-ancestors 'none'") != NULL,
           "expected the CSP of %s to hold frame-ancestors 'none', got \"%s\"", r->what, csp);
    EXPECT(r, !strcasestr(csp, "unsafe-inline") && !strcasestr(csp, "unsafe-eval"),
           "expected the CSP of %s to allow no inline or eval script, got \"%s\"", r->what, csp);
    EXPECT(r, !strchr(csp, '*') && !strstr(csp, "http:") && !strstr(csp, "https:"),
           "expected the CSP of %s to allow only the portal's own origin, got \"%s\"", r->what, csp);
    http_expect_header_has(r, "x-content-type-options", "nosniff");
}

/* Transcript pages and API answers (http.md). */
void pf_expect_privacy_headers(const resp_t *r)
{
    http_expect_header_has(r, "cache-control", "no-store");
    http_expect_header_has(r, "x-robots-tag", "noindex");
    http_expect_header_has(r, "referrer-policy", "no-referrer");
}

/* The portal is still running and /healthz says 200. */
void pf_expect_alive(ctx_t *c)
{
    int st;
    if (c->pid > 0 && waitpid(c->pid, &st, WNOHANG) == c->pid) {
        const char *how = harness_wait_status_text(st);
        c->pid = 0;
        harness_dump_file_tail("portal output", c->perr);
        fail_msg("expected the portal to be running, it ended: %s", how);
    }
    resp_t *r = pf_get(c, "/healthz");
    EXPECT_STATUS(r, 200);
}

/* GET the API for code, expect 200 JSON, return the document. */
json_t *pf_api(ctx_t *c, const char *code, resp_t **rp)
{
    resp_t *r = pf_get(c, harness_api_path(code));
    EXPECT_STATUS(r, 200);
    http_expect_type(r, "application/json");
    if (rp)
        *rp = r;
    return http_expect_json(r);
}

void pf_expect_api_status(ctx_t *c, const char *code, const char *want)
{
    resp_t *r;
    json_t *j = pf_api(c, code, &r);
    const char *s = json_string_value(json_object_get(j, "status"));
    EXPECT(r, s && strcmp(s, want) == 0, "expected \"status\": \"%s\" for %s, got %s", want, code,
           s ? s : "none");
}

/* The first check named `check` whose ok is false, or NULL. */
json_t *pf_failed_check(const json_t *j, const char *check)
{
    json_t *checks = json_object_get(j, "checks");
    for (size_t i = 0; checks && json_is_array(checks) && i < json_array_size(checks); i++) {
        json_t *ok = json_object_get(json_array_get(checks, i), "ok");
        const char *name = json_string_value(json_object_get(json_array_get(checks, i), "check"));
        if (name && strcmp(name, check) == 0 && json_is_false(ok))
            return json_array_get(checks, i);
    }
    return NULL;
}

/* API: invalid, transcript null, and the named check failed. */
void pf_expect_api_invalid(ctx_t *c, const char *code, const char *check)
{
    resp_t *r;
    json_t *j = pf_api(c, code, &r);
    const char *s = json_string_value(json_object_get(j, "status"));
    EXPECT(r, s && strcmp(s, "invalid") == 0, "expected \"status\": \"invalid\" for %s, got %s", code,
           s ? s : "none");
    EXPECT(r, json_is_null(json_object_get(j, "transcript")),
           "expected \"transcript\": null for invalid %s, got %s", code,
           http_json_type(json_object_get(j, "transcript")));
    EXPECT(r, pf_failed_check(j, check) != NULL,
           "expected a check \"%s\" with \"ok\": false for %s, found none", check, code);
}

void pf_expect_no_personal_data(const resp_t *r, const pupil_t *p)
{
    if (p->address[0])
        EXPECT_BODY_LACKS(r, p->address);
    if (p->guardian[0])
        EXPECT_BODY_LACKS(r, p->guardian);
    if (strlen(p->citizen_id) == 12) {
        const char *first9 = harness_printf("%.9s", p->citizen_id);
        EXPECT(r, !http_body_has(r, first9),
               "expected the first 9 digits of citizen_id (%s) never to appear in %s, they do", first9,
               r->what);
    }
}

/* http.md: an invalid record's answer names nobody. No pupil, signer or
 * school name, no certificate subject (a signer's names its school in O=,
 * and the API had a member for it) on its page, its printed copy or in its
 * API answer, check details included. */
void pf_expect_invalid_names_nobody(const resp_t *r, const pupil_t *p)
{
    const char *never[] = {p->name, p->school, p->teacher, "certificate_subject", "\"name\""};
    for (size_t i = 0; i < sizeof never / sizeof *never; i++)
        EXPECT(r, !http_body_has(r, never[i]), "expected no \"%s\" in the invalid record's %s, it is there",
               never[i], r->what);
}

/* ---- the index, by hand (docs/index-format.md) -------------------------------------- */

static MDB_env *lmdb_open_at(const char *db)
{
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (rc == 0 && (rc = mdb_env_set_mapsize(env, (size_t)MAP_SIZE)) == 0 &&
        (rc = mdb_env_set_maxdbs(env, 8)) == 0)
        rc = mdb_env_open(env, db, 0, 0664);
    if (rc != 0) {
        mdb_env_close(env);
        fail_msg("cannot open the index %s read-write: %s", db, mdb_strerror(rc));
    }
    int dead;
    mdb_reader_check(env, &dead);
    return env;
}

static MDB_env *lmdb_open(ctx_t *c)
{
    return lmdb_open_at(c->db);
}

/* Copy of table[key] into the arena, or NULL when absent. */
void *pf_lmdb_get(ctx_t *c, const char *table, const void *key, size_t klen, size_t *vlen)
{
    MDB_env *env = lmdb_open(c);
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key}, v;
    void *out = NULL;
    int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc == 0 && (rc = mdb_dbi_open(txn, table, 0, &dbi)) == 0 && (rc = mdb_get(txn, dbi, &k, &v)) == 0) {
        out = harness_malloc(v.mv_size + 1);
        memcpy(out, v.mv_data, v.mv_size);
        ((char *)out)[v.mv_size] = '\0';
        *vlen = v.mv_size;
    }
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(env);
    if (rc != 0 && rc != MDB_NOTFOUND)
        fail_msg("cannot read %s/%.*s from the index: %s", table, (int)klen, (const char *)key,
                 mdb_strerror(rc));
    return out;
}

/* table[key] = val in one transaction (val NULL: table[key] is deleted);
 * with bump, also trust_version + 1, as any change of a trust input does
 * (docs/index-format.md). */
void pf_lmdb_put(ctx_t *c, const char *table, const void *key, size_t klen, const void *val, size_t vlen,
                 int bump)
{
    MDB_env *env = lmdb_open(c);
    MDB_txn *txn = NULL;
    MDB_dbi dbi, meta;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc == 0 && (rc = mdb_dbi_open(txn, table, 0, &dbi)) == 0)
        rc = val != NULL ? mdb_put(txn, dbi, &k, &v, 0) : mdb_del(txn, dbi, &k, NULL);
    if (rc == 0 && bump && (rc = mdb_dbi_open(txn, "meta", 0, &meta)) == 0) {
        MDB_val tk = {13, "trust_version"}, tv;
        uint64_t ver = 0;
        if ((rc = mdb_get(txn, meta, &tk, &tv)) == 0 && tv.mv_size == 8) {
            const unsigned char *b = tv.mv_data;
            for (int i = 7; i >= 0; i--)
                ver = ver << 8 | b[i];
            ver++;
            unsigned char nb[8];
            for (int i = 0; i < 8; i++)
                nb[i] = (unsigned char)(ver >> (8 * i));
            MDB_val nv = {8, nb};
            rc = mdb_put(txn, meta, &tk, &nv, 0);
        } else if (rc == 0) {
            rc = MDB_CORRUPTED;
        }
    }
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else if (txn)
        mdb_txn_abort(txn);

    mdb_env_close(env);
    if (rc != 0)
        fail_msg("cannot write %s/%.*s in the index: %s", table, (int)klen, (const char *)key,
                 mdb_strerror(rc));
}

/* The record docs[code] with one ASCII letter of its payload flipped after
 * `after`, stored consistently in the record's own format
 * (docs/index-format.md: a 28-byte header, then the packed payload — an
 * LZ4 block and the payload's CRC-32 in format 4, a zlib stream in format 3
 * — then the .p7s parts), in *nlen bytes; the altered payload's own lookup
 * code goes to newcode (17 bytes, terminated). The original record and its
 * length go to *orig and *len. */
unsigned char *pf_altered_record(ctx_t *c, const char *code, const char *after, size_t *nlenp,
                                 char newcode[17], unsigned char **origp, size_t *lenp)
{
    size_t len;
    unsigned char *orig = pf_lmdb_get(c, "docs", code, 16, &len);
    if (!orig)
        fail_msg("expected a docs record for %s in the index, found none", code);
    unsigned char *z3 = NULL;
    size_t z3len = 0;
    if (len >= 28 && orig[0] == 4)
        z3 = harness_record_as_zlib(orig, len, &z3len);
    const unsigned char *rec = z3 != NULL ? z3 : orig;
    size_t rlen = z3 != NULL ? z3len : len;
    if (rlen < 28 || rec[0] != 3)
        fail_msg(
            "expected a docs record of format 4 or 3 (28 bytes or more) for %s, got %zu bytes of format %d",
            code, len, len ? orig[0] : -1);
    uLong plen = (uLong)rec[4] | (uLong)rec[5] << 8 | (uLong)rec[6] << 16 | (uLong)rec[7] << 24;
    size_t zlen = (size_t)rec[24] | (size_t)rec[25] << 8 | (size_t)rec[26] << 16 | (size_t)rec[27] << 24;
    if (zlen == 0 || 28 + zlen > rlen)
        fail_msg("expected a compressed payload of %zu bytes to fit the record of %zu bytes", zlen, rlen);
    char *payload = harness_malloc(plen + 1);
    uLongf got = plen;
    if (uncompress((Bytef *)payload, &got, rec + 28, zlen) != Z_OK || got != plen)
        fail_msg("expected the stored payload of %s to inflate to %lu bytes", code, plen);
    const char *at = memmem(payload, plen, after, strlen(after));
    size_t off = at ? (size_t)(at - payload) + strlen(after) : 0;
    while (at && off < plen && !isalpha((unsigned char)payload[off]))
        off++;
    if (!at || off >= plen)
        fail_msg("expected an ASCII letter after %s in the payload of %s, found none", after, code);
    payload[off] ^= 0x01;
    code_from_payload(payload, plen, newcode);
    newcode[16] = '\0';
    uLongf nz = compressBound(plen) + LZ4_compressBound((int)plen) + 4;
    unsigned char *z = harness_malloc(nz);
    if (orig[0] == 4) { /* an LZ4 block, then the CRC-32 (zlib's crc32 is the same function) */
        int n = LZ4_compress_default(payload, (char *)z, (int)plen, (int)nz - 4);
        uLong crc = crc32(0L, (const Bytef *)payload, (uInt)plen);
        if (n <= 0)
            fail_msg("LZ4_compress_default failed");
        z[n] = (unsigned char)crc, z[n + 1] = (unsigned char)(crc >> 8);
        z[n + 2] = (unsigned char)(crc >> 16), z[n + 3] = (unsigned char)(crc >> 24);
        nz = (uLongf)n + 4;
    } else if (compress2(z, &nz, (const Bytef *)payload, plen, Z_BEST_COMPRESSION) != Z_OK) {
        fail_msg("compress2 failed");
    }
    size_t rest = rlen - 28 - zlen, nlen = 28 + nz + rest;
    unsigned char *bad = harness_malloc(nlen);
    memcpy(bad, rec, 28);
    bad[0] = orig[0];
    bad[24] = (unsigned char)nz, bad[25] = (unsigned char)(nz >> 8), bad[26] = (unsigned char)(nz >> 16);
    bad[27] = (unsigned char)(nz >> 24);
    memcpy(bad + 28, z, nz);
    memcpy(bad + 28 + nz, rec + 28 + zlen, rest);
    free(z3);
    *nlenp = nlen;
    *origp = orig;
    *lenp = len;
    return bad;
}

/* Flip one ASCII letter of the payload of table docs[code] after `after`
 * and store the record again, consistently (altered_record); returns the
 * original record (for the restore) and its length. */
unsigned char *pf_tamper_payload(ctx_t *c, const char *code, const char *after, size_t *lenp)
{
    size_t nlen;
    char newcode[17];
    unsigned char *orig;
    unsigned char *bad = pf_altered_record(c, code, after, &nlen, newcode, &orig, lenp);
    pf_lmdb_put(c, "docs", code, 16, bad, nlen, 0);
    return orig;
}

/* ---- the portals -------------------------------------------------------------------------- */

void pf_start_rl_portal(ctx_t *c)
{
    if (c->rl_pid > 0)
        return;
    c->rl_port = harness_free_port();
    assert_true(c->rl_port > 0);
    snprintf(c->rl_err, sizeof c->rl_err, "%s/portal-rl.err", c->tmp);
    const char *listen = harness_printf("127.0.0.1:%d", c->rl_port);
    const char *url = harness_printf("http://127.0.0.1:%d", c->rl_port);
    const char *logf = harness_printf("%s/access-rl.log", c->tmp);
    c->rl_metrics_port = harness_free_port();
    assert_true(c->rl_metrics_port > 0 && c->rl_metrics_port != c->rl_port);
    const char *mlisten = harness_printf("127.0.0.1:%d", c->rl_metrics_port);
    const char *argv[] = {c->portal_bin, "--db",
                          c->db,         "--listen",
                          listen,        "--public-url",
                          url,           "--rate-limit",
                          "10",          "--metrics-listen",
                          mlisten,       "--access-log",
                          logf,          "--threads",
                          "2",           "--trusted-proxy",
                          "127.0.0.20",  "--cache-entries",
                          "0",           NULL};
    c->rl_pid = harness_start_bg(argv, c->rl_err, 0);
    assert_true(c->rl_pid > 0);
    long start = harness_now_ms();
    for (;;) {
        int st;
        if (waitpid(c->rl_pid, &st, WNOHANG) == c->rl_pid) {
            c->rl_pid = 0;
            harness_dump_file_tail("rate-limited portal output", c->rl_err);
            fail_msg("expected the second portal to start, it ended: %s", harness_wait_status_text(st));
        }
        resp_t *r = http_request("127.0.0.9", c->rl_port, "GET", "/healthz", NULL, NULL, 0);
        if (r->status == 200)
            return;
        if (harness_now_ms() - start > READY_TIMEOUT_MS) {
            harness_dump_file_tail("rate-limited portal output", c->rl_err);
            fail_msg("expected the second portal to answer /healthz 200 within %d ms, last: %d",
                     READY_TIMEOUT_MS, r->status);
        }
        harness_sleep_ms(50);
    }
}

resp_t *pf_rl_get(ctx_t *c, const char *src, const char *path)
{
    return http_request(src, c->rl_port, "GET", path, NULL, NULL, 0);
}

/* Stop the group's portal: SIGTERM, exit 0 within 5 s. 0 or -1. */

int pf_stop_portal(ctx_t *c, char *why, size_t n)
{
    if (c->pid <= 0)
        return 0;
    int st;
    int ended = harness_stop(c->pid, SIGTERM, STOP_TIMEOUT_MS, &st);
    c->pid = 0;
    if (ended && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    snprintf(why, n, "%s", ended ? harness_wait_status_text(st) : "still running after 5 s (killed)");
    return -1;
}

/* ---- group setup and teardown --------------------------------------------------------------- */

/* codes.txt, each code's check symbol as package-format.md §2 gives it. */
static int load_codes(ctx_t *c)
{
    if (harness_load_codes(c->demo, MAX_CODES, &c->codes, &c->ncodes) != 0)
        return -1;
    for (size_t i = 0; i < c->ncodes; i++) {
        const char *s = c->codes[i].code;
        char want = check_symbol(s);
        if (want != s[15]) {
            print_error("codes.txt: %s has check symbol %c, package-format.md §2 gives %c\n", s, s[15], want);
            return -1;
        }
    }
    return 0;
}

/* Read DEMO/batch/STEM.json into p. */
static int load_pupil(ctx_t *c, pupil_t *p, const harness_code_t *e)
{
    size_t len;
    const char *path = harness_printf("%s/batch/%s.json", c->demo, e->stem);
    char *text = harness_read_file(path, &len);
    json_t *j = http_json_parse(text, len);
    const char *name = json_string_value(http_json_path(j, "student.full_name")),
               *school = json_string_value(http_json_path(j, "school.name"));
    const char *cid = json_string_value(http_json_path(j, "student.citizen_id")),
               *addr = json_string_value(http_json_path(j, "student.address"));
    const char *guardian = json_string_value(http_json_path(j, "student.guardian_name"));
    const char *teacher = NULL;
    json_t *signers = json_object_get(j, "signers");
    for (size_t i = 0; signers && json_is_array(signers) && i < json_array_size(signers); i++) {
        const char *role = json_string_value(json_object_get(json_array_get(signers, i), "role"));
        if (role && strcmp(role, "homeroom_teacher") == 0)
            teacher = json_string_value(json_object_get(json_array_get(signers, i), "name"));
    }
    if (!name || !school || !teacher) {
        print_error("%s: expected student.full_name, school.name and a homeroom_teacher\n", path);
        return -1;
    }
    snprintf(p->code, sizeof p->code, "%s", e->code);
    snprintf(p->stem, sizeof p->stem, "%s", e->stem);
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->school, sizeof p->school, "%s", school);
    snprintf(p->teacher, sizeof p->teacher, "%s", teacher);
    snprintf(p->citizen_id, sizeof p->citizen_id, "%s", cid ? cid : "");
    snprintf(p->address, sizeof p->address, "%s", addr ? addr : "");
    snprintf(p->guardian, sizeof p->guardian, "%s", guardian ? guardian : "");
    return 0;
}

/* The secondary transcripts of codes.txt the tests of secondary pages use. */
static int pick_secondary(ctx_t *c)
{
    const harness_code_t *nine = NULL, *twelve = NULL, *other = NULL;
    for (size_t i = 0; i < c->ncodes; i++) {
        const harness_code_t *e = &c->codes[i];
        int valid = strcmp(e->expect, "valid") == 0 && !strchr(e->desc, ';');
        if (valid && !nine && strcmp(e->level, "THCS") == 0 && strstr(e->desc, "grade 9, HOAN_THANH"))
            nine = e;
        else if (valid && !twelve && strcmp(e->level, "THPT") == 0 && strstr(e->desc, "grade 12, "))
            twelve = e;
        else if (valid && !other && strcmp(e->level, "GDTX") == 0)
            other = e;
        else if (strcmp(e->expect, "recalled") == 0 && strcmp(e->level, "THCS") == 0 &&
                 strstr(e->desc, "replaced by") && !c->sec_old[0])
            snprintf(c->sec_old, 17, "%s", e->code);
    }
    for (size_t i = 0; c->sec_old[0] && i < c->ncodes; i++)
        if (strstr(c->codes[i].desc, harness_printf("supersedes %s", c->sec_old)))
            snprintf(c->sec_new, 17, "%s", c->codes[i].code);
    if (!nine || !twelve || !other || !c->sec_new[0]) {
        print_error(
            "codes.txt lacks a secondary transcript the tests need (a valid THCS grade 9 HOAN_THANH, a "
            "valid THPT grade 12, a valid GDTX one, a recalled THCS one and its replacement)\n");
        return -1;
    }
    return load_pupil(c, &c->sec9, nine) || load_pupil(c, &c->sec12, twelve) ||
           load_pupil(c, &c->sec_tamper, other);
}

/* Pick the codes each test works on, so that no two change the same one. */
static int pick_codes(ctx_t *c)
{
    const harness_code_t *plain[MAX_CODES];
    size_t nplain = 0;
    const harness_code_t *crl = NULL;
    for (size_t i = 0; i < c->ncodes; i++) {
        const harness_code_t *e = &c->codes[i];
        if (strcmp(e->expect, "valid") == 0 && !strchr(e->desc, ';') && strstr(e->desc, ": transcript,"))
            plain[nplain++] = e;
        else if (strcmp(e->expect, "valid") == 0 && strstr(e->desc, "revoked") && !c->superseded_ok[0])
            snprintf(c->superseded_ok, 17, "%s", e->code);
        else if (strcmp(e->expect, "invalid-after-crl") == 0 && !crl)
            crl = e;
        else if (strcmp(e->expect, "recalled") == 0 && strstr(e->desc, "not replaced") &&
                 !c->recalled_alone[0])
            snprintf(c->recalled_alone, 17, "%s", e->code);
        else if (strcmp(e->expect, "recalled") == 0 && strstr(e->desc, "replaced by") && !c->recalled_old[0])
            snprintf(c->recalled_old, 17, "%s", e->code);
        else if (strcmp(e->expect, "recall-notice") == 0 && !c->notice[0])
            snprintf(c->notice, 17, "%s", e->code);
    }
    for (size_t i = 0; c->recalled_old[0] && i < c->ncodes; i++) {
        if (strstr(c->codes[i].desc, harness_printf("supersedes %s", c->recalled_old)))
            snprintf(c->recalled_new, 17, "%s", c->codes[i].code);
        /* the notice is recalled_old's own (the tests that alter it look at that transcript) */
        if (strstr(c->codes[i].desc, harness_printf("recall of %s", c->recalled_old)))
            snprintf(c->notice, 17, "%s", c->codes[i].code);
    }
    if (nplain < 4 || !crl || !c->superseded_ok[0] || !c->recalled_alone[0] || !c->recalled_old[0] ||
        !c->recalled_new[0] || !c->notice[0]) {
        print_error(
            "codes.txt lacks a kind of code the tests need (4 plain valid, invalid-after-crl, a valid one "
            "with a superseded certificate, recalled with and without replacement, recall-notice)\n");
        return -1;
    }
    /* `valid`: the first with citizen_id, address and guardian_name, which
     * the privacy tests look for; the others in order after it */
    size_t first = nplain;
    for (size_t i = 0; i < nplain && first == nplain; i++) {
        if (load_pupil(c, &c->valid, plain[i]))
            return -1;
        if (strlen(c->valid.citizen_id) == 12 && c->valid.address[0] && c->valid.guardian[0])
            first = i;
    }
    if (first + 3 >= nplain) {
        print_error("codes.txt: expected a valid transcript with all personal data and 3 more after it\n");
        return -1;
    }
    if (load_pupil(c, &c->valid2, plain[first + 1]) || load_pupil(c, &c->tamper, plain[first + 2]) ||
        load_pupil(c, &c->victim, plain[nplain - 1]) || load_pupil(c, &c->crl_bad, crl))
        return -1;
    if (pick_secondary(c) != 0)
        return -1;
    const char *bases[4] = {"ZZZZZZZZZZZZZZZ", "ZZZZZZZZZZZZZZY", "YYYYYYYYYYYYYYY", "XXXXXXXXXXXXXXX"};
    for (int i = 0; i < 4; i++) {
        make_code(bases[i], c->unknown[i]);
        for (size_t k = 0; k < c->ncodes; k++)
            if (strcmp(c->unknown[i], c->codes[k].code) == 0)
                return -1;
    }
    return 0;
}

static int start_main_portal(ctx_t *c)
{
    c->port = harness_free_port();
    if (c->port <= 0)
        return -1;
    snprintf(c->perr, sizeof c->perr, "%s/portal.err", c->tmp);
    const char *listen = harness_printf("127.0.0.1:%d", c->port);
    const char *url = harness_printf("http://127.0.0.1:%d", c->port);
    const char *argv[] = {c->portal_bin, "--db",         c->db, "--listen",     listen, "--public-url",
                          url,           "--rate-limit", "0",   "--access-log", c->log, NULL};
    c->pid = harness_start_bg(argv, c->perr, 0);
    if (c->pid <= 0)
        return -1;
    char why[160];
    if (http_wait_healthy(&c->pid, c->port, c->perr, READY_TIMEOUT_MS, why, sizeof why) == 0)
        return 0;
    print_error("the portal: %s\n", why);
    return -1;
}

int pf_group_teardown(void **state)
{
    ctx_t *c = *state;
    if (!c)
        return 0;
    int rc = 0;
    char why[160];
    if (c->rl_pid > 0)
        harness_kill(c->rl_pid);
    if (c->other_pid > 0)
        harness_kill(c->other_pid);
    if (pf_stop_portal(c, why, sizeof why) != 0) {
        print_error("the portal did not exit 0 on SIGTERM within %d ms: %s\n", STOP_TIMEOUT_MS, why);
        harness_dump_file_tail("portal output", c->perr);
        rc = -1;
    }
    harness_group_end(state, c->tmp);
    return rc;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    c->tmp = harness_make_tmp("hocba-portal-test");
    if (!c->tmp)
        return -1;
    snprintf(c->demo, sizeof c->demo, "%s/demo", c->tmp);
    snprintf(c->db, sizeof c->db, "%s/index", c->tmp);
    snprintf(c->log, sizeof c->log, "%s/access.log", c->tmp);
    if (harness_bin(&c->portal_bin, "HOCBA_BIN", "hocba-portal") ||
        harness_bin(&c->publish_bin, "HOCBA_BIN", "hocba-publish") ||
        harness_bin(&c->demo_bin, "HOCBA_BIN", "hocba-demo"))
        return -1;
    if (access("templates", R_OK) != 0 || access(FIXTURES_SCRIPT, R_OK) != 0) {
        print_error("run the tests from the project root (templates/ and %s are not here)\n",
                    FIXTURES_SCRIPT);
        return -1;
    }
    harness_lsan_default();

    const char *demo[] = {c->demo_bin,   "--out",  c->demo,   "--students",
                          DEMO_STUDENTS, "--seed", DEMO_SEED, NULL};
    if (harness_run_ok(demo, CHILD_TIMEOUT_MS) || load_codes(c) || pick_codes(c))
        return -1;
    const char *anchors = harness_printf("%s/trust/anchors.pem", c->demo);
    const char *inter = harness_printf("%s/trust/intermediates.pem", c->demo);
    const char *schools = harness_printf("%s/schools.json", c->demo);
    const char *batch = harness_printf("%s/batch", c->demo);
    const char *trust[] = {c->publish_bin, "--db", c->db, "trust", anchors, inter, NULL};
    const char *reg[] = {c->publish_bin, "--db", c->db, "schools", schools, NULL};
    const char *pubb[] = {c->publish_bin, "--db", c->db, "batch", batch, NULL};
    if (harness_run_ok(trust, CHILD_TIMEOUT_MS) || harness_run_ok(reg, CHILD_TIMEOUT_MS) ||
        harness_run_ok(pubb, CHILD_TIMEOUT_MS))
        return -1;

    const char *xdir = harness_printf("%s/stock", c->tmp);
    const char *stock[] = {"bash", FIXTURES_SCRIPT, "stock", c->demo, xdir, NULL};
    harness_run_t r;
    harness_run(&r, NULL, stock, CHILD_TIMEOUT_MS);
    if (r.status != 0) {
        harness_dump_run(&r);
        return -1;
    }
    char *f[6];
    char *line = harness_strndup(r.out, strcspn(r.out, "\n"));
    for (int i = 0; i < 6; i++) {
        f[i] = line;
        line += strcspn(line, "\t");
        if (*line)
            *line++ = '\0';
    }
    pupil_t *x = &c->xss;
    snprintf(x->code, sizeof x->code, "%s", f[0]);
    snprintf(x->name, sizeof x->name, "%s", f[1]);
    snprintf(x->citizen_id, sizeof x->citizen_id, "%s", f[2]);
    snprintf(x->address, sizeof x->address, "%s", f[3]);
    snprintf(x->guardian, sizeof x->guardian, "%s", f[4]);
    snprintf(x->school, sizeof x->school, "%s", f[5]);
    if (strlen(x->code) != 16 || strlen(x->citizen_id) != 12 || !x->guardian[0] || !x->school[0]) {
        harness_dump_run(&r);
        print_error("expected CODE, NAME, CITIZEN_ID, ADDRESS, GUARDIAN, SCHOOL from %s stock\n",
                    FIXTURES_SCRIPT);
        return -1;
    }
    const char *pubx[] = {c->publish_bin, "--db", c->db, "batch", xdir, NULL};
    if (harness_run_ok(pubx, CHILD_TIMEOUT_MS))
        return -1;
    return start_main_portal(c);
}

int pf_group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, pf_group_teardown);
}
