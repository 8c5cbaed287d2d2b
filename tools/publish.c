/* publish.c — hocba-publish: the only writer of the index (cli.md).
 *
 * `batch` checks every package of a directory on all cores, then publishes
 * the accepted ones in one LMDB write transaction: all of them or none. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lookup/code.h"
#include "lookup/digest.h"
#include "lookup/index.h"
#include "lookup/jarena.h"
#include "lookup/payload.h"
#include "lookup/trust.h"
#include "lookup/utf8.h"
#include "lookup/verify.h"
#include "lookup/vnfold.h"
#include "tools/publish.h"

#define P7S_MAX_BYTES (1 << 20) /* a .p7s with a few signers and chains is ~10 KiB */
#define REASON_LEN 1024

enum { PKG_PENDING = 0, PKG_PUBLISHED, PKG_ALREADY, PKG_REFUSED };

/* What phase 2 needs of a payload, kept after its JSON tree is freed. */
typedef struct {
    int kind;
    int has_supersedes;
    char supersedes[CODE_LEN];
    char target[CODE_LEN];
    char school[24];
    char docid[72];
    char student[24];
    int has_principal; /* a transcript's principal, for a recall of it in the same batch */
    unsigned char principal[32];
    index_summary_t summary; /* a checked transcript's, for the figures (index_count_transcript) */
} facts_t;

typedef struct {
    char *stem;
    int has_json, has_p7s;
    facts_t f;
    char code[CODE_LEN];
    int has_code;
    uint8_t *json, *p7s;
    size_t jlen, plen;
    payload_t *pl;        /* a recall notice's, kept for phase 2 (malloc'd); NULL otherwise */
    index_prepared_t rec; /* a checked transcript's docs value, made by its worker */
    int outcome;
    char *reason; /* why it was refused or what it waits for (malloc'd); NULL until then */
} pkg_t;

typedef struct {
    const char *dir;
    pkg_t *pkgs;
    size_t n;
    trust_t *trust;
    int64_t now;
    atomic_size_t next, done;
    pthread_mutex_t lock; /* with `cond`: a worker finished a package */
    pthread_cond_t cond;
    atomic_uchar *ready;  /* ready[i] set when pkgs[i] is checked */
    atomic_size_t wake_done; /* the writer sleeps on cond until `done` reaches this; 0: awake */
    int dirfd;
    /* phase 2's store (store_* below): the write transaction, or for a dry
     * run a read-only one and the overlay of what the batch would write */
    index_t *ix;
    MDB_txn *txn;
    overlay_t *pending; /* NULL: not a dry run */
} batch_t;

void publish_die_usage(void)
{
    fprintf(
        stderr,
        "usage: hocba-publish --db PATH trust ANCHORS.pem [INTERMEDIATES.pem] [--drop-unverifiable-crls]\n"
        "       hocba-publish --db PATH crl FILE... [--drop-unverifiable-crls] [--allow-older-crl]\n"
        "       hocba-publish --db PATH schools REGISTRY.json [--accept-invalidation]\n"
        "       hocba-publish --db PATH batch DIR [--strict] [--json]\n"
        "       hocba-publish --db PATH check DIR [--json]\n"
        "       hocba-publish --db PATH status [--json]\n"
        "       hocba-publish --db PATH stats [--by province|school|grade] [--year YYYY-YYYY] "
        "[--csv|--json]\n"
        "       hocba-publish --db PATH certs [--expiring-before YYYY-MM-DD] [--school CODE] "
        "[--csv|--json]\n"
        "       hocba-publish --db PATH replay LOGDIR\n"
        "       hocba-publish --db PATH digest\n"
        "a writing command (trust, crl, schools, batch) takes --log LOGDIR (or HOCBA_LOG): the publication log\n");
    exit(EXIT_NOTHING);
}

/* Read a whole regular file of at most max bytes; path relative to dirfd
 * (AT_FDCWD for the working directory). With nofollow, a symbolic link is
 * refused instead of followed: a batch reads only the files inside its
 * directory (cli.md), never what a link there points at. */
static int read_file_at(int dirfd, const char *path, int nofollow, size_t max, uint8_t **out, size_t *len,
                        char *why, size_t whylen)
{
    /* O_NONBLOCK: a FIFO (or a device) named like a package must be refused
     * below, not wait forever for a writer while the batch holds the index's
     * write transaction; it changes nothing for a regular file */
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (nofollow ? O_NOFOLLOW : 0));
    struct stat st;
    *out = NULL;
    *len = 0;
    if (fd < 0 && nofollow && errno == ELOOP) {
        snprintf(why, whylen, "%s is a symbolic link; a batch reads only regular files inside its directory",
                 path);
        return -1;
    }
    if (fd < 0) {
        snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "%s is not a regular file", path);
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > max) {
        snprintf(why, whylen, "%s is %lld bytes; the limit is %zu", path, (long long)st.st_size, max);
        close(fd);
        *len = (size_t)st.st_size;
        return -2;
    }
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf != NULL && got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (buf == NULL || got != (size_t)st.st_size) {
        snprintf(why, whylen, "cannot read %s", path);
        free(buf);
        return -1;
    }
    *out = buf;
    *len = got;
    return 0;
}

static int read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *why, size_t whylen)
{
    return read_file_at(AT_FDCWD, path, 0, max, out, len, why, whylen);
}

/* The trust store of the inputs txn sees (the remembered issuers included).
 * Without the registry (with_registry 0) it still judges chains and CRLs:
 * what `trust` and `crl` compare. */
static int build_trust_from(index_t *ix, MDB_txn *txn, int with_registry, trust_t **trust, char *why,
                            size_t whylen)
{
    trust_inputs_t in;
    str_t *crls = NULL;
    int rc = index_get_trust(ix, txn, &in, &crls);
    if (rc != 0) {
        snprintf(why, whylen, "cannot read the trust inputs: %s", index_strerror(rc));
    } else {
        if (!with_registry)
            in.registry = str_n(NULL, 0);
        rc = trust_build(&in, trust, why, whylen);
    }
    free(crls);
    return rc == 0 ? 0 : -1;
}

int publish_trust_from(index_t *ix, MDB_txn *txn, trust_t **trust, char *why, size_t whylen)
{
    return build_trust_from(ix, txn, 1, trust, why, whylen);
}

static int load_trust(index_t *ix, trust_t **trust, char *why, size_t whylen)
{
    MDB_txn *txn;
    int rc = index_begin(ix, 1, &txn);
    if (rc != 0) {
        snprintf(why, whylen, "cannot read the index: %s", index_strerror(rc));
        return -1;
    }
    rc = build_trust_from(ix, txn, 1, trust, why, whylen);
    mdb_txn_abort(txn);
    return rc;
}

/* package-format.md §6: once a CRL of an issuer is published, the index
 * remembers the issuer for good. Every CRL that verifies in t (the store as
 * the write transaction leaves it) names one. */
static int remember_issuers(index_t *ix, MDB_txn *txn, const trust_t *t)
{
    const trust_crl_info_t *ci;
    size_t n = trust_crl_infos(t, &ci);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (ci[i].verifies)
            rc = index_remember_issuer(ix, txn, &ci[i].issuer);
    return rc;
}

/* ---- trust, crl, schools ------------------------------------------------------ */

static int commit_or_say(index_t *ix, MDB_txn *txn, int rc, const char *what)
{
    if (rc == 0)
        rc = index_commit(ix, txn);
    else
        index_abort(ix, txn);
    if (rc != 0) {
        fprintf(stderr, "hocba-publish: %s: nothing was changed: %s\n", what, index_write_error(ix, rc));
        return EXIT_NOTHING;
    }
    return 0;
}

/* A CRL, as the refusals and warnings of `trust` and `crl` name it. */
static const char *crl_words(const trust_crl_info_t *ci, char *out, size_t n)
{
    snprintf(out, n, "CRL %s%s of CA \"%s\" [%s]", ci->number[0] ? "number " : "(no number)", ci->number,
             ci->issuer_cn, ci->issuer_hash);
    return out;
}

/* package-format.md §6: `trust` must not leave a stored CRL unverifiable
 * unseen. Says which CRLs that verify with `before` (the store now; NULL
 * when there is none) would not with `after` (the same CRLs and issuers
 * under the new anchors and intermediates).
 * @return how many. */
static size_t crls_lost(const trust_t *before, const trust_t *after, int drop)
{
    const trust_crl_info_t *b, *a;
    size_t nb = before != NULL ? trust_crl_infos(before, &b) : 0, na = trust_crl_infos(after, &a), lost = 0;
    char words[256];
    /* both stores read the same stored CRLs in the same order */
    for (size_t i = 0; i < nb && i < na; i++) {
        if (!b[i].verifies || a[i].verifies)
            continue;
        lost++;
        fprintf(stderr, "hocba-publish: trust: %s %s against these anchors and intermediates%s\n",
                crl_words(&b[i], words, sizeof words), drop ? "no longer verifies" : "would no longer verify",
                drop ? " (--drop-unverifiable-crls): the records under that CA answer \"cannot check now\" "
                       "until a "
                       "CRL of it verifies again"
                     : "");
    }
    return lost;
}

