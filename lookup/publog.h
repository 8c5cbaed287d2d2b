/* publog.h — the publication log's segment files (cli.md `--log`, `replay`;
 * docs/replication.md): what a primary's index committed, one segment a
 * write transaction, for replicas to apply in the same order.
 *
 * A segment is the changes of one committed transaction to the index's
 * tables, as the primary made them: every put, delete and emptying of a
 * table, in order, with the bytes stored (records with their packages'
 * bytes and publication times, links, trust inputs, counts). A replica that
 * applies them in order holds the same bytes, whatever its clock, its
 * trust store or its version of the checks.
 *
 * File LOGDIR/NNNNNNNNNNNNNNNN.seg (16 decimal digits, from 1), big-endian:
 *   "HOCBA-PUBLOG 1\n"            15 bytes
 *   seq                           u64
 *   prev                          32: SHA-256 of the whole segment seq-1
 *                                 (zeros for the first segment of a log)
 *   index format                  u32
 *   time                          i64: when the primary committed it (Unix s)
 *   ops, each:  op ('P' put, 'D' delete, 'Z' empty the table)  u8
 *               table name length u8, table name
 *               key length u32, key            (not for 'Z')
 *               value length u32, value        ('P' only)
 *   'E', number of ops u64, SHA-256 of every byte before the 'E'
 * A segment's own SHA-256 is that of the whole file; the next names it.
 *
 * A segment is written under a name that starts with '.' and renamed into
 * place once complete and on disk: a copy of LOGDIR that skips dot files
 * never holds half a segment. */
#ifndef HOCBA_PUBLOG_H
#define HOCBA_PUBLOG_H

#include <stddef.h>
#include <stdint.h>

enum { PUBLOG_PUT = 'P', PUBLOG_DEL = 'D', PUBLOG_EMPTY = 'Z' };

enum {
    PUBLOG_OK = 0,
    PUBLOG_ENOENT = -1, /* no such segment */
    PUBLOG_EBAD = -2,   /* not a whole, well-formed segment; *why says where */
    PUBLOG_EIO = -3,    /* the file system refused; *why says what */
};

#define PUBLOG_NAME_LEN 20 /* "NNNNNNNNNNNNNNNN.seg" */

/** The file name of segment seq in out (at least PUBLOG_NAME_LEN + 1 bytes). */
void publog_name(uint64_t seq, char *out);

/* ---- writing ---- */

typedef struct publog_writer publog_writer_t;

/** Start segment seq in dir, under its temporary name.
 * @param prev   SHA-256 of segment seq-1 (zeros when seq is 1)
 * @return PUBLOG_OK, or PUBLOG_EIO with *why set. The writer owns the file. */
int publog_begin(const char *dir, uint64_t seq, const uint8_t prev[32], int format, int64_t when,
                 publog_writer_t **out, char *why, size_t whylen);

/** Add one change. val is read for PUBLOG_PUT only; key not for PUBLOG_EMPTY.
 * @return PUBLOG_OK or PUBLOG_EIO (the writer keeps failing after one). */
int publog_add(publog_writer_t *w, int op, const char *table, const void *key, size_t klen, const void *val,
               size_t vlen);

/** How many changes w holds. */
uint64_t publog_count(const publog_writer_t *w);

/** Finish the segment and put it on disk (fsync of the file and of dir),
 * still under its temporary name; hash receives its SHA-256.
 * @return PUBLOG_OK or PUBLOG_EIO with *why set. */
int publog_seal(publog_writer_t *w, uint8_t hash[32], char *why, size_t whylen);

/** Give a sealed segment its name (rename, then fsync of dir), and free w.
 * @return PUBLOG_OK or PUBLOG_EIO with *why set (w is freed either way). */
int publog_publish(publog_writer_t *w, char *why, size_t whylen);

/** Remove the temporary file and free w (NULL: nothing). */
void publog_discard(publog_writer_t *w);

/** The temporary name of segment seq in out (at least PUBLOG_NAME_LEN + 3 bytes). */
void publog_temp_name(uint64_t seq, char *out);

/* ---- reading ---- */

typedef struct {
    uint64_t seq;
    uint8_t prev[32];
    uint8_t hash[32]; /* of the whole file */
    int format;
    int64_t time;
    uint64_t nops;
    const uint8_t *data; /* the file, read into memory (or the caller's bytes: publog_check) */
    size_t len;
    int owned; /* data is memory publog_segment_free frees */
    size_t ops_begin, ops_end;
} publog_segment_t;

typedef struct {
    int op;
    char table[256];
    const uint8_t *key, *val; /* in the mapped file */
    size_t klen, vlen;
} publog_op_t;

/** Check len bytes as a segment: its magic, lengths, every op's framing,
 * the op count and the SHA-256 of its trailer; out->hash is computed over
 * the whole, and out points into data (not owned).
 * @return PUBLOG_OK, PUBLOG_EBAD or PUBLOG_EIO (with *why). */
int publog_check(const uint8_t *data, size_t len, publog_segment_t *out, char *why, size_t whylen);

/** Read one file into memory of its own (so that what is checked is what
 * is applied, whatever happens to the file meanwhile) and check it
 * (publog_check): its magic, lengths, every op's framing, the op
 * count and the SHA-256 of its trailer; hash is computed over the whole.
 * @return PUBLOG_OK, PUBLOG_ENOENT, PUBLOG_EBAD or PUBLOG_EIO (with *why). */
int publog_read_file(const char *path, publog_segment_t *out, char *why, size_t whylen);

/** publog_read_file of segment seq of dir. */
int publog_read(const char *dir, uint64_t seq, publog_segment_t *out, char *why, size_t whylen);

/** The op at *pos (start at s->ops_begin), and *pos moved past it.
 * @return 1 for an op, 0 at the end (publog_read_file checked the framing). */
int publog_next_op(const publog_segment_t *s, size_t *pos, publog_op_t *op);

void publog_segment_free(publog_segment_t *s);

/** The lowest and highest segment numbers in dir (0 and 0 when none).
 * @return PUBLOG_OK or PUBLOG_EIO with *why set. */
int publog_range(const char *dir, uint64_t *first, uint64_t *last, char *why, size_t whylen);

#endif
