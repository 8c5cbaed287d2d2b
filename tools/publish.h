/* publish.h — what the parts of hocba-publish share (cli.md). Internal to
 * the program. The parts:
 * - publish.c          main: the options every command shares, the index
 *                      opened, the command called;
 * - publish_common.c   what the commands share: the usage, files read whole,
 *                      the trust store from the index, commits, printing;
 * - publish_trust.c    `trust` and `crl`;
 * - publish_schools.c  `schools` and the records a new registry invalidates;
 * - publish_status.c   `status`;
 * - publish_batch.c    `batch` and `check`, and the pipeline they both run,
 *                      with publish_package.c (phase 1: each package
 *                      checked, on every core) and publish_write.c (phase 2:
 *                      each one published), which share
 *                      publish_batch_internal.h;
 * - publish_check.c    the overlay a dry run (`check`, in publish_batch.c
 *                      beside `batch`) keeps its would-be writes in;
 * - publish_certs.c    `certs`: the certificate report;
 * - publish_stats.c    `stats`: the figures;
 * - publish_log.c      the publication log: --log, `replay`, `digest`;
 * - publish_report.c   tables and CSV on stdout;
 * - publish_keytab.c   a small hash table.
 * main calls the commands, the commands call publish_common.c and the
 * helpers below them; nothing calls back into main's file. */
#ifndef HOCBA_TOOLS_PUBLISH_H
#define HOCBA_TOOLS_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include "lookup/code.h"
#include "lookup/index.h"
#include "lookup/trust.h"

#define EXIT_REFUSED 1 /* some packages were refused */
#define EXIT_NOTHING 2 /* nothing was done: bad usage, unreadable input, no index */

/* ---- publish_common.c --------------------------------------------------------------------------- */

/** Print the usage to stderr and exit 2. */
__attribute__((noreturn)) void publish_die_usage(void);

/** Read a whole regular file of at most max bytes; path relative to dirfd (AT_FDCWD for the working
 * directory). With nofollow, a symbolic link is refused instead of followed.
 * @return 0 with *out malloc'd; -2 when it is larger than max (*len then says how large); -1 otherwise;
 *         with why set on failure. */
int publish_read_file_at(int dirfd, const char *path, int nofollow, size_t max, uint8_t **out, size_t *len,
                         char *why, size_t whylen);

/** publish_read_file_at in the working directory, following links. */
int publish_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *why, size_t whylen);

/** The trust store of the inputs txn sees (the remembered issuers included); with_registry 0 leaves the
 * registry out (what `trust` and `crl` compare). @return 0, or -1 with *why set. The caller frees *trust. */
int publish_build_trust(index_t *ix, MDB_txn *txn, int with_registry, trust_t **trust, char *why,
                        size_t whylen);

/** Build the trust store (the registry and the remembered issuers included)
 * from what txn sees.
 * @return 0, or -1 with *why set. The caller frees *trust. */
int publish_trust_from(index_t *ix, MDB_txn *txn, trust_t **trust, char *why, size_t whylen);

/** publish_trust_from in a read-only transaction of its own. @return 0, or -1 with *why set. */
int publish_load_trust(index_t *ix, trust_t **trust, char *why, size_t whylen);

/** Commit txn when rc is 0, else abort it; on failure say on stderr that `what` changed nothing.
 * @return 0, or EXIT_NOTHING. */
int publish_commit_or_say(index_t *ix, MDB_txn *txn, int rc, const char *what);

/** Print text for a line of output on stdout, each control byte (C0 and
 * DEL) as '?': file names, reasons and certificate subjects stay on their
 * line and off the terminal's controls. */
void publish_put_plain(const char *s);

/** UTC seconds as RFC 3339 ("2026-09-30T00:00:00Z") into out. @return out. */
const char *publish_rfc3339(int64_t t, char out[24]);

/** Seconds on the monotonic clock, for progress and timings. */
double publish_now_seconds(void);

/* ---- publish_trust.c ---------------------------------------------------------------------------- */

/** `hocba-publish --db PATH trust ANCHORS.pem [INTERMEDIATES.pem]`; drop: --drop-unverifiable-crls.
 * @return an exit status. */
int cmd_trust(index_t *ix, int argc, char **argv, int drop);

/** `hocba-publish --db PATH crl FILE...`; drop: --drop-unverifiable-crls, allow_older: --allow-older-crl.
 * @return an exit status. */
int cmd_crl(index_t *ix, int argc, char **argv, int drop, int allow_older);

/** A CRL as the commands name it ("CRL number N of CA "cn" [hash]"), into out[0..n). @return out. */
const char *publish_crl_words(const trust_crl_info_t *ci, char *out, size_t n);

/* ---- publish_schools.c -------------------------------------------------------------------------- */

/** `hocba-publish --db PATH schools REGISTRY.json`; accept: --accept-invalidation. @return an exit status. */
int cmd_schools(index_t *ix, int argc, char **argv, int accept);

/* ---- publish_status.c --------------------------------------------------------------------------- */

/** `hocba-publish --db PATH status [--json]`. @return an exit status. */
int cmd_status(index_t *ix, int argc, char **argv);

/* ---- publish_batch.c ---------------------------------------------------------------------------- */

/** What `batch` and `check` ask of the pipeline. */
typedef struct {
    const char *dir;
    int strict;  /* batch --strict: publish nothing when one is refused */
    int json;    /* one JSON object a package instead of a line of text */
    int dry_run; /* check: a read-only transaction, every write kept in an overlay, nothing committed */
} publish_opts_t;

