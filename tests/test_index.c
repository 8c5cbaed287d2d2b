/* test_index.c — the LMDB index: records keep the signed bytes exactly,
 * certificates are stored once, damage is reported as damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lookup/cms.h"
#include "lookup/code.h"
#include "lookup/digest.h"
#include "lookup/index.h"
#include "lookup/payload.h"
#include "tests/harness.h"

static char dir[256];
static index_t *ix;

typedef struct {
    uint8_t *json, *p7s;
    size_t jlen, plen;
    char code[CODE_LEN];
} pkg_t;

static pkg_t pkgs[16];
static size_t npkgs;

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    if (b != NULL && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int setup(void **state)
{
    (void)state;
    char cmd[1024], why[256];
    const char *bin = getenv("HOCBA_BIN");
    snprintf(dir, sizeof dir, "/tmp/hocba-test-index-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(cmd, sizeof cmd,
             "%s/hocba-demo --out %s/demo --students 12 --seed 5 >/dev/null && "
             "f=$(ls %s/demo/batch/*.p7s | head -1) && "
             "openssl cms -cmsout -inform DER -in \"$f\" -outform PEM -out %s/pem.p7s",
             bin ? bin : "bin", dir, dir, dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(cmd, sizeof cmd, "%s/demo/batch", dir);
    DIR *d = opendir(cmd);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && npkgs < 15) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char path[600];
        pkg_t *p = &pkgs[npkgs++];
        snprintf(path, sizeof path, "%s/demo/batch/%.*s.json", dir, (int)(n - 5), e->d_name);
        p->json = slurp(path, &p->jlen);
        snprintf(path, sizeof path, "%s/demo/batch/%.*s.p7s", dir, (int)(n - 5), e->d_name);
        p->p7s = slurp(path, &p->plen);
        code_from_payload(p->json, p->jlen, p->code);
    }
    if (d)
        closedir(d);
    /* one more: the first package's payload with its .p7s in PEM */
    pkg_t *pem = &pkgs[npkgs++];
    snprintf(cmd, sizeof cmd, "%s/pem.p7s", dir);
    pem->p7s = slurp(cmd, &pem->plen);
    pem->json = (uint8_t *)strdup("{\"pem\":true}");
    pem->jlen = strlen((char *)pem->json);
    code_from_payload(pem->json, pem->jlen, pem->code);
    snprintf(cmd, sizeof cmd, "%s/index", dir);
    return index_open(cmd, 0, &ix, why, sizeof why) == 0 && npkgs > 5 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    index_close(ix);
    for (size_t i = 0; i < npkgs; i++) {
        free(pkgs[i].json);
        free(pkgs[i].p7s);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void put_all(void)
{
    MDB_txn *txn;
    assert_int_equal(index_begin(ix, 0, &txn), 0);
    for (size_t i = 0; i < npkgs; i++) {
        int rc = index_put_doc(ix, txn, pkgs[i].code, INDEX_KIND_TRANSCRIPT, 1750000000,
                               str_n(pkgs[i].json, pkgs[i].jlen), str_n(pkgs[i].p7s, pkgs[i].plen), NULL);
        assert_true(rc == 0 || rc == MDB_KEYEXIST);
    }
    assert_int_equal(mdb_txn_commit(txn), 0);
}

static void test_index_gives_back_the_p7s_byte_for_byte(void **state)
{
    (void)state;
    put_all();
    MDB_txn *txn;
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    for (size_t i = 0; i < npkgs; i++) {
        index_doc_t d;
        assert_int_equal(index_get_doc(ix, txn, pkgs[i].code, INDEX_WITH_CMS, &d), INDEX_OK);
        assert_int_equal(d.payload.len, pkgs[i].jlen);
        assert_memory_equal(d.payload.ptr, pkgs[i].json, pkgs[i].jlen);
        if (d.cms.len != pkgs[i].plen || memcmp(d.cms.ptr, pkgs[i].p7s, pkgs[i].plen) != 0)
            fail_msg("package %zu: the .p7s came back different (%zu bytes, expected %zu)", i, d.cms.len,
                     pkgs[i].plen);
        assert_int_equal(d.published_at, 1750000000);
        index_doc_free(&d);
        /* without the flag, only the payload */
        assert_int_equal(index_get_doc(ix, txn, pkgs[i].code, 0, &d), INDEX_OK);
        assert_int_equal(d.cms.len, 0);
        index_doc_free(&d);
        /* head only: kind and time, nothing inflated */
        assert_int_equal(index_get_doc(ix, txn, pkgs[i].code, INDEX_HEAD_ONLY, &d), INDEX_OK);
        assert_int_equal(d.kind, INDEX_KIND_TRANSCRIPT);
        assert_int_equal(d.published_at, 1750000000);
        assert_int_equal(d.payload.len, 0);
        assert_null(d.owned);
        index_doc_free(&d);
    }
    mdb_txn_abort(txn);
}

/* The publisher hands over the certificates' hashes it has from
 * verification: the record is the very one index_prepare_doc makes. Hashes
 * for another number of certificates than the .p7s holds are not used. */
static void test_index_prepare_with_known_hashes_gives_the_same_record(void **state)
{
    (void)state;
    for (size_t i = 0; i + 1 < npkgs; i++) { /* the last one is PEM, kept whole */
        str_t json = str_n(pkgs[i].json, pkgs[i].jlen), p7s = str_n(pkgs[i].p7s, pkgs[i].plen);
        index_prepared_t plain, hashed, wrong;
        assert_int_equal(index_prepare_doc(INDEX_KIND_TRANSCRIPT, 1750000000, json, p7s, &plain), INDEX_OK);
        assert_true(plain.ncerts > 0);
        unsigned char(*h)[32] = calloc(plain.ncerts + 1, 32);
        for (size_t k = 0; k < plain.ncerts; k++)
            assert_int_equal(digest_sha256(plain.certs[k].der.ptr, plain.certs[k].der.len, h[k]), 0);
        assert_int_equal(index_prepare_doc_hashed(INDEX_KIND_TRANSCRIPT, 1750000000, json, p7s,
                                                  (const unsigned char(*)[32])h, plain.ncerts, &hashed),
                         INDEX_OK);
        assert_int_equal(hashed.len, plain.len);
        assert_memory_equal(hashed.value, plain.value, plain.len);
        memset(h, 0xAB, (plain.ncerts + 1) * 32); /* not the hashes, and one too many */
        assert_int_equal(index_prepare_doc_hashed(INDEX_KIND_TRANSCRIPT, 1750000000, json, p7s,
                                                  (const unsigned char(*)[32])h, plain.ncerts + 1, &wrong),
                         INDEX_OK);
        assert_int_equal(wrong.len, plain.len);
        assert_memory_equal(wrong.value, plain.value, plain.len);
        free(h);
        index_prepared_free(&plain);
        index_prepared_free(&hashed);
        index_prepared_free(&wrong);
    }
}

static void test_index_stores_each_certificate_once(void **state)
{
    (void)state;
    put_all();
    MDB_txn *txn;
    MDB_dbi certs;
    MDB_stat st;
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "certs", 0, &certs), 0);
    assert_int_equal(mdb_stat(txn, certs, &st), 0);
    mdb_txn_abort(txn);
    /* demo packages carry 4 certificates each (3 signers + issuing CA); a
     * dozen packages of a few schools share most of them */
    size_t carried = 4 * (npkgs - 1);
    if (st.ms_entries == 0 || st.ms_entries >= carried)
        fail_msg("expected fewer distinct certificates than the %zu carried, got %zu", carried,
                 (size_t)st.ms_entries);
}

