/* index.h — the LMDB index of published packages and trust inputs.
 *
 * Layout (docs/index-format.md has the full description):
 *   meta   "format" -> "4"; "trust_version" -> u64 LE; "anchors", "intermediates"
 *          -> PEM; "registry" -> JSON; "transcripts", "recalls" -> u64 LE counts
 *   crls   SHA-256 of the CRL bytes -> the CRL bytes as given (DER or PEM)
 *   docs   canonical code (16 bytes) -> record header (28 bytes) + payload
 *          (zlib-compressed) + the .p7s without its certificates + the
 *          certificates' SHA-256s
 *   certs  SHA-256 of a certificate's DER -> the DER (each certificate once)
 *   links  code (16) + type (1) -> code (16): 'r' recalled by notice, 't' notice
 *          targets transcript, 's' superseded by, 'p' supersedes
 *   docids school code + '/' + document_id -> code
 *   issuers an issuer's id (trust_issuer_id) -> u16 LE length of its name's DER,
 *          the name, its SubjectPublicKeyInfo: the issuers of every CRL ever
 *          published (package-format.md §6), never removed
 *   summary canonical code -> what a transcript is (index_summary_t): schema,
 *          level, grade, school year, school and province (format 5)
 *   tally  a school year, level, grade, province and school -> how many
 *          transcripts were published, recalled and replaced (format 5)
 * One process writes (hocba-publish); any number read. Values returned by
 * the get functions point into the memory map and are valid until the
 * transaction ends. */
#ifndef HOCBA_INDEX_H
#define HOCBA_INDEX_H

#include <lmdb.h>
#include <stdint.h>

#include "code.h"
#include "payload.h"
#include "str.h"
#include "trust.h"

#define INDEX_FORMAT 6 /* the environment's format (meta "format") */
#define INDEX_OLDEST_UPGRADABLE                                                                              \
    3 /* a writer upgrades formats 3.. in place; older ones are published again                              \
       */
#define INDEX_LOG_OLDEST_FORMAT                                                                              \
    5                         /* replay applies segments written under formats 5.. (docs/replication.md) */
#define INDEX_RECORD_FORMAT 4 /* the docs value's format written (first header byte): LZ4 */
#define INDEX_RECORD_FORMAT_ZLIB 3 /* read as well: a payload stored as a zlib stream (index formats 3-5) */
#define INDEX_HEADER_LEN 28
#define INDEX_DEFAULT_MAP_SIZE ((size_t)64 << 30) /* address space only; override with HOCBA_MAP_SIZE */

enum { INDEX_KIND_TRANSCRIPT = 1, INDEX_KIND_RECALL = 2 };

enum {
    INDEX_LINK_RECALLED_BY = 'r',
    INDEX_LINK_RECALL_OF = 't',
    INDEX_LINK_SUPERSEDED_BY = 's',
    INDEX_LINK_SUPERSEDES = 'p',
};

enum {
    INDEX_OK = 0,
    INDEX_ENOTFOUND = -1,
    INDEX_ECORRUPT = -2, /* a stored value does not have the expected shape */
    INDEX_ELOG = -3,     /* the publication log could not be written: index_write_error says why */
    /* anything else is an LMDB error code (MDB_* or errno): index_strerror tells */
};

typedef struct index index_t;

/** A stored package. payload is the payload exactly as published, inflated
 * into `owned` (or pointing into the map when it was stored as is); cms, when
 * asked for, is the .p7s exactly as published, spliced back together from
 * the record and the certificate table into `owned`. Both are valid until
 * the txn ends and index_doc_free. */
typedef struct {
    int kind;
    int64_t published_at;
    str_t payload;
    str_t cms;   /* len 0 unless INDEX_WITH_CMS */
    char *owned; /* malloc'd; release with index_doc_free */
    /* With INDEX_WITH_CMS: the SHA-256 the record names for each certificate
     * of the .p7s, in order (32 bytes each, in the map). What the index says,
     * not checked here: good only as a hint (trust_der_hinted). */
    const unsigned char *cert_sha256;
    size_t ncerts;
} index_doc_t;

