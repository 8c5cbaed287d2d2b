/* index_log.c — the index's side of the publication log (index.h, "the
 * publication log"; publog.h has the files; docs/replication.md).
 *
 * Every change the index's own code makes in a write transaction goes
 * through ix_put / ix_del / ix_empty. With a log attached they are also
 * written, in order, to the next segment, under its temporary name. At
 * commit (index_commit):
 *   1. the segment is sealed and put on disk under its temporary name;
 *   2. the same transaction records the segment's number and SHA-256 in
 *      meta (log_seq, log_head), and LMDB commits;
 *   3. the segment is renamed into place.
 * A crash before 2 leaves a temporary file and an index without the change:
 * the next attach removes the file. A crash between 2 and 3 leaves the
 * change in the index and its segment under the temporary name: the next
 * attach checks it against log_head and names it. So once a writer has
 * attached, the log holds exactly what the index committed, and no copy of
 * LOGDIR that skips dot files ever sees a change the index did not commit.
 *
 * A replica applies segments with index_replay, each in one transaction that
 * also records its number and SHA-256 (log_seq, log_head) and the role
 * "replica" (log_role): a crash part way leaves the last whole segment
 * applied, and the next run goes on from there. */
#include "index_internal.h"

#include "publog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

/* Meta keys of the log's position: they differ between a primary and a
 * replica only in log_role, and are left out of the content digest. */
#define KEY_SEQ "log_seq"
#define KEY_HEAD "log_head"
#define KEY_ROLE "log_role"

struct index_log {
    char dir[4096];
    uint64_t seq;     /* the last segment committed */
    uint8_t head[32]; /* its SHA-256 (zeros before the first) */
    publog_writer_t *pending;
    char why[600]; /* why the log could not be written, for index_write_error */
};

/* ---- the tables by name ---- */

typedef struct {
    const char *name;
    size_t off; /* of the MDB_dbi in struct index */
} table_t;

/* In name order: the content digest walks them so. */
static const table_t TABLES[] = {
    {"certs", offsetof(struct index, certs)},     {"crls", offsetof(struct index, crls)},
    {"docids", offsetof(struct index, docids)},   {"docs", offsetof(struct index, docs)},
    {"issuers", offsetof(struct index, issuers)}, {"links", offsetof(struct index, links)},
    {"meta", offsetof(struct index, meta)},       {"summary", offsetof(struct index, summary)},
    {"tally", offsetof(struct index, tally)},
};
#define NTABLES (sizeof TABLES / sizeof *TABLES)

static MDB_dbi dbi_at(index_t *ix, size_t i)
{
    return *(MDB_dbi *)((char *)ix + TABLES[i].off);
}

static const char *table_name(index_t *ix, MDB_dbi dbi)
{
    for (size_t i = 0; i < NTABLES; i++)
        if (dbi_at(ix, i) == dbi)
            return TABLES[i].name;
    return NULL;
}

static int table_dbi(index_t *ix, const char *name, MDB_dbi *out)
{
    for (size_t i = 0; i < NTABLES; i++)
        if (strcmp(TABLES[i].name, name) == 0) {
            *out = dbi_at(ix, i);
            return 0;
        }
    return -1;
}

/* ---- logging the changes ---- */

static int is_position(MDB_val *k)
{
    static const char *const KEYS[] = {KEY_SEQ, KEY_HEAD, KEY_ROLE};
    for (size_t i = 0; i < 3; i++)
        if (k->mv_size == strlen(KEYS[i]) && memcmp(k->mv_data, KEYS[i], k->mv_size) == 0)
            return 1;
    return 0;
}

