/* demo.c — hocba-demo: demonstration data for the whole pipeline (cli.md).
 *
 *     hocba-demo --out DIR [--students N] [--seed S]
 *
 * Writes a demo PKI (root CA, issuing CA, and per school a seal, a principal
 * and homeroom teachers), the trust inputs (anchors, intermediates, CRLs, the
 * school registry), a batch of signed packages in the format of
 * package-format.md (transcripts, recall notices, replacements) and
 * DIR/codes.txt, which says what the portal must answer for each code.
 *
 * The same --seed writes byte-identical files: content comes from a seeded
 * generator, signing times and validity dates are fixed, RSA PKCS#1 v1.5
 * signatures are deterministic, and — for this program only — OpenSSL's
 * random numbers come from a seeded generator so that the RSA keys are too.
 *
 * Speed: RSA-2048 key generation dominates (about 60 ms a key here, see
 * demo_rsa_keygen), so the number of keys is bounded (at most 20 schools × 7
 * identities, plus 3); keys are generated and packages signed on a small pool
 * of threads. Memory: every payload is held until the end (about 4 KB a
 * pupil), hence the cap on --students. */
#include "lookup/code.h"

#include "demo_data.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEMO_DEFAULT_STUDENTS 200
#define DEMO_MAX_STUDENTS 100000
#define DEMO_MIN_SCHOOLS 8
#define DEMO_STUDENTS_PER_SCHOOL 250 /* more schools only when each would hold more than this */
#define DEMO_RSA_BITS 2048
#define DEMO_MAX_THREADS 8
#define DEMO_PATH_MAX 4096
#define DEMO_MAX_SUBJECTS 12

/* ---- types ----------------------------------------------------------------- */

enum ident_kind { ID_ROOT, ID_ISSUING, ID_SEAL, ID_PRINCIPAL, ID_TEACHER };

/** One key pair and its certificate. */
typedef struct {
    int kind;       /* enum ident_kind */
    int school;     /* index into demo_t.schools; -1 for the CAs */
    char label[48]; /* file stem under keys/ */
    char name[160]; /* the person's, school's or CA's name */
    char klass[8];  /* teachers: the homeroom class */
    int reason;     /* CRL_REASON_NONE, or why the issuing CA's CRL lists it */
    uint64_t serial;
    EVP_PKEY *key;
    X509 *cert;
    char hex[65]; /* SHA-256 of the certificate's DER, lower-case hex */
} ident_t;

typedef struct {
    const demo_school_t *def;
    char code[16];
    int seal, principal; /* indices into demo_t.ids */
    int teacher[5];      /* homeroom teacher of class 1A … 5A */
    int nstudents;
    int issue_day; /* transcripts are issued on this day of May 2025 */
} school_t;

/** Everything drawn at random for a pupil; what follows from it (levels,
 * result, awards) is derived by evaluate(), so that a corrected replacement
 * can change one score and stay consistent. */
typedef struct {
    int school, seq, grade, teacher; /* teacher: index into demo_t.ids */
    char klass[8];
    char id[12];
    char full_name[128];
    char guardian[128];  /* "" when absent */
    char address[256];   /* "" when absent */
    char citizen_id[16]; /* "" when absent */
    const char *ethnicity;
    const char *birthplace;
    int female;
    int by, bm, bd; /* date of birth */
    int nsubj;
    unsigned char subj[DEMO_MAX_SUBJECTS];    /* indices into DEMO_SUBJECTS */
    signed char score[DEMO_MAX_SUBJECTS];     /* -1: no periodic test */
    unsigned char u_level[DEMO_MAX_SUBJECTS]; /* 0–99, picks the level a score allows */
    unsigned char qual[5];                    /* 0 T, 1 Đ, 2 C */
    unsigned char comp[10];
    int tier; /* ability, 0 strongest … DEMO_TIERS-1 */
    int days_absent;
    unsigned u_award, u_remark;
    int compromised; /* signed by the teacher whose key is compromised */
    int recall;      /* index of its recall + 1, or 0 */
} student_t;

/** What evaluate() derives from a student_t (Circular 27/2020). */
typedef struct {
    int level[DEMO_MAX_SUBJECTS]; /* 0 T, 1 H, 2 C */
    int result;                   /* 0 HTXS, 1 HTT, 2 HT, 3 CHT */
    const char *award;            /* NULL or one of the DEMO_AWARD_* */
} eval_t;

typedef struct {
    int student; /* index into demo_t.students */
    int fix;     /* DEMO_FIX_* */
    int day;     /* recalled (and re-issued) on this day of June 2025 */
} recall_t;

/** One package to sign and write. */
typedef struct {
    char stem[48];
    char *json; /* the payload bytes, exactly as written and signed */
    size_t len;
    int signer[3];
    time_t when[3]; /* signingTime of each signer */
    int nsigners;
    char code[CODE_LEN + 1];
    const char *expected;
    char desc[512];
} job_t;

typedef struct demo {
    const char *out;
    long nstudents;
    uint64_t seed;
    unsigned nthreads;

    ident_t *ids;
    size_t nids;
    school_t *schools;
    size_t nschools;
    student_t *students;
    recall_t *recalls;
    size_t nrecalls, nreplacements;
    job_t *jobs;
    size_t njobs;
    int compromised_teacher, superseded_teacher;

    EVP_MD *sha256;

    pthread_mutex_t err_lock;
    char err[DEMO_PATH_MAX + 256]; /* the first error, for the one-line message */
} demo_t;

/* ---- errors ------------------------------------------------------------------ */

static void text_fmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* snprintf for labels and descriptions whose inputs are bounded by our own
 * tables; a cut would only shorten a description, so the length is not checked. */
static void text_fmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

