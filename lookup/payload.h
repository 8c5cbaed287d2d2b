/* payload.h — validation of signed payloads, package-format.md §3 and §4.
 *
 * The payload bytes are what was signed. They are parsed with jansson to
 * check every rule, but never re-serialised: callers keep and hash the
 * original bytes. A failure says which member is wrong and what was
 * expected, in words a school's IT person understands. */
#ifndef HOCBA_PAYLOAD_H
#define HOCBA_PAYLOAD_H

#include <jansson.h>
#include <stddef.h>

#include "code.h"

#define PAYLOAD_MAX_BYTES 65536 /* 64 KiB, package-format.md §1 */
#define PAYLOAD_MAX_SIGNERS 16  /* our bound: three required roles plus a few others */
#define PAYLOAD_WHY_LEN 256     /* size of the buffer for a refusal reason */

enum payload_kind {
    PAYLOAD_TRANSCRIPT = 1, /* hocba.tieuhoc.v1 */
    PAYLOAD_RECALL = 2,     /* hocba.recall.v1 */
};

enum {
    PAYLOAD_OK = 0,
    PAYLOAD_ESIZE = -1,   /* empty or over PAYLOAD_MAX_BYTES */
    PAYLOAD_EUTF8 = -2,   /* not valid UTF-8 */
    PAYLOAD_EJSON = -3,   /* not a JSON document */
    PAYLOAD_ESCHEMA = -4, /* JSON, but a member breaks a rule of the format */
    PAYLOAD_ENOMEM = -5,
};

/** A signer declared in the payload's `signers` member. */
typedef struct {
    const char *role;                /* NUL-terminated, owned by payload_t.root */
    const char *name;                /* NUL-terminated, owned by payload_t.root */
    unsigned char cert_sha256[32];   /* decoded from certificate_sha256 */
} payload_signer_t;

/** A validated payload. All pointers point into root and live until payload_free. */
typedef struct {
    json_t *root; /* the parsed document; owned */
    int kind;     /* enum payload_kind */

    /* Transcripts (PAYLOAD_TRANSCRIPT) */
    const char *document_id;
    const char *school_code; /* transcripts: school.code; recalls: school_code */
    const char *school_year;
    const char *student_id;
    const char *issued_on;
    int grade;
    int has_supersedes;
    char supersedes[CODE_LEN]; /* canonical code, when has_supersedes */

    /* Recall notices (PAYLOAD_RECALL) */
    char target[CODE_LEN]; /* canonical code of the recalled transcript */
    const char *recalled_on;
    const char *reason;

    size_t nsigners;
    payload_signer_t signers[PAYLOAD_MAX_SIGNERS];
} payload_t;

/** Check payload bytes against every rule of their schema.
 * A UTF-8 byte-order mark at the start is accepted and skipped for parsing
 * (the bytes are still hashed as received). Duplicate member names are
 * refused (two readers could see two different documents).
 * @param bytes  the payload exactly as received; not NUL-terminated
 * @param out    receives the validated payload; on failure it holds nothing
 *               to free
 * @param why    receives a one-line reason on failure (at most whylen bytes,
 *               NUL-terminated), e.g. "subjects[2].level: expected T, H or C, got \"X\""
 * @return PAYLOAD_OK or a negative PAYLOAD_E* constant.
 * Thread-safe. */
int payload_parse(const void *bytes, size_t len, payload_t *out, char *why, size_t whylen);

/** Release what payload_parse allocated; safe on a zeroed payload_t. */
void payload_free(payload_t *p);

/** Index of the first declared signer with this role, or -1. */
int payload_find_role(const payload_t *p, const char *role);

#endif
