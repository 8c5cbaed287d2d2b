/* alog.h — the access log: one line per request, Common Log Format style,
 * with nothing personal in it (alog.c says how codes and addresses are
 * hidden). Writes to the file --access-log names (portal.access_log; "-"
 * for standard output), reopened after SIGHUP. */
#ifndef HOCBA_PORTAL_ALOG_H
#define HOCBA_PORTAL_ALOG_H

#include <h2o.h>
#include <sys/socket.h>

#include "portal/match.h"

/** Write req's line, when there is an access log.
 * @param m       req's route: match_request of req->path (its str_t point into req->path); the
 *                code segment it finds (match_t.code) is hashed whatever it holds
 * @param client  the request's client address (its TCP peer, or the one a trusted proxy names),
 *                or NULL when it is not known
 * @param status  the answer's status; bytes its body's length; seconds the time it took
 * Thread-safe (one write(2) a line). */
void alog_request(h2o_req_t *req, const match_t *m, const struct sockaddr_storage *client, int status,
                  size_t bytes, double seconds);

/** Open (or reopen, after SIGHUP, for logrotate) the access log.
 * @return 0, or -1 with errno set. */
int alog_open(void);

#endif
