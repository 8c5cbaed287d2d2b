/* trust.h — the trust store: anchors, intermediates, CRLs and the school
 * registry (package-format.md §6), built from the bytes kept in the index.
 *
 * A trust_t is immutable once built except for its certificate cache, which
 * remembers each certificate it has seen by the SHA-256 of its DER: the
 * parsed X509, its key, its validity window, its revocation status under
 * this store's CRLs and, once computed, its chain to an anchor. So a
 * certificate is decoded and its chain validated once per trust-input
 * version, never per package (platform-facts.md). The cache is guarded by a
 * read-write lock: one trust_t may be shared by threads, and lookups of
 * known certificates do not wait for each other. */
#ifndef HOCBA_TRUST_H
#define HOCBA_TRUST_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "str.h"

#define TRUST_MAX_DEPTH 8
#define TRUST_WHY_LEN 256
#define TRUST_MAX_CRLS_PER_FILE 64 /* PEM CRLs in one CRL file; more are refused */
#define TRUST_CN_LEN 64            /* a CA's common name, for status lines and metrics labels */

/** An issuer of CRLs (package-format.md §6): a CA certificate's subject name
 * and key, as the DER its certificate holds for its subject Name and its
 * SubjectPublicKeyInfo (what the index keeps). Certificates of one CA with
 * the same name and key (a renewal) are one issuer; a new key is another.
 * The store compares a remembered issuer with a certificate by the name as
 * OpenSSL compares names (X509_NAME_cmp: a name written as PrintableString
 * or UTF8String, or in another case, is the same name) and by the key
 * itself (trust_cert_t.key_id), not by these bytes. */
typedef struct {
    str_t name;
    str_t spki;
} trust_issuer_t;

/** The raw trust inputs, as kept in the index. */
typedef struct {
    uint64_t version;    /* changes whenever any input changes */
    str_t anchors;       /* PEM bundle of trust anchors */
    str_t intermediates; /* PEM bundle, may be empty */
    str_t registry;      /* hocba.schools.v1 or v2 JSON, may be empty */
    size_t ncrls;
    const str_t *crls; /* each DER or PEM */
    /* the issuers the index remembers as publishing CRLs (§6): each one's
     * certificates are judged against a CRL of it that verifies now, or
     * their revocation cannot be judged ("cannot check now") */
    size_t nissuers;
    const trust_issuer_t *issuers;
} trust_inputs_t;

/** A certificate's chain to an anchor: c[0] is its issuer, c[n - 1] an
 * anchor (n is 0 when the certificate is an anchor itself). What
 * trust_cert_chain hands out is a copy, made under the cache's lock: later
 * changes to the cache do not reach it. */
typedef struct {
    int n;
    struct trust_cert *c[TRUST_MAX_DEPTH];
} trust_chain_t;

/** What the store knows about one certificate. Owned by the trust_t. */
typedef struct trust_cert {
    unsigned char sha256[32];
    const uint8_t *der; /* the DER that was hashed to sha256 (a copy, freed with the entry) */
    size_t der_len;
    X509 *x;
    EVP_PKEY *pkey;    /* borrowed from x */
    char subject[256]; /* RFC 2253, UTF-8: for CA certificates in messages; a signer is shown by cn, o, l */
    /* What pages and the API may show of a signer's certificate (package-format.md §5): the subject's
     * commonName, organizationName and localityName, UTF-8, several values of one attribute joined by
     * ", ", "" when absent, cut on a character. No other attribute (UID carries identity numbers). */
    char cn[128], o[160], l[128];
    int64_t not_before, not_after;
    int is_anchor, is_intermediate;
    const char *key_problem;  /* NULL when the key is acceptable for a signer (§5) */
    int not_der;              /* its encoding is BER, not DER: refused as a signer's (§5 check 2) */
    unsigned char key_id[32]; /* SHA-256 of the public key itself (RSA modulus; EC curve and point; else
                               * the SubjectPublicKeyInfo): equal for two certificates of one key */
    int usage_ok;             /* keyUsage absent or allows digitalSignature / nonRepudiation */
    /* revocation by a loaded CRL of its issuer */
    int revoked, revoked_key_compromise; /* reason keyCompromise, cACompromise or aACompromise */
    int64_t revoked_at;
    /* as an issuer: trust_issuer_id of its subject and key (as its bytes);
     * and whether it is a remembered issuer none of whose CRLs verifies now
     * (compared by name and key_id, see trust_issuer_t), so that the
     * revocation of what it issued cannot be judged (§6) */
    unsigned char ca_id[32];
    int revocations_unknown;
    /* the chain last found (trust_cert_chain; read it only through that, which
     * copies it under the lock) */
    int chain_state; /* 0 not computed, 1 built */
    trust_chain_t chain;
} trust_cert_t;

