/* test_publish_cli.c — hocba-publish as operators and the acceptance tests
 * call it (docs: cli.md, package-format.md), on the packages that
 * tests/fixtures/mkpkgs.sh makes with the stock openssl command line.
 *
 * The binary is $HOCBA_BIN/hocba-publish (default bin/); tests run from the
 * project root. The group setup runs the fixtures script once into a fresh
 * temporary directory; each test works on an index of its own under it, so
 * tests do not depend on one another's order. Set HOCBA_KEEP_TMP=1 to keep
 * the directory for a look after a failure.
 *
 * `status` has no fixed wording in cli.md; counts are read as a number next
 * to the word ("transcripts: 4", "4 transcripts", "\"transcripts\": 4"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lookup/index.h"
#include "lookup/trust.h"
#include "lookup/view.h"
#include "tests/harness.h"

#define FIXTURES_SCRIPT "tests/fixtures/mkpkgs.sh"
#define CHILD_TIMEOUT_MS 60000
#define MAX_ARGS 16
#define MAX_CODES 128
#define LINE_MAX_LEN 8192

/* A package's expected lookup code, from the fixtures' codes.tsv. */
typedef struct {
    char key[96]; /* "batch-good/good1" */
    char code[17];
} code_entry_t;

/* The group's state, handed to every test. */
typedef struct {
    const char *tmp; /* the temporary directory, removed by teardown */
    char fx[300];    /* the fixtures, tmp/fx */
    const char *pub; /* the publisher binary */
    int seq;         /* makes index names unique */
    code_entry_t codes[MAX_CODES];
    size_t ncodes;
    /* `batch batch-bad` after batch-good, run once and shared by the
     * per-case tests */
    int bad_done;
    harness_run_t bad_run;
    long bad_before_transcripts, bad_before_recalls;
    long bad_after_transcripts, bad_after_recalls;
    int certs_done; /* certs_index made its index */
} ctx_t;

static const char ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* ---- running a child ---------------------------------------------------- */

#define EXPECT_STDERR_MESSAGE(r)                                                                             \
    HARNESS_CHECK_RUN(strspn((r)->err, " \t\r\n") < (r)->errlen, (r),                                        \
                      "expected a message on stderr from `%s`, got nothing", (r)->cmd)

/* Run the publisher: pub(c, &r, DB, ARG..., NULL). DB NULL leaves out
 * --db. An argument starting with '@' names a file of the fixtures. */
static void pub(ctx_t *c, harness_run_t *r, const char *db, ...)
{
    const char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = c->pub;
    if (db) {
        argv[argc++] = "--db";
        argv[argc++] = db;
    }
    va_list ap;
    va_start(ap, db);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < MAX_ARGS;) {
        if (a[0] == '@')
            a = harness_printf("%s/%s", c->fx, a + 1);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    harness_run(r, NULL, argv, CHILD_TIMEOUT_MS);
}

/* ---- reading the output -------------------------------------------------- */

/* Copy the first line of text that satisfies match(line, arg) into buf. */
static int find_line(const char *text, int (*match)(const char *, const char *), const char *arg, char *buf,
                     size_t n)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len && p[len - 1] == '\r')
            len--;
        size_t k = len < n - 1 ? len : n - 1;
        memcpy(buf, p, k);
        buf[k] = '\0';
        if (match(buf, arg))
            return 1;
        if (!nl)
            break;
        p = nl + 1;
    }
    buf[0] = '\0';
    return 0;
}

/* "STEM ..." */
static int starts_with_stem(const char *line, const char *stem)
{
    size_t n = strlen(stem);
    return strncmp(line, stem, n) == 0 && line[n] == ' ';
}

/* The line of text for package STEM, or fail. */
#define LINE_OF(r, stem, buf)                                                                                \
    HARNESS_CHECK_RUN(find_line((r)->out, starts_with_stem, (stem), (buf), sizeof(buf)), (r),                \
                      "expected a line starting \"%s \" in the stdout of `%s`, found none", (stem),          \
                      (r)->cmd)

/* Run `status` and check that the count named by word is want. */
#define EXPECT_COUNT(c, db, word, want)                                                                      \
    do {                                                                                                     \
        harness_run_t st_;                                                                                   \
        pub((c), &st_, (db), "status", NULL);                                                                \
        HARNESS_EXPECT_EXIT(&st_, 0);                                                                        \
        long got_ = harness_count_of(st_.out, (word), 1);                                                    \
        HARNESS_CHECK_RUN(got_ == (want), &st_, "expected `status` to count %ld %s, got %ld%s",              \
                          (long)(want), (word), got_, got_ < 0 ? " (no number next to that word)" : "");     \
    } while (0)

/* The code mkpkgs.sh computed for BATCH/STEM.json (package-format.md §2). */
static const char *code_for(ctx_t *c, const char *batch, const char *stem)
{
    char key[96];
    snprintf(key, sizeof key, "%s/%s", batch, stem);
    for (size_t i = 0; i < c->ncodes; i++)
        if (strcmp(c->codes[i].key, key) == 0)
            return c->codes[i].code;
    fail_msg("expected a code for %s in the fixtures' codes.tsv, found none", key);
    return NULL;
}

/* 1 when s is 16 symbols of the code alphabet. */
static int is_code_shape(const char *s, size_t len)
{
    if (len != 16)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!s[i] || !strchr(ALPHABET, s[i]))
            return 0;
    return 1;
}

/* Check "STEM CODE published" (or "already published"), CODE being our own. */
static void expect_published_line(ctx_t *c, const harness_run_t *r, const char *batch, const char *stem,
                                  const char *outcome)
{
    char line[LINE_MAX_LEN], want[256];
    const char *code = code_for(c, batch, stem);
    LINE_OF(r, stem, line);
    const char *sym = line + strlen(stem) + 1;
    const char *sp = strchr(sym, ' ');
    size_t symlen = sp ? (size_t)(sp - sym) : strlen(sym);
    HARNESS_CHECK_RUN(is_code_shape(sym, symlen), r,
                      "expected 16 upper-case code symbols after \"%s \", got line \"%.300s\"", stem, line);
    snprintf(want, sizeof want, "%s %s %s", stem, code, outcome);
    HARNESS_CHECK_RUN(strcmp(line, want) == 0, r, "expected line \"%s\", got \"%.300s\"", want, line);
}

/* Check "STEM ... refused: REASON" with REASON holding want1 (and want2). */
static void expect_refused_line(const harness_run_t *r, const char *stem, const char *want1,
                                const char *want2)
{
    char line[LINE_MAX_LEN];
    LINE_OF(r, stem, line);
    const char *reason = strstr(line, " refused: ");
    HARNESS_CHECK_RUN(reason != NULL, r, "expected \"%s ... refused: REASON\", got \"%.300s\"", stem, line);
    reason += strlen(" refused: ");
    HARNESS_CHECK_RUN(strstr(reason, want1) != NULL, r,
                      "expected the reason for %s to contain \"%s\", got \"%.300s\"", stem, want1, reason);
    HARNESS_CHECK_RUN(want2 == NULL || strstr(reason, want2) != NULL, r,
                      "expected the reason for %s to contain \"%s\", got \"%.300s\"", stem, want2, reason);
}

/* ---- a small JSON checker for --json lines -------------------------------- */

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static const char *json_value(const char *p, int depth);

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t n;
    unsigned min;
    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        n = 2, min = 0x80;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        n = 3, min = 0x800;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = p[0] & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    return cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : n;
}

/* A JSON string, which must also be UTF-8: a reason that echoes the bad
 * byte of a package would break every reader of --json. */
static const char *json_string_past(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)p[i]))
                        return NULL;
                p += 5;
            } else if (*p && strchr("\"\\/bfnrt", *p)) {
                p++;
            } else {
                return NULL;
            }
            continue;
        }
        size_t n = utf8_len((const unsigned char *)p);
        if (n == 0)
            return NULL;
        p += n;
    }
    return p + 1;
}

static const char *json_number(const char *p)
{
    const char *s = p;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return NULL;
    if (*p == '0')
        p++;
    else
        while (isdigit((unsigned char)*p))
            p++;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return p > s ? p : NULL;
}

/* Members or elements of an object ('{') or array ('['), p past the opener. */
static const char *json_container(const char *p, char close, int depth)
{
    p = json_ws(p);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            if (!(p = json_string_past(json_ws(p))))
                return NULL;
            p = json_ws(p);
            if (*p++ != ':')
                return NULL;
        }
        if (!(p = json_value(p, depth + 1)))
            return NULL;
        p = json_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *p, int depth)
{
    if (depth > 32)
        return NULL;
    p = json_ws(p);
    switch (*p) {
    case '{':
        return json_container(p + 1, '}', depth);
    case '[':
        return json_container(p + 1, ']', depth);
    case '"':
        return json_string_past(p);
    case 't':
        return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        return json_number(p);
    }
}

/* 1 when line is exactly one JSON object, in UTF-8. */
static int is_json_object(const char *line)
{
    const char *p = json_ws(line);
    if (*p != '{')
        return 0;
    p = json_value(p, 0);
    return p && *json_ws(p) == '\0';
}

/* line without the white space outside strings, so members can be matched
 * as "name":"value" whatever the spacing. */
static void json_squeeze(const char *line, char *out, size_t n)
{
    size_t k = 0;
    int in_str = 0;
    for (const char *p = line; *p && k + 1 < n; p++) {
        if (in_str) {
            out[k++] = *p;
            if (*p == '\\' && p[1] && k + 1 < n)
                out[k++] = *++p;
            else if (*p == '"')
                in_str = 0;
        } else if (*p == '"') {
            in_str = 1;
            out[k++] = *p;
        } else if (!isspace((unsigned char)*p)) {
            out[k++] = *p;
        }
    }
    out[k] = '\0';
}

/* A --json line whose "package" member is STEM. */
static int is_package_object(const char *line, const char *stem)
{
    char sq[LINE_MAX_LEN], want[160];
    json_squeeze(line, sq, sizeof sq);
    snprintf(want, sizeof want, "\"package\":\"%s\"", stem);
    return strstr(sq, want) != NULL;
}

/* Check the --json object of package STEM: outcome, code and reason. */
static void expect_json_line(ctx_t *c, const harness_run_t *r, const char *batch, const char *stem,
                             const char *outcome, const char *reason_part)
{
    char line[LINE_MAX_LEN], sq[LINE_MAX_LEN], want[256];
    HARNESS_CHECK_RUN(find_line(r->out, is_package_object, stem, line, sizeof line), r,
                      "expected a JSON line with \"package\":\"%s\" in the stdout of `%s`, found none", stem,
                      r->cmd);
    HARNESS_CHECK_RUN(is_json_object(line), r, "expected the line for %s to be one JSON object, got: %.300s",
                      stem, line);
    json_squeeze(line, sq, sizeof sq);
    snprintf(want, sizeof want, "\"outcome\":\"%s\"", outcome);
    HARNESS_CHECK_RUN(strstr(sq, want) != NULL, r, "expected %s in the line for %s, got: %.300s", want, stem,
                      line);
    HARNESS_CHECK_RUN(strstr(sq, "\"code\":") != NULL, r, "expected a \"code\" member for %s, got: %.300s",
                      stem, line);
    HARNESS_CHECK_RUN(strstr(sq, "\"reason\":") != NULL, r,
                      "expected a \"reason\" member for %s, got: %.300s", stem, line);
    if (strcmp(outcome, "refused") != 0) {
        snprintf(want, sizeof want, "\"code\":\"%s\"", code_for(c, batch, stem));
        HARNESS_CHECK_RUN(strstr(sq, want) != NULL, r, "expected %s in the line for %s, got: %.300s", want,
                          stem, line);
    } else {
        HARNESS_CHECK_RUN(strstr(line, reason_part) != NULL, r,
                          "expected the reason for %s to contain \"%s\", got: %.300s", stem, reason_part,
                          line);
    }
}

/* ---- indexes ---------------------------------------------------------------- */

/* A path for a new index, not yet created. */
static void new_db(ctx_t *c, char *db, size_t n, const char *name)
{
    snprintf(db, n, "%s/db-%02d-%s", c->tmp, ++c->seq, name);
}

/* A new index with the trust inputs of the fixtures, the school registry
 * registry ("@schools.json": v1), and batch-good published when with_good. */
