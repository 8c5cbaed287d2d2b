/* publish_check.c — the overlay of `hocba-publish check DIR`, the dry run of
 * `batch` (cli.md; cmd_check, beside cmd_batch in publish_batch.c, reads its
 * options, so that the overlay calls nothing of the pipeline that calls
 * it). A department runs it on a school's or a vendor's batch before a
 * publication deadline, beside a live portal and a publisher.
 *
 * It is `batch` itself (publish_packages in publish_batch.c: the same checks,
 * the same rounds for recalls and replacements, the same lines), run
 * against a read-only transaction instead of the write transaction: what
 * phase 2 would write (documents, links, document ids) goes into the
 * overlay below, and what it reads is looked up there first, then in the
 * index. So the outcome of a package that waits for another one of the
 * batch (a replacement for its recall, a recall for its transcript) is the
 * one `batch` would give, and nothing is written: a read-only transaction
 * never takes LMDB's writer lock, so `check` runs while a publisher holds
 * it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/publish.h"

/* Keys of the overlay's one table: 'd' + code -> facts[i]; 'l' + code +
 * type -> codes[i]; 'i' + school + '/' + document_id -> codes[i]. */
struct overlay {
    keytab_t *keys;
    stored_facts_t *facts;
    size_t nfacts, facts_cap;
    char (*codes)[CODE_LEN];
    size_t ncodes, codes_cap;
};

overlay_t *overlay_new(void)
{
    overlay_t *o = calloc(1, sizeof *o);
    if (o != NULL && (o->keys = keytab_new()) == NULL) {
        free(o);
        o = NULL;
    }
    return o;
}

void overlay_free(overlay_t *o)
{
    if (o == NULL)
        return;
    keytab_free(o->keys);
    free(o->facts);
    free(o->codes);
    free(o);
}

/* Keep code in codes[] and point key at it. */
static int put_code(overlay_t *o, const void *key, size_t klen, const char code[CODE_LEN])
{
    size_t i;
    if (keytab_get(o->keys, key, klen, &i)) {
        memcpy(o->codes[i], code, CODE_LEN);
        return 0;
    }
    if (o->ncodes == o->codes_cap) {
        size_t cap = o->codes_cap ? o->codes_cap * 2 : 64;
        char(*grown)[CODE_LEN] = realloc(o->codes, cap * sizeof *grown);
        if (grown == NULL)
            return ENOMEM;
        o->codes = grown;
        o->codes_cap = cap;
    }
    memcpy(o->codes[o->ncodes], code, CODE_LEN);
    int rc = keytab_put(o->keys, key, klen, o->ncodes);
    if (rc == 0)
        o->ncodes++;
    return rc;
}

static int get_code(const overlay_t *o, const void *key, size_t klen, char out[CODE_LEN])
{
    size_t i;
    if (!keytab_get(o->keys, key, klen, &i))
        return 0;
    memcpy(out, o->codes[i], CODE_LEN);
    return 1;
}

int overlay_put_doc(overlay_t *o, const char code[CODE_LEN], const stored_facts_t *facts)
{
    char key[1 + CODE_LEN] = {'d'};
    size_t i;
    memcpy(key + 1, code, CODE_LEN);
    if (keytab_get(o->keys, key, sizeof key, &i)) {
        o->facts[i] = *facts;
        return 0;
    }
    if (o->nfacts == o->facts_cap) {
        size_t cap = o->facts_cap ? o->facts_cap * 2 : 64;
        stored_facts_t *grown = realloc(o->facts, cap * sizeof *grown);
        if (grown == NULL)
            return ENOMEM;
        o->facts = grown;
        o->facts_cap = cap;
    }
    o->facts[o->nfacts] = *facts;
    int rc = keytab_put(o->keys, key, sizeof key, o->nfacts);
    if (rc == 0)
        o->nfacts++;
    return rc;
}

int overlay_get_doc(const overlay_t *o, const char code[CODE_LEN], stored_facts_t *out)
{
    char key[1 + CODE_LEN] = {'d'};
    size_t i;
    memcpy(key + 1, code, CODE_LEN);
    if (!keytab_get(o->keys, key, sizeof key, &i))
        return 0;
    *out = o->facts[i];
    return 1;
}

int overlay_put_link(overlay_t *o, const char code[CODE_LEN], int type, const char to[CODE_LEN])
{
    char key[2 + CODE_LEN] = {'l'};
    memcpy(key + 1, code, CODE_LEN);
    key[1 + CODE_LEN] = (char)type;
    return put_code(o, key, sizeof key, to);
}

int overlay_get_link(const overlay_t *o, const char code[CODE_LEN], int type, char out[CODE_LEN])
{
    char key[2 + CODE_LEN] = {'l'};
    memcpy(key + 1, code, CODE_LEN);
    key[1 + CODE_LEN] = (char)type;
    return get_code(o, key, sizeof key, out);
}

/* 'i' + school + '/' + document_id, as the docids table's keys. */
static size_t docid_key(const char *school, const char *docid, char key[KEYTAB_MAX_KEY])
{
    size_t s = strlen(school), d = strlen(docid);
    if (2 + s + d > KEYTAB_MAX_KEY)
        return 0;
    key[0] = 'i';
    memcpy(key + 1, school, s);
    key[1 + s] = '/';
    memcpy(key + 2 + s, docid, d);
    return 2 + s + d;
}

int overlay_put_docid(overlay_t *o, const char *school, const char *docid, const char code[CODE_LEN])
{
    char key[KEYTAB_MAX_KEY];
    size_t n = docid_key(school, docid, key);
    return n == 0 ? EINVAL : put_code(o, key, n, code);
}

int overlay_get_docid(const overlay_t *o, const char *school, const char *docid, char out[CODE_LEN])
{
    char key[KEYTAB_MAX_KEY];
    size_t n = docid_key(school, docid, key);
    return n != 0 && get_code(o, key, n, out);
}
