/* publish_common.c — what hocba-publish's commands share: the usage, a
 * file read whole, the trust store built from what a transaction sees, a
 * write committed or its failure said, plain text and times printed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lookup/index.h"
#include "lookup/trust.h"
#include "tools/publish.h"

#include "lookup/file.h"

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
        "a writing command (trust, crl, schools, batch) takes --log LOGDIR (or HOCBA_LOG): the publication "
        "log\n");
    exit(EXIT_NOTHING);
}

/* Read a whole regular file of at most max bytes (lookup/file.h); path
 * relative to dirfd (AT_FDCWD for the working directory). With nofollow, a
 * symbolic link is refused instead of followed: a batch reads only the files
 * inside its directory (cli.md), never what a link there points at. A FIFO
 * or a device named like a package is refused at once, never waited on
 * while the batch holds the index's write transaction. */
int publish_read_file_at(int dirfd, const char *path, int nofollow, size_t max, uint8_t **out, size_t *len,
                         char *why, size_t whylen)
{
    char *buf;
    int rc = file_read_at(dirfd, path, nofollow ? FILE_NOFOLLOW : 0, max, &buf, len);
    *out = (uint8_t *)buf;
    switch (rc) {
    case FILE_OK:
        return 0;
    case FILE_ELINK:
        snprintf(why, whylen, "%s is a symbolic link; a batch reads only regular files inside its directory",
                 path);
        return -1;
    case FILE_EOPEN:
        snprintf(why, whylen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    case FILE_ENOTREG:
        snprintf(why, whylen, "%s is not a regular file", path);
        return -1;
    case FILE_ETOOBIG:
        snprintf(why, whylen, "%s is %zu bytes; the limit is %zu", path, *len, max);
        return -2;
    default:
        snprintf(why, whylen, "cannot read %s", path);
        return -1;
    }
}

int publish_read_file(const char *path, size_t max, uint8_t **out, size_t *len, char *why, size_t whylen)
{
    return publish_read_file_at(AT_FDCWD, path, 0, max, out, len, why, whylen);
}

/* The trust store of the inputs txn sees (the remembered issuers included).
 * Without the registry (with_registry 0) it still judges chains and CRLs:
 * what `trust` and `crl` compare. */
int publish_build_trust(index_t *ix, MDB_txn *txn, int with_registry, trust_t **trust, char *why,
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
    return publish_build_trust(ix, txn, 1, trust, why, whylen);
}

int publish_load_trust(index_t *ix, trust_t **trust, char *why, size_t whylen)
{
    MDB_txn *txn;
    int rc = index_begin(ix, 1, &txn);
    if (rc != 0) {
        snprintf(why, whylen, "cannot read the index: %s", index_strerror(rc));
        return -1;
    }
    rc = publish_build_trust(ix, txn, 1, trust, why, whylen);
    mdb_txn_abort(txn);
    return rc;
}

int publish_commit_or_say(index_t *ix, MDB_txn *txn, int rc, const char *what)
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

void publish_put_plain(const char *s)
{
    for (const char *c = s; *c; c++)
        putchar((unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c);
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

double publish_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