static void set_error(demo_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep the first error only: it is the cause, later ones are consequences. */
static void set_error(demo_t *d, const char *fmt, ...)
{
    pthread_mutex_lock(&d->err_lock);
    if (d->err[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err, sizeof d->err, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&d->err_lock);
}

/* The oldest queued OpenSSL error of this thread, as text. */
static const char *ssl_error(char *buf, size_t n)
{
    unsigned long e = ERR_get_error();
    if (e == 0)
        snprintf(buf, n, "unknown OpenSSL error");
    else
        ERR_error_string_n(e, buf, n);
    ERR_clear_error();
    return buf;
}

static int ssl_fail(demo_t *d, const char *what)
{
    char buf[256];
    set_error(d, "%s: %s", what, ssl_error(buf, sizeof buf));
    return -1;
}

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

/* Written once in drbg_install() before any thread starts, read-only after. */
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
static void drbg_select(const char *label)
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

static void drbg_install(uint64_t seed)
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

/* ---- content generator ----------------------------------------------------------
 * splitmix64, one stream per pupil (or school), so that one record's draws never
 * shift another's. */

typedef struct {
    uint64_t s;
} rng_t;

static uint64_t rng_next(rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static rng_t rng_for(uint64_t seed, uint64_t tag, uint64_t idx)
{
    rng_t r = {seed ^ (tag * 0xD1B54A32D192ED03ULL) ^ (idx * 0xAEF17502108EF2D9ULL)};
    rng_next(&r);
    return r;
}

static unsigned rng_below(rng_t *r, unsigned n)
{
    return (unsigned)(rng_next(r) % n);
}

#define PICK(r, arr) ((arr)[rng_below((r), (unsigned)DEMO_COUNT(arr))])

static const char *pick_weighted(rng_t *r, const demo_weighted_t *w, size_t n)
{
    unsigned total = 0;
    for (size_t i = 0; i < n; i++)
        total += (unsigned)w[i].weight;
    unsigned x = rng_below(r, total);
    for (size_t i = 0; i < n; i++) {
        if (x < (unsigned)w[i].weight)
            return w[i].name;
        x -= (unsigned)w[i].weight;
    }
    return w[0].name;
}

static void adult_name(rng_t *r, int female, const char *family, char *out, size_t n)
{
    if (!family)
        family = pick_weighted(r, DEMO_FAMILY, DEMO_COUNT(DEMO_FAMILY));
    const char *mid = female ? PICK(r, DEMO_ADULT_MIDDLE_F) : PICK(r, DEMO_ADULT_MIDDLE_M);
    const char *given = female ? PICK(r, DEMO_ADULT_GIVEN_F) : PICK(r, DEMO_ADULT_GIVEN_M);
    snprintf(out, n, "%s %s %s", family, mid, given);
}

static const char *ethnic_family(rng_t *r, const char *ethnicity)
{
    for (size_t i = 0; i < DEMO_COUNT(DEMO_ETHNIC_FAMILY); i++)
        if (strcmp(DEMO_ETHNIC_FAMILY[i].ethnicity, ethnicity) == 0)
            return DEMO_ETHNIC_FAMILY[i].family[rng_below(r, 6)];
    return pick_weighted(r, DEMO_FAMILY, DEMO_COUNT(DEMO_FAMILY));
}

static void child_name(rng_t *r, student_t *st, const char **family_out)
{
    if (strcmp(st->ethnicity, "Ê Đê") == 0) {
        const char *given = st->female ? PICK(r, DEMO_EDE_GIVEN_F) : PICK(r, DEMO_EDE_GIVEN_M);
        const char *clan = PICK(r, DEMO_EDE_CLAN);
        snprintf(st->full_name, sizeof st->full_name, "%s%s %s", st->female ? "H'" : "Y ", given, clan);
        *family_out = clan;
        return;
    }
    const char *family = ethnic_family(r, st->ethnicity);
    const char *mid, *given;
    do {
        mid = st->female ? PICK(r, DEMO_CHILD_MIDDLE_F) : PICK(r, DEMO_CHILD_MIDDLE_M);
        given = st->female ? PICK(r, DEMO_CHILD_GIVEN_F) : PICK(r, DEMO_CHILD_GIVEN_M);
    } while (strcmp(mid, given) == 0);
    snprintf(st->full_name, sizeof st->full_name, "%s %s %s", family, mid, given);
    *family_out = family;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static time_t utc_time(int y, int mo, int dd, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = dd;
    tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = s;
    return timegm(&tm);
}

static const demo_province_t *province_by_code(const char *cccd3)
{
    for (size_t i = 0; i < DEMO_COUNT(DEMO_PROVINCES); i++)
        if (strcmp(DEMO_PROVINCES[i].cccd3, cccd3) == 0)
            return &DEMO_PROVINCES[i];
    return &DEMO_PROVINCES[0];
}

#define DEMO_TIERS 5 /* ability tiers, 0 strongest */

/* Score of a periodic test for a pupil of ability tier t. */
static int draw_score(rng_t *r, int tier)
{
    /* clang-format off */
    static const int w[DEMO_TIERS][11] = {
        /* 0  1  2  3  4   5   6   7   8   9  10 */
        {0, 0, 0, 0, 0,  0,  0,  0,  5, 45, 50},
        {0, 0, 0, 0, 0,  0,  0,  5, 40, 40, 15},
        {0, 0, 0, 0, 0,  0,  0, 15, 35, 35, 15},
        {0, 0, 0, 0, 0, 10, 25, 35, 25,  5,  0},
        {0, 0, 0, 5, 15, 30, 30, 20, 0,  0,  0},
    };
    /* clang-format on */
    unsigned x = rng_below(r, 100);
    for (int s = 0; s <= 10; s++) {
        if (x < (unsigned)w[tier][s])
            return s;
        x -= (unsigned)w[tier][s];
    }
    return 7;
}

/* Level T/Đ/C of a quality or competency for tier t. */
static unsigned char draw_qc(rng_t *r, int tier)
{
    static const int pt[DEMO_TIERS] = {99, 98, 85, 50, 20}, pc[DEMO_TIERS] = {0, 0, 0, 0, 15};
    unsigned x = rng_below(r, 100);
    if (x < (unsigned)pt[tier])
        return 0;
    return x < (unsigned)(pt[tier] + pc[tier]) ? 2 : 1;
}

/** Levels, result and award from the drawn values, by the rules of Circular
 * 27/2020: a score of 9–10 is mostly T, 8 often T, 5–8 otherwise H, under 5
 * C; HTXS when every subject is T, every test 9+ and every quality and
 * competency T; HTT the same with tests 7+; HT when nothing is C and every test
 * is 5+; else CHT. */
static void evaluate(const student_t *st, eval_t *ev)
{
    static const int untested_t[DEMO_TIERS] = {99, 96, 75, 30, 5}, untested_c[DEMO_TIERS] = {0, 0, 0, 0, 10};
    int tier = st->tier;
    int all_t = 1, any_c = 0, min_score = 10;
    for (int i = 0; i < st->nsubj; i++) {
        int u = st->u_level[i], s = st->score[i], lv;
        if (s >= 0) {
            if (s < min_score)
                min_score = s;
            if (s >= 9)
                lv = u < 95 ? 0 : 1;
            else if (s == 8)
                lv = u < 60 ? 0 : 1;
            else if (s >= 5)
                lv = 1;
            else
                lv = 2;
        } else {
            lv = u < untested_t[tier] ? 0 : u < untested_t[tier] + untested_c[tier] ? 2 : 1;
        }
        ev->level[i] = lv;
        all_t &= lv == 0;
        any_c |= lv == 2;
    }
    int qc_all_t = 1, qc_any_c = 0;
    for (int i = 0; i < 5; i++)
        qc_all_t &= st->qual[i] == 0, qc_any_c |= st->qual[i] == 2;
    for (int i = 0; i < 10; i++)
        qc_all_t &= st->comp[i] == 0, qc_any_c |= st->comp[i] == 2;

    if (all_t && qc_all_t && min_score >= 9)
        ev->result = 0;
    else if (all_t && qc_all_t && min_score >= 7)
        ev->result = 1;
    else if (!any_c && !qc_any_c && min_score >= 5)
        ev->result = 2;
    else
        ev->result = 3;

    unsigned ua = st->u_award % 100;
    ev->award = NULL;
    if (ev->result == 0)
        ev->award = DEMO_AWARD_EXCELLENT;
    else if ((ev->result == 1 && ua < 40) || (ev->result == 2 && ua < 3))
        ev->award = DEMO_AWARD_EXEMPLARY;
}

/* ---- files --------------------------------------------------------------------------- */

static int make_path(demo_t *d, char *buf, size_t n, const char *sub, const char *name, const char *ext)
{
    int k = sub ? snprintf(buf, n, "%s/%s/%s%s", d->out, sub, name, ext)
                : snprintf(buf, n, "%s/%s%s", d->out, name, ext);
    if (k < 0 || (size_t)k >= n) {
        set_error(d, "path too long under %s", d->out);
        return -1;
    }
    return 0;
}

/* One open, one fwrite, one close; private keys get mode 0600. */
static int write_file(demo_t *d, const char *path, const void *data, size_t len, mode_t mode)
{
    char eb[128];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        set_error(d, "cannot write %s: %s", path, strerror_r(e, eb, sizeof eb));
        return -1;
    }
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int e = w == len ? 0 : errno ? errno : EIO;
    if (fclose(f) != 0 && e == 0)
        e = errno ? errno : EIO;
    if (e) {
        set_error(d, "cannot write %s: %s", path, strerror_r(e, eb, sizeof eb));
        return -1;
    }
    return 0;
}

static int write_under(demo_t *d, const char *sub, const char *name, const char *ext, const void *data,
                       size_t len, mode_t mode)
{
    char path[DEMO_PATH_MAX];
    if (make_path(d, path, sizeof path, sub, name, ext) != 0)
        return -1;
    return write_file(d, path, data, len, mode);
}

/* Write what a memory BIO holds, then free it. */
static int write_bio(demo_t *d, const char *sub, const char *name, const char *ext, BIO *b, mode_t mode)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    int rc = write_under(d, sub, name, ext, p, n > 0 ? (size_t)n : 0, mode);
    BIO_free(b);
    return rc;
}

static int make_dir(demo_t *d, const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST) {
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            return 0;
        errno = ENOTDIR;
    }
    char eb[128];
    set_error(d, "cannot create directory %s: %s", path, strerror_r(errno, eb, sizeof eb));
    return -1;
}

/* mkdir -p DIR, then refuse when DIR/batch already holds files, then the subdirectories. */
static int prepare_dirs(demo_t *d)
{
    char path[DEMO_PATH_MAX];
    size_t n = strlen(d->out);
    if (n == 0 || n >= sizeof path - 64) {
        set_error(d, "--out: path too long");
        return -1;
    }
    memcpy(path, d->out, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (path[i] != '/' || path[i - 1] == '/')
            continue;
        path[i] = '\0';
        int rc = make_dir(d, path);
        path[i] = '/';
        if (rc != 0)
            return -1;
    }
    if (make_dir(d, path) != 0)
        return -1;

    if (make_path(d, path, sizeof path, NULL, "batch", "") != 0)
        return -1;
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *e;
        int used = 0;
        while ((e = readdir(dir)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                used = 1;
                break;
            }
        closedir(dir);
        if (used) {
            set_error(d, "%s already holds demo data; remove it or choose another --out", d->out);
            return -1;
        }
    }
    static const char *const subs[] = {"batch", "trust", "keys", "receipt"};
    for (size_t i = 0; i < DEMO_COUNT(subs); i++)
        if (make_path(d, path, sizeof path, NULL, subs[i], "") != 0 || make_dir(d, path) != 0)
            return -1;
    return 0;
}

/* ---- thread pool ---------------------------------------------------------------------------- */

typedef int (*task_fn)(demo_t *d, size_t i);

typedef struct {
    demo_t *d;
    task_fn fn;
    size_t n;
    atomic_size_t next;
    atomic_int stop;
} pool_t;

typedef struct {
    pool_t *pool;
    unsigned no;
    pthread_t th;
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    pool_t *p = w->pool;
    while (!atomic_load(&p->stop)) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            break;
        if (p->fn(p->d, i) != 0)
            atomic_store(&p->stop, 1);
    }
    OPENSSL_thread_stop();
    return NULL;
}