static int cmd_trust(index_t *ix, int argc, char **argv, int drop)
{
    char why[TRUST_WHY_LEN];
    uint8_t *a = NULL, *m = NULL;
    size_t alen = 0, mlen = 0;
    int rc = EXIT_NOTHING, na, nm = 0;
    MDB_txn *txn;
    trust_t *before = NULL, *after = NULL;

    if (argc < 1 || argc > 2)
        publish_die_usage();
    if (read_file(argv[0], 16 << 20, &a, &alen, why, sizeof why) != 0 ||
        (argc == 2 && read_file(argv[1], 16 << 20, &m, &mlen, why, sizeof why) != 0)) {
        fprintf(stderr, "hocba-publish: trust: %s\n", why);
        goto done;
    }
    if ((na = trust_check_bundle(str_n(a, alen), 1, why, sizeof why)) < 0) {
        fprintf(stderr, "hocba-publish: trust: %s: %s; nothing was changed\n", argv[0], why);
        goto done;
    }
    if (argc == 2 && (nm = trust_check_bundle(str_n(m, mlen), 0, why, sizeof why)) < 0) {
        fprintf(stderr, "hocba-publish: trust: %s: %s; nothing was changed\n", argv[1], why);
        goto done;
    }
    int r = index_begin(ix, 0, &txn);
    if (r != 0) {
        fprintf(stderr, "hocba-publish: trust: nothing was changed: %s\n", index_write_error(ix, r));
        goto done;
    }
    /* the store now (none yet on a new index: nothing verifies, nothing is lost) */
    if (build_trust_from(ix, txn, 0, &before, why, sizeof why) != 0)
        before = NULL;
    r = index_set_trust_value(ix, txn, "anchors", str_n(a, alen));
    if (r == 0)
        r = index_set_trust_value(ix, txn, "intermediates", str_n(m, mlen));
    if (r == 0 && build_trust_from(ix, txn, 0, &after, why, sizeof why) != 0) {
        mdb_txn_abort(txn);
        fprintf(stderr, "hocba-publish: trust: %s; nothing was changed\n", why);
        goto done;
    }
    if (r == 0 && crls_lost(before, after, drop) > 0 && !drop) {
        mdb_txn_abort(txn);
        fprintf(stderr,
                "hocba-publish: trust: refused, nothing was changed: the revocations of what those CAs "
                "issued could not be checked, so their records would answer \"cannot check now\" (503) "
                "and batch would refuse their packages; give each CA's certificate in the anchors or "
                "intermediates, or --drop-unverifiable-crls to go ahead all the same\n");
        goto done;
    }
    /* a stored CRL the new store verifies names an issuer too */
    if (r == 0)
        r = remember_issuers(ix, txn, after);
    if ((rc = commit_or_say(ix, txn, r, "trust")) == 0)
        printf("trust anchors: %d, intermediate certificates: %d\n", na, nm);
done:
    trust_free(before);
    trust_free(after);
    free(a);
    free(m);
    return rc;
}

/* package-format.md §6: `crl` must not take the last verifying CRL of a
 * remembered issuer away unseen. Says which remembered issuers in the store
 * have no CRL that verifies in `after` (the new set); `before` names the CRL
 * of it stored now.
 * @return how many. */
static size_t issuers_left_unchecked(const trust_t *before, const trust_t *after, int drop)
{
    const trust_issuer_info_t *is;
    const trust_crl_info_t *b;
    size_t n = trust_issuer_infos(after, &is), nb = trust_crl_infos(before, &b), left = 0;
    char words[256];
    for (size_t i = 0; i < n; i++) {
        /* an issuer that is not in the store cannot have a CRL that
         * verifies: no set could hold one (its certificates fail chain, or
         * answer "cannot check now" when a package carries the CA) */
        if (is[i].checked || !is[i].in_store)
            continue;
        left++;
        size_t k = 0;
        while (k < nb && !(b[k].verifies && memcmp(b[k].issuer_id, is[i].id, 32) == 0))
            k++;
        fprintf(stderr,
                "hocba-publish: crl: the new set holds no CRL of CA \"%s\" [%s] that verifies (%s%s)%s\n",
                is[i].cn, is[i].hash,
                k < nb ? crl_words(&b[k], words, sizeof words) : "none of its CRLs verifies now",
                k < nb ? " is stored now" : " either",
                drop ? " (--drop-unverifiable-crls): the records under that CA answer \"cannot check now\" "
                       "until a "
                       "CRL of it is published again"
                     : "");
    }
    return left;
}

/* The order of two CRLs of one issuer: by cRLNumber when both have one (RFC
 * 5280 §5.2.3: it increases with each CRL), else by thisUpdate. <0 when a is
 * older than b. */
static int crl_order(const trust_crl_info_t *a, const trust_crl_info_t *b)
{
    if (a->number[0] && b->number[0] && a->number[0] != '-' && b->number[0] != '-') {
        /* decimal without leading zeros: the longer is the larger */
        size_t la = strlen(a->number), lb = strlen(b->number);
        if (la != lb)
            return la < lb ? -1 : 1;
        return strcmp(a->number, b->number);
    }
    return a->this_update < b->this_update ? -1 : a->this_update > b->this_update;
}

/* The newest CRL in use of issuer id in t, or NULL. */
static const trust_crl_info_t *newest_crl(const trust_t *t, const unsigned char id[32])
{
    const trust_crl_info_t *ci, *newest = NULL;
    size_t n = trust_crl_infos(t, &ci);
    for (size_t i = 0; i < n; i++)
        if (ci[i].verifies && memcmp(ci[i].issuer_id, id, 32) == 0 &&
            (newest == NULL || crl_order(&ci[i], newest) > 0))
            newest = &ci[i];
    return newest;
}

/* Review: `crl` must not take a CA back to an older CRL unseen (what the
 * newer one revokes would be valid again). Says of each CA with a CRL in use
 * in `before` (the store now) whose newest CRL in use in `after` (the new
 * set) is older than its newest now, naming both.
 * @return how many. */
static size_t crls_older(const trust_t *before, const trust_t *after, int allow)
{
    const trust_crl_info_t *b;
    size_t nb = trust_crl_infos(before, &b), older = 0;
    char was[256], now[256], ta[24], tb[24];
    for (size_t i = 0; i < nb; i++) {
        const trust_crl_info_t *old = newest_crl(before, b[i].issuer_id);
        if (old != &b[i]) /* each CA once, at its newest CRL now */
            continue;
        const trust_crl_info_t *neu = newest_crl(after, b[i].issuer_id);
        if (neu == NULL || crl_order(neu, old) >= 0) /* none: issuers_left_unchecked's to say */
            continue;
        older++;
        fprintf(stderr,
                "hocba-publish: crl: the new set's newest %s (issued %s) is older than %s (issued %s) "
                "stored now%s\n",
                crl_words(neu, now, sizeof now), publish_rfc3339(neu->this_update, ta),
                crl_words(old, was, sizeof was), publish_rfc3339(old->this_update, tb),
                allow ? " (--allow-older-crl): going back to it; what only the newer one revokes is not "
                        "revoked any more"
                      : "");
    }
    return older;
}

static int cmd_crl(index_t *ix, int argc, char **argv, int drop, int allow_older)
{
    char why[TRUST_WHY_LEN];
    trust_t *trust = NULL, *after = NULL;
    uint8_t **bufs = calloc((size_t)argc + 1, sizeof *bufs);
    str_t *crls = calloc((size_t)argc + 1, sizeof *crls);
    int rc = EXIT_NOTHING;
    MDB_txn *txn;

    if (argc < 1)
        publish_die_usage();
    if (bufs == NULL || crls == NULL) {
        fprintf(stderr, "hocba-publish: crl: out of memory\n");
        goto done;
    }
    if (load_trust(ix, &trust, why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: crl: %s\n", why);
        goto done;
    }
    int total = 0;
    for (int i = 0; i < argc; i++) {
        size_t len;
        int n = -1;
        if (read_file(argv[i], 64 << 20, &bufs[i], &len, why, sizeof why) != 0 ||
            (n = trust_check_crl(trust, str_n(bufs[i], len), why, sizeof why)) < 0) {
            fprintf(stderr, "hocba-publish: crl: %s: refused: %s; nothing was changed\n", argv[i], why);
            goto done;
        }
        total += n;
        crls[i] = str_n(bufs[i], len);
    }
    int r = index_begin(ix, 0, &txn);
    if (r != 0) {
        fprintf(stderr, "hocba-publish: crl: nothing was changed: %s\n", index_write_error(ix, r));
        goto done;
    }
    r = index_set_crls(ix, txn, crls, (size_t)argc);
    if (r == 0 && build_trust_from(ix, txn, 0, &after, why, sizeof why) != 0) {
        mdb_txn_abort(txn);
        fprintf(stderr, "hocba-publish: crl: %s; nothing was changed\n", why);
        goto done;
    }
    if (r == 0 && crls_older(trust, after, allow_older) > 0 && !allow_older) {
        mdb_txn_abort(txn);
        fprintf(stderr,
                "hocba-publish: crl: refused, nothing was changed: going back to an older CRL of a CA would "
                "make what only the newer one revokes valid again; give each CA's newest CRL, or "
                "--allow-older-crl if the CA itself went back (--drop-unverifiable-crls does not)\n");
        goto done;
    }
    if (r == 0 && issuers_left_unchecked(trust, after, drop) > 0 && !drop) {
        mdb_txn_abort(txn);
        fprintf(stderr,
                "hocba-publish: crl: refused, nothing was changed: without a CRL that verifies, the "
                "revocations of what those CAs issued cannot be checked, so their records would answer "
                "\"cannot check now\" (503) and batch would refuse their packages; give each CA's "
                "current CRL too (the set replaces the whole set), or --drop-unverifiable-crls to go "
                "ahead all the same\n");
        goto done;
    }
    if (r == 0)
        r = remember_issuers(ix, txn, after);
    if ((rc = commit_or_say(ix, txn, r, "crl")) == 0)
        printf("CRLs: %d loaded\n", total);
done:
    for (int i = 0; bufs != NULL && i < argc; i++)
        free(bufs[i]);
    free(bufs);
    free(crls);
    trust_free(trust);
    trust_free(after);
    return rc;
}

/* ---- schools: a new registry, and the records it would invalidate ------------------ */

/* What `schools` found newly failing: a check, for a certificate in a role
 * at a school, in so many records. */
typedef struct {
    char school[24];
    char role[40];
    int check;
    unsigned char cert[32];
    size_t records;
} finding_t;

typedef struct {
    index_t *ix;
    MDB_txn *txn;
    trust_t *old, *new;
    verdict_t *va, *vb;
    char (*codes)[CODE_LEN]; /* a school's transcripts, while it is looked at */
    size_t ncodes, cap;
    finding_t *found;
    size_t nfound, found_cap;
    size_t schools, records, invalidated; /* schools changed, records re-checked, records newly failing */
    int all; /* a certificate became a seal: every published record was re-checked */
    int dbrc;
} recheck_t;

static int add_code(void *arg, const char code[CODE_LEN])
{
    recheck_t *rc = arg;
    if (rc->ncodes == rc->cap) {
        size_t cap = rc->cap ? rc->cap * 2 : 256;
        char(*grown)[CODE_LEN] = realloc(rc->codes, cap * sizeof *grown);
        if (grown == NULL)
            return ENOMEM;
        rc->codes = grown;
        rc->cap = cap;
    }
    memcpy(rc->codes[rc->ncodes++], code, CODE_LEN);
    return 0;
}

static int code_cmp(const void *a, const void *b)
{
    return memcmp(a, b, CODE_LEN);
}

/* Every published transcript of a school into rc->codes, sorted, each once:
 * those its document_ids name and, down each supersedes link, the
 * transcripts replaced under the same document_id. */
static int school_codes(recheck_t *rc, const char *school)
{
    rc->ncodes = 0;
    int r = index_each_docid(rc->ix, rc->txn, str_c(school), add_code, rc);
    for (size_t i = 0; r == INDEX_OK && i < rc->ncodes; i++) {
        char old[CODE_LEN];
        int l = index_get_link(rc->ix, rc->txn, rc->codes[i], INDEX_LINK_SUPERSEDES, old);
        if (l == INDEX_OK)
            r = add_code(rc, old); /* looked at in turn: its own link is followed too */
        else if (l != INDEX_ENOTFOUND)
            r = l;
    }
    if (r != INDEX_OK)
        return r;
    if (rc->ncodes == 0)
        return INDEX_OK;
    qsort(rc->codes, rc->ncodes, CODE_LEN, code_cmp);
    size_t n = 0;
    for (size_t i = 0; i < rc->ncodes; i++)
        if (n == 0 || memcmp(rc->codes[n - 1], rc->codes[i], CODE_LEN) != 0)
            memmove(rc->codes[n++], rc->codes[i], CODE_LEN);
    rc->ncodes = n;
    return INDEX_OK;
}

static int is_registry_check(int check)
{
    return check == VERIFY_ROLES || check == VERIFY_SEAL_REGISTRY || check == VERIFY_STAFF_REGISTRY;
}

static int fails(const verdict_t *v, int check, int signer)
{
    for (size_t i = 0; i < v->nitems; i++)
        if (!v->items[i].ok && v->items[i].check == check && v->items[i].signer == signer)
            return 1;
    return 0;
}

static int note_finding(recheck_t *rc, const char *school, const verdict_t *v, const verify_item_t *it)
{
    finding_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.school, sizeof f.school, "%s", school);
    snprintf(f.role, sizeof f.role, "%s", it->signer >= 0 ? v->signers[it->signer].role : "-");
    f.check = it->check;
    if (it->signer >= 0)
        memcpy(f.cert, v->signers[it->signer].cert_sha256, 32);
    for (size_t i = 0; i < rc->nfound; i++) {
        finding_t *g = &rc->found[i];
        if (g->check == f.check && strcmp(g->school, f.school) == 0 && strcmp(g->role, f.role) == 0 &&
            memcmp(g->cert, f.cert, 32) == 0) {
            g->records++;
            return 0;
        }
    }
    if (rc->nfound == rc->found_cap) {
        size_t cap = rc->found_cap ? rc->found_cap * 2 : 16;
        finding_t *grown = realloc(rc->found, cap * sizeof *grown);
        if (grown == NULL)
            return ENOMEM;
        rc->found = grown;
        rc->found_cap = cap;
    }
    f.records = 1;
    rc->found[rc->nfound++] = f;
    return 0;
}

