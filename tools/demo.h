/* demo.h — what the parts of hocba-demo share (tools/demo*.c): the plan of
 * schools, identities and pupils, the packages to sign, and the functions
 * one part calls in another.
 *
 *   demo.c           the files, the thread pool, the packages to sign, codes.txt, README, main
 *   demo_plan.c      the schools, their identities, the pupils and the recalls of a run
 *   demo_pki.c       the deterministic random generator, keys, certificates, CRLs, signing
 *   demo_payload.c   the content generator, pupils, primary transcripts and recall notices
 *   demo_trunghoc.c  lower and upper secondary transcripts (THCS, THPT, GDTX)
 *
 * Not a library: every function here belongs to this program, carries the
 * demo_ prefix, and reports a failure with demo_set_error (the first error
 * is kept for the one-line message). */
#ifndef HOCBA_DEMO_H
#define HOCBA_DEMO_H

#include "lookup/code.h"

#include "demo_data.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define DEMO_DEFAULT_STUDENTS 200
#define DEMO_MAX_STUDENTS 100000
#define DEMO_MIN_SCHOOLS 8
#define DEMO_STUDENTS_PER_SCHOOL 250 /* more schools only when each would hold more than this */
#define DEMO_RSA_BITS 2048
#define DEMO_MAX_THREADS 8
#define DEMO_PATH_MAX 4096
#define DEMO_MAX_SUBJECTS 14 /* a THCS transcript has 13 */
#define DEMO_TIERS 5         /* ability tiers, 0 strongest */

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
    const demo_school_t *def; /* def->level and def->gdtx: what it teaches */
    char code[16];
    int seal, principal; /* indices into demo_t.ids */
    int first_grade;     /* 1, 6 or 10 */
    int ngrades;         /* 5, 4 or 3 */
    int teacher[5];      /* homeroom teacher of each grade's class A, first_grade first */
    int nstudents;
    int issue_day; /* transcripts are issued on this day of May 2025 */
} school_t;

/* What becomes of a secondary pupil's year (Circular 22/2021, article 12). */
enum {
    DEMO_FATE_PASS = 0,   /* promoted, or completed grade 9 or 12 */
    DEMO_FATE_RETAKE = 1, /* learning Chưa đạt, a subject re-assessed in summer, then promoted */
    DEMO_FATE_REPEAT = 2, /* learning Chưa đạt, the re-assessment failed: repeats the grade */
};

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
    int by, bm, bd;  /* date of birth */
    int level, gdtx; /* of its school: DEMO_TIEUHOC, DEMO_THCS or DEMO_THPT; continuing education */
    int nsubj;
    unsigned char subj[DEMO_MAX_SUBJECTS];    /* indices into DEMO_SUBJECTS (DEMO_SEC_SUBJECTS) */
    signed char score[DEMO_MAX_SUBJECTS];     /* -1: no periodic test */
    unsigned char u_level[DEMO_MAX_SUBJECTS]; /* 0–99, picks the level a score allows */
    unsigned char qual[5];                    /* 0 T, 1 Đ, 2 C */
    unsigned char comp[10];
    /* secondary (demo_trunghoc.c): semester averages in tenths (75 is 7.5), for
     * a subject by comment 1 for Đạt and 0 for Chưa đạt; retake -1 when none */
    short hk1[DEMO_MAX_SUBJECTS], hk2[DEMO_MAX_SUBJECTS], retake[DEMO_MAX_SUBJECTS];
    int exempt;      /* index + 1 into subj of the subject it is exempt from, or 0 */
    int fate;        /* DEMO_FATE_* */
    int conduct[2];  /* first and second semester, 0 T … 3 CĐ; -1: none (GDTX) */
    int tier;        /* ability, 0 strongest … DEMO_TIERS-1 */
    int days_absent; /* secondary: sessions absent */
    unsigned u_award, u_remark;
    int compromised; /* signed by the teacher whose key is compromised */
    int recall;      /* index of its recall + 1, or 0 */
} student_t;

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
    const char *level; /* codes.txt's LEVEL: TH, THCS, THPT, GDTX, or - for a recall notice */
    char desc[768];
} job_t;