static void test_index_never_overwrites_a_record(void **state)
{
    (void)state;
    put_all();
    MDB_txn *txn;
    assert_int_equal(index_begin(ix, 0, &txn), 0);
    int rc = index_put_doc(ix, txn, pkgs[0].code, INDEX_KIND_TRANSCRIPT, 1, str_c("{}"), str_c("x"), NULL);
    assert_int_equal(rc, MDB_KEYEXIST);
    mdb_txn_abort(txn);
}

/* Store docs[code] again as f leaves a copy of it (f may shorten it); commit. */
static void rewrite(const char code[CODE_LEN], void (*f)(uint8_t *value, size_t *len))
{
    MDB_txn *txn;
    MDB_dbi docs;
    MDB_val k = {CODE_LEN, (void *)code}, v;
    assert_int_equal(index_begin(ix, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "docs", 0, &docs), 0);
    assert_int_equal(mdb_get(txn, docs, &k, &v), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    MDB_val nv = {v.mv_size, copy};
    f(copy, &nv.mv_size);
    assert_int_equal(mdb_put(txn, docs, &k, &nv, 0), 0);
    free(copy);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

/* index_get_doc's answer for docs[code] in a read of its own (what it gave back is let go). */
static int read_doc(const char code[CODE_LEN], int flags)
{
    MDB_txn *txn;
    index_doc_t d;
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    int rc = index_get_doc(ix, txn, code, flags, &d);
    index_doc_free(&d);
    mdb_txn_abort(txn);
    return rc;
}

/* Delete from the certificate table the last certificate docs[code] names. */
static void drop_last_certificate(const char code[CODE_LEN])
{
    MDB_txn *txn;
    MDB_dbi docs, certs;
    MDB_val k = {CODE_LEN, (void *)code}, v;
    assert_int_equal(index_begin(ix, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "docs", 0, &docs), 0);
    assert_int_equal(mdb_dbi_open(txn, "certs", 0, &certs), 0);
    assert_int_equal(mdb_get(txn, docs, &k, &v), 0);
    MDB_val ck = {32, (uint8_t *)v.mv_data + v.mv_size - 32};
    assert_int_equal(mdb_del(txn, certs, &ck, NULL), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

static void cut_100_bytes(uint8_t *v, size_t *len)
{
    (void)v;
    *len -= 100;
}

static void test_index_reports_a_cut_record_as_damaged(void **state)
{
    (void)state;
    put_all();
    rewrite(pkgs[1].code, cut_100_bytes);
    assert_int_equal(read_doc(pkgs[1].code, INDEX_WITH_CMS), INDEX_ECORRUPT);
}

static void test_index_reports_a_missing_certificate_as_damaged(void **state)
{
    (void)state;
    put_all();
    drop_last_certificate(pkgs[2].code);
    MDB_txn *txn;
    index_doc_t d;
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    assert_int_equal(index_get_doc(ix, txn, pkgs[2].code, INDEX_WITH_CMS, &d), INDEX_ECORRUPT);
    index_doc_free(&d);
    /* the payload alone is still readable */
    assert_int_equal(index_get_doc(ix, txn, pkgs[2].code, 0, &d), INDEX_OK);
    index_doc_free(&d);
    mdb_txn_abort(txn);
}

static size_t stored_value_len(const char code[CODE_LEN], uint32_t *zlen)
{
    MDB_txn *txn;
    MDB_dbi docs;
    MDB_val k = {CODE_LEN, (void *)code}, v;
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "docs", 0, &docs), 0);
    assert_int_equal(mdb_get(txn, docs, &k, &v), 0);
    const uint8_t *p = v.mv_data;
    assert_true(v.mv_size >= INDEX_HEADER_LEN);
    assert_int_equal(p[0], INDEX_RECORD_FORMAT);
    *zlen = (uint32_t)p[24] | (uint32_t)p[25] << 8 | (uint32_t)p[26] << 16 | (uint32_t)p[27] << 24;
    size_t n = v.mv_size;
    mdb_txn_abort(txn);
    return n;
}

/* docs/index-format.md: a demo transcript of about 4 KB is stored as an LZ4
 * block and its CRC-32 (record format 4), so its record (with the .p7s's
 * signer infos) fits one 4 KB page; a payload that LZ4 cannot shorten is
 * kept as is. */
static void test_index_compresses_payloads_to_fit_a_page(void **state)
{
    (void)state;
    put_all();
    for (size_t i = 0; i + 1 < npkgs; i++) {
        uint32_t zlen;
        size_t n = stored_value_len(pkgs[i].code, &zlen);
        /* transcripts (2 KB and more) in under 60 %; recall notices shorter */
        if (zlen == 0 || zlen >= pkgs[i].jlen || (pkgs[i].jlen > 2048 && zlen * 10 > pkgs[i].jlen * 6))
            fail_msg("package %zu: expected a payload of %zu bytes stored compressed, got %u", i,
                     pkgs[i].jlen, zlen);
        if (n > 4096 - 16)
            fail_msg("package %zu: expected a record that fits one 4 KB page, got %zu bytes", i, n);
    }
    uint32_t zlen;
    stored_value_len(pkgs[npkgs - 1].code, &zlen); /* {"pem":true}: 12 bytes */
    assert_int_equal(zlen, 0);
}

static void flip_stream_byte(uint8_t *v, size_t *len)
{
    (void)len;
    uint32_t zlen = (uint32_t)v[24] | (uint32_t)v[25] << 8;
    v[INDEX_HEADER_LEN + zlen / 2] ^= 0x5a;
}

/* the CRC-32 after the LZ4 block: the block still unpacks, to the payload */
static void flip_check_byte(uint8_t *v, size_t *len)
{
    (void)len;
    uint32_t zlen = (uint32_t)v[24] | (uint32_t)v[25] << 8;
    v[INDEX_HEADER_LEN + zlen - 2] ^= 0x01;
}

/* one literal of the LZ4 block: it would unpack to another payload of the
 * same length, which only the CRC-32 tells from the one stored */
static void flip_literal_byte(uint8_t *v, size_t *len)
{
    (void)len;
    /* the block's first token: its high nibble counts the literals before
     * the first match; 15 says that length bytes follow (255: another) */
    size_t at = INDEX_HEADER_LEN;
    assert_true((v[at] >> 4) > 1);
    if (v[at++] >> 4 == 15)
        while (v[at++] == 255)
            ;
    assert_int_equal(v[at], '{'); /* the payload's first byte, a literal */
    v[at] ^= 0x01;
}

/* the stored length one byte short: the .p7s parts begin a byte early */
static void shorten_stored_payload(uint8_t *v, size_t *len)
{
    (void)len;
    assert_true(v[24] > 0);
    v[24]--;
}

static void claim_huge_payload(uint8_t *v, size_t *len)
{
    (void)len;
    v[6] = 0xff; /* payload length + 16 MiB */
}

static void count_fed(void *arg, const void *bytes, size_t len)
{
    (void)bytes;
    *(size_t *)arg += len;
}

/* a .p7s of 4 GiB: damage, found before anything is allocated for it */
static void claim_huge_signature_file(uint8_t *v, size_t *len)
{
    (void)len;
    v[8] = v[9] = v[10] = v[11] = 0xff;
}

static void test_index_reports_a_huge_signature_length_as_damaged(void **state)
{
    (void)state;
    put_all();
    const char *code = pkgs[3].code;
    rewrite(code, claim_huge_signature_file);
    MDB_txn *txn;
    index_doc_t d;
    size_t fed = 0;
    int kind;
    assert_int_equal(index_begin(ix, 1, &txn), 0);
    assert_int_equal(index_get_doc(ix, txn, code, INDEX_WITH_CMS, &d), INDEX_ECORRUPT);
    index_doc_free(&d);
    assert_int_equal(index_digest_doc(ix, txn, code, count_fed, &fed, &kind), INDEX_ECORRUPT);
    mdb_txn_abort(txn);
}

static void claim_longer_payload(uint8_t *v, size_t *len)
{
    (void)len;
    v[4]++;
}

/* A packed payload that does not unpack to exactly the length its header
 * says, or whose CRC-32 differs, is damage: "cannot check now", never a
 * verdict, and never an allocation the size of whatever a damaged header
 * claims. */
static void test_index_reports_a_damaged_compressed_payload(void **state)
{
    (void)state;
    put_all();
    void (*damages[])(uint8_t *, size_t *) = {flip_stream_byte, claim_huge_payload, claim_longer_payload,
                                              flip_check_byte,  flip_literal_byte,  shorten_stored_payload};
    size_t ndamages = sizeof damages / sizeof *damages;
    assert_true(npkgs > 6 + ndamages); /* the last is the PEM one, stored as is */
    for (size_t i = 0; i < ndamages; i++) {
        const char *code = pkgs[6 + i].code;
        rewrite(code, damages[i]);
        int rc = read_doc(code, 0);
        if (rc != INDEX_ECORRUPT)
            fail_msg("damage %zu: expected INDEX_ECORRUPT, got %d", i, rc);
    }
}

/* Records a writer before index format 6 stored (record format 3, the
 * payload a zlib stream) give their payload back byte for byte, and a
 * damaged stream is refused: the CRC of format 4 is not asked of them.
 * (The .p7s parts are the same bytes in both formats; an earlier test took
 * a certificate these records may share, so they are not rebuilt here.) */
static void test_index_reads_records_of_format_3(void **state)
{
    (void)state;
    put_all();
    /* records no other test alters (4 and 5 only take links), and one to damage */
    static const size_t which[] = {4, 5, 12};
    assert_true(npkgs > 13);
    for (size_t j = 0; j < 3; j++) {
        size_t i = which[j];
        MDB_txn *txn;
        MDB_dbi docs;
        MDB_val k = {CODE_LEN, (void *)pkgs[i].code}, v;
        size_t n;
        assert_int_equal(index_begin(ix, 0, &txn), 0);
        assert_int_equal(mdb_dbi_open(txn, "docs", 0, &docs), 0);
        assert_int_equal(mdb_get(txn, docs, &k, &v), 0);
        unsigned char *z = harness_record_as_zlib(v.mv_data, v.mv_size, &n);
        assert_non_null(z);
        if (j == 2)
            z[INDEX_HEADER_LEN + 10] ^= 0x5a; /* inside the zlib stream */
        MDB_val nv = {n, z};
        assert_int_equal(mdb_put(txn, docs, &k, &nv, 0), 0);
        free(z);
        assert_int_equal(mdb_txn_commit(txn), 0);

        index_doc_t d;
        assert_int_equal(index_begin(ix, 1, &txn), 0);
        int rc = index_get_doc(ix, txn, pkgs[i].code, 0, &d);
        if (j < 2) {
            assert_int_equal(rc, INDEX_OK);
            assert_int_equal(d.payload.len, pkgs[i].jlen);
            assert_memory_equal(d.payload.ptr, pkgs[i].json, pkgs[i].jlen);
        } else {
            assert_int_equal(rc, INDEX_ECORRUPT);
        }
        index_doc_free(&d);
        mdb_txn_abort(txn);
    }
}

/* Any payload comes back byte for byte, packed or kept as is, whatever its
 * size or how well it packs; a packed one is always shorter than the
 * payload, and one kept as is carries its CRC-32 (format 4): a flipped byte
 * in it is damage too. (Under ASan, a block written past its room fails.) */
static void test_index_packs_every_size_and_gives_it_back(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 4, 5, 6, 7, 8, 16, 100, 4096, 65536};
    uint32_t seed = 12345;
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        for (int random = 0; random < 2; random++) {
            size_t n = sizes[i];
            char *p = malloc(n + 1);
            for (size_t k = 0; k < n; k++) {
                seed = seed * 1103515245u + 12345u;
                p[k] = random ? (char)(seed >> 16) : "ab"[k % 7 == 0];
            }
            char code[CODE_LEN];
            code_from_payload(p, n, code);
            MDB_txn *txn;
            assert_int_equal(index_begin(ix, 0, &txn), 0);
            int rc = index_put_doc(ix, txn, code, INDEX_KIND_TRANSCRIPT, 1, str_n(p, n), str_c("x"), NULL);
            assert_true(rc == 0 || rc == MDB_KEYEXIST);
            assert_int_equal(mdb_txn_commit(txn), 0);
            uint32_t zlen;
            size_t len = stored_value_len(code, &zlen);
            if (zlen != 0 && zlen >= n)
                fail_msg("%zu %s bytes: expected a packed payload shorter than the payload, got %u", n,
                         random ? "random" : "repetitive", zlen);
            if (len != INDEX_HEADER_LEN + (zlen ? zlen : n + 4) + 1)
                fail_msg("%zu %s bytes: expected a record of %zu bytes, got %zu", n,
                         random ? "random" : "repetitive",
                         (size_t)(INDEX_HEADER_LEN + (zlen ? zlen : n + 4) + 1), len);
            index_doc_t d;
            assert_int_equal(index_begin(ix, 1, &txn), 0);
            assert_int_equal(index_get_doc(ix, txn, code, INDEX_WITH_CMS, &d), INDEX_OK);
            assert_int_equal(d.payload.len, n);
            if (n > 0)
                assert_memory_equal(d.payload.ptr, p, n);
            assert_int_equal(d.cms.len, 1);
            index_doc_free(&d);
            mdb_txn_abort(txn);
            free(p);
        }
    }
}

