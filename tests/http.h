/* http.h — the one HTTP/1.1 client of the tests that talk to a real server (test_portal_*,
 * test_hardening, test_scaleout, test_http_limits, test_receipt), the assertions on its answers,
 * and the JSON of a body read with jansson.
 *
 * Loopback only: every connection goes to 127.0.0.1, from a loopback source address of the
 * caller's choice (the portal's rate limit is per client address). Every exchange is bounded in
 * time: it ends when the answer is whole, when the server closes, or when the timeout passes,
 * whichever comes first. Requests go out byte for byte as the caller made them, so a test can
 * send what no well-behaved client would.
 *
 * Two layers:
 * - the connection layer (http_connect, http_exchange, http_head_value, http_dechunk,
 *   http_strerror) uses neither cmocka nor the harness's arena: the buffer is the caller's, so it
 *   also serves a forked child that must not touch the test's state (test_scaleout's load
 *   clients) and a connection kept alive for several requests;
 * - the test layer (resp_t and all below it) makes one exchange on a connection of its own,
 *   keeps everything in the harness's arena until harness_group_end (a failed assertion longjmps
 *   past any free), writes the answers under /api/ to $HOCBA_API_LOG (harness_api_log), and
 *   fails the test with a message that shows the exchange.
 *
 * Not thread-safe: the test layer's timeout is the process's setting, and the arena is the
 * harness's (see harness.h). The including file includes <cmocka.h> first: the macros use
 * fail_msg. */
#ifndef HOCBA_TESTS_HTTP_H
#define HOCBA_TESTS_HTTP_H

#include <stddef.h>

#include <jansson.h>

/* ---- the connection layer ------------------------------------------------------------------- */

/* How an exchange went: 0, or one of these. */
enum {
    HTTP_OK = 0,
    HTTP_ECONNECT = -1, /* the connection could not be made */
    HTTP_ERESET = -2,   /* the connection was reset before a whole answer came */
    HTTP_ECLOSED = -3,  /* the server closed before a whole answer came */
    HTTP_ETIMEOUT = -4, /* no whole answer within the timeout */
    HTTP_EEXTRA = -5,   /* bytes came after the answer that nobody asked for */
    HTTP_EGARBLED = -6, /* what came is no HTTP/1.x answer */
    HTTP_ENOMEM = -7,   /* the buffer could not grow */
};

/* Flags of an exchange. */
enum {
    /* The request is HEAD: the answer ends with its head, whatever its Content-Length says; up to
     * HTTP_HEAD_LINGER_MS more are spent reading, so that a body that should not be there is seen. */
    HTTP_HEAD = 1,
    /* Read until the server closes (or the timeout), not just to the end of the first answer: what
     * follows the answer (a second one, to a pipelined request) is then in the buffer too. */
    HTTP_TO_CLOSE = 2,
};

#define HTTP_HEAD_LINGER_MS 300

/* The bytes read off a connection, grow-only and NUL-terminated; {0} is an empty one. The caller
 * owns p (free it, or hand it to harness_keep). */
typedef struct {
    char *p;
    size_t len, cap;
} http_buf_t;

/* The first answer found in a buffer, and how the exchange went. */
typedef struct {
    int err;          /* HTTP_OK or HTTP_E* */
    int status;       /* of the first answer; 0 when no whole head came or its status line is no HTTP/1.x */
    size_t head_len;  /* its status line and header fields with the blank line; 0 when not whole */
    size_t end;       /* where it ends in the buffer; 0 when it did not end */
    int chunked;      /* its body is chunked */
    int server_close; /* the server says it closes after it (Connection: close, or no length) */
    int closed;       /* the server ended the connection (EOF or reset) during the exchange */
    size_t sent;      /* bytes of the request that went out */
} http_answer_t;

/** Open a TCP connection to 127.0.0.1:port.
 * @param src         the loopback source address ("127.0.0.2"), or NULL for any
 * @param port        the server's port
 * @param timeout_ms  how long to wait for the connection; 0: do not wait, return with the connect in
 *                    progress (a later poll for POLLOUT says when it is made, SO_ERROR whether it was)
 * @return a non-blocking socket (close it), or -1 with errno set.
 * Allocates nothing; no cmocka. */
int http_connect(const char *src, int port, long timeout_ms);

