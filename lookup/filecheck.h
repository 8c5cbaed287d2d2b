/* filecheck.h — checking a package one holds (http.md: GET/POST /check, POST /api/v1/packages/verify).
 *
 * A school on a transfer sends the `.json` and `.p7s` of a transcript; the receiving school asks the
 * portal what they are. The answer is the verdict of the eight checks of package-format.md §5 for
 * those bytes against the current trust inputs (check 4 takes the moment of the request as the
 * publication time), plus the check school_name, and whether they are what is published:
 *   - published: a transcript with exactly these bytes is published (its code, its status now);
 *   - differs: checks 1–7 hold, and the school has a transcript with this document_id published with
 *     other content (the index's docids table): the file is not what the school published;
 *   - not_published: anything else, and always when checks 1–7 do not all hold, so that bytes nobody
 *     signed tell nothing about what is published.
 * Nothing is stored. What is said of the package follows the rule of an invalid record whatever its
 * verdict: roles and check names, and details that name no signer, no school and no certificate
 * subject (school_name's detail says what differs, never the names). No HTTP in here. */
#ifndef HOCBA_FILECHECK_H
#define HOCBA_FILECHECK_H

#include <jansson.h>
#include <lmdb.h>
#include <stdint.h>

#include "index.h"
#include "str.h"
#include "trust.h"
#include "verify.h"

enum filecheck_published { FILECHECK_NOT_PUBLISHED = 0, FILECHECK_PUBLISHED, FILECHECK_DIFFERS };

enum {
    FILECHECK_OK = 0,
    FILECHECK_ENOMEM = -1,
    FILECHECK_EUNAVAILABLE = -2, /* the index, or the published record it names, cannot be read */
    FILECHECK_EUNJUDGED = -3,    /* every check holds but a CA's revocation cannot be judged now (§6):
                                  * "cannot check now", never valid */
};

typedef struct {
    verdict_t *verdict; /* checks 1-8 of the bytes; owned */
    int is_transcript;  /* the payload is a transcript of package-format.md (else roles fails) */
    int school_name_ok; /* 1 holds, 0 fails (also when the payload is no transcript) */
    char school_name_detail[VERIFY_DETAIL_LEN];
    int valid;           /* every check holds, school_name included */
    int published;       /* enum filecheck_published */
    char code[CODE_LEN]; /* FILECHECK_PUBLISHED: the record's code */
    int record_status;   /* FILECHECK_PUBLISHED: its status now (enum view_status) */
} filecheck_t;

/** Check a package's bytes, inside a read transaction.
 * @param payload  the .json as received
 * @param p7s      the .p7s as received (DER, BER or PEM)
 * @param now      UTC seconds: the publication time check 4 compares signing times with
 * @param out      receives the answer; filecheck_free it whatever this returns
 * @return FILECHECK_OK, FILECHECK_ENOMEM, FILECHECK_EUNAVAILABLE or FILECHECK_EUNJUDGED.
 * Thread-safe with a shared trust store. */
int filecheck_run(index_t *ix, MDB_txn *txn, trust_t *trust, str_t payload, str_t p7s, int64_t now,
                  filecheck_t *out);

void filecheck_free(filecheck_t *f);

/** "published", "differs" or "not_published". */
const char *filecheck_published_name(int published);

/** The API answer (POST /api/v1/packages/verify): {"status": "valid"|"invalid", "checks": [{"check",
 * "role", "ok", "detail"}, ...] (school_name last, role null), "published": ..., "record": {"code",
 * "status", "url"} | null}.
 * @param public_url  ASCII, no trailing slash: the record's url is its page there
 * @return a new reference, or NULL. */
json_t *filecheck_api_json(const filecheck_t *f, const char *public_url);

/** The template context of the answer page (templates/check.html): is_valid, checks (check_label,
 * role_label, ok, failed: the catalog's check.* words, detail), and published_* with the record.
 * @param t           the catalog of the page's language (borrowed)
 * @param lang_query  "", "?lang=en" or "?lang=vi"
 * @return a new object, or NULL. */
json_t *filecheck_page_context(const filecheck_t *f, json_t *t, const char *lang_query);

#endif