/* One published record under both registries: what checks 6-8 fail under
 * the new one that they did not under the old one. Only the registry's
 * checks are computed (verify_shared_t.registry_only). */
static int recheck_record(recheck_t *rc, const char *school, const char code[CODE_LEN])
{ /* school NULL: the record's own school.code */
    index_doc_t doc;
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    memset(&pl, 0, sizeof pl);
    int r = index_get_doc(rc->ix, rc->txn, code, INDEX_WITH_CMS, &doc);
    if (r != INDEX_OK || doc.kind != INDEX_KIND_TRANSCRIPT ||
        payload_parse(doc.payload.ptr, doc.payload.len, &pl, why, sizeof why) != PAYLOAD_OK) {
        /* damaged or not a transcript: the portal answers "cannot check now" for it whatever the registry */
        index_doc_free(&doc);
        payload_free(&pl);
        return r == INDEX_OK || r == INDEX_ECORRUPT ? 0 : r;
    }
    if (school == NULL)
        school = pl.school_code != NULL ? pl.school_code : "-";
    verify_shared_t sa = {.cert_hints = doc.cert_sha256, .ncert_hints = doc.ncerts, .registry_only = 1};
    verify_shared_t sb = sa;
    int bad = verify_package_shared(rc->old, &pl, (const uint8_t *)doc.payload.ptr, doc.payload.len,
                                    (const uint8_t *)doc.cms.ptr, doc.cms.len, doc.published_at, NULL, &sa, rc->va) ||
              verify_package_shared(rc->new, &pl, (const uint8_t *)doc.payload.ptr, doc.payload.len,
                                    (const uint8_t *)doc.cms.ptr, doc.cms.len, doc.published_at, NULL, &sb, rc->vb);
    r = bad ? ENOMEM : 0;
    int newly = 0;
    for (size_t i = 0; r == 0 && i < rc->vb->nitems; i++) {
        const verify_item_t *it = &rc->vb->items[i];
        if (it->ok || !is_registry_check(it->check) || fails(rc->va, it->check, it->signer))
            continue;
        newly = 1;
        r = note_finding(rc, school, rc->vb, it);
    }
    rc->records++;
    rc->invalidated += newly;
    payload_free(&pl);
    index_doc_free(&doc);
    return r;
}

/* 1 when the new registry lists as a seal a certificate that no school's
 * seal_certificates held in the old one. Check 6 reads the seals of every
 * school (trust_seal_school: a certificate registered as a seal of any
 * school signs only as school_seal), so such a certificate newly fails
 * wherever it signed in another role, in any school. */
static int seals_gained(const trust_t *old, const trust_t *new)
{
    const char *code;
    for (size_t i = 0; (code = trust_school_code(new, i)) != NULL; i++) {
        const unsigned char(*list)[32];
        size_t n = trust_school_certs(new, code, TRUST_SCHOOL_SEAL, &list);
        for (size_t k = 0; k < n; k++)
            if (trust_seal_school(old, list[k]) == NULL)
                return 1;
    }
    return 0;
}

/* Checks 6-8 of the published transcripts of every school whose registry
 * entry differs between old and new (package-format.md §6); and, when a
 * certificate became a seal (seals_gained), of every published transcript,
 * whatever its school: there is no index of records by certificate, and a
 * walk of all of them costs 0.35 s for the 5,047 transcripts of the demo
 * (--students 5000; one school's 264: 0.03 s), once per such change. A seal that is
 * removed or moves needs no more than the schools concerned: check 6 then
 * fails nothing new elsewhere, and checks 7 and 8 read the record's own
 * school only. */
static int recheck_schools(recheck_t *rc)
{
    const trust_t *both[2] = {rc->old, rc->new};
    rc->all = seals_gained(rc->old, rc->new);
    for (int w = 0; w < 2; w++) {
        const char *code;
        for (size_t i = 0; (code = trust_school_code(both[w], i)) != NULL; i++) {
            /* a school in both is looked at once, from the old registry */
            const char *name, *province;
            if (trust_school_same(rc->old, rc->new, code) ||
                (w == 1 && trust_school_name(rc->old, code, NULL, &name, &province, NULL) == 0))
                continue;
            rc->schools++;
            if (rc->all)
                continue; /* counted; every record is looked at below */
            int r = school_codes(rc, code);
            for (size_t k = 0; r == 0 && k < rc->ncodes; k++)
                r = recheck_record(rc, code, rc->codes[k]);
            if (r != 0)
                return r;
        }
    }
    if (!rc->all)
        return 0;
    rc->ncodes = 0;
    int r = index_each_code(rc->ix, rc->txn, add_code, rc);
    for (size_t k = 0; r == 0 && k < rc->ncodes; k++)
        r = recheck_record(rc, NULL, rc->codes[k]);
    return r;
}

static void print_findings(const recheck_t *rc, FILE *out)
{
    for (size_t i = 0; i < rc->nfound; i++) {
        const finding_t *f = &rc->found[i];
        char hex[17];
        str_hex(f->cert, 8, hex);
        fprintf(out, "  school %s, %s certificate %s...: %s fails for %zu record%s\n", f->school, f->role, hex,
                verify_check_name(f->check), f->records, f->records == 1 ? "" : "s");
    }
}

static double now_seconds(void);

static int cmd_schools(index_t *ix, int argc, char **argv, int accept)
{
    char why[TRUST_WHY_LEN];
    uint8_t *j = NULL;
    size_t len;
    int n, rc = EXIT_NOTHING;
    MDB_txn *txn = NULL;
    str_t *crls = NULL;
    trust_inputs_t in;
    index_counts_t counts;
    recheck_t re;

    memset(&re, 0, sizeof re);
    if (argc != 1)
        publish_die_usage();
    if (read_file(argv[0], 64 << 20, &j, &len, why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: schools: %s\n", why);
        goto done;
    }
    if ((n = trust_check_registry(str_n(j, len), why, sizeof why)) < 0) {
        fprintf(stderr, "hocba-publish: schools: %s: %s; nothing was changed\n", argv[0], why);
        goto done;
    }
    /* One write transaction: no batch can publish, under the old registry,
     * a record this re-check would not see. */
    int r = index_begin(ix, 0, &txn);
    if (r == 0)
        r = index_counts(ix, txn, &counts);
    if (r == 0)
        r = index_get_trust(ix, txn, &in, &crls);
    if (r != 0) {
        fprintf(stderr, "hocba-publish: schools: nothing was changed: cannot read the index: %s\n",
                index_strerror(r));
        goto done;
    }
    double t0 = now_seconds();
    if (counts.transcripts > 0) {
        trust_inputs_t next = in;
        next.registry = str_n(j, len);
        re.ix = ix;
        re.txn = txn;
        re.va = malloc(sizeof *re.va);
        re.vb = malloc(sizeof *re.vb);
        if (re.va == NULL || re.vb == NULL) {
            fprintf(stderr, "hocba-publish: schools: nothing was changed: out of memory\n");
            goto done;
        }
        if (trust_build(&in, &re.old, why, sizeof why) != 0 || trust_build(&next, &re.new, why, sizeof why) != 0) {
            /* without the stores in use, what the records answer now is unknown */
            fprintf(stderr,
                    "hocba-publish: schools: %s: the published records cannot be re-checked against the trust "
                    "inputs in use (%s)%s\n",
                    argv[0], why, accept ? "; loading it all the same (--accept-invalidation)" : "; nothing was changed");
            if (!accept)
                goto done;
        } else if ((r = recheck_schools(&re)) != 0) {
            fprintf(stderr, "hocba-publish: schools: nothing was changed: re-checking the published records: %s\n",
                    r == ENOMEM ? "out of memory" : index_strerror(r));
            goto done;
        }
    }
    double secs = now_seconds() - t0;
    if (re.invalidated > 0) {
        fprintf(stderr,
                "hocba-publish: schools: %s: under this registry %zu published record%s of %s would no longer "
                "verify:\n",
                argv[0], re.invalidated, re.invalidated == 1 ? "" : "s",
                re.all ? "any school (a certificate newly registered as a seal signs only as school_seal, "
                         "in every school)"
                       : re.schools == 1 ? "the school whose entry changed"
                                         : "the schools whose entry changed");
        print_findings(&re, stderr);
        if (!accept) {
            fprintf(stderr, "hocba-publish: schools: refused, nothing was changed. A registry lists every certificate "
                            "a school has used, past ones included (package-format.md §6); give "
                            "--accept-invalidation to load it all the same, and those records answer invalid\n");
            goto done;
        }
        fprintf(stderr, "hocba-publish: schools: loading it all the same (--accept-invalidation): those records now "
                        "answer invalid\n");
    }
    r = index_set_trust_value(ix, txn, "registry", str_n(j, len));
    rc = commit_or_say(ix, txn, r, "schools");
    txn = NULL;
    if (rc == 0)
        printf("schools: %d registered; re-checked %zu published record%s of %s%zu changed school%s in %.2f s, %zu "
               "no longer verify\n",
               n, re.records, re.records == 1 ? "" : "s",
               re.all ? "every school (a certificate newly registered as a seal) for " : "", re.schools,
               re.schools == 1 ? "" : "s", secs, re.invalidated);
done:
    if (txn != NULL)
        mdb_txn_abort(txn);
    free(crls);
    trust_free(re.old);
    trust_free(re.new);
    free(re.va);
    free(re.vb);
    free(re.codes);
    free(re.found);
    free(j);
    return rc;
}

/* UTC seconds as RFC 3339, for status lines. */
const char *publish_rfc3339(int64_t t, char out[24])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 24, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 24, "%lld", (long long)t);
    return out;
}