/* Run fn(d, 0 … n-1) on d->nthreads threads; -1 when any call failed. */
static int run_pool(demo_t *d, task_fn fn, size_t n)
{
    pool_t pool = {.d = d, .fn = fn, .n = n};
    atomic_init(&pool.next, 0);
    atomic_init(&pool.stop, 0);
    worker_t w[DEMO_MAX_THREADS];
    unsigned started = 0;
    for (unsigned i = 0; i < d->nthreads; i++) {
        w[i].pool = &pool, w[i].no = i;
        if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0)
            break;
        started++;
    }
    if (started == 0) /* no thread at all: do it here */
        worker_main(&(worker_t){.pool = &pool});
    for (unsigned i = 0; i < started; i++)
        pthread_join(w[i].th, NULL);
    return atomic_load(&pool.stop) ? -1 : 0;
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

static int keygen_task(demo_t *d, size_t i)
{
    ident_t *id = &d->ids[i];
    char label[64];
    snprintf(label, sizeof label, "key:%s", id->label);
    drbg_select(label);
    id->key = demo_rsa_keygen(DEMO_RSA_BITS);
    if (!id->key) {
        char buf[256];
        set_error(d, "RSA key generation for %s failed: %s", id->label, ssl_error(buf, sizeof buf));
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
            snprintf(uid, sizeof uid, "CCCD:%s185%06llu", s->cccd3, (unsigned long long)(id->serial % 1000000));
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
static int make_cert(demo_t *d, ident_t *id, const ident_t *issuer)
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
        return ssl_fail(d, what);
    }
    /* Fill the extension cache now, while one thread runs, so that signing
     * threads only ever read the certificate. */
    X509_check_purpose(x, -1, 0);
    id->cert = x;

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (!X509_digest(x, d->sha256, md, &mdlen) || mdlen != 32)
        return ssl_fail(d, "certificate digest");
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
        return ssl_fail(d, file);
    int rc = write_under(d, "trust", file, "", der, (size_t)len, 0644);
    OPENSSL_free(der);
    return rc;
}

static const char *role_of(int kind)
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
static int write_keys(demo_t *d)
{
    BIO *index = BIO_new(BIO_s_mem());
    if (!index)
        return ssl_fail(d, "memory");
    BIO_printf(index, "# DEMO ONLY — these private keys are published. file\trole\tschool\tname\t"
                      "certificate_sha256\tstatus\n");
    for (size_t i = 0; i < d->nids; i++) {
        const ident_t *id = &d->ids[i];
        BIO *c = BIO_new(BIO_s_mem()), *k = BIO_new(BIO_s_mem());
        int ok = c && k && PEM_write_bio_X509(c, id->cert);
        ok = ok && PEM_write_bio_PrivateKey(k, id->key, NULL, NULL, 0, NULL, NULL);
        if (!ok) {
            BIO_free(c), BIO_free(k), BIO_free(index);
            return ssl_fail(d, id->label);
        }
        if (write_bio(d, "keys", id->label, ".pem", c, 0644) != 0) {
            BIO_free(k), BIO_free(index);
            return -1;
        }
        if (write_bio(d, "keys", id->label, ".key", k, 0600) != 0) {
            BIO_free(index);
            return -1;
        }
        const char *status = id->reason == CRL_REASON_KEY_COMPROMISE ? "revoked keyCompromise 2025-09-01"
                             : id->reason == CRL_REASON_SUPERSEDED   ? "revoked superseded 2025-09-01"
                                                                     : "good";
        BIO_printf(index, "%s.pem\t%s\t%s\t%s\t%s\t%s\n", id->label, role_of(id->kind),
                   id->school >= 0 ? d->schools[id->school].code : "-", id->name, id->hex, status);
    }
    return write_bio(d, "keys", "index", ".txt", index, 0644);
}

static int write_trust(demo_t *d)
{
    BIO *a = BIO_new(BIO_s_mem()), *m = BIO_new(BIO_s_mem());
    if (!a || !m || !PEM_write_bio_X509(a, d->ids[0].cert) || !PEM_write_bio_X509(m, d->ids[1].cert)) {
        BIO_free(a), BIO_free(m);
        return ssl_fail(d, "trust anchors");
    }
    if (write_bio(d, "trust", "anchors", ".pem", a, 0644) != 0) {
        BIO_free(m);
        return -1;
    }
    if (write_bio(d, "trust", "intermediates", ".pem", m, 0644) != 0)
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
    int ok = x && nm && name_add(nm, NID_countryName, "VN") && name_add(nm, NID_organizationName, DEMO_CA_ORG) &&
             name_add(nm, NID_commonName, cn);
    ok = ok && X509_set_version(x, X509_VERSION_3) && ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial);
    ok = ok && X509_set_subject_name(x, nm) && X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : nm);
    ok = ok && ASN1_TIME_set_string_X509(X509_getm_notBefore(x), "20250101000000Z");
    ok = ok && ASN1_TIME_set_string_X509(X509_getm_notAfter(x), issuer ? "20351231235959Z" : "20451231235959Z");
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
        ssl_fail(d, cn);
        return NULL;
    }
    return x;
}

