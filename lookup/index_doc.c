/* index_doc.c — the index's records (docs/index-format.md, table docs and
 * certs): a package stored as its payload (an LZ4 block when that is
 * shorter; records of format 3 hold a zlib stream, and read the same) and
 * its .p7s without the certificates, which are stored once each; read back
 * byte for byte. */
#include "index_internal.h"

#include "cms.h"
#include "digest.h"

#include <errno.h>
#include <libdeflate.h>
#include <limits.h>
#include <lz4.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A payload is at most 64 KiB when published; a header claiming more than
 * this is damage, and must not make a reader allocate gigabytes. */
#define MAX_STORED_PAYLOAD ((uint64_t)1 << 20)
#define MAX_STORED_CMS ((uint64_t)1 << 20) /* hocba-publish reads no .p7s over 1 MiB (P7S_MAX_BYTES) */

/* Check that a record's header and lengths add up; both readers (rebuild
 * and digest) and the upgrade's walk of the records go through here. */
int index_parse_record(const MDB_val v, record_t *r)
{
    const uint8_t *p = v.mv_data;
    if (v.mv_size < INDEX_HEADER_LEN || (p[0] != INDEX_RECORD_FORMAT && p[0] != INDEX_RECORD_FORMAT_ZLIB) ||
        (p[1] != INDEX_KIND_TRANSCRIPT && p[1] != INDEX_KIND_RECALL))
        return INDEX_ECORRUPT;
    r->format = p[0];
    r->ncerts = (uint64_t)p[2] | (uint64_t)p[3] << 8;
    r->plen = get_u32(p + 4);
    r->clen = get_u32(p + 8);
    r->prefix = get_u32(p + 12);
    r->zlen = get_u32(p + 24);
    /* format 4: a packed payload is an LZ4 block and a CRC-32, shorter than the payload (as the
     * writer makes it); one kept as is is followed by its CRC-32 too */
    if (r->format == INDEX_RECORD_FORMAT && r->zlen != 0 && (r->zlen <= 4 || r->zlen >= r->plen))
        return INDEX_ECORRUPT;
    uint64_t stored = r->zlen ? r->zlen : r->plen + (r->format == INDEX_RECORD_FORMAT ? 4 : 0);
    uint64_t fixed = INDEX_HEADER_LEN + stored + r->prefix + 32 * r->ncerts;
    /* each certificate taken out of the .p7s is one byte of it at least */
    if (fixed > v.mv_size || r->prefix > r->clen || r->plen > MAX_STORED_PAYLOAD ||
        r->clen > MAX_STORED_CMS || r->ncerts > r->clen - r->prefix)
        return INDEX_ECORRUPT;
    r->suffix = v.mv_size - fixed;
    r->kind = p[1];
    r->published_at = (int64_t)get_u64(p + 16);
    r->value = p;
    r->size = v.mv_size;
    r->payload = p + INDEX_HEADER_LEN;
    r->pre = r->payload + stored;
    r->suf = r->pre + r->prefix;
    r->hashes = r->suf + r->suffix;
    return INDEX_OK;
}

static int read_record(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], record_t *r)
{
    MDB_val k = {CODE_LEN, (void *)code}, v;
    int rc = mdb_get(txn, ix->docs, &k, &v);
    if (rc == MDB_NOTFOUND)
        return INDEX_ENOTFOUND;
    if (rc != 0)
        return rc;
    return index_parse_record(v, r);
}

/* The packed payload, unpacked into out (exactly plen bytes): format 4, an
 * LZ4 block (its CRC-32 follows it, checked by the caller as for a payload
 * kept as is); format 3, one whole zlib stream (its Adler-32 is the check).
 * Anything else than exactly plen bytes is damage. */