static void make_index_with(ctx_t *c, char *db, size_t n, const char *name, const char *registry,
                            int with_good)
{
    harness_run_t r;
    new_db(c, db, n, name);
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "schools", registry, NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "crl", "@trust/issuing.crl", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    if (with_good) {
        pub(c, &r, db, "batch", "@batch-good", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
    }
}

static void make_index(ctx_t *c, char *db, size_t n, const char *name, int with_good)
{
    make_index_with(c, db, n, name, "@schools.json", with_good);
}

static const char *const GOOD[] = {"good1", "good2", "good3", "good4"};
#define NGOOD (sizeof GOOD / sizeof GOOD[0])

/* ---- tests: the lookup code helper of the fixtures ---------------------------- */

/* The fixtures' bash helper computes the codes that the other tests expect,
 * so it is checked first against the spec's vectors (lookup-code-vectors.tsv). */
static void test_code_helper_matches_spec_vectors(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *what, *bytes;
        size_t len;
        const char *code;
    } vec[] = {
        {"b''", "", 0, "WERC8GMRZGE196Q8"},
        {"b'a'", "a", 1, "SABR24PA3EYWNYPK"},
        {"b'\\n'", "\n", 1, "06X4E6E81DQYJ4DP"},
        {"b'{\"schema\":\"hocba.tieuhoc.v1\"}'", "{\"schema\":\"hocba.tieuhoc.v1\"}", 29, "Q5VQQT42TCX1D4Q1"},
        {"b'Nguy\\xe1\\xbb\\x85n V\\xc4\\x83n An'", "Nguy\xe1\xbb\x85n V\xc4\x83n An", 16,
         "56E4F0JVBWF2GPTM"},
        {"bytes(range(256))", NULL, 256, "82QZ5TEJV292WHXW"},
        {"b'x'*65536", NULL, 65536, "3Y3MBW6JT4W7XGDM"},
    };
    enum { NVEC = sizeof vec / sizeof vec[0] };
    char paths[NVEC][320];
    const char *argv[NVEC + 4] = {"bash", FIXTURES_SCRIPT, "--code"};
    static unsigned char big[65536];
    for (size_t i = 0; i < NVEC; i++) {
        const void *data = vec[i].bytes;
        if (!data) {
            for (size_t k = 0; k < vec[i].len; k++)
                big[k] = vec[i].len == 256 ? (unsigned char)k : 'x';
            data = big;
        }
        snprintf(paths[i], sizeof paths[i], "%s/vector-%zu", c->tmp, i);
        FILE *f = fopen(paths[i], "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, vec[i].len, f), vec[i].len);
        assert_int_equal(fclose(f), 0);
        argv[3 + i] = paths[i];
    }
    argv[3 + NVEC] = NULL;
    harness_run_t r;
    harness_run(&r, NULL, argv, CHILD_TIMEOUT_MS);
    HARNESS_EXPECT_EXIT(&r, 0);
    const char *p = r.out;
    for (size_t i = 0; i < NVEC; i++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        HARNESS_CHECK_RUN(len == 16 && strncmp(p, vec[i].code, 16) == 0, &r,
                          "expected code %s for %s, got \"%.*s\"", vec[i].code, vec[i].what, (int)len, p);
        p = nl ? nl + 1 : p + len;
    }
}

/* ---- tests: trust inputs ------------------------------------------------------- */

static void test_trust_loads_anchors_and_intermediates(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    new_db(c, db, sizeof db, "trust");
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    EXPECT_COUNT(c, db, "anchor", 1);
}

static void test_schools_loads_registry(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    new_db(c, db, sizeof db, "schools");
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "schools", "@schools.json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    EXPECT_COUNT(c, db, "school", 5);
}

static void test_crl_loads_issuing_crl(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    new_db(c, db, sizeof db, "crl");
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "crl", "@trust/issuing.crl", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    EXPECT_COUNT(c, db, "crl", 1);
}

/* bad.crl is issuing.crl with one signature byte flipped. */
static void test_crl_with_bad_signature_is_refused_and_loaded_crl_kept(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "crl-bad", 0);
    pub(c, &r, db, "crl", "@trust/bad.crl", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    EXPECT_COUNT(c, db, "crl", 1);
}

/* rogue.crl is well signed, by a root that is not in the store. */
static void test_crl_from_issuer_outside_store_is_refused(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "crl-rogue", 0);
    pub(c, &r, db, "crl", "@trust/rogue.crl", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    EXPECT_COUNT(c, db, "crl", 1);
}

/* ---- tests: good batches ----------------------------------------------------------- */

/* good1 RSA signers, good2 an ECDSA P-256 teacher, good3 a PEM .p7s, good4 a
 * fourth role (vice_principal). */
static void test_batch_good_publishes_each_package_with_its_code(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "good", 0);
    pub(c, &r, db, "batch", "@batch-good", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    for (size_t i = 0; i < NGOOD; i++)
        expect_published_line(c, &r, "batch-good", GOOD[i], "published");
    EXPECT_COUNT(c, db, "transcript", 4);
    EXPECT_COUNT(c, db, "recall", 0);
}

static void test_batch_good_again_says_already_published_and_changes_nothing(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "good-again", 1);
    pub(c, &r, db, "batch", "@batch-good", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    for (size_t i = 0; i < NGOOD; i++)
        expect_published_line(c, &r, "batch-good", GOOD[i], "already published");
    EXPECT_COUNT(c, db, "transcript", 4);
}

/* ---- tests: the bad batch ------------------------------------------------------------ */

/* Every package of batch-bad with what its reason must say. */
static const struct {
    const char *stem, *want1, *want2;
} BAD[] = {
    {"role-missing", "principal", "role"},
    {"signer-undeclared", "not declared", NULL},
    {"signed-twice", "not declared", NULL},
    {"hash-mismatch", "certificate_sha256", NULL},
    {"untrusted-chain", "chain", NULL},
    {"expired-cert", "validity", NULL},
    {"seal-unregistered", "seal_registry", NULL},
    {"seal-three-roles",
     "roles (homeroom_teacher): the certificate is registered as the school seal of TH001",
     "roles (principal): the certificate is registered as the school seal of TH001"},
    {"teacher-as-principal", "roles (principal)", "signed with one key"},
    {"seal-as-teacher", "roles (homeroom_teacher)", "registered as the school seal of TH001"},
    {"seal-of-a-as-teacher-at-b", "roles (homeroom_teacher)", "registered as the school seal of TH001"},
    {"seal-key-as-teacher", "roles (homeroom_teacher)", "signed with the school seal's key"},
    {"teacher-key-as-principal", "roles (principal)", "signed with one key"},
    {"altered", "integrity", NULL},
    {"grade-out-of-range", "grade", NULL},
    {"level-out-of-range", "level", NULL},
    {"not-json", "not valid JSON", NULL},
    {"bad-utf8", "UTF-8", NULL},
    {"too-big", "64 KiB", NULL},
    {"p7s-missing", ".p7s", "missing"},
    {"not-cms", "not a CMS", NULL},
    {"supersedes-not-recalled", "supersedes", "not recalled"},
    {"recall-other-school", "another school", NULL},
};
#define NBAD (sizeof BAD / sizeof BAD[0])

/* Publish batch-good, then batch-bad, once for all the tests that read the
 * result (supersedes-not-recalled and recall-other-school need good1). */
static const harness_run_t *bad_batch(ctx_t *c)
{
    if (c->bad_done)
        return &c->bad_run;
    char db[512];
    harness_run_t st;
    make_index(c, db, sizeof db, "bad", 1);
    pub(c, &st, db, "status", NULL);
    HARNESS_EXPECT_EXIT(&st, 0);
    c->bad_before_transcripts = harness_count_of(st.out, "transcript", 1);
    c->bad_before_recalls = harness_count_of(st.out, "recall", 1);
    pub(c, &c->bad_run, db, "batch", "@batch-bad", NULL);
    pub(c, &st, db, "status", NULL);
    HARNESS_EXPECT_EXIT(&st, 0);
    c->bad_after_transcripts = harness_count_of(st.out, "transcript", 1);
    c->bad_after_recalls = harness_count_of(st.out, "recall", 1);
    c->bad_done = 1;
    return &c->bad_run;
}

static void test_batch_bad_exits_1_and_publishes_nothing(void **state)
{
    ctx_t *c = *state;
    const harness_run_t *r = bad_batch(c);
    HARNESS_EXPECT_EXIT(r, 1);
    HARNESS_CHECK_RUN(
        c->bad_before_transcripts == 4 && c->bad_after_transcripts == 4, r,
        "expected status to count 4 transcripts before and after the bad batch, got %ld and %ld",
        c->bad_before_transcripts, c->bad_after_transcripts);
    HARNESS_CHECK_RUN(c->bad_before_recalls == 0 && c->bad_after_recalls == 0, r,
                      "expected status to count 0 recalls before and after the bad batch, got %ld and %ld",
                      c->bad_before_recalls, c->bad_after_recalls);
    char line[LINE_MAX_LEN];
    for (size_t i = 0; i < NBAD; i++) {
        LINE_OF(r, BAD[i].stem, line);
        HARNESS_CHECK_RUN(strstr(line, " refused: ") != NULL, r, "expected %s to be refused, got \"%.300s\"",
                          BAD[i].stem, line);
    }
}

static void expect_bad(void **state, const char *stem)
{
    ctx_t *c = *state;
    const harness_run_t *r = bad_batch(c);
    for (size_t i = 0; i < NBAD; i++)
        if (strcmp(BAD[i].stem, stem) == 0) {
            expect_refused_line(r, stem, BAD[i].want1, BAD[i].want2);
            return;
        }
    fail_msg("no expectation for %s", stem);
}

/* One test per refusal, named for it. */
#define BAD_TEST(fn, stem)                                                                                   \
    static void fn(void **state)                                                                             \
    {                                                                                                        \
        expect_bad(state, stem);                                                                             \
    }
BAD_TEST(test_refuses_transcript_without_principal_role, "role-missing")
BAD_TEST(test_refuses_signature_by_undeclared_signer, "signer-undeclared")
BAD_TEST(test_refuses_declared_hash_of_another_certificate, "hash-mismatch")
BAD_TEST(test_refuses_certificate_from_untrusted_root, "untrusted-chain")
BAD_TEST(test_refuses_certificate_expired_at_signing, "expired-cert")
BAD_TEST(test_refuses_seal_of_another_school, "seal-unregistered")
BAD_TEST(test_refuses_seal_key_signing_as_three_roles, "seal-three-roles")
BAD_TEST(test_refuses_teacher_signing_as_principal_too_without_registry, "teacher-as-principal")
BAD_TEST(test_refuses_seal_certificate_as_teacher, "seal-as-teacher")
BAD_TEST(test_refuses_seal_certificate_of_a_as_teacher_at_b, "seal-of-a-as-teacher-at-b")
BAD_TEST(test_refuses_second_certificate_of_the_seal_key_as_teacher, "seal-key-as-teacher")
BAD_TEST(test_refuses_second_certificate_of_the_teacher_key_as_principal, "teacher-key-as-principal")
BAD_TEST(test_refuses_payload_changed_after_signing, "altered")
BAD_TEST(test_refuses_grade_6, "grade-out-of-range")
BAD_TEST(test_refuses_subject_level_x, "level-out-of-range")
BAD_TEST(test_refuses_payload_that_is_not_json, "not-json")
BAD_TEST(test_refuses_payload_with_invalid_utf8, "bad-utf8")
BAD_TEST(test_refuses_payload_over_64_kib, "too-big")
BAD_TEST(test_refuses_package_without_p7s, "p7s-missing")
BAD_TEST(test_refuses_p7s_that_is_not_cms, "not-cms")
BAD_TEST(test_refuses_replacement_of_transcript_not_recalled, "supersedes-not-recalled")
BAD_TEST(test_refuses_recall_by_another_school, "recall-other-school")

/* ---- tests: mixed batches, --strict, --json ----------------------------------------------- */

/* batch-mixed: mixed1 (school A) and mixed2 (school B) are good and new;
 * altered, grade-out-of-range and not-cms are copies of bad ones. */
static void test_batch_mixed_publishes_good_and_refuses_bad(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "mixed", 1);
    pub(c, &r, db, "batch", "@batch-mixed", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_published_line(c, &r, "batch-mixed", "mixed1", "published");
    expect_published_line(c, &r, "batch-mixed", "mixed2", "published");
    expect_refused_line(&r, "altered", "integrity", NULL);
    expect_refused_line(&r, "grade-out-of-range", "grade", NULL);
    expect_refused_line(&r, "not-cms", "not a CMS", NULL);
    EXPECT_COUNT(c, db, "transcript", 6);
}

static void test_batch_strict_publishes_nothing_when_one_is_refused(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "strict", 0);
    pub(c, &r, db, "batch", "@batch-mixed", "--strict", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_refused_line(&r, "altered", "integrity", NULL);
    expect_refused_line(&r, "grade-out-of-range", "grade", NULL);
    expect_refused_line(&r, "not-cms", "not a CMS", NULL);
    EXPECT_COUNT(c, db, "transcript", 0);
}

/* Every line of `r` must be one JSON object. */
static void expect_all_json_lines(const harness_run_t *r)
{
    const char *p = r->out;
    int lines = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[LINE_MAX_LEN];
        size_t k = len < sizeof line - 1 ? len : sizeof line - 1;
        memcpy(line, p, k);
        line[k] = '\0';
        HARNESS_CHECK_RUN(is_json_object(line), r,
                          "expected each line of `%s` to be a JSON object, got: %.300s", r->cmd, line);
        lines++;
        p = nl ? nl + 1 : p + len;
    }
    HARNESS_CHECK_RUN(lines > 0, r, "expected JSON lines from `%s`, got none", r->cmd);
}

static void test_batch_json_prints_one_object_per_package(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "json", 0);
    pub(c, &r, db, "batch", "@batch-mixed", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_all_json_lines(&r);
    expect_json_line(c, &r, "batch-mixed", "mixed1", "published", NULL);
    expect_json_line(c, &r, "batch-mixed", "mixed2", "published", NULL);
    expect_json_line(c, &r, "batch-mixed", "altered", "refused", "integrity");
    expect_json_line(c, &r, "batch-mixed", "grade-out-of-range", "refused", "grade");
    expect_json_line(c, &r, "batch-mixed", "not-cms", "refused", "not a CMS");
}

/* The refusal reasons quote names, bytes and DNs from the packages: each
 * line must still be one JSON object in UTF-8. */
static void test_batch_json_refusals_are_json_objects_with_reasons(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "json-bad", 1);
    pub(c, &r, db, "batch", "@batch-bad", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_all_json_lines(&r);
    for (size_t i = 0; i < NBAD; i++)
        expect_json_line(c, &r, "batch-bad", BAD[i].stem, "refused", BAD[i].want1);
}

