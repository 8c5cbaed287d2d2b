/* fill-index.c — bench only: grow an index to N records for the start-up
 * and memory figures, by storing one published package under N synthetic
 * codes (the records are not meant to verify; the portal's start-up must
 * not depend on how many there are).
 *   fill-index DB PAYLOAD.json PACKAGE.p7s N [SCHOOLS]
 * With SCHOOLS, the records are counted as transcripts of that many schools
 * across 34 provinces, the four levels and five school years, one in 50 a
 * replacement and one in 100 recalled: what `hocba-publish stats` reads
 * (bench/stats.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "lookup/code.h"
#include "lookup/index.h"

static const char *const PROVINCES[] = {"Thành phố Hà Nội", "Thành phố Huế", "Lai Châu",
                                        "Điện Biên",        "Sơn La",        "Lạng Sơn",
                                        "Quảng Ninh",       "Thanh Hóa",     "Nghệ An",
                                        "Hà Tĩnh",          "Cao Bằng",      "Tuyên Quang",
                                        "Lào Cai",          "Thái Nguyên",   "Phú Thọ",
                                        "Bắc Ninh",         "Hưng Yên",      "Thành phố Hải Phòng",
                                        "Ninh Bình",        "Quảng Trị",     "Thành phố Đà Nẵng",
                                        "Quảng Ngãi",       "Gia Lai",       "Khánh Hòa",
                                        "Lâm Đồng",         "Đắk Lắk",       "Thành phố Hồ Chí Minh",
                                        "Đồng Nai",         "Tây Ninh",      "Thành phố Cần Thơ",
                                        "Vĩnh Long",        "Đồng Tháp",     "Cà Mau",
                                        "An Giang"};

/* The summary of synthetic record i of a school out of `schools`. */
static void synthetic(long i, long schools, index_summary_t *s)
{
    static const int FIRST[] = {1, 6, 10, 10}, GRADES[] = {5, 4, 3, 3};
    int school = (int)(i % schools);
    memset(s, 0, sizeof *s);
    s->schema = 1;
    s->level = 1 + (int)(school % 4);
    s->grade = FIRST[s->level - 1] + (int)((i / schools) % GRADES[s->level - 1]);
    s->year = 2021 + (int)((i / schools) % 5);
    s->replacement = i % 50 == 49;
    snprintf(s->school, sizeof s->school, "S%05d", school);
    snprintf(s->province, sizeof s->province, "%s", PROVINCES[school % 34]);
}

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
    if (argc != 5 && argc != 6)
        return fprintf(stderr, "usage: fill-index DB PAYLOAD.json PACKAGE.p7s N [SCHOOLS]\n"), 2;
    long schools = argc == 6 ? atol(argv[5]) : 0;
    char *json = slurp(argv[2], &jl), *p7s = slurp(argv[3], &pl);
    long n = atol(argv[4]);
    if (json == NULL || p7s == NULL || n <= 0 || index_open(argv[1], 0, &ix, why, sizeof why) != 0)
        return fprintf(stderr, "fill-index: cannot start: %s\n", why), 2;
    MDB_txn *txn = NULL;
    index_prepared_t rec; /* the same record under n codes: compress it once */
    if (index_prepare_doc(INDEX_KIND_TRANSCRIPT, 1750000000, str_n(json, jl), str_n(p7s, pl), &rec) !=
        INDEX_OK)
        return fprintf(stderr, "fill-index: out of memory\n"), 2;
    for (long i = 0; i < n; i++) {
        if (txn == NULL && index_begin(ix, 0, &txn) != 0)
            return 2;
        unsigned char d[32];
        char code[CODE_LEN];
        SHA256((const unsigned char *)&i, sizeof i, d);
        code_from_digest(d, code);
        if (schools > 0)
            synthetic(i, schools, &rec.summary);
        int rc = index_put_prepared(ix, txn, code, &rec);
        if (rc == 0 && schools > 0 && i % 100 == 99) /* recalled by a notice of its own */
            rc = index_put_link(ix, txn, code, INDEX_LINK_RECALLED_BY, code);
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