/** Send req on fd and read the answer into b (emptied first), within timeout_ms. The request goes out
 * as fast as the server takes it; when the server stops taking it (it closed), reading goes on, to see
 * what it said. Without HTTP_TO_CLOSE, reading stops at the end of the first answer, known from its
 * framing (Content-Length, the last chunk and trailer, no body for HEAD, 1xx, 204 and 304; a body
 * without a length ends with the connection); fd stays open for a next request unless a->closed.
 * @param fd          a connected socket, non-blocking (from http_connect)
 * @param req         the request's bytes, exactly as they go out; reqlen of them
 * @param flags       HTTP_HEAD, HTTP_TO_CLOSE, or 0
 * @param timeout_ms  the whole exchange's time
 * @param b           receives what was read (all of it, also on an error)
 * @param a           receives the first answer's place in b and how the exchange went
 * @return a->err: HTTP_OK, or HTTP_ERESET / HTTP_ECLOSED / HTTP_ETIMEOUT (no whole answer),
 * HTTP_EEXTRA (without HTTP_TO_CLOSE: bytes after the answer), HTTP_EGARBLED (no HTTP/1.x status
 * line), HTTP_ENOMEM. The fields of a are filled as far as the answer came.
 * Grows b with realloc; no cmocka; not the harness's arena. */
int http_exchange(int fd, const void *req, size_t reqlen, unsigned flags, long timeout_ms, http_buf_t *b,
                  http_answer_t *a);

/** The value of a header field in a head (case-insensitive name; the first field of that name),
 * without the white space around it.
 * @param head  a status line and header fields, head_len bytes, not NUL-terminated
 * @param vlen  receives the value's length
 * @return a pointer into head, or NULL when there is no such field. Allocates nothing. */
const char *http_head_value(const char *head, size_t head_len, const char *name, size_t *vlen);

/** Decode a chunked body: the chunks' data, one after the other, up to the last chunk or as far as
 * the chunks are whole (a size that is no hex number ends it too).
 * @param p    the body as it came, n bytes
 * @param out  receives the data; room for n bytes, which is always enough
 * @return the length of the data. Allocates nothing. */
size_t http_dechunk(const char *p, size_t n, char *out);

/** An exchange's error in words ("connection reset", ...), for messages.
 * @return a static string; "?" for an unknown value. */
const char *http_strerror(int err);

/* ---- the test layer -------------------------------------------------------------------------- */

/* The test layer's default timeout of an exchange. */
#define HTTP_TIMEOUT_MS 5000

/* One exchange on a connection of its own, kept until harness_group_end. */
typedef struct {
    char what[200];  /* the request line (truncated, control bytes as '?'), for messages */
    int err;         /* HTTP_OK or HTTP_E*, as from http_exchange */
    int status;      /* of the first answer; 0 when no whole head came */
    int closed;      /* the server ended the connection during the exchange */
    long ms;         /* from connect to the last byte */
    size_t sent;     /* bytes of the request that went out */
    char *raw;       /* everything read, NUL-terminated */
    size_t rawlen;   /* its length */
    size_t head_len; /* the first answer's head in raw; 0 when not whole */
    size_t end;     /* where the first answer ends in raw; with HTTP_TO_CLOSE, raw + end is what came after */
    char *body;     /* the first answer's body (de-chunked; for HEAD, whatever came after the head),
                     * NUL-terminated; "" when there is none */
    size_t bodylen; /* its length */
} resp_t;

/** Set the test layer's timeout of an exchange (HTTP_TIMEOUT_MS until set); the process's setting.
 * @param ms  milliseconds, more than 0 */
void http_set_timeout_ms(long ms);

/** Send req, byte for byte, on a new connection to 127.0.0.1:port and read the answer (http_exchange),
 * then close. A request that starts with "HEAD " is read as HEAD.
 * @param src    the loopback source address, or NULL for any
 * @param req    the request, reqlen bytes; a bad request is the caller's to make
 * @param flags  HTTP_TO_CLOSE, or 0
 * @return the exchange, kept until harness_group_end; r->err says when no whole answer came
 * (HTTP_ECONNECT when nothing listens). Fails the test only when out of memory. */
resp_t *http_send(const char *src, int port, const void *req, size_t reqlen, unsigned flags);

/** METHOD PATH HTTP/1.1 with Host: 127.0.0.1:PORT, the caller's header lines, Connection: close and,
 * when there is a body, its Content-Length; then http_send.
 * @param headers  NULL, or header lines each ending in "\r\n"
 * @param body     NULL for none (and no Content-Length), else bodylen bytes
 * @return as http_send. */
resp_t *http_request(const char *src, int port, const char *method, const char *path, const char *headers,
                     const void *body, size_t bodylen);

/** GET path from 127.0.0.1:port (http_request without headers or body). */
resp_t *http_get(int port, const char *path);

