/* main.c — hocba-portal: options, start-up, event-loop threads, shutdown. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <malloc.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lookup/file.h"
#include "lookup/jarena.h"
#include "lookup/receipt.h"
#include "portal/cache.h"
#include "portal/limits.h"
#include "portal/alog.h"
#include "portal/match.h"
#include "portal/ratelimit.h"
#include "portal/routes.h"
#include "portal/server.h"
#include "portal/snapshot.h"

portal_t portal;

static h2o_globalconf_t config;
static h2o_globalconf_t metrics_config;
static int listen_fds[PORTAL_MAX_LISTENERS];
static int metrics_fd = -1;
/* Kept until exit: connections still open at shutdown (HTTP/1 keep-alive
 * cannot be closed by libh2o 2.2.5) live in these threads' loops. */
static worker_t *workers;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hocba-portal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static void usage(void)
{
    fprintf(stderr, "usage: hocba-portal --db PATH [--listen HOST:PORT]... [--public-url URL] [--threads N]\n"
                    "                    [--tls-cert FILE --tls-key FILE] [--h2c]\n"
                    "                    [--metrics-listen HOST:PORT] [--rate-limit N] [--cache-entries N] "
                    "[--cache-mb N]\n"
                    "                    [--trusted-proxy IP]... [--access-log PATH|-] [--templates DIR] "
                    "[--static DIR]\n"
                    "                    [--receipt-cert FILE --receipt-key FILE]\n");
    exit(2);
}

/* ---- start-up ---------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len, size_t max)
{
    char *b;
    return file_read(path, max, &b, len) == FILE_OK ? b : NULL;
}

static const char *mime_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } T[] = {{".css", "text/css; charset=utf-8"},
             {".json", "application/json"},
             {".svg", "image/svg+xml"},
             {".png", "image/png"},
             {".ico", "image/x-icon"},
             {".txt", "text/plain; charset=utf-8"},
             {".pem", "application/pem-certificate-chain"},
             {".webmanifest", "application/manifest+json"}};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        size_t m = strlen(T[i].ext);
        if (n > m && strcmp(name + n - m, T[i].ext) == 0)
            return T[i].type;
    }
    return NULL;
}

/* Load every file of dir (and one level of subdirectories) into memory: the
 * static route serves exactly these names and nothing else. */
static void load_statics(const char *dir, const char *prefix, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        if (depth == 0)
            die("cannot read the static directory %s: %s", dir, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX], name[256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        snprintf(name, sizeof name, "%s%s", prefix, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < 1) {
                char sub[256];
                snprintf(sub, sizeof sub, "%s/", name);
                load_statics(path, sub, depth + 1);
            }
            continue;
        }
        const char *type = mime_of(e->d_name);
        if (type == NULL || strlen(name) >= sizeof portal.statics->name)
            continue;
        static_file_t f;
        memset(&f, 0, sizeof f);
        snprintf(f.name, sizeof f.name, "%s", name);
        f.type = type;
        if ((f.data = slurp(path, &f.len, 8 << 20)) == NULL)
            die("cannot read %s", path);
        /* .pem: certificate chains (old receipt chains, docs/operations.md), never a key */
        if (strcmp(type, "application/pem-certificate-chain") == 0 &&
            memmem(f.data, f.len, "PRIVATE KEY", 11) != NULL)
            die("%s holds a private key: the static directory is public", path);
        static_file_t *g = realloc(portal.statics, (portal.nstatics + 1) * sizeof *g);
        if (g == NULL)
            die("out of memory");
        portal.statics = g;
        portal.statics[portal.nstatics++] = f;
    }
    closedir(d);
}

/* --receipt-cert/--receipt-key: read once (a receipt then costs one signature), and the
 * certificates served as /static/receipt-chain.pem, in place of any file of that name. */
static void load_receipt_key(void)
{
    char why[RECEIPT_WHY_LEN];
    if (portal.receipt_cert == NULL)
        return;
    if (receipt_signer_load(portal.receipt_cert, portal.receipt_key, (int64_t)time(NULL), &portal.receipts,
                            why, sizeof why) != 0)
        die("%s", why);
    str_t pem = receipt_signer_chain_pem(portal.receipts);
    static_file_t f;
    memset(&f, 0, sizeof f);
    snprintf(f.name, sizeof f.name, "receipt-chain.pem");
    f.type = "application/pem-certificate-chain"; /* RFC 8555 §9.1 */
    f.len = pem.len;
    if ((f.data = malloc(pem.len)) == NULL)
        die("out of memory");
    memcpy(f.data, pem.ptr, pem.len);
    for (size_t i = 0; i < portal.nstatics; i++)
        if (strcmp(portal.statics[i].name, f.name) == 0) {
            free(portal.statics[i].data);
            portal.statics[i] = f;
            return;
        }
    static_file_t *g = realloc(portal.statics, (portal.nstatics + 1) * sizeof *g);
    if (g == NULL)
        die("out of memory");
    portal.statics = g;
    portal.statics[portal.nstatics++] = f;
}