#define INDEX_WITH_CMS 1  /* flag of index_get_doc: also rebuild the .p7s */
#define INDEX_HEAD_ONLY 2 /* flag of index_get_doc: kind and time only (payload.len 0): is it there? */

typedef struct {
    uint64_t transcripts, recalls, crls, trust_version;
    uint64_t last_published; /* UTC seconds of the last batch that published something, 0 if none */
} index_counts_t;

/* The level a transcript counts under in the departments' figures: the
 * level of education, with continuing education (GDTX, at either level)
 * apart, as the sector reports it. 0: unknown (a record whose payload no
 * longer parses; docs/decisions.md). */
enum index_level {
    INDEX_LEVEL_TH = 1,   /* primary (tiểu học) */
    INDEX_LEVEL_THCS = 2, /* lower secondary, general education */
    INDEX_LEVEL_THPT = 3, /* upper secondary, general education */
    INDEX_LEVEL_GDTX = 4, /* continuing education, lower or upper secondary (the grade says which) */
};

#define INDEX_PROVINCE_MAX 255 /* bytes of school.province the index keeps (a real one has under 40) */
#define INDEX_SCHOOL_MAX 20    /* school.code: 1-20 characters (package-format.md §3) */

/** What a transcript is, kept beside its record (table `summary`) so that it
 * can be read without inflating or parsing the payload. All zero (and empty
 * strings) when unknown. */
typedef struct {
    int schema;      /* enum payload_schema */
    int level;       /* enum index_level */
    int grade;       /* 1-12 */
    int year;        /* the first year of its school year: 2024 for 2024-2025 */
    int replacement; /* it supersedes a recalled transcript (it counts as replaced) */
    char school[INDEX_SCHOOL_MAX + 1];
    char province[INDEX_PROVINCE_MAX + 1]; /* school.province as signed: the province of that time */
} index_summary_t;

/** The summary of a validated transcript.
 * @param province  the school registry's spelling of its province, in force
 *                  on its issued_on (verify_school_name), so that "Thành phố
 *                  Hà Nội" and "thành phố hà nội" count as one; NULL: the
 *                  payload's (a school the registry does not list)
 * @return 0, or -1 when the province is longer than INDEX_PROVINCE_MAX bytes
 *         (the summary then holds nothing; the publisher refuses it). */
int index_summarize(const payload_t *pl, const char *province, index_summary_t *out);

/** Open (and with !readonly, create) the index at path (a directory).
 * With !readonly, an index of an older format from INDEX_OLDEST_UPGRADABLE
 * on is upgraded in place first, in one write transaction (docs/index-
 * format.md): what the newer format adds is filled from what is stored, and
 * no stored record is re-checked or removed. A reader refuses it, saying
 * which command upgrades it.
 * @param open_flags  0 (read-write), INDEX_OPEN_READONLY (1: a true value of old
 *               reads as it), and INDEX_OPEN_FORGET_UNFOUND
 * @return 0, or -1 with *why set (missing, not an index, other format, an
 *         upgrade that failed: then nothing was changed, ...). */
int index_open(const char *path, int open_flags, index_t **out, char *why, size_t whylen);

#define INDEX_OPEN_READONLY 1
/* The upgrade to format 4 may leave unremembered the issuer of a stored CRL
 * that no longer verifies and whose CA certificate is nowhere in the index
 * (the operator said --drop-unverifiable-crls); without it, such an upgrade
 * is refused, naming the CRL. */
#define INDEX_OPEN_FORGET_UNFOUND 2

/** What an upgrade of this open left undone under INDEX_OPEN_FORGET_UNFOUND,
 * one sentence, or "". */
const char *index_upgrade_note(const index_t *ix);

/** The format index_open upgraded this index from, or 0 when it did not. */
int index_upgraded_from(const index_t *ix);

/** The format txn's snapshot of the index says it has (meta "format"), or -1
 * when it says none that can be read. A reader that keeps an index open
 * compares it with INDEX_FORMAT: an upgrade in place changes it under it. */
int index_stored_format(index_t *ix, MDB_txn *txn);

/** Close; no transaction may be open. */
void index_close(index_t *ix);

MDB_env *index_env(index_t *ix);

/** Begin a transaction (read-only when rdonly). @return an LMDB error code. */
int index_begin(index_t *ix, int rdonly, MDB_txn **txn);