typedef struct demo {
    const char *out;
    long nstudents;
    uint64_t seed;
    unsigned nthreads;

    ident_t *ids;
    size_t nids;
    school_t *schools; /* the primary ones first */
    size_t nschools, nprimary;
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

/** A splitmix64 stream (demo_payload.c). */
typedef struct {
    uint64_t s;
} rng_t;

/* ---- demo.c: errors and files ------------------------------------------------ */

/** snprintf for labels and descriptions bounded by our own tables. */
void demo_text_fmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Keep the first error of the run (thread-safe). */
void demo_set_error(demo_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** The oldest queued OpenSSL error of this thread, as text in buf; the queue is cleared. */
const char *demo_ssl_error(char *buf, size_t n);

/** demo_set_error with what and the OpenSSL error; returns -1. */
int demo_ssl_fail(demo_t *d, const char *what);

/** Write OUT/SUB/NAME.EXT (OUT/NAME.EXT when sub is NULL) in one go; 0 or -1. */
int demo_write_under(demo_t *d, const char *sub, const char *name, const char *ext, const void *data,
                     size_t len, mode_t mode);

/** demo_write_under with what a memory BIO holds; frees b. */
int demo_write_bio(demo_t *d, const char *sub, const char *name, const char *ext, BIO *b, mode_t mode);

/* ---- demo_plan.c ------------------------------------------------------------------ */

/** Schools, identities, pupils (each drawn) and recalls for d->nstudents
 * pupils and d->seed; 0, or -1 when memory runs out. */
int demo_plan(demo_t *d);

/* ---- demo_pki.c ------------------------------------------------------------------ */

/** Replace OpenSSL's random generator for the whole process by one keyed
 * from seed (DEMO DATA ONLY; see demo_pki.c). Before threads start. */
void demo_drbg_install(uint64_t seed);

/** Key the calling thread's stream from the seed and a label. */
void demo_drbg_select(const char *label);

/** Make the key of d->ids[i] (a run_pool task). */
int demo_keygen_task(demo_t *d, size_t i);

/** The certificate of id, signed by issuer (NULL: self-signed). */
int demo_make_cert(demo_t *d, ident_t *id, const ident_t *issuer);

/** keys/LABEL.pem, keys/LABEL.key and keys/index.txt. */
int demo_write_keys(demo_t *d);

/** trust/anchors.pem, trust/intermediates.pem and the two CRLs. */
int demo_write_trust(demo_t *d);

/** receipt/root.pem, receipt/receipt.pem (the receipt certificate, then its
 * DEMO root: hocba-portal --receipt-cert) and receipt/receipt.key: the
 * portal's receipt key, under a root of its own that is no trust anchor of
 * transcripts. @return 0, or -1 with d->err set. */
int demo_write_receipt_key(demo_t *d);

/** Sign d->jobs[i] and write batch/STEM.p7s and STEM.json (a run_pool task). */
int demo_sign_task(demo_t *d, size_t i);

/** The signer role of an identity kind (root_ca and issuing_ca for the CAs). */
const char *demo_role_of(int kind);

/* ---- demo_payload.c ------------------------------------------------------------------ */

uint64_t demo_rng_next(rng_t *r);

/** The stream of one record (tag says what kind, idx which one). */
rng_t demo_rng_for(uint64_t seed, uint64_t tag, uint64_t idx);

/** 0 … n-1. */
unsigned demo_rng_below(rng_t *r, unsigned n);

/** "Family Middle Given"; family NULL draws one. */
void demo_adult_name(rng_t *r, int female, const char *family, char *out, size_t n);

int demo_days_in_month(int y, int m);

time_t demo_utc_time(int y, int mo, int dd, int h, int mi, int s);

/** Everything about a pupil drawn at random, once school, grade, class and teacher are set. */
void demo_draw_student(student_t *st, const demo_school_t *sd, rng_t *r);

/** o[k] = v (stolen); *bad = 1 when v is NULL or cannot be set. */
void demo_put(json_t *o, const char *k, json_t *v, int *bad);

/** a += v (stolen); *bad = 1 when v is NULL or cannot be appended. */
void demo_push(json_t *a, json_t *v, int *bad);

/** {"role", "name", "certificate_sha256"} of an identity. */
json_t *demo_signer_json(const ident_t *id, int *bad);

/** Serialise root (taken), add the final newline, keep the bytes and their code in job. */
int demo_finish_json(demo_t *d, json_t *root, int bad, job_t *job);

/** The hocba.tieuhoc.v1 payload of st (supersedes: NULL or the code it replaces). */
int demo_transcript_payload(demo_t *d, const student_t *st, job_t *job, const char *doc_id,
                            const char *issued_on, const char *supersedes);

/** The hocba.recall.v1 payload of rc. */
int demo_recall_payload(demo_t *d, const recall_t *rc, const char *old_code, const char *date, job_t *job);

/** The corrected record: the first transcript held one wrong value. */
void demo_apply_fix(student_t *st, int fix);

/** The envelope's first members (package-format.md §3: schema, document_id,
 * issued_on, school_year, school, student) into root. */
void demo_envelope(demo_t *d, const student_t *st, json_t *root, const char *schema, const char *doc_id,
                   const char *issued_on, int *bad);

/** The envelope's last members: the three signers, and supersedes when it is not NULL. */
void demo_sign_off(demo_t *d, const student_t *st, json_t *root, const char *supersedes, int *bad);

/** Why the school recalled st's transcript, in its words. */
const char *demo_recall_reason(const student_t *st, int fix);

/* ---- demo_trunghoc.c --------------------------------------------------------------- */

/** The year of a secondary pupil drawn at random (subjects, scores, conduct,
 * absence, fate), once school, grade and the envelope's draws are set.
 * @param k  the pupil's place in its school, which sets a few fates (a
 *           retake, a repeat, an exemption) so that small runs have them */
void demo_draw_secondary(student_t *st, rng_t *r, int k);

/** The hocba.trunghoc.v1 payload of st (supersedes: NULL or the code it replaces). */
int demo_trunghoc_payload(demo_t *d, const student_t *st, job_t *job, const char *doc_id,
                          const char *issued_on, const char *supersedes);

/** "THCS grade 9, HOAN_THANH (completed lower secondary)" and the like, for codes.txt. */
void demo_describe_secondary(const student_t *st, char *out, size_t n);

/** The secondary fix of a recall: the second semester of Toán or Ngữ văn, or the date of birth. */
void demo_apply_secondary_fix(student_t *st, int fix);

#endif