/* receipt/root.pem (the CA a verifier of receipts trusts), receipt/receipt.pem (the receipt
 * certificate, then that root: what hocba-portal --receipt-cert takes and serves as
 * /static/receipt-chain.pem) and receipt/receipt.key (--receipt-key). */
static int write_receipt_key(demo_t *d)
{
    drbg_select("key:receipt-root");
    EVP_PKEY *rk = EVP_EC_gen("P-256");
    drbg_select("key:receipt");
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *root = rk ? receipt_cert(d, rk, "Hocba DEMO Portal Receipts Root CA — NOT FOR REAL USE", 0x5ec1, NULL, NULL)
                    : NULL;
    X509 *cert = root && k ? receipt_cert(d, k, "Hocba DEMO portal receipts", 0x5ec2, root, rk) : NULL;
    BIO *rb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    int ok = cert && rb && cb && kb && PEM_write_bio_X509(rb, root) && PEM_write_bio_X509(cb, cert) &&
             PEM_write_bio_X509(cb, root) && PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL);
    int rc = ok ? 0 : (d->err[0] ? -1 : ssl_fail(d, "the receipt key"));
    /* write_bio frees the BIO it is given */
    if (rc == 0)
        rc = write_bio(d, "receipt", "root", ".pem", rb, 0644), rb = NULL;
    if (rc == 0)
        rc = write_bio(d, "receipt", "receipt", ".pem", cb, 0644), cb = NULL;
    if (rc == 0)
        rc = write_bio(d, "receipt", "receipt", ".key", kb, 0600), kb = NULL;
    BIO_free(rb), BIO_free(cb), BIO_free(kb);
    X509_free(root), X509_free(cert);
    EVP_PKEY_free(rk), EVP_PKEY_free(k);
    return rc;
}

/* ---- the plan: schools, identities, pupils, recalls ------------------------------------------ */

static ident_t *new_ident(demo_t *d, int kind, int school, const char *label, const char *name)
{
    ident_t *id = &d->ids[d->nids];
    memset(id, 0, sizeof *id);
    id->kind = kind, id->school = school, id->reason = CRL_REASON_NONE;
    snprintf(id->label, sizeof id->label, "%s", label);
    snprintf(id->name, sizeof id->name, "%s", name);
    /* Positive, 63 bits, distinct per identity. */
    rng_t r = rng_for(d->seed, 0x5e41, d->nids);
    id->serial = (rng_next(&r) & 0x3FFFFFFFFFFF0000ULL) | 0x4000000000000000ULL | d->nids;
    d->nids++;
    return id;
}

/* Schools, their sizes and their identities: seal, principal, one homeroom
 * teacher per grade; plus the two CAs and the two revoked teachers. */
static int plan_schools(demo_t *d)
{
    long n = d->nstudents;
    d->nschools = (size_t)(n / DEMO_STUDENTS_PER_SCHOOL);
    if (d->nschools < DEMO_MIN_SCHOOLS)
        d->nschools = DEMO_MIN_SCHOOLS;
    if (d->nschools > DEMO_COUNT(DEMO_SCHOOLS))
        d->nschools = DEMO_COUNT(DEMO_SCHOOLS);
    d->schools = calloc(d->nschools, sizeof *d->schools);
    d->ids = calloc(2 + d->nschools * 7 + 1, sizeof *d->ids);
    d->students = calloc((size_t)n, sizeof *d->students);
    if (!d->schools || !d->ids || !d->students) {
        set_error(d, "out of memory");
        return -1;
    }

    new_ident(d, ID_ROOT, -1, "root-ca", "Hocba DEMO Root CA — NOT FOR REAL USE");
    new_ident(d, ID_ISSUING, -1, "issuing-ca", "Hocba DEMO Issuing CA");

    /* Schools: uneven sizes; the remainder goes to the first schools so that
     * school 0 always has pupils (it holds the compromised teacher's class). */
    unsigned weight[DEMO_COUNT(DEMO_SCHOOLS)], total = 0;
    for (size_t s = 0; s < d->nschools; s++) {
        rng_t r = rng_for(d->seed, 0x5c01, s);
        weight[s] = 60 + rng_below(&r, 81);
        total += weight[s];
    }
    long given = 0;
    for (size_t s = 0; s < d->nschools; s++) {
        d->schools[s].nstudents = (int)(n * (long)weight[s] / (long)total);
        given += d->schools[s].nstudents;
    }
    for (size_t s = 0; given < n; s = (s + 1) % d->nschools, given++)
        d->schools[s].nstudents++;

    for (size_t s = 0; s < d->nschools; s++) {
        school_t *sc = &d->schools[s];
        rng_t r = rng_for(d->seed, 0x5c02, s);
        sc->def = &DEMO_SCHOOLS[s];
        snprintf(sc->code, sizeof sc->code, "%s1%02u", sc->def->code5, (unsigned)(s + 1));
        sc->issue_day = 21 + (int)rng_below(&r, 10);
        char label[48], name[160];
        snprintf(label, sizeof label, "%s-seal", sc->code);
        sc->seal = (int)(new_ident(d, ID_SEAL, (int)s, label, sc->def->name) - d->ids);
        adult_name(&r, (int)rng_below(&r, 2), NULL, name, sizeof name);
        snprintf(label, sizeof label, "%s-principal", sc->code);
        sc->principal = (int)(new_ident(d, ID_PRINCIPAL, (int)s, label, name) - d->ids);
        for (int g = 1; g <= 5; g++) {
            adult_name(&r, rng_below(&r, 100) < 85, NULL, name, sizeof name);
            snprintf(label, sizeof label, "%s-teacher-%dA", sc->code, g);
            ident_t *t = new_ident(d, ID_TEACHER, (int)s, label, name);
            text_fmt(t->klass, sizeof t->klass, "%dA", g);
            sc->teacher[g - 1] = (int)(t - d->ids);
        }
    }
    /* The teacher whose key was compromised: homeroom of a small class 5B of
     * school 0, so that only 1–3 transcripts depend on that certificate. */
    {
        school_t *sc = &d->schools[0];
        rng_t r = rng_for(d->seed, 0x5c03, 0);
        char label[48], name[160];
        adult_name(&r, 1, NULL, name, sizeof name);
        snprintf(label, sizeof label, "%s-teacher-5B", sc->code);
        ident_t *t = new_ident(d, ID_TEACHER, 0, label, name);
        text_fmt(t->klass, sizeof t->klass, "5B");
        t->reason = CRL_REASON_KEY_COMPROMISE;
        d->compromised_teacher = (int)(t - d->ids);
        /* Replaced by a new certificate in September: signatures made before stay valid. */
        d->superseded_teacher = d->schools[1].teacher[2];
        d->ids[d->superseded_teacher].reason = CRL_REASON_SUPERSEDED;
    }
    return 0;
}

/* Everything about a pupil that is drawn at random, once school, grade, class
 * and teacher are set. */
