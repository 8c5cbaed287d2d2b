/* verify_roles.c — what the payload declares of its signers, against the
 * signatures and the school registry: check 6 (roles, declarations), 7 (the
 * seal registry) and 8 (the staff registry); the principal's certificate;
 * and the school's name and province against the registry. */
#include "verify.h"

#include "vnfold.h"

#include <string.h>

#include "verify_internal.h"

static const char *const REQUIRED_ROLES[] = {"homeroom_teacher", "principal", "school_seal"};

int verify_signer_with_role(const verdict_t *v, const char *role)
{
    for (size_t i = 0; i < v->nsigners; i++)
        if (v->signers[i].declared >= 0 && strcmp(v->signers[i].role, role) == 0)
            return (int)i;
    return -1;
}

/* The declared signer with this role who signed, with a known key, or NULL. */
static const verify_signer_t *signed_with_role(const verdict_t *v, const char *role)
{
    int i = verify_signer_with_role(v, role);
    return i >= 0 && v->signers[i].has_signature && v->signers[i].has_key ? &v->signers[i] : NULL;
}

/* Check 6 for a transcript (§5): the required roles are declared (that each
 * declared signer signed is verify_check_declarations'); no one signs with the
 * seal: a certificate registered as any school's seal signs only as
 * school_seal, and the seal's key is neither the teacher's nor the
 * principal's; and the teacher and the principal sign with two keys, unless
 * the one certificate is listed as both principal and teacher of the school
 * (one person in both posts). A key is the key itself (trust_cert_t.key_id),
 * so a second certificate for one key is the same key. */
void verify_check_roles(verdict_t *v, trust_t *trust, const char *school)
{
    int ok = 1, both_posts = 0;
    unsigned char bad[VERIFY_MAX_SIGNERS] = {0};
    for (size_t r = 0; r < sizeof REQUIRED_ROLES / sizeof *REQUIRED_ROLES; r++) {
        int i = verify_signer_with_role(v, REQUIRED_ROLES[r]);
        if (i < 0) {
            verify_item(v, VERIFY_ROLES, -1, 0, "required role %s is not declared in signers",
                        REQUIRED_ROLES[r]);
            ok = 0;
        }
    }
    const verify_signer_t *seal = signed_with_role(v, "school_seal"),
                          *teacher = signed_with_role(v, "homeroom_teacher"),
                          *principal = signed_with_role(v, "principal");
    for (size_t i = 0; i < v->nsigners; i++) {
        const verify_signer_t *s = &v->signers[i];
        if (!s->has_signature || s->declared < 0 || strcmp(s->role, "school_seal") == 0)
            continue;
        const char *seal_of = trust_seal_school(trust, s->cert_sha256);
        if (seal_of != NULL)
            verify_item(
                v, VERIFY_ROLES, (int)i, 0,
                "the certificate is registered as the school seal of %.24s; a seal certificate signs only as "
                "school_seal",
                seal_of);
        else if (seal != NULL && (s == teacher || s == principal) && memcmp(s->key_id, seal->key_id, 32) == 0)
            verify_item(v, VERIFY_ROLES, (int)i, 0,
                        "signed with the school seal's key; the seal's key is never a person's");
        else
            continue;
        bad[i] = 1;
        ok = 0;
    }
    if (teacher != NULL && principal != NULL && !bad[teacher - v->signers] && !bad[principal - v->signers] &&
        memcmp(teacher->key_id, principal->key_id, 32) == 0) {
        both_posts = memcmp(teacher->cert_sha256, principal->cert_sha256, 32) == 0 &&
                     trust_staff_registered(trust, school, TRUST_STAFF_PRINCIPAL, principal->cert_sha256) ==
                         TRUST_STAFF_LISTED &&
                     trust_staff_registered(trust, school, TRUST_STAFF_TEACHER, teacher->cert_sha256) ==
                         TRUST_STAFF_LISTED;
        if (!both_posts) {
            verify_item(
                v, VERIFY_ROLES, (int)(principal - v->signers), 0,
                "the homeroom teacher and the principal signed with one key; one person signs for both posts "
                "only with one certificate that the school registry lists as both principal and teacher of "
                "school %.24s",
                school);
            ok = 0;
        }
    }
    if (ok)
        verify_item(
            v, VERIFY_ROLES, -1, 1,
            both_posts
                ? "homeroom teacher, principal and school seal are declared and signed; the principal, "
                  "registered for both posts, is also the homeroom teacher"
                : "homeroom teacher, principal and school seal are declared and signed, each with a key of "
                  "its own");
}

