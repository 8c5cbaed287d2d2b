/* fuzz_record.c — a stored record (docs/index-format.md) as the portal reads
 * it, from bytes no writer made. The first input byte picks what the rest is:
 *   even: a docs value as is: index_get_doc (with and without the .p7s) and
 *         index_digest_doc read nothing outside it, and a payload they give
 *         back has the length its header says;
 *   odd:  a payload (its .p7s the same bytes): the record index_prepare_doc
 *         makes of it reads back byte for byte; then one byte of its stored
 *         payload, at a place and with a mask taken from the input's first
 *         bytes, is flipped: the record must read as damaged, or give back
 *         the very same payload (an LZ4 match may copy equal bytes), never
 *         another one.
 * One scratch index for the run, written without fsync. */
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/index.h"
#include "lookup/index_internal.h"

static index_t *ix;
static MDB_dbi docs;
static char dir[4096];

/* the scratch index goes when the run ends (after a crash, with the directory
 * tests/fuzz/run.sh makes for the run: HOCBA_FUZZ_TMP) */
static void cleanup(void)
{
    char path[sizeof dir + 16];
    index_close(ix);
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    remove(path);
    remove(dir);
}
static const char CODE[CODE_LEN] = "FUZZRECORD000000";

static void setup(void)
{
    char why[512] = "";
    MDB_txn *txn;
    const char *tmp = getenv("HOCBA_FUZZ_TMP");
    snprintf(dir, sizeof dir, "%s/hocba-fuzz-record-XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL || index_open(dir, 0, &ix, why, sizeof why) != 0) {
        fprintf(stderr, "fuzz_record: cannot make a scratch index: %s\n", why);
        abort();
    }
    atexit(cleanup);
    mdb_env_set_flags(index_env(ix), MDB_NOSYNC, 1);
    if (index_begin(ix, 0, &txn) != 0 || mdb_dbi_open(txn, "docs", 0, &docs) != 0 || mdb_txn_commit(txn) != 0)
        abort();
}

static void put(const void *v, size_t n)
{
    MDB_txn *txn;
    MDB_val k = {CODE_LEN, (void *)CODE}, val = {n, (void *)v};
    if (index_begin(ix, 0, &txn) != 0 || mdb_put(txn, docs, &k, &val, 0) != 0 || mdb_txn_commit(txn) != 0)
        abort(); /* the record under test must be the one stored */
}

static void count(void *arg, const void *bytes, size_t len)
{
    (void)bytes;
    *(size_t *)arg += len;
}

/* Read docs[CODE] every way the portal does; a payload given back is copied to *out (malloc'd). */
static int read_all(char **out, size_t *outlen)
{
    MDB_txn *txn;
    index_doc_t d;
    size_t fed = 0;
    int kind, rc;
    *out = NULL;
    if (index_begin(ix, 1, &txn) != 0)
        abort();
    rc = index_get_doc(ix, txn, CODE, INDEX_HEAD_ONLY, &d);
    index_doc_free(&d);
    rc = index_get_doc(ix, txn, CODE, INDEX_WITH_CMS, &d);
    index_doc_free(&d);
    (void)index_digest_doc(ix, txn, CODE, count, &fed, &kind);
    rc = index_get_doc(ix, txn, CODE, 0, &d);
    if (rc == INDEX_OK) {
        if ((*out = malloc(d.payload.len + 1)) == NULL)
            abort();
        memcpy(*out, d.payload.ptr, d.payload.len);
        *outlen = d.payload.len;
    }
    index_doc_free(&d);
    mdb_txn_abort(txn);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (ix == NULL)
        setup();
    if (size < 1)
        return 0;
    const uint8_t *body = data + 1;
    size_t n = size - 1;
    char *got = NULL;
    size_t glen = 0;
    if ((data[0] & 1) == 0) {
        /* the parts the header gives lie inside the value: checked on an exact copy (the readers
         * read LMDB's map, where ASan sees no end) */
        uint8_t *copy = malloc(n ? n : 1);
        record_t r;
        if (copy == NULL)
            abort();
        memcpy(copy, body, n);
        MDB_val cv = {n, copy};
        if (index_parse_record(cv, &r) == INDEX_OK) {
            const uint8_t *end = copy + n;
            if (r.payload < copy || r.pre < r.payload || r.suf < r.pre || r.hashes < r.suf ||
                r.pre + r.prefix > end || r.suf + r.suffix > end || r.hashes + 32 * r.ncerts != end ||
                (r.zlen != 0 && r.payload + r.zlen > r.pre) || (r.zlen == 0 && r.payload + r.plen > r.pre))
                __builtin_trap();
        }
        free(copy);
        put(body, n);
        if (read_all(&got, &glen) == INDEX_OK && n >= INDEX_HEADER_LEN &&
            glen != ((size_t)body[4] | (size_t)body[5] << 8 | (size_t)body[6] << 16 | (size_t)body[7] << 24))
            __builtin_trap();
        free(got);
        return 0;
    }
    index_prepared_t rec;
    str_t p = str_n((const char *)body, n);
    if (index_prepare_doc(INDEX_KIND_TRANSCRIPT, 0, p, p, &rec) != INDEX_OK) {
        index_prepared_free(&rec);
        return 0;
    }
    put(rec.value, rec.len);
    if (read_all(&got, &glen) != INDEX_OK || glen != n || (n > 0 && memcmp(got, body, n) != 0))
        __builtin_trap(); /* what the writer makes reads back */
    free(got);
    got = NULL;
    /* one byte of the stored payload flipped: where and how, from the input */
    const uint8_t *v = rec.value;
    size_t zlen = (size_t)v[24] | (size_t)v[25] << 8 | (size_t)v[26] << 16 | (size_t)v[27] << 24;
    size_t stored = zlen ? zlen : n + 4;
    size_t at = INDEX_HEADER_LEN + (n >= 3 ? ((size_t)body[0] | (size_t)body[1] << 8) % stored : 0);
    uint8_t mask = n >= 3 && body[2] != 0 ? body[2] : 0x01;
    rec.value[at] ^= mask;
    put(rec.value, rec.len);
    if (read_all(&got, &glen) == INDEX_OK && (glen != n || (n > 0 && memcmp(got, body, n) != 0)))
        __builtin_trap(); /* a flipped stored byte gave another payload */
    free(got);
    index_prepared_free(&rec);
    return 0;
}