/** Fetch a document by canonical code.
 * @param flags  0, INDEX_WITH_CMS to rebuild the .p7s too, or INDEX_HEAD_ONLY
 * @return INDEX_OK, INDEX_ENOTFOUND, INDEX_ECORRUPT (the record or a
 *         certificate it names is missing or damaged) or an LMDB code.
 * Call index_doc_free whatever it returns. */
int index_get_doc(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], int flags, index_doc_t *out);

/** Receives stored bytes from index_digest_doc, in order. */
typedef void (*index_feed_fn)(void *arg, const void *bytes, size_t len);

/** Feed a document's stored bytes to a digest, as they are in the map: the
 * record and each certificate it names (so that a change to either changes
 * the digest), without rebuilding the .p7s or inflating anything.
 * @param feed  called with each run of bytes in turn (pointers into the map,
 *              valid while txn is)
 * @return INDEX_OK, INDEX_ENOTFOUND, INDEX_ECORRUPT or an LMDB code;
 *         *kind receives the document's kind. */
int index_digest_doc(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], index_feed_fn feed, void *arg,
                     int *kind);

/** Release what index_get_doc allocated. */
void index_doc_free(index_doc_t *d);

/** Store a new document; never overwrites (published records are immutable).
 * A transcript is counted as published (and replaced) under its summary,
 * as index_put_prepared does.
 * @param summary  a transcript's (index_summarize); NULL: made from the
 *                 payload, its province as signed (unknown when it does not
 *                 parse). Unused for a recall notice.
 * The payload is stored as an LZ4 block when that is shorter (a transcript
 * of 4 KB becomes about 1.9 KB, so a record fits one 4 KB page), and as is
 * otherwise; either way followed by its CRC-32 (docs/index-format.md).
 * The .p7s's certificates go to the certificate table (once each) and the
 * record keeps their hashes and the bytes around them, so the .p7s can be
 * rebuilt byte for byte, in DER or BER. A .p7s that is PEM, not a readable
 * CMS, or whose certificate set holds more than certificates, is kept whole.
 * @return INDEX_OK, ENOMEM, EINVAL, or an LMDB code (MDB_KEYEXIST when present). */
int index_put_doc(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], int kind, int64_t published_at,
                  str_t payload, str_t cms, const index_summary_t *summary);

/** A docs value made ready to store, away from the write transaction (so
 * that checking threads can compress while one thread writes). The
 * certificates' DER point into the .p7s given to index_prepare_doc, which
 * must outlive this. */
typedef struct {
    int kind;
    index_summary_t summary; /* a transcript's (set by the caller: index_summarize); zero: unknown */
    uint8_t *value;          /* the docs value, malloc'd */
    size_t len;
    struct {
        unsigned char sha256[32];
        str_t der;
    } * certs; /* malloc'd */
    size_t ncerts;
} index_prepared_t;

/** Make the docs value that index_put_doc would store. Thread-safe.
 * @return INDEX_OK, ENOMEM, or EINVAL (a payload or a .p7s over 1 MiB, which no reader takes).
 * Call index_prepared_free whatever it returns. */
int index_prepare_doc(int kind, int64_t published_at, str_t payload, str_t cms, index_prepared_t *out);

/** index_prepare_doc with the certificates' SHA-256 already known (the
 * publisher has them from verify_package_shared).
 * @param cert_sha256  the SHA-256 of each certificate of cms (DER) in its
 *                     order; used only when ncerts is the number cms holds,
 *                     else the certificates are hashed here */
int index_prepare_doc_hashed(int kind, int64_t published_at, str_t payload, str_t cms,
                             const unsigned char (*cert_sha256)[32], size_t ncerts, index_prepared_t *out);

/** Store a prepared document under code, as index_put_doc does; a
 * transcript's summary is stored beside it and counted (index_each_tally). */
int index_put_prepared(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], const index_prepared_t *rec);

void index_prepared_free(index_prepared_t *rec);

/** Read a link of the given type. @return INDEX_OK, INDEX_ENOTFOUND, INDEX_ECORRUPT or an LMDB code. */
int index_get_link(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], int type, char out[CODE_LEN]);

