/* payload_envelope.c — the envelope of every transcript schema
 * (package-format.md §3 and §3b, "the same envelope as §3, with the same
 * rules"), and the signers (§5) of transcripts and recall notices alike.
 *
 * A schema gives its own members as a body, checked between the student and
 * the awards, so that each schema's refusals come in the order of its table. */
#include "payload_internal.h"

#include <stdio.h>
#include <string.h>

#define AT_SCHOOL (&(const where_t){"school", -1})
#define AT_STUDENT (&(const where_t){"student", -1})

static const char *const REQUIRED_ROLES[] = {"homeroom_teacher", "principal", "school_seal"};
#define NREQUIRED_ROLES (sizeof REQUIRED_ROLES / sizeof REQUIRED_ROLES[0])

static int check_school(const why_t *w, const json_t *root, payload_t *out)
{
    static const char expected[] = "an object {code, name, province, district?, ward?}";
    const char *s;
    size_t len;
    json_t *school;
    int rc;

    if ((rc = pv_member(w, root, PV_AT_TOP, "school", 1, JSON_OBJECT, expected, &school)) != 0)
        return rc;
    if ((rc = pv_charset(w, school, AT_SCHOOL, "code", 1, 1, 20, pv_is_alnum,
                         "1 to 20 characters of A-Z a-z 0-9", &out->school_code)) != 0)
        return rc;
    if ((rc = pv_string(w, school, AT_SCHOOL, "name", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = pv_string(w, school, AT_SCHOOL, "province", 1, STR_PLAIN, "a string", &out->province,
                        &out->province_len)) != 0)
        return rc;
    if ((rc = pv_string(w, school, AT_SCHOOL, "district", 0, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    return pv_string(w, school, AT_SCHOOL, "ward", 0, STR_PLAIN, "a string", &s, &len);
}

static int check_student(const why_t *w, const json_t *root, payload_t *out)
{
    static const char expected[] = "an object {id, full_name, date_of_birth, gender, ...}";
    /* "Nữ" precomposed (NFC) and decomposed (NFD, as macOS text fields may
     * produce): they look the same, so refusing one would baffle the sender. */
    static const char *const genders[] = {"Nam", "N\xE1\xBB\xAF", "Nu\xCC\x9B\xCC\x83"};
    static const char *const optional[] = {"ethnicity", "place_of_birth", "address", "guardian_name"};
    const char *s;
    size_t len;
    json_t *student;
    int rc;

    if ((rc = pv_member(w, root, PV_AT_TOP, "student", 1, JSON_OBJECT, expected, &student)) != 0)
        return rc;
    if ((rc = pv_charset(w, student, AT_STUDENT, "id", 1, 1, 20, pv_is_digit, "1 to 20 digits",
                         &out->student_id)) != 0)
        return rc;
    if ((rc = pv_string(w, student, AT_STUDENT, "full_name", 1, STR_PLAIN, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = pv_date(w, student, AT_STUDENT, "date_of_birth", &s)) != 0)
        return rc;
    if ((rc = pv_enum(w, student, AT_STUDENT, "gender", genders, 3, "\"Nam\" or \"N\xE1\xBB\xAF\"", NULL, &s,
                      NULL)) != 0)
        return rc;
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if ((rc = pv_string(w, student, AT_STUDENT, optional[i], 0, STR_PLAIN, "a string", &s, &len)) != 0)
            return rc;
    return pv_charset(w, student, AT_STUDENT, "citizen_id", 0, 12, 12, pv_is_digit, "exactly 12 digits", &s);
}

static int check_awards(const why_t *w, const json_t *root)
{
    char path[PATH_LEN], got[ECHO_BUF];
    json_t *arr;
    int rc = pv_member(w, root, PV_AT_TOP, "awards", 0, JSON_ARRAY, "an array of strings", &arr);

    if (rc != 0 || arr == NULL)
        return rc;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *a = json_array_get(arr, i);
        if (json_is_string(a) && pv_content_ok(json_string_value(a), json_string_length(a), STR_TEXT))
            continue;
        snprintf(path, sizeof path, "awards[%zu]", i);
        if (!json_is_string(a)) {
            pv_describe(got, sizeof got, a);
            return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected a string, got %s", path, got);
        }
        return pv_check_content(w, path, json_string_value(a), json_string_length(a), STR_TEXT);
    }
    return 0;
}

/* §5: the declared signers. A transcript must declare each required role
 * exactly once; other roles may appear any number of times. */
int pv_signers(const why_t *w, const json_t *root, payload_t *out)
{
    static const char entry[] = "an object {role, name, certificate_sha256}";
    static const char hex_expected[] = "64 lower-case hex digits (SHA-256 of the certificate's DER)";
    static const char expected[] = "an array of 1 to " STR(PAYLOAD_MAX_SIGNERS) " signers";
    char prefix[PATH_LEN], path[PATH_LEN], got[ECHO_BUF], detail[64];
    int seen[NREQUIRED_ROLES] = {0}, first[NREQUIRED_ROLES] = {0};
    const char *s;
    size_t len;
    json_t *arr;
    int rc;

    if ((rc = pv_member(w, root, PV_AT_TOP, "signers", 1, JSON_ARRAY, expected, &arr)) != 0)
        return rc;
    if (json_array_size(arr) > PAYLOAD_MAX_SIGNERS ||
        (json_array_size(arr) == 0 && out->kind == PAYLOAD_RECALL)) {
        pv_describe(got, sizeof got, arr);
        return pv_fail(w, PAYLOAD_ESCHEMA, "signers: expected %s, got %s", expected, got);
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        payload_signer_t *sg = &out->signers[i];
        const where_t at_e = {"signers", (long)i}, *at = &at_e;
        if (!json_is_object(e)) {
            pv_where_text(prefix, sizeof prefix, at);
            pv_describe(got, sizeof got, e);
            return pv_fail(w, PAYLOAD_ESCHEMA, "%s: expected %s, got %s", prefix, entry, got);
        }
        if ((rc = pv_string(w, e, at, "role", 1, STR_PLAIN, "a string", &sg->role, &len)) != 0)
            return rc;
        if ((rc = pv_string(w, e, at, "name", 1, STR_PLAIN, "a string", &sg->name, &len)) != 0)
            return rc;
        if ((rc = pv_string(w, e, at, "certificate_sha256", 1, STR_FORMAT, hex_expected, &s, &len)) != 0)
            return rc;
        for (size_t k = 0; k < len; k++) {
            if (!pv_is_lower_hex((unsigned char)s[k])) {
                pv_join(path, sizeof path, at, "certificate_sha256");
                unsigned char c = (unsigned char)s[k];
                if (c >= 'A' && c <= 'F')
                    snprintf(detail, sizeof detail, "upper-case hex is not accepted");
                else
                    snprintf(detail, sizeof detail, "character %zu is not a hex digit",
                             pv_char_count(s, k) + 1);
                return pv_bad_value(w, path, hex_expected, s, len, detail);
            }
        }
        if (len != 64) {
            pv_join(path, sizeof path, at, "certificate_sha256");
            snprintf(detail, sizeof detail, "%zu digits", len);
            return pv_bad_value(w, path, hex_expected, s, len, len == 0 || len > ECHO_MAX ? NULL : detail);
        }
        for (size_t k = 0; k < 32; k++) {
            sg->cert_sha256[k] = (unsigned char)(pv_hex_value(s[2 * k]) << 4 | pv_hex_value(s[2 * k + 1]));
        }
        out->nsigners = i + 1;

        for (size_t r = 0; r < NREQUIRED_ROLES && out->kind == PAYLOAD_TRANSCRIPT; r++) {
            if (strcmp(sg->role, REQUIRED_ROLES[r]) != 0)
                continue;
            if (seen[r]) {
                pv_where_text(prefix, sizeof prefix, at);
                return pv_fail(
                    w, PAYLOAD_ESCHEMA,
                    "%s.role: role %s is declared twice (signers[%d] and signers[%zu]); a transcript "
                    "declares it exactly once",
                    prefix, REQUIRED_ROLES[r], first[r], i);
            }
            seen[r] = 1;
            first[r] = (int)i;
        }
    }
    for (size_t r = 0; r < NREQUIRED_ROLES && out->kind == PAYLOAD_TRANSCRIPT; r++)
        if (!seen[r])
            return pv_fail(w, PAYLOAD_ESCHEMA,
                           "signers: required role %s is not declared (a transcript needs homeroom_teacher, "
                           "principal and school_seal)",
                           REQUIRED_ROLES[r]);
    return 0;
}

/* "YYYY-YYYY", the second year one after the first; *first gets the first. */
static int check_school_year(const why_t *w, const json_t *root, const char **out, int *first)
{
    static const char expected[] = "YYYY-YYYY, the second year one after the first";
    const char *s;
    size_t len;
    int rc;

    if ((rc = pv_string(w, root, PV_AT_TOP, "school_year", 1, STR_FORMAT, expected, &s, &len)) != 0)
        return rc;
    int shape = len == 9 && s[4] == '-';
    for (size_t i = 0; shape && i < len; i++)
        if (i != 4 && !pv_is_digit((unsigned char)s[i]))
            shape = 0;
    if (!shape || pv_digits_value(s + 5, 4) != pv_digits_value(s, 4) + 1)
        return pv_bad_value(w, "school_year", expected, s, len, NULL);
    *out = s;
    *first = pv_digits_value(s, 4);
    return 0;
}

int pv_envelope(const why_t *w, const json_t *root, str_t doc, payload_t *out, pv_body_fn body)
{
    const char *s;
    size_t len;
    int rc;

    if ((rc = pv_charset(w, root, PV_AT_TOP, "document_id", 1, 1, 64, pv_is_id_char,
                         "1 to 64 characters of A-Z a-z 0-9 . _ -", &out->document_id)) != 0)
        return rc;
    if ((rc = pv_date(w, root, PV_AT_TOP, "issued_on", &out->issued_on)) != 0)
        return rc;
    if ((rc = check_school_year(w, root, &out->school_year, &out->year_start)) != 0)
        return rc;
    /* a transcript is finalised once its school year has begun (a
     * replacement may come years later, never earlier) */
    if (out->year_start > pv_digits_value(out->issued_on, 4))
        return pv_fail(w, PAYLOAD_ESCHEMA,
                       "school_year: %s begins after issued_on %s; a transcript is issued once "
                       "its school year has begun",
                       out->school_year, out->issued_on);
    if ((rc = check_school(w, root, out)) != 0)
        return rc;
    if ((rc = check_student(w, root, out)) != 0)
        return rc;
    if ((rc = body(w, root, doc, out)) != 0)
        return rc;
    if ((rc = check_awards(w, root)) != 0)
        return rc;
    if ((rc = pv_string(w, root, PV_AT_TOP, "remarks", 0, STR_TEXT, "a string", &s, &len)) != 0)
        return rc;
    if ((rc = pv_signers(w, root, out)) != 0)
        return rc;
    return pv_code(w, root, "supersedes", 0, out->supersedes, &out->has_supersedes);
}