/* Nothing is prepared that a reader would call damaged: a payload or a .p7s over 1 MiB is refused. */
static void test_index_prepares_nothing_a_reader_refuses(void **state)
{
    (void)state;
    size_t big = ((size_t)1 << 20) + 1;
    char *b = calloc(1, big);
    index_prepared_t rec;
    assert_non_null(b);
    assert_int_equal(index_prepare_doc(INDEX_KIND_TRANSCRIPT, 1, str_n(b, big), str_c("x"), &rec), EINVAL);
    index_prepared_free(&rec);
    assert_int_equal(index_prepare_doc(INDEX_KIND_TRANSCRIPT, 1, str_c("{}"), str_n(b, big), &rec), EINVAL);
    index_prepared_free(&rec);
    assert_int_equal(index_prepare_doc(INDEX_KIND_TRANSCRIPT, 1, str_c("{}"), str_n(b, big - 1), &rec),
                     INDEX_OK);
    index_prepared_free(&rec);
    free(b);
}

/* a byte of a payload kept as is (format 4 follows it with its CRC-32) */
static void flip_verbatim_byte(uint8_t *v, size_t *len)
{
    (void)len;
    assert_int_equal(v[24] | v[25] | v[26] | v[27], 0);
    v[INDEX_HEADER_LEN + 2] ^= 0x01;
}