static int unpack_payload(const record_t *r, char *out)
{
    if (r->format == INDEX_RECORD_FORMAT_ZLIB) {
        /* libdeflate, one whole buffer at a time; a decompressor per call
         * costs nothing measurable and keeps no state */
        struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
        if (d == NULL)
            return ENOMEM;
        size_t in = 0, got = 0;
        enum libdeflate_result res =
            libdeflate_zlib_decompress_ex(d, r->payload, (size_t)r->zlen, out, (size_t)r->plen, &in, &got);
        libdeflate_free_decompressor(d);
        return res == LIBDEFLATE_SUCCESS && in == r->zlen && got == r->plen ? INDEX_OK : INDEX_ECORRUPT;
    }
    /* index_parse_record bounds plen to MAX_STORED_PAYLOAD, and zlen to 5..plen - 1 */
    if (r->zlen <= 4 || r->zlen - 4 > INT_MAX || r->plen > INT_MAX)
        return INDEX_ECORRUPT;
    int got = LZ4_decompress_safe((const char *)r->payload, out, (int)(r->zlen - 4), (int)r->plen);
    return got >= 0 && (uint64_t)got == r->plen ? INDEX_OK : INDEX_ECORRUPT;
}

int index_get_doc(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], int flags, index_doc_t *out)
{
    record_t r;
    memset(out, 0, sizeof *out);
    int rc = read_record(ix, txn, code, &r);
    if (rc != INDEX_OK)
        return rc;
    out->kind = r.kind;
    out->published_at = r.published_at;
    if (flags & INDEX_HEAD_ONLY)
        return INDEX_OK;
    int rebuild = (flags & INDEX_WITH_CMS) && r.ncerts > 0;
    /* one allocation: the unpacked payload, then the rebuilt .p7s */
    size_t own = (r.zlen ? r.plen : 0) + (rebuild ? r.clen : 0);
    if (own > 0 && (out->owned = malloc(own)) == NULL)
        return ENOMEM;
    if (r.zlen) {
        if ((rc = unpack_payload(&r, out->owned)) != INDEX_OK)
            return rc;
        out->payload = str_n(out->owned, r.plen);
    } else {
        out->payload = str_n(r.payload, r.plen);
    }
    /* format 4: the payload's CRC-32 ends what is stored of it, packed or kept as is. An LZ4 block
     * carries no check of its own, and a flipped literal would come back as another payload of the
     * same length: a damaged record, not a verdict. */
    if (r.format == INDEX_RECORD_FORMAT &&
        libdeflate_crc32(0, out->payload.ptr, r.plen) != get_u32(r.pre - 4))
        return INDEX_ECORRUPT;
    if (!(flags & INDEX_WITH_CMS))
        return INDEX_OK;
    if (r.ncerts == 0) {
        if (r.suffix != 0 || r.prefix != r.clen)
            return INDEX_ECORRUPT;
        out->cms = str_n(r.pre, r.prefix);
        return INDEX_OK;
    }
    char *cms = out->owned + (r.zlen ? r.plen : 0);
    size_t o = 0;
    memcpy(cms, r.pre, r.prefix);
    o += r.prefix;
    for (uint64_t i = 0; i < r.ncerts; i++) {
        MDB_val ck = {32, (void *)(r.hashes + 32 * i)}, cv;
        rc = mdb_get(txn, ix->certs, &ck, &cv);
        if (rc != 0 || cv.mv_size > r.clen - o)
            return rc == 0 || rc == MDB_NOTFOUND ? INDEX_ECORRUPT : rc;
        memcpy(cms + o, cv.mv_data, cv.mv_size);
        o += cv.mv_size;
    }
    if (r.suffix != r.clen - o)
        return INDEX_ECORRUPT;
    memcpy(cms + o, r.suf, r.suffix);
    out->cms = str_n(cms, r.clen);
    out->cert_sha256 = r.hashes;
    out->ncerts = (size_t)r.ncerts;
    return INDEX_OK;
}

