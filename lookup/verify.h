/* verify.h — the verdict on a signed package, package-format.md §5.
 *
 * A verdict is computed from the stored bytes and a trust store every time
 * it is needed; it is never stored. It lists each check per signer with
 * ok/detail so that a page can say exactly what holds and what failed. */
#ifndef HOCBA_VERIFY_H
#define HOCBA_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "cms.h"
#include "payload.h"
#include "trust.h"

enum verify_check {
    VERIFY_INTEGRITY = 0,  /* messageDigest equals the payload's digest */
    VERIFY_SIGNATURE,      /* the signature over the signed attributes verifies */
    VERIFY_CHAIN,          /* the certificate chains to a trust anchor */
    VERIFY_VALIDITY,       /* certificates valid at signingTime, not signed after publication */
    VERIFY_REVOCATION,     /* no CRL of the issuer revokes it (keyCompromise or before signing) */
    VERIFY_ROLES,          /* required roles declared and signed; every signature declared; the seal's key
                            * is no person's and a seal certificate signs only as school_seal; teacher and
                            * principal sign with two keys unless the registry lists one certificate as both */
    VERIFY_SEAL_REGISTRY,  /* the school seal is registered to the school */
    VERIFY_STAFF_REGISTRY, /* principal and teacher certificates are among those the registry lists for the
                            * school, where it lists any (transcripts only) */
    VERIFY_NCHECKS
};

#define VERIFY_DETAIL_LEN 224
#define VERIFY_MAX_SIGNERS (CMS_MAX_SIGNERS + PAYLOAD_MAX_SIGNERS)
/* five per signature, one per signer for declarations and one per declared
 * signer for check 6, and a few for the whole package */
#define VERIFY_MAX_ITEMS (CMS_MAX_SIGNERS * 5 + VERIFY_MAX_SIGNERS + PAYLOAD_MAX_SIGNERS + 16)
#define VERIFY_SKEW 300 /* seconds a signingTime may be later than publication */

typedef struct {
    int check;  /* enum verify_check */
    int signer; /* index into verdict_t.signers, or -1 for the whole package */
    int ok;
    char detail[VERIFY_DETAIL_LEN]; /* English, plain words */
} verify_item_t;

/** A signer: a SignerInfo, a declared signer, or both matched by certificate hash. */
typedef struct {
    char role[40];                 /* declared role, or "undeclared" */
    char name[128];                /* declared name, or "" */
    int declared;                  /* index into payload signers, or -1 */
    int has_signature;             /* a SignerInfo exists for it */
    unsigned char cert_sha256[32]; /* the signing certificate's (declared one if unsigned) */
    unsigned char key_id[32];      /* its key (trust_cert_t.key_id), when has_key */
    int has_key;
    /* the certificate subject's CN, O and L (trust_cert_t.cn, .o, .l), "" if unknown: all that may be
     * shown of a signer's certificate (package-format.md §5) */
    char cn[128], o[160], l[128];
    int64_t signing_time; /* UTC seconds, or -1 */
} verify_signer_t;

typedef struct {
    int ok; /* every item holds */
    /* Signatures whose revocation cannot be judged now (package-format.md
     * §6): a CA of their chain is a remembered issuer none of whose CRLs
     * verifies against the trust store. Their revocation item holds (no
     * loaded CRL revokes them) and says so; with ok, the answer is "cannot
     * check now", never valid. */
    int unjudged;
    char unjudged_ca[TRUST_CN_LEN + 16]; /* the first such CA: "CN" [hash], for a refusal */
    size_t nsigners;
    verify_signer_t signers[VERIFY_MAX_SIGNERS];
    size_t nitems;
    verify_item_t items[VERIFY_MAX_ITEMS];
} verdict_t;

/** Name of a check as http.md spells it ("integrity", ...). */
const char *verify_check_name(int check);

/** Signature contexts a thread keeps for the keys that signed lately (each
 * ~400 bytes, made on first use of a key by that thread). */
#define VERIFY_KEY_CONTEXTS 2048

/** Change how many contexts each thread keeps (rounded down to a power of
 * two, at least 4); takes effect for threads that have not verified yet.
 * Call before starting threads; tests use it to force evictions. */
void verify_set_key_contexts(unsigned per_thread);

/** Verify a package against a trust store.
 * @param p             the parsed payload, or NULL when the stored payload no
 *                      longer parses (then roles/seal checks fail)
 * @param payload       the payload bytes exactly as signed
 * @param cms           the .p7s bytes, DER or PEM
 * @param published_at  UTC seconds of publication (for "signed before publication")
 * @param recall_target_principal  for a recall notice: the SHA-256 of the
 *                      principal certificate that signed the recalled
 *                      transcript (NULL if unknown); ignored for transcripts
 * @param v             receives the verdict (large: keep it off small stacks)
 * @return 0; -1 only when memory runs out (then v says nothing).
 * Thread-safe with a shared trust_t. */