/* a packed payload no writer makes, yet one that unpacks and checks: none
 * at all, from an empty LZ4 block (a token of 0) and the CRC-32 of nothing (0) */
static void claim_empty_payload_packed(uint8_t *v, size_t *len)
{
    (void)len;
    v[4] = v[5] = v[6] = v[7] = 0;
    v[24] = 5, v[25] = v[26] = v[27] = 0;
    memset(v + INDEX_HEADER_LEN, 0, 5);
}

/* Format 4 checks what format 3 did not: a payload kept as is has its
 * CRC-32, and a packed payload is shorter than the payload. */
static void test_index_reports_a_damaged_payload_kept_as_is(void **state)
{
    (void)state;
    put_all();
    assert_true(npkgs > 14);
    const char *pem = pkgs[npkgs - 1].code; /* {"pem":true}: too short to pack */
    rewrite(pem, flip_verbatim_byte);
    rewrite(pkgs[13].code, claim_empty_payload_packed);
    const char *codes[] = {pem, pkgs[13].code};
    for (size_t i = 0; i < 2; i++) {
        int rc = read_doc(codes[i], 0);
        if (rc != INDEX_ECORRUPT)
            fail_msg("damage %zu: expected INDEX_ECORRUPT, got %d", i, rc);
    }
}

