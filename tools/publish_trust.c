/* publish_trust.c — `trust` and `crl`: new anchors and intermediates, new
 * CRLs, each refused when it would leave a stored CRL or a remembered
 * issuer unverifiable unseen (package-format.md §6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookup/index.h"
#include "lookup/trust.h"
#include "tools/publish.h"

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

/* A CRL, as the refusals and warnings of `trust` and `crl` name it. */
const char *publish_crl_words(const trust_crl_info_t *ci, char *out, size_t n)
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
                publish_crl_words(&b[i], words, sizeof words),
                drop ? "no longer verifies" : "would no longer verify",
                drop ? " (--drop-unverifiable-crls): the records under that CA answer \"cannot check now\" "
                       "until a "
                       "CRL of it verifies again"
                     : "");
    }
    return lost;
}

int cmd_trust(index_t *ix, int argc, char **argv, int drop)
{
    char why[TRUST_WHY_LEN];
    uint8_t *a = NULL, *m = NULL;
    size_t alen = 0, mlen = 0;
    int rc = EXIT_NOTHING, na, nm = 0;
    MDB_txn *txn;
    trust_t *before = NULL, *after = NULL;

    if (argc < 1 || argc > 2)
        publish_die_usage();
    if (publish_read_file(argv[0], 16 << 20, &a, &alen, why, sizeof why) != 0 ||
        (argc == 2 && publish_read_file(argv[1], 16 << 20, &m, &mlen, why, sizeof why) != 0)) {
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
    if (publish_build_trust(ix, txn, 0, &before, why, sizeof why) != 0)
        before = NULL;
    r = index_set_trust_value(ix, txn, "anchors", str_n(a, alen));
    if (r == 0)
        r = index_set_trust_value(ix, txn, "intermediates", str_n(m, mlen));
    if (r == 0 && publish_build_trust(ix, txn, 0, &after, why, sizeof why) != 0) {
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
    if ((rc = publish_commit_or_say(ix, txn, r, "trust")) == 0)
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
                k < nb ? publish_crl_words(&b[k], words, sizeof words) : "none of its CRLs verifies now",
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
                publish_crl_words(neu, now, sizeof now), publish_rfc3339(neu->this_update, ta),
                publish_crl_words(old, was, sizeof was), publish_rfc3339(old->this_update, tb),
                allow ? " (--allow-older-crl): going back to it; what only the newer one revokes is not "
                        "revoked any more"
                      : "");
    }
    return older;
}

int cmd_crl(index_t *ix, int argc, char **argv, int drop, int allow_older)
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
    if (publish_load_trust(ix, &trust, why, sizeof why) != 0) {
        fprintf(stderr, "hocba-publish: crl: %s\n", why);
        goto done;
    }
    int total = 0;
    for (int i = 0; i < argc; i++) {
        size_t len;
        int n = -1;
        if (publish_read_file(argv[i], 64 << 20, &bufs[i], &len, why, sizeof why) != 0 ||
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
    if (r == 0 && publish_build_trust(ix, txn, 0, &after, why, sizeof why) != 0) {
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
    if ((rc = publish_commit_or_say(ix, txn, r, "crl")) == 0)
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
