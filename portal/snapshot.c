/* snapshot.c — the index and trust store shared between threads (snapshot.h). */
#include "portal/snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *db_path; /* --db, set once by snapshot_open */

static pthread_mutex_t trust_lock = PTHREAD_MUTEX_INITIALIZER;
static snapshot_trust_t *trust_current;

static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(snapshot_env_t *) env_current; /* written by thread 0 under env_lock */

static void trust_release(snapshot_trust_t *r)
{
    if (r != NULL && atomic_fetch_sub(&r->refs, 1) == 1) {
        trust_free(r->trust);
        free(r);
    }
}

static int read_trust_version(index_t *ix, MDB_txn *txn, uint64_t *out)
{
    index_counts_t c;
    int rc = index_counts(ix, txn, &c);
    *out = c.trust_version;
    return rc;
}

static void env_release(snapshot_env_t *e)
{
    if (e != NULL && atomic_fetch_sub(&e->refs, 1) == 1) {
        index_close(e->ix);
        free(e);
    }
}

/* Open the index db_path names now (through its symlink, if it is one). */
static snapshot_env_t *env_open(char *why, size_t whylen)
{
    struct stat st;
    if (stat(db_path, &st) != 0) {
        snprintf(why, whylen, "%s: %s", db_path, strerror(errno));
        return NULL;
    }
    snapshot_env_t *e = calloc(1, sizeof *e);
    if (e == NULL || index_open(db_path, 1, &e->ix, why, whylen) != 0) {
        free(e);
        return NULL;
    }
    static uint64_t generations; /* only thread 0 (and main before it) opens */
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    e->gen = ++generations;
    atomic_store(&e->refs, 1);
    return e;
}

/* The index for rd's next request: moves rd to a newer snapshot when one
 * was swapped in (its read txn is dropped first). */
static index_t *current_index(snapshot_reader_t *rd)
{
    /* the common case, no lock: this thread already reads the current one
     * (and holds a reference to it, so it cannot go away) */
    if (rd->env != NULL && atomic_load(&env_current) == rd->env)
        return rd->env->ix;
    pthread_mutex_lock(&env_lock);
    snapshot_env_t *cur = env_current;
    if (rd->env != cur)
        atomic_fetch_add(&cur->refs, 1);
    pthread_mutex_unlock(&env_lock);
    if (rd->env != cur) {
        if (rd->txn != NULL) {
            mdb_txn_abort(rd->txn);
            rd->txn = NULL;
        }
        env_release(rd->env);
        rd->env = cur;
    }
    return cur->ix;
}

int snapshot_open(const char *db, char *why, size_t whylen)
{
    db_path = db;
    snapshot_env_t *first = env_open(why, whylen);
    if (first == NULL)
        return -1;
    atomic_store(&env_current, first);
    return 0;
}

/* Does the current snapshot still have the format this program reads? An
 * upgrade in place (hocba-publish on the index the portal serves) changes
 * it under an open environment, and records of the new format would read
 * as damaged. */
static int format_still_read(snapshot_env_t *cur, char *why, size_t whylen)
{
    MDB_txn *txn;
    if (mdb_txn_begin(index_env(cur->ix), NULL, MDB_RDONLY, &txn) != 0)
        return 1; /* cannot look now: the requests say "cannot check now" on their own */
    int format = index_stored_format(cur->ix, txn);
    mdb_txn_abort(txn);
    if (format == INDEX_FORMAT)
        return 1;
    snprintf(why, whylen, "the index at %s now has format %d; this program reads format %d", db_path, format,
             INDEX_FORMAT);
    return 0;
}

/* Has --db been pointed at another snapshot? Then open it and make it
 * current; threads follow one by one between requests, and the old one
 * closes when the last has left it. */
int snapshot_watch(char *why, size_t whylen)
{
    static time_t last;
    static dev_t bad_dev; /* a snapshot that failed to open: said once, not every second */
    static ino_t bad_ino;
    struct stat st;
    time_t now = time(NULL);
    if (now == last)
        return 0;
    last = now;
    char data[4096], err[512];
    snprintf(data, sizeof data, "%s/data.mdb", db_path);
    snapshot_env_t *cur = atomic_load(&env_current), *e = NULL;
    /* a swap first: the format that matters is the one of the snapshot served from now on */
    if (stat(db_path, &st) == 0 && !(st.st_dev == cur->dev && st.st_ino == cur->ino) &&
        !(st.st_dev == bad_dev && st.st_ino == bad_ino) && access(data, R_OK) == 0) {
        if ((e = env_open(err, sizeof err)) == NULL) {
            bad_dev = st.st_dev;
            bad_ino = st.st_ino;
            fprintf(stderr, "hocba-portal: a new index at %s cannot be opened, keeping the current one: %s\n",
                    db_path, err);
        } else {
            pthread_mutex_lock(&env_lock);
            snapshot_env_t *old = env_current;
            env_current = e;
            pthread_mutex_unlock(&env_lock);
            env_release(old);
            cur = e;
            fprintf(stderr, "hocba-portal: serving a new snapshot of the index (%s)\n", db_path);
        }
    }
    return format_still_read(cur, why, whylen) ? 0 : -1;
}