static void draw_student(student_t *st, const demo_school_t *sd, rng_t *r)
{
    st->female = (int)rng_below(r, 2);

    st->ethnicity = "Kinh";
    unsigned x = rng_below(r, 1000);
    for (int m = 0; m < 3 && sd->minorities[m].name; m++) {
        if (x < (unsigned)sd->minorities[m].permille) {
            st->ethnicity = sd->minorities[m].name;
            break;
        }
        x -= (unsigned)sd->minorities[m].permille;
    }
    const char *family;
    child_name(r, st, &family);

    st->by = 2019 - st->grade - (rng_below(r, 100) < 3);
    st->bm = 1 + (int)rng_below(r, 12);
    st->bd = 1 + (int)rng_below(r, (unsigned)days_in_month(st->by, st->bm));
    const demo_province_t *pob =
        rng_below(r, 100) < 85 ? province_by_code(sd->cccd3) : &PICK(r, DEMO_PROVINCES);
    st->birthplace = pob->name;
    if (rng_below(r, 100) < 90)
        snprintf(st->citizen_id, sizeof st->citizen_id, "%s%c%02d%06u", pob->cccd3, st->female ? '3' : '2',
                 st->by % 100, rng_below(r, 1000000));
    if (rng_below(r, 100) < 90) {
        const char *street = sd->streets[rng_below(r, 3)];
        unsigned house = 1 + rng_below(r, 180);
        if (rng_below(r, 100) < 40)
            snprintf(st->address, sizeof st->address, "Số %u %s %u %s, %s, %s, %s", house, sd->alley,
                     2 + rng_below(r, 150), street, sd->ward, sd->district, sd->province);
        else
            snprintf(st->address, sizeof st->address, "Số %u %s, %s, %s, %s", house, street, sd->ward,
                     sd->district, sd->province);
    }
    if (rng_below(r, 100) < 90) {
        int father = rng_below(r, 100) < 60;
        if (strcmp(st->ethnicity, "Ê Đê") == 0)
            snprintf(st->guardian, sizeof st->guardian, "%s%s %s", father ? "Y " : "H'",
                     father ? PICK(r, DEMO_EDE_GIVEN_M) : PICK(r, DEMO_EDE_GIVEN_F), PICK(r, DEMO_EDE_CLAN));
        else
            adult_name(r, !father, father ? family : NULL, st->guardian, sizeof st->guardian);
    }

    unsigned t = rng_below(r, 1000);
    int tier = t < 300 ? 0 : t < 550 ? 1 : t < 850 ? 2 : t < 980 ? 3 : 4;
    st->nsubj = 0;
    for (size_t j = 0; j < DEMO_COUNT(DEMO_SUBJECTS); j++) {
        const demo_subject_t *sub = &DEMO_SUBJECTS[j];
        if (st->grade < sub->first_grade || st->grade > sub->last_grade)
            continue;
        st->subj[st->nsubj] = (unsigned char)j;
        st->score[st->nsubj] = (signed char)(sub->tested ? draw_score(r, tier) : -1);
        st->u_level[st->nsubj] = (unsigned char)rng_below(r, 100);
        st->nsubj++;
    }
    for (int q = 0; q < 5; q++)
        st->qual[q] = draw_qc(r, tier);
    for (int c = 0; c < 10; c++)
        st->comp[c] = draw_qc(r, tier);
    unsigned a = rng_below(r, 100);
    st->days_absent = a < 55 ? 0 : a < 80 ? 1 + (int)rng_below(r, 2) : 2 + (int)rng_below(r, 7);
    st->tier = tier;
    st->u_award = rng_below(r, 100);
    st->u_remark = rng_below(r, 3);
}

/* Pupils, school by school, grade by grade; the last one or two of school 0
 * are the compromised teacher's class 5B. */
static void plan_students(demo_t *d)
{
    long n = d->nstudents;
    int ncompromised = n >= 20 ? 2 : 1;
    if (ncompromised > d->schools[0].nstudents)
        ncompromised = d->schools[0].nstudents;
    long gi = 0;
    uint64_t id_offset = rng_next(&(rng_t){d->seed ^ 0x1d1d1d1dULL}) % 100000000ULL;
    for (size_t s = 0; s < d->nschools; s++) {
        school_t *sc = &d->schools[s];
        for (int k = 0; k < sc->nstudents; k++, gi++) {
            student_t *st = &d->students[gi];
            rng_t r = rng_for(d->seed, 0x57d0, (uint64_t)gi);
            st->school = (int)s, st->seq = k + 1;
            st->grade = 1 + k * 5 / sc->nstudents;
            st->teacher = sc->teacher[st->grade - 1];
            text_fmt(st->klass, sizeof st->klass, "%dA", st->grade);
            if (s == 0 && k >= sc->nstudents - ncompromised) {
                st->grade = 5, st->compromised = 1, st->teacher = d->compromised_teacher;
                text_fmt(st->klass, sizeof st->klass, "5B");
            }
            draw_student(st, sc->def, &r);
            /* 10 digits: the province, then 8 digits unique over the run
             * (7919 is prime to 10^8, so distinct indices give distinct ids). */
            snprintf(st->id, sizeof st->id, "%.2s%08llu", sc->def->code5,
                     (unsigned long long)(((uint64_t)gi * 7919 + id_offset) % 100000000ULL));
        }
    }
}

/* Recalls: about 1 in 100, at least 2 from 20 pupils; the last one is not
 * replaced. Never a pupil of the compromised class. */
static int plan_recalls(demo_t *d)
{
    long n = d->nstudents;
    size_t want = n >= 20 ? (size_t)(n / 100 > 2 ? n / 100 : 2) : n >= 2 ? 1 : 0;
    d->recalls = calloc(want ? want : 1, sizeof *d->recalls);
    if (!d->recalls) {
        set_error(d, "out of memory");
        return -1;
    }
    rng_t r = rng_for(d->seed, 0x4ec0, 0);
    for (size_t i = 0; i < want; i++) {
        long pick;
        int tries = 0;
        do
            pick = (long)(rng_next(&r) % (uint64_t)n);
        while ((d->students[pick].compromised || d->students[pick].recall) && ++tries < 1000);
        if (tries >= 1000)
            break;
        recall_t *rc = &d->recalls[d->nrecalls];
        rc->student = (int)pick;
        rc->fix = want >= 2 && i == want - 1 ? DEMO_FIX_NONE : (int)(i % 3);
        rc->day = 2 + (int)rng_below(&r, 26);
        d->students[pick].recall = (int)++d->nrecalls;
        if (rc->fix != DEMO_FIX_NONE)
            d->nreplacements++;
    }
    return 0;
}

static int plan(demo_t *d)
{
    if (plan_schools(d) != 0)
        return -1;
    plan_students(d);
    return plan_recalls(d);
}

/* ---- payloads ------------------------------------------------------------------------------- */

static void put(json_t *o, const char *k, json_t *v, int *bad)
{
    if (!v || json_object_set_new(o, k, v) != 0)
        *bad = 1;
}

static void push(json_t *a, json_t *v, int *bad)
{
    if (!v || json_array_append_new(a, v) != 0)
        *bad = 1;
}

static json_t *signer_json(const ident_t *id, int *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = 1;
        return NULL;
    }
    put(o, "role", json_string(role_of(id->kind)), bad);
    put(o, "name", json_string(id->name), bad);
    put(o, "certificate_sha256", json_string(id->hex), bad);
    return o;
}

static json_t *level_entry(const char *name, const char *level, const char *comment, int *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = 1;
        return NULL;
    }
    put(o, "name", json_string(name), bad);
    put(o, "level", json_string(level), bad);
    if (comment)
        put(o, "comment", json_string(comment), bad);
    return o;
}

/* Serialise, add the final newline, and keep the bytes and their code in job. */
static int finish_json(demo_t *d, json_t *root, int bad, job_t *job)
{
    char *s = bad ? NULL : json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!s) {
        set_error(d, "cannot build the payload of %s", job->stem);
        return -1;
    }
    size_t n = strlen(s);
    job->json = malloc(n + 1);
    if (!job->json) {
        free(s);
        set_error(d, "out of memory");
        return -1;
    }
    memcpy(job->json, s, n);
    job->json[n] = '\n';
    job->len = n + 1;
    free(s);
    code_from_payload(job->json, job->len, job->code);
    job->code[CODE_LEN] = '\0';
    return 0;
}