static json_t *load_catalog(const char *dir, const char *lang)
{
    char path[PATH_MAX];
    json_error_t err;
    snprintf(path, sizeof path, "%s/i18n/%s.json", dir, lang);
    json_t *c = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(c))
        die("cannot load the %s catalog %s: line %d: %s", lang, path, err.line, err.text);
    return c;
}

/* Use DIR as given when it exists, else beside the executable (bin/../DIR). */
static const char *find_dir(const char *given, const char *fallback, char *buf, size_t n, const char *argv0)
{
    struct stat st;
    if (given != NULL)
        return given;
    if (stat(fallback, &st) == 0 && S_ISDIR(st.st_mode))
        return fallback;
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        snprintf(buf, n, "%s/../%s", dirname(exe), fallback);
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
            return buf;
        snprintf(buf, n, "%s/../share/hocba/%s", dirname(exe), fallback);
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
            return buf;
    }
    (void)argv0;
    return fallback;
}

/* HOST:PORT (or [v6]:PORT) to a bound, listening socket; exits on failure. */
static int bind_listener(const char *spec)
{
    char host[256];
    const char *port;
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || colon[1] == '\0')
        die("--listen %s: expected HOST:PORT", spec);
    size_t hl = (size_t)(colon - spec);
    if (spec[0] == '[' && hl >= 2 && spec[hl - 1] == ']') {
        spec++;
        hl -= 2;
    }
    if (hl >= sizeof host)
        die("--listen %s: host name too long", spec);
    memcpy(host, spec, hl);
    host[hl] = '\0';
    port = colon + 1;
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0)
        die("--listen %s: %s", spec, gai_strerror(rc));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        die("--listen %s: socket: %s", spec, strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0)
        die("cannot listen on %s: %s", spec, strerror(errno));
    if (listen(fd, SOMAXCONN) != 0)
        die("cannot listen on %s: %s", spec, strerror(errno));
    freeaddrinfo(res);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void set_public_url(const char *given)
{
    if (given != NULL) {
        size_t n = strlen(given);
        while (n > 0 && given[n - 1] == '/')
            n--;
        if (n == 0 || n >= sizeof portal.public_url ||
            (strncmp(given, "http://", 7) != 0 && strncmp(given, "https://", 8) != 0))
            die("--public-url %s: expected http://HOST[:PORT] or https://HOST[:PORT]", given);
        /* pages and QR codes carry it as it is: ASCII only, as a URL on the
         * wire is (a Vietnamese host name goes in its xn-- form) */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)given[i] <= 0x20 || (unsigned char)given[i] >= 0x7f || given[i] == '"' ||
                given[i] == '<' || given[i] == '>' || given[i] == '\\')
                die("--public-url: character %zu is not allowed in a URL (write a host name in its ASCII "
                    "xn-- form, percent-encode the rest)",
                    i + 1);
        /* the portal's own links (the form, /static/, redirects) start at
         * the root of its host: a path here would be in QR codes only */
        size_t host = given[4] == 's' ? 8 : 7;
        int has_path = host == n;
        for (size_t i = host; i < n; i++)
            has_path |= given[i] == '/' || given[i] == '?' || given[i] == '#';
        if (has_path)
            die("--public-url %s: expected http://HOST[:PORT] or https://HOST[:PORT], without a path (the "
                "portal's links start at the root of its host; serve it at the root of a host name)",
                given);
        memcpy(portal.public_url, given, n);
        portal.public_url[n] = '\0';
        return;
    }
    snprintf(portal.public_url, sizeof portal.public_url, "%s://%s", portal.tls_cert ? "https" : "http",
             portal.listen[0]);
}

static long parse_number(const char *opt, const char *s, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < min || v > max)
        die("%s %s: expected a number from %ld to %ld", opt, s, min, max);
    return v;
}