/** Write a link (no overwrite). A recall link (INDEX_LINK_RECALLED_BY)
 * also counts the recall, under the recalled transcript's summary: a
 * recall counts in the school year of the transcript it recalls (http.md). */
int index_put_link(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], int type, const char to[CODE_LEN]);

/** Look up which code holds a school's document_id: the latest transcript
 * that carries it. @return INDEX_OK, INDEX_ENOTFOUND, INDEX_ECORRUPT or an LMDB code. */
int index_get_docid(index_t *ix, MDB_txn *txn, str_t school, str_t document_id, char out[CODE_LEN]);

/** Record that code holds a school's document_id.
 * @param replace  0: the id must be free (MDB_KEYEXIST otherwise); 1: it may
 *                 be held already and passes to code (a replacement that keeps
 *                 its predecessor's id: the caller checked the predecessor holds it)
 * @return 0 or an LMDB code. */
int index_put_docid(index_t *ix, MDB_txn *txn, str_t school, str_t document_id, const char code[CODE_LEN],
                    int replace);

/** Call fn with the code each document_id of a school names, in key order:
 * the school's published transcripts, found without reading docs (the
 * docids keys start with the school code and '/'). A transcript that a
 * replacement keeping its document_id superseded is not named here: follow
 * INDEX_LINK_SUPERSEDES from the replacement to find it.
 * @param school  a school code (letters and digits, as payloads carry them)
 * @param fn      returns 0 to go on; anything else stops the walk
 * @return INDEX_OK, what fn returned when it stopped, INDEX_ECORRUPT (a
 *         value that is not a code) or an LMDB code. */
int index_each_docid(index_t *ix, MDB_txn *txn, str_t school, int (*fn)(void *arg, const char code[CODE_LEN]),
                     void *arg);

/** Call fn with the code of every stored document (transcripts and recall
 * notices), in key order, for reports that look at every record
 * (`hocba-publish certs`): a scan, so for occasional use only.
 * @param fn  returns 0 to go on; anything else stops the walk
 * @return INDEX_OK, what fn returned when it stopped, INDEX_ECORRUPT (a key
 *         that is not a code) or an LMDB code. */
int index_each_code(index_t *ix, MDB_txn *txn, int (*fn)(void *arg, const char code[CODE_LEN]), void *arg);

/** A certificate the index stores (any package's .p7s carried it, except a
 * PEM one, which is kept whole) by the SHA-256 of its DER.
 * @param der  receives the DER, in the map (valid while txn is)
 * @return INDEX_OK, INDEX_ENOTFOUND or an LMDB code. */
int index_get_cert(index_t *ix, MDB_txn *txn, const unsigned char sha256[32], str_t *der);

/** Read the trust inputs, the remembered issuers included. *crls is one
 * malloc'd block holding in->crls and in->issuers (free it); the strings
 * point into the map.
 * @return INDEX_OK, INDEX_ECORRUPT (a damaged issuers value) or an LMDB code. */
int index_get_trust(index_t *ix, MDB_txn *txn, trust_inputs_t *in, str_t **crls);

/** Replace one trust input and bump the trust version, in txn.
 * name is "anchors", "intermediates" or "registry". */
int index_set_trust_value(index_t *ix, MDB_txn *txn, const char *name, str_t value);

/** Replace the whole CRL set and bump the trust version, in txn. */
int index_set_crls(index_t *ix, MDB_txn *txn, const str_t *crls, size_t n);

/** Remember, for good, that an issuer publishes CRLs (package-format.md §6):
 * its certificates are judged against a CRL of it that verifies from now on,
 * or answer "cannot check now". Bumps the trust version when it is new.
 * @return INDEX_OK (also when it was remembered already), EINVAL, ENOMEM or
 *         an LMDB code. */
int index_remember_issuer(index_t *ix, MDB_txn *txn, const trust_issuer_t *issuer);

/** Record the time of a batch that published something, in its txn. */
int index_set_last_published(index_t *ix, MDB_txn *txn, int64_t when);

/* ---- the departments' figures (format 5) ---- */

/** What a transcript is, from the summary table.
 * @return INDEX_OK, INDEX_ENOTFOUND (no such transcript, or a recall
 *         notice), INDEX_ECORRUPT or an LMDB code. */
