/* verify_internal.h — what the verifier's own files share; nothing outside
 * lookup/verify*.c includes it (callers use verify.h).
 *
 * The verifier is four files, each calling only those below it in this list:
 * - verify.c            verify_package: the CMS read, each SignerInfo checked,
 *                       then the declarations; verify_reason;
 * - verify_roles.c      checks 6-8 (roles, seal and staff registries), the
 *                       principal's certificate, the school's name;
 * - verify_signer.c     the checks of one SignerInfo, the record's code, and
 *                       how an item is written into the verdict;
 * - verify_signature.c  the cryptography: algorithms, key contexts, PSS, the
 *                       signature over the signed attributes, digests.
 * Symbols shared between them carry the module's prefix, verify_. */
#ifndef HOCBA_VERIFY_INTERNAL_H
#define HOCBA_VERIFY_INTERNAL_H

#include "verify.h"

#include <openssl/evp.h>

/* The payload's digest per algorithm, computed at most once per package. */
typedef struct {
    const uint8_t *payload;
    size_t len;
    unsigned char d[4][EVP_MAX_MD_SIZE];
    unsigned int dlen[4];
} digests_t;

/* ---- verify_roles.c ------------------------------------------------------------------------------ */

/** The index in v->signers of the declared signer with this role, or -1. */
int verify_signer_with_role(const verdict_t *v, const char *role);

/** Check 6 for a transcript (§5): required roles declared, no one signs with the seal, the teacher's and
 * the principal's keys two unless the registry lists one certificate for both posts. */
void verify_check_roles(verdict_t *v, trust_t *trust, const char *school);

/** Whatever the schema: every declared signer signed, every signature declared. */
void verify_check_declarations(verdict_t *v);

/** Check 7: the seal (signer index signer) is registered to school. */
void verify_check_seal(verdict_t *v, trust_t *trust, const char *school, int signer);

/** Check 8 (§5): where the registry lists principal or teacher certificates for school, one of them signed.
 */
void verify_check_staff(verdict_t *v, trust_t *trust, const char *school);

/* ---- verify_signer.c ----------------------------------------------------------------------------- */

/** src into dst[0..n), cut on a character when it does not fit. */
void verify_copy_str(char *dst, size_t n, const char *src);

/** Add an item to the verdict (a failed one clears v->ok even when no room is left to say why).
 * signer: index in v->signers, or -1 for the package. */
__attribute__((format(printf, 5, 6))) void verify_item(verdict_t *v, int check, int signer, int ok,
                                                       const char *fmt, ...);

/** Integrity: the stored payload is the one its lookup code was made from. */
void verify_check_code(verdict_t *v, digests_t *dg, const char code[CODE_LEN]);

/** The checks of SignerInfo k of sd (integrity, signature, chain, validity, revocation); adds its signer
 * to v. registry_only: only the signer's identity and declaration, no check. */
void verify_check_signer(verdict_t *v, trust_t *trust, const payload_t *p, const cms_signed_t *sd, size_t k,
                         digests_t *dg, const trust_der_t *extra, int64_t published_at, int registry_only);

/* ---- verify_signature.c -------------------------------------------------------------------------- */

/** Fetch the digest algorithms, once per process (before verify_payload_digest or a signature check). */
void verify_fetch_mds_once(void);

/** Check 2: the signature over the signed attributes, in DER or as the file sends them.
 * @return 0 verified; else it does not verify or cannot be checked, and why says which. */
int verify_check_signature(const cms_signer_t *s, EVP_PKEY *pkey, char *why, size_t whylen);

/** The payload's digest with algorithm md (CMS_MD_*), computed at most once per package.
 * @return 0, or -1 when it cannot be computed. */
int verify_payload_digest(digests_t *dg, int md, const unsigned char **out, unsigned int *outlen);

#endif