/** Check every package of o->dir and publish the accepted ones in one write
 * transaction, or (o->dry_run) say what would be published, with the same
 * checks in the same order against a read-only transaction and what the
 * batch itself would have written before (overlay_t): a dry run never waits
 * for the writer's lock and writes nothing. Prints one line a package.
 * @return 0 (everything published or already), EXIT_REFUSED, EXIT_NOTHING. */
int publish_packages(index_t *ix, const publish_opts_t *o);

/** `hocba-publish --db PATH batch DIR [--strict] [--json]`. @return an exit status. */
int cmd_batch(index_t *ix, int argc, char **argv);

/** `hocba-publish --db PATH check DIR [--json]` on an index opened read-only. @return an exit status. */
int cmd_check(index_t *ix, int argc, char **argv);

/* ---- publish_report.c -------------------------------------------------------------------------- */

/** Display width of UTF-8 text: its characters (Vietnamese letters are one
 * each in NFC). */
size_t report_width(const char *s);

/** A cell of an aligned table on stdout: s, each control byte as '?',
 * padded with spaces to width (0: not padded). */
void report_cell(const char *s, size_t width);

/** A CSV field (RFC 4180) on stdout, quoted when it holds a comma, a quote,
 * CR or LF, quotes doubled; then "," or, for the last of a row, CRLF. */
void report_csv(const char *s, int last);

/* ---- publish_stats.c ---------------------------------------------------------------------------- */

/** `hocba-publish --db PATH stats [--by province|school|grade] [--year
 * YYYY-YYYY] [--csv|--json]` on an index opened read-only. @return an exit status. */
int cmd_stats(index_t *ix, int argc, char **argv);

/* ---- the publication log (publish_log.c; cli.md --log, replay, digest) ---- */

/** Before a command runs: a writing command (trust, crl, schools, batch)
 * with a log directory (--log, HOCBA_LOG) attaches it; one without a log
 * on an index that keeps one is refused, as any writing command on a
 * replica. Other commands ignore the log.
 * @return 0, or -1 after saying why on stderr. */
int publish_log_setup(index_t *ix, const char *cmd, const char *log_dir);

/** `replay LOGDIR`: apply every segment not applied yet. @return 0 or EXIT_NOTHING. */
int cmd_replay(index_t *ix, int argc, char **argv);

/** `digest`: the content digest, one line of hex. @return 0 or EXIT_NOTHING. */
int cmd_digest(index_t *ix, int argc, char **argv);

/* ---- publish_check.c ---------------------------------------------------------------------------- */

/** What phase 2 needs of a stored document to judge a replacement or a
 * recall of it: its kind, its school and pupil, and the certificate it
 * declares for its principal. */
typedef struct {
    int kind;          /* INDEX_KIND_TRANSCRIPT or INDEX_KIND_RECALL */
    char school[24];   /* school.code (20 characters at most, payload.c) */
    char student[24];  /* student.id (20 digits at most) */
    int has_principal; /* it declares a principal */
    unsigned char principal[32];
} stored_facts_t;

/** The writes a dry run would make, kept in memory: documents (their
 * stored_facts_t), links and document ids. What the index holds is not
 * here; the caller looks here first, then in the index. */
typedef struct overlay overlay_t;

/** @return a new, empty overlay, or NULL when out of memory. */
overlay_t *overlay_new(void);

void overlay_free(overlay_t *o);

/** Keep a document. @return 0, or ENOMEM. */
int overlay_put_doc(overlay_t *o, const char code[CODE_LEN], const stored_facts_t *facts);

/** @return 1 with *out set when the overlay holds the document, else 0. */
int overlay_get_doc(const overlay_t *o, const char code[CODE_LEN], stored_facts_t *out);

/** Keep a link (index_put_link's). @return 0, or ENOMEM. */
int overlay_put_link(overlay_t *o, const char code[CODE_LEN], int type, const char to[CODE_LEN]);

/** @return 1 with out set when the overlay holds the link, else 0. */
int overlay_get_link(const overlay_t *o, const char code[CODE_LEN], int type, char out[CODE_LEN]);

/** Keep which code holds a school's document_id (the latest put wins, as
 * index_put_docid with replace). @return 0, ENOMEM, or EINVAL (too long). */
int overlay_put_docid(overlay_t *o, const char *school, const char *docid, const char code[CODE_LEN]);

/** @return 1 with out set when the overlay holds the document_id, else 0. */
int overlay_get_docid(const overlay_t *o, const char *school, const char *docid, char out[CODE_LEN]);

/* ---- publish_certs.c ---------------------------------------------------------------------------- */

/** `hocba-publish --db PATH certs [--expiring-before YYYY-MM-DD] [--school CODE] [--csv|--json]` on an
 * index opened read-only. @return an exit status. */
int cmd_certs(index_t *ix, int argc, char **argv);

/* ---- publish_keytab.c --------------------------------------------------------------------------- */

#define KEYTAB_MAX_KEY 1024

/** A hash table from byte strings of up to KEYTAB_MAX_KEY bytes to size_t
 * values (an index into the caller's array, usually). One owner, one thread. */
typedef struct keytab keytab_t;

/** @return a new, empty table, or NULL when out of memory. */
keytab_t *keytab_new(void);

void keytab_free(keytab_t *t);

/** Set key's value, adding the key when it is new.
 * @return 0, ENOMEM, or EINVAL (a key longer than KEYTAB_MAX_KEY). */
int keytab_put(keytab_t *t, const void *key, size_t len, size_t value);

/** @return 1 with *value set when key is in the table, else 0. */
int keytab_get(const keytab_t *t, const void *key, size_t len, size_t *value);

#endif