/** Wait, polling every 50 ms for at most ms, until the server started as *pid answers GET /healthz
 * 200 on 127.0.0.1:port. When it ends first (it is reaped, and *pid set to 0) or the time runs out,
 * the tail of its output (errfile) is shown and why says which, in one line. Fails no test.
 * @return 0 when it answered, -1 otherwise. */
int http_wait_healthy(pid_t *pid, int port, const char *errfile, long ms, char *why, size_t whylen);

/** The value of a header field of the first answer (case-insensitive name), without the white space
 * around it.
 * @return a copy kept until harness_group_end, or NULL when there is no such field or no whole head. */
const char *http_header(const resp_t *r, const char *name);

/** Write everything about an exchange to stderr (the request line, how it went, the head, the first
 * 1500 bytes of the body, or of what came when no whole head did), before an assertion about it fails.
 * Straight to stderr: cmocka's print_error mangles messages over 1 KiB. */
void http_dump(const resp_t *r);

/* Fail the test with a message, having dumped the exchange r, unless cond. */
#define EXPECT(r, cond, ...)                                                                                 \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            http_dump(r);                                                                                    \
            fail_msg(__VA_ARGS__);                                                                           \
        }                                                                                                    \
    } while (0)

/* Fail the test unless the first answer's status is want. */
#define EXPECT_STATUS(r, want)                                                                               \
    EXPECT((r), (r)->status == (want), "expected status %d for %s, got %d%s%s", (want), (r)->what,           \
           (r)->status, (r)->err ? " — " : "", (r)->err ? http_strerror((r)->err) : "")

/* Fail the test unless the body holds needle. */
#define EXPECT_BODY_HAS(r, needle)                                                                           \
    EXPECT((r), http_body_has((r), (needle)), "expected the body of %s to contain \"%s\", it does not",      \
           (r)->what, (needle))

/* Fail the test if the body holds needle. */
#define EXPECT_BODY_LACKS(r, needle)                                                                         \
    EXPECT((r), !http_body_has((r), (needle)), "expected the body of %s NOT to contain \"%s\", it does",     \
           (r)->what, (needle))

/** 1 when the body holds needle (byte for byte), else 0. */
int http_body_has(const resp_t *r, const char *needle);

/** 1 when the body holds needle in any case of ASCII letters (up to the body's first NUL), else 0. */
int http_body_has_ci(const resp_t *r, const char *needle);

/** How often needle stands in the body, not overlapping. */
size_t http_body_count(const resp_t *r, const char *needle);

/** Fail the test unless header field name is there and its value holds needle (case-insensitive). */
void http_expect_header_has(const resp_t *r, const char *name, const char *needle);

/** Fail the test unless Content-Type starts with want (case-insensitive). */
void http_expect_type(const resp_t *r, const char *want);

/* ---- JSON (jansson) --------------------------------------------------------------------------- */

/** A JSON document from text (any JSON value at the top; \u0000 allowed in strings): a body, a file.
 * @param text  len bytes, not NUL-terminated; NULL is no JSON
 * @return the document, kept until harness_group_end (do not json_decref it; json_incref what must
 * outlive the group), or NULL when text is no JSON. */
json_t *http_json_parse(const char *text, size_t len);

/** The body as a JSON document (any JSON value at the top; \u0000 allowed in strings).
 * @return the document, kept until harness_group_end (do not json_decref it; json_incref what must
 * outlive the group), or NULL when the body is no JSON. */
json_t *http_json(const resp_t *r);

/** http_json, failing the test when the body is no JSON. */
json_t *http_expect_json(const resp_t *r);

/** Fail the test unless r is an RFC 9457 problem (http.md): this status, Content-Type
 * application/problem+json, a JSON object with string "type" and "title", a non-empty "detail",
 * "status" equal to status and our stable "error" member equal to error.
 * @return the document, kept as by http_json. */
json_t *http_expect_problem(const resp_t *r, int status, const char *error);

/** The value at a path of object members, "a.b.c" (each name up to 63 bytes).
 * @return a borrowed reference into j, or NULL when a member is missing or a step is no object. */
json_t *http_json_path(const json_t *j, const char *path);

/** The string at a path of object members in the body's JSON (http_json, then http_json_path).
 * @return the string, kept with the document, or NULL when the body is no JSON or the path holds no
 * string. */
const char *http_json_string(const resp_t *r, const char *path);

/** The JSON type of v in words ("object", "string", ...; "absent" for NULL), for messages.
 * @return a static string. */
const char *http_json_type(const json_t *v);

#endif