/* certificates taken out of a .p7s of no bytes (fuzz_record found the
 * rebuild doing arithmetic on a NULL buffer then) */
static void claim_certificates_of_no_p7s(uint8_t *v, size_t *len)
{
    (void)len;
    v[2] = 1, v[3] = 0;
    memset(v + 8, 0, 8); /* .p7s length and the bytes before its certificates: 0 */
}

static void test_index_reports_certificates_without_p7s_bytes_as_damaged(void **state)
{
    (void)state;
    put_all();
    rewrite(pkgs[0].code, claim_certificates_of_no_p7s); /* its record stays as put (never overwritten) */
    assert_int_equal(read_doc(pkgs[0].code, 0), INDEX_ECORRUPT);
    assert_int_equal(read_doc(pkgs[0].code, INDEX_WITH_CMS), INDEX_ECORRUPT);
}

static void test_index_links_and_document_ids(void **state)
{
    (void)state;
    MDB_txn *txn;
    char out[CODE_LEN];
    assert_int_equal(index_begin(ix, 0, &txn), 0);
    assert_int_equal(index_put_link(ix, txn, pkgs[3].code, INDEX_LINK_RECALLED_BY, pkgs[4].code), 0);
    assert_int_equal(index_put_link(ix, txn, pkgs[3].code, INDEX_LINK_RECALLED_BY, pkgs[5].code),
                     MDB_KEYEXIST);
    assert_int_equal(index_get_link(ix, txn, pkgs[3].code, INDEX_LINK_RECALLED_BY, out), INDEX_OK);
    assert_memory_equal(out, pkgs[4].code, CODE_LEN);
    assert_int_equal(index_get_link(ix, txn, pkgs[3].code, INDEX_LINK_SUPERSEDED_BY, out), INDEX_ENOTFOUND);
    assert_int_equal(index_put_docid(ix, txn, str_c("TH1"), str_c("HB-1"), pkgs[3].code, 0), 0);
    assert_int_equal(index_get_docid(ix, txn, str_c("TH1"), str_c("HB-1"), out), INDEX_OK);
    assert_memory_equal(out, pkgs[3].code, CODE_LEN);
    assert_int_equal(index_get_docid(ix, txn, str_c("TH1"), str_c("HB-2"), out), INDEX_ENOTFOUND);
    /* a taken id: refused, unless it passes on (a replacement keeps it) */
    assert_int_equal(index_put_docid(ix, txn, str_c("TH1"), str_c("HB-1"), pkgs[4].code, 0), MDB_KEYEXIST);
    assert_int_equal(index_get_docid(ix, txn, str_c("TH1"), str_c("HB-1"), out), INDEX_OK);
    assert_memory_equal(out, pkgs[3].code, CODE_LEN);
    assert_int_equal(index_put_docid(ix, txn, str_c("TH1"), str_c("HB-1"), pkgs[4].code, 1), 0);
    assert_int_equal(index_get_docid(ix, txn, str_c("TH1"), str_c("HB-1"), out), INDEX_OK);
    assert_memory_equal(out, pkgs[4].code, CODE_LEN);
    mdb_txn_abort(txn);
}

/* A file of tests/fixtures/ber/batch (the tests run from the project root). */
static uint8_t *ber_fixture(const char *stem, const char *ext, size_t *len)
{
    char path[300];
    snprintf(path, sizeof path, "tests/fixtures/ber/batch/%s.%s", stem, ext);
    uint8_t *b = slurp(path, len);
    if (b == NULL)
        fail_msg("%s is missing: run the tests from the project root", path);
    return b;
}

/* BER .p7s files (tests/fixtures/mkber.sh) have their certificates stored
 * once, as DER ones do, and come back byte for byte, whatever the form of
 * the certificate set's length: indefinite (Bouncy Castle) or definite in
 * an otherwise indefinite file (gpgsm). A set that holds something besides
 * certificates keeps the file whole, byte for byte too. */