MDB_txn *snapshot_begin(snapshot_reader_t *rd)
{
    index_t *ix = current_index(rd);
    int rc =
        rd->txn == NULL ? mdb_txn_begin(index_env(ix), NULL, MDB_RDONLY, &rd->txn) : mdb_txn_renew(rd->txn);
    if (rc != 0) {
        if (rd->txn != NULL) {
            mdb_txn_abort(rd->txn);
            rd->txn = NULL;
        }
        return NULL;
    }
    return rd->txn;
}

void snapshot_end(snapshot_reader_t *rd)
{
    if (rd->txn != NULL)
        mdb_txn_reset(rd->txn);
}

/* A trust store built from the inputs visible in txn (of that version), or NULL, said on stderr. */
static trust_t *build_store(snapshot_reader_t *rd, MDB_txn *txn, uint64_t version)
{
    trust_inputs_t in;
    str_t *crls = NULL;
    char why[TRUST_WHY_LEN] = "the trust inputs cannot be read from the index";
    trust_t *t = NULL;
    if (index_get_trust(rd->env->ix, txn, &in, &crls) != 0 || trust_build(&in, &t, why, sizeof why) != 0) {
        t = NULL;
        fprintf(stderr, "hocba-portal: cannot use the trust inputs (version %llu): %s\n",
                (unsigned long long)version, why);
    }
    free(crls);
    return t;
}

snapshot_trust_t *snapshot_trust(snapshot_reader_t *rd, MDB_txn *txn, int *unavailable)
{
    uint64_t version;
    *unavailable = 0;
    if (read_trust_version(rd->env->ix, txn, &version) != 0) {
        *unavailable = 1;
        return NULL;
    }
    /* A snapshot from another primary may reuse a version number with other
     * inputs: a store belongs to one snapshot (env generation) and version. */
    uint64_t gen = rd->env->gen;
    if (rd->trust != NULL && rd->trust->version == version && rd->trust->env_gen == gen)
        return rd->trust;
    pthread_mutex_lock(&trust_lock);
    if (trust_current == NULL || trust_current->version != version || trust_current->env_gen != gen) {
        trust_t *t = build_store(rd, txn, version);
        if (t != NULL) {
            snapshot_trust_t *r = calloc(1, sizeof *r);
            if (r != NULL) {
                r->trust = t;
                r->version = version;
                r->env_gen = gen;
                atomic_store(&r->refs, 1);
                trust_release(trust_current);
                trust_current = r;
            } else {
                trust_free(t);
            }
        }
    }
    snapshot_trust_t *r =
        trust_current != NULL && trust_current->version == version && trust_current->env_gen == gen
            ? trust_current
            : NULL;
    if (r != NULL)
        atomic_fetch_add(&r->refs, 1);
    pthread_mutex_unlock(&trust_lock);
    if (r == NULL) {
        *unavailable = 1;
        return NULL;
    }
    trust_release(rd->trust);
    rd->trust = r;
    return r;
}

trust_t *snapshot_check_trust(snapshot_reader_t *rd, MDB_txn *txn, int *unavailable)
{
    uint64_t version;
    *unavailable = 0;
    if (read_trust_version(rd->env->ix, txn, &version) != 0) {
        *unavailable = 1;
        return NULL;
    }
    size_t bytes = 0, certs = rd->check != NULL ? trust_cert_count(rd->check, &bytes) : 0;
    if (rd->check != NULL && rd->check_version == version && rd->check_env_gen == rd->env->gen &&
        certs <= rd->check_built_certs + SNAPSHOT_CHECK_CERTS &&
        bytes <= rd->check_built_bytes + SNAPSHOT_CHECK_DER_BYTES)
        return rd->check;
    trust_free(rd->check);
    rd->check = build_store(rd, txn, version);
    if (rd->check == NULL) {
        *unavailable = 1;
        return NULL;
    }
    rd->check_version = version;
    rd->check_env_gen = rd->env->gen;
    rd->check_built_certs = trust_cert_count(rd->check, &rd->check_built_bytes);
    return rd->check;
}

void snapshot_leave(snapshot_reader_t *rd)
{
    trust_free(rd->check);
    rd->check = NULL;
    if (rd->txn != NULL)
        mdb_txn_abort(rd->txn);
    rd->txn = NULL;
    env_release(rd->env);
    rd->env = NULL;
    trust_release(rd->trust);
    rd->trust = NULL;
}

void snapshot_close(void)
{
    trust_release(trust_current);
    trust_current = NULL;
    env_release(env_current);
    env_current = NULL;
}
