/* server.h — the portal process: its options, the state it reads after
 * start-up, and each event-loop thread's own state.
 *
 * main.c fills `portal` while it starts (options, templates, static files,
 * keys) and before any thread runs; after that the threads only read it
 * (but the atomics). A worker_t belongs to its thread: only that thread
 * touches it, but for its connection count, which any thread reads. */
#ifndef HOCBA_PORTAL_SERVER_H
#define HOCBA_PORTAL_SERVER_H

#include <h2o.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lookup/jarena.h"
#include "lookup/render.h"
#include "portal/snapshot.h"

#define PORTAL_MAX_LISTENERS 8
#define PORTAL_MAX_PROXIES 8 /* --trusted-proxy addresses */
#define PORTAL_MAX_THREADS 64
#define PORTAL_MAX_HEADER_BYTES 8192 /* request headers, names and values together */
#define PORTAL_MAX_HEADERS 64

/** A static file served from memory. */
typedef struct {
    char name[128]; /* path under /static/ */
    char *data;
    size_t len;
    const char *type;
} static_file_t;

/** Options and process-wide read-mostly state. */
typedef struct {
    const char *db;
    const char *listen[PORTAL_MAX_LISTENERS];
    int nlisten;
    const char *metrics_listen;
    char public_url[512];
    int threads;
    unsigned rate_limit; /* lookups per minute per client; 0 = off */
    long cache_entries;
    long cache_mb; /* bound on cached bodies, MiB, split between threads */
    const char *access_log;
    const char *tls_cert, *tls_key;
    SSL_CTX *ssl_ctx;      /* NULL: cleartext HTTP/1.1 */
    int h2c;               /* --h2c: allow cleartext HTTP/2 (off by default: docs/operations.md) */
    atomic_int reopen_log; /* set by SIGHUP */
    const char *templates_dir;
    const char *static_dir;
    const char *receipt_cert, *receipt_key; /* --receipt-cert, --receipt-key */
    struct receipt_signer *receipts;        /* loaded from them at start; NULL: receipts answer 404 */

    render_set_t *templates;
    render_set_t *pages[2]; /* templates with the catalog of each language bound (render_bind) */
    json_t *catalog[2];     /* 0 = vi, 1 = en; read-only after start */
    static_file_t *statics;
    size_t nstatics;
    int log_fd;                     /* -1 when no access log */
    unsigned char log_key[32];      /* keys the hashes that stand for codes in logs */
    EVP_MAC *key_mac;               /* Poly1305: the cache keys' digest (transcript.c) */
    unsigned char cache_secret[32]; /* its key, random for each run, never leaves the process */
    struct ratelimit *limiter;
    /* --trusted-proxy: peers whose X-Forwarded-For names the client (rq_client) */
    struct sockaddr_storage trusted_proxies[PORTAL_MAX_PROXIES];
    int ntrusted_proxies;
    atomic_int stopping;
    atomic_int exit_status; /* 0, or 2 when the portal stopped on its own (an index it no longer reads) */
    struct worker *workers; /* the event-loop threads (portal.threads of them), set before they start */
} portal_t;

/** Per event-loop thread. */
typedef struct worker {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    portal_t *p;
    snapshot_reader_t rd; /* the index and trust store this thread reads */
    json_t *catalog[2];   /* this thread's copies: jansson reference counts are not shared */
    struct cache *cache;  /* answers of transcript routes (cache.h); NULL when disabled */
    jarena_t *arena;      /* jansson's memory while a transcript answer is made (jarena.h) */
    render_out_t page;    /* the transcript page being made; keeps its capacity (transcript.c) */
    EVP_MAC_CTX *key_mac; /* digests the cache keys; made on first use, reset for each */
    int id;
    atomic_int conns;                /* open connections this thread serves (main.c balances them) */
    atomic_int accept_paused;        /* this thread left the listeners to a thread with fewer connections,
                                      * or for a while when out of descriptors */
    uint64_t accept_resume_at;       /* h2o_now() before which it stays away (out of descriptors) */
    uint64_t accept_said_at;         /* when it last said so on stderr */
    h2o_multithread_receiver_t wake; /* another thread wakes this one's loop to take the listeners back */
    h2o_socket_t *listeners[PORTAL_MAX_LISTENERS]; /* this thread's watch on each listening socket */
    h2o_context_t metrics_ctx;                     /* thread 0 only, with --metrics-listen */
    h2o_accept_ctx_t metrics_accept;
} worker_t;

extern portal_t portal;

#endif