int index_digest_doc(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], index_feed_fn feed, void *arg,
                     int *kind)
{
    record_t r;
    int rc = read_record(ix, txn, code, &r);
    if (rc != INDEX_OK)
        return rc;
    *kind = r.kind;
    feed(arg, r.value, r.size);
    for (uint64_t i = 0; i < r.ncerts; i++) {
        MDB_val ck = {32, (void *)(r.hashes + 32 * i)}, cv;
        if ((rc = mdb_get(txn, ix->certs, &ck, &cv)) != 0)
            return rc == MDB_NOTFOUND ? INDEX_ECORRUPT : rc;
        feed(arg, cv.mv_data, cv.mv_size);
    }
    return INDEX_OK;
}

void index_doc_free(index_doc_t *d)
{
    free(d->owned);
    d->owned = NULL;
}

/* The payload packed into buf (room for payload.len - 5 bytes): an LZ4 block.
 * @return the block's length, or 0 when the block and the CRC-32 that
 *         follows it would not be shorter than the payload (kept as is then). */
static size_t pack_payload(str_t payload, uint8_t *buf)
{
    /* LZ4 (Debian's liblz4) and the CRC-32: 4.7-4.8 µs to pack a demo
     * payload and 1.9-2.0 µs to unpack it, against libdeflate level 1's
     * 15.3-15.8 and 6.9-7.2 µs (format 3), over 2,041 demo payloads
     * (bench/codec.c); half the payload against zlib's 0.37, and the record
     * still fits one 4 KB page (docs/index-format.md). Its state lives on
     * this thread's stack. */
    if (payload.len <= 5 || payload.len > INT_MAX)
        return 0;
    int n = LZ4_compress_default(payload.ptr, (char *)buf, (int)payload.len, (int)payload.len - 5);
    return n > 0 ? (size_t)n : 0;
}

int index_prepare_doc(int kind, int64_t published_at, str_t payload, str_t cms, index_prepared_t *out)
{
    return index_prepare_doc_hashed(kind, published_at, payload, cms, NULL, 0, out);
}

int index_prepare_doc_hashed(int kind, int64_t published_at, str_t payload, str_t cms,
                             const unsigned char (*cert_sha256)[32], size_t nhashed, index_prepared_t *out)
{
    char why[128];
    memset(out, 0, sizeof *out);
    /* what a reader takes (index_parse_record): no record it would call damaged */
    if (payload.len > MAX_STORED_PAYLOAD || cms.len > MAX_STORED_CMS)
        return EINVAL;
    cms_signed_t *sd = malloc(sizeof *sd);
    uint8_t *z = malloc(payload.len + 1);
    int rc = ENOMEM;
    if (sd == NULL || z == NULL)
        goto done;
    size_t block = pack_payload(payload, z), zlen = block ? block + 4 : 0;
    size_t prefix = cms.len, suffix = 0, ncerts = 0;
    /* Split only what we can splice back exactly: a DER or BER file whose
     * certificate set holds certificates (each DER, or cms_parse refuses)
     * and nothing else; they are the set's whole content, back to back,
     * whatever the set's own length form, so its header stays in the bytes
     * before them and an indefinite length's end-of-contents octets in the
     * bytes after. */
    if (cms_parse((const uint8_t *)cms.ptr, cms.len, sd, why, sizeof why) == CMS_OK && sd->certs_only &&
        sd->ncerts > 0 && sd->ncerts <= 0xffff) {
        prefix = sd->certs_start;
        suffix = cms.len - sd->certs_end;
        ncerts = sd->ncerts;
    }
    size_t stored = (block ? block : payload.len) + 4; /* the payload's CRC-32 after either */
    out->len = INDEX_HEADER_LEN + stored + prefix + suffix + 32 * ncerts;
    if ((out->value = malloc(out->len)) == NULL ||
        (ncerts > 0 && (out->certs = calloc(ncerts, sizeof *out->certs)) == NULL))
        goto done;
    uint8_t *p = out->value, *w = p + INDEX_HEADER_LEN;
    memset(p, 0, INDEX_HEADER_LEN);
    p[0] = INDEX_RECORD_FORMAT;
    p[1] = (uint8_t)kind;
    p[2] = (uint8_t)(ncerts & 0xff);
    p[3] = (uint8_t)(ncerts >> 8);
    put_u32(p + 4, (uint32_t)payload.len);
    put_u32(p + 8, (uint32_t)cms.len);
    put_u32(p + 12, (uint32_t)prefix);
    put_u64(p + 16, (uint64_t)published_at);
    put_u32(p + 24, (uint32_t)zlen);
    memcpy(w, block ? (const void *)z : (const void *)payload.ptr, stored - 4);
    put_u32(w + stored - 4, libdeflate_crc32(0, payload.ptr, payload.len));
    w += stored;
    memcpy(w, cms.ptr, prefix);
    w += prefix;
    memcpy(w, cms.ptr + cms.len - suffix, suffix);
    w += suffix;
    for (size_t i = 0; i < ncerts; i++) {
        if (cert_sha256 != NULL && nhashed == ncerts)
            memcpy(w + 32 * i, cert_sha256[i], 32);
        else if (digest_sha256(sd->certs[i].der, sd->certs[i].len, w + 32 * i) != 0)
            goto done; /* rc is ENOMEM */
        memcpy(out->certs[i].sha256, w + 32 * i, 32);
        out->certs[i].der = str_n((const char *)sd->certs[i].der, sd->certs[i].len);
    }
    out->ncerts = ncerts;
    out->kind = kind;
    rc = INDEX_OK;
done:
    free(sd);
    free(z);
    if (rc != INDEX_OK)
        index_prepared_free(out);
    return rc;
}

