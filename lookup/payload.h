/* payload.h — validation of signed payloads, package-format.md §3, §3b and §4.
 *
 * The payload bytes are what was signed. They are parsed into a jansson tree
 * to check every rule, but never re-serialised: callers keep and hash the
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

/* What a record is: a transcript of any level (published, looked up, recalled
 * and replaced alike, whatever its schema) or a recall notice. */
enum payload_kind {
    PAYLOAD_TRANSCRIPT = 1, /* hocba.tieuhoc.v1 or hocba.trunghoc.v1 */
    PAYLOAD_RECALL = 2,     /* hocba.recall.v1 */
};

/* Which format the payload follows, for what differs between them (the
 * results of the year and how a page lays them out). */
enum payload_schema {
    PAYLOAD_SCHEMA_TIEUHOC = 1,  /* hocba.tieuhoc.v1: primary, grades 1-5 (§3) */
    PAYLOAD_SCHEMA_TRUNGHOC = 2, /* hocba.trunghoc.v1: lower and upper secondary, grades 6-12 (§3b) */
    PAYLOAD_SCHEMA_RECALL = 3,   /* hocba.recall.v1 (§4) */
};

/* The level of education of a transcript. */
enum payload_level {
    PAYLOAD_LEVEL_TIEUHOC = 1, /* primary (tiểu học), grades 1-5 */
    PAYLOAD_LEVEL_THCS = 2,    /* lower secondary (trung học cơ sở), grades 6-9 */
    PAYLOAD_LEVEL_THPT = 3,    /* upper secondary (trung học phổ thông), grades 10-12 */
};

/* The programme of a transcript. */
enum payload_program {
    PAYLOAD_PROGRAM_GDPT = 1, /* general education (every primary transcript) */
    PAYLOAD_PROGRAM_GDTX = 2, /* continuing education (trung tâm GDNN-GDTX) */
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
    const char *role;              /* NUL-terminated, owned by payload_t.root */
    const char *name;              /* NUL-terminated, owned by payload_t.root */
    unsigned char cert_sha256[32]; /* decoded from certificate_sha256 */
} payload_signer_t;

/** A validated payload. All pointers point into root and live until payload_free. */
typedef struct {
    json_t *root; /* the parsed document; owned */
    int kind;     /* enum payload_kind */
    int schema;   /* enum payload_schema */

    /* Transcripts (PAYLOAD_TRANSCRIPT), of either schema */
    const char *document_id;
    const char *school_code; /* transcripts: school.code; recalls: school_code */
    const char *province;    /* transcripts: school.province (NUL-terminated; no NUL inside) */
    size_t province_len;
    const char *school_year; /* "YYYY-YYYY" */
    int year_start;          /* the first year of school_year: 2024 for "2024-2025" */
    const char *student_id;
    const char *issued_on;
    int level;   /* enum payload_level */
    int program; /* enum payload_program */
    int grade;   /* 1-5 (PAYLOAD_LEVEL_TIEUHOC), 6-9 (THCS) or 10-12 (THPT) */
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
 *               or "subjects[3].hk2: 7.25 has two decimals; scores have at most one"
 * @return PAYLOAD_OK or a negative PAYLOAD_E* constant.
 * Thread-safe. */
int payload_parse(const void *bytes, size_t len, payload_t *out, char *why, size_t whylen);

/** Release what payload_parse allocated; safe on a zeroed payload_t. */
void payload_free(payload_t *p);

/** Index of the first declared signer with this role, or -1. */
int payload_find_role(const payload_t *p, const char *role);

#endif
