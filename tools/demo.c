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
 * This file holds the files, the packages to sign, codes.txt and main;
 * demo.h says what the other parts (demo_plan.c, demo_pki.c,
 * demo_payload.c, demo_trunghoc.c) make.
 *
 * Speed: RSA-2048 key generation dominates (about 60 ms a key here, see
 * demo_rsa_keygen in demo_pki.c), so the number of keys is bounded (at most 20 schools × 7
 * identities, plus 3); keys are generated and packages signed on a small pool
 * of threads. Memory: every payload is held until the end (about 4 KB a
 * pupil), hence the cap on --students. */
#include "demo.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------------ */

/* snprintf for labels and descriptions whose inputs are bounded by our own
 * tables; a cut would only shorten a description, so the length is not checked. */
void demo_text_fmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

/* Keep the first error only: it is the cause, later ones are consequences. */
void demo_set_error(demo_t *d, const char *fmt, ...)
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
const char *demo_ssl_error(char *buf, size_t n)
{
    unsigned long e = ERR_get_error();
    if (e == 0)
        snprintf(buf, n, "unknown OpenSSL error");
    else
        ERR_error_string_n(e, buf, n);
    ERR_clear_error();
    return buf;
}

int demo_ssl_fail(demo_t *d, const char *what)
{
    char buf[256];
    demo_set_error(d, "%s: %s", what, demo_ssl_error(buf, sizeof buf));
    return -1;
}

/* ---- files --------------------------------------------------------------------------- */

static int make_path(demo_t *d, char *buf, size_t n, const char *sub, const char *name, const char *ext)
{
    int k = sub ? snprintf(buf, n, "%s/%s/%s%s", d->out, sub, name, ext)
                : snprintf(buf, n, "%s/%s%s", d->out, name, ext);
    if (k < 0 || (size_t)k >= n) {
        demo_set_error(d, "path too long under %s", d->out);
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
        demo_set_error(d, "cannot write %s: %s", path, strerror_r(e, eb, sizeof eb));
        return -1;
    }
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int e = w == len ? 0 : errno ? errno : EIO;
    if (fclose(f) != 0 && e == 0)
        e = errno ? errno : EIO;
    if (e) {
        demo_set_error(d, "cannot write %s: %s", path, strerror_r(e, eb, sizeof eb));
        return -1;
    }
    return 0;
}

int demo_write_under(demo_t *d, const char *sub, const char *name, const char *ext, const void *data,
                     size_t len, mode_t mode)
{
    char path[DEMO_PATH_MAX];
    if (make_path(d, path, sizeof path, sub, name, ext) != 0)
        return -1;
    return write_file(d, path, data, len, mode);
}

/* Write what a memory BIO holds, then free it. */
int demo_write_bio(demo_t *d, const char *sub, const char *name, const char *ext, BIO *b, mode_t mode)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    int rc = demo_write_under(d, sub, name, ext, p, n > 0 ? (size_t)n : 0, mode);
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
    demo_set_error(d, "cannot create directory %s: %s", path, strerror_r(errno, eb, sizeof eb));
    return -1;
}