/* An age in words: "3 days", "5 hours", "12 minutes". */
static const char *age_words(int64_t secs, char out[32])
{
    if (secs >= 2 * 86400)
        snprintf(out, 32, "%lld days", (long long)(secs / 86400));
    else if (secs >= 2 * 3600)
        snprintf(out, 32, "%lld hours", (long long)(secs / 3600));
    else
        snprintf(out, 32, "%lld minutes", (long long)(secs > 0 ? secs / 60 : 0));
    return out;
}

/* package-format.md §6: each stored CRL with its CA, number, age, nextUpdate
 * and whether it verifies; each remembered CA none of whose CRLs verifies. */
static void status_crls_text(const trust_t *t, int64_t now)
{
    const trust_crl_info_t *ci;
    const trust_issuer_info_t *is;
    size_t n = trust_crl_infos(t, &ci), ni = trust_issuer_infos(t, &is);
    char words[256], a[24], b[24], age[32];
    for (size_t i = 0; i < n; i++) {
        crl_words(&ci[i], words, sizeof words);
        printf("%s: issued %s (%s ago), next update %s%s, %s\n", words, publish_rfc3339(ci[i].this_update, a),
               age_words(now - ci[i].this_update, age),
               ci[i].next_update ? publish_rfc3339(ci[i].next_update, b) : "none",
               ci[i].next_update && ci[i].next_update < now ? " (past: it still counts)" : "",
               ci[i].verifies     ? "verifies"
               : ci[i].incomplete ? "verifies but is NOT a complete CRL of its CA: not used (give the CA's "
                                    "full CRL)"
                                  : "does NOT verify against the trust anchors and intermediates: not used");
        if (ci[i].incomplete != NULL)
            printf("  it %s\n", ci[i].incomplete);
    }
    size_t unchecked = trust_issuers_unchecked(t);
    printf("CAs remembered as publishing CRLs: %zu (%zu with no CRL that verifies)\n", ni, unchecked);
    for (size_t i = 0; i < ni; i++)
        if (!is[i].checked)
            printf("warning: CA \"%s\" [%s] publishes CRLs, but none of them verifies against the trust %s: "
                   "every "
                   "record with a certificate it issued answers \"cannot check now\" (503) and batch refuses "
                   "its "
                   "packages until one does (hocba-publish crl)\n",
                   is[i].cn, is[i].hash,
                   is[i].in_store ? "store" : "store (its certificate is not in it either)");
}

static json_t *status_crls_json(const trust_t *t, int64_t now)
{
    const trust_crl_info_t *ci;
    const trust_issuer_info_t *is;
    size_t n = t != NULL ? trust_crl_infos(t, &ci) : 0, ni = t != NULL ? trust_issuer_infos(t, &is) : 0;
    json_t *crls = json_array(), *issuers = json_array();
    char a[24], b[24];
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            crls, json_pack("{s:s, s:s, s:s?, s:s, s:I, s:s?, s:b, s:b, s:s?}", "issuer", ci[i].issuer_hash,
                            "issuer_cn", ci[i].issuer_cn, "number", ci[i].number[0] ? ci[i].number : NULL,
                            "this_update", publish_rfc3339(ci[i].this_update, a), "age_seconds",
                            (json_int_t)(now - ci[i].this_update), "next_update",
                            ci[i].next_update ? publish_rfc3339(ci[i].next_update, b) : NULL,
                            "next_update_past",
                            ci[i].next_update && ci[i].next_update < now, "verifies", ci[i].verifies,
                            "incomplete", ci[i].incomplete));
    for (size_t i = 0; i < ni; i++)
        json_array_append_new(issuers,
                              json_pack("{s:s, s:s, s:b, s:b}", "issuer", is[i].hash, "issuer_cn", is[i].cn,
                                        "checked", is[i].checked, "in_store", is[i].in_store));
    return json_pack("{s:o, s:o, s:I}", "crl_list", crls, "issuers", issuers, "issuers_unchecked",
                     (json_int_t)(t != NULL ? trust_issuers_unchecked(t) : 0));
}

static int cmd_status(index_t *ix, int argc, char **argv)
{
    int json = argc == 1 && strcmp(argv[0], "--json") == 0;
    if (argc > 1 || (argc == 1 && !json))
        publish_die_usage();
    MDB_txn *txn;
    index_counts_t c;
    uint64_t log_seq = 0;
    char log_role[16] = "";
    int rc = index_begin(ix, 1, &txn);
    if (rc == 0) {
        rc = index_counts(ix, txn, &c);
        if (rc == 0)
            rc = index_log_position(ix, txn, &log_seq, log_role);
        mdb_txn_abort(txn);
    }
    if (rc != 0) {
        fprintf(stderr, "hocba-publish: status: %s\n", index_strerror(rc));
        return EXIT_NOTHING;
    }
    char why[TRUST_WHY_LEN] = "";
    trust_t *trust = NULL;
    size_t anchors = 0, schools = 0, crls_bad = 0;
    int64_t now = (int64_t)time(NULL);
    if (load_trust(ix, &trust, why, sizeof why) == 0) {
        anchors = trust_anchor_count(trust);
        schools = trust_school_count(trust);
        crls_bad = trust_crls_rejected(trust);
        why[0] = '\0';
    }
    if (json) {
        json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "transcripts", (json_int_t)c.transcripts,
                              "recalls", (json_int_t)c.recalls, "schools", (json_int_t)schools, "anchors",
                              (json_int_t)anchors, "crls", (json_int_t)c.crls, "crls_not_verifying",
                              (json_int_t)crls_bad, "trust_version", (json_int_t)c.trust_version);
        json_t *more = status_crls_json(trust, now);
        if (o != NULL && log_role[0] != '\0')
            json_object_set_new(o, "log", json_pack("{s:s, s:I}", "role", log_role, "segment", (json_int_t)log_seq));
        char *text = o != NULL && more != NULL && json_object_update(o, more) == 0
                         ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)
                         : NULL;
        if (text != NULL)
            printf("%s\n", text);
        free(text);
        json_decref(o);
        json_decref(more);
        trust_free(trust);
        return text != NULL ? 0 : EXIT_NOTHING;
    }
    printf("transcripts: %llu\nrecalls: %llu\nschools: %zu\nanchors: %zu\ncrls: %llu\ntrust version: %llu\n",
           (unsigned long long)c.transcripts, (unsigned long long)c.recalls, schools, anchors,
           (unsigned long long)c.crls, (unsigned long long)c.trust_version);
    if (log_role[0] != '\0')
        printf("publication log: %s, at segment %llu\n", log_role, (unsigned long long)log_seq);
    if (trust != NULL)
        status_crls_text(trust, now);
    if (crls_bad > 0)
        printf("warning: %zu of the CRLs are not used: they no longer verify against the trust anchors, or "
               "are not complete CRLs of their CA\n",
               crls_bad);
    if (why[0] != '\0')
        printf("trust inputs: %s\n", why);
    trust_free(trust);
    return 0;
}

/* ---- batch ---------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix, size_t *stemlen)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (n <= m || strcmp(s + n - m, suffix) != 0)
        return 0;
    *stemlen = n - m;
    return 1;
}

typedef struct {
    char *stem;
    int is_json;
} entry_t;

static int entry_cmp(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    int c = strcmp(x->stem, y->stem);
    return c ? c : x->is_json - y->is_json;
}

/* Collect the packages of dir: stems of *.json and *.p7s files, sorted. */
static int scan_dir(const char *dir, pkg_t **out, size_t *n)
{
    DIR *d = opendir(dir);
    entry_t *ents = NULL;
    pkg_t *pkgs = NULL;
    size_t cnt = 0, cap = 0, np = 0;
    if (d == NULL)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t sl;
        int is_json = ends_with(e->d_name, ".json", &sl), is_p7s = !is_json && ends_with(e->d_name, ".p7s", &sl);
        if ((!is_json && !is_p7s) || e->d_name[0] == '.')
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 256;
            entry_t *g = realloc(ents, cap * sizeof *ents);
            if (g == NULL)
                goto fail;
            ents = g;
        }
        if ((ents[cnt].stem = strndup(e->d_name, sl)) == NULL)
            goto fail;
        ents[cnt++].is_json = is_json;
    }
    closedir(d);
    d = NULL;
    qsort(ents, cnt, sizeof *ents, entry_cmp);
    size_t stems = 0; /* a package is usually two files: as many records as stems, not files */
    for (size_t i = 0; i < cnt; i++)
        stems += i == 0 || strcmp(ents[i - 1].stem, ents[i].stem) != 0;
    if ((pkgs = calloc(stems ? stems : 1, sizeof *pkgs)) == NULL)
        goto fail;
    for (size_t i = 0; i < cnt; i++) {
        if (np == 0 || strcmp(pkgs[np - 1].stem, ents[i].stem) != 0) {
            pkgs[np++].stem = ents[i].stem;
            ents[i].stem = NULL;
        }
        if (ents[i].is_json)
            pkgs[np - 1].has_json = 1;
        else
            pkgs[np - 1].has_p7s = 1;
    }
    for (size_t i = 0; i < cnt; i++)
        free(ents[i].stem);
    free(ents);
    *out = pkgs;
    *n = np;
    return 0;
