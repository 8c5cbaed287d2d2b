/* limits.c — libh2o's own error answers made the portal's, and requests
 * that frame their body in two ways told apart. */
#include "portal/limits.h"

#include "portal/framing.h"

/* Stands in the answer's stream for libh2o's text: the portal's body. */
typedef struct {
    h2o_ostream_t super;
    h2o_iovec_t body;
    int sent;
} own_body_t;

/* What libh2o sent (its text once; nothing for HEAD) is replaced by the
 * portal's body, sent once. */
static void send_own_body(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                          h2o_send_state_t state)
{
    own_body_t *o = (own_body_t *)self;
    (void)bufs;
    if (bufcnt == 0 || o->sent) {
        h2o_ostream_send_next(self, req, NULL, 0, state);
        return;
    }
    o->sent = 1;
    h2o_ostream_send_next(self, req, &o->body, 1, state);
}

/* Which problem stands for libh2o's answer: 0, or 1 with *status, *error
 * and *detail_key set. */
static int own_problem(h2o_req_t *req, int *status, const char **error, const char **detail_key)
{
    int http1 = req->version < 0x200;
    *status = req->res.status;
    if (http1 && limits_framing(req) != FRAMING_OK) {
        /* libh2o answered what it read one way (413, or 400 for chunks
         * that were not); the request is refused for framing two ways */
        *status = 400;
        *error = "bad_framing";
        *detail_key = "error.bad_framing.message";
        return 1;
    }
    switch (*status) {
    case 413:
        *error = "too_large";
        *detail_key = "error.too_large.message";
        return 1;
    case 400:
        /* HTTP/1: an unknown Transfer-Encoding, a Content-Length that is no
         * number, broken chunks; HTTP/2: a header it refuses */
        *error = http1 ? "bad_framing" : "bad_request";
        *detail_key = http1 ? "error.bad_framing.message" : "error.bad_header.message";
        return 1;
    case 417:
        *error = "expectation_failed";
        *detail_key = "error.417.message";
        return 1;
    default:
        return 0;
    }
}

/* The filter, with the function that makes the portal's answer. */
typedef struct {
    h2o_filter_t super;
    limits_answer_fn answer;
} own_filter_t;

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    int status;
    const char *error, *detail_key;
    if (own_problem(req, &status, &error, &detail_key)) {
        /* libh2o closes after each of these already; so do we, whatever
         * was read of the body */
        req->http1_is_persistent = 0;
        own_body_t *o = (own_body_t *)h2o_add_ostream(req, sizeof *o, slot);
        o->super.do_send = send_own_body;
        o->body = ((own_filter_t *)self)->answer(req, status, error, detail_key);
        o->sent = 0;
        slot = &o->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

void limits_register(h2o_hostconf_t *host, limits_answer_fn answer)
{
    own_filter_t *f = (own_filter_t *)h2o_create_filter(&host->fallback_path, sizeof *f);
    f->super.on_setup_ostream = on_setup_ostream;
    f->answer = answer;
}

int limits_framing(h2o_req_t *req)
{
    if (req->version >= 0x200)
        return FRAMING_OK;
    h2o_socket_t *sock =
        req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    if (sock == NULL || sock->input == NULL)
        return FRAMING_UNREAD;
    return framing_check(str_n(sock->input->bytes, sock->input->size),
                         str_n(req->input.method.base, req->input.method.len));
}