/* The log's position in meta (absent: 0, zeros, ""). */
static int get_position(index_t *ix, MDB_txn *txn, uint64_t *seq, uint8_t head[32], char role[16])
{
    MDB_val k = {strlen(KEY_HEAD), KEY_HEAD}, v;
    memset(head, 0, 32);
    role[0] = '\0';
    int rc = index_meta_get_u64(ix, txn, KEY_SEQ, seq);
    if (rc != 0)
        return rc;
    if ((rc = mdb_get(txn, ix->meta, &k, &v)) == 0) {
        if (v.mv_size != 32)
            return INDEX_ECORRUPT;
        memcpy(head, v.mv_data, 32);
    } else if (rc != MDB_NOTFOUND) {
        return rc;
    }
    k.mv_size = strlen(KEY_ROLE);
    k.mv_data = KEY_ROLE;
    if ((rc = mdb_get(txn, ix->meta, &k, &v)) == 0) {
        if (v.mv_size >= 16)
            return INDEX_ECORRUPT;
        memcpy(role, v.mv_data, v.mv_size);
        role[v.mv_size] = '\0';
    }
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Add one change to the pending segment, starting it at the first. The
 * segment follows the position this write transaction sees (it holds
 * LMDB's writer lock), not the one seen at attach: another writer may have
 * committed, and logged, in between. */
static int log_change(index_t *ix, MDB_txn *txn, MDB_dbi dbi, int op, MDB_val *k, MDB_val *v)
{
    struct index_log *l = ix->log;
    const char *table = table_name(ix, dbi);
    char role[16];
    if (table == NULL) {
        snprintf(l->why, sizeof l->why, "a change to a table the log does not know");
        return INDEX_ELOG;
    }
    if (l->pending == NULL && get_position(ix, txn, &l->seq, l->head, role) != 0) {
        snprintf(l->why, sizeof l->why, "cannot read the log's position in the index");
        return INDEX_ELOG;
    }
    if (l->pending == NULL && publog_begin(l->dir, l->seq + 1, l->head, INDEX_FORMAT, (int64_t)time(NULL),
                                           &l->pending, l->why, sizeof l->why) != PUBLOG_OK)
        return INDEX_ELOG;
    if (publog_add(l->pending, op, table, k ? k->mv_data : NULL, k ? k->mv_size : 0, v ? v->mv_data : NULL,
                   v ? v->mv_size : 0) != PUBLOG_OK) {
        snprintf(l->why, sizeof l->why, "cannot write segment %llu in %s: %s", (unsigned long long)l->seq + 1,
                 l->dir, strerror(errno));
        return INDEX_ELOG;
    }
    return 0;
}

int ix_put(index_t *ix, MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v, unsigned flags)
{
    int rc = mdb_put(txn, dbi, k, v, flags);
    return rc != 0 || ix->log == NULL ? rc : log_change(ix, txn, dbi, PUBLOG_PUT, k, v);
}

int ix_del(index_t *ix, MDB_txn *txn, MDB_dbi dbi, MDB_val *k)
{
    int rc = mdb_del(txn, dbi, k, NULL);
    return rc != 0 || ix->log == NULL ? rc : log_change(ix, txn, dbi, PUBLOG_DEL, k, NULL);
}

int ix_empty(index_t *ix, MDB_txn *txn, MDB_dbi dbi)
{
    int rc = mdb_drop(txn, dbi, 0);
    return rc != 0 || ix->log == NULL ? rc : log_change(ix, txn, dbi, PUBLOG_EMPTY, NULL, NULL);
}

/* ---- the position in meta ---- */

/* Not logged: each index records its own position. */
static int put_position(index_t *ix, MDB_txn *txn, uint64_t seq, const uint8_t head[32], const char *role)
{
    uint8_t sv[8];
    put_u64(sv, seq);
    MDB_val sk = {strlen(KEY_SEQ), KEY_SEQ}, svv = {8, sv};
    MDB_val hk = {strlen(KEY_HEAD), KEY_HEAD}, hv = {32, (void *)head};
    MDB_val rk = {strlen(KEY_ROLE), KEY_ROLE}, rv = {strlen(role), (void *)role};
    int rc = mdb_put(txn, ix->meta, &sk, &svv, 0);
    if (rc == 0)
        rc = mdb_put(txn, ix->meta, &hk, &hv, 0);
    return rc ? rc : mdb_put(txn, ix->meta, &rk, &rv, 0);
}

int index_log_position(index_t *ix, MDB_txn *txn, uint64_t *seq, char role[16])
{
    uint8_t head[32];
    return get_position(ix, txn, seq, head, role);
}

/* ---- the writer's side ---- */

static void path_in(const char *dir, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* Is the segment file at path segment seq with the SHA-256 the index
 * recorded? PUBLOG_OK when it is, PUBLOG_ENOENT when there is no such file,
 * else PUBLOG_EBAD or PUBLOG_EIO with *why saying what differs. */
static int segment_matches(const char *path, uint64_t seq, const uint8_t head[32], char *why, size_t whylen)
{
    publog_segment_t s;
    int rc = publog_read_file(path, &s, why, whylen);
    if (rc == PUBLOG_OK && (s.seq != seq || memcmp(s.hash, head, 32) != 0)) {
        WHY("its SHA-256 differs");
        rc = PUBLOG_EBAD;
    }
    publog_segment_free(&s);
    return rc;
}

/* The path of segment seq in dir, under its name or its temporary one. */
static void segment_path(const char *dir, uint64_t seq, int temp, char *out, size_t n)
{
    char name[PUBLOG_NAME_LEN + 3];
    if (temp)
        publog_temp_name(seq, name);
    else
        publog_name(seq, name);
    path_in(dir, name, out, n);
}

/* After a crash: the temporary file of the last committed segment is named
 * (its SHA-256 must be log_head), that of an uncommitted one removed. */
static int recover(struct index_log *l, char *why, size_t whylen)
{
    char tmp[4200], to[4200], w2[512];
    segment_path(l->dir, l->seq + 1, 1, tmp, sizeof tmp);
    if (unlink(tmp) != 0 && errno != ENOENT) {
        WHY("cannot remove %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (l->seq == 0)
        return 0;
    segment_path(l->dir, l->seq, 1, tmp, sizeof tmp);
    segment_path(l->dir, l->seq, 0, to, sizeof to);
    int rc = segment_matches(tmp, l->seq, l->head, w2, sizeof w2);
    if (rc == PUBLOG_ENOENT)
        return 0;
    if (rc != PUBLOG_OK || rename(tmp, to) != 0) {
        WHY("%s is not the segment %llu the index committed (or cannot be named): %s", tmp,
            (unsigned long long)l->seq, rc == PUBLOG_OK ? strerror(errno) : w2);
        return -1;
    }
    return 0;
}

/* The log's last segment must be the one the index committed last. */
static int check_log_matches(struct index_log *l, char *why, size_t whylen)
{
    uint64_t first, last;
    if (publog_range(l->dir, &first, &last, why, whylen) != PUBLOG_OK)
        return -1;
    if (last > l->seq) {
        WHY("%s holds segment %llu, and this index has committed only up to %llu: it is another index's log, "
            "or the index is an older copy",
            l->dir, (unsigned long long)last, (unsigned long long)l->seq);
        return -1;
    }
    if (l->seq == 0)
        return 0;
    if (last < l->seq) {
        WHY("%s ends at segment %llu, and this index has committed segment %llu: give the log it wrote",
            l->dir, (unsigned long long)last, (unsigned long long)l->seq);
        return -1;
    }
    char path[4200], w2[512];
    segment_path(l->dir, l->seq, 0, path, sizeof path);
    if (segment_matches(path, l->seq, l->head, w2, sizeof w2) == PUBLOG_OK)
        return 0;
    WHY("segment %llu in %s is not the one this index committed: %s", (unsigned long long)l->seq, l->dir, w2);
    return -1;
}

int index_log_attach(index_t *ix, const char *dir, char *why, size_t whylen)
{
    MDB_txn *txn = NULL;
    char role[16];
    struct index_log *l = calloc(1, sizeof *l);
    if (l == NULL) {
        WHY("out of memory");
        return -1;
    }
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    /* In a write transaction, which waits for any other writer's: a
     * segment another process is writing now is never taken for one a
     * crash left behind. */
    int rc = mdb_txn_begin(ix->env, NULL, 0, &txn), ok = 0;
    if (rc == 0)
        rc = get_position(ix, txn, &l->seq, l->head, role);
    if (rc != 0)
        WHY("cannot read the log's position in the index: %s", index_strerror(rc));
    else if (strcmp(role, "replica") == 0)
        WHY("this index is a replica: it changes only by `replay`, never by a command with --log");
    else
        ok = recover(l, why, whylen) == 0 && check_log_matches(l, why, whylen) == 0;
    if (txn != NULL)
        mdb_txn_abort(txn);
    if (ok) {
        ix->log = l;
        return 0;
    }
    free(l);
    return -1;
}

int index_log_required(index_t *ix, char *why, size_t whylen)
{
    MDB_txn *txn;
    uint64_t seq = 0;
    char role[16] = "";
    int rc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = index_log_position(ix, txn, &seq, role);
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
        WHY("cannot read the publication log's position in the index (%s): nothing is written without it",
            index_strerror(rc));
        return 1;
    }
    if (role[0] == '\0')
        return 0;
    if (strcmp(role, "replica") == 0)
        WHY("this index is a replica of a publication log (at segment %llu): it changes only by `replay`",
            (unsigned long long)seq);
    else
        WHY("this index writes a publication log (at segment %llu): give --log LOGDIR (or HOCBA_LOG), or the "
            "replicas would miss this change",
            (unsigned long long)seq);
    return 1;
}

int index_commit(index_t *ix, MDB_txn *txn)
{
    struct index_log *l = ix->log;
    uint8_t hash[32];
    if (l == NULL || l->pending == NULL)
        return mdb_txn_commit(txn);
    publog_writer_t *w = l->pending;
    l->pending = NULL;
    int rc = publog_seal(w, hash, l->why, sizeof l->why) == PUBLOG_OK ? 0 : INDEX_ELOG;
    if (rc == 0)
        rc = put_position(ix, txn, l->seq + 1, hash, "primary");
    if (rc == 0) {
        rc = mdb_txn_commit(txn);
        txn = NULL;
    }
    if (rc != 0) {
        if (txn != NULL)
            mdb_txn_abort(txn);
        publog_discard(w);
        return rc;
    }
    l->seq++;
    memcpy(l->head, hash, 32);
    /* committed: a failure to name it is repaired by the next attach */
    if (publog_publish(w, l->why, sizeof l->why) != PUBLOG_OK)
        fprintf(stderr, "hocba-publish: %s; the next command with --log names it\n", l->why);
    return 0;
}

void index_abort(index_t *ix, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    index_log_reset(ix);
}

void index_log_reset(index_t *ix)
{
    if (ix->log != NULL && ix->log->pending != NULL) {
        publog_discard(ix->log->pending);
        ix->log->pending = NULL;
    }
}

const char *index_log_error(index_t *ix)
{
    return ix->log != NULL && ix->log->why[0] ? ix->log->why : "the publication log cannot be written";
}

void index_log_detach(index_t *ix)
{
    if (ix->log == NULL)
        return;
    publog_discard(ix->log->pending);
    free(ix->log);
    ix->log = NULL;
}

/* ---- the replica's side ---- */

static int apply_segment(index_t *ix, MDB_txn *txn, const publog_segment_t *s, char *why, size_t whylen)
{
    publog_op_t op;
    size_t pos = s->ops_begin;
    uint64_t n = 0;
    while (publog_next_op(s, &pos, &op)) {
        MDB_dbi dbi;
        MDB_val k = {op.klen, (void *)op.key}, v = {op.vlen, (void *)op.val};
        int rc;
        n++;
        if (table_dbi(ix, op.table, &dbi) != 0) {
            WHY("segment %llu: change %llu is to a table this index has not (\"%s\")",
                (unsigned long long)s->seq, (unsigned long long)n, op.table);
            return INDEX_ECORRUPT;
        }
        if (dbi == ix->meta && op.op != PUBLOG_EMPTY && is_position(&k)) {
            WHY("segment %llu: change %llu writes the log's own position", (unsigned long long)s->seq,
                (unsigned long long)n);
            return INDEX_ECORRUPT;
        }
        rc = op.op == PUBLOG_PUT   ? mdb_put(txn, dbi, &k, &v, 0)
             : op.op == PUBLOG_DEL ? mdb_del(txn, dbi, &k, NULL)
                                   : mdb_drop(txn, dbi, 0);
        if (rc != 0) {
            WHY("segment %llu: change %llu (%c %s) cannot be applied: %s", (unsigned long long)s->seq,
                (unsigned long long)n, op.op, op.table, index_strerror(rc));
            return rc;
        }
    }
    return 0;
}

/* Segment seq, checked against the chain: what it names before it, the
 * index's format. A segment of format 5 applies to an index of format 6 as
 * it is: format 6 changed how new records store their payload, and reads
 * the records of format 5 (a replica that lags behind an upgrade catches up
 * with the new programs). */
static int read_next(index_t *ix, const char *dir, uint64_t seq, const uint8_t head[32], publog_segment_t *s,
                     char *why, size_t whylen)
{
    char w2[512];
    int rc = publog_read(dir, seq, s, w2, sizeof w2);
    if (rc == PUBLOG_ENOENT)
        return rc;
    if (rc != PUBLOG_OK) {
        WHY("segment %llu refused: %s", (unsigned long long)seq, w2);
        return rc;
    }
    (void)ix;
    if (memcmp(s->prev, head, 32) != 0)
        WHY("segment %llu refused: it follows another segment %llu than the one applied here (the chain is "
            "broken: an altered or foreign log)",
            (unsigned long long)seq, (unsigned long long)seq - 1);
    else if (s->format < INDEX_LOG_OLDEST_FORMAT || s->format > INDEX_FORMAT)
        WHY("segment %llu refused: it was written by an index of format %d, this one reads formats %d to %d: "
            "run "
            "the same version of the programs on the primary and the replicas",
            (unsigned long long)seq, s->format, INDEX_LOG_OLDEST_FORMAT, INDEX_FORMAT);
    else
        return PUBLOG_OK;
    publog_segment_free(s);
    return PUBLOG_EBAD;
}

/* Does dir hold segment seq (>0) with this SHA-256? */
static int segment_is(const char *dir, uint64_t seq, const uint8_t head[32])
{
    char path[4200], w2[512];
    segment_path(dir, seq, 0, path, sizeof path);
    return seq > 0 && segment_matches(path, seq, head, w2, sizeof w2) == PUBLOG_OK;
}

/* The segment applied last must still be the one applied: an edit of the
 * log after the fact is refused rather than built on. */
static int check_applied(const char *dir, uint64_t seq, const uint8_t head[32], char *why, size_t whylen)
{
    char path[4200], w2[512];
    if (seq == 0)
        return 0;
    segment_path(dir, seq, 0, path, sizeof path);
    int rc = segment_matches(path, seq, head, w2, sizeof w2);
    if (rc == PUBLOG_OK || rc == PUBLOG_ENOENT) /* ENOENT: a log pruned of what every replica applied */
        return 0;
    WHY("segment %llu refused: it is not the segment %llu this replica applied (%s)", (unsigned long long)seq,
        (unsigned long long)seq, w2);
    return -1;
}

int index_replay(index_t *ix, const char *dir, index_replay_fn said, void *arg, char *why, size_t whylen)
{
    MDB_txn *txn;
    uint64_t seq, first, last;
    uint8_t head[32];
    char role[16];
    publog_segment_t s;
    int rc = mdb_txn_begin(ix->env, NULL, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = get_position(ix, txn, &seq, head, role);
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
        WHY("cannot read the log's position in the index: %s", index_strerror(rc));
        return -1;
    }
    /* A snapshot of the primary carries its role: it may follow the log
     * from the segment it was taken at, when the log holds that segment
     * unchanged (check_applied below, which must find it). */
    if (strcmp(role, "primary") == 0 && !segment_is(dir, seq, head)) {
        WHY("this index writes a publication log and %s does not hold its segment %llu unchanged: replay is "
            "for "
            "replicas, and a snapshot of the primary follows the log it was taken from",
            dir, (unsigned long long)seq);
        return -1;
    }
    if (publog_range(dir, &first, &last, why, whylen) != PUBLOG_OK ||
        check_applied(dir, seq, head, why, whylen))
        return -1;
    for (;;) {
        rc = read_next(ix, dir, seq + 1, head, &s, why, whylen);
        if (rc == PUBLOG_ENOENT) {
            if (last > seq + 1) {
                WHY("segment %llu is missing from %s, which holds segments up to %llu",
                    (unsigned long long)seq + 1, dir, (unsigned long long)last);
                return -1;
            }
            return 0;
        }
        if (rc != PUBLOG_OK)
            return -1;
        if ((rc = mdb_txn_begin(ix->env, NULL, 0, &txn)) == 0) {
            rc = apply_segment(ix, txn, &s, why, whylen);
            if (rc == 0 && (rc = put_position(ix, txn, s.seq, s.hash, "replica")) != 0)
                WHY("segment %llu: cannot record it as applied: %s", (unsigned long long)s.seq,
                    index_strerror(rc));
            if (rc == 0 && (rc = mdb_txn_commit(txn)) != 0)
                WHY("segment %llu: cannot commit it: %s", (unsigned long long)s.seq,
                    index_write_error(ix, rc));
            else if (rc != 0)
                mdb_txn_abort(txn);
        } else {
            WHY("cannot write the index: %s", index_strerror(rc));
        }
        if (rc != 0) {
            publog_segment_free(&s);
            return -1;
        }
        seq = s.seq;
        memcpy(head, s.hash, 32);
        if (said != NULL)
            said(arg, s.seq, s.nops);
        publog_segment_free(&s);
    }
}

/* ---- the content digest ---- */

/* One field: its tag ('T' a table's name, 'K' a key, 'V' a value), its
 * length and its bytes, so that no entry can pass for a table's name. */
static int feed(EVP_MD_CTX *c, char tag, const void *p, size_t n)
{
    uint8_t head[5] = {(uint8_t)tag, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    return EVP_DigestUpdate(c, head, 5) == 1 && EVP_DigestUpdate(c, p, n) == 1 ? 0 : ENOMEM;
}

int index_content_digest(index_t *ix, MDB_txn *txn, unsigned char out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int rc = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 ? 0 : ENOMEM;
    for (size_t i = 0; rc == 0 && i < NTABLES; i++) {
        MDB_cursor *cur;
        MDB_val k, v;
        if ((rc = feed(c, 'T', TABLES[i].name, strlen(TABLES[i].name))) != 0 ||
            (rc = mdb_cursor_open(txn, dbi_at(ix, i), &cur)) != 0)
            break;
        for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
             rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            /* the position, and the format number: content, not how it is kept (a replica
             * upgraded before its primary holds the same content) */
            if (dbi_at(ix, i) == ix->meta &&
                (is_position(&k) || (k.mv_size == 6 && memcmp(k.mv_data, "format", 6) == 0)))
                continue;
            if ((rc = feed(c, 'K', k.mv_data, k.mv_size)) != 0 ||
                (rc = feed(c, 'V', v.mv_data, v.mv_size)) != 0)
                break;
        }
        mdb_cursor_close(cur);
        rc = rc == MDB_NOTFOUND ? 0 : rc;
    }
    unsigned int n = 0;
    if (rc == 0 && EVP_DigestFinal_ex(c, out, &n) != 1)
        rc = ENOMEM;
    EVP_MD_CTX_free(c);
    return rc;
}