static void test_index_splits_ber_files_and_rebuilds_them_byte_for_byte(void **state)
{
    (void)state;
    static const struct {
        const char *stem;
        int other_choice; /* an attribute certificate ([2]) joins the certificate set */
        size_t certs;     /* certificates taken out of the .p7s */
    } CASES[] = {
        {"bc-getencoded", 0, 4},
        {"bc-stream", 0, 4},
        {"gpgsm", 0, 4},
        {"bc-getencoded", 1, 0},
    };
    cms_signed_t *sd = malloc(sizeof *sd);
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        size_t jlen, plen;
        uint8_t *json = ber_fixture(CASES[i].stem, "json", &jlen);
        uint8_t *p7s = ber_fixture(CASES[i].stem, "p7s", &plen);
        char why[256], code[CODE_LEN];
        if (CASES[i].other_choice) {
            /* right after the set's header: its length is indefinite, as are
             * those of the SignedData and the ContentInfo, so none changes */
            static const uint8_t attr_cert[] = {0xa2, 0x02, 0x05, 0x00};
            assert_int_equal(cms_parse(p7s, plen, sd, why, sizeof why), CMS_OK);
            size_t at = sd->certs_start;
            assert_int_equal(p7s[at - 1], 0x80);
            p7s = realloc(p7s, plen + sizeof attr_cert);
            memmove(p7s + at + sizeof attr_cert, p7s + at, plen - at);
            memcpy(p7s + at, attr_cert, sizeof attr_cert);
            plen += sizeof attr_cert;
            json[jlen - 1] = ' '; /* another payload, so another code */
        }
        if (cms_parse(p7s, plen, sd, why, sizeof why) != CMS_OK)
            fail_msg("%s: the .p7s should read, got: %s", CASES[i].stem, why);
        code_from_payload(json, jlen, code);
        index_prepared_t rec;
        assert_int_equal(
            index_prepare_doc(INDEX_KIND_TRANSCRIPT, 1750000000, str_n(json, jlen), str_n(p7s, plen), &rec),
            INDEX_OK);
        size_t in_record = (size_t)rec.value[2] | (size_t)rec.value[3] << 8;
        if (rec.ncerts != CASES[i].certs || in_record != CASES[i].certs)
            fail_msg("%s%s: expected %zu certificates taken out, got %zu (record says %zu)", CASES[i].stem,
                     CASES[i].other_choice ? " with an attribute certificate" : "", CASES[i].certs,
                     rec.ncerts, in_record);
        MDB_txn *txn;
        assert_int_equal(index_begin(ix, 0, &txn), 0);
        assert_int_equal(index_put_prepared(ix, txn, code, &rec), 0);
        assert_int_equal(mdb_txn_commit(txn), 0);
        index_prepared_free(&rec);

        index_doc_t d;
        assert_int_equal(index_begin(ix, 1, &txn), 0);
        assert_int_equal(index_get_doc(ix, txn, code, INDEX_WITH_CMS, &d), INDEX_OK);
        if (d.cms.len != plen || memcmp(d.cms.ptr, p7s, plen) != 0)
            fail_msg("%s%s: the .p7s came back different (%zu bytes, expected %zu)", CASES[i].stem,
                     CASES[i].other_choice ? " with an attribute certificate" : "", d.cms.len, plen);
        assert_int_equal(d.ncerts, CASES[i].certs);
        index_doc_free(&d);
        mdb_txn_abort(txn);
        free(json);
        free(p7s);
    }
    free(sd);
}

static void test_index_refuses_what_is_not_an_index(void **state)
{
    (void)state;
    char path[300], why[256];
    index_t *other;
    snprintf(path, sizeof path, "%s/not-a-dir", dir);
    FILE *f = fopen(path, "w");
    fclose(f);
    assert_int_equal(index_open(path, 0, &other, why, sizeof why), -1);
    assert_non_null(strstr(why, "not an index directory"));
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(index_open(path, 1, &other, why, sizeof why), -1);
    assert_non_null(strstr(why, "not an index directory"));
}

