/* framing.h — how an HTTP/1 request says where its body ends (RFC 9112
 * §6), read from the bytes of its head as they were received.
 *
 * libh2o 2.2.5 keeps one of the fields that frame a body — the first
 * Content-Length, or the last Transfer-Encoding, which wins over any
 * Content-Length — and leaves none of them in the request's headers. A
 * request that frames its body in more than one way may be read one way by
 * the portal and another by a proxy in front of it (request smuggling), so
 * it is refused (RFC 9112 §6.3); to tell, the head is read again here.
 *
 * Pure: no libh2o, so that it can be fuzzed on its own
 * (tests/fuzz/fuzz_framing.c). */
#ifndef HOCBA_PORTAL_FRAMING_H
#define HOCBA_PORTAL_FRAMING_H

#include "lookup/str.h"

enum framing {
    FRAMING_OK = 0,   /* at most one Content-Length or one Transfer-Encoding field, not both */
    FRAMING_CONFLICT, /* Content-Length and Transfer-Encoding, or either of them twice (even with
                       * equal values), or a folded header line (obs-fold), which a proxy may read
                       * as a field of its own */
    FRAMING_UNREAD,   /* raw does not begin with a whole request head for method: cannot tell */
};

/** How the HTTP/1 request whose bytes begin raw frames its body.
 *
 * Lines are read as libh2o's parser (picohttpparser) reads them: one empty
 * line before the request line is skipped; a line ends with LF, a CR before
 * it dropped; a header line that begins with a space or tab (obs-fold,
 * which libh2o takes as part of the field before) is a conflict; a field's name is what comes before
 * its first ':', compared without regard to case. Only what libh2o has
 * accepted as a head is meant to be given: bytes it would refuse may give
 * any answer but never a read outside raw.
 * @param raw     the bytes received for the request, from its first; what follows its head (the
 *                body, a request pipelined after it) is not read
 * @param method  the request's method as parsed: the request line must begin with it and a space
 * @return enum framing. Thread-safe; allocates nothing. */
int framing_check(str_t raw, str_t method);

#endif