static void parse_options(int argc, char **argv)
{
    const char *public_url = NULL;
    portal.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    portal.rate_limit = 120;
    portal.cache_entries = 10000;
    portal.cache_mb = 32;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                                                         \
    do {                                                                                                     \
        if (val == NULL)                                                                                     \
            die("%s needs a value", o);                                                                      \
        i++;                                                                                                 \
    } while (0)
        if (strcmp(o, "--db") == 0) {
            NEED_VALUE();
            portal.db = val;
        } else if (strcmp(o, "--listen") == 0) {
            NEED_VALUE();
            if (portal.nlisten == PORTAL_MAX_LISTENERS)
                die("at most %d --listen", PORTAL_MAX_LISTENERS);
            portal.listen[portal.nlisten++] = val;
        } else if (strcmp(o, "--public-url") == 0) {
            NEED_VALUE();
            public_url = val;
        } else if (strcmp(o, "--threads") == 0) {
            NEED_VALUE();
            portal.threads = (int)parse_number(o, val, 1, PORTAL_MAX_THREADS);
        } else if (strcmp(o, "--rate-limit") == 0) {
            NEED_VALUE();
            portal.rate_limit = (unsigned)parse_number(o, val, 0, 1000000);
        } else if (strcmp(o, "--cache-entries") == 0) {
            NEED_VALUE();
            portal.cache_entries = parse_number(o, val, 0, 100000000);
        } else if (strcmp(o, "--cache-mb") == 0) {
            NEED_VALUE();
            portal.cache_mb = parse_number(o, val, 0, 1 << 20);
        } else if (strcmp(o, "--trusted-proxy") == 0) {
            NEED_VALUE();
            if (portal.ntrusted_proxies == PORTAL_MAX_PROXIES)
                die("at most %d --trusted-proxy", PORTAL_MAX_PROXIES);
            if (match_parse_ip(val, strlen(val), &portal.trusted_proxies[portal.ntrusted_proxies++]) != 0)
                die("--trusted-proxy %s: expected an IPv4 or IPv6 address, such as 127.0.0.1", val);
        } else if (strcmp(o, "--access-log") == 0) {
            NEED_VALUE();
            portal.access_log = val;
        } else if (strcmp(o, "--metrics-listen") == 0) {
            NEED_VALUE();
            portal.metrics_listen = val;
        } else if (strcmp(o, "--templates") == 0) {
            NEED_VALUE();
            portal.templates_dir = val;
        } else if (strcmp(o, "--static") == 0) {
            NEED_VALUE();
            portal.static_dir = val;
        } else if (strcmp(o, "--tls-cert") == 0) {
            NEED_VALUE();
            portal.tls_cert = val;
        } else if (strcmp(o, "--tls-key") == 0) {
            NEED_VALUE();
            portal.tls_key = val;
        } else if (strcmp(o, "--receipt-cert") == 0) {
            NEED_VALUE();
            portal.receipt_cert = val;
        } else if (strcmp(o, "--receipt-key") == 0) {
            NEED_VALUE();
            portal.receipt_key = val;
        } else if (strcmp(o, "--h2c") == 0) {
            portal.h2c = 1;
        } else if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
            usage();
        } else {
            die("unknown option %s (see --help)", o);
        }
#undef NEED_VALUE
    }
    if (portal.db == NULL)
        die("--db PATH is required");
    if ((portal.tls_cert == NULL) != (portal.tls_key == NULL))
        die("--tls-cert and --tls-key go together");
    if ((portal.receipt_cert == NULL) != (portal.receipt_key == NULL))
        die("--receipt-cert and --receipt-key go together");
    if (portal.nlisten == 0)
        portal.listen[portal.nlisten++] = "127.0.0.1:8080";
    if (portal.threads < 1)
        portal.threads = 1;
    set_public_url(public_url);
}

/* ---- event loops ----------------------------------------------------------------------- */

/* Every thread watches the shared listening socket (level-triggered), and
 * the one to accept a connection is a thread with the fewest open ones:
 * keep-alive clients stay on their thread for their whole life, and
 * whichever thread happened to be waiting took bursts of them (measured
 * with 32 connections: 498 / 0, 283 / 442 ticks of CPU per thread, p99 6.6
 * to 8.0 ms; balanced: 371 / 385 .. 392 / 381, p99 5.2 to 6.2 ms). A
 * thread with more connections than another leaves the listeners alone
 * until it has no more than any other (balance_listeners); the least loaded
 * thread never pauses, so some thread always accepts. A paused thread
 * checks again after each turn of its loop, and a thread whose accept lifts
 * its count above a paused one's wakes that one's loop, so no connection
 * waits for a timer. One connection per wake-up, so that the counts are
 * fresh for the next. */