int verify_package(trust_t *trust, const payload_t *p, const uint8_t *payload, size_t plen,
                   const uint8_t *cms, size_t cmslen, int64_t published_at,
                   const unsigned char *recall_target_principal, verdict_t *v);

/** What the publisher already has of a package, and what it wants back: it
 * hashes each payload for its lookup code and stores each certificate by
 * its hash, which verification computes too (once is enough: 5 % of a
 * batch). */
typedef struct {
    const unsigned char *payload_sha256; /* in: SHA-256 of the payload bytes, or NULL */
    const char *code; /* in: the lookup code the payload was found under (CODE_LEN symbols), or NULL;
                       * a payload whose SHA-256 gives another code fails integrity (package-format.md §2) */
    const unsigned char *cert_hints; /* in: what the caller believes the SHA-256 of the .p7s's
                                      * certificates are, in order, 32 bytes each (the index's), or
                                      * NULL; only ever a hint: see trust_der_hinted */
    size_t ncert_hints;              /* in: how many hints */
    int registry_only; /* in: 1 for only what the school registry decides (checks 6-8: roles, seal_registry,
                        * staff_registry); signatures are paired with declarations by certificate and nothing
                        * is verified, so the verdict says nothing of checks 1-5 (hocba-publish schools
                        * compares two registries with it) */
    int has_digest;    /* out: 1 when digest holds the payload's SHA-256 (given, or computed
                        * for a check: always once integrity was checked or code given) */
    unsigned char digest[32];                     /* out: see has_digest */
    size_t ncerts;                                /* out: certificates in the .p7s, 0 when it is unreadable */
    unsigned char cert_sha256[CMS_MAX_CERTS][32]; /* out: the SHA-256 of each certificate's DER, in the
                                                     .p7s's order (a PEM .p7s is decoded first) */
} verify_shared_t;

/** verify_package, sharing hashes with the caller.
 * @param shared  NULL, or: payload_sha256 must be the SHA-256 of exactly the
 *                payload bytes given (a wrong one makes the integrity check
 *                fail, it never passes a payload that differs); code, when
 *                set, must be the payload's own lookup code; ncerts and
 *                cert_sha256 are written.
 * Otherwise as verify_package. */
int verify_package_shared(trust_t *trust, const payload_t *p, const uint8_t *payload, size_t plen,
                          const uint8_t *cms, size_t cmslen, int64_t published_at,
                          const unsigned char *recall_target_principal, verify_shared_t *shared,
                          verdict_t *v);

/** A .p7s armoured in PEM ("CMS" or "PKCS7", package-format.md §1) as DER.
 * @param der  receives the DER, malloc'd (the caller frees it)
 * @return 0, or -1 when it is no such PEM (or memory ran out). Thread-safe. */
int verify_pem_to_der(const uint8_t *in, size_t len, uint8_t **der, size_t *derlen);

/** 1 when a .p7s is armoured in PEM: "-----BEGIN " first, after an optional UTF-8 byte-order mark
 * and white space (what an editor may leave; OpenSSL reads such a file, and so does
 * verify_pem_to_der); 0 otherwise (DER or BER). Thread-safe. */
int verify_is_pem(const uint8_t *p, size_t len);

/** The SHA-256 of the certificate that signed as `principal`, from a verdict.
 * @return 0 and fills out, or -1 if there is no signed principal. */
int verify_principal_cert(const verdict_t *v, unsigned char out[32]);

/** What the check school_name found (package-format.md §5): the publisher refuses a transcript whose
 * school.name or school.province is not the registry's for its school.code, in force on its
 * issued_on (former_names); the file check of http.md reports it as the check `school_name`. */
typedef struct {
    int registered;  /* the registry has an entry for school.code */
    int name_ok;     /* school.name is the registry's, compared as one name however spelt (vnfold.h) */
    int province_ok; /* the same for school.province */
    int error;       /* 0, or VNFOLD_EUTF8 / VNFOLD_ENOMEM when the names could not be compared */
    const char *name, *province;         /* the payload's (NUL-terminated, owned by the payload) */
    const char *reg_name, *reg_province; /* the registry's in force on issued_on (owned by the trust store) */
    const char *until; /* the `until` of the former name used, or NULL for the current one */
} verify_school_name_t;

/** The check school_name of a parsed transcript against a trust store's registry.
 * @param p    a transcript (PAYLOAD_TRANSCRIPT)
 * @param out  receives what was found; its strings live as long as p and trust
 * @return 0 when name and province are the registry's, -1 otherwise (out says which). Thread-safe. */
int verify_school_name(const trust_t *trust, const payload_t *p, verify_school_name_t *out);

/** Join the failed items into one line "check (role): detail; ..." for a refusal. */
void verify_reason(const verdict_t *v, char *buf, size_t n);

#endif
