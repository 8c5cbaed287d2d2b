/* publish_batch_internal.h — what the batch pipeline's files share:
 * publish_batch.c (the pipeline, `batch`), publish_package.c (phase 1) and
 * publish_write.c (phase 2). Nothing else includes it. publish_batch.c
 * calls the other two, publish_write.c calls publish_package.c, and
 * publish_package.c neither. The prefix batch_ marks these symbols. */
#ifndef HOCBA_TOOLS_PUBLISH_BATCH_INTERNAL_H
#define HOCBA_TOOLS_PUBLISH_BATCH_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "lookup/code.h"
#include "lookup/index.h"
#include "lookup/payload.h"
#include "lookup/trust.h"
#include "lookup/verify.h"
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
    atomic_uchar *ready;     /* ready[i] set when pkgs[i] is checked */
    atomic_size_t wake_done; /* the writer sleeps on cond until `done` reaches this; 0: awake */
    int dirfd;
    /* phase 2's store (store_* below): the write transaction, or for a dry
     * run a read-only one and the overlay of what the batch would write */
    index_t *ix;
    MDB_txn *txn;
    overlay_t *pending; /* NULL: not a dry run */
} batch_t;

/* what batch_try_publish made of a package */
enum { TRY_DONE, TRY_WAIT, TRY_FAIL };

/* ---- publish_package.c -------------------------------------------------------------------------- */

/** Set p's reason (what it waits for, or why it was refused), allocating it on first use; out of memory
 * leaves a fixed reason that says so. */
void batch_set_reason(pkg_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Refuse p, with its reason. */
void batch_refuse(pkg_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Free p's reason (never the fixed one) and leave it NULL. */
void batch_free_reason(pkg_t *p);

/** Refuse p because v's revocation cannot be judged now (package-format.md §6). */
void batch_refuse_unjudged(pkg_t *p, const verdict_t *v);

/** Keep in f what phase 2 needs of a payload, before its tree is freed. */
void batch_keep_facts(facts_t *f, const payload_t *pl);

/** Phase 1's thread (arg: the batch_t): take the next package, check it, mark it ready, until none is left.
 * @return NULL. */
void *batch_worker(void *arg);

/* ---- publish_write.c ---------------------------------------------------------------------------- */

/** A package refused by its checks whose payload is already stored is "already published".
 * @return 1 when it is (its outcome set), 0 when not, -1 with *dbrc set on a database error. */
int batch_published_before(batch_t *b, pkg_t *p, int *dbrc);

/** Phase 2 for one package, inside the write transaction (or the dry run's read-only one and its overlay).
 * @return TRY_DONE (its outcome set), TRY_WAIT (for another package of the batch; its reason says which),
 *         or TRY_FAIL with *dbrc set. */
int batch_try_publish(batch_t *b, pkg_t *p, verdict_t *v, int *dbrc);

#endif