int index_put_prepared(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], const index_prepared_t *rec)
{
    MDB_val k = {CODE_LEN, (void *)code}, v = {rec->len, rec->value};
    if (rec->value == NULL)
        return EINVAL;
    int rc = ix_put(ix, txn, ix->docs, &k, &v, MDB_NOOVERWRITE);
    for (size_t i = 0; i < rec->ncerts && rc == 0; i++) {
        MDB_val ck = {32, (void *)rec->certs[i].sha256},
                cv = {rec->certs[i].der.len, (void *)rec->certs[i].der.ptr};
        rc = ix_put(ix, txn, ix->certs, &ck, &cv, MDB_NOOVERWRITE);
        if (rc == MDB_KEYEXIST)
            rc = 0; /* stored already, for another package */
    }
    if (rc == 0 && rec->kind == INDEX_KIND_TRANSCRIPT)
        rc = index_count_transcript(ix, txn, code, &rec->summary);
    return rc ? rc : index_meta_bump(ix, txn, rec->kind == INDEX_KIND_RECALL ? "recalls" : "transcripts");
}

void index_prepared_free(index_prepared_t *rec)
{
    free(rec->value);
    free(rec->certs);
    memset(rec, 0, sizeof *rec);
}

int index_put_doc(index_t *ix, MDB_txn *txn, const char code[CODE_LEN], int kind, int64_t published_at,
                  str_t payload, str_t cms, const index_summary_t *summary)
{
    index_prepared_t rec;
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    int rc = index_prepare_doc(kind, published_at, payload, cms, &rec);
    if (rc == INDEX_OK && summary != NULL) {
        rec.summary = *summary;
    } else if (rc == INDEX_OK && kind == INDEX_KIND_TRANSCRIPT &&
               payload_parse(payload.ptr, payload.len, &pl, why, sizeof why) == PAYLOAD_OK) {
        if (index_summarize(&pl, NULL, &rec.summary) != 0)
            memset(&rec.summary, 0, sizeof rec.summary);
        payload_free(&pl);
    }
    if (rc == INDEX_OK)
        rc = index_put_prepared(ix, txn, code, &rec);
    index_prepared_free(&rec);
    return rc;
}