typedef struct trust trust_t;

/** A certificate as DER with its SHA-256, hashed once by the caller. */
typedef struct {
    const uint8_t *der;
    size_t len;
    unsigned char sha256[32];
} trust_der_t;

/** Fill d for len bytes of DER at der (computes the hash).
 * @return 0, or -1 when OpenSSL could not hash (out of memory): then d must
 *         not be looked up, its hash is not the certificate's. */
int trust_der(trust_der_t *d, const uint8_t *der, size_t len);

/** trust_der, skipping the hash when a hint names a certificate the cache
 * already holds with exactly these DER bytes: then its hash is the cached
 * one, which was computed from those very bytes. A wrong, stale or forged
 * hint costs a lookup and a comparison and then the hash is computed, so the
 * result never depends on the hint being right.
 * @param hint  the SHA-256 the caller believes der has (the index keeps one
 *              for each certificate it stores), or NULL
 * @return as trust_der. Thread-safe. */
int trust_der_hinted(trust_t *t, trust_der_t *d, const uint8_t *der, size_t len, const unsigned char *hint);

/** The issuer a DER certificate stands for: its subject and key, as the
 * bytes it holds (out points into der).
 * @return 0, or -1 when der does not have a certificate's outer structure.
 * Thread-safe; allocates nothing. */
int trust_issuer_of_cert(const uint8_t *der, size_t len, trust_issuer_t *out);

/** An issuer's id: the SHA-256 of its name's DER followed by its key's.
 * @return 0, or -1 when OpenSSL could not hash (out of memory). Thread-safe. */
int trust_issuer_id(const trust_issuer_t *issuer, unsigned char id[32]);

/** Build a store from its inputs.
 * @param why  receives a one-line reason on failure
 * @return 0, or -1 when the anchors are missing or unreadable, a bundle
 *         holds something that is not a certificate, or the registry is
 *         not valid. A CRL that does not verify is not an error here: it is
 *         left out and counted (trust_crls_rejected).
 * The trust_t owns copies of what it needs; the inputs may be freed after. */
int trust_build(const trust_inputs_t *in, trust_t **out, char *why, size_t whylen);

/** Free a store and its cache. */
void trust_free(trust_t *t);

/** The version of the inputs this store was built from. */
uint64_t trust_version(const trust_t *t);

/** Counts for status lines. */
size_t trust_anchor_count(const trust_t *t);
size_t trust_crl_count(const trust_t *t);     /* CRLs in use */
size_t trust_crls_rejected(const trust_t *t); /* CRLs not used: they do not verify, or are incomplete */
size_t trust_school_count(const trust_t *t);

/** Certificates the store holds decoded now: those of its bundles, and every one met since
 * (trust_cert_get, trust_cert_chain), which it keeps until it is freed.
 * @param der_bytes  NULL, or receives the size of their DER in all (decoded, a certificate takes
 *                   several times its DER: up to 12 times for one of many short names)
 * Thread-safe. */
size_t trust_cert_count(trust_t *t, size_t *der_bytes);

/** One CRL of the stored CRL files (every CRL of every file that reads as
 * CRLs, in the order of trust_inputs_t.crls), for status lines, metrics and
 * the publisher's checks. Owned by the trust_t. */
typedef struct {
    size_t file;            /* which of trust_inputs_t.crls holds it */
    int verifies;           /* an anchor or intermediate with its issuer's name verifies it, and it is a
                             * complete CRL of that issuer (incomplete is NULL): it is used */
    const char *incomplete; /* why it is not a complete CRL of its issuer (a delta CRL, or an
                             * issuingDistributionPoint that narrows its scope), a static string;
                             * NULL when it is complete. Such a CRL is never used (decisions.md) */
    int issuer_known; /* its issuer's key is known: it verifies, or a remembered issuer's key verifies it */
    trust_issuer_t issuer;        /* with issuer_known, the issuer's name and key (into memory the trust_t
                                   * owns); otherwise the CRL's issuer name, and no key */
    unsigned char issuer_id[32];  /* with issuer_known; a remembered issuer's id when the CRL's issuer is
                                   * one (by name and key, see trust_issuer_t) */
    char issuer_cn[TRUST_CN_LEN]; /* the CN of its issuer, UTF-8 without control characters; may be "" */
    char issuer_hash[9]; /* 8 hex digits: of issuer_id, or without issuer_known of the name's SHA-256 */
    char number[64];     /* cRLNumber in decimal; "" when it has none */
    int64_t this_update; /* UTC seconds */
    int64_t next_update; /* UTC seconds; 0 when it names none */
} trust_crl_info_t;

