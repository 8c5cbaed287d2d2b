/* snapshot.h — the index and the trust store the portal's threads share.
 *
 * The portal reads one index environment, opened read-only from --db. A
 * replica swaps in a new snapshot by pointing --db (a symlink) at another
 * directory: thread 0 notices (snapshot_watch), opens it and makes it
 * current, and every thread moves over between two of its requests; the old
 * one closes when the last thread has left it. Each snapshot's trust inputs
 * build one trust store, shared by the threads that read them: it is
 * rebuilt only when the index says the inputs changed.
 *
 * A thread holds what it reads in its own snapshot_reader_t; nothing here
 * knows of HTTP. */
#ifndef HOCBA_PORTAL_SNAPSHOT_H
#define HOCBA_PORTAL_SNAPSHOT_H

#include <lmdb.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "lookup/index.h"
#include "lookup/trust.h"

/** An open index environment, shared by the threads that read it. */
typedef struct {
    index_t *ix;
    atomic_int refs;
    dev_t dev;
    ino_t ino;
    uint64_t gen; /* 1, 2, ...: trust versions are only comparable within one snapshot's lineage */
} snapshot_env_t;

/** One trust store, shared by the threads that use it. */
typedef struct {
    trust_t *trust;
    uint64_t env_gen; /* the snapshot it was built from (snapshot_env_t.gen) */
    uint64_t version; /* and the trust version there */
    atomic_int refs;
} snapshot_trust_t;

/* What a thread's own store for checks may have decoded of files sent before it is built again
 * (snapshot_check_trust): so many certificates (~5 KB each, decoded), or so many bytes of their DER
 * (a certificate of many short names takes up to 12 times its DER decoded). */
#define SNAPSHOT_CHECK_CERTS 256
#define SNAPSHOT_CHECK_DER_BYTES (1u << 20)

/** What one thread reads: zero it before the first use; only its thread touches it. */
typedef struct {
    snapshot_env_t *env;     /* the index this thread reads (a reference held) */
    MDB_txn *txn;            /* read-only on env, reset between requests */
    snapshot_trust_t *trust; /* the store this thread last used (a reference held) */
    /* the thread's own store for checks of files sent (snapshot_check_trust) */
    trust_t *check;
    uint64_t check_env_gen, check_version;
    size_t check_built_certs, check_built_bytes; /* trust_cert_count(check) when it was built */
} snapshot_reader_t;

/** Open the index at db (read-only, through its symlink if it is one) and make it current.
 * Call once, at start, before any thread reads; db is kept (borrowed) for snapshot_watch.
 * @return 0, or -1 with why set (missing, not an index, another format, ...). */
int snapshot_open(const char *db, char *why, size_t whylen);

/** Thread 0, between two turns of its loop, once a second: when db has been pointed at another
 * snapshot, open it and make it current. One that fails to open is said once on stderr and the
 * current one kept.
 * @return 0, or -1 with why set when the current snapshot's format is no longer the one this
 *         program reads (upgraded in place under it): the portal stops then, rather than answer
 *         "cannot check now" for every record the newer programs write. */
int snapshot_watch(char *why, size_t whylen);

/** Begin (or renew) rd's read transaction on the current snapshot, moving rd over to it first when
 * one was swapped in (its old transaction is dropped).
 * @return the transaction, or NULL when the index cannot be read now. End it with snapshot_end. */
MDB_txn *snapshot_begin(snapshot_reader_t *rd);

/** Reset rd's read transaction (kept for the next snapshot_begin). */
void snapshot_end(snapshot_reader_t *rd);

/** The trust store for the trust inputs visible in txn (rd's, from snapshot_begin). A thread keeps
 * its store until the index says the inputs changed; then the first thread to notice builds the
 * new one and the others share it.
 * @param unavailable  set to 1 when the inputs cannot be read or built (said on stderr), else 0
 * @return the store, held by rd until its next call or snapshot_leave (so it outlives txn), or
 *         NULL with *unavailable set. Thread-safe. */
snapshot_trust_t *snapshot_trust(snapshot_reader_t *rd, MDB_txn *txn, int *unavailable);

/** The trust store for checking a file someone sent (http.md, POST /check): the thread's own,
 * built from the same inputs as snapshot_trust's. A store keeps every certificate it decodes, and
 * anyone may send a file of certificates never seen: they must not grow the store every thread
 * shares. This one is built again once it has decoded more than SNAPSHOT_CHECK_CERTS
 * certificates, or SNAPSHOT_CHECK_DER_BYTES of their DER, beyond its bundles', or when the inputs
 * changed.
 * @param unavailable  set to 1 when the inputs cannot be read or built (said on stderr), else 0
 * @return the store, held by rd until its next call or snapshot_leave, or NULL with *unavailable
 *         set. Only rd's thread may use it. */
trust_t *snapshot_check_trust(snapshot_reader_t *rd, MDB_txn *txn, int *unavailable);

/** Release everything rd holds (its thread is ending). */
void snapshot_leave(snapshot_reader_t *rd);

/** Release the current snapshot and trust store, once every thread has left (at exit). */
void snapshot_close(void);

#endif