/* Copy src to dst whole; 0 or -1. */
static int copy_file(const char *src, const char *dst)
{
    size_t len = 0;
    char *b = harness_read_file(src, &len);
    FILE *f = b ? fopen(dst, "wb") : NULL;
    int ok = f != NULL && fwrite(b, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

/* A file name need not be UTF-8 (a package saved on a Windows-1258 machine
 * as "Hà.json" is 48 E0): its JSON line is still there, with U+FFFD for the
 * byte, and the package is published. */
static void test_batch_json_line_for_file_name_that_is_not_utf8(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    const char *dir = harness_printf("%s/batch-1258", c->tmp);
    if (mkdir(dir, 0755) != 0 ||
        copy_file(harness_printf("%s/batch-good/good1.json", c->fx), harness_printf("%s/H\xE0.json", dir)) !=
            0 ||
        copy_file(harness_printf("%s/batch-good/good1.p7s", c->fx), harness_printf("%s/H\xE0.p7s", dir)) != 0)
        fail_msg("cannot make %s", dir);
    make_index(c, db, sizeof db, "json-1258", 0);
    pub(c, &r, db, "batch", dir, "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_all_json_lines(&r);
    HARNESS_CHECK_RUN(
        strstr(r.out, "\"package\":\"H\xEF\xBF\xBD\"") != NULL, &r,
        "expected a line with \"package\":\"H\xEF\xBF\xBD\" (U+FFFD for the byte E0), got: %.300s", r.out);
    HARNESS_CHECK_RUN(strstr(r.out, "\"outcome\":\"published\"") != NULL, &r,
                      "expected the package to be published, got: %.300s", r.out);
}

/* A FIFO named like a payload (no writer will ever come) is refused as not
 * a regular file; the batch goes on and the other package is published. */
static void test_batch_refuses_a_fifo_without_waiting(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    const char *dir = harness_printf("%s/batch-fifo", c->tmp);
    if (mkdir(dir, 0755) != 0 || mkfifo(harness_printf("%s/stuck.json", dir), 0644) != 0 ||
        copy_file(harness_printf("%s/batch-good/good1.p7s", c->fx), harness_printf("%s/stuck.p7s", dir)) !=
            0 ||
        copy_file(harness_printf("%s/batch-good/good1.json", c->fx), harness_printf("%s/good1.json", dir)) !=
            0 ||
        copy_file(harness_printf("%s/batch-good/good1.p7s", c->fx), harness_printf("%s/good1.p7s", dir)) != 0)
        fail_msg("cannot make %s", dir);
    make_index(c, db, sizeof db, "fifo", 0);
    pub(c, &r, db, "batch", dir, "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_all_json_lines(&r);
    HARNESS_CHECK_RUN(strstr(r.out, "\"package\":\"stuck\"") && strstr(r.out, "not a regular file"), &r,
                      "expected stuck refused as not a regular file, got: %.400s", r.out);
    HARNESS_CHECK_RUN(strstr(r.out, "\"outcome\":\"published\"") != NULL, &r,
                      "expected good1 to be published, got: %.400s", r.out);
}

/* cli.md: a batch reads only regular files inside DIR. A payload that is a
 * symbolic link to a file outside (here the first line of a text file,
 * which a refusal reason could quote) and a .p7s linking to a genuine
 * signature file are both refused as links; the other package publishes. */
static void test_batch_refuses_symbolic_links(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    const char *dir = harness_printf("%s/batch-links", c->tmp),
               *secret = harness_printf("%s/secret.txt", c->tmp);
    FILE *f = fopen(secret, "w");
    if (f == NULL)
        fail_msg("cannot write %s", secret);
    fputs("hunter2 is the password\n", f);
    fclose(f);
    if (mkdir(dir, 0755) != 0 || symlink(secret, harness_printf("%s/leak.json", dir)) != 0 ||
        copy_file(harness_printf("%s/batch-good/good1.p7s", c->fx), harness_printf("%s/leak.p7s", dir)) !=
            0 ||
        copy_file(harness_printf("%s/batch-good/good2.json", c->fx), harness_printf("%s/good2.json", dir)) !=
            0 ||
        symlink(harness_printf("%s/batch-good/good2.p7s", c->fx), harness_printf("%s/good2.p7s", dir)) != 0 ||
        copy_file(harness_printf("%s/batch-good/good1.json", c->fx), harness_printf("%s/good1.json", dir)) !=
            0 ||
        copy_file(harness_printf("%s/batch-good/good1.p7s", c->fx), harness_printf("%s/good1.p7s", dir)) != 0)
        fail_msg("cannot make %s", dir);
    make_index(c, db, sizeof db, "links", 0);
    pub(c, &r, db, "batch", dir, "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_all_json_lines(&r);
    HARNESS_CHECK_RUN(strstr(r.out, "hunter2") == NULL && strstr(r.err, "hunter2") == NULL, &r,
                      "expected nothing of the linked file in the output, got: %.400s", r.out);
    HARNESS_CHECK_RUN(strstr(r.out, "\"package\":\"leak\"") && strstr(r.out, "leak.json is a symbolic link"),
                      &r, "expected leak refused as a symbolic link, got: %.600s", r.out);
    HARNESS_CHECK_RUN(strstr(r.out, "\"package\":\"good2\"") && strstr(r.out, "good2.p7s is a symbolic link"),
                      &r, "expected good2 refused as a symbolic link, got: %.600s", r.out);
    HARNESS_CHECK_RUN(strstr(r.out, "\"outcome\":\"published\"") != NULL, &r,
                      "expected good1 published, got: %.600s", r.out);
}

/* package-format.md §1: publishing what is already published changes
 * nothing. After a trust change under which the batch's packages would be
 * refused now (the school's seal no longer registered), running the same
 * batch again says "already published" and exits 0, --strict too. */
static void test_batch_again_after_trust_change_says_already(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "already-trust", 1);
    const char *reg = harness_printf("%s/schools-other.json", c->tmp);
    FILE *f = fopen(reg, "w");
    if (!f)
        fail_msg("cannot write %s", reg);
    fprintf(
        f,
        "{\"schema\": \"hocba.schools.v1\", \"schools\": [{\"code\": \"TH009\", \"name\": \"Trường khác\", "
        "\"province\": \"Hà Nội\", \"seal_certificates\": [\"%064d\"]}]}\n",
        0);
    fclose(f);
    pub(c, &r, db, "schools", reg, "--accept-invalidation",
        NULL); /* the records it invalidates, on purpose */
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "batch", "@batch-good", "--json", "--strict", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_all_json_lines(&r);
    for (size_t i = 0; i < NGOOD; i++)
        expect_json_line(c, &r, "batch-good", GOOD[i], "already", NULL);
}

/* A file name with a newline and an escape sequence, quoted in the reason
 * of its refusal: the text output keeps one line per package and sends no
 * control byte to the terminal. */
static void test_batch_text_line_keeps_control_bytes_of_a_name_out(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    const char *dir = harness_printf("%s/batch-ctl", c->tmp);
    if (mkdir(dir, 0755) != 0 || copy_file(harness_printf("%s/batch-good/good1.p7s", c->fx),
                                           harness_printf("%s/a\n\x1b[2J.p7s", dir)) != 0)
        fail_msg("cannot make %s", dir);
    make_index(c, db, sizeof db, "ctl", 0);
    pub(c, &r, db, "batch", dir, NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    HARNESS_CHECK_RUN(strchr(r.out, 0x1b) == NULL, &r, "expected no ESC byte in the output, got: %.300s",
                      r.out);
    HARNESS_CHECK_RUN(
        strstr(r.out, "a??[2J - refused: the payload a??[2J.json is missing\n") != NULL, &r,
        "expected one line \"a??[2J - refused: the payload a??[2J.json is missing\", got: %.300s", r.out);
}

/* package-format.md rev. 2 §5 (check 6): a principal who is also the
 * homeroom teacher declares one certificate for both roles and signs once
 * for each, and is published only when the registry lists that certificate
 * as both principal and teacher of the school; listed as principal only, or
 * a v1 registry (rev. 1 accepted it without any entry), refuses it.
 * (batch-bad/signed-twice, the teacher signing a second time with nothing
 * declared for it, is refused whatever the registry.) */
static void test_batch_one_person_in_two_roles_needs_both_posts_registered(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *registry, *outcome;
    } t[] = {
        {"@schools-v2.json", "published"},
        {"@schools-v2-not-teacher.json", "refused"},
        {"@schools.json", "refused"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char db[512];
        harness_run_t r;
        make_index_with(c, db, sizeof db, "two-roles", t[i].registry, 0);
        pub(c, &r, db, "batch", "@batch-two-roles", "--json", NULL);
        HARNESS_EXPECT_EXIT(&r, t[i].outcome[0] == 'p' ? 0 : 1);
        expect_all_json_lines(&r);
        expect_json_line(c, &r, "batch-two-roles", "two-roles", t[i].outcome,
                         "roles (principal): the homeroom teacher and the principal signed with one key");
    }
}

static void test_batch_json_says_already_for_published_package(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "json-already", 1);
    pub(c, &r, db, "batch", "@batch-good", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_all_json_lines(&r);
    for (size_t i = 0; i < NGOOD; i++)
        expect_json_line(c, &r, "batch-good", GOOD[i], "already", NULL);
}

/* package-format.md rev. 2 §5 check 8: under schools-v2.json, which lists
 * each school's principal and teachers, a teacher it does not list and a
 * vice principal signing as principal are refused naming staff_registry and
 * the role, and batch-good (all listed) publishes; under the v1 registry,
 * which binds no staff, both publish. */
static void test_batch_staff_registry_binds_listed_roles_in_v2_only(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index_with(c, db, sizeof db, "staff-v2", "@schools-v2.json", 1);
    pub(c, &r, db, "batch", "@batch-staff", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_all_json_lines(&r);
    expect_json_line(c, &r, "batch-staff", "unlisted-teacher", "refused",
                     "staff_registry (homeroom_teacher): the homeroom teacher certificate is not among the "
                     "teacher_certificates that the school registry lists for school TH001");
    expect_json_line(c, &r, "batch-staff", "unlisted-principal", "refused",
                     "staff_registry (principal): the principal certificate is not among the "
                     "principal_certificates that the school registry lists for school TH001");
    EXPECT_COUNT(c, db, "transcript", 4);
    make_index(c, db, sizeof db, "staff-v1", 0);
    pub(c, &r, db, "batch", "@batch-staff", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_json_line(c, &r, "batch-staff", "unlisted-teacher", "published", NULL);
    expect_json_line(c, &r, "batch-staff", "unlisted-principal", "published", NULL);
}

/* package-format.md rev. 2 §5: the registry binds the name people read.
 * School B's own keys cannot publish under A's name and province (both
 * values are named); spellings of the registry's name that read the same
 * (case, spaces, the old tone placement Hòa for Hoà) publish; a former name
 * holds for transcripts issued up to its `until`, the current one after. */
static void test_batch_school_name_and_province_are_the_registry_s(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index_with(c, db, sizeof db, "names", "@schools-v2.json", 0);
    pub(c, &r, db, "batch", "@batch-names", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_refused_line(
        &r, "b-as-a",
        "school_name: school.name \"Trường Tiểu học Kim Đồng\" and school.province \"Thành phố "
        "Hà Nội\" differ from the school registry's \"Trường Tiểu học Lê Văn Tám\" and \"Thành "
        "phố Hồ Chí Minh\" for school TH002",
        NULL);
    expect_published_line(c, &r, "batch-names", "a-spaces-and-case", "published");
    expect_published_line(c, &r, "batch-names", "c-old-tone-style", "published");
    expect_published_line(c, &r, "batch-names", "c-former-name-before-until", "published");
    expect_refused_line(
        &r, "c-former-name-after-until",
        "school.name \"Trường Tiểu học Phú Hòa\" and school.province \"Tỉnh Thừa Thiên Huế\" "
        "differ from the school registry's \"Trường Tiểu học Thuận Hoà\" and \"Thành phố Huế\" "
        "for school TH003 (in force on issued_on 2025-07-01)",
        NULL);
    expect_refused_line(&r, "c-new-name-before-until",
                        "differ from the school registry's \"Trường Tiểu học Phú Hòa\" and \"Tỉnh Thừa Thiên "
                        "Huế\" for school TH003 (its former name, in force until 2025-06-30; issued_on is "
                        "2025-06-30)",
                        NULL);
    EXPECT_COUNT(c, db, "transcript", 3);
}

/* What the portal answers for a code, computed as it does (view_compute on
 * the index's trust inputs): "valid", "recalled", "invalid", "unavailable"
 * (503: cannot check now), "not_found", or what went wrong. */
static const char *portal_answer(const char *db, const char *code)
{
    char why[512];
    index_t *ix;
    MDB_txn *txn = NULL;
    trust_inputs_t in;
    str_t *crls = NULL;
    trust_t *t = NULL;
    const char *ans = "the index cannot be read";
    if (index_open(db, INDEX_OPEN_READONLY, &ix, why, sizeof why) != 0)
        return harness_printf("the index cannot be opened: %s", why);
    if (index_begin(ix, 1, &txn) == 0 && index_get_trust(ix, txn, &in, &crls) == INDEX_OK &&
        trust_build(&in, &t, why, sizeof why) == 0) {
        view_t v;
        int rc = view_compute(ix, txn, t, code, &v);
        ans = rc == VIEW_OK          ? view_status_name(v.status)
              : rc == VIEW_EUNJUDGED ? "unavailable"
              : rc == VIEW_ENOTFOUND ? "not_found"
                                     : harness_printf("view_compute %d", rc);
        if (rc == VIEW_OK || rc == VIEW_EUNJUDGED)
            view_free(&v);
    }
    trust_free(t);
    free(crls);
    if (txn != NULL)
        mdb_txn_abort(txn);
    index_close(ix);
    return ans;
}

/* The SHA-256 of a fixtures certificate, from fingerprints.tsv. */
static const char *fingerprint(ctx_t *c, const char *name)
{
    char *t = harness_read_file(harness_printf("%s/fingerprints.tsv", c->fx), NULL);
    const char *want = harness_printf("%s\t", name);
    for (const char *p = t; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, want, strlen(want)) == 0)
            return harness_strndup(p + strlen(want), 64);
    fail_msg("expected %s in the fixtures' fingerprints.tsv", name);
    return NULL;
}

/* package-format.md rev. 2 §6: a registry under which published records
 * newly fail checks 6-8 is refused (exit 2), naming school, role,
 * certificate and how many records, unless --accept-invalidation (anywhere
 * on the line). Here a list of today's staff names the vice principal and
 * forgets the principal who signed batch-good's four transcripts. Only
 * schools whose entry changed are re-checked: a change to B alone looks at
 * none of A's records. */
static void test_schools_refuses_a_registry_that_invalidates_published_records(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index_with(c, db, sizeof db, "schools-drop", "@schools-v2.json", 1);
    pub(c, &r, db, "schools", "@schools-v2-new-principal.json", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    const char *line =
        harness_printf("school TH001, principal certificate %.16s...: staff_registry fails for 4 records",
                       fingerprint(c, "A-principal"));
    HARNESS_CHECK_RUN(strstr(r.err, line) != NULL && strstr(r.err, "--accept-invalidation") != NULL, &r,
                      "expected stderr to name \"%s\" and the option, got: %.600s", line, r.err);
    HARNESS_CHECK_RUN(strstr(r.err, "nothing was changed") != NULL, &r, "expected \"nothing was changed\"");
    /* nothing was changed: the stored registry is still schools-v2.json */
    pub(c, &r, db, "schools", "@schools-v2.json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(strstr(r.out, "re-checked 0 published records of 0 changed schools") != NULL, &r,
                      "expected the same registry to change no school, got: %.300s", r.out);
    /* only what changed: B's entry alone, and A's four records are not looked at */
    pub(c, &r, db, "schools", "@schools-v2-b-changed.json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(strstr(r.out, "re-checked 0 published records of 1 changed school") != NULL, &r,
                      "expected B's change to re-check none of A's records, got: %.300s", r.out);
    /* with --accept-invalidation, anywhere on the line: loaded */
    const char *argv[] = {c->pub,    "--accept-invalidation",
                          "--db",    db,
                          "schools", harness_printf("%s/schools-v2-new-principal.json", c->fx),
                          NULL};
    harness_run(&r, NULL, argv, CHILD_TIMEOUT_MS);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(strstr(r.err, line) != NULL && strstr(r.out, "4 no longer verify") != NULL, &r,
                      "expected the same findings and \"4 no longer verify\", got: %.300s / %.600s", r.out,
                      r.err);
    /* and the records refused now: publishing good1 again says already, a new one of A is refused */
    pub(c, &r, db, "batch", "@batch-staff", NULL);
    expect_refused_line(&r, "unlisted-teacher", "staff_registry (principal)", NULL);
    /* the option is for schools only */
    pub(c, &r, db, "status", "--accept-invalidation", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
}

typedef struct {
    const char *cert; /* a signer of A's records (TH001) that TH002 also lists as its seal */
    const char *role;
    int records; /* of batch-good that it signed */
} seal_elsewhere_case_t;

static const seal_elsewhere_case_t SEAL_ELSEWHERE[] = {
    {"A-teacher", "homeroom_teacher", 3},
    {"A-principal", "principal", 4},
};

/* package-format.md rev. 2 §5 check 6 and §6: a certificate registered as a
 * seal of any school signs only as school_seal. When a registry lists as
 * TH002's seal a certificate that signed TH001's records in another role,
 * TH001's entry is unchanged but its records newly fail: the registry is
 * refused (exit 2) naming TH001, the role and the certificate, and with
 * --accept-invalidation it loads. */
static void test_schools_refuses_a_seal_that_invalidates_another_schools_records(void **state)
{
    ctx_t *c = *state;
    char *v1 = harness_read_file(harness_printf("%s/schools.json", c->fx), NULL);
    const char *bseal = fingerprint(c, "B-seal");
    const char *at = v1 != NULL ? strstr(v1, bseal) : NULL;
    if (at == NULL)
        fail_msg("expected B-seal's hash in the fixtures' schools.json");
    for (size_t k = 0; k < sizeof SEAL_ELSEWHERE / sizeof *SEAL_ELSEWHERE; k++) {
        const seal_elsewhere_case_t *sc = &SEAL_ELSEWHERE[k];
        char db[512];
        harness_run_t r;
        const char *fp = fingerprint(c, sc->cert);
        const char *reg = harness_printf("%s/schools-b-seals-%s.json", c->tmp, sc->cert);
        FILE *f = fopen(reg, "w");
        if (f == NULL || fprintf(f, "%.*s%s\", \"%s%s", (int)(at - v1), v1, bseal, fp, at + 64) < 0 ||
            fclose(f) != 0)
            fail_msg("cannot write %s", reg);
        make_index(c, db, sizeof db, "schools-seal-elsewhere", 1);
        pub(c, &r, db, "schools", reg, NULL);
        HARNESS_EXPECT_EXIT(&r, 2);
        const char *line =
            harness_printf("school TH001, %s certificate %.16s...: roles fails for %d record%s", sc->role, fp,
                           sc->records, sc->records == 1 ? "" : "s");
        HARNESS_CHECK_RUN(strstr(r.err, line) != NULL && strstr(r.err, "nothing was changed") != NULL, &r,
                          "%s: expected stderr to say \"%s\" and \"nothing was changed\", got: %.800s",
                          sc->cert, line, r.err);
        pub(c, &r, db, "schools", reg, "--accept-invalidation", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(strstr(r.out, harness_printf("%d no longer verify", sc->records)) != NULL, &r,
                          "%s: expected \"%d no longer verify\", got: %.300s", sc->cert, sc->records, r.out);
        const char *got = portal_answer(db, code_for(c, "batch-good", "good1"));
        if (strcmp(got, "invalid") != 0)
            fail_msg("%s: expected good1 invalid under that registry, got %s", sc->cert, got);
    }
}

/* ---- tests: recall and replacement ----------------------------------------------------------- */

/* batch-recall: school A recalls good1 (principal and seal) and publishes
 * good1-corrected, which supersedes it. */
static void test_batch_recall_publishes_recall_and_replacement(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "recall", 1);
    pub(c, &r, db, "batch", "@batch-recall", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_published_line(c, &r, "batch-recall", "recall-good1", "published");
    expect_published_line(c, &r, "batch-recall", "good1-corrected", "published");
    EXPECT_COUNT(c, db, "recall", 1);
    EXPECT_COUNT(c, db, "transcript", 5);
}

/* package-format.md §4: a replacement may keep the document_id of the
 * transcript it supersedes (a correction of a correction too); a new
 * transcript with another transcript's document_id is still refused. */
static void test_batch_replacement_keeps_document_id(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "same-id", 1);
    pub(c, &r, db, "batch", "@batch-correct-same-id", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    static const char *const published[] = {"recall-good2", "good2-corrected", "recall-corrected",
                                            "good2-corrected-again"};
    for (size_t i = 0; i < sizeof published / sizeof *published; i++)
        expect_published_line(c, &r, "batch-correct-same-id", published[i], "published");
    HARNESS_CHECK_RUN(strstr(r.out, "reused-id ") &&
                          strstr(r.out, "document_id KD-2025-5A-0003 of school TH001 is "
                                        "already published with other content"),
                      &r, "expected reused-id refused for good3's document_id, got: %.800s", r.out);
    EXPECT_COUNT(c, db, "recall", 2);
    EXPECT_COUNT(c, db, "transcript", 6);
}

/* ---- tests: secondary transcripts (hocba.trunghoc.v1) -------------------------------------- */

/* package-format.md §3b: transcripts of lower and upper secondary, general and
 * continuing education, signed with the stock openssl command as every other
 * package, are published under their codes like primary ones; one that breaks
 * a rule of the schema is refused with its reason (a score of 7.25). They were
 * all refused as an unknown schema. */
static void test_batch_trunghoc_publishes_secondary_transcripts_and_refuses_a_broken_rule(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    static const char *const published[] = {"thcs9", "thpt12", "gdtx10"};
    make_index(c, db, sizeof db, "trunghoc", 0);
    pub(c, &r, db, "batch", "@batch-trunghoc", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_all_json_lines(&r);
    for (size_t i = 0; i < sizeof published / sizeof *published; i++)
        expect_json_line(c, &r, "batch-trunghoc", published[i], "published", NULL);
    expect_json_line(c, &r, "batch-trunghoc", "thcs9-two-decimals", "refused",
                     "payload: subjects[0].hk2: 7.25 has two decimals; scores have at most one");
    EXPECT_COUNT(c, db, "transcript", 3);
    pub(c, &r, db, "batch", "@batch-trunghoc", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    for (size_t i = 0; i < sizeof published / sizeof *published; i++)
        expect_published_line(c, &r, "batch-trunghoc", published[i], "already published");
    EXPECT_COUNT(c, db, "transcript", 3);
}

/* A secondary transcript is recalled by its school and replaced, keeping its
 * document_id, as a primary one is (§4). */
static void test_batch_trunghoc_recall_and_replacement(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "trunghoc-recall", 0);
    pub(c, &r, db, "batch", "@batch-trunghoc", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    pub(c, &r, db, "batch", "@batch-trunghoc-recall", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_published_line(c, &r, "batch-trunghoc-recall", "recall-thcs9", "published");
    expect_published_line(c, &r, "batch-trunghoc-recall", "thcs9-corrected", "published");
    EXPECT_COUNT(c, db, "recall", 1);
    EXPECT_COUNT(c, db, "transcript", 4);
}

/* ---- tests: BER signature files from other producers ----------------------------------------- */

#define BER_FIXTURES "tests/fixtures/ber" /* made by tests/fixtures/mkber.sh, checked in */

/* Packages whose .p7s is BER, as Bouncy Castle (getEncoded() and its
 * streaming generator) and gpgsm write them, are published under their
 * codes, and the index gives each .p7s back byte for byte (package-format.md
 * §1). They were refused as "DER is required". */
static void test_batch_ber_packages_of_other_producers_are_published(void **state)
{
    ctx_t *c = *state;
    char db[512], line[LINE_MAX_LEN], want[256], why[256];
    harness_run_t r;
    new_db(c, db, sizeof db, "ber");
    pub(c, &r, db, "trust", BER_FIXTURES "/trust/anchors.pem", BER_FIXTURES "/trust/intermediates.pem", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "schools", BER_FIXTURES "/schools.json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "batch", BER_FIXTURES "/batch", "--strict", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);

    size_t tsvlen = 0, n = 0;
    char *tsv = harness_read_file(BER_FIXTURES "/codes.tsv", &tsvlen);
    if (tsv == NULL)
        fail_msg("cannot read " BER_FIXTURES "/codes.tsv: run the tests from the project root");
    index_t *ix;
    MDB_txn *txn;
    if (index_open(db, 1, &ix, why, sizeof why) != 0)
        fail_msg("cannot open the index just written: %s", why);
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    for (char *p = tsv, *nl; p < tsv + tsvlen && (nl = strchr(p, '\n')) != NULL; p = nl + 1, n++) {
        char stem[64], code[CODE_LEN + 1];
        if (sscanf(p, "%63s %16s", stem, code) != 2)
            fail_msg("bad line in " BER_FIXTURES "/codes.tsv: %.*s", (int)(nl - p), p);
        LINE_OF(&r, stem, line);
        snprintf(want, sizeof want, "%s %s published", stem, code);
        HARNESS_CHECK_RUN(strcmp(line, want) == 0, &r, "expected line \"%s\", got \"%.300s\"", want, line);
        size_t plen = 0;
        char *p7s = harness_read_file(harness_printf(BER_FIXTURES "/batch/%s.p7s", stem), &plen);
        index_doc_t d;
        assert_non_null(p7s);
        assert_int_equal(index_get_doc(ix, txn, code, INDEX_WITH_CMS, &d), INDEX_OK);
        if (d.cms.len != plen || memcmp(d.cms.ptr, p7s, plen) != 0)
            fail_msg("%s: the index gives back another .p7s (%zu bytes, published %zu)", stem, d.cms.len,
                     plen);
        if (d.ncerts == 0)
            fail_msg("%s: its certificates should be stored once, apart from the .p7s", stem);
        index_doc_free(&d);
    }
    mdb_txn_abort(txn);
    index_close(ix);
    assert_int_equal(n, 3);
    EXPECT_COUNT(c, db, "transcript", 3);
}

/* ---- tests: usage -------------------------------------------------------------------------- */

/* package-format.md rev. 2 §6: once the issuing CA has published a CRL, a
 * package under it whose revocation cannot be judged now (its CRL no longer
 * verifies: the intermediates were taken out of the store, the packages
 * still carry the CA's certificate) is refused by batch, naming the CA:
 * transcripts and recall notices alike, and a package that fails another
 * check keeps its own reason. With the intermediates back they publish.
 * Before, they were published as valid: the CRL was left out unseen. */
static void test_batch_refuses_packages_whose_revocation_cannot_be_judged(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "unjudged", 1);
    pub(c, &r, db, "trust", "@trust/anchors.pem", "--drop-unverifiable-crls", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    static const char *const why = "revocation: cannot be checked now: CA \"Hocba Test Issuing CA\"";
    pub(c, &r, db, "batch", "@batch-recall", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_refused_line(&r, "recall-good1", why, "hocba-publish crl");
    pub(c, &r, db, "batch", "@batch-mixed", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    expect_refused_line(&r, "mixed1", why, NULL);
    expect_refused_line(&r, "mixed2", why, NULL);
    expect_refused_line(&r, "altered", "integrity", NULL);
    char line[LINE_MAX_LEN];
    LINE_OF(&r, "altered", line);
    HARNESS_CHECK_RUN(strstr(line, "cannot be checked now") == NULL, &r,
                      "expected the altered package refused for its integrity only, got \"%.300s\"", line);
    EXPECT_COUNT(c, db, "transcript", (long)NGOOD);

    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "batch", "@batch-recall", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_published_line(c, &r, "batch-recall", "recall-good1", "published");
    expect_published_line(c, &r, "batch-recall", "good1-corrected", "published");
}

/* ---- tests: trust and crl keep the CRLs verifiable (package-format.md §6) ------------------------ */

typedef struct {
    const char *args[5]; /* after --db DB; '@' names a fixture */
    int exit;
    const char *err1, *err2; /* what stderr must hold, or NULL */
} drop_step_t;

typedef struct {
    const char *what;
    drop_step_t steps[2];
    int unchecked; /* afterwards the issuing CA's revocation cannot be judged: batch-good is refused */
} drop_case_t;

#define ISSUING "CA \"Hocba Test Issuing CA\" ["
static const drop_case_t DROP[] = {
    {"trust without the intermediates is refused, naming the CA and its CRL",
     {{{"trust", "@trust/anchors.pem"}, 2, "CRL number 4096 of " ISSUING, "--drop-unverifiable-crls"}},
     0},
    {"trust without the intermediates goes ahead with --drop-unverifiable-crls",
     {{{"trust", "@trust/anchors.pem", "--drop-unverifiable-crls"}, 0, "CRL number 4096 of " ISSUING, NULL}},
     1},
    {"the flag before the command (anywhere on the line)",
     {{{"--drop-unverifiable-crls", "trust", "@trust/anchors.pem"}, 0, ISSUING, NULL}},
     1},
    {"the same anchors and intermediates again lose nothing",
     {{{"trust", "@trust/anchors.pem", "@trust/intermediates.pem"}, 0, NULL, NULL}},
     0},
    {"crl without a CRL of the issuing CA is refused, naming it and its stored CRL",
     {{{"crl", "@trust/root.crl"}, 2, "no CRL of " ISSUING, "CRL number 4096 of " ISSUING}},
     0},
    {"crl without a CRL of the issuing CA goes ahead with --drop-unverifiable-crls",
     {{{"crl", "@trust/root.crl", "--drop-unverifiable-crls"}, 0, "no CRL of " ISSUING, NULL}},
     1},
    {"a CRL past its nextUpdate still counts",
     {{{"crl", "@trust/issuing-stale.crl", "@trust/root.crl"}, 0, NULL, NULL}},
     0},
    {"dropped with crl, then a CRL of the CA published again",
     {{{"crl", "@trust/root.crl", "--drop-unverifiable-crls"}, 0, NULL, NULL},
      {{"crl", "@trust/issuing.crl", "@trust/root.crl"}, 0, NULL, NULL}},
     0},
    {"dropped with trust, then the intermediates given back",
     {{{"trust", "@trust/anchors.pem", "--drop-unverifiable-crls"}, 0, NULL, NULL},
      {{"trust", "@trust/anchors.pem", "@trust/intermediates.pem"}, 0, NULL, NULL}},
     0},
};

static long trust_version_of(ctx_t *c, const char *db)
{
    harness_run_t r;
    pub(c, &r, db, "status", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    return harness_count_of(r.out, "trust_version", 0);
}

/* Run a case's commands (at most two, the first with no args ends them) on
 * db: each exits as the step says and its stderr holds what it names; one
 * that exits 2 changes nothing (the trust version stays). */
static void run_steps(ctx_t *c, const char *db, const char *what, const drop_step_t steps[2])
{
    harness_run_t r;
    for (size_t k = 0; k < 2 && steps[k].args[0] != NULL; k++) {
        const drop_step_t *st = &steps[k];
        long before = trust_version_of(c, db);
        const char *const *a = st->args;
        pub(c, &r, db, a[0], a[1], a[2], a[3], a[4], NULL);
        HARNESS_CHECK_RUN(r.status == st->exit, &r, "%s: expected exit status %d, got %s", what, st->exit,
                          harness_ending(&r));
        HARNESS_CHECK_RUN((!st->err1 || strstr(r.err, st->err1)) && (!st->err2 || strstr(r.err, st->err2)),
                          &r, "%s: expected stderr to hold \"%s\"%s%s%s", what, st->err1 ? st->err1 : "",
                          st->err2 ? " and \"" : "", st->err2 ? st->err2 : "", st->err2 ? "\"" : "");
        if (st->exit == 2 && trust_version_of(c, db) != before)
            fail_msg("%s: expected nothing changed (trust_version %ld), it is %ld", what, before,
                     trust_version_of(c, db));
    }
}

/* package-format.md §6: once the issuing CA has published a CRL, `trust`
 * refuses (exit 2) anchors and intermediates under which its stored CRL
 * would no longer verify, and `crl` a set with no CRL of it that verifies,
 * naming the CA and the CRL, and change nothing; --drop-unverifiable-crls
 * (anywhere on the line) goes ahead, and then its packages cannot be judged
 * (batch refuses them) until a CRL of it verifies again. Before, both went
 * ahead and the CRL was left out without a word. */
static void test_trust_and_crl_refuse_to_leave_a_crl_unverifiable(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < sizeof DROP / sizeof *DROP; i++) {
        const drop_case_t *dc = &DROP[i];
        char db[512];
        harness_run_t r;
        make_index(c, db, sizeof db, harness_printf("drop-%zu", i), 0);
        run_steps(c, db, dc->what, dc->steps);
        pub(c, &r, db, "batch", "@batch-good", NULL);
        HARNESS_CHECK_RUN(r.status == (dc->unchecked ? 1 : 0), &r, "%s: expected batch-good %s, got %s",
                          dc->what, dc->unchecked ? "refused" : "published", harness_ending(&r));
        for (size_t k = 0; k < NGOOD; k++) {
            if (dc->unchecked)
                expect_refused_line(&r, GOOD[k], "revocation: cannot be checked now: " ISSUING, NULL);
            else
                expect_published_line(c, &r, "batch-good", GOOD[k], "published");
        }
    }
}

typedef struct {
    const char *what;
    const char *args[4]; /* a command run after make_index (crl issuing.crl), or none */
    const char *text[3]; /* what `status` must print */
    const char *json[3]; /* what `status --json` must print */
} status_case_t;

static const status_case_t STATUS[] = {
    {"the issuing CA's CRL",
     {NULL},
     {"CRL number 4096 of " ISSUING, "ago), next update 20", ", verifies\n"},
     {"\"issuer_cn\":\"Hocba Test Issuing CA\",\"number\":\"4096\",\"this_update\":\"20",
      "\"next_update_past\":false,\"verifies\":true", "\"issuers_unchecked\":0"}},
    {"a CRL past its nextUpdate",
     {"crl", "@trust/issuing-stale.crl", "@trust/root.crl"},
     {"CRL number 4097 of " ISSUING, "next update 2025-02-01T00:00:00Z (past: it still counts), verifies",
      "CRL number 1 of CA \"Hocba Test Root CA\""},
     {"\"number\":\"4097\",\"this_update\":\"2025-01-01T00:00:00Z\"",
      "\"next_update\":\"2025-02-01T00:00:00Z\","
      "\"next_update_past\":true,\"verifies\":true",
      "\"issuers_unchecked\":0"}},
    {"the issuing CA's CRL no longer verifying",
     {"trust", "@trust/anchors.pem", "--drop-unverifiable-crls"},
     {"CRL number 4096 of " ISSUING, "does NOT verify", "warning: " ISSUING},
     {"\"verifies\":false", "\"checked\":false,\"in_store\":false", "\"issuers_unchecked\":1"}},
};

/* package-format.md §6: `status` (text and --json) shows each CRL with its
 * CA, number, age and nextUpdate and whether it verifies, and warns of a CA
 * that publishes CRLs with none that verifies. It showed only counts. */
static void test_status_shows_each_crl_age_next_update_and_whether_it_verifies(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < sizeof STATUS / sizeof *STATUS; i++) {
        const status_case_t *sc = &STATUS[i];
        char db[512];
        harness_run_t r;
        make_index(c, db, sizeof db, harness_printf("status-%zu", i), 0);
        if (sc->args[0] != NULL) {
            pub(c, &r, db, sc->args[0], sc->args[1], sc->args[2], sc->args[3], NULL);
            HARNESS_EXPECT_EXIT(&r, 0);
        }
        for (int json = 0; json < 2; json++) {
            pub(c, &r, db, "status", json ? "--json" : NULL, NULL);
            HARNESS_EXPECT_EXIT(&r, 0);
            const char *const *want = json ? sc->json : sc->text;
            for (int k = 0; k < 3; k++)
                HARNESS_CHECK_RUN(strstr(r.out, want[k]) != NULL, &r,
                                  "%s: expected `status%s` to print \"%s\"", sc->what, json ? " --json" : "",
                                  want[k]);
        }
        HARNESS_CHECK_RUN(is_json_object(r.out), &r, "%s: expected one JSON object from status --json",
                          sc->what);
    }
}

/* ---- tests: only complete CRLs count (decisions.md, revocation) --------------------------------- */

/* Well-signed, empty CRLs of the issuing CA that are not complete (mkpkgs.sh
 * makes them with openssl ca -gencrl -crlexts), and what `crl` must say. */
static const struct {
    const char *crl, *why;
} PARTS[] = {
    {"part-delta.crl", "is a delta CRL (deltaCRLIndicator)"},
    {"part-only-ca.crl", "covers only CA certificates (issuingDistributionPoint onlyContainsCACerts)"},
    {"part-only-user.crl",
     "covers only end-entity certificates (issuingDistributionPoint onlyContainsUserCerts)"},
    {"part-only-attr.crl", "covers only attribute certificates"},
    {"part-reasons.crl", "covers only some revocation reasons (issuingDistributionPoint onlySomeReasons)"},
    {"part-dp.crl", "covers only the certificates of one distribution point"},
    {"part-indirect.crl", "is an indirect CRL (issuingDistributionPoint indirectCRL)"},
};

/* batch-good under a CRL set that revokes A-vice (keyCompromise): good4,
 * which A-vice signs, is refused for it; the others publish. */
static void expect_vice_revoked(ctx_t *c, const char *db, const char *what)
{
    harness_run_t r;
    pub(c, &r, db, "batch", "@batch-good", NULL);
    HARNESS_CHECK_RUN(r.status == 1, &r, "%s: expected batch-good to refuse good4, got %s", what,
                      harness_ending(&r));
    expect_refused_line(&r, "good4", "was revoked by its CA", NULL);
    for (size_t k = 0; k + 1 < NGOOD; k++)
        expect_published_line(c, &r, "batch-good", GOOD[k], "published");
}

/* The review's case: after the CRL that revokes A-vice, an empty delta CRL
 * (or a CRL narrowed by an issuingDistributionPoint) of the same CA, well
 * signed, was taken as the CA's CRL set: exit 0, and A-vice's transcripts
 * were valid again. `crl` refuses each (exit 2, naming the file and why),
 * alone, beside the full CRL, and with --drop-unverifiable-crls, and changes
 * nothing: good4 stays refused as revoked. Fails on the old code (exit 0). */
static void test_crl_refuses_a_delta_or_narrowed_crl(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "parts", 0);
    pub(c, &r, db, "crl", "@trust/issuing-vice-revoked.crl", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    long version = trust_version_of(c, db);
    for (size_t i = 0; i < sizeof PARTS / sizeof *PARTS; i++) {
        const char *file = harness_printf("@trust/%s", PARTS[i].crl);
        const char *sets[3][3] = {{file, NULL, NULL},
                                  {"@trust/issuing-vice-revoked.crl", file, NULL},
                                  {file, "--drop-unverifiable-crls", NULL}};
        for (size_t k = 0; k < 3; k++) {
            pub(c, &r, db, "crl", sets[k][0], sets[k][1], NULL);
            HARNESS_CHECK_RUN(r.status == 2 && strstr(r.err, PARTS[i].crl) != NULL &&
                                  strstr(r.err, PARTS[i].why) != NULL &&
                                  strstr(r.err, "give the issuer's full CRL") != NULL,
                              &r, "%s (set %zu): expected exit 2 naming the file and \"%s\", got %s",
                              PARTS[i].crl, k, PARTS[i].why, harness_ending(&r));
        }
    }
    if (trust_version_of(c, db) != version)
        fail_msg("expected nothing changed (trust_version %ld), it is %ld", version, trust_version_of(c, db));
    expect_vice_revoked(c, db, "after the refused CRLs");
}

/* An incomplete CRL stored before `crl` refused them (written into the index
 * here as an older publisher did) is never used: its CA's certificates
 * cannot be judged (batch refuses batch-good, naming the CA), and `status`
 * says the CRL is not complete and why. Before, the empty delta CRL was the
 * CA's CRL: batch-good published, A-vice's good4 with it. */
static void test_stored_delta_crl_is_never_used(void **state)
{
    ctx_t *c = *state;
    char db[512], why[256];
    harness_run_t r;
    make_index(c, db, sizeof db, "stored-delta", 0);
    pub(c, &r, db, "crl", "@trust/issuing-vice-revoked.crl", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    size_t len = 0;
    char *delta = harness_read_file(harness_printf("%s/trust/part-delta.crl", c->fx), &len);
    assert_non_null(delta);
    index_t *ix;
    MDB_txn *txn;
    if (index_open(db, 0, &ix, why, sizeof why) != 0)
        fail_msg("cannot open the index: %s", why);
    assert_int_equal(index_begin(ix, 0, &txn), 0);
    str_t set = str_n(delta, len);
    assert_int_equal(index_set_crls(ix, txn, &set, 1), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    index_close(ix);

    pub(c, &r, db, "status", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(strstr(r.out, "NOT a complete CRL of its CA: not used") != NULL &&
                          strstr(r.out, "is a delta CRL (deltaCRLIndicator)") != NULL &&
                          strstr(r.out, "warning: " ISSUING) != NULL,
                      &r, "expected status to say the delta CRL is not used, and warn of the CA");
    pub(c, &r, db, "status", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(strstr(r.out, "\"verifies\":false,\"incomplete\":\"is a delta CRL") != NULL &&
                          strstr(r.out, "\"issuers_unchecked\":1") != NULL,
                      &r, "expected status --json to say the delta CRL is incomplete and the CA unchecked");
    pub(c, &r, db, "batch", "@batch-good", NULL);
    HARNESS_CHECK_RUN(r.status == 1, &r, "expected batch-good refused, got %s", harness_ending(&r));
    for (size_t k = 0; k < NGOOD; k++)
        expect_refused_line(&r, GOOD[k], "revocation: cannot be checked now: " ISSUING, NULL);
}

/* ---- tests: crl never goes back to an older CRL of a CA (decisions.md) ---------------------------- */

typedef struct {
    const char *what;
    drop_step_t steps[2]; /* after make_index (crl issuing.crl: number 4096) */
    int vice_revoked;     /* afterwards A-vice is revoked (good4 refused), else batch-good publishes */
} older_case_t;

#define VICE "@trust/issuing-vice-revoked.crl" /* number 4098, revokes A-vice (keyCompromise) */
static const older_case_t OLDER[] = {
    {"an older CRL after a newer one is refused, naming both numbers",
     {{{"crl", VICE}, 0, NULL, NULL},
      {{"crl", "@trust/issuing.crl"},
       2,
       "newest CRL number 4096 of " ISSUING,
       "older than CRL number 4098 of "}},
     1},
    {"beside another CA's CRL",
     {{{"crl", VICE}, 0, NULL, NULL},
      {{"crl", "@trust/root.crl", "@trust/issuing.crl"}, 2, "number 4098", NULL}},
     1},
    {"--drop-unverifiable-crls does not go back",
     {{{"crl", VICE}, 0, NULL, NULL},
      {{"crl", "@trust/issuing.crl", "--drop-unverifiable-crls"}, 2, "number 4098", "--allow-older-crl"}},
     1},
    {"--allow-older-crl goes back, saying so",
     {{{"crl", VICE}, 0, NULL, NULL},
      {{"--allow-older-crl", "crl", "@trust/issuing.crl"}, 0, "number 4098", "(--allow-older-crl)"}},
     0},
    {"the same CRL again is no going back",
     {{{"crl", VICE}, 0, NULL, NULL}, {{"crl", VICE}, 0, NULL, NULL}},
     1},
    {"newer CRLs go ahead, even one issued earlier with a higher number",
     {{{"crl", "@trust/issuing-stale.crl"}, 0, NULL, NULL}, {{"crl", VICE}, 0, NULL, NULL}},
     1},
    {"without numbers, an earlier thisUpdate is older",
     {{{"crl", "@trust/nonum-new.crl"}, 0, NULL, NULL},
      {{"crl", "@trust/nonum-old.crl"}, 2, "CRL (no number) of " ISSUING, "(issued 2025-01-01T00:00:00Z)"}},
     0},
};

/* The review's case: after the CRL that revokes A-vice (number 4098), `crl`
 * took the issuing CA's older CRL (4096): exit 0, and A-vice's transcripts
 * were valid again. `crl` refuses a set whose newest CRL of a CA is older
 * than its newest stored now (by cRLNumber, else thisUpdate; exit 2, naming
 * both, nothing changed), whatever --drop-unverifiable-crls says;
 * --allow-older-crl goes back. Fails on the old code (exit 0). */
static void test_crl_refuses_an_older_crl_of_a_ca(void **state)
{
    ctx_t *c = *state;
    for (size_t i = 0; i < sizeof OLDER / sizeof *OLDER; i++) {
        const older_case_t *oc = &OLDER[i];
        char db[512];
        harness_run_t r;
        make_index(c, db, sizeof db, harness_printf("older-%zu", i), 0);
        run_steps(c, db, oc->what, oc->steps);
        if (oc->vice_revoked) {
            expect_vice_revoked(c, db, oc->what);
        } else {
            pub(c, &r, db, "batch", "@batch-good", NULL);
            HARNESS_CHECK_RUN(r.status == 0, &r, "%s: expected batch-good published, got %s", oc->what,
                              harness_ending(&r));
        }
    }
}

/* ---- tests: check, the dry run of batch (cli.md) ------------------------------------------------ */

/* text with every `from` replaced by `to`, kept until the group ends. */
static char *replace_all(const char *text, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = strstr(text, from); p; p = strstr(p + fl, from))
        n++;
    char *out = harness_malloc(strlen(text) + n * tl + 1), *w = out;
    for (const char *p = text;;) {
        const char *q = strstr(p, from);
        if (!q) {
            memcpy(w, p, strlen(p) + 1);
            break;
        }
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, to, tl);
        w += tl;
        p = q + fl;
    }
    return out;
}

/* How many lines "STEM CODE OUTCOME" of text say outcome. */
static size_t lines_saying(const char *text, const char *outcome)
{
    size_t n = 0, len = strlen(outcome);
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n'), *sp = strchr(p, ' ');
        const char *end = nl ? nl : p + strlen(p);
        sp = sp && sp < end ? strchr(sp + 1, ' ') : NULL;
        n += sp && sp < end && (size_t)(end - sp - 1) == len && strncmp(sp + 1, outcome, len) == 0;
        p = nl ? nl + 1 : end;
    }
    return n;
}

/* The index's data file, whole. */
static char *data_file(const char *db, size_t *len)
{
    char *bytes = harness_read_file(harness_printf("%s/data.mdb", db), len);
    if (!bytes)
        fail_msg("cannot read %s/data.mdb", db);
    return bytes;
}

/* Fail unless db's data file holds exactly before[0..len) (a dry run
 * writes nothing; LMDB's lock file records readers, by design). */
static void expect_data_unchanged(const harness_run_t *r, const char *db, const char *before, size_t len)
{
    size_t now_len;
    const char *now = data_file(db, &now_len);
    HARNESS_CHECK_RUN(
        now_len == len && memcmp(now, before, len) == 0, r,
        "expected `%s` to leave %s/data.mdb byte for byte as it was (%zu bytes), got %zu bytes%s", r->cmd, db,
        len, now_len, now_len == len ? " that differ" : "");
}

/* Each batch of the fixtures on an index set up the way the batch tests
 * set it up: `check` (text and --json) says for every package what `batch`
 * then does, with the same reasons (its outcome "would publish", JSON
 * "would_publish", where batch says "published") and the same exit status,
 * and leaves data.mdb byte for byte unchanged. A replacement that waits for
 * its recall in the same batch, a recall of a transcript of the same batch
 * (batch-recall, batch-correct-same-id) and a duplicate document_id are
 * judged by check against what the batch itself would have written. */
static void test_check_says_what_batch_then_does(void **state)
{
    ctx_t *c = *state;
    static const struct {
        const char *dir, *registry;
        int with_good;
    } t[] = {
        {"batch-good", "@schools.json", 0},
        {"batch-good", "@schools.json", 1},
        {"batch-bad", "@schools.json", 1},
        {"batch-mixed", "@schools.json", 0},
        {"batch-recall", "@schools.json", 1},
        {"batch-recall", "@schools.json", 0},
        {"batch-correct-same-id", "@schools.json", 1},
        {"batch-two-roles", "@schools-v2.json", 0},
        {"batch-two-roles", "@schools.json", 0},
        {"batch-staff", "@schools-v2.json", 1},
        {"batch-names", "@schools-v2.json", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        char db[512];
        const char *dir = harness_printf("@%s", t[i].dir);
        harness_run_t ct, cj, bt, bj, cp;
        make_index_with(c, db, sizeof db, "check", t[i].registry, t[i].with_good);
        size_t len;
        const char *before = data_file(db, &len);
        pub(c, &ct, db, "check", dir, NULL);
        expect_data_unchanged(&ct, db, before, len);
        pub(c, &cj, db, "check", dir, "--json", NULL);
        expect_data_unchanged(&cj, db, before, len);
        /* the same index twice, for batch in text and in JSON */
        const char *copy = harness_printf("%s-copy", db);
        const char *argv[] = {"cp", "-a", db, copy, NULL};
        harness_run(&cp, NULL, argv, CHILD_TIMEOUT_MS);
        HARNESS_EXPECT_EXIT(&cp, 0);
        pub(c, &bt, db, "batch", dir, NULL);
        pub(c, &bj, copy, "batch", dir, "--json", NULL);
        HARNESS_CHECK_RUN(bt.status == 0 || bt.status == 1, &bt, "%s: expected batch to exit 0 or 1, got %s",
                          t[i].dir, harness_ending(&bt));
        HARNESS_CHECK_RUN(bt.outlen > 0 && bj.outlen > 0, &bt, "%s: expected a line a package from batch",
                          t[i].dir);
        HARNESS_CHECK_RUN(ct.status == bt.status && cj.status == bj.status, &ct,
                          "%s: expected check to exit as batch does (%d), got %s and %s", t[i].dir, bt.status,
                          harness_ending(&ct), harness_ending(&cj));
        const char *said = replace_all(ct.out, " would publish\n", " published\n");
        HARNESS_CHECK_RUN(
            strcmp(said, bt.out) == 0, &ct,
            "%s: expected check's lines, \"would publish\" read as \"published\", to be batch's:\n"
            "%s\ngot:\n%s",
            t[i].dir, bt.out, ct.out);
        said = replace_all(cj.out, "\"outcome\":\"would_publish\"", "\"outcome\":\"published\"");
        HARNESS_CHECK_RUN(strcmp(said, bj.out) == 0, &cj,
                          "%s: expected check's JSON lines, \"would_publish\" read as \"published\", to be "
                          "batch's:\n%s\ngot:\n%s",
                          t[i].dir, bj.out, cj.out);
        size_t would = lines_saying(ct.out, "would publish"), published = lines_saying(bt.out, "published");
        HARNESS_CHECK_RUN(would == published, &ct,
                          "%s: expected %zu \"would publish\" lines from check, got %zu", t[i].dir, published,
                          would);
    }
}

/* cli.md: check runs beside a publisher. While another process holds the
 * index's write transaction open (batch waits for it: killed after 1.5 s
 * here), check reads through a read-only transaction and finishes. */
static void test_check_runs_while_another_process_holds_the_write_transaction(void **state)
{
    ctx_t *c = *state;
    char db[512], why[512];
    harness_run_t r, b;
    make_index(c, db, sizeof db, "check-beside-writer", 0);
    index_t *ix;
    MDB_txn *txn;
    if (index_open(db, 0, &ix, why, sizeof why) != 0)
        fail_msg("cannot open %s: %s", db, why);
    int rc = index_begin(ix, 0, &txn);
    if (rc != 0) {
        index_close(ix);
        fail_msg("cannot begin a write transaction on %s: %s", db, index_strerror(rc));
    }
    const char *batch[] = {c->pub, "--db", db, "batch", harness_printf("%s/batch-good", c->fx), NULL};
    harness_run(&b, NULL, batch, 1500);
    pub(c, &r, db, "check", "@batch-good", NULL);
    mdb_txn_abort(txn);
    index_close(ix);
    HARNESS_CHECK_RUN(b.timed_out, &b,
                      "expected batch to wait for the write transaction held (and be killed), "
                      "got %s: the test holds no lock",
                      harness_ending(&b));
    HARNESS_EXPECT_EXIT(&r, 0);
    for (size_t i = 0; i < NGOOD; i++)
        expect_published_line(c, &r, "batch-good", GOOD[i], "would publish");
    EXPECT_COUNT(c, db, "transcript", 0);
}

typedef struct {
    const char *what;
    int with_good3;     /* good3 (its .p7s PEM, so stored whole) is published */
    int status_exit;    /* of the status that upgrades */
    const char *in_err; /* what that status says */
    long remembered;    /* CAs remembered after the upgrade */
} pem_upgrade_case_t;

static const pem_upgrade_case_t PEM_UPGRADE[] = {
    /* the issuing CA's certificate is only inside good3's PEM .p7s: found
     * there, and good3 answers "cannot check now" (it was valid: the CRL
     * that revokes its teacher was forgotten) */
    {"good3 alone, its .p7s PEM", 1, 0, "upgraded", 1},
    /* nowhere: refused, naming the CRL and what to do */
    {"no package", 0, 2, "cannot be upgraded from format 3 to 4, nothing was changed: CRL number", 0},
};

/* package-format.md rev. 2 §6, docs/index-format.md (3 -> 4): the issuer of
 * a stored CRL that no longer verifies is found among the certificates of
 * the packages, those of a .p7s stored whole (PEM) included; where it is
 * nowhere, the upgrade is refused, naming the CRL, and a trust command with
 * --drop-unverifiable-crls and the CA in the intermediates upgrades and
 * remembers it. */
static void test_upgrade_finds_the_crl_issuer_in_a_pem_p7s_or_refuses(void **state)
{
    ctx_t *c = *state;
    harness_run_t r;
    const char *dir = harness_printf("%s/pem-upgrade", c->tmp);
    HARNESS_CHECK_RUN(mkdir(dir, 0755) == 0 &&
                          copy_file(harness_printf("%s/batch-good/good3.json", c->fx),
                                    harness_printf("%s/good3.json", dir)) == 0 &&
                          copy_file(harness_printf("%s/batch-good/good3.p7s", c->fx),
                                    harness_printf("%s/good3.p7s", dir)) == 0,
                      &r, "cannot make %s", dir);
    const char *good3 = code_for(c, "batch-good", "good3");
    for (size_t k = 0; k < sizeof PEM_UPGRADE / sizeof *PEM_UPGRADE; k++) {
        const pem_upgrade_case_t *pc = &PEM_UPGRADE[k];
        char db[512];
        make_index(c, db, sizeof db, "pem-upgrade", 0);
        if (pc->with_good3) {
            pub(c, &r, db, "batch", dir, NULL);
            HARNESS_EXPECT_EXIT(&r, 0);
        }
        pub(c, &r, db, "crl", "@trust/issuing-teacher-revoked.crl", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        if (pc->with_good3 && strcmp(portal_answer(db, good3), "invalid") != 0)
            fail_msg("%s: expected good3 invalid under the CRL revoking its teacher, got %s", pc->what,
                     portal_answer(db, good3));
        pub(c, &r, db, "trust", "@trust/anchors.pem", "--drop-unverifiable-crls", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        harness_make_index_format(db, 3);
        pub(c, &r, db, "status", NULL);
        HARNESS_EXPECT_EXIT(&r, pc->status_exit);
        HARNESS_CHECK_RUN(strstr(r.err, pc->in_err) != NULL, &r, "%s: expected status to say \"%s\", got: %s",
                          pc->what, pc->in_err, r.err);
        if (pc->status_exit == 0) {
            HARNESS_CHECK_RUN(harness_count_of(r.out, "CAs remembered as publishing CRLs", 0) ==
                                  pc->remembered,
                              &r, "%s: expected %ld CA remembered, got: %s", pc->what, pc->remembered, r.out);
            const char *got = portal_answer(db, good3);
            if (strcmp(got, "unavailable") != 0)
                fail_msg("%s: after the upgrade, expected good3 to answer unavailable (503), got %s",
                         pc->what, got);
            continue;
        }
        HARNESS_CHECK_RUN(
            strstr(r.err, "Test Issuing CA") != NULL && strstr(r.err, "INTERMEDIATES.pem") != NULL &&
                strstr(r.err, "--drop-unverifiable-crls") != NULL,
            &r, "%s: expected the refusal to name the issuing CA and the trust command, got: %s", pc->what,
            r.err);
        pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", "--drop-unverifiable-crls",
            NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(strstr(r.err, "upgraded") != NULL && strstr(r.err, "not remembered") != NULL, &r,
                          "%s: expected trust to upgrade, saying the CRL's CA was not remembered, got: %s",
                          pc->what, r.err);
        pub(c, &r, db, "status", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(harness_count_of(r.out, "CAs remembered as publishing CRLs", 0) == 1, &r,
                          "%s: expected trust to remember the issuing CA, got: %s", pc->what, r.out);
    }
}

/* check, certs and stats open the index read-only: on a path with no index
 * they exit 2 saying so and create nothing; on an index of format 3 they
 * exit 2 naming the command that upgrades it, and leave it at format 3
 * (status then upgrades it, and check runs). */
static void test_check_certs_and_stats_refuse_a_missing_or_older_index(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    new_db(c, db, sizeof db, "check-missing");
    pub(c, &r, db, "check", "@batch-good", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    pub(c, &r, db, "certs", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    pub(c, &r, db, "stats", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    struct stat st;
    HARNESS_CHECK_RUN(stat(db, &st) != 0 && errno == ENOENT, &r, "expected no index made at %s", db);

    make_index(c, db, sizeof db, "check-format-3", 1);
    harness_make_index_format(db, 3);
    size_t len;
    const char *before = data_file(db, &len);
    const char *upgrade = harness_printf("upgrade it in place with `hocba-publish --db %s status`", db);
    static const char *const cmds[] = {"check", "certs", "stats"};
    for (size_t i = 0; i < 3; i++) {
        if (i == 0)
            pub(c, &r, db, cmds[i], "@batch-recall", NULL);
        else
            pub(c, &r, db, cmds[i], NULL);
        HARNESS_EXPECT_EXIT(&r, 2);
        HARNESS_CHECK_RUN(strstr(r.err, "format 3") && strstr(r.err, upgrade), &r,
                          "expected %s to say the index has format 3 and \"%s\", got: %s", cmds[i], upgrade,
                          r.err);
        expect_data_unchanged(&r, db, before, len);
    }
    pub(c, &r, db, "status", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "check", "@batch-recall", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    expect_published_line(c, &r, "batch-recall", "good1-corrected", "would publish");
}

/* ---- tests: certs, the certificate report (cli.md) ---------------------------------------------- */

/* How many lines of text start with prefix ("" counts them all); -1 when a
 * line ends in CR LF (or, with crlf, when one does not). */
static long lines_of(const char *text, const char *prefix, int crlf)
{
    long n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        if (!nl || (nl > p && nl[-1] == '\r') != crlf)
            return -1;
        n += strncmp(p, prefix, strlen(prefix)) == 0;
        p = nl + 1;
    }
    return n;
}

static long lines_starting(const char *text, const char *prefix)
{
    return lines_of(text, prefix, 0);
}

static long lines_ending_crlf(const char *text)
{
    return lines_of(text, "", 1);
}

/* ---- tests: stats, the departments' figures (cli.md) ------------------------------------------- */

/* An index with the v2 registry and batch-good, batch-names, batch-recall,
 * batch-mixed and batch-good again published: ten primary transcripts of
 * 2024-2025 whose counts are known. TH001 (Hà Nội): good1-4, mixed1,
 * a-spaces-and-case (its province written "thành phố hà nội", which counts
 * as the registry spells it) and good1-corrected (a replacement), with good1
 * recalled; TH002 (Hồ Chí Minh): mixed2; TH003: c-former-name-before-until
 * under the province's former name, c-old-tone-style ("THÀNH PHỐ HUẾ")
 * under its current one. Grades: good2 1, mixed1 2, good1, its replacement,
 * a-spaces-and-case and both of TH003's 3, good4 and mixed2 4, good3 5. */
static void stats_index(ctx_t *c, char *db, size_t n, const char *name)
{
    harness_run_t r;
    static const struct {
        const char *batch;
        int exit;
    } STEPS[] = {{"@batch-names", 1}, {"@batch-recall", 0}, {"@batch-mixed", 1}, {"@batch-good", 0}};
    make_index_with(c, db, n, name, "@schools-v2.json", 1);
    for (size_t i = 0; i < sizeof STEPS / sizeof *STEPS; i++) {
        pub(c, &r, db, "batch", STEPS[i].batch, NULL);
        HARNESS_EXPECT_EXIT(&r, STEPS[i].exit);
    }
}

/* What stats --json prints, a line an object, for the index of
 * stats_index, and for the secondary batches on the v1 registry. */
#define HN "Thành phố Hà Nội"
#define ROW(level, where, p, r, rep, ratio)                                                                  \
    "{\"school_year\":\"2024-2025\",\"level\":\"" level "\"," where ",\"published\":" #p ",\"recalled\":" #r \
    ",\"replaced\":" #rep ",\"recalled_ratio\":" ratio "}\n"
#define PROVINCE(name) "\"province\":\"" name "\""
#define SCHOOL(prov, code) "\"province\":\"" prov "\",\"school\":\"" code "\""
#define GRADE(g) "\"grade\":" #g

typedef struct {
    const char *what;
    int secondary; /* the index of the secondary batches, not stats_index's */
    const char *args[4];
    const char *want; /* stdout */
} stats_case_t;

static const stats_case_t STATS[] = {
    {"by province (the default)",
     0,
     {NULL},
     ROW("TH", PROVINCE("Thành phố Huế"), 1, 0, 0, "0.0") ROW("TH", PROVINCE(HN), 7, 1, 1, "0.142857")
         ROW("TH", PROVINCE("Thành phố Hồ Chí Minh"), 1, 0, 0, "0.0")
             ROW("TH", PROVINCE("Tỉnh Thừa Thiên Huế"), 1, 0, 0, "0.0")},
    {"by school",
     0,
     {"--by", "school"},
     ROW("TH", SCHOOL("Thành phố Huế", "TH003"), 1, 0, 0, "0.0")
         ROW("TH", SCHOOL(HN, "TH001"), 7, 1, 1, "0.142857")
             ROW("TH", SCHOOL("Thành phố Hồ Chí Minh", "TH002"), 1, 0, 0, "0.0")
                 ROW("TH", SCHOOL("Tỉnh Thừa Thiên Huế", "TH003"), 1, 0, 0, "0.0")},
    {"by grade",
     0,
     {"--by", "grade"},
     ROW("TH", GRADE(1), 1, 0, 0, "0.0") ROW("TH", GRADE(2), 1, 0, 0, "0.0")
         ROW("TH", GRADE(3), 5, 1, 1, "0.2") ROW("TH", GRADE(4), 2, 0, 0, "0.0")
             ROW("TH", GRADE(5), 1, 0, 0, "0.0")},
    {"by grade, for its school year",
     0,
     {"--by", "grade", "--year", "2024-2025"},
     ROW("TH", GRADE(1), 1, 0, 0, "0.0") ROW("TH", GRADE(2), 1, 0, 0, "0.0")
         ROW("TH", GRADE(3), 5, 1, 1, "0.2") ROW("TH", GRADE(4), 2, 0, 0, "0.0")
             ROW("TH", GRADE(5), 1, 0, 0, "0.0")},
    {"for another school year", 0, {"--year", "2023-2024"}, ""},
    {"secondary, by grade",
     1,
     {"--by", "grade"},
     ROW("THCS", GRADE(9), 2, 1, 1, "0.5") ROW("THPT", GRADE(12), 1, 0, 0, "0.0")
         ROW("GDTX", GRADE(10), 1, 0, 0, "0.0")},
    {"secondary, by school",
     1,
     {"--by", "school"},
     ROW("THCS", SCHOOL(HN, "TH031"), 2, 1, 1, "0.5") ROW("THPT", SCHOOL(HN, "TH032"), 1, 0, 0, "0.0")
         ROW("GDTX", SCHOOL(HN, "TH033"), 1, 0, 0, "0.0")},
};

/* The index of the secondary batches (v1 registry): thcs9, thpt12 and
 * gdtx10, then thcs9 recalled and replaced. */
static void stats_secondary_index(ctx_t *c, char *db, size_t n)
{
    harness_run_t r;
    make_index(c, db, n, "stats-secondary", 0);
    pub(c, &r, db, "batch", "@batch-trunghoc", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    pub(c, &r, db, "batch", "@batch-trunghoc-recall", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
}

static void expect_stats(ctx_t *c, const char *db, const char *db2, const char *when)
{
    harness_run_t r;
    for (size_t i = 0; i < sizeof STATS / sizeof *STATS; i++) {
        const stats_case_t *sc = &STATS[i];
        pub(c, &r, sc->secondary ? db2 : db, "stats", "--json", sc->args[0], sc->args[1], sc->args[2],
            sc->args[3], NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(strcmp(r.out, sc->want) == 0, &r,
                          "%s, %s: expected stats --json to print\n%s\ngot\n%s", sc->what, when, sc->want,
                          r.out);
    }
}

/* cli.md: stats counts published, recalled and replaced transcripts, and
 * recalled ÷ published, by school year and level and by province, school or
 * grade, on batches whose counts are known: a recall counts where the
 * transcript it recalls does, a replacement as published and as replaced, a
 * re-run (good again: already published) adds nothing, a refused package
 * nothing, and a province counts as the registry spells it in force on the
 * transcript's issued_on. */
static void test_stats_counts_batches_whose_counts_are_known(void **state)
{
    ctx_t *c = *state;
    char db[512], db2[512];
    stats_index(c, db, sizeof db, "stats");
    stats_secondary_index(c, db2, sizeof db2);
    expect_stats(c, db, db2, "as published");
}

/* The counts an upgrade from format 4 (or 3) rebuilds from the stored
 * records are the ones the publishing transactions kept. */
static void test_stats_are_rebuilt_by_the_upgrade_as_they_were_kept(void **state)
{
    ctx_t *c = *state;
    char db[512], db2[512];
    harness_run_t r;
    stats_index(c, db, sizeof db, "stats-upgrade");
    stats_secondary_index(c, db2, sizeof db2);
    harness_make_index_format(db, 4);
    harness_make_index_format(db2, 3);
    pub(c, &r, db, "stats", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    HARNESS_CHECK_RUN(strstr(r.err, "format 4") != NULL, &r, "expected stats to refuse format 4, got: %s",
                      r.err);
    for (int i = 0; i < 2; i++) {
        pub(c, &r, i ? db2 : db, "status", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(strstr(r.err, i ? "from format 3 to 6" : "from format 4 to 6") != NULL, &r,
                          "expected status to say it upgraded the index, got: %s", r.err);
    }
    expect_stats(c, db, db2, "after the upgrade");
}

/* The table has a header, a line a row and a total; --csv has a header and
 * CRLF lines (RFC 4180). */
static void test_stats_table_and_csv(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    stats_index(c, db, sizeof db, "stats-formats");
    pub(c, &r, db, "stats", "--by", "school", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(lines_starting(r.out, "SCHOOL YEAR  LEVEL  PROVINCE") == 1 &&
                          lines_starting(r.out, "2024-2025    TH     " HN "       TH001") == 1 &&
                          lines_starting(r.out, "total ") == 1 && lines_starting(r.out, "") == 6,
                      &r, "expected a header, four rows and a total, got:\n%s", r.out);
    const char *total = strstr(r.out, "\ntotal ");
    HARNESS_CHECK_RUN(total != NULL && strstr(total, " 10 ") && strstr(total, " 0.1000\n"), &r,
                      "expected the total: 10 published, 1 recalled, 1 replaced, 0.1000; got:\n%s", r.out);
    pub(c, &r, db, "stats", "--csv", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    const char *want = "school_year,level,province,published,recalled,replaced,recalled_ratio\r\n"
                       "2024-2025,TH,Thành phố Huế,1,0,0,0.0000\r\n"
                       "2024-2025,TH," HN ",7,1,1,0.1429\r\n"
                       "2024-2025,TH,Thành phố Hồ Chí Minh,1,0,0,0.0000\r\n"
                       "2024-2025,TH,Tỉnh Thừa Thiên Huế,1,0,0,0.0000\r\n";
    HARNESS_CHECK_RUN(strcmp(r.out, want) == 0, &r, "expected stats --csv to print\n%s\ngot\n%s", want,
                      r.out);
}

/* One line of `certs --json`. */
typedef struct {
    char school[24], role[40], sha[65], subject[512], issuer[256], serial[80], not_before[24], not_after[24];
    char revoked[8], revoked_on[24]; /* revoked: "true", "false" or "null" */
    long records;
    int seen;
    int registered; /* 1, 0, or -1 for null */
} cert_row_t;

#define MAX_CERT_ROWS 64

static void copy_member(json_t *o, const char *name, char *out, size_t n)
{
    const char *v = json_string_value(json_object_get(o, name));
    snprintf(out, n, "%s", v ? v : "");
}

/* Every line of a `certs --json` run, each one JSON object. */
static size_t cert_rows(const harness_run_t *r, cert_row_t *rows)
{
    size_t n = 0;
    for (const char *p = r->out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        json_error_t err;
        json_t *o = json_loadb(p, len, 0, &err);
        HARNESS_CHECK_RUN(json_is_object(o) && n < MAX_CERT_ROWS, r,
                          "expected one JSON object a line from `%s`, got \"%.*s\" (%s)", r->cmd, (int)len, p,
                          o ? "too many" : err.text);
        cert_row_t *row = &rows[n++];
        copy_member(o, "school", row->school, sizeof row->school);
        copy_member(o, "role", row->role, sizeof row->role);
        copy_member(o, "certificate_sha256", row->sha, sizeof row->sha);
        copy_member(o, "subject", row->subject, sizeof row->subject);
        copy_member(o, "issuer", row->issuer, sizeof row->issuer);
        copy_member(o, "serial", row->serial, sizeof row->serial);
        copy_member(o, "not_before", row->not_before, sizeof row->not_before);
        copy_member(o, "not_after", row->not_after, sizeof row->not_after);
        row->records = (long)json_integer_value(json_object_get(o, "records"));
        row->seen = json_is_true(json_object_get(o, "seen"));
        json_t *reg = json_object_get(o, "registered");
        row->registered = json_is_null(reg) ? -1 : json_is_true(reg);
        json_t *rev = json_object_get(o, "revoked");
        snprintf(row->revoked, sizeof row->revoked, "%s",
                 json_is_true(rev)    ? "true"
                 : json_is_false(rev) ? "false"
                 : json_is_null(rev)  ? "null"
                                      : "?");
        copy_member(o, "revoked_on", row->revoked_on, sizeof row->revoked_on);
        json_decref(o);
        p = nl ? nl + 1 : p + len;
    }
    return n;
}

/* The fixtures' name of a certificate (fingerprints.tsv), or NULL. */
static const char *cert_name(ctx_t *c, const char *sha)
{
    char *tsv = harness_read_file(harness_printf("%s/fingerprints.tsv", c->fx), NULL);
    if (!tsv)
        fail_msg("cannot read %s/fingerprints.tsv", c->fx);
    char *hit = strstr(tsv, sha);
    if (!hit || hit == tsv || hit[-1] != '\t')
        return NULL;
    const char *start = hit - 1;
    while (start > tsv && start[-1] != '\n')
        start--;
    return harness_strndup(start, (size_t)(hit - 1 - start));
}

/* The value after "NAME=" on its line of text, kept until the group ends. */
static const char *field_of(const harness_run_t *r, const char *name)
{
    const char *want = harness_printf("%s=", name);
    for (const char *p = r->out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, want, strlen(want)) == 0) {
            const char *v = p + strlen(want), *nl = strchr(v, '\n');
            return harness_strndup(v, nl ? (size_t)(nl - v) : strlen(v));
        }
    HARNESS_CHECK_RUN(0, r, "expected a line %s... from `%s`", want, r->cmd);
    return NULL;
}

/* From openssl's RFC 2253 subject, the CN, O and L parts in that order:
 * what pages and reports may show (package-format.md §5). */
static const char *cn_o_l_of(const char *subject)
{
    static const char *const KEEP[] = {"CN=", "O=", "L="};
    char *out = harness_malloc(strlen(subject) + 1);
    out[0] = '\0';
    for (size_t k = 0; k < 3; k++)
        for (const char *p = subject; *p;) {
            const char *e = p;
            while (*e && *e != ',')
                e += *e == '\\' && e[1] ? 2 : 1;
            if (strncmp(p, KEEP[k], strlen(KEEP[k])) == 0)
                snprintf(out + strlen(out), strlen(subject) + 1 - strlen(out), "%s%.*s", out[0] ? "," : "",
                         (int)(e - p), p);
            p = *e ? e + 1 : e;
        }
    return out;
}

/* An index with the v2 registry (schools A, B, C and their staff),
 * batch-good, batch-names (C's packages, its teacher's certificate with UID
 * and a locality, ending in 60 days) and batch-recall (a recall notice and
 * its replacement) published; made once for the certs tests. */
static const char *certs_index(ctx_t *c)
{
    static char db[512];
    if (c->certs_done)
        return db;
    harness_run_t r;
    make_index_with(c, db, sizeof db, "certs", "@schools-v2.json", 1);
    pub(c, &r, db, "batch", "@batch-names", NULL);
    HARNESS_EXPECT_EXIT(&r, 1);
    pub(c, &r, db, "batch", "@batch-recall", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    c->certs_done = 1;
    return db;
}

/* Every certificate the registry names and every signer of the stored
 * records, per school and role, with how many records it signed in that
 * role (the recall notice and the replacement counted), whether the
 * registry lists it there, and, for each one stored, the serial, dates,
 * issuer and subject that openssl reads in its PEM; the subject as CN, O
 * and L only, never the UID (CCCD) that C's teacher's certificate carries. */
static void test_certs_lists_each_certificate_as_openssl_reads_it(void **state)
{
    ctx_t *c = *state;
    const char *db = certs_index(c);
    harness_run_t r, o;
    cert_row_t rows[MAX_CERT_ROWS];
    pub(c, &r, db, "certs", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    size_t n = cert_rows(&r, rows);
    static const struct {
        const char *school, *role, *cert;
        long records;
        int seen, registered;
    } want[] = {
        {"TH001", "school_seal", "A-seal", 7, 1, 1},
        {"TH001", "principal", "A-principal", 7, 1, 1},
        {"TH001", "homeroom_teacher", "A-teacher", 5, 1, 1},
        {"TH001", "homeroom_teacher", "A-teacher-ec", 1, 1, 1},
        {"TH001", "homeroom_teacher", "A-principal", 0, 1, 1}, /* listed, stored, never signed as teacher */
        {"TH001", "homeroom_teacher", "A-teacher-expired", 0, 0, 1},
        {"TH001", "vice_principal", "A-vice", 1, 1, -1},
        {"TH002", "school_seal", "B-seal", 0, 0, 1},
        {"TH002", "principal", "B-principal", 0, 0, 1},
        {"TH002", "homeroom_teacher", "B-teacher", 0, 0, 1},
        {"TH003", "school_seal", "C-seal", 2, 1, 1},
        {"TH003", "principal", "C-principal", 2, 1, 1},
        {"TH003", "homeroom_teacher", "C-teacher", 2, 1, 1},
    };
    enum { NWANT = sizeof want / sizeof *want };
    HARNESS_CHECK_RUN(n == NWANT, &r, "expected %d certificates, got %zu", NWANT, n);
    int saw_uid = 0;
    for (size_t i = 0; i < n; i++) {
        const cert_row_t *row = &rows[i];
        const char *name = cert_name(c, row->sha);
        size_t k = 0;
        while (k < NWANT && !(name && strcmp(want[k].school, row->school) == 0 &&
                              strcmp(want[k].role, row->role) == 0 && strcmp(want[k].cert, name) == 0))
            k++;
        HARNESS_CHECK_RUN(k < NWANT, &r, "did not expect a row for %s as %s at %s", name ? name : row->sha,
                          row->role, row->school);
        HARNESS_CHECK_RUN(row->records == want[k].records && row->seen == want[k].seen &&
                              row->registered == want[k].registered,
                          &r, "%s as %s at %s: expected %ld records, seen %d, registered %d; got %ld, %d, %d",
                          name, row->role, row->school, want[k].records, want[k].seen, want[k].registered,
                          row->records, row->seen, row->registered);
        if (!row->seen) {
            HARNESS_CHECK_RUN(row->subject[0] == '\0' && row->serial[0] == '\0', &r,
                              "%s is in no package: expected no subject or serial, got \"%s\"", name,
                              row->subject);
            continue;
        }
        const char *argv[] = {
            "openssl",  "x509",     "-in",        harness_printf("%s/pki/%s.pem", c->fx, name),
            "-noout",   "-serial",  "-startdate", "-enddate",
            "-subject", "-issuer",  "-nameopt",   "RFC2253,-esc_msb",
            "-dateopt", "iso_8601", NULL};
        harness_run(&o, NULL, argv, CHILD_TIMEOUT_MS);
        HARNESS_EXPECT_EXIT(&o, 0);
        /* "2026-12-07 05:27:37Z" is RFC 3339 with a space for the T */
        const char *nb = field_of(&o, "notBefore"), *na = field_of(&o, "notAfter");
        char *from = harness_strndup(nb, strlen(nb)), *until = harness_strndup(na, strlen(na));
        if (strlen(from) > 10)
            from[10] = 'T';
        if (strlen(until) > 10)
            until[10] = 'T';
        const char *subject = field_of(&o, "subject");
        saw_uid |= strstr(subject, "UID=CCCD:") != NULL;
        HARNESS_CHECK_RUN(
            strcmp(row->serial, field_of(&o, "serial")) == 0 && strcmp(row->not_before, from) == 0 &&
                strcmp(row->not_after, until) == 0 && strcmp(row->issuer, field_of(&o, "issuer")) == 0 &&
                strcmp(row->subject, cn_o_l_of(subject)) == 0,
            &o,
            "%s: expected serial %s, %s to %s, issuer \"%s\", subject \"%s\"; certs said %s, %s to %s, "
            "\"%s\", \"%s\"",
            name, field_of(&o, "serial"), from, until, field_of(&o, "issuer"), cn_o_l_of(subject),
            row->serial, row->not_before, row->not_after, row->issuer, row->subject);
    }
    HARNESS_CHECK_RUN(saw_uid, &r, "expected C-teacher's certificate to carry UID=CCCD:... (the fixtures)");
    static const char *const fmts[] = {"--json", "--csv", NULL};
    for (size_t f = 0; f < 3; f++) {
        pub(c, &r, db, "certs", fmts[f], NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(strstr(r.out, "Hồ Đắc Phước") && strstr(r.out, "L=Phường Thuận Hoà") &&
                              !strstr(r.out, "UID") && !strstr(r.out, "CCCD") &&
                              !strstr(r.out, "046090001234") && !strstr(r.out, "OU=") &&
                              !strstr(r.out, "ST="),
                          &r, "expected C's teacher by CN, O and L, and no UID, OU or ST, in `%s`", r.cmd);
    }
}

/* --expiring-before keeps exactly the certificates stored whose notAfter
 * is before the date (C's teacher's, 60 days from now, against a date 180
 * days from now), and says on stderr that those never seen in a package
 * are left out; a date before them all keeps none; a date that does not
 * exist is refused. */
static void test_certs_expiring_before_keeps_those_that_end_before_the_date(void **state)
{
    ctx_t *c = *state;
    const char *db = certs_index(c);
    harness_run_t all, r;
    cert_row_t rows[MAX_CERT_ROWS], kept[MAX_CERT_ROWS];
    pub(c, &all, db, "certs", "--json", NULL);
    HARNESS_EXPECT_EXIT(&all, 0);
    size_t n = cert_rows(&all, rows);
    time_t later = time(NULL) + 180 * 86400;
    struct tm tm;
    char day[16], cutoff[24];
    gmtime_r(&later, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    snprintf(cutoff, sizeof cutoff, "%sT00:00:00Z", day);
    pub(c, &r, db, "certs", "--expiring-before", day, "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    size_t k = cert_rows(&r, kept), expected = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].seen || strcmp(rows[i].not_after, cutoff) >= 0)
            continue;
        expected++;
        size_t j = 0;
        while (j < k && !(strcmp(kept[j].sha, rows[i].sha) == 0 && strcmp(kept[j].role, rows[i].role) == 0 &&
                          strcmp(kept[j].school, rows[i].school) == 0))
            j++;
        HARNESS_CHECK_RUN(j < k, &r, "expected %s as %s at %s (ends %s) to be kept before %s", rows[i].sha,
                          rows[i].role, rows[i].school, rows[i].not_after, day);
    }
    HARNESS_CHECK_RUN(k == expected && k == 1 && strcmp(cert_name(c, kept[0].sha), "C-teacher") == 0, &r,
                      "expected exactly C-teacher's certificate kept before %s, got %zu rows", day, k);
    HARNESS_CHECK_RUN(strstr(r.err, "never been seen in a package"), &r,
                      "expected stderr to say which certificates are left out as never seen, got: %s", r.err);
    pub(c, &r, db, "certs", "--expiring-before", "2000-01-01", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(strchr(r.out, '\n') == r.out + strlen(r.out) - 1 && strncmp(r.out, "SCHOOL", 6) == 0,
                      &r, "expected the table's heading and no row, got: %s", r.out);
    pub(c, &r, db, "certs", "--expiring-before", "2026-02-30", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

/* --school keeps one school's rows, in each format: the table (a heading,
 * then aligned rows), CSV (RFC 4180: a header, CRLF, the subject quoted for
 * its commas) and JSON lines. */
static void test_certs_school_filters_each_format(void **state)
{
    ctx_t *c = *state;
    const char *db = certs_index(c);
    harness_run_t r;
    cert_row_t rows[MAX_CERT_ROWS];
    pub(c, &r, db, "certs", "--school", "TH003", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    size_t n = cert_rows(&r, rows);
    HARNESS_CHECK_RUN(n == 3, &r, "expected TH003's seal, principal and teacher, got %zu rows", n);
    for (size_t i = 0; i < n; i++)
        HARNESS_CHECK_RUN(strcmp(rows[i].school, "TH003") == 0, &r, "expected only TH003, got %s",
                          rows[i].school);

    pub(c, &r, db, "certs", "--school", "TH003", "--csv", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(
        strncmp(r.out, "school,role,registered,records,", 31) == 0 && lines_ending_crlf(r.out) == 4 &&
            strstr(r.out, "\r\nTH003,school_seal,yes,2,yes,") &&
            strstr(r.out, ",\"CN=Hồ Đắc Phước,O=Trường Tiểu học Thuận Hoà,L=Phường Thuận Hoà\","),
        &r, "expected a CSV header and TH003's 3 rows, CRLF-ended, the subject quoted; got: %s", r.out);

    pub(c, &r, db, "certs", "--school", "TH003", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(strncmp(r.out, "SCHOOL", 6) == 0 && lines_starting(r.out, "TH003 ") == 3 &&
                          lines_starting(r.out, "") == 4,
                      &r, "expected a heading and TH003's 3 rows, got: %s", r.out);
    static const char *const COLUMNS[] = {"ROLE",    "REGISTERED", "RECORDS",     "NOT BEFORE", "NOT AFTER",
                                          "REVOKED", "SERIAL",     "CERTIFICATE", "SUBJECT"};
    for (size_t k = 0; k < sizeof COLUMNS / sizeof *COLUMNS; k++) {
        /* every cell before SUBJECT is ASCII: a byte offset is a column */
        const char *at = strstr(r.out, COLUMNS[k]);
        size_t off = at ? (size_t)(at - r.out) : 0;
        for (const char *line = strchr(r.out, '\n'); at && line && line[1]; line = strchr(line + 1, '\n'))
            HARNESS_CHECK_RUN(strlen(line + 1) > off && line[off] == ' ' && line[off + 1] != ' ', &r,
                              "expected each row's %s to start under its heading (column %zu), got: %s",
                              COLUMNS[k], off, r.out);
    }
    pub(c, &r, db, "certs", "--school", "TH999", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    HARNESS_CHECK_RUN(r.outlen == 0, &r, "expected no row for a school with none, got: %s", r.out);
    pub(c, &r, db, "certs", "--csv", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
}

/* Each certificate's revocation as the portal judges it: under the issuing
 * CA's CRL that revokes A's vice principal (keyCompromise), that one is
 * revoked (the day, "key compromise") and the others are not; once that
 * CRL no longer verifies (the anchors given without the intermediates, with
 * --drop-unverifiable-crls), no certificate the CA issued can be judged:
 * "cannot check now", JSON revoked null (package-format.md §6). */
static void test_certs_says_whether_each_certificate_is_revoked(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    cert_row_t rows[MAX_CERT_ROWS];
    make_index_with(c, db, sizeof db, "certs-revoked", "@schools-v2.json", 1);
    pub(c, &r, db, "crl", "@trust/issuing-vice-revoked.crl", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    for (int phase = 0; phase < 2; phase++) {
        pub(c, &r, db, "certs", "--json", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        size_t n = cert_rows(&r, rows), seen = 0;
        for (size_t i = 0; i < n; i++) {
            if (!rows[i].seen)
                continue;
            seen++;
            int vice = strcmp(cert_name(c, rows[i].sha), "A-vice") == 0;
            const char *want = phase == 1 ? "null" : vice ? "true" : "false";
            HARNESS_CHECK_RUN(
                strcmp(rows[i].revoked, want) == 0 && (rows[i].revoked_on[0] != '\0') == (phase == 0 && vice),
                &r, "%s as %s: expected revoked %s%s, got %s (revoked_on \"%s\")", cert_name(c, rows[i].sha),
                rows[i].role, want, phase == 0 && vice ? " with revoked_on" : "", rows[i].revoked,
                rows[i].revoked_on);
        }
        HARNESS_CHECK_RUN(seen >= 4, &r, "expected batch-good's signers, got %zu certificates seen", seen);
        pub(c, &r, db, "certs", NULL);
        HARNESS_EXPECT_EXIT(&r, 0);
        HARNESS_CHECK_RUN(
            phase == 1 ? strstr(r.out, "cannot check now") != NULL
                       : strstr(r.out, "(key compromise)") != NULL && strstr(r.out, "  no  ") != NULL,
            &r, "expected the table to say %s, got: %s",
            phase == 1 ? "\"cannot check now\"" : "\"yes, DAY (key compromise)\" and \"no\"", r.out);
        if (phase == 0) {
            pub(c, &r, db, "trust", "@trust/anchors.pem", "--drop-unverifiable-crls", NULL);
            HARNESS_EXPECT_EXIT(&r, 0);
        }
    }
}

/* ---- tests: an issuer is its name as OpenSSL compares it, and its key (decisions.md) -------------- */

static X509 *read_cert_pem(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
    if (f != NULL)
        fclose(f);
    if (x == NULL)
        fail_msg("cannot read the certificate %s", path);
    return x;
}

/* A copy of the issuing CA's certificate as the review made one: the same
 * key, the same name with every value written as PrintableString (the
 * fixtures write O and CN as UTF8String), another serial, signed by the
 * root, with the issuing CA's extensions. `openssl verify` takes it; OpenSSL
 * matches its name to the issuing CA's. Written as PEM to path. */
static void make_reencoded_issuing_ca(ctx_t *c, const char *path)
{
    X509 *ca = read_cert_pem(harness_printf("%s/pki/issuing.pem", c->fx));
    X509 *root = read_cert_pem(harness_printf("%s/pki/root.pem", c->fx));
    FILE *f = fopen(harness_printf("%s/pki/root.key", c->fx), "r");
    EVP_PKEY *root_key = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
    if (f != NULL)
        fclose(f);
    assert_non_null(root_key);
    const X509_NAME *name = X509_get_subject_name(ca);
    X509_NAME *printable = X509_NAME_new();
    X509 *x = X509_new();
    assert_true(printable != NULL && x != NULL);
    for (int i = 0; i < X509_NAME_entry_count(name); i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
        unsigned char *u = NULL;
        int len = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(e));
        assert_true(len > 0);
        assert_int_equal(X509_NAME_add_entry_by_OBJ(printable, X509_NAME_ENTRY_get_object(e),
                                                    V_ASN1_PRINTABLESTRING, u, len, -1, 0),
                         1);
        OPENSSL_free(u);
    }
    assert_int_equal(X509_NAME_cmp(printable, name), 0); /* the same name to OpenSSL */
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x7e5e), 1);
    assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(root)), 1);
    assert_int_equal(X509_set_subject_name(x, printable), 1);
    assert_int_equal(X509_set1_notBefore(x, X509_get0_notBefore(ca)), 1);
    assert_int_equal(X509_set1_notAfter(x, X509_get0_notAfter(ca)), 1);
    assert_int_equal(X509_set_pubkey(x, X509_get0_pubkey(ca)), 1);
    for (int i = 0; i < X509_get_ext_count(ca); i++)
        assert_int_equal(X509_add_ext(x, X509_get_ext(ca, i), -1), 1);
    assert_true(X509_sign(x, root_key, EVP_sha256()) > 0);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);
    X509_NAME_free(printable);
    X509_free(x);
    X509_free(ca);
    X509_free(root);
    EVP_PKEY_free(root_key);
}

/* Run the stock openssl command; fail the test when it fails. */
static void run_openssl(const char *const argv[])
{
    harness_run_t r;
    harness_run(&r, NULL, argv, CHILD_TIMEOUT_MS);
    HARNESS_EXPECT_EXIT(&r, 0);
}

/* A batch directory holding good1's payload signed as the fixtures sign it
 * (A's teacher, principal and seal), carrying the copy of the issuing CA at
 * ca instead of the issuing CA. @return the directory. */
static const char *batch_carrying(ctx_t *c, const char *ca)
{
    const char *dir = harness_printf("%s/batch-reenc-%d", c->tmp, ++c->seq);
    assert_int_equal(mkdir(dir, 0700), 0);
    const char *json = harness_printf("%s/reenc1.json", dir), *p7s = harness_printf("%s/reenc1.p7s", dir);
    assert_int_equal(copy_file(harness_printf("%s/batch-good/good1.json", c->fx), json), 0);
    const char *pki = harness_printf("%s/pki", c->fx), *tmp = harness_printf("%s.new", p7s);
    const char *first[] = {"openssl",   "cms",
                           "-sign",     "-binary",
                           "-md",       "sha256",
                           "-in",       json,
                           "-signer",   harness_printf("%s/A-teacher.pem", pki),
                           "-inkey",    harness_printf("%s/A-teacher.key", pki),
                           "-certfile", ca,
                           "-outform",  "DER",
                           "-out",      p7s,
                           NULL};
    run_openssl(first);
    static const char *const MORE[] = {"A-principal", "A-seal"};
    for (size_t i = 0; i < 2; i++) {
        const char *resign[] = {"openssl",  "cms",
                                "-resign",  "-binary",
                                "-inform",  "DER",
                                "-in",      p7s,
                                "-content", json,
                                "-signer",  harness_printf("%s/%s.pem", pki, MORE[i]),
                                "-inkey",   harness_printf("%s/%s.key", pki, MORE[i]),
                                "-md",      "sha256",
                                "-outform", "DER",
                                "-out",     tmp,
                                NULL};
        run_openssl(resign);
        assert_int_equal(rename(tmp, p7s), 0);
    }
    return dir;
}

/* The review's case: a remembered issuer was its name and key as the bytes
 * of its certificate, so a copy of the issuing CA's certificate with the
 * same key and the name written as PrintableString was another issuer, one
 * whose revocations were judged. Once the issuing CA's CRL no longer
 * verified (trust anchors.pem --drop-unverifiable-crls), batch published a
 * package carrying the copy (the teacher's key could be compromised), and a
 * record carrying it kept its teacher "not revoked" (valid). Now the copy is
 * the issuing CA: batch refuses the package ("cannot be checked now",
 * naming the CA), and `certs` says revoked null for the record's signers.
 * Fails on the old code (batch publishes it; certs says false). */
static void test_reencoded_copy_of_a_ca_is_the_same_issuer(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    const char *ca = harness_printf("%s/issuing-printable.pem", c->tmp);
    make_reencoded_issuing_ca(c, ca);
    const char *verify[] = {"openssl", "verify", "-CAfile", harness_printf("%s/pki/root.pem", c->fx),
                            ca,        NULL};
    run_openssl(verify);

    /* publishing under an issuer whose CRL cannot be checked */
    const char *batch = batch_carrying(c, ca);
    make_index(c, db, sizeof db, "reenc-batch", 0);
    pub(c, &r, db, "trust", "@trust/anchors.pem", "--drop-unverifiable-crls", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "batch", batch, NULL);
    HARNESS_CHECK_RUN(r.status == 1, &r, "expected the package carrying the copy refused, got %s",
                      harness_ending(&r));
    expect_refused_line(&r, "reenc1", "revocation: cannot be checked now: " ISSUING, NULL);

    /* a record published before the CRL stopped verifying */
    make_index(c, db, sizeof db, "reenc-record", 0);
    pub(c, &r, db, "batch", batch, NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "trust", "@trust/anchors.pem", "--drop-unverifiable-crls", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    cert_row_t rows[MAX_CERT_ROWS];
    pub(c, &r, db, "certs", "--json", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    size_t n = cert_rows(&r, rows), seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].seen)
            continue;
        seen++;
        HARNESS_CHECK_RUN(strcmp(rows[i].revoked, "null") == 0, &r,
                          "%s as %s: expected revoked null (cannot check now), got %s",
                          cert_name(c, rows[i].sha), rows[i].role, rows[i].revoked);
    }
    HARNESS_CHECK_RUN(seen == 3, &r, "expected the record's 3 signers, got %zu certificates seen", seen);
}

/* A .p7s in PEM is stored whole, its certificates not in the certs table
 * (docs/index-format.md): with good3 (PEM) the only record, its three
 * signers are still shown, read from its .p7s. */
static void test_certs_reads_the_certificates_of_a_pem_p7s(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    cert_row_t rows[MAX_CERT_ROWS];
    const char *dir = harness_printf("%s/pem-only", c->tmp);
    HARNESS_CHECK_RUN(mkdir(dir, 0755) == 0 &&
                          copy_file(harness_printf("%s/batch-good/good3.json", c->fx),
                                    harness_printf("%s/good3.json", dir)) == 0 &&
                          copy_file(harness_printf("%s/batch-good/good3.p7s", c->fx),
                                    harness_printf("%s/good3.p7s", dir)) == 0,
                      &r, "cannot make %s", dir);
    make_index(c, db, sizeof db, "certs-pem", 0);
    pub(c, &r, db, "batch", dir, NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    pub(c, &r, db, "certs", "--json", "--school", "TH001", NULL);
    HARNESS_EXPECT_EXIT(&r, 0);
    size_t n = cert_rows(&r, rows);
    static const char *const WANT[][2] = {
        {"school_seal", "A-seal"}, {"principal", "A-principal"}, {"homeroom_teacher", "A-teacher"}};
    HARNESS_CHECK_RUN(n == 3, &r, "expected good3's 3 signers, got %zu rows", n);
    for (size_t i = 0; i < n; i++)
        HARNESS_CHECK_RUN(
            strcmp(rows[i].role, WANT[i][0]) == 0 && strcmp(cert_name(c, rows[i].sha), WANT[i][1]) == 0 &&
                rows[i].seen && rows[i].records == 1 && strncmp(rows[i].subject, "CN=", 3) == 0,
            &r, "expected %s as %s, seen, 1 record, with its subject; got row %zu: %s, %s, \"%s\"",
            WANT[i][1], WANT[i][0], i, rows[i].role, rows[i].seen ? "seen" : "not seen", rows[i].subject);
}

static void test_usage_without_subcommand_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    new_db(c, db, sizeof db, "usage-none");
    pub(c, &r, db, NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    static const char *const COMMANDS[] = {
        "trust ANCHORS.pem",
        "crl FILE",
        "schools REGISTRY.json",
        "batch DIR",
        "check DIR [--json]",
        "status [--json]",
        "certs [--expiring-before YYYY-MM-DD] [--school CODE] [--csv|--json]"};
    for (size_t i = 0; i < sizeof COMMANDS / sizeof *COMMANDS; i++)
        HARNESS_CHECK_RUN(strstr(r.err, COMMANDS[i]) != NULL, &r,
                          "expected the usage to show \"%s\", got: %s", COMMANDS[i], r.err);
    pub(c, &r, NULL, NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

static void test_usage_unknown_subcommand_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    new_db(c, db, sizeof db, "usage-unknown");
    pub(c, &r, db, "publish-everything", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

/* check without a directory, certs with an unknown option or two formats,
 * replay without a log directory or of one that is not there, digest with
 * an argument: the usage or the reason, exit 2, nothing changed. */
static void test_usage_check_certs_and_stats_exit_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "usage-check-certs", 0);
    static const char *const LINES[][4] = {
        {"check", NULL},
        {"check", "@batch-good", "--strict", NULL},
        {"certs", "--school", NULL},
        {"certs", "--csv", "--json", NULL},
        {"certs", "--expiring-before", "30/09/2026", NULL},
        {"stats", "--by", "district", NULL},
        {"stats", "--by", NULL},
        {"stats", "--year", "2024-2026", NULL},
        {"stats", "--year", "2024", NULL},
        {"stats", "--csv", "--json", NULL},
        {"stats", "extra", NULL},
        {"replay", NULL},
        {"replay", "@no-such-log", NULL},
        {"replay", "@batch-good", "extra", NULL},
        {"digest", "extra", NULL},
    };
    for (size_t i = 0; i < sizeof LINES / sizeof *LINES; i++) {
        pub(c, &r, db, LINES[i][0], LINES[i][1], LINES[i][2], LINES[i][3], NULL);
        HARNESS_EXPECT_EXIT(&r, 2);
        EXPECT_STDERR_MESSAGE(&r);
        HARNESS_CHECK_RUN(r.outlen == 0, &r, "expected nothing on stdout from `%s`", r.cmd);
    }
}

static void test_usage_batch_without_dir_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "usage-nodir", 0);
    pub(c, &r, db, "batch", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

static void test_usage_batch_with_nonexistent_dir_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    make_index(c, db, sizeof db, "usage-missing", 0);
    pub(c, &r, db, "batch", "@no-such-batch", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
    EXPECT_COUNT(c, db, "transcript", 0);
}

/* schools.json is a regular file, so nothing can be created under it. */
static void test_db_that_cannot_be_created_exits_2(void **state)
{
    ctx_t *c = *state;
    char db[512];
    harness_run_t r;
    snprintf(db, sizeof db, "%s/schools.json/index", c->fx);
    pub(c, &r, db, "trust", "@trust/anchors.pem", "@trust/intermediates.pem", NULL);
    HARNESS_EXPECT_EXIT(&r, 2);
    EXPECT_STDERR_MESSAGE(&r);
}

/* ---- group setup and teardown ------------------------------------------------------------------ */

static int load_codes(ctx_t *c)
{
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/codes.tsv", c->fx);
    FILE *f = fopen(path, "r");
    if (!f) {
        print_error("cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f) && c->ncodes < MAX_CODES) {
        char *tab = strchr(line, '\t');
        if (!tab || strlen(tab + 1) < 16)
            continue;
        code_entry_t *e = &c->codes[c->ncodes++];
        snprintf(e->key, sizeof e->key, "%.*s", (int)(tab - line), line);
        snprintf(e->code, sizeof e->code, "%.16s", tab + 1);
    }
    fclose(f);
    return c->ncodes > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    ctx_t *c = *state;
    if (c)
        harness_group_end(state, c->tmp);
    return 0;
}

static int group_setup_steps(void *ctx)
{
    ctx_t *c = ctx;
    c->tmp = harness_make_tmp("hocba-publish-test");
    if (!c->tmp)
        return -1;
    snprintf(c->fx, sizeof c->fx, "%s/fx", c->tmp);
    /* not fatal: each test then says the publisher could not be started */
    harness_bin(&c->pub, "HOCBA_BIN", "hocba-publish");

    const char *argv[] = {"bash", FIXTURES_SCRIPT, c->fx, NULL};
    harness_run_t r;
    harness_run(&r, NULL, argv, CHILD_TIMEOUT_MS);
    if (r.status != 0) {
        harness_dump_run(&r);
        print_error("the fixtures script failed; run the tests from the project root\n");
        return -1;
    }
    return load_codes(c);
}

static int group_setup(void **state)
{
    return harness_group_setup(state, sizeof(ctx_t), group_setup_steps, group_teardown);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_helper_matches_spec_vectors),
        cmocka_unit_test(test_trust_loads_anchors_and_intermediates),
        cmocka_unit_test(test_schools_loads_registry),
        cmocka_unit_test(test_crl_loads_issuing_crl),
        cmocka_unit_test(test_crl_with_bad_signature_is_refused_and_loaded_crl_kept),
        cmocka_unit_test(test_crl_from_issuer_outside_store_is_refused),
        cmocka_unit_test(test_batch_good_publishes_each_package_with_its_code),
        cmocka_unit_test(test_batch_good_again_says_already_published_and_changes_nothing),
        cmocka_unit_test(test_batch_bad_exits_1_and_publishes_nothing),
        cmocka_unit_test(test_refuses_transcript_without_principal_role),
        cmocka_unit_test(test_refuses_signature_by_undeclared_signer),
        cmocka_unit_test(test_refuses_declared_hash_of_another_certificate),
        cmocka_unit_test(test_refuses_certificate_from_untrusted_root),
        cmocka_unit_test(test_refuses_certificate_expired_at_signing),
        cmocka_unit_test(test_refuses_seal_of_another_school),
        cmocka_unit_test(test_refuses_seal_key_signing_as_three_roles),
        cmocka_unit_test(test_refuses_teacher_signing_as_principal_too_without_registry),
        cmocka_unit_test(test_refuses_seal_certificate_as_teacher),
        cmocka_unit_test(test_refuses_seal_certificate_of_a_as_teacher_at_b),
        cmocka_unit_test(test_refuses_second_certificate_of_the_seal_key_as_teacher),
        cmocka_unit_test(test_refuses_second_certificate_of_the_teacher_key_as_principal),
        cmocka_unit_test(test_refuses_payload_changed_after_signing),
        cmocka_unit_test(test_refuses_grade_6),
        cmocka_unit_test(test_refuses_subject_level_x),
        cmocka_unit_test(test_refuses_payload_that_is_not_json),
        cmocka_unit_test(test_refuses_payload_with_invalid_utf8),
        cmocka_unit_test(test_refuses_payload_over_64_kib),
        cmocka_unit_test(test_refuses_package_without_p7s),
        cmocka_unit_test(test_refuses_p7s_that_is_not_cms),
        cmocka_unit_test(test_refuses_replacement_of_transcript_not_recalled),
        cmocka_unit_test(test_refuses_recall_by_another_school),
        cmocka_unit_test(test_batch_mixed_publishes_good_and_refuses_bad),
        cmocka_unit_test(test_batch_strict_publishes_nothing_when_one_is_refused),
        cmocka_unit_test(test_batch_json_prints_one_object_per_package),
        cmocka_unit_test(test_batch_json_refusals_are_json_objects_with_reasons),
        cmocka_unit_test(test_batch_json_line_for_file_name_that_is_not_utf8),
        cmocka_unit_test(test_batch_refuses_a_fifo_without_waiting),
        cmocka_unit_test(test_batch_refuses_symbolic_links),
        cmocka_unit_test(test_batch_replacement_keeps_document_id),
        cmocka_unit_test(test_batch_text_line_keeps_control_bytes_of_a_name_out),
        cmocka_unit_test(test_batch_json_says_already_for_published_package),
        cmocka_unit_test(test_batch_again_after_trust_change_says_already),
        cmocka_unit_test(test_batch_one_person_in_two_roles_needs_both_posts_registered),
        cmocka_unit_test(test_batch_staff_registry_binds_listed_roles_in_v2_only),
        cmocka_unit_test(test_batch_school_name_and_province_are_the_registry_s),
        cmocka_unit_test(test_schools_refuses_a_registry_that_invalidates_published_records),
        cmocka_unit_test(test_batch_recall_publishes_recall_and_replacement),
        cmocka_unit_test(test_batch_ber_packages_of_other_producers_are_published),
        cmocka_unit_test(test_batch_refuses_packages_whose_revocation_cannot_be_judged),
        cmocka_unit_test(test_trust_and_crl_refuse_to_leave_a_crl_unverifiable),
        cmocka_unit_test(test_status_shows_each_crl_age_next_update_and_whether_it_verifies),
        cmocka_unit_test(test_crl_refuses_a_delta_or_narrowed_crl),
        cmocka_unit_test(test_stored_delta_crl_is_never_used),
        cmocka_unit_test(test_crl_refuses_an_older_crl_of_a_ca),
        cmocka_unit_test(test_reencoded_copy_of_a_ca_is_the_same_issuer),
        cmocka_unit_test(test_batch_trunghoc_publishes_secondary_transcripts_and_refuses_a_broken_rule),
        cmocka_unit_test(test_batch_trunghoc_recall_and_replacement),
        cmocka_unit_test(test_check_says_what_batch_then_does),
        cmocka_unit_test(test_check_runs_while_another_process_holds_the_write_transaction),
        cmocka_unit_test(test_check_certs_and_stats_refuse_a_missing_or_older_index),
        cmocka_unit_test(test_stats_counts_batches_whose_counts_are_known),
        cmocka_unit_test(test_stats_are_rebuilt_by_the_upgrade_as_they_were_kept),
        cmocka_unit_test(test_stats_table_and_csv),
        cmocka_unit_test(test_certs_lists_each_certificate_as_openssl_reads_it),
        cmocka_unit_test(test_certs_expiring_before_keeps_those_that_end_before_the_date),
        cmocka_unit_test(test_certs_school_filters_each_format),
        cmocka_unit_test(test_certs_says_whether_each_certificate_is_revoked),
        cmocka_unit_test(test_certs_reads_the_certificates_of_a_pem_p7s),
        cmocka_unit_test(test_usage_without_subcommand_exits_2),
        cmocka_unit_test(test_upgrade_finds_the_crl_issuer_in_a_pem_p7s_or_refuses),
        cmocka_unit_test(test_schools_refuses_a_seal_that_invalidates_another_schools_records),
        cmocka_unit_test(test_usage_unknown_subcommand_exits_2),
        cmocka_unit_test(test_usage_check_certs_and_stats_exit_2),
        cmocka_unit_test(test_usage_batch_without_dir_exits_2),
        cmocka_unit_test(test_usage_batch_with_nonexistent_dir_exits_2),
        cmocka_unit_test(test_db_that_cannot_be_created_exits_2),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
