/* receipt.h — verification receipts (http.md, "Verification receipts").
 *
 * An admissions office or a receiving school keeps a record of what it checked: a statement
 * hocba.receipt.v1 about one record at one moment — its code, status, the checks (name, role, ok,
 * no detail), when, which portal, which trust inputs, and the SHA-256 of the payload as published —
 * signed by the portal's receipt key as a CMS SignedData that embeds it (attached content), with
 * signed attributes (contentType, messageDigest, signingTime) and the receipt certificate and its
 * chain, so that `openssl cms -verify -in receipt.p7m -inform DER -CAfile ROOT.pem` verifies it with
 * no other file. The statement holds no personal data beyond the code.
 *
 * The key and certificate are read once, when the portal starts (receipt_signer_load); a receipt
 * costs one signature and the CMS around it. No HTTP in here. */
#ifndef HOCBA_RECEIPT_H
#define HOCBA_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "str.h"
#include "view.h"

#define RECEIPT_SCHEMA "hocba.receipt.v1"
#define RECEIPT_WHY_LEN 512

/** The receipt key, its certificate and chain. Read-only once loaded: any number of threads may
 * sign with one at once. One owner frees it (receipt_signer_free). */
typedef struct receipt_signer receipt_signer_t;

/** Read the receipt certificate and key.
 * @param cert_path  PEM: the receipt certificate first, then the certificates of its chain (an
 *                   issuing CA, and the root if the operator wants it served); other PEM blocks are
 *                   skipped
 * @param key_path   PEM: its private key (RSA or EC), unencrypted
 * @param now        UTC seconds: the certificate must be valid then
 * @param why        receives one line on failure, naming the file and what is wrong: unreadable, no
 *                   certificate, a key that does not match, an extended key usage without
 *                   emailProtection or a key usage without digitalSignature or nonRepudiation (openssl
 *                   cms -verify's default purpose check would refuse every receipt), not valid now
 * @return 0, or -1 with *why set. */
int receipt_signer_load(const char *cert_path, const char *key_path, int64_t now, receipt_signer_t **out,
                        char *why, size_t whylen);

/** Release a signer; NULL is allowed. */
void receipt_signer_free(receipt_signer_t *s);

/** The certificates of --receipt-cert, re-encoded as PEM (nothing but certificates, whatever else
 * the file held): what the portal serves as /static/receipt-chain.pem. Owned by s. */
str_t receipt_signer_chain_pem(const receipt_signer_t *s);

/** The receipt certificate's notAfter, UTC seconds (for operators: when to rotate). */
int64_t receipt_signer_not_after(const receipt_signer_t *s);

/** Whether a record may have a receipt: valid or recalled (http.md; an invalid one is 409). */
int receipt_allowed(const view_t *v);

/** The statement, as http.md gives it, members in its order:
 * {"receipt": "hocba.receipt.v1", "code", "status", "checks": [{"check", "role", "ok"}, ...],
 *  "verified_at": RFC 3339 UTC, "portal": public_url, "trust_version": N, "payload_sha256": HEX},
 * indented by two spaces (people read it on the receipt page and after `openssl cms -verify -out`).
 * @param v              a view for which receipt_allowed holds, with its payload's SHA-256
 * @param public_url     the portal's --public-url (ASCII)
 * @param trust_version  the trust inputs' version the verdict was computed under
 * @param now            UTC seconds: verified_at
 * @param len            receives the length
 * @return malloc'd text, NUL-terminated, or NULL when memory runs out or v has no payload SHA-256. */
char *receipt_statement(const view_t *v, const char *public_url, uint64_t trust_version, int64_t now,
                        size_t *len);

/** The template context of the receipt page (templates/receipt.html): the record's code and status,
 * the statement as signed (`receipt.statement`) and its members in the page's words (checks by
 * their short names, `check_name.*`, and roles), the QR of the record's page, and the signed
 * receipt to download (`receipt.download_url`, a data: URL, so that the file is the statement the
 * page shows).
 * @param t           the catalog of the page's language (borrowed)
 * @param lang_query  "", "?lang=en" or "?lang=vi"
 * @param public_url  ASCII, no trailing slash
 * @return a new object, or NULL when memory runs out. */
json_t *receipt_page_context(const view_t *v, json_t *t, const char *lang_query, const char *public_url,
                             uint64_t trust_version, int64_t now, const char *statement, size_t len,
                             const unsigned char *der, size_t derlen);

/** Sign a statement: CMS SignedData (DER) embedding it as id-data, one SignerInfo by the receipt
 * key (SHA-256) with signed attributes contentType, messageDigest and signingTime = now (UTCTime),
 * the receipt certificate and the certificates of its chain that are not self-signed.
 * @param der     receives the DER, malloc'd (free it)
 * @return 0, or -1 when OpenSSL fails (out of memory). Thread-safe with a shared signer. */
int receipt_sign(const receipt_signer_t *s, const char *statement, size_t len, int64_t now,
                 unsigned char **der, size_t *derlen);

#endif