/* Whatever the schema: every declared signer signed, every signature declared. */
void verify_check_declarations(verdict_t *v)
{
    for (size_t i = 0; i < v->nsigners; i++) {
        verify_signer_t *s = &v->signers[i];
        char h[17];
        str_hex(s->cert_sha256, 8, h);
        if (s->declared < 0)
            verify_item(v, VERIFY_ROLES, (int)i, 0,
                        "a signature by certificate %s... is not declared in signers", h);
        else if (!s->has_signature)
            verify_item(v, VERIFY_ROLES, (int)i, 0,
                        "%s is declared with certificate_sha256 %s... but no signature was made with that "
                        "certificate",
                        s->role, h);
    }
}

void verify_check_seal(verdict_t *v, trust_t *trust, const char *school, int signer)
{
    const verify_signer_t *s = &v->signers[signer];
    if (trust_seal_registered(trust, school, s->cert_sha256)) {
        verify_item(v, VERIFY_SEAL_REGISTRY, signer, 1, "the seal certificate is registered to school %.24s",
                    school);
        return;
    }
    const char *other = trust_seal_school(trust, s->cert_sha256);
    if (other != NULL)
        verify_item(v, VERIFY_SEAL_REGISTRY, signer, 0,
                    "the school_seal certificate is registered to another school (%.24s), not to %.24s",
                    other, school);
    else
        verify_item(v, VERIFY_SEAL_REGISTRY, signer, 0,
                    "the school_seal certificate is not registered to school %.24s in the school registry",
                    school);
}

/* Check 8 (§5): where the registry lists principal (teacher) certificates
 * for the school, the principal (homeroom teacher) signed with one of them.
 * Where it lists none, or is v1, there is nothing to check and no item. */
void verify_check_staff(verdict_t *v, trust_t *trust, const char *school)
{
    static const struct {
        const char *role, *list, *who;
        int staff;
    } R[] = {
        {"principal", "principal_certificates", "principal", TRUST_STAFF_PRINCIPAL},
        {"homeroom_teacher", "teacher_certificates", "homeroom teacher", TRUST_STAFF_TEACHER},
    };
    for (size_t r = 0; r < sizeof R / sizeof *R; r++) {
        int i = verify_signer_with_role(v, R[r].role);
        if (i < 0 || !v->signers[i].has_signature)
            continue;
        int st = trust_staff_registered(trust, school, R[r].staff, v->signers[i].cert_sha256);
        if (st == TRUST_STAFF_LISTED)
            verify_item(v, VERIFY_STAFF_REGISTRY, i, 1, "the %s certificate is registered to school %.24s",
                        R[r].who, school);
        else if (st == TRUST_STAFF_NOT_LISTED)
            verify_item(
                v, VERIFY_STAFF_REGISTRY, i, 0,
                "the %s certificate is not among the %s that the school registry lists for school %.24s",
                R[r].who, R[r].list, school);
    }
}

int verify_principal_cert(const verdict_t *v, unsigned char out[32])
{
    int i = verify_signer_with_role(v, "principal");
    if (i < 0 || !v->signers[i].has_signature)
        return -1;
    memcpy(out, v->signers[i].cert_sha256, 32);
    return 0;
}

int verify_school_name(const trust_t *trust, const payload_t *p, verify_school_name_t *out)
{
    json_t *school = json_object_get(p->root, "school");
    memset(out, 0, sizeof *out);
    out->name = json_string_value(json_object_get(school, "name"));
    out->province = json_string_value(json_object_get(school, "province"));
    if (trust_school_name(trust, p->school_code, p->issued_on, &out->reg_name, &out->reg_province,
                          &out->until) != 0)
        return -1;
    out->registered = 1;
    int same_name = vnfold_equal(str_c(out->name), str_c(out->reg_name));
    int same_prov = vnfold_equal(str_c(out->province), str_c(out->reg_province));
    if (same_name < 0 || same_prov < 0) {
        out->error = same_name == VNFOLD_ENOMEM || same_prov == VNFOLD_ENOMEM ? VNFOLD_ENOMEM : VNFOLD_EUTF8;
        return -1;
    }
    out->name_ok = same_name;
    out->province_ok = same_prov;
    return same_name && same_prov ? 0 : -1;
}
