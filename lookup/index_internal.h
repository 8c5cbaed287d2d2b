/* index_internal.h — what the index's own files share (index.c, index_tally.c);
 * nothing outside lookup/index*.c includes it. */
#ifndef HOCBA_INDEX_INTERNAL_H
#define HOCBA_INDEX_INTERNAL_H

#include "index.h"

#include <stdint.h>

struct index {
    MDB_env *env;
    MDB_dbi meta, crls, docs, links, docids, certs, issuers, summary, tally;
    int readonly;
    int upgraded_from;     /* the format this open upgraded, or 0 */
    int forget_unfound;    /* INDEX_OPEN_FORGET_UNFOUND: an upgrade may leave a CRL's issuer unremembered */
    char note[768];        /* what the upgrade left unremembered with forget_unfound, or "" */
    const char *path;      /* during index_open: the path, for the upgrade's words */
    struct index_log *log; /* index_log_attach: the publication log the changes go to, or NULL */
};

/* Every change the index makes goes through these (index_log.c): the LMDB
 * call, then, with a log attached, the same change into its pending
 * segment. @return 0, an LMDB code, or INDEX_ELOG. */
int ix_put(index_t *ix, MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned flags);
int ix_del(index_t *ix, MDB_txn *txn, MDB_dbi dbi, MDB_val *k);
int ix_empty(index_t *ix, MDB_txn *txn, MDB_dbi dbi);

/** Discard the segment of a write transaction that was aborted. */
void index_log_reset(index_t *ix);

/** Free the log attached to ix, discarding an uncommitted segment. */
void index_log_detach(index_t *ix);

static inline void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static inline uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/** A u64 LE value of the meta table (0 when absent). @return 0, INDEX_ECORRUPT or an LMDB code. */
int index_meta_get_u64(index_t *ix, MDB_txn *txn, const char *key, uint64_t *out);

/** Write a u64 LE value of the meta table. @return 0 or an LMDB code. */
int index_meta_put_u64(index_t *ix, MDB_txn *txn, const char *key, uint64_t value);

/* Record header (docs/index-format.md):
 *   0 format (4; 3 is read too), 1 kind, 2-3 number of certificates (u16), 4-7 payload length,
 *   8-11 .p7s length as published, 12-15 length of the .p7s bytes before its
 *   certificates, 16-23 publication time (i64), 24-27 length of the stored
 *   payload: an LZ4 block of the payload followed by the payload's CRC-32
 *   (u32 LE) in format 4, a zlib stream of it in format 3, or 0 when the
 *   payload is kept as is.
 * Then: the stored payload, .p7s bytes before the certificates, .p7s bytes
 * after them, and the certificates' SHA-256s (32 bytes each), in order. */
/* A record found and its header checked: the parts of the value (index_doc.c). */
typedef struct {
    int format; /* INDEX_RECORD_FORMAT or INDEX_RECORD_FORMAT_ZLIB */
    int kind;
    int64_t published_at;
    uint64_t ncerts, plen, zlen, clen, prefix, suffix;
    const uint8_t *value, *payload, *pre, *suf, *hashes;
    size_t size;
} record_t;

/** Check that a record's header and lengths add up (index_doc.c): both
 * readers and the upgrade's walk of the records go through here.
 * @return INDEX_OK or INDEX_ECORRUPT. */
int index_parse_record(const MDB_val v, record_t *r);

/** Add 1 to a u64 LE value of the meta table. @return 0 or an LMDB code. */
int index_meta_bump(index_t *ix, MDB_txn *txn, const char *key);

/** Store a transcript's summary and count it as published (and replaced),
 * in the transaction that stores its record. @return 0 or an LMDB code. */
int index_count_transcript(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], const index_summary_t *s);

/** Count a recall of the transcript `target`, under its summary (nothing
 * when it has none: a record put without one). @return 0 or an LMDB code. */
int index_count_recall(index_t *ix, MDB_txn *txn, const char target[CODE_LEN]);

/** The upgrade step to format 5 (index_tally.c): a summary of every stored
 * transcript and the counts of every school year, level, grade, province
 * and school, from what is stored. @return INDEX_OK, or an error with *why set. */
int index_upgrade_to_5(index_t *ix, MDB_txn *txn, char *why, size_t whylen);

#endif