static int transcript_payload(demo_t *d, const student_t *st, job_t *job, const char *doc_id,
                              const char *issued_on, const char *supersedes)
{
    static const char *const SUBJ_LEVEL[3] = {"T", "H", "C"};
    static const char *const QC_LEVEL[3] = {"T", "Đ", "C"};
    static const char *const RESULT[4] = {"HTXS", "HTT", "HT", "CHT"};
    const school_t *sc = &d->schools[st->school];
    eval_t ev;
    evaluate(st, &ev);
    int bad = 0;
    char buf[512];
    json_t *root = json_object(), *school = json_object(), *pupil = json_object();
    json_t *subjects = json_array(), *qualities = json_array(), *competencies = json_array();
    json_t *signers = json_array();
    if (!root || !school || !pupil || !subjects || !qualities || !competencies || !signers) {
        json_decref(root), json_decref(school), json_decref(pupil), json_decref(subjects);
        json_decref(qualities), json_decref(competencies), json_decref(signers);
        set_error(d, "out of memory");
        return -1;
    }
    put(root, "schema", json_string("hocba.tieuhoc.v1"), &bad);
    put(root, "document_id", json_string(doc_id), &bad);
    put(root, "issued_on", json_string(issued_on), &bad);
    put(root, "school_year", json_string("2024-2025"), &bad);

    put(school, "code", json_string(sc->code), &bad);
    put(school, "name", json_string(sc->def->name), &bad);
    put(school, "province", json_string(sc->def->province), &bad);
    put(school, "district", json_string(sc->def->district), &bad);
    put(school, "ward", json_string(sc->def->ward), &bad);
    put(root, "school", school, &bad);

    put(pupil, "id", json_string(st->id), &bad);
    put(pupil, "full_name", json_string(st->full_name), &bad);
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", st->by, st->bm, st->bd);
    put(pupil, "date_of_birth", json_string(buf), &bad);
    put(pupil, "gender", json_string(st->female ? "Nữ" : "Nam"), &bad);
    put(pupil, "ethnicity", json_string(st->ethnicity), &bad);
    put(pupil, "place_of_birth", json_string(st->birthplace), &bad);
    if (st->citizen_id[0])
        put(pupil, "citizen_id", json_string(st->citizen_id), &bad);
    if (st->address[0])
        put(pupil, "address", json_string(st->address), &bad);
    if (st->guardian[0])
        put(pupil, "guardian_name", json_string(st->guardian), &bad);
    put(root, "student", pupil, &bad);

    put(root, "grade", json_integer(st->grade), &bad);
    put(root, "class", json_string(st->klass), &bad);
    for (int i = 0; i < st->nsubj; i++) {
        const demo_subject_t *sub = &DEMO_SUBJECTS[st->subj[i]];
        json_t *o = json_object();
        if (!o) {
            bad = 1;
            break;
        }
        put(o, "name", json_string(sub->name), &bad);
        put(o, "level", json_string(SUBJ_LEVEL[ev.level[i]]), &bad);
        if (st->score[i] >= 0)
            put(o, "score", json_integer(st->score[i]), &bad);
        put(o, "comment", json_string(sub->note[ev.level[i]]), &bad);
        push(subjects, o, &bad);
    }
    put(root, "subjects", subjects, &bad);
    for (int i = 0; i < 5; i++)
        push(qualities, level_entry(DEMO_QUALITIES[i], QC_LEVEL[st->qual[i]], NULL, &bad), &bad);
    put(root, "qualities", qualities, &bad);
    for (int i = 0; i < 10; i++)
        push(competencies, level_entry(DEMO_COMPETENCIES[i], QC_LEVEL[st->comp[i]], NULL, &bad), &bad);
    put(root, "competencies", competencies, &bad);

    put(root, "result", json_string(RESULT[ev.result]), &bad);
    put(root, "program_completed", json_boolean(ev.result != 3), &bad);
    if (ev.award) {
        json_t *awards = json_array();
        push(awards, json_string(ev.award), &bad);
        put(root, "awards", awards, &bad);
    }
    char done[128];
    if (ev.result == 3)
        snprintf(done, sizeof done,
                 "Chưa hoàn thành chương trình lớp %d; tiếp tục rèn luyện trong hè để đánh giá lại.",
                 st->grade);
    else if (st->grade == 5)
        snprintf(done, sizeof done, "Hoàn thành chương trình tiểu học.");
    else
        snprintf(done, sizeof done, "Hoàn thành chương trình lớp %d.", st->grade);
    snprintf(buf, sizeof buf, "%s %s", DEMO_REMARKS[ev.result][st->u_remark % 3], done);
    put(root, "remarks", json_string(buf), &bad);
    put(root, "days_absent", json_integer(st->days_absent), &bad);

    push(signers, signer_json(&d->ids[st->teacher], &bad), &bad);
    push(signers, signer_json(&d->ids[sc->principal], &bad), &bad);
    push(signers, signer_json(&d->ids[sc->seal], &bad), &bad);
    put(root, "signers", signers, &bad);
    if (supersedes)
        put(root, "supersedes", json_string(supersedes), &bad);
    return finish_json(d, root, bad, job);
}

static int recall_payload(demo_t *d, const recall_t *rc, const char *old_code, const char *date, job_t *job)
{
    const school_t *sc = &d->schools[d->students[rc->student].school];
    int bad = 0;
    json_t *root = json_object(), *signers = json_array();
    if (!root || !signers) {
        json_decref(root), json_decref(signers);
        set_error(d, "out of memory");
        return -1;
    }
    put(root, "schema", json_string("hocba.recall.v1"), &bad);
    put(root, "code", json_string(old_code), &bad);
    put(root, "school_code", json_string(sc->code), &bad);
    put(root, "recalled_on", json_string(date), &bad);
    put(root, "reason", json_string(DEMO_RECALL_REASONS[rc->fix]), &bad);
    push(signers, signer_json(&d->ids[sc->principal], &bad), &bad);
    push(signers, signer_json(&d->ids[sc->seal], &bad), &bad);
    put(root, "signers", signers, &bad);
    return finish_json(d, root, bad, job);
}

/* The corrected record: the first transcript held one wrong value. */
static void apply_fix(student_t *st, int fix)
{
    if (fix == DEMO_FIX_MATH || fix == DEMO_FIX_VIET) {
        /* Tiếng Việt and Toán are the first two subjects of every grade. */
        int i = fix == DEMO_FIX_VIET ? 0 : 1;
        st->score[i] = (signed char)(st->score[i] < 10 ? st->score[i] + 1 : st->score[i] - 1);
    } else if (fix == DEMO_FIX_DOB) {
        st->bd = st->bd < days_in_month(st->by, st->bm) ? st->bd + 1 : st->bd - 1;
    }
}

static void describe_student(const demo_t *d, const student_t *st, char *out, size_t n)
{
    snprintf(out, n, "%s, class %s, %s", st->full_name, st->klass, d->schools[st->school].def->name);
}