fail:
    if (d != NULL)
        closedir(d);
    for (size_t i = 0; i < cnt; i++)
        free(ents[i].stem);
    free(ents);
    free(pkgs);
    errno = ENOMEM;
    return -1;
}

/* A batch holds one pkg_t per package from the start, so the reasons (most
 * packages have none) and recall trees are allocated only when there is one:
 * 5,099 packages took 12 MB, zeroed on one thread before the checking began
 * (8 % of a batch's time). */
static char NO_MEMORY_FOR_REASON[] = "(out of memory while writing the reason)";

__attribute__((format(printf, 2, 0))) static void set_reason_v(pkg_t *p, const char *fmt, va_list ap)
{
    if (p->reason == NULL && (p->reason = malloc(REASON_LEN)) == NULL) {
        p->reason = NO_MEMORY_FOR_REASON;
        return;
    }
    if (p->reason != NO_MEMORY_FOR_REASON)
        vsnprintf(p->reason, REASON_LEN, fmt, ap);
}

static void set_reason(pkg_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(pkg_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_reason_v(p, fmt, ap);
    va_end(ap);
}

static void refuse(pkg_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(pkg_t *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_reason_v(p, fmt, ap);
    va_end(ap);
    p->outcome = PKG_REFUSED;
}

static void free_reason(pkg_t *p)
{
    if (p->reason != NO_MEMORY_FOR_REASON)
        free(p->reason);
    p->reason = NULL;
}

/* package-format.md §6: a package whose revocation cannot be judged now is
 * refused, as the portal would answer "cannot check now" for it. */
static void refuse_unjudged(pkg_t *p, const verdict_t *v)
{
    refuse(p,
           "revocation: cannot be checked now: CA %s publishes CRLs, but none of them verifies against the "
           "trust "
           "store (publish its current CRL with `hocba-publish crl`, or give its certificate in the trust "
           "anchors "
           "or intermediates)",
           v->unjudged_ca);
}

static void keep_facts(facts_t *f, const payload_t *pl)
{
    f->kind = pl->kind;
    f->has_supersedes = pl->has_supersedes;
    memcpy(f->supersedes, pl->supersedes, CODE_LEN);
    memcpy(f->target, pl->target, CODE_LEN);
    snprintf(f->school, sizeof f->school, "%s", pl->school_code ? pl->school_code : "");
    snprintf(f->docid, sizeof f->docid, "%s", pl->document_id ? pl->document_id : "");
    snprintf(f->student, sizeof f->student, "%s", pl->student_id ? pl->student_id : "");
    int principal = payload_find_role(pl, "principal");
    f->has_principal = principal >= 0;
    if (principal >= 0)
        memcpy(f->principal, pl->signers[principal].cert_sha256, 32);
}

/* package-format.md §5: the seal binds the school's code, the registry the
 * name that people read. A transcript's school.name and school.province
 * must be the registry's for school.code, as in force on its issued_on
 * (former_names), compared as one name however spelt (vnfold.h). The
 * reason gives both values of each that differs, under the check name the
 * file check of http.md uses (school_name).
 * @param province  receives the registry's spelling of the province, in force
 *                  on issued_on, when they match (what the figures count under)
 * @return 0 when they match, -1 with why set when not. */
static int check_school_name(const trust_t *t, const payload_t *pl, const char **province, char *why,
                             size_t whylen)
{
    verify_school_name_t sn;
    if (verify_school_name(t, pl, &sn) == 0) {
        *province = sn.reg_province;
        return 0;
    }
    const char *name = sn.name, *prov = sn.province, *rname = sn.reg_name, *rprov = sn.reg_province;
    if (!sn.registered) {
        snprintf(why, whylen, "school_name: school %s is not in the school registry", pl->school_code);
        return -1;
    }
    if (sn.error != 0) {
        snprintf(why, whylen, "school_name: the names cannot be compared (%s)",
                 sn.error == VNFOLD_ENOMEM ? "out of memory" : "not UTF-8");
        return -1;
    }
    char when[96] = "";
    if (sn.until != NULL)
        snprintf(when, sizeof when, " (its former name, in force until %s; issued_on is %s)", sn.until, pl->issued_on);
    else
        snprintf(when, sizeof when, " (in force on issued_on %s)", pl->issued_on);
    if (!sn.name_ok && !sn.province_ok)
        snprintf(why, whylen,
                 "school_name: school.name \"%s\" and school.province \"%s\" differ from the school registry's "
                 "\"%s\" and \"%s\" for school %s%s",
                 name, prov, rname, rprov, pl->school_code, when);
    else if (!sn.name_ok)
        snprintf(why, whylen, "school_name: school.name \"%s\" differs from the school registry's \"%s\" for school %s%s",
                 name, rname, pl->school_code, when);
    else
        snprintf(why, whylen,
                 "school_name: school.province \"%s\" differs from the school registry's \"%s\" for school %s%s",
                 prov, rprov, pl->school_code, when);
    return -1;
}

/* Phase 1, on every core: read, derive the code, validate, verify. */
static void check_package(batch_t *b, pkg_t *p, verdict_t *v, jarena_t *arena)
{
    char path[4096], why[REASON_LEN];
    if (!p->has_json) {
        refuse(p, "the payload %s.json is missing", p->stem);
        return;
    }
    snprintf(path, sizeof path, "%s.json", p->stem);
    int rc = read_file_at(b->dirfd, path, 1, PAYLOAD_MAX_BYTES, &p->json, &p->jlen, why, sizeof why);
    if (rc == -2) {
        refuse(p, "payload: the payload is %zu bytes; the limit is 64 KiB (65536 bytes)", p->jlen);
        return;
    }
    if (rc != 0) {
        refuse(p, "%s", why);
        return;
    }
    /* one hash of the payload for its code and for verification (§2: the
     * code is the SHA-256 of the bytes as signed) */
    unsigned char h[32];
    if (digest_sha256(p->json, p->jlen, h) != 0) {
        refuse(p, "out of memory while hashing the payload");
        return;
    }
    code_from_digest(h, p->code);
    p->has_code = 1;
    if (!p->has_p7s) {
        refuse(p, "the signature file %s.p7s is missing", p->stem);
        return;
    }
    snprintf(path, sizeof path, "%s.p7s", p->stem);
    rc = read_file_at(b->dirfd, path, 1, P7S_MAX_BYTES, &p->p7s, &p->plen, why, sizeof why);
    if (rc != 0) {
        refuse(p, rc == -2 ? "the signature file is larger than 1 MiB" : "%s", why);
        return;
    }
    /* a transcript's tree lives and dies in this thread's arena (jarena.h) */
    payload_t pl;
    jarena_begin(arena);
    int prc = payload_parse(p->json, p->jlen, &pl, why, sizeof why);
    if (prc == PAYLOAD_OK && pl.kind != PAYLOAD_TRANSCRIPT) {
        /* a recall's tree is kept until phase 2: made again in malloc's memory */
        payload_free(&pl);
        jarena_end(arena);
        if ((p->pl = malloc(sizeof *p->pl)) == NULL) {
            refuse(p, "out of memory");
            return;
        }
        if ((prc = payload_parse(p->json, p->jlen, p->pl, why, sizeof why)) != PAYLOAD_OK) {
            free(p->pl);
            p->pl = NULL;
        }
    }
    if (prc != PAYLOAD_OK) {
        jarena_end(arena);
        refuse(p, "payload: %s", why);
        return;
    }
    if (p->pl != NULL) {
        keep_facts(&p->f, p->pl);
        return; /* recalls are verified once their transcript is known (phase 2) */
    }
    keep_facts(&p->f, &pl);
    const char *province = NULL;
    verify_shared_t shared = {.payload_sha256 = h};
    if (verify_package_shared(b->trust, &pl, p->json, p->jlen, p->p7s, p->plen, b->now, NULL, &shared, v) != 0)
        refuse(p, "out of memory while verifying");
    else if (!v->ok) {
        verify_reason(v, why, sizeof why);
        refuse(p, "%s", why);
    } else if (v->unjudged > 0) {
        refuse_unjudged(p, v);
    } else if (check_school_name(b->trust, &pl, &province, why, sizeof why) != 0) {
        refuse(p, "%s", why);
    } else if (index_summarize(&pl, province, &p->f.summary) != 0) {
        refuse(p, "school.province: %zu bytes long; the index keeps a province of at most %d bytes",
               pl.province_len, INDEX_PROVINCE_MAX);
    } else if (b->pending == NULL) {
        /* on failure rec stays empty and the writer makes the record itself;
         * a dry run writes nothing, so it has nothing to prepare */
        if (index_prepare_doc_hashed(INDEX_KIND_TRANSCRIPT, b->now, str_n(p->json, p->jlen),
                                     str_n(p->p7s, p->plen), (const unsigned char(*)[32])shared.cert_sha256,
                                     shared.ncerts, &p->rec) == INDEX_OK)
            p->rec.summary = p->f.summary;
    }
    /* A transcript's tree is not needed any more: free it now so that a
     * large batch does not hold thousands of them. */
    payload_free(&pl);
    jarena_end(arena);
}

static void *worker(void *arg)
{
    batch_t *b = arg;
    verdict_t *v = malloc(sizeof *v);
    jarena_t *arena = jarena_new(JARENA_CHUNK); /* NULL: jansson keeps using malloc */
    for (;;) {
        size_t i = atomic_fetch_add(&b->next, 1);
        if (i >= b->n)
            break;
        if (v == NULL)
            refuse(&b->pkgs[i], "out of memory");
        else
            check_package(b, &b->pkgs[i], v, arena);
        atomic_store(&b->ready[i], 1);
        size_t done = atomic_fetch_add(&b->done, 1) + 1, wake = atomic_load(&b->wake_done);
        if (wake != 0 && done >= wake) {
            pthread_mutex_lock(&b->lock);
            pthread_cond_broadcast(&b->cond);
            pthread_mutex_unlock(&b->lock);
        }
    }
    free(v);
    jarena_free(arena);
    return NULL;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start the checking threads: all cores check while this thread writes. */
static int start_workers(batch_t *b, pthread_t *th, int max)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("HOCBA_THREADS");
    int n = env != NULL && atoi(env) > 0 ? atoi(env) : (int)(cores > 0 ? cores : 1);
    if (n > max)
        n = max;
    if ((size_t)n > b->n)
        n = (int)b->n;
    int started = 0;
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[started], NULL, worker, b) == 0)
            started++;
    return started;
}