int index_get_summary(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], index_summary_t *out);

/* How finely the counts are kept: both are written in the transaction that
 * publishes, so that reading them never scans the records. */
enum index_tally_by {
    INDEX_TALLY_SCHOOLS = 'S',   /* by school year, level, province, school and grade */
    INDEX_TALLY_PROVINCES = 'P', /* by school year, level and province (the public figures) */
};

/** One cell of the counts. grade is 0 and school empty in a province cell. */
typedef struct {
    int year, level, grade;
    str_t province, school; /* in the map: valid while the txn is */
    uint64_t published, recalled, replaced;
} index_tally_t;

/** Call fn with every cell of one granularity, in key order: school year,
 * level, then (schools) province, school and grade, or (provinces) province:
 * a school's grades come one after another.
 * @param year  a school year's first year, or 0 for all
 * @param fn    returns 0 to go on; anything else stops the walk
 * @return INDEX_OK, what fn returned when it stopped, INDEX_ECORRUPT or an LMDB code. */
int index_each_tally(index_t *ix, MDB_txn *txn, int by, int year,
                     int (*fn)(void *arg, const index_tally_t *t), void *arg);

/* ---- the publication log (cli.md --log, replay, digest; index_log.c) ---- */

/** From now on, write what ix commits to the publication log in dir: every
 * change of a write transaction goes into the next segment (publog.h), put
 * on disk before the commit and named after it. First repairs what a crash
 * left (docs/replication.md), and checks that dir is this index's log: its
 * last segment is the one the index committed last.
 * @return 0, or -1 with *why set (a replica; another index's log; a log that
 *         ends before the index; a file system error). */
int index_log_attach(index_t *ix, const char *dir, char *why, size_t whylen);

/** 1, with *why saying so, when the index takes part in a publication log
 * (a primary that writes one, or a replica): a write without
 * index_log_attach would go missing from it; 0 otherwise. */
int index_log_required(index_t *ix, char *why, size_t whylen);

/** The log's position of txn's snapshot: the last segment applied or
 * written (0 when none), and the role ("primary", "replica", or ""). */
int index_log_position(index_t *ix, MDB_txn *txn, uint64_t *seq, char role[16]);

/** Commit a write transaction; with a log attached and changes made, its
 * segment goes to disk first (see index_log.c). The txn is ended either way.
 * @return 0, an LMDB code, or INDEX_ELOG (nothing committed). */
int index_commit(index_t *ix, MDB_txn *txn);

/** Abort a write transaction and discard what its segment holds. */
void index_abort(index_t *ix, MDB_txn *txn);

/** Why the log could not be written, one sentence. */
const char *index_log_error(index_t *ix);

/** Called with each segment applied. */
typedef void (*index_replay_fn)(void *arg, uint64_t seq, uint64_t changes);

/** Apply, in order, every segment of dir after the last one applied, each in
 * one transaction with the position; refuses a segment that is damaged,
 * does not follow the one applied last (SHA-256 chain), is missing between
 * others, or was written by another index format; refuses a primary.
 * Idempotent; after a crash it resumes at the next segment.
 * @return 0 (nothing left to apply), or -1 with *why naming the segment. */
int index_replay(index_t *ix, const char *dir, index_replay_fn said, void *arg, char *why, size_t whylen);

/** SHA-256 over the content of every table, in name and key order, each
 * table's name, keys and values with their lengths, leaving out the log's
 * position and the format number: equal for a primary and a replica that
 * applied its log, whatever LMDB's page layout, and whichever of them was
 * upgraded first. @return 0 or an LMDB code. */
int index_content_digest(index_t *ix, MDB_txn *txn, unsigned char out[32]);

/** Counts for status. */
int index_counts(index_t *ix, MDB_txn *txn, index_counts_t *out);

/** Words for any code these functions return. */
const char *index_strerror(int rc);

/** Words for an error of a write (commit) on this index. LMDB 0.9.24 reports
 * a write cut short by a full file system as EIO; when the index's file
 * system is (nearly) full this says so instead. Thread-safe. */
const char *index_write_error(index_t *ix, int rc);

#endif