static void on_conn_close(void *data)
{
    worker_t *w = data;
    atomic_fetch_sub(&w->conns, 1);
}

/* 1 when another thread serves fewer connections than w. */
static int busier_than_another(const worker_t *w)
{
    int mine = atomic_load(&w->conns);
    for (int i = 0; i < portal.threads; i++)
        if (i != w->id && atomic_load(&workers[i].conns) < mine)
            return 1;
    return 0;
}

/* Out of descriptors (or kernel memory), accept fails while the listener stays readable: a loop
 * that kept watching it would spin. The thread leaves its listeners for ACCEPT_BACKOFF_MS (the
 * clients wait in the backlog) and says so at most once a minute. */
#define ACCEPT_BACKOFF_MS 100

/* Stop watching the listeners until balance_listeners takes them back. */
static void leave_listeners(worker_t *w)
{
    for (int i = 0; i < portal.nlisten; i++)
        h2o_socket_read_stop(w->listeners[i]);
    atomic_store(&w->accept_paused, 1);
}

static void leave_listeners_for_a_while(worker_t *w, int err)
{
    uint64_t now = h2o_now(w->ctx.loop);
    w->accept_resume_at = now + ACCEPT_BACKOFF_MS; /* balance_listeners waits until then */
    leave_listeners(w);
    if (w->accept_said_at == 0 || now - w->accept_said_at >= 60000) {
        w->accept_said_at = now;
        fprintf(stderr,
                "hocba-portal: thread %d cannot accept connections (%s); it tries again every %d ms\n", w->id,
                strerror(err), ACCEPT_BACKOFF_MS);
    }
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    worker_t *w = listener->data;
    if (busier_than_another(w)) {
        leave_listeners(w); /* then balance_listeners checks again */
        return;
    }
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL) {
        int e = errno;
        if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)
            leave_listeners_for_a_while(w, e);
        return;
    }
    atomic_fetch_add(&w->conns, 1);
    sock->on_close.cb = on_conn_close;
    sock->on_close.data = w;
    /* after the count, before the pause flag: a thread pausing at the same
     * time either sees this count when it checks again or is seen here */
    for (int i = 0; i < portal.threads; i++)
        if (i != w->id && atomic_load(&workers[i].accept_paused) && !busier_than_another(&workers[i]))
            h2o_multithread_send_message(&workers[i].wake, NULL);
    h2o_accept(&w->accept, sock);
}

/* A wake-up carries no message: the loop's turn ends and balance_listeners runs. */
static void on_wake(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages))
        h2o_linklist_unlink(messages->next);
}

/* After each turn of w's loop: back to the listeners once w serves no more
 * connections than any other thread. */
static void balance_listeners(worker_t *w)
{
    if (!atomic_load(&w->accept_paused) || busier_than_another(w) ||
        h2o_now(w->ctx.loop) < w->accept_resume_at)
        return;
    for (int i = 0; i < portal.nlisten; i++)
        h2o_socket_read_start(w->listeners[i], on_accept);
    atomic_store(&w->accept_paused, 0);
}

static void on_metrics_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_accept_ctx_t *a = listener->data;
    h2o_socket_t *sock;
    while ((sock = h2o_evloop_socket_accept(listener)) != NULL)
        h2o_accept(a, sock);
}