/* Wait until package i is checked, reporting progress on a terminal. The
 * writer is faster than the checkers, so it would sleep and be woken once a
 * package; it asks to be woken when a run of WAKE_RUN more are checked
 * (perf: futex wake-ups 5.7 % and reschedule interrupts 5.6 % of a batch). */
#define WAKE_RUN 32
static void wait_ready(batch_t *b, size_t i, int progress, double t0, double *last)
{
    if (atomic_load(&b->ready[i]))
        return;
    pthread_mutex_lock(&b->lock);
    size_t want = i + WAKE_RUN < b->n ? i + WAKE_RUN : b->n; /* a count of checked packages */
    while (!atomic_load(&b->ready[i])) {
        if (atomic_load(&b->done) >= want) {
            want = atomic_load(&b->done) + 1; /* package i is slow: wake at the next one */
            continue;
        }
        atomic_store(&b->wake_done, want);
        /* a worker that finished before it could see wake_done did not signal */
        if (atomic_load(&b->ready[i]) || atomic_load(&b->done) >= want)
            continue;
        /* bounded all the same: a lost wake-up costs milliseconds, not the batch */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += progress ? 200000000 : 2000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&b->cond, &b->lock, &ts);
        double t = now_seconds();
        if (progress && t - *last >= 0.2) {
            size_t done = atomic_load(&b->done);
            double rate = t > t0 ? (double)done / (t - t0) : 0;
            fprintf(stderr, "\rchecked %zu/%zu packages, %.0f/s, ETA %.0f s   ", done, b->n, rate,
                    rate > 0 ? (double)(b->n - done) / rate : 0.0);
            *last = t;
        }
    }
    atomic_store(&b->wake_done, 0);
    pthread_mutex_unlock(&b->lock);
}

enum { TRY_DONE, TRY_WAIT, TRY_FAIL };

/* The package's bytes are in the transaction now (or it was refused). */
static void release_bytes(pkg_t *p)
{
    free(p->json);
    free(p->p7s);
    p->json = p->p7s = NULL;
    index_prepared_free(&p->rec);
    payload_free(p->pl);
    free(p->pl);
    p->pl = NULL;
}

/* ---- phase 2's store: the index, and what the batch wrote before ----------------------------- */

/* Phase 2 reads and writes through these, never through the index
 * directly: for `batch` they are the write transaction; for `check`
 * (b->pending set) reads look in the dry run's overlay first, then in the
 * read-only transaction, and writes go to the overlay only. So both runs
 * see, package after package, the same index plus the same writes of the
 * packages before, and come to the same outcomes. Each returns what the
 * index function it stands for returns. */

/* What a document of the given kind with these facts leaves for phase 2. */
static void stored_from(const facts_t *f, int kind, stored_facts_t *out)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    memcpy(out->school, f->school, sizeof out->school);
    memcpy(out->student, f->student, sizeof out->student);
    out->has_principal = f->has_principal;
    memcpy(out->principal, f->principal, 32);
}

static int store_has_doc(batch_t *b, const char code[CODE_LEN])
{
    stored_facts_t f;
    if (b->pending != NULL && overlay_get_doc(b->pending, code, &f))
        return INDEX_OK;
    index_doc_t existing;
    int rc = index_get_doc(b->ix, b->txn, code, INDEX_HEAD_ONLY, &existing);
    index_doc_free(&existing);
    return rc;
}

/* What phase 2 needs of a stored transcript (stored_facts_t).
 * @return INDEX_OK, INDEX_ENOTFOUND, INDEX_ECORRUPT (not a transcript, or a
 *         payload that no longer parses) or an LMDB code. */
static int store_transcript(batch_t *b, const char code[CODE_LEN], stored_facts_t *out)
{
    if (b->pending != NULL && overlay_get_doc(b->pending, code, out))
        return out->kind == INDEX_KIND_TRANSCRIPT ? INDEX_OK : INDEX_ECORRUPT;
    index_doc_t d;
    payload_t pl;
    char why[PAYLOAD_WHY_LEN];
    int rc = index_get_doc(b->ix, b->txn, code, 0, &d);
    if (rc == INDEX_OK && (d.kind != INDEX_KIND_TRANSCRIPT ||
                           payload_parse(d.payload.ptr, d.payload.len, &pl, why, sizeof why) != PAYLOAD_OK))
        rc = INDEX_ECORRUPT;
    index_doc_free(&d);
    if (rc != INDEX_OK)
        return rc;
    facts_t f;
    memset(&f, 0, sizeof f);
    keep_facts(&f, &pl);
    payload_free(&pl);
    stored_from(&f, INDEX_KIND_TRANSCRIPT, out);
    return INDEX_OK;
}

static int store_get_link(batch_t *b, const char code[CODE_LEN], int type, char out[CODE_LEN])
{
    if (b->pending != NULL && overlay_get_link(b->pending, code, type, out))
        return INDEX_OK;
    return index_get_link(b->ix, b->txn, code, type, out);
}

static int store_put_link(batch_t *b, const char code[CODE_LEN], int type, const char to[CODE_LEN])
{
    if (b->pending == NULL)
        return index_put_link(b->ix, b->txn, code, type, to);
    char old[CODE_LEN];
    int rc = store_get_link(b, code, type, old); /* links are never overwritten (MDB_NOOVERWRITE) */
    if (rc == INDEX_OK)
        return MDB_KEYEXIST;
    return rc == INDEX_ENOTFOUND ? overlay_put_link(b->pending, code, type, to) : rc;
}

static int store_get_docid(batch_t *b, const facts_t *f, char out[CODE_LEN])
{
    if (b->pending != NULL && overlay_get_docid(b->pending, f->school, f->docid, out))
        return INDEX_OK;
    return index_get_docid(b->ix, b->txn, str_c(f->school), str_c(f->docid), out);
}

static int put_doc(batch_t *b, pkg_t *p, int kind, int *dbrc)
{
    if (b->pending != NULL) {
        stored_facts_t f;
        stored_from(&p->f, kind, &f);
        *dbrc = overlay_put_doc(b->pending, p->code, &f);
        if (*dbrc == 0 && kind == INDEX_KIND_TRANSCRIPT)
            *dbrc = overlay_put_docid(b->pending, p->f.school, p->f.docid, p->code);
        return *dbrc == 0 ? TRY_DONE : TRY_FAIL;
    }
    if (p->rec.value != NULL && p->rec.kind == kind)
        *dbrc = index_put_prepared(b->ix, b->txn, p->code, &p->rec);
    else
        *dbrc = index_put_doc(b->ix, b->txn, p->code, kind, b->now, str_n(p->json, p->jlen),
                              str_n(p->p7s, p->plen), kind == INDEX_KIND_TRANSCRIPT ? &p->f.summary : NULL);
    if (*dbrc != 0)
        return TRY_FAIL;
    /* docid_free has let a replacement take over only its predecessor's id */
    if (kind == INDEX_KIND_TRANSCRIPT)
        *dbrc = index_put_docid(b->ix, b->txn, str_c(p->f.school), str_c(p->f.docid), p->code,
                                p->f.has_supersedes);
    return *dbrc == 0 ? TRY_DONE : TRY_FAIL;
}

/* ---- phase 2 ------------------------------------------------------------------------------------ */

/* Whether p may take its school's document_id: nobody holds it, or it is a
 * replacement and the transcript it supersedes does (package-format.md §4:
 * a school's software keeps its id for a corrected transcript).
 * @return 1 when it may; 0 when refused, or with *dbrc set on a database error. */
static int docid_free(batch_t *b, pkg_t *p, int *dbrc)
{
    char other[CODE_LEN], g[CODE_GROUPED_LEN + 1];
    int rc = store_get_docid(b, &p->f, other);
    if (rc == INDEX_ENOTFOUND)
        return 1;
    if (rc == INDEX_OK && p->f.has_supersedes && memcmp(other, p->f.supersedes, CODE_LEN) == 0)
        return 1;
    if (rc != INDEX_OK) {
        *dbrc = rc;
        return 0;
    }
    code_format_grouped(other, g);
    refuse(p,
           "document_id %s of school %s is already published with other content (lookup code %s); a "
           "correction is published as a recall of that code and a replacement with `supersedes`",
           p->f.docid, p->f.school, g);
    return 0;
}

/* A package refused by its checks whose payload is already in the index
 * (the same bytes, so the same code) is "already published": publishing it
 * again changes nothing (package-format.md §1), whatever its checks say now
 * (after a trust change, say: the portal re-verifies it on every answer).
 * @return 1 when it is (its outcome is set), 0 when not, -1 with *dbrc set
 *         on a database error. */
static int published_before(batch_t *b, pkg_t *p, int *dbrc)
{
    int rc = store_has_doc(b, p->code);
    if (rc == INDEX_ENOTFOUND)
        return 0;
    if (rc != INDEX_OK) {
        *dbrc = rc;
        return -1;
    }
    free_reason(p);
    p->outcome = PKG_ALREADY;
    return 1;
}

/* Phase 2 for one package, inside the write transaction (or the dry run's
 * read-only one and its overlay). */
