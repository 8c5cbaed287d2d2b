/* index_trust.c — the trust inputs the index keeps (docs/index-format.md,
 * meta and tables crls and issuers): anchors, intermediates, the school
 * registry, the CRLs and the issuers of CRLs once published; each change
 * moves trust_version on. */
#include "index_internal.h"

#include "digest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static str_t meta_str(index_t *ix, MDB_txn *txn, const char *key, int *rc)
{
    MDB_val k = {strlen(key), (void *)key}, v;
    int r = mdb_get(txn, ix->meta, &k, &v);
    if (r == MDB_NOTFOUND)
        return str_n(NULL, 0);
    if (r != 0)
        *rc = r;
    return r == 0 ? str_n(v.mv_data, v.mv_size) : str_n(NULL, 0);
}

/* Read every value of a table into list[0..n) (n: its entries when the
 * cursor started), as pointers into the map. */
static int read_table(MDB_txn *txn, MDB_dbi dbi, str_t *list, size_t n)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    size_t i = 0;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    while (rc == 0 && i < n && (rc = mdb_cursor_get(cur, &k, &v, i == 0 ? MDB_FIRST : MDB_NEXT)) == 0)
        list[i++] = str_n(v.mv_data, v.mv_size);
    if (cur != NULL)
        mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND || i == n ? 0 : rc;
}

int index_get_trust(index_t *ix, MDB_txn *txn, trust_inputs_t *in, str_t **crls)
{
    int rc = 0;
    MDB_stat cst, ist;
    memset(in, 0, sizeof *in);
    *crls = NULL;
    if ((rc = index_meta_get_u64(ix, txn, "trust_version", &in->version)) != 0)
        return rc;
    in->anchors = meta_str(ix, txn, "anchors", &rc);
    in->intermediates = meta_str(ix, txn, "intermediates", &rc);
    in->registry = meta_str(ix, txn, "registry", &rc);
    if (rc != 0 || (rc = mdb_stat(txn, ix->crls, &cst)) != 0 || (rc = mdb_stat(txn, ix->issuers, &ist)) != 0)
        return rc;
    /* one allocation for the caller to free: the CRLs, then the issuers
     * (each value: u16 LE length of the name's DER, the name, the key) */
    size_t nc = cst.ms_entries, ni = ist.ms_entries;
    str_t *list = malloc(nc * sizeof *list + ni * sizeof(trust_issuer_t) + 1);
    str_t *values = malloc(ni * sizeof *values + 1);
    if (list == NULL || values == NULL) {
        free(list);
        free(values);
        return ENOMEM;
    }
    trust_issuer_t *issuers = (trust_issuer_t *)(list + nc);
    if ((rc = read_table(txn, ix->crls, list, nc)) != 0 ||
        (rc = read_table(txn, ix->issuers, values, ni)) != 0)
        goto fail;
    for (size_t i = 0; i < ni; i++) {
        const uint8_t *p = (const uint8_t *)values[i].ptr;
        size_t nlen = values[i].len >= 2 ? (size_t)p[0] | (size_t)p[1] << 8 : 0;
        if (nlen == 0 || 2 + nlen >= values[i].len) {
            rc = INDEX_ECORRUPT;
            goto fail;
        }
        issuers[i].name = str_n(p + 2, nlen);
        issuers[i].spki = str_n(p + 2 + nlen, values[i].len - 2 - nlen);
    }
    free(values);
    in->ncrls = nc;
    in->crls = list;
    in->nissuers = ni;
    in->issuers = issuers;
    *crls = list;
    return 0;
fail:
    free(list);
    free(values);
    return rc;
}

int index_set_trust_value(index_t *ix, MDB_txn *txn, const char *name, str_t value)
{
    MDB_val k = {strlen(name), (void *)name}, v = {value.len, (void *)value.ptr};
    int rc = value.len == 0 ? ix_del(ix, txn, ix->meta, &k) : ix_put(ix, txn, ix->meta, &k, &v, 0);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    return rc ? rc : index_meta_bump(ix, txn, "trust_version");
}

int index_set_crls(index_t *ix, MDB_txn *txn, const str_t *crls, size_t n)
{
    int rc = ix_empty(ix, txn, ix->crls);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        unsigned char h[32];
        if (digest_sha256(crls[i].ptr, crls[i].len, h) != 0)
            return ENOMEM;
        MDB_val k = {32, h}, v = {crls[i].len, (void *)crls[i].ptr};
        rc = ix_put(ix, txn, ix->crls, &k, &v, 0);
    }
    return rc ? rc : index_meta_bump(ix, txn, "trust_version");
}

int index_remember_issuer(index_t *ix, MDB_txn *txn, const trust_issuer_t *issuer)
{
    unsigned char id[32];
    if (issuer->name.len == 0 || issuer->name.len > 0xffff || issuer->spki.len == 0)
        return EINVAL;
    if (trust_issuer_id(issuer, id) != 0)
        return ENOMEM;
    size_t len = 2 + issuer->name.len + issuer->spki.len;
    uint8_t *w = malloc(len);
    if (w == NULL)
        return ENOMEM;
    w[0] = (uint8_t)(issuer->name.len & 0xff);
    w[1] = (uint8_t)(issuer->name.len >> 8);
    memcpy(w + 2, issuer->name.ptr, issuer->name.len);
    memcpy(w + 2 + issuer->name.len, issuer->spki.ptr, issuer->spki.len);
    MDB_val k = {32, id}, v = {len, w};
    int rc = ix_put(ix, txn, ix->issuers, &k, &v, MDB_NOOVERWRITE);
    free(w);
    if (rc == MDB_KEYEXIST)
        return INDEX_OK; /* remembered already: nothing changes */
    if (rc != 0)
        return rc;
    return index_meta_bump(ix, txn, "trust_version");
}