static void test_index_refuses_a_newer_format(void **state)
{
    (void)state;
    char path[300], why[256];
    index_t *other;
    MDB_txn *txn;
    MDB_dbi meta;
    snprintf(path, sizeof path, "%s/newer", dir);
    assert_int_equal(index_open(path, 0, &other, why, sizeof why), 0);
    assert_int_equal(index_begin(other, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    MDB_val k = {6, "format"}, v = {1, "9"};
    assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    index_close(other);
    assert_int_equal(index_open(path, 1, &other, why, sizeof why), -1);
    /* newer programs wrote it: publishing again into a new index is no advice for it */
    if (strstr(why, "format 9") == NULL || strstr(why, "newer programs") == NULL ||
        strstr(why, "publish the packages again") != NULL)
        fail_msg("expected a message naming format 9 and the newer programs, got: %s", why);
    assert_int_equal(index_open(path, 0, &other, why, sizeof why), -1);
    if (strstr(why, "format 9") == NULL)
        fail_msg("expected a writer to refuse format 9 too, got: %s", why);
}

/* ---- the departments' figures (format 5) ------------------------------------------------- */

typedef struct {
    uint64_t published, recalled, replaced;
    size_t cells, unknown;
} sums_t;

static int add_sums(void *arg, const index_tally_t *t)
{
    sums_t *s = arg;
    s->published += t->published;
    s->recalled += t->recalled;
    s->replaced += t->replaced;
    s->cells++;
    s->unknown += t->level == 0;
    return 0;
}

/* Every transcript stored is counted once under its summary (its school
 * year, level, grade, school and province as signed), in both kinds of
 * cells; a record whose payload does not parse counts as unknown; a recall
 * link counts a recall under the recalled transcript's cell; a damaged cell
 * is reported as damage. */
static void test_index_counts_each_transcript_under_its_summary(void **state)
{
    (void)state;
    char path[300], why[256];
    index_t *x;
    MDB_txn *txn;
    size_t transcripts = 0, first = npkgs;
    snprintf(path, sizeof path, "%s/tally", dir);
    assert_int_equal(index_open(path, 0, &x, why, sizeof why), 0);
    assert_int_equal(index_begin(x, 0, &txn), 0);
    for (size_t i = 0; i < npkgs; i++) {
        payload_t pl;
        int parsed = payload_parse(pkgs[i].json, pkgs[i].jlen, &pl, why, sizeof why) == PAYLOAD_OK;
        if (parsed && pl.kind != PAYLOAD_TRANSCRIPT) {
            payload_free(&pl);
            continue;
        }
        assert_int_equal(index_put_doc(x, txn, pkgs[i].code, INDEX_KIND_TRANSCRIPT, 1750000000,
                                       str_n(pkgs[i].json, pkgs[i].jlen), str_n(pkgs[i].p7s, pkgs[i].plen),
                                       NULL),
                         0);
        transcripts++;
        if (first == npkgs)
            first = i;
        index_summary_t sm;
        assert_int_equal(index_get_summary(x, txn, pkgs[i].code, &sm), INDEX_OK);
        if (parsed) {
            assert_string_equal(sm.school, pl.school_code);
            assert_int_equal(sm.grade, pl.grade);
            assert_int_equal(sm.year, pl.year_start);
            assert_int_equal(sm.replacement, pl.has_supersedes);
            assert_int_equal(strlen(sm.province), pl.province_len);
            assert_memory_equal(sm.province, pl.province, pl.province_len);
            assert_true(sm.level >= INDEX_LEVEL_TH && sm.level <= INDEX_LEVEL_GDTX);
            payload_free(&pl);
        } else {
            assert_int_equal(sm.level, 0); /* {"pem":true}: unknown */
        }
    }
    sums_t by_school = {0}, by_province = {0};
    assert_int_equal(index_each_tally(x, txn, INDEX_TALLY_SCHOOLS, 0, add_sums, &by_school), INDEX_OK);
    assert_int_equal(index_each_tally(x, txn, INDEX_TALLY_PROVINCES, 0, add_sums, &by_province), INDEX_OK);
    assert_true(transcripts > 5);
    assert_int_equal(by_school.published, transcripts);
    assert_int_equal(by_province.published, transcripts);
    assert_int_equal(by_school.unknown, 1);
    assert_int_equal(by_school.recalled + by_province.recalled, 0);
    assert_true(by_province.cells <= by_school.cells);

    char notice[CODE_LEN];
    memset(notice, 'Z', CODE_LEN);
    assert_true(first < npkgs);
    assert_int_equal(index_put_link(x, txn, pkgs[first].code, INDEX_LINK_RECALLED_BY, notice), 0);
    memset(&by_school, 0, sizeof by_school);
    memset(&by_province, 0, sizeof by_province);
    assert_int_equal(index_each_tally(x, txn, INDEX_TALLY_SCHOOLS, 0, add_sums, &by_school), INDEX_OK);
    assert_int_equal(index_each_tally(x, txn, INDEX_TALLY_PROVINCES, 0, add_sums, &by_province), INDEX_OK);
    assert_int_equal(by_school.recalled, 1);
    assert_int_equal(by_province.recalled, 1);
    assert_int_equal(by_school.published, transcripts);

    /* a cell of the wrong size is damage, not a count */
    MDB_dbi tally;
    MDB_val k = {4, "P\x07\xe8\x01"}, v = {3, "bad"};
    assert_int_equal(mdb_dbi_open(txn, "tally", 0, &tally), 0);
    assert_int_equal(mdb_put(txn, tally, &k, &v, 0), 0);
    assert_int_equal(index_each_tally(x, txn, INDEX_TALLY_PROVINCES, 0, add_sums, &by_province),
                     INDEX_ECORRUPT);
    mdb_txn_abort(txn);
    index_close(x);
}

/* ---- upgrades in place (docs/index-format.md) ------------------------------------------ */

/* What a format-3 writer leaves: format 4 adds only the issuers table. */
static void make_format_3(index_t *x)
{
    MDB_txn *txn;
    MDB_dbi issuers, meta;
    MDB_val k = {6, "format"}, v = {1, "3"};
    assert_int_equal(index_begin(x, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "issuers", 0, &issuers), 0);
    assert_int_equal(mdb_drop(txn, issuers, 1), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
    assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
}

static void trust_state(index_t *x, size_t *nissuers, uint64_t *version)
{
    MDB_txn *txn;
    trust_inputs_t in;
    str_t *list;
    assert_int_equal(index_begin(x, 1, &txn), 0);
    assert_int_equal(index_get_trust(x, txn, &in, &list), INDEX_OK);
    *nissuers = in.nissuers;
    *version = in.version;
    free(list);
    mdb_txn_abort(txn);
}

static str_t demo_file(const char *name)
{
    char path[512];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/demo/%s", dir, name);
    uint8_t *b = slurp(path, &len);
    if (b == NULL)
        fail_msg("test setup: cannot read %s", path);
    return str_n(b, len);
}

typedef struct {
    const char *what;
    int intermediates; /* still in the store when the index was left at format 3 */
    int packages;      /* packages (carrying the issuing CA's certificate) are stored */
    size_t issuers;    /* remembered after the upgrade */
    int nowhere;       /* a CRL's issuer is nowhere: refused, and done with INDEX_OPEN_FORGET_UNFOUND */
} upgrade_case_t;

static const upgrade_case_t UPGRADE[] = {
    {"both CRLs verify: both issuers, from the certificates that verify them", 1, 1, 2, 0},
    {"the intermediates were taken out (issue 17): the issuing CA found among the packages' certificates", 0,
     1, 2, 0},
    {"the intermediates taken out, no package stored: the issuing CA is nowhere; refused, and with "
     "INDEX_OPEN_FORGET_UNFOUND only the root",
     0, 0, 1, 1},
};

/* package-format.md rev. 2 §6: the first writer to open a format-3 index
 * upgrades it in place, in one transaction, and fills the issuers table from
 * the CRLs stored (a CRL that stopped verifying included, when the issuer's
 * certificate is among the packages'); a reader refuses it before, naming
 * the command; the records are left as they are; a second open changes
 * nothing. A CRL whose issuer is nowhere is not forgotten silently: the
 * upgrade is refused unless the opener says INDEX_OPEN_FORGET_UNFOUND. */
static void test_index_upgrades_format_3_in_place_once(void **state)
{
    (void)state;
    str_t anchors = demo_file("trust/anchors.pem"), inters = demo_file("trust/intermediates.pem");
    str_t crls[2] = {demo_file("trust/issuing-ca.crl"), demo_file("trust/root-ca.crl")};
    for (size_t i = 0; i < sizeof UPGRADE / sizeof *UPGRADE; i++) {
        const upgrade_case_t *uc = &UPGRADE[i];
        char path[300], why[1024];
        index_t *x;
        MDB_txn *txn;
        snprintf(path, sizeof path, "%s/upgrade-%zu", dir, i);
        assert_int_equal(index_open(path, 0, &x, why, sizeof why), 0);
        assert_int_equal(index_begin(x, 0, &txn), 0);
        assert_int_equal(index_set_trust_value(x, txn, "anchors", anchors), 0);
        assert_int_equal(
            index_set_trust_value(x, txn, "intermediates", uc->intermediates ? inters : str_c("")), 0);
        assert_int_equal(index_set_crls(x, txn, crls, 2), 0);
        for (size_t k = 0; uc->packages && k + 1 < npkgs; k++)
            assert_int_equal(index_put_doc(x, txn, pkgs[k].code, INDEX_KIND_TRANSCRIPT, 1750000000,
                                           str_n(pkgs[k].json, pkgs[k].jlen),
                                           str_n(pkgs[k].p7s, pkgs[k].plen), NULL),
                             0);
        assert_int_equal(mdb_txn_commit(txn), 0);
        size_t n;
        uint64_t v3, v4, again;
        trust_state(x, &n, &v3);
        make_format_3(x);
        index_close(x);

        assert_int_equal(index_open(path, 1, &x, why, sizeof why), -1);
        char cmd[400];
        snprintf(cmd, sizeof cmd, "`hocba-publish --db %s status`", path);
        if (strstr(why, "format 3") == NULL || strstr(why, cmd) == NULL)
            fail_msg("%s: expected a reader to refuse format 3 naming %s, got: %s", uc->what, cmd, why);

        if (uc->nowhere) {
            assert_int_equal(index_open(path, 0, &x, why, sizeof why), -1);
            if (strstr(why, "no longer verifies") == NULL || strstr(why, "--drop-unverifiable-crls") == NULL)
                fail_msg("%s: expected the upgrade refused, naming the CRL and the way on, got: %s", uc->what,
                         why);
        }
        assert_int_equal(index_open(path, uc->nowhere ? INDEX_OPEN_FORGET_UNFOUND : 0, &x, why, sizeof why),
                         0);
        assert_int_equal(index_upgraded_from(x), 3);
        if ((index_upgrade_note(x)[0] != '\0') != uc->nowhere)
            fail_msg("%s: expected %s, got \"%s\"", uc->what, uc->nowhere ? "a note" : "no note",
                     index_upgrade_note(x));
        trust_state(x, &n, &v4);
        if (n != uc->issuers || v4 != v3 + uc->issuers)
            fail_msg("%s: expected %zu issuers remembered and the trust version %llu, got %zu and %llu",
                     uc->what, uc->issuers, (unsigned long long)(v3 + uc->issuers), n,
                     (unsigned long long)v4);
        assert_int_equal(index_begin(x, 1, &txn), 0);
        for (size_t k = 0; uc->packages && k + 1 < npkgs; k++) {
            index_doc_t d;
            assert_int_equal(index_get_doc(x, txn, pkgs[k].code, INDEX_WITH_CMS, &d), INDEX_OK);
            assert_true(str_eq(d.payload, str_n(pkgs[k].json, pkgs[k].jlen)));
            assert_true(str_eq(d.cms, str_n(pkgs[k].p7s, pkgs[k].plen)));
            index_doc_free(&d);
        }
        mdb_txn_abort(txn);
        index_close(x);

        assert_int_equal(index_open(path, 0, &x, why, sizeof why), 0);
        assert_int_equal(index_upgraded_from(x), 0);
        trust_state(x, &n, &again);
        assert_int_equal(again, v4);
        assert_int_equal(n, uc->issuers);
        index_close(x);
        assert_int_equal(index_open(path, 1, &x, why, sizeof why), 0);
        index_close(x);
    }
    free((void *)anchors.ptr);
    free((void *)inters.ptr);
    free((void *)crls[0].ptr);
    free((void *)crls[1].ptr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_gives_back_the_p7s_byte_for_byte),
        cmocka_unit_test(test_index_prepare_with_known_hashes_gives_the_same_record),
        cmocka_unit_test(test_index_stores_each_certificate_once),
        cmocka_unit_test(test_index_never_overwrites_a_record),
        cmocka_unit_test(test_index_reports_a_cut_record_as_damaged),
        cmocka_unit_test(test_index_reports_a_missing_certificate_as_damaged),
        cmocka_unit_test(test_index_compresses_payloads_to_fit_a_page),
        cmocka_unit_test(test_index_reports_a_damaged_compressed_payload),
        cmocka_unit_test(test_index_reports_a_huge_signature_length_as_damaged),
        cmocka_unit_test(test_index_reads_records_of_format_3),
        cmocka_unit_test(test_index_packs_every_size_and_gives_it_back),
        cmocka_unit_test(test_index_prepares_nothing_a_reader_refuses),
        cmocka_unit_test(test_index_reports_a_damaged_payload_kept_as_is),
        cmocka_unit_test(test_index_reports_certificates_without_p7s_bytes_as_damaged),
        cmocka_unit_test(test_index_links_and_document_ids),
        cmocka_unit_test(test_index_splits_ber_files_and_rebuilds_them_byte_for_byte),
        cmocka_unit_test(test_index_refuses_what_is_not_an_index),
        cmocka_unit_test(test_index_refuses_a_newer_format),
        cmocka_unit_test(test_index_upgrades_format_3_in_place_once),
        cmocka_unit_test(test_index_counts_each_transcript_under_its_summary),
    };
    return cmocka_run_group_tests_name("index", tests, setup, teardown);
}