static int try_publish(batch_t *b, pkg_t *p, verdict_t *v, int *dbrc)
{
    char link[CODE_LEN], g[CODE_GROUPED_LEN + 1], why[REASON_LEN];
    stored_facts_t old;
    int rc;

    *dbrc = 0;
    rc = store_has_doc(b, p->code);
    if (rc == INDEX_OK) {
        p->outcome = PKG_ALREADY;
        return TRY_DONE;
    }
    if (rc != INDEX_ENOTFOUND) {
        *dbrc = rc;
        return TRY_FAIL;
    }
    if (p->f.kind == PAYLOAD_TRANSCRIPT && !p->f.has_supersedes) {
        if (!docid_free(b, p, dbrc))
            return *dbrc ? TRY_FAIL : TRY_DONE;
        rc = put_doc(b, p, INDEX_KIND_TRANSCRIPT, dbrc);
        if (rc == TRY_DONE)
            p->outcome = PKG_PUBLISHED;
        return rc;
    }
    if (p->f.kind == PAYLOAD_TRANSCRIPT) {
        code_format_grouped(p->f.supersedes, g);
        if ((rc = store_transcript(b, p->f.supersedes, &old)) != INDEX_OK) {
            if (rc == INDEX_ENOTFOUND) {
                set_reason(p, "supersedes %s, which is not published", g);
                return TRY_WAIT;
            }
            if (rc == INDEX_ECORRUPT) {
                refuse(p, "supersedes %s, which is not a transcript", g);
                return TRY_DONE;
            }
            *dbrc = rc;
            return TRY_FAIL;
        }
        if (strcmp(old.school, p->f.school) != 0 || strcmp(old.student, p->f.student) != 0) {
            refuse(p, "supersedes %s, which is a transcript of another school or another pupil", g);
            return TRY_DONE;
        }
        rc = store_get_link(b, p->f.supersedes, INDEX_LINK_RECALLED_BY, link);
        if (rc == INDEX_ENOTFOUND) {
            set_reason(p, "supersedes %s, which is not recalled (publish its recall notice first or in the same batch)",
                       g);
            return TRY_WAIT;
        }
        if (rc != INDEX_OK) {
            *dbrc = rc;
            return TRY_FAIL;
        }
        rc = store_get_link(b, p->f.supersedes, INDEX_LINK_SUPERSEDED_BY, link);
        if (rc == INDEX_OK) {
            char g2[CODE_GROUPED_LEN + 1];
            code_format_grouped(link, g2);
            refuse(p, "supersedes %s, which was already replaced by %s", g, g2);
            return TRY_DONE;
        }
        if (!docid_free(b, p, dbrc))
            return *dbrc ? TRY_FAIL : TRY_DONE;
        if (put_doc(b, p, INDEX_KIND_TRANSCRIPT, dbrc) != TRY_DONE ||
            (*dbrc = store_put_link(b, p->f.supersedes, INDEX_LINK_SUPERSEDED_BY, p->code)) != 0 ||
            (*dbrc = store_put_link(b, p->code, INDEX_LINK_SUPERSEDES, p->f.supersedes)) != 0)
            return TRY_FAIL;
        p->outcome = PKG_PUBLISHED;
        return TRY_DONE;
    }
    /* a recall notice */
    code_format_grouped(p->f.target, g);
    if ((rc = store_transcript(b, p->f.target, &old)) != INDEX_OK) {
        if (rc == INDEX_ENOTFOUND) {
            set_reason(p, "recalls %s, which is not published", g);
            return TRY_WAIT;
        }
        if (rc == INDEX_ECORRUPT) {
            refuse(p, "recalls %s, which is not a transcript", g);
            return TRY_DONE;
        }
        *dbrc = rc;
        return TRY_FAIL;
    }
    if (strcmp(old.school, p->f.school) != 0) {
        refuse(p, "the recall notice is from another school: it names school %s, but %s belongs to school %s",
               p->f.school, g, old.school);
        return TRY_DONE;
    }
    rc = store_get_link(b, p->f.target, INDEX_LINK_RECALLED_BY, link);
    if (rc == INDEX_OK) {
        char g2[CODE_GROUPED_LEN + 1];
        code_format_grouped(link, g2);
        refuse(p, "%s is already recalled by notice %s; a recall is final", g, g2);
        return TRY_DONE;
    }
    if (verify_package(b->trust, p->pl, p->json, p->jlen, p->p7s, p->plen, b->now,
                       old.has_principal ? old.principal : NULL, v) != 0) {
        refuse(p, "out of memory while verifying");
        return TRY_DONE;
    }
    if (!v->ok) {
        verify_reason(v, why, sizeof why);
        refuse(p, "%s", why);
        return TRY_DONE;
    }
    if (v->unjudged > 0) {
        refuse_unjudged(p, v);
        return TRY_DONE;
    }
    if (put_doc(b, p, INDEX_KIND_RECALL, dbrc) != TRY_DONE ||
        (*dbrc = store_put_link(b, p->f.target, INDEX_LINK_RECALLED_BY, p->code)) != 0 ||
        (*dbrc = store_put_link(b, p->code, INDEX_LINK_RECALL_OF, p->f.target)) != 0)
        return TRY_FAIL;
    p->outcome = PKG_PUBLISHED;
    return TRY_DONE;
}

void publish_put_plain(const char *s)
{
    for (const char *c = s; *c; c++)
        putchar((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
}

/* One package's line. A dry run says "would publish" (JSON: "would_publish")
 * where a batch says "published"; everything else is the same. */
static void print_line(const pkg_t *p, int json, int dry_run)
{
    static const char *const OUTCOMES[] = {"refused", "published", "already", "refused"};
    char code[CODE_LEN + 1] = "";
    if (p->has_code)
        memcpy(code, p->code, CODE_LEN);
    if (json) {
        /* a file name need not be UTF-8, and jansson refuses what is not:
         * every package gets its line, with U+FFFD for such bytes */
        char stem[3 * 256 + 1], reason[3 * REASON_LEN];
        utf8_scrub(p->stem, strlen(p->stem), stem, sizeof stem);
        const char *why = p->reason != NULL ? p->reason : "";
        utf8_scrub(why, strlen(why), reason, sizeof reason);
        const char *outcome = p->outcome == PKG_PUBLISHED && dry_run ? "would_publish" : OUTCOMES[p->outcome];
        json_t *o = json_pack("{s:s, s:s?, s:s, s:s?}", "package", stem, "code", p->has_code ? code : NULL,
                              "outcome", outcome, "reason", p->outcome == PKG_REFUSED ? reason : NULL);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (s != NULL)
            printf("%s\n", s);
        free(s);
        json_decref(o);
        return;
    }
    /* stems are file names, and reasons may quote them: keep control bytes
     * off the terminal and each package on one line */
    publish_put_plain(p->stem);
    printf(" %s ", p->has_code ? code : "-");
    if (p->outcome == PKG_PUBLISHED) {
        printf("%s\n", dry_run ? "would publish" : "published");
    } else if (p->outcome == PKG_ALREADY) {
        printf("already published\n");
    } else {
        printf("refused: ");
        publish_put_plain(p->reason != NULL ? p->reason : "");
        putchar('\n');
    }
}

/* The writer's heap, faulted in at once. LMDB keeps every page a write
 * transaction dirties in malloc'd memory until the commit (a 4 KB page
 * and a little a package), and on the virtual machines we measured a page
 * fault costs ~11 µs: a batch of 5,099 took 5,660 of them, 61 ms of the
 * writer's time, where populating the same memory with one madvise takes
 * ~5 ms. So the writer grows the heap by an estimate (PREFAULT_PER_PACKAGE
 * a package, at most 256 MB, which LMDB would hold anyway), populates it and
 * hands it back to malloc, which is told not to give it back to the system.
 * Best effort: without MADV_POPULATE_WRITE (Linux < 5.14) the pages fault
 * one by one as before. */
#define PREFAULT_CHUNK (16u << 20) /* below glibc's largest mmap threshold (32 MB) */
#define PREFAULT_MAX (256u << 20)
#define PREFAULT_PER_PACKAGE 5120 /* the index grows by ~4.3 KB a demo package */
static void prefault_writer_heap(size_t npkgs)
{
    size_t want = npkgs < PREFAULT_MAX / PREFAULT_PER_PACKAGE ? npkgs * PREFAULT_PER_PACKAGE : PREFAULT_MAX;
    void *chunks[PREFAULT_MAX / PREFAULT_CHUNK];
    size_t n = 0;
    if (want < (1u << 20) || mallopt(M_MMAP_THRESHOLD, (int)PREFAULT_CHUNK * 2) != 1 ||
        mallopt(M_TRIM_THRESHOLD, (int)PREFAULT_MAX * 2) != 1)
        return;
    for (size_t got = 0; got < want && n < sizeof chunks / sizeof chunks[0]; got += PREFAULT_CHUNK) {
        if ((chunks[n] = malloc(PREFAULT_CHUNK)) == NULL)
            break;
        uintptr_t a = ((uintptr_t)chunks[n] + 4095) & ~(uintptr_t)4095;
        if (madvise((void *)a, PREFAULT_CHUNK - 4096, MADV_POPULATE_WRITE) != 0) {
            n++;
            break;
        }
        n++;
    }
    while (n > 0)
        free(chunks[--n]);
}

/* Free what a batch holds. */
static void batch_free(batch_t *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->pkgs[i].stem);
        free(b->pkgs[i].json);
        free(b->pkgs[i].p7s);
        index_prepared_free(&b->pkgs[i].rec);
        payload_free(b->pkgs[i].pl);
        free(b->pkgs[i].pl);
        free_reason(&b->pkgs[i]);
    }
    free(b->pkgs);
    free(b->ready);
    if (b->dirfd > 0)
        close(b->dirfd);
    trust_free(b->trust);
    overlay_free(b->pending);
}

/* The transaction phase 2 works in, and the trust store phase 1 checks
 * against. A batch reads the trust inputs first and then waits for the
 * writer's lock; a dry run reads both from one read-only transaction, which
 * takes no lock, and keeps its writes in an overlay.
 * @return 0, or -1 having said why on stderr. */