static int build_jobs(demo_t *d)
{
    size_t n = (size_t)d->nstudents;
    d->jobs = calloc(n + d->nrecalls + d->nreplacements, sizeof *d->jobs);
    if (!d->jobs) {
        set_error(d, "out of memory");
        return -1;
    }
    char who[384], doc[64], date[16];
    for (size_t i = 0; i < n; i++) {
        const student_t *st = &d->students[i];
        const school_t *sc = &d->schools[st->school];
        job_t *job = &d->jobs[d->njobs++];
        text_fmt(job->stem, sizeof job->stem, "%s-%06d", sc->code, st->seq);
        snprintf(doc, sizeof doc, "HB-%s-2025-%06d", sc->code, st->seq);
        snprintf(date, sizeof date, "2025-05-%02d", sc->issue_day);
        if (transcript_payload(d, st, job, doc, date, NULL) != 0)
            return -1;
        /* Teacher in the morning, principal and seal in the afternoon (ICT = UTC+7). */
        time_t day = utc_time(2025, 5, sc->issue_day, 0, 0, 0);
        job->signer[0] = st->teacher, job->when[0] = day + 3600 + (st->seq * 37) % 14400;
        job->signer[1] = sc->principal, job->when[1] = day + 6 * 3600 + (st->seq * 11) % 3600;
        job->signer[2] = sc->seal, job->when[2] = job->when[1] + 30;
        job->nsigners = 3;
        describe_student(d, st, who, sizeof who);
        if (st->compromised) {
            job->expected = "invalid-after-crl";
            text_fmt(
                job->desc, sizeof job->desc,
                "%s: transcript, %s; teacher certificate revoked (keyCompromise) in trust/issuing-ca.crl",
                job->stem, who);
        } else if (st->recall) {
            const recall_t *rc = &d->recalls[st->recall - 1];
            job->expected = "recalled";
            text_fmt(job->desc, sizeof job->desc, "%s: transcript, %s; recalled by %s-recall%s%s%s",
                     job->stem, who, job->stem,
                     rc->fix == DEMO_FIX_NONE ? ", not replaced" : ", replaced by ",
                     rc->fix == DEMO_FIX_NONE ? "" : job->stem, rc->fix == DEMO_FIX_NONE ? "" : "-v2");
        } else {
            job->expected = "valid";
            text_fmt(job->desc, sizeof job->desc, "%s: transcript, %s%s", job->stem, who,
                     st->teacher == d->superseded_teacher
                         ? "; teacher certificate revoked (superseded) after signing, still valid"
                         : "");
        }
    }

    for (size_t i = 0; i < d->nrecalls; i++) {
        const recall_t *rc = &d->recalls[i];
        const student_t *old = &d->students[rc->student];
        const school_t *sc = &d->schools[old->school];
        const job_t *orig = &d->jobs[rc->student];
        time_t day = utc_time(2025, 6, rc->day, 0, 0, 0);
        snprintf(date, sizeof date, "2025-06-%02d", rc->day);

        job_t *job = &d->jobs[d->njobs++];
        text_fmt(job->stem, sizeof job->stem, "%s-recall", orig->stem);
        if (recall_payload(d, rc, orig->code, date, job) != 0)
            return -1;
        job->signer[0] = sc->principal, job->when[0] = day + 2 * 3600;
        job->signer[1] = sc->seal, job->when[1] = day + 2 * 3600 + 30;
        job->nsigners = 2;
        job->expected = "recall-notice";
        text_fmt(job->desc, sizeof job->desc, "%s: recall of %s (%s): %s", job->stem, orig->code, orig->stem,
                 DEMO_RECALL_REASONS[rc->fix]);
        if (rc->fix == DEMO_FIX_NONE)
            continue;

        student_t fixed = *old;
        apply_fix(&fixed, rc->fix);
        job = &d->jobs[d->njobs++];
        text_fmt(job->stem, sizeof job->stem, "%s-v2", orig->stem);
        snprintf(doc, sizeof doc, "HB-%s-2025-%06d-v2", sc->code, old->seq);
        if (transcript_payload(d, &fixed, job, doc, date, orig->code) != 0)
            return -1;
        job->signer[0] = fixed.teacher, job->when[0] = day + 3 * 3600;
        job->signer[1] = sc->principal, job->when[1] = day + 4 * 3600;
        job->signer[2] = sc->seal, job->when[2] = day + 4 * 3600 + 30;
        job->nsigners = 3;
        job->expected = "valid";
        describe_student(d, &fixed, who, sizeof who);
        text_fmt(job->desc, sizeof job->desc, "%s: replacement transcript, %s; supersedes %s (%s)", job->stem,
                 who, orig->code, orig->stem);
    }
    return 0;
}

/* ---- signing ------------------------------------------------------------------------------ */

/* Detached CMS SignedData, one SignerInfo per signer, with our own signingTime. */
static int sign_task(demo_t *d, size_t i)
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
        return ssl_fail(d, what);
    }
    int rc = write_under(d, "batch", job->stem, ".p7s", der, (size_t)len, 0644);
    OPENSSL_free(der);
    if (rc == 0)
        rc = write_under(d, "batch", job->stem, ".json", job->json, job->len, 0644);
    return rc;
}

/* ---- registry, codes, README ------------------------------------------------------------------- */

static int write_schools(demo_t *d)
{
    int bad = 0;
    json_t *root = json_object(), *list = json_array();
    if (!root || !list) {
        json_decref(root), json_decref(list);
        set_error(d, "out of memory");
        return -1;
    }
    /* v2 (package-format.md §6): the seal, and the staff certificates the
     * sector database holds, every principal and homeroom teacher who signed
     * (the revoked ones too: a registry lists past certificates) */
    put(root, "schema", json_string("hocba.schools.v2"), &bad);
    for (size_t s = 0; s < d->nschools; s++) {
        const school_t *sc = &d->schools[s];
        json_t *o = json_object(), *seals = json_array(), *principals = json_array(), *teachers = json_array();
        if (!o || !seals || !principals || !teachers) {
            json_decref(o), json_decref(seals), json_decref(principals), json_decref(teachers);
            bad = 1;
            break;
        }
        put(o, "code", json_string(sc->code), &bad);
        put(o, "name", json_string(sc->def->name), &bad);
        put(o, "province", json_string(sc->def->province), &bad);
        push(seals, json_string(d->ids[sc->seal].hex), &bad);
        for (size_t i = 0; i < d->nids; i++)
            if (d->ids[i].school == (int)s && (d->ids[i].kind == ID_PRINCIPAL || d->ids[i].kind == ID_TEACHER))
                push(d->ids[i].kind == ID_PRINCIPAL ? principals : teachers, json_string(d->ids[i].hex), &bad);
        put(o, "seal_certificates", seals, &bad);
        put(o, "principal_certificates", principals, &bad);
        put(o, "teacher_certificates", teachers, &bad);
        push(list, o, &bad);
    }
    put(root, "schools", list, &bad);
    job_t tmp = {.stem = "schools.json"};
    if (finish_json(d, root, bad, &tmp) != 0)
        return -1;
    int rc = write_under(d, NULL, "schools", ".json", tmp.json, tmp.len, 0644);
    free(tmp.json);
    return rc;
}

static int write_codes(demo_t *d)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return ssl_fail(d, "memory");
    BIO_printf(
        b,
        "# hocba-demo --students %ld --seed %llu: CODE<TAB>EXPECTED<TAB>description; EXPECTED is valid, "
        "recalled, invalid-after-crl (valid until trust/issuing-ca.crl is loaded) or recall-notice\n",
        d->nstudents, (unsigned long long)d->seed);
    for (size_t i = 0; i < d->njobs; i++)
        BIO_printf(b, "%s\t%s\t%s\n", d->jobs[i].code, d->jobs[i].expected, d->jobs[i].desc);
    return write_bio(d, NULL, "codes", ".txt", b, 0644);
}