static void *run_worker(void *arg)
{
    worker_t *w = arg;
    h2o_socket_t **socks = w->listeners, *msock = NULL;

    w->catalog[0] = json_deep_copy(portal.catalog[0]);
    w->catalog[1] = json_deep_copy(portal.catalog[1]);
    w->arena = jarena_new(JARENA_CHUNK); /* NULL: jansson keeps using malloc */
    if (portal.cache_entries > 0 && portal.cache_mb > 0) {
        long entries = portal.cache_entries / portal.threads > 0 ? portal.cache_entries / portal.threads : 1;
        w->cache = cache_new((size_t)entries, ((size_t)portal.cache_mb << 20) / (size_t)portal.threads);
    }
    h2o_context_init(&w->ctx, h2o_evloop_create(), &config);
    w->accept.ctx = &w->ctx;
    w->accept.hosts = config.hosts;
    w->accept.ssl_ctx = portal.ssl_ctx;
    h2o_multithread_register_receiver(w->ctx.queue, &w->wake, on_wake);
    for (int i = 0; i < portal.nlisten; i++) {
        /* each thread its own descriptor of the shared socket: closing it at
         * shutdown must not pull the socket from under the other threads */
        int fd = fcntl(listen_fds[i], F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            die("cannot share the listening socket: %s", strerror(errno));
        socks[i] = h2o_evloop_socket_create(w->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
        socks[i]->data = w;
        h2o_socket_read_start(socks[i], on_accept);
    }
    if (w->id == 0 && metrics_fd >= 0) {
        /* the private metrics listener: one thread, its own host config */
        h2o_context_init(&w->metrics_ctx, w->ctx.loop, &metrics_config);
        w->metrics_accept.ctx = &w->metrics_ctx;
        w->metrics_accept.hosts = metrics_config.hosts;
        msock = h2o_evloop_socket_create(w->ctx.loop, fcntl(metrics_fd, F_DUPFD_CLOEXEC, 0),
                                         H2O_SOCKET_FLAG_DONT_READ);
        msock->data = &w->metrics_accept;
        h2o_socket_read_start(msock, on_metrics_accept);
    }
    while (!atomic_load(&portal.stopping)) {
        char why[512];
        h2o_evloop_run(w->ctx.loop, 100);
        balance_listeners(w);
        if (w->id == 0 && snapshot_watch(why, sizeof why) != 0) {
            fprintf(stderr, "hocba-portal: %s: stopping (start the programs of that format on it)\n", why);
            atomic_store(&portal.exit_status, 2);
            atomic_store(&portal.stopping, 1);
        }
    }
    /* Stop accepting; let responses in flight go out, then leave. */
    for (int i = 0; i < portal.nlisten; i++) {
        h2o_socket_read_stop(socks[i]);
        h2o_socket_close(socks[i]);
    }
    if (msock != NULL) {
        h2o_socket_read_stop(msock);
        h2o_socket_close(msock);
    }
    h2o_context_request_shutdown(&w->ctx);
    for (int i = 0; i < 5; i++)
        h2o_evloop_run(w->ctx.loop, 20);
    snapshot_leave(&w->rd);
    json_decref(w->catalog[0]);
    json_decref(w->catalog[1]);
    cache_free(w->cache);
    w->cache = NULL;
    EVP_MAC_CTX_free(w->key_mac);
    w->key_mac = NULL;
    jarena_free(w->arena);
    w->arena = NULL;
    render_out_free(&w->page);
    return NULL;
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        atomic_store(&portal.reopen_log, 1);
    else
        atomic_store(&portal.stopping, 1);
}

/* TLS 1.2 suites: ECDHE key exchange (forward secrecy) with AEAD ciphers
 * only, as Mozilla's "intermediate" profile less its finite-field DHE: no
 * static RSA key exchange, no CBC (Lucky13 and its kin). TLS 1.3 keeps
 * OpenSSL's own list, which is all AEAD with ephemeral keys. */
#define TLS12_CIPHERS                                                                                        \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"               \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* TLS 1.2+ with HTTP/2 and HTTP/1.1 offered by ALPN. */
static void setup_tls(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1)
        die("cannot set up TLS");
    if (SSL_CTX_use_certificate_chain_file(ctx, portal.tls_cert) != 1)
        die("--tls-cert %s: cannot read a PEM certificate chain", portal.tls_cert);
    if (SSL_CTX_use_PrivateKey_file(ctx, portal.tls_key, SSL_FILETYPE_PEM) != 1)
        die("--tls-key %s: cannot read a PEM private key", portal.tls_key);
    if (SSL_CTX_check_private_key(ctx) != 1)
        die("--tls-key %s does not match --tls-cert %s", portal.tls_key, portal.tls_cert);
    SSL_CTX_set_options(ctx,
                        SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    portal.ssl_ctx = ctx;
}

static void register_handlers(void)
{
    h2o_config_init(&config);
    config.server_name = h2o_iovec_init(H2O_STRLIT("hocba"));
    /* read no more of a body than the file check's two parts (every other
     * route answers 413 itself above 64 KiB, the verify route above 16 KiB);
     * libh2o's own 413 above it is made the portal's (limits.h) */
    config.max_request_entity_size = LIMITS_MAX_REQUEST;
    config.http1.req_timeout = 10000;           /* ms; slow clients are cut off */
    config.http1.upgrade_to_http2 = portal.h2c; /* cleartext HTTP/2 off unless --h2c: docs/operations.md */
    config.http2.idle_timeout = 10000;
    h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *h = h2o_create_handler(path, sizeof *h);
    h->on_req = routes_on_req;
    limits_register(host, routes_own_error);

    h2o_config_init(&metrics_config);
    metrics_config.server_name = config.server_name;
    metrics_config.http1.upgrade_to_http2 = 0;
    host = h2o_config_register_host(&metrics_config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    path = h2o_config_register_path(host, "/", 0);
    h = h2o_create_handler(path, sizeof *h);
    h->on_req = routes_on_metrics;
}

int main(int argc, char **argv)
{
    char why[512], tbuf[PATH_MAX], sbuf[PATH_MAX];
    parse_options(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    /* Every request allocates and frees the same sizes (a verdict is 40 KB):
     * keep freed memory instead of returning it to the kernel, which cost a
     * page fault per touch (perf: 16 % of a cold request in the kernel). */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    jarena_install();
    /* Idle and slow clients each hold a descriptor: allow as many as the
     * system lets us, so a thousand of them cannot lock others out. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }

    if (snapshot_open(portal.db, why, sizeof why) != 0)
        die("%s", why);
    portal.templates_dir = find_dir(portal.templates_dir, "templates", tbuf, sizeof tbuf, argv[0]);
    portal.static_dir = find_dir(portal.static_dir, "static", sbuf, sizeof sbuf, argv[0]);
    if (render_load_dir(portal.templates_dir, &portal.templates, why, sizeof why) != 0)
        die("templates: %s", why);
    portal.catalog[0] = load_catalog(portal.templates_dir, "vi");
    portal.catalog[1] = load_catalog(portal.templates_dir, "en");
    /* the catalog's few hundred texts a page, looked up and escaped once */
    for (int i = 0; i < 2; i++)
        if (render_bind(portal.templates, "t", portal.catalog[i], &portal.pages[i]) != RENDER_OK)
            die("out of memory");
    load_statics(portal.static_dir, "", 0);
    load_receipt_key();
    if (RAND_bytes(portal.log_key, sizeof portal.log_key) != 1 ||
        RAND_bytes(portal.cache_secret, sizeof portal.cache_secret) != 1)
        die("cannot get random bytes for the log and cache keys");
    if ((portal.key_mac = EVP_MAC_fetch(NULL, "POLY1305", NULL)) == NULL)
        die("OpenSSL offers no Poly1305 for the cache keys");
    portal.log_fd = -1;
    if (alog_open() != 0)
        die("cannot open the access log %s: %s", portal.access_log, strerror(errno));
    if (portal.tls_cert != NULL)
        setup_tls();
    if (portal.rate_limit > 0 && (portal.limiter = ratelimit_new(portal.rate_limit)) == NULL)
        die("out of memory");
    for (int i = 0; i < portal.nlisten; i++)
        listen_fds[i] = bind_listener(portal.listen[i]);
    if (portal.metrics_listen != NULL)
        metrics_fd = bind_listener(portal.metrics_listen);
    register_handlers();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    workers = calloc((size_t)portal.threads, sizeof *workers);
    pthread_t *th = calloc((size_t)portal.threads, sizeof *th);
    if (workers == NULL || th == NULL)
        die("out of memory");
    portal.workers = workers;
    fprintf(stderr, "hocba-portal: serving %s on %s (%d threads)\n", portal.public_url, portal.listen[0],
            portal.threads);
    for (int i = 0; i < portal.threads; i++) {
        workers[i].p = &portal;
        workers[i].id = i;
        if (pthread_create(&th[i], NULL, run_worker, &workers[i]) != 0)
            die("cannot start thread %d", i);
    }
    for (int i = 0; i < portal.threads; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < portal.nlisten; i++)
        close(listen_fds[i]);
    if (metrics_fd >= 0)
        close(metrics_fd);
    free(th);
    ratelimit_free(portal.limiter);
    receipt_signer_free(portal.receipts);
    EVP_MAC_free(portal.key_mac);
    render_set_free(portal.templates);
    render_set_free(portal.pages[0]);
    render_set_free(portal.pages[1]);
    json_decref(portal.catalog[0]);
    json_decref(portal.catalog[1]);
    for (size_t i = 0; i < portal.nstatics; i++)
        free(portal.statics[i].data);
    free(portal.statics);
    if (portal.log_fd > STDOUT_FILENO)
        close(portal.log_fd);
    snapshot_close();
    fprintf(stderr, "hocba-portal: stopped\n");
    return atomic_load(&portal.exit_status);
}
