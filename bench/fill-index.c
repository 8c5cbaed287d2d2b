/* fill-index.c — bench only: grow an index to N records for the start-up
 * and memory figures, by storing one published package under N synthetic
 * codes (the records are not meant to verify; the portal's start-up must
 * not depend on how many there are).
 *   fill-index DB PAYLOAD.json PACKAGE.p7s N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "lookup/code.h"
#include "lookup/index.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

int main(int argc, char **argv)
{
    char why[256];
    size_t jl, pl;
    index_t *ix;
    if (argc != 5)
        return fprintf(stderr, "usage: fill-index DB PAYLOAD.json PACKAGE.p7s N\n"), 2;
    char *json = slurp(argv[2], &jl), *p7s = slurp(argv[3], &pl);
    long n = atol(argv[4]);
    if (json == NULL || p7s == NULL || n <= 0 || index_open(argv[1], 0, &ix, why, sizeof why) != 0)
        return fprintf(stderr, "fill-index: cannot start: %s\n", why), 2;
    MDB_txn *txn = NULL;
    index_prepared_t rec; /* the same record under n codes: compress it once */
    if (index_prepare_doc(INDEX_KIND_TRANSCRIPT, 1750000000, str_n(json, jl), str_n(p7s, pl), &rec) != INDEX_OK)
        return fprintf(stderr, "fill-index: out of memory\n"), 2;
    for (long i = 0; i < n; i++) {
        if (txn == NULL && index_begin(ix, 0, &txn) != 0)
            return 2;
        unsigned char d[32];
        char code[CODE_LEN];
        SHA256((const unsigned char *)&i, sizeof i, d);
        code_from_digest(d, code);
        int rc = index_put_prepared(ix, txn, code, &rec);
        if (rc != 0 && rc != MDB_KEYEXIST)
            return fprintf(stderr, "fill-index: %s\n", index_strerror(rc)), 2;
        if ((i + 1) % 50000 == 0 || i + 1 == n) {
            if (mdb_txn_commit(txn) != 0)
                return 2;
            txn = NULL;
        }
    }
    index_prepared_free(&rec);
    index_close(ix);
    free(json);
    free(p7s);
    return 0;
}
