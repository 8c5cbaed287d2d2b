/* alog.c — the access log: one line per request, Common Log Format style,
 * with nothing personal in it.
 *
 * A lookup code is personal: whoever has it can read a pupil's record. The
 * code segment of /v/, /V/ and /api/v1/transcripts/ and the value of a
 * `code` query parameter, whatever bytes they hold, and anywhere else every
 * piece of the path or query (between / ? & = ;) holding 12 or more letters
 * and digits, are replaced by "h:" and 8 hex digits of HMAC-SHA-256 under a
 * key drawn at start-up (the same code gives the same hash within one run,
 * so abuse can still be followed, but the code cannot be recovered). The
 * path is scrubbed whole before the line is bounded. Client addresses are
 * cut to their /24 (IPv4) or /48 (IPv6). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lookup/code.h"
#include "portal/alog.h"
#include "portal/server.h"

#define LINE_MAX_LEN 1024

static void keyed_hash(const char *p, size_t n, char out[9])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char canon[CODE_LEN];
    /* the same code spelt differently gets the same hash */
    if (code_parse(str_n(p, n), canon, NULL) == CODE_OK) {
        p = canon;
        n = CODE_LEN;
    }
    HMAC(EVP_sha256(), portal.log_key, sizeof portal.log_key, (const unsigned char *)p, n, mac, &maclen);
    str_hex(mac, 4, out);
}

/* 1 when the request target p (n bytes, routed as m) is exactly the path of a file the portal
 * serves under /static/ (such as "openapi.json"): only then is it written as is. Any other path
 * there, or one with a query, is scrubbed like the rest, or /static/CODE would put a code in the
 * log. */
static int static_file(const char *p, size_t n, const match_t *m)
{
    if (m->kind != MATCH_STATIC || m->seg.ptr != p + 8 || m->path.len != n) /* not a root file, no '?' */
        return 0;
    for (size_t i = 0; i < portal.nstatics; i++)
        if (strlen(portal.statics[i].name) == m->seg.len &&
            memcmp(portal.statics[i].name, m->seg.ptr, m->seg.len) == 0)
            return 1;
    return 0;
}

static int is_delim(char c)
{
    return c == '/' || c == '?' || c == '&' || c == '=' || c == ';';
}

static size_t alnum_count(const char *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9');
    return k;
}

/* put_hash appends "h:" and p's keyed hash, put_plain appends p with odd
 * bytes escaped; both at out + o, as far as cap allows with room left for
 * the NUL, and return the new length. */
static size_t put_hash(const char *p, size_t n, char *out, size_t o, size_t cap)
{
    char h[9];
    if (o + 11 >= cap)
        return o;
    keyed_hash(p, n, h);
    return o + (size_t)snprintf(out + o, cap - o, "h:%s", h);
}

static size_t put_plain(const char *p, size_t n, char *out, size_t o, size_t cap)
{
    for (size_t k = 0; k < n && o + 4 < cap; k++) {
        unsigned char c = (unsigned char)p[k];
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
        else
            out[o++] = (char)c;
    }
    return o;
}

/* The path, scrubbed, into out (cap bytes, NUL-terminated), whatever its
 * length: the input is read whole, so no code is cut into a piece short
 * enough to pass, and only the output is bounded. The code segment of a
 * code route and the value of a `code` query parameter, wherever it stands,
 * are hashed whatever they hold; so is any other piece between / ? & = ;
 * that holds 12 or more letters and digits in all (a code typed with any
 * separators at all); odd bytes are escaped. m is the route of p (its
 * str_t point into p). */
static size_t scrub_path(const char *p, size_t n, const match_t *m, char *out, size_t cap)
{
    size_t o = 0, seg = m->code.len, keep = m->code.ptr != NULL ? (size_t)(m->code.ptr - p) : 0;
    if (static_file(p, n, m)) {
        o = put_plain(p, n, out, 0, cap);
        out[o] = '\0';
        return o;
    }
    if (keep > 0) {
        o = put_plain(p, keep, out, o, cap);
        if (seg > 0)
            o = put_hash(p + keep, seg, out, o, cap);
        p += keep + seg;
        n -= keep + seg;
    }
    int in_query = 0, code_value = 0;
    for (size_t i = 0; i < n && o + 4 < cap;) {
        if (is_delim(p[i])) {
            in_query |= p[i] == '?';
            /* "code=" opens a code value: its name follows ? or & */
            code_value = p[i] == '=' && in_query && i >= 4 && memcmp(p + i - 4, "code", 4) == 0 &&
                         (i == 4 || p[i - 5] == '?' || p[i - 5] == '&');
            out[o++] = p[i++];
            continue;
        }
        size_t e = i;
        while (e < n && !is_delim(p[e]))
            e++;
        if (code_value || alnum_count(p + i, e - i) >= 12)
            o = put_hash(p + i, e - i, out, o, cap);
        else
            o = put_plain(p + i, e - i, out, o, cap);
        code_value = 0;
        i = e;
    }
    out[o] = '\0';
    return o;
}

/* The client address, cut to its /24 (IPv4) or /48 (IPv6), or "-". */
static void client(const struct sockaddr_storage *ss, char *out, size_t n)
{
    snprintf(out, n, "-");
    if (ss == NULL)
        return;
    if (ss->ss_family == AF_INET) {
        struct in_addr a = ((const struct sockaddr_in *)ss)->sin_addr;
        ((unsigned char *)&a)[3] = 0;
        inet_ntop(AF_INET, &a, out, (socklen_t)n);
    } else if (ss->ss_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *)ss)->sin6_addr;
        memset((unsigned char *)&a + 6, 0, 10);
        inet_ntop(AF_INET6, &a, out, (socklen_t)n);
    }
}

int alog_open(void)
{
    if (portal.access_log == NULL)
        return 0;
    if (strcmp(portal.access_log, "-") == 0) {
        portal.log_fd = STDOUT_FILENO;
        return 0;
    }
    int fd = open(portal.access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    /* the new file takes the old one's place in one step: threads writing
     * at that moment write to one or the other, never to a closed fd */
    if (portal.log_fd > STDOUT_FILENO) {
        dup2(fd, portal.log_fd);
        close(fd);
    } else {
        portal.log_fd = fd;
    }
    return 0;
}

void alog_request(h2o_req_t *req, const match_t *m, const struct sockaddr_storage *client_addr, int status,
                  size_t bytes, double seconds)
{
    if (atomic_exchange(&portal.reopen_log, 0))
        alog_open();
    if (portal.log_fd < 0)
        return;
    char line[LINE_MAX_LEN], path[512], who[64], when[40], method[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%d/%b/%Y:%H:%M:%S +0000", &tm);
    client(client_addr, who, sizeof who);
    scrub_path(req->path.base, req->path.len, m, path, sizeof path);
    size_t ml = req->method.len < sizeof method - 1 ? req->method.len : sizeof method - 1;
    for (size_t i = 0; i < ml; i++) {
        char c = req->method.base[i];
        method[i] = (c >= 'A' && c <= 'Z') ? c : '?';
    }
    method[ml] = '\0';
    int n = snprintf(line, sizeof line, "%s - - [%s] \"%s %s HTTP/%d.%d\" %d %zu %.6f\n", who, when, method,
                     path, req->version >> 8, req->version & 0xff, status, bytes, seconds);
    if (n > 0) {
        size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
        if (write(portal.log_fd, line, len) < 0) {
            /* a full disk must not stop lookups; nothing useful to do here */
        }
    }
}