static int batch_begin(batch_t *b, const char *cmd)
{
    char why[TRUST_WHY_LEN];
    int rc;
    if (b->pending == NULL) {
        if (load_trust(b->ix, &b->trust, why, sizeof why) != 0) {
            fprintf(stderr, "hocba-publish: %s: %s\n", cmd, why);
            return -1;
        }
        if ((rc = index_begin(b->ix, 0, &b->txn)) != 0) {
            fprintf(stderr, "hocba-publish: %s: nothing was published: %s\n", cmd,
                    index_write_error(b->ix, rc));
            return -1;
        }
        return 0;
    }
    if ((rc = index_begin(b->ix, 1, &b->txn)) != 0) {
        fprintf(stderr, "hocba-publish: %s: cannot read the index: %s\n", cmd, index_strerror(rc));
        return -1;
    }
    if (publish_trust_from(b->ix, b->txn, &b->trust, why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: %s: %s\n", cmd, why);
        mdb_txn_abort(b->txn);
        b->txn = NULL;
        return -1;
    }
    return 0;
}

int publish_packages(index_t *ix, const publish_opts_t *o)
{
    const char *cmd = o->dry_run ? "check" : "batch", *dir = o->dir;
    int rc = EXIT_NOTHING, dbrc = 0;
    batch_t b;
    verdict_t *v = NULL;

    memset(&b, 0, sizeof b);
    b.ix = ix;
    if (scan_dir(dir, &b.pkgs, &b.n) != 0) {
        fprintf(stderr, "hocba-publish: %s: cannot read the directory %s: %s\n", cmd, dir, strerror(errno));
        return EXIT_NOTHING;
    }
    b.dir = dir;
    if ((b.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "hocba-publish: %s: cannot read the directory %s: %s\n", cmd, dir, strerror(errno));
        goto done;
    }
    b.now = (int64_t)time(NULL);
    if ((v = malloc(sizeof *v)) == NULL || (b.ready = calloc(b.n ? b.n : 1, sizeof *b.ready)) == NULL ||
        (o->dry_run && (b.pending = overlay_new()) == NULL)) {
        fprintf(stderr, "hocba-publish: %s: nothing was %s: out of memory\n", cmd,
                o->dry_run ? "checked" : "published");
        goto done;
    }
    if (batch_begin(&b, cmd) != 0)
        goto done;
    pthread_mutex_init(&b.lock, NULL);
    pthread_cond_init(&b.cond, NULL);
    pthread_t th[64];
    int nth = start_workers(&b, th, 64);
    if (nth == 0)
        worker(&b);
    else if (!o->dry_run)
        prefault_writer_heap(b.n); /* while the workers check the first packages */
    /* Pipeline: write each package as soon as it is checked, in order, so
     * its bytes are freed early; a package that waits for another (a
     * replacement for its recall) is tried again in the rounds below. */
    int progress_shown = isatty(STDERR_FILENO) && b.n >= 100;
    double t0 = now_seconds(), last = t0;
    int failed_db = 0;
    for (size_t i = 0; i < b.n && !failed_db; i++) {
        wait_ready(&b, i, progress_shown, t0, &last);
        pkg_t *p = &b.pkgs[i];
        if (p->outcome != PKG_PENDING) {
            if (p->outcome == PKG_REFUSED && p->has_code && published_before(&b, p, &dbrc) < 0)
                failed_db = 1;
            release_bytes(p);
            continue;
        }
        int r = try_publish(&b, p, v, &dbrc);
        if (r == TRY_FAIL)
            failed_db = 1;
        else if (r == TRY_DONE)
            release_bytes(p);
    }
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&b.lock);
    pthread_cond_destroy(&b.cond);
    if (progress_shown)
        fprintf(stderr, "\rchecked %zu/%zu packages in %.1f s                 \n", b.n, b.n, now_seconds() - t0);
    /* Rounds, so that order inside a batch does not matter: a replacement
     * waits for its old transcript's recall, a recall for its transcript. */
    int progress = !failed_db;
    while (progress && !failed_db) {
        progress = 0;
        for (size_t i = 0; i < b.n; i++) {
            pkg_t *p = &b.pkgs[i];
            if (p->outcome != PKG_PENDING)
                continue;
            int r = try_publish(&b, p, v, &dbrc);
            if (r == TRY_FAIL) {
                failed_db = 1;
                break;
            }
            if (r == TRY_DONE) {
                progress = 1;
                release_bytes(p);
            }
        }
    }
    if (failed_db) {
        if (o->dry_run)
            fprintf(stderr, "hocba-publish: check: the index could not be read: %s\n", index_strerror(dbrc));
        else
            fprintf(stderr, "hocba-publish: batch: nothing was published: %s\n", index_write_error(ix, dbrc));
        mdb_txn_abort(b.txn);
        goto done;
    }
    size_t refused = 0, published = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (b.pkgs[i].outcome == PKG_PENDING)
            b.pkgs[i].outcome = PKG_REFUSED; /* its reason says what it waited for */
        refused += b.pkgs[i].outcome == PKG_REFUSED;
        published += b.pkgs[i].outcome == PKG_PUBLISHED;
    }
    if (o->dry_run) {
        mdb_txn_abort(b.txn); /* read-only: nothing to commit, and nothing was written */
    } else if (o->strict && refused > 0) {
        index_abort(ix, b.txn);
        for (size_t i = 0; i < b.n; i++)
            if (b.pkgs[i].outcome == PKG_PUBLISHED)
                refuse(&b.pkgs[i], "not published: --strict, and %zu package(s) of the batch were refused", refused);
    } else {
        if (published > 0 && (dbrc = index_set_last_published(ix, b.txn, b.now)) != 0)
            index_abort(ix, b.txn); /* commit frees the txn itself, even when it fails */
        else
            dbrc = index_commit(ix, b.txn);
        if (dbrc != 0) {
            fprintf(stderr, "hocba-publish: batch: nothing was published: %s\n", index_write_error(ix, dbrc));
            goto done;
        }
    }
    for (size_t i = 0; i < b.n; i++)
        print_line(&b.pkgs[i], o->json, o->dry_run);
    if (!o->json && isatty(STDOUT_FILENO))
        fprintf(stderr, "%zu %s, %zu refused, %zu already published\n", o->strict && refused ? 0 : published,
                o->dry_run ? "would publish" : "published", refused, b.n - refused - published);
    rc = refused > 0 ? EXIT_REFUSED : 0;
done:
    batch_free(&b);
    free(v);
    return rc;
}

static int cmd_batch(index_t *ix, int argc, char **argv)
{
    publish_opts_t o = {0};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--strict") == 0)
            o.strict = 1;
        else if (strcmp(argv[i], "--json") == 0)
            o.json = 1;
        else if (o.dir == NULL && argv[i][0] != '-')
            o.dir = argv[i];
        else
            publish_die_usage();
    }
    if (o.dir == NULL)
        publish_die_usage();
    return publish_packages(ix, &o);
}

int main(int argc, char **argv)
{
    const char *db = NULL;
    /* A batch allocates and frees the same sizes for every package; keeping
     * freed memory instead of returning it to the kernel saves a page fault
     * per touch (measured: a fifth of the batch time on this VM). */
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    jarena_install();
    /* --drop-unverifiable-crls and --accept-invalidation may stand anywhere
     * on the line (cli.md), and so may --allow-older-crl (decisions.md) */
    int drop = 0, accept = 0, older = 0, kept = 1;
    const char *log_dir = getenv("HOCBA_LOG");
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--log") == 0 && k + 1 < argc)
            log_dir = argv[++k];
        else if (strncmp(argv[k], "--log=", 6) == 0)
            log_dir = argv[k] + 6;
        else if (strcmp(argv[k], "--drop-unverifiable-crls") == 0)
            drop = 1;
        else if (strcmp(argv[k], "--allow-older-crl") == 0)
            older = 1;
        else if (strcmp(argv[k], "--accept-invalidation") == 0)
            accept = 1;
        else
            argv[kept++] = argv[k];
    }
    argc = kept;
    argv[argc] = NULL;
    int i = 1;
    char why[1024]; /* an upgrade's refusal names a CRL and the command that gets past it */
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strncmp(argv[i], "--db=", 5) == 0)
            db = argv[i] + 5;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            publish_die_usage();
        else
            break;
    }
    if (db == NULL || i >= argc)
        publish_die_usage();
    const char *cmd = argv[i++];
    static const char *const CMDS[] = {"trust", "crl",   "schools", "batch",  "status",
                                       "check", "certs", "stats",   "replay", "digest"};
    int known = 0;
    for (size_t k = 0; k < sizeof CMDS / sizeof *CMDS; k++)
        known |= strcmp(cmd, CMDS[k]) == 0;
    if (!known) {
        fprintf(stderr, "hocba-publish: unknown command \"%s\"\n", cmd);
        publish_die_usage();
    }
    if ((drop && strcmp(cmd, "trust") != 0 && strcmp(cmd, "crl") != 0) || (accept && strcmp(cmd, "schools") != 0)) {
        fprintf(stderr, "hocba-publish: %s\n",
                drop && strcmp(cmd, "trust") != 0 && strcmp(cmd, "crl") != 0
                    ? "--drop-unverifiable-crls is for trust and crl only"
                    : "--accept-invalidation is for schools only");
        publish_die_usage();
    }
    if (older && strcmp(cmd, "crl") != 0) {
        fprintf(stderr, "hocba-publish: --allow-older-crl is for crl only\n");
        publish_die_usage();
    }
    /* check, certs and stats only read: they open the index read-only, so
     * they neither create nor upgrade one (index_open says which command
     * does), and run beside the portal and a publisher */
    int readonly = strcmp(cmd, "check") == 0 || strcmp(cmd, "certs") == 0 || strcmp(cmd, "stats") == 0 ||
                   strcmp(cmd, "digest") == 0;
    index_t *ix;
    if (index_open(db, (readonly ? INDEX_OPEN_READONLY : 0) | (drop ? INDEX_OPEN_FORGET_UNFOUND : 0), &ix,
                   why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: %s\n", why);
        return EXIT_NOTHING;
    }
    if (index_upgraded_from(ix) != 0)
        fprintf(stderr,
                "hocba-publish: upgraded the index %s in place from format %d to %d (docs/index-format.md)%s%s\n",
                db, index_upgraded_from(ix), INDEX_FORMAT, index_upgrade_note(ix)[0] ? "; " : "",
                index_upgrade_note(ix));
    if (publish_log_setup(ix, cmd, log_dir) != 0) {
        index_close(ix);
        return EXIT_NOTHING;
    }
    int rc;
    if (strcmp(cmd, "trust") == 0)
        rc = cmd_trust(ix, argc - i, argv + i, drop);
    else if (strcmp(cmd, "crl") == 0)
        rc = cmd_crl(ix, argc - i, argv + i, drop, older);
    else if (strcmp(cmd, "schools") == 0)
        rc = cmd_schools(ix, argc - i, argv + i, accept);
    else if (strcmp(cmd, "batch") == 0)
        rc = cmd_batch(ix, argc - i, argv + i);
    else if (strcmp(cmd, "check") == 0)
        rc = cmd_check(ix, argc - i, argv + i);
    else if (strcmp(cmd, "certs") == 0)
        rc = cmd_certs(ix, argc - i, argv + i);
    else if (strcmp(cmd, "stats") == 0)
        rc = cmd_stats(ix, argc - i, argv + i);
    else if (strcmp(cmd, "replay") == 0)
        rc = cmd_replay(ix, argc - i, argv + i);
    else if (strcmp(cmd, "digest") == 0)
        rc = cmd_digest(ix, argc - i, argv + i);
    else
        rc = cmd_status(ix, argc - i, argv + i);
    index_close(ix);
    return rc;
}