static int write_readme(demo_t *d)
{
    const ident_t *ct = &d->ids[d->compromised_teacher], *sup = &d->ids[d->superseded_teacher];
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return ssl_fail(d, "memory");
    BIO_printf(b,
               "Hocba DEMO data — NOT FOR REAL USE\n"
               "===================================\n\n"
               "Written by hocba-demo --students %ld --seed %llu. Every school, pupil, teacher and\n"
               "certificate here is invented. The private keys in keys/ are published on purpose so\n"
               "that anyone can sign test packages; they were made from --seed, so anyone who knows\n"
               "the seed can remake them. Never trust these CAs outside a test setup.\n\n",
               d->nstudents, (unsigned long long)d->seed);
    BIO_printf(b,
               "Layout\n"
               "  trust/anchors.pem        root CA (Hocba DEMO Root CA), the trust anchor\n"
               "  trust/intermediates.pem  issuing CA (Hocba DEMO Issuing CA)\n"
               "  trust/issuing-ca.crl     CRL of the issuing CA (DER), lastUpdate 2025-09-01\n"
               "  trust/root-ca.crl        CRL of the root CA (DER), empty\n"
               "  schools.json             school registry (hocba.schools.v2): each school's seal, principal\n"
               "                           and teacher certificates (SHA-256)\n"
               "  batch/                   signed packages: STEM.json (payload) + STEM.p7s (detached CMS)\n"
               "  codes.txt                every package's lookup code and what the portal must answer\n"
               "  keys/                    every certificate (.pem) and private key (.key, unencrypted)\n"
               "  keys/index.txt           which file is whose, with certificate SHA-256 and status\n"
               "  receipt/receipt.pem      the portal's receipt certificate, then its CA (Hocba DEMO Portal\n"
               "                           Receipts Root CA, not a trust anchor of transcripts):\n"
               "                           hocba-portal --receipt-cert; receipt/receipt.key: --receipt-key\n"
               "  receipt/root.pem         that CA: openssl cms -verify -in R.p7m -inform DER -CAfile receipt/root.pem\n\n");
    BIO_printf(b,
               "Revocations in trust/issuing-ca.crl (both dated 2025-09-01)\n"
               "  %s (%s): keyCompromise — every signature by this key is invalid once the\n"
               "      CRL is loaded, whatever its signing time (codes.txt: invalid-after-crl).\n"
               "  %s (%s): superseded — revoked after the transcripts were signed in\n"
               "      May/June 2025, so they stay valid.\n"
               "  Note: `openssl cms -verify -crl_check` ignores revocation dates and reports both as\n"
               "  revoked; the portal applies package-format.md section 5.\n\n",
               ct->label, ct->name, sup->label, sup->name);
    BIO_printf(b,
               "Sign your own test package (package-format.md section 7), e.g. for school %s:\n"
               "  openssl cms -sign -binary -md sha256 -in T.json \\\n"
               "      -signer keys/%s.pem -inkey keys/%s.key \\\n"
               "      -certfile trust/intermediates.pem -outform DER -out T.p7s\n"
               "  openssl cms -resign -binary -inform DER -in T.p7s -content T.json \\\n"
               "      -signer keys/%s.pem -inkey keys/%s.key -md sha256 \\\n"
               "      -outform DER -out T.p7s.new && mv T.p7s.new T.p7s\n"
               "  (then the same -resign step with keys/%s.pem and .key)\n"
               "  T.json must declare the three signers with their certificate_sha256, which\n"
               "  keys/index.txt lists (or: openssl x509 -in X.pem -outform DER | sha256sum).\n\n",
               d->schools[0].code, d->ids[d->schools[0].teacher[0]].label,
               d->ids[d->schools[0].teacher[0]].label, d->ids[d->schools[0].principal].label,
               d->ids[d->schools[0].principal].label, d->ids[d->schools[0].seal].label);
    BIO_printf(b, "Check a package with the stock tool (signing times are in 2025):\n"
                  "  openssl cms -verify -binary -inform DER -in batch/X.p7s -content batch/X.json \\\n"
                  "      -CAfile trust/anchors.pem -certfile trust/intermediates.pem -purpose any \\\n"
                  "      -attime 1750000000 -out /dev/null\n");
    return write_bio(d, NULL, "README", ".txt", b, 0644);
}

/* ---- main ------------------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hocba-demo --out DIR [--students N] [--seed S]\n"
            "  Writes demo PKI, trust inputs, school registry and signed packages under DIR.\n"
            "  --students N  pupils, 1-%d (default %d)\n"
            "  --seed S      unsigned integer (default 1); the same seed writes the same bytes\n",
            DEMO_MAX_STUDENTS, DEMO_DEFAULT_STUDENTS);
}

/* The value of option name at argv[*i] ("--name V" or "--name=V"), or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int parse_args(demo_t *d, int argc, char **argv)
{
    d->nstudents = DEMO_DEFAULT_STUDENTS;
    d->seed = 1;
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v;
        char *end;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if ((v = opt_value(argc, argv, &i, "--out", &missing)) != NULL) {
            if (!*v) {
                fprintf(stderr, "hocba-demo: --out needs a directory\n");
                return -1;
            }
            d->out = v;
        } else if ((v = opt_value(argc, argv, &i, "--students", &missing)) != NULL) {
            errno = 0;
            long n = strtol(v, &end, 10);
            if (errno || end == v || *end || n < 1 || n > DEMO_MAX_STUDENTS) {
                fprintf(stderr, "hocba-demo: --students: expected a number from 1 to %d, got \"%s\"\n",
                        DEMO_MAX_STUDENTS, v);
                return -1;
            }
            d->nstudents = n;
        } else if ((v = opt_value(argc, argv, &i, "--seed", &missing)) != NULL) {
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (errno || end == v || *end || *v == '-') {
                fprintf(stderr, "hocba-demo: --seed: expected an unsigned integer, got \"%s\"\n", v);
                return -1;
            }
            d->seed = s;
        } else {
            if (missing)
                fprintf(stderr, "hocba-demo: %s needs a value\n", argv[i]);
            else
                fprintf(stderr, "hocba-demo: unknown argument \"%s\"\n", argv[i]);
            return -1;
        }
    }
    if (!d->out) {
        fprintf(stderr, "hocba-demo: --out DIR is required\n");
        return -1;
    }
    return 0;
}

static void demo_free(demo_t *d)
{
    for (size_t i = 0; i < d->nids; i++) {
        X509_free(d->ids[i].cert);
        EVP_PKEY_free(d->ids[i].key);
    }
    for (size_t i = 0; i < d->njobs; i++)
        free(d->jobs[i].json);
    free(d->jobs), free(d->recalls), free(d->students), free(d->schools), free(d->ids);
    EVP_MD_free(d->sha256);
    pthread_mutex_destroy(&d->err_lock);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    demo_t d = {0};
    pthread_mutex_init(&d.err_lock, NULL);
    if (parse_args(&d, argc, argv) != 0) {
        usage(stderr);
        pthread_mutex_destroy(&d.err_lock);
        return 2;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    d.nthreads = ncpu < 2 ? 2 : ncpu > DEMO_MAX_THREADS ? DEMO_MAX_THREADS : (unsigned)ncpu;

    int rc = prepare_dirs(&d);
    if (rc == 0) {
        drbg_install(d.seed);
        drbg_select("main");
        d.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        rc = d.sha256 ? 0 : ssl_fail(&d, "SHA-256");
    }
    rc = rc ? rc : plan(&d);
    rc = rc ? rc : run_pool(&d, keygen_task, d.nids);
    for (size_t i = 0; rc == 0 && i < d.nids; i++)
        rc = make_cert(&d, &d.ids[i], i == 0 ? NULL : i == 1 ? &d.ids[0] : &d.ids[1]);
    rc = rc ? rc : write_trust(&d);
    rc = rc ? rc : write_receipt_key(&d);
    rc = rc ? rc : write_keys(&d);
    rc = rc ? rc : write_schools(&d);
    rc = rc ? rc : build_jobs(&d);
    rc = rc ? rc : run_pool(&d, sign_task, d.njobs);
    rc = rc ? rc : write_codes(&d);
    rc = rc ? rc : write_readme(&d);

    if (rc != 0) {
        fprintf(stderr, "hocba-demo: %s\n", d.err[0] ? d.err : "failed");
        demo_free(&d);
        return 2;
    }
    printf("hocba-demo: %zu schools, %ld students, %zu packages (%ld transcripts, %zu recalls, "
           "%zu replacements) in %s/batch\n",
           d.nschools, d.nstudents, d.njobs, d.nstudents, d.nrecalls, d.nreplacements, d.out);
    printf("codes and expected verdicts: %s/codes.txt; trust inputs: %s/trust; registry: %s/schools.json\n",
           d.out, d.out, d.out);
    printf("done in %.1f s\n", seconds_since(&t0));
    demo_free(&d);
    return 0;
}
