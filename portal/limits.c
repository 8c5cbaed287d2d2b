/* limits.c — requests that frame their body in two ways told apart. */
#include "portal/limits.h"

#include "portal/framing.h"
#include "portal/portal.h"

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