/** A remembered issuer (trust_inputs_t.issuers) and where it stands now. */
typedef struct {
    unsigned char id[32];
    char cn[TRUST_CN_LEN];
    char hash[9]; /* 8 hex digits of id */
    int checked;  /* a CRL of it verifies now: its certificates' revocation is judged */
    int in_store; /* an anchor or intermediate is this issuer (same name and key) */
} trust_issuer_info_t;

/** The stored CRLs, each as trust_crl_info_t. @return how many; *out is the store's. */
size_t trust_crl_infos(const trust_t *t, const trust_crl_info_t **out);

/** The remembered issuers. @return how many; *out is the store's. */
size_t trust_issuer_infos(const trust_t *t, const trust_issuer_info_t **out);

/** Remembered issuers with no CRL that verifies now: every record with a
 * certificate one of them issued answers "cannot check now" (§6). */
size_t trust_issuers_unchecked(const trust_t *t);

/** 1 when stored CRL i (trust_crl_infos order) names candidate's name as its
 * issuer and candidate's key verifies its signature; 0 otherwise. For an
 * index upgrade: a CRL stored before the trust store changed under it is
 * attributed to a CA certificate found among the packages' certificates.
 * Thread-safe. */
int trust_crl_signed_by(const trust_t *t, size_t i, const trust_issuer_t *candidate);

/** The remembered issuer c is (c->revocations_unknown), as the words of a
 * refusal: its CN and hash, into out (NUL-terminated). Thread-safe. */
void trust_unchecked_issuer_name(const trust_t *t, const trust_cert_t *c, char *out, size_t n);

/** Find or add a certificate by its DER. Decodes it only the first time.
 * @return the entry, or NULL if the DER is not a certificate (or no memory). */
trust_cert_t *trust_cert_get(trust_t *t, const trust_der_t *d);

#define TRUST_ANY_TIME INT64_MIN /* trust_cert_chain's at: no time to prefer */

/** Find c's chain to an anchor, using the store's intermediates and the
 * given extra untrusted certificates (those carried by a package).
 * Where several issuers would do (a CA certificate renewed with the same
 * name and key, old and new both in a bundle), the chain prefers those valid
 * at the time at: a valid chain is found whenever one exists. Dates do not
 * make the search fail: whether the chain found is valid at at is for the
 * caller to check (and to report in its own words).
 * @param extra  DER certificates; those already in the cache cost nothing
 * @param at     UTC seconds to prefer certificates valid at (the signing
 *               time), or TRUST_ANY_TIME
 * @param out    receives the chain when it returns 0
 * @return 0 when c chains to an anchor, -1 with *why set when it does not.
 * The last chain found is cached in c and reused only when its
 * intermediates are in the store or among extra (a package cannot borrow
 * another package's intermediate) and, given at, all of it is valid then.
 * Thread-safe. */
int trust_cert_chain(trust_t *t, trust_cert_t *c, const trust_der_t *extra, size_t nextra, int64_t at,
                     trust_chain_t *out, char *why, size_t whylen);

/** 1 when the certificate hash is registered as a seal of the school. */
int trust_seal_registered(const trust_t *t, const char *school_code, const unsigned char sha256[32]);

/** The code of a school the seal hash is registered to, or NULL. */
const char *trust_seal_school(const trust_t *t, const unsigned char sha256[32]);

/** The schema of the loaded registry: 1 (hocba.schools.v1), 2 (v2), or 0
 * when none is loaded. */
int trust_registry_version(const trust_t *t);

enum {
    TRUST_STAFF_PRINCIPAL = 0,
    TRUST_STAFF_TEACHER = 1,
    TRUST_SCHOOL_SEAL = 2, /* trust_school_certs only: seal_certificates */
};