/* mkdir -p DIR, then refuse when DIR/batch already holds files, then the subdirectories. */
static int prepare_dirs(demo_t *d)
{
    char path[DEMO_PATH_MAX];
    size_t n = strlen(d->out);
    if (n == 0 || n >= sizeof path - 64) {
        demo_set_error(d, "--out: path too long");
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
            demo_set_error(d, "%s already holds demo data; remove it or choose another --out", d->out);
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

/* "transcript, NAME, class 3A, SCHOOL", or for a secondary one
 * "secondary transcript, THCS grade 9, HOAN_THANH (...), NAME, ...": what
 * codes.txt says of a pupil's transcript (a primary one's words are the
 * tests' "plain" transcript, tests/harness.h). */
static void describe_student(const demo_t *d, const student_t *st, char *out, size_t n)
{
    char what[256] = "transcript";
    if (st->level != DEMO_TIEUHOC) {
        memcpy(what, "secondary transcript, ", 22);
        demo_describe_secondary(st, what + 22, sizeof what - 22);
    }
    snprintf(out, n, "%s, %s, class %s, %s", what, st->full_name, st->klass,
             d->schools[st->school].def->name);
}

/* codes.txt's LEVEL of a pupil's transcript. */
static const char *level_word(const student_t *st)
{
    return st->gdtx ? "GDTX" : st->level == DEMO_THCS ? "THCS" : st->level == DEMO_THPT ? "THPT" : "TH";
}

static int build_jobs(demo_t *d)
{
    size_t n = (size_t)d->nstudents;
    d->jobs = calloc(n + d->nrecalls + d->nreplacements, sizeof *d->jobs);
    if (!d->jobs) {
        demo_set_error(d, "out of memory");
        return -1;
    }
    char who[512], doc[64], date[16];
    for (size_t i = 0; i < n; i++) {
        const student_t *st = &d->students[i];
        const school_t *sc = &d->schools[st->school];
        job_t *job = &d->jobs[d->njobs++];
        demo_text_fmt(job->stem, sizeof job->stem, "%s-%06d", sc->code, st->seq);
        snprintf(doc, sizeof doc, "HB-%s-2025-%06d", sc->code, st->seq);
        snprintf(date, sizeof date, "2025-05-%02d", sc->issue_day);
        if (demo_transcript_payload(d, st, job, doc, date, NULL) != 0)
            return -1;
        /* Teacher in the morning, principal and seal in the afternoon (ICT = UTC+7). */
        time_t day = demo_utc_time(2025, 5, sc->issue_day, 0, 0, 0);
        job->signer[0] = st->teacher, job->when[0] = day + 3600 + (st->seq * 37) % 14400;
        job->signer[1] = sc->principal, job->when[1] = day + 6 * 3600 + (st->seq * 11) % 3600;
        job->signer[2] = sc->seal, job->when[2] = job->when[1] + 30;
        job->nsigners = 3;
        describe_student(d, st, who, sizeof who);
        job->level = level_word(st);
        if (st->compromised) {
            job->expected = "invalid-after-crl";
            demo_text_fmt(job->desc, sizeof job->desc,
                          "%s: %s; teacher certificate revoked (keyCompromise) in trust/issuing-ca.crl",
                          job->stem, who);
        } else if (st->recall) {
            const recall_t *rc = &d->recalls[st->recall - 1];
            job->expected = "recalled";
            demo_text_fmt(job->desc, sizeof job->desc, "%s: %s; recalled by %s-recall%s%s%s", job->stem, who,
                          job->stem, rc->fix == DEMO_FIX_NONE ? ", not replaced" : ", replaced by ",
                          rc->fix == DEMO_FIX_NONE ? "" : job->stem, rc->fix == DEMO_FIX_NONE ? "" : "-v2");
        } else {
            job->expected = "valid";
            demo_text_fmt(job->desc, sizeof job->desc, "%s: %s%s", job->stem, who,
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
        time_t day = demo_utc_time(2025, 6, rc->day, 0, 0, 0);
        snprintf(date, sizeof date, "2025-06-%02d", rc->day);

        job_t *job = &d->jobs[d->njobs++];
        demo_text_fmt(job->stem, sizeof job->stem, "%s-recall", orig->stem);
        if (demo_recall_payload(d, rc, orig->code, date, job) != 0)
            return -1;
        job->signer[0] = sc->principal, job->when[0] = day + 2 * 3600;
        job->signer[1] = sc->seal, job->when[1] = day + 2 * 3600 + 30;
        job->nsigners = 2;
        job->expected = "recall-notice";
        job->level = "-";
        demo_text_fmt(job->desc, sizeof job->desc, "%s: recall of %s (%s): %s", job->stem, orig->code,
                      orig->stem, demo_recall_reason(old, rc->fix));
        if (rc->fix == DEMO_FIX_NONE)
            continue;

        student_t fixed = *old;
        demo_apply_fix(&fixed, rc->fix);
        job = &d->jobs[d->njobs++];
        demo_text_fmt(job->stem, sizeof job->stem, "%s-v2", orig->stem);
        snprintf(doc, sizeof doc, "HB-%s-2025-%06d-v2", sc->code, old->seq);
        if (demo_transcript_payload(d, &fixed, job, doc, date, orig->code) != 0)
            return -1;
        job->signer[0] = fixed.teacher, job->when[0] = day + 3 * 3600;
        job->signer[1] = sc->principal, job->when[1] = day + 4 * 3600;
        job->signer[2] = sc->seal, job->when[2] = day + 4 * 3600 + 30;
        job->nsigners = 3;
        job->expected = "valid";
        job->level = level_word(&fixed);
        describe_student(d, &fixed, who, sizeof who);
        demo_text_fmt(job->desc, sizeof job->desc, "%s: replacement %s; supersedes %s (%s)", job->stem, who,
                      orig->code, orig->stem);
    }
    return 0;
}

/* ---- registry, codes, README ------------------------------------------------------------------- */

static int write_schools(demo_t *d)
{
    int bad = 0;
    json_t *root = json_object(), *list = json_array();
    if (!root || !list) {
        json_decref(root), json_decref(list);
        demo_set_error(d, "out of memory");
        return -1;
    }
    /* v2 (package-format.md §6): the seal, and the staff certificates the
     * sector database holds, every principal and homeroom teacher who signed
     * (the revoked ones too: a registry lists past certificates) */
    demo_put(root, "schema", json_string("hocba.schools.v2"), &bad);
    for (size_t s = 0; s < d->nschools; s++) {
        const school_t *sc = &d->schools[s];
        json_t *o = json_object(), *seals = json_array(), *principals = json_array(),
               *teachers = json_array();
        if (!o || !seals || !principals || !teachers) {
            json_decref(o), json_decref(seals), json_decref(principals), json_decref(teachers);
            bad = 1;
            break;
        }
        demo_put(o, "code", json_string(sc->code), &bad);
        demo_put(o, "name", json_string(sc->def->name), &bad);
        demo_put(o, "province", json_string(sc->def->province), &bad);
        demo_push(seals, json_string(d->ids[sc->seal].hex), &bad);
        for (size_t i = 0; i < d->nids; i++)
            if (d->ids[i].school == (int)s &&
                (d->ids[i].kind == ID_PRINCIPAL || d->ids[i].kind == ID_TEACHER))
                demo_push(d->ids[i].kind == ID_PRINCIPAL ? principals : teachers, json_string(d->ids[i].hex),
                          &bad);
        demo_put(o, "seal_certificates", seals, &bad);
        demo_put(o, "principal_certificates", principals, &bad);
        demo_put(o, "teacher_certificates", teachers, &bad);
        demo_push(list, o, &bad);
    }
    demo_put(root, "schools", list, &bad);
    job_t tmp = {.stem = "schools.json"};
    if (demo_finish_json(d, root, bad, &tmp) != 0)
        return -1;
    int rc = demo_write_under(d, NULL, "schools", ".json", tmp.json, tmp.len, 0644);
    free(tmp.json);
    return rc;
}

static int write_codes(demo_t *d)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return demo_ssl_fail(d, "memory");
    BIO_printf(
        b,
        "# hocba-demo --students %ld --seed %llu: CODE<TAB>EXPECTED<TAB>description<TAB>LEVEL; EXPECTED is "
        "valid, recalled, invalid-after-crl (valid until trust/issuing-ca.crl is loaded) or "
        "recall-notice; LEVEL is TH (primary), THCS (lower secondary), THPT (upper secondary), GDTX "
        "(continuing education, upper secondary) or - (a recall notice)\n",
        d->nstudents, (unsigned long long)d->seed);
    for (size_t i = 0; i < d->njobs; i++)
        BIO_printf(b, "%s\t%s\t%s\t%s\n", d->jobs[i].code, d->jobs[i].expected, d->jobs[i].desc,
                   d->jobs[i].level);
    return demo_write_bio(d, NULL, "codes", ".txt", b, 0644);
}

static int write_readme(demo_t *d)
{
    const ident_t *ct = &d->ids[d->compromised_teacher], *sup = &d->ids[d->superseded_teacher];
    BIO *b = BIO_new(BIO_s_mem());
    if (!b)
        return demo_ssl_fail(d, "memory");
    BIO_printf(b,
               "Hocba DEMO data — NOT FOR REAL USE\n"
               "===================================\n\n"
               "Written by hocba-demo --students %ld --seed %llu. Every school, pupil, teacher and\n"
               "certificate here is invented. The private keys in keys/ are published on purpose so\n"
               "that anyone can sign test packages; they were made from --seed, so anyone who knows\n"
               "the seed can remake them. Never trust these CAs outside a test setup.\n\n",
               d->nstudents, (unsigned long long)d->seed);
    BIO_printf(
        b, "Layout\n"
           "  trust/anchors.pem        root CA (Hocba DEMO Root CA), the trust anchor\n"
           "  trust/intermediates.pem  issuing CA (Hocba DEMO Issuing CA)\n"
           "  trust/issuing-ca.crl     CRL of the issuing CA (DER), lastUpdate 2025-09-01\n"
           "  trust/root-ca.crl        CRL of the root CA (DER), empty\n"
           "  schools.json             school registry (hocba.schools.v2): each school's seal, principal\n"
           "                           and teacher certificates (SHA-256)\n"
           "  batch/                   signed packages: STEM.json (payload) + STEM.p7s (detached CMS)\n"
           "  codes.txt                every package's lookup code, what the portal must answer, and\n"
           "                           the transcript's level (primary, THCS, THPT, GDTX)\n"
           "  keys/                    every certificate (.pem) and private key (.key, unencrypted)\n"
           "  keys/index.txt           which file is whose, with certificate SHA-256 and status\n"
           "  receipt/receipt.pem      the portal's receipt certificate, then its CA (Hocba DEMO Portal\n"
           "                           Receipts Root CA, not a trust anchor of transcripts):\n"
           "                           hocba-portal --receipt-cert; receipt/receipt.key: --receipt-key\n"
           "  receipt/root.pem         that CA: openssl cms -verify -in R.p7m -inform DER -CAfile "
           "receipt/root.pem\n\n");
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
    return demo_write_bio(d, NULL, "README", ".txt", b, 0644);
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
        demo_drbg_install(d.seed);
        demo_drbg_select("main");
        d.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        rc = d.sha256 ? 0 : demo_ssl_fail(&d, "SHA-256");
    }
    rc = rc ? rc : demo_plan(&d);
    rc = rc ? rc : run_pool(&d, demo_keygen_task, d.nids);
    for (size_t i = 0; rc == 0 && i < d.nids; i++)
        rc = demo_make_cert(&d, &d.ids[i], i == 0 ? NULL : i == 1 ? &d.ids[0] : &d.ids[1]);
    rc = rc ? rc : demo_write_trust(&d);
    rc = rc ? rc : demo_write_receipt_key(&d);
    rc = rc ? rc : demo_write_keys(&d);
    rc = rc ? rc : write_schools(&d);
    rc = rc ? rc : build_jobs(&d);
    rc = rc ? rc : run_pool(&d, demo_sign_task, d.njobs);
    rc = rc ? rc : write_codes(&d);
    rc = rc ? rc : write_readme(&d);

    if (rc != 0) {
        fprintf(stderr, "hocba-demo: %s\n", d.err[0] ? d.err : "failed");
        demo_free(&d);
        return 2;
    }
    long by_level[4] = {0}; /* TH, THCS, THPT, GDTX */
    for (long i = 0; i < d.nstudents; i++)
        by_level[d.students[i].gdtx ? 3 : d.students[i].level]++;
    printf("hocba-demo: %zu schools, %ld students (%ld primary, %ld THCS, %ld THPT, %ld GDTX), %zu packages "
           "(%ld transcripts, %zu recalls, %zu replacements) in %s/batch\n",
           d.nschools, d.nstudents, by_level[0], by_level[1], by_level[2], by_level[3], d.njobs, d.nstudents,
           d.nrecalls, d.nreplacements, d.out);
    printf("codes and expected verdicts: %s/codes.txt; trust inputs: %s/trust; registry: %s/schools.json\n",
           d.out, d.out, d.out);
    printf("done in %.1f s\n", seconds_since(&t0));
    demo_free(&d);
    return 0;
}