enum {
    TRUST_STAFF_UNBOUND = 0,    /* the registry binds nothing for that role at that school: no list, an
                                 * empty list, a v1 registry, or a school it does not know */
    TRUST_STAFF_LISTED = 1,     /* the certificate is in the school's list for the role */
    TRUST_STAFF_NOT_LISTED = 2, /* the school has a non-empty list for the role without it */
};

/** How the registry binds a staff role at a school (package-format.md §6,
 * check 8): principal_certificates or teacher_certificates.
 * @param role  TRUST_STAFF_PRINCIPAL or TRUST_STAFF_TEACHER
 * @return TRUST_STAFF_UNBOUND, TRUST_STAFF_LISTED or TRUST_STAFF_NOT_LISTED.
 * Thread-safe; allocates nothing. */
int trust_staff_registered(const trust_t *t, const char *school_code, int role,
                           const unsigned char sha256[32]);

/** The certificates the registry lists for a school in one role: its
 * seal_certificates, principal_certificates or teacher_certificates.
 * @param role  TRUST_SCHOOL_SEAL, TRUST_STAFF_PRINCIPAL or TRUST_STAFF_TEACHER
 * @param list  receives the SHA-256s, sorted, owned by t
 * @return how many (0 for a school the registry does not know).
 * Thread-safe; allocates nothing. */
size_t trust_school_certs(const trust_t *t, const char *school_code, int role,
                          const unsigned char (**list)[32]);

/** What pages, the API and reports may show of a certificate's subject
 * (package-format.md §5): "CN=...,O=...,L=..." in RFC 2253 order and
 * escaping, an absent attribute left out, never UID or any other attribute.
 * @param cn, o, l  a trust_cert_t's (or a verdict signer's) cn, o and l
 * @param out       receives the string, NUL-terminated, cut on a character
 * Thread-safe; allocates nothing. */
void trust_subject_shown(const char *cn, const char *o, const char *l, char *out, size_t n);

/** The name and province the registry gives a school on a date: the
 * former name whose `until` is the earliest on or after date, else the
 * current one (package-format.md §5).
 * @param date      YYYY-MM-DD (a transcript's issued_on), or NULL for the current name
 * @param until     receives the `until` of the former name used, or NULL for the
 *                  current name; may itself be NULL
 * @return 0 with *name and *province set (NUL-terminated, owned by t), or -1
 *         when the registry has no such school. Thread-safe. */
int trust_school_name(const trust_t *t, const char *school_code, const char *date, const char **name,
                      const char **province, const char **until);

/** The code of the i-th school of the registry (in byte order of the codes),
 * or NULL when i >= trust_school_count(t). */
const char *trust_school_code(const trust_t *t, size_t i);

/** 1 when two stores' registries hold the same entry for a school (code,
 * name, province, former names, and the same seal, principal and teacher
 * certificates, in any order), or neither has it; 0 otherwise. */
int trust_school_same(const trust_t *a, const trust_t *b, const char *school_code);

/** Check a CRL file against the store (used before accepting one into the
 * index): one DER CRL, or one or more PEM "X509 CRL" blocks (a bundle made
 * with cat; each of them is used).
 * @return how many CRLs it holds, when every block is a CRL whose signature
 *         verifies against an anchor or intermediate named as its issuer and
 *         that is a complete CRL of that issuer (not a delta CRL, no
 *         issuingDistributionPoint narrowing it to some certificates or
 *         reasons); -1 with *why set otherwise, naming the block and why. */
int trust_check_crl(const trust_t *t, str_t crl, char *why, size_t whylen);

/** Check an anchors or intermediates bundle: PEM, at least one certificate
 * (anchors) and nothing else. @return number of certificates, or -1 with *why. */
int trust_check_bundle(str_t pem, int need_one, char *why, size_t whylen);

/** Check a school registry document, hocba.schools.v1 or v2 (package-format.md
 * §6): a JSON object with the schema and an array of schools, each with a
 * code (1-20 letters or digits, listed once), a name, a province and
 * seal_certificates; v2 also takes principal_certificates,
 * teacher_certificates (64 lower-case hex digits each; none of them a seal
 * certificate of any school) and former_names ({name, province, until: a
 * date}, no two ending on the same day), and refuses any other member of a
 * school (a misspelt list would bind nothing); a v1 file that uses the v2
 * members is refused for the same reason.
 * @return number of schools, or -1 with *why naming the entry and what is
 *         wrong with it. */
int trust_check_registry(str_t json, char *why, size_t whylen);

#endif
