/* trust_registry.c — the school registry (package-format.md §6): read and
 * checked, and what it says of a school and its certificates. */
#include "trust.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trust_internal.h"

struct seal {
    unsigned char sha256[32];
    char code[24];
};

/* A name a school had, in force up to and including `until`. */
typedef struct {
    char *name, *province;
    char until[11]; /* YYYY-MM-DD */
} former_t;

/* One school of the registry (package-format.md §6). Hash lists are sorted. */
struct school {
    char code[24];
    char *name, *province;
    former_t *former; /* sorted by until */
    size_t nformer;
    unsigned char (*seals)[32], (*principals)[32], (*teachers)[32];
    size_t nseals, nprincipals, nteachers;
};

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_hash(const char *s, unsigned char out[32])
{
    if (s == NULL || strlen(s) != 64)
        return -1;
    for (int i = 0; i < 32; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int seal_cmp(const void *a, const void *b)
{
    const seal_t *x = a, *y = b;
    int c = memcmp(x->sha256, y->sha256, 32);
    return c ? c : strcmp(x->code, y->code);
}

static int school_cmp(const void *a, const void *b)
{
    return strcmp(((const school_t *)a)->code, ((const school_t *)b)->code);
}

static int former_cmp(const void *a, const void *b)
{
    return strcmp(((const former_t *)a)->until, ((const former_t *)b)->until);
}

static int hash_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int valid_school_code(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 20)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

/* A calendar date YYYY-MM-DD (proleptic Gregorian), as payloads write them. */
static int valid_date(const char *s)
{
    static const int DAYS[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m >= 1 && m <= 12 && d >= 1 && d <= DAYS[m - 1] + (m == 2 && leap);
}

static void school_free(school_t *s)
{
    free(s->name);
    free(s->province);
    for (size_t i = 0; i < s->nformer; i++) {
        free(s->former[i].name);
        free(s->former[i].province);
    }
    free(s->former);
    free(s->seals);
    free(s->principals);
    free(s->teachers);
}

void trust_registry_free(registry_t *r)
{
    for (size_t i = 0; i < r->nschools; i++)
        school_free(&r->schools[i]);
    free(r->schools);
    free(r->seals);
    memset(r, 0, sizeof *r);
}

/* A list of certificate hashes: schools[i].key, absent or an array of
 * 64 lower-case hex digits each. *out is malloc'd and sorted (NULL, 0 when
 * absent or empty). */
static int parse_hashes(json_t *s, size_t i, const char *key, unsigned char (**out)[32], size_t *n, char *why,
                        size_t whylen)
{
    json_t *list = json_object_get(s, key);
    *out = NULL;
    *n = 0;
    if (list == NULL)
        return 0;
    if (!json_is_array(list)) {
        WHY("school registry: schools[%zu].%s must be an array of certificate SHA-256s", i, key);
        return -1;
    }
    size_t cnt = json_array_size(list);
    if (cnt == 0)
        return 0;
    if ((*out = malloc(cnt * sizeof **out)) == NULL) {
        WHY("out of memory");
        return -1;
    }
    for (size_t j = 0; j < cnt; j++)
        if (parse_hash(json_string_value(json_array_get(list, j)), (*out)[j]) != 0) {
            WHY("school registry: schools[%zu].%s[%zu] must be 64 lower-case hex digits", i, key, j);
            free(*out);
            *out = NULL;
            return -1;
        }
    qsort(*out, cnt, 32, hash_cmp);
    *n = cnt;
    return 0;
}

/* schools[i].former_names: [{"name", "province", "until": DATE}], sorted by until. */
static int parse_former(json_t *s, size_t i, const char *code, school_t *out, char *why, size_t whylen)
{
    json_t *list = json_object_get(s, "former_names");
    if (list == NULL)
        return 0;
    if (!json_is_array(list)) {
        WHY("school registry: schools[%zu] (%s).former_names must be an array of {name, province, until}", i,
            code);
        return -1;
    }
    size_t cnt = json_array_size(list);
    if (cnt > 0 && (out->former = calloc(cnt, sizeof *out->former)) == NULL) {
        WHY("out of memory");
        return -1;
    }
    for (size_t j = 0; j < cnt; j++) {
        json_t *f = json_array_get(list, j);
        const char *name = json_string_value(json_object_get(f, "name"));
        const char *prov = json_string_value(json_object_get(f, "province"));
        const char *until = json_string_value(json_object_get(f, "until"));
        const char *k;
        json_t *v;
        if (!json_is_object(f) || name == NULL || name[0] == '\0' || prov == NULL || prov[0] == '\0') {
            WHY("school registry: schools[%zu] (%s).former_names[%zu] needs a name and a province", i, code,
                j);
            return -1;
        }
        if (!valid_date(until)) {
            WHY("school registry: schools[%zu] (%s).former_names[%zu].until must be a date YYYY-MM-DD (the "
                "last "
                "day the name was in force)",
                i, code, j);
            return -1;
        }
        json_object_foreach(f, k, v)
        {
            if (strcmp(k, "name") != 0 && strcmp(k, "province") != 0 && strcmp(k, "until") != 0) {
                WHY("school registry: schools[%zu] (%s).former_names[%zu]: unknown member \"%.40s\" (a "
                    "former "
                    "name has name, province and until)",
                    i, code, j, k);
                return -1;
            }
        }
        former_t *e = &out->former[out->nformer++];
        memcpy(e->until, until, 11);
        if ((e->name = strdup(name)) == NULL || (e->province = strdup(prov)) == NULL) {
            WHY("out of memory");
            return -1;
        }
    }
    if (cnt > 0)
        qsort(out->former, cnt, sizeof *out->former, former_cmp);
    for (size_t j = 1; j < cnt; j++)
        if (strcmp(out->former[j - 1].until, out->former[j].until) == 0) {
            WHY("school registry: schools[%zu] (%s).former_names: two names end on %s", i, code,
                out->former[j].until);
            return -1;
        }
    return 0;
}

static const char *const V2_MEMBERS[] = {"principal_certificates", "teacher_certificates", "former_names"};

static const char *const SCHOOL_MEMBERS[] = {
    "code",        "name", "province", "seal_certificates", "principal_certificates", "teacher_certificates",
    "former_names"};

/* One entry of "schools". */
static int parse_school(json_t *s, size_t i, int version, school_t *out, char *why, size_t whylen)
{
    const char *code = json_string_value(json_object_get(s, "code"));
    const char *name = json_string_value(json_object_get(s, "name"));
    const char *prov = json_string_value(json_object_get(s, "province"));
    if (!json_is_object(s)) {
        WHY("school registry: schools[%zu] must be an object", i);
        return -1;
    }
    if (code == NULL || !valid_school_code(code)) {
        WHY("school registry: schools[%zu].code must be 1-20 letters or digits", i);
        return -1;
    }
    snprintf(out->code, sizeof out->code, "%s", code);
    if (name == NULL || name[0] == '\0' || prov == NULL || prov[0] == '\0') {
        WHY("school registry: schools[%zu] (%s) needs a name and a province", i, code);
        return -1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(s, k, v)
    {
        int known = 0;
        for (size_t m = 0; m < sizeof SCHOOL_MEMBERS / sizeof *SCHOOL_MEMBERS; m++)
            known |= strcmp(k, SCHOOL_MEMBERS[m]) == 0;
        int v2 = 0;
        for (size_t m = 0; m < sizeof V2_MEMBERS / sizeof *V2_MEMBERS; m++)
            v2 |= strcmp(k, V2_MEMBERS[m]) == 0;
        /* v1 files may carry members of their own (as before); one that
         * means something in v2 would bind nothing here: refused */
        if (version == 1 && v2) {
            WHY("school registry: schools[%zu] (%s).%s is a member of hocba.schools.v2, but the file says "
                "\"schema\": \"hocba.schools.v1\", under which it would bind nothing",
                i, code, k);
            return -1;
        }
        if (version == 2 && !known) {
            WHY("school registry: schools[%zu] (%s): unknown member \"%.40s\" (a school has code, name, "
                "province, "
                "seal_certificates, principal_certificates, teacher_certificates, former_names)",
                i, code, k);
            return -1;
        }
    }
    if (!json_is_array(json_object_get(s, "seal_certificates"))) {
        WHY("school registry: schools[%zu].seal_certificates must be an array", i);
        return -1;
    }
    if ((out->name = strdup(name)) == NULL || (out->province = strdup(prov)) == NULL) {
        WHY("out of memory");
        return -1;
    }
    if (parse_hashes(s, i, "seal_certificates", &out->seals, &out->nseals, why, whylen) != 0 ||
        parse_hashes(s, i, "principal_certificates", &out->principals, &out->nprincipals, why, whylen) != 0 ||
        parse_hashes(s, i, "teacher_certificates", &out->teachers, &out->nteachers, why, whylen) != 0)
        return -1;
    return parse_former(s, i, code, out, why, whylen);
}

static const seal_t *seal_find(const seal_t *seals, size_t n, const unsigned char sha256[32])
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(seals[mid].sha256, sha256, 32) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && memcmp(seals[lo].sha256, sha256, 32) == 0 ? &seals[lo] : NULL;
}

/* A staff certificate that is some school's seal would fail every record it
 * signs (§5: a seal certificate signs only as school_seal). */
static int staff_not_seal(const registry_t *r, char *why, size_t whylen)
{
    for (size_t i = 0; i < r->nschools; i++) {
        const school_t *s = &r->schools[i];
        for (int role = 0; role < 2; role++) {
            size_t n = role ? s->nteachers : s->nprincipals;
            const unsigned char(*h)[32] = role ? s->teachers : s->principals;
            for (size_t j = 0; j < n; j++) {
                const seal_t *seal = seal_find(r->seals, r->nseals, h[j]);
                if (seal != NULL) {
                    char hex[17];
                    str_hex(h[j], 8, hex);
                    WHY("school registry: school %s lists certificate %s... in %s, but it is registered as "
                        "the "
                        "seal of school %s; a seal certificate is never a person's (package-format.md §5)",
                        s->code, hex, role ? "teacher_certificates" : "principal_certificates", seal->code);
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* Parse and check a registry; on success *out holds it (when out is not
 * NULL). @return the number of schools, or -1 with *why set. */
int trust_registry_parse(str_t json, registry_t *out, char *why, size_t whylen)
{
    json_error_t err;
    json_t *root = json_loadb(json.ptr, json.len, JSON_REJECT_DUPLICATES, &err);
    registry_t r;
    int rc = -1;

    memset(&r, 0, sizeof r);
    if (root == NULL) {
        WHY("school registry is not valid JSON: line %d: %s", err.line, err.text);
        return -1;
    }
    const char *schema = json_string_value(json_object_get(root, "schema"));
    json_t *schools = json_object_get(root, "schools");
    if (schema != NULL && strcmp(schema, "hocba.schools.v1") == 0)
        r.version = 1;
    else if (schema != NULL && strcmp(schema, "hocba.schools.v2") == 0)
        r.version = 2;
    else {
        WHY("school registry: schema must be \"hocba.schools.v1\" or \"hocba.schools.v2\"");
        goto done;
    }
    if (!json_is_array(schools)) {
        WHY("school registry: \"schools\" must be an array");
        goto done;
    }
    size_t n = json_array_size(schools);
    if (n > 0 && (r.schools = calloc(n, sizeof *r.schools)) == NULL) {
        WHY("out of memory");
        goto done;
    }
    size_t nseals = 0;
    for (size_t i = 0; i < n; i++) {
        r.nschools = i + 1;
        if (parse_school(json_array_get(schools, i), i, r.version, &r.schools[i], why, whylen) != 0)
            goto done;
        nseals += r.schools[i].nseals;
    }
    if (n > 0)
        qsort(r.schools, n, sizeof *r.schools, school_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(r.schools[i - 1].code, r.schools[i].code) == 0) {
            WHY("school registry: school %s is listed twice", r.schools[i].code);
            goto done;
        }
    if (nseals > 0 && (r.seals = malloc(nseals * sizeof *r.seals)) == NULL) {
        WHY("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < r.schools[i].nseals; j++) {
            seal_t *e = &r.seals[r.nseals++];
            memcpy(e->sha256, r.schools[i].seals[j], 32);
            snprintf(e->code, sizeof e->code, "%s", r.schools[i].code);
        }
    if (r.nseals > 0)
        qsort(r.seals, r.nseals, sizeof *r.seals, seal_cmp);
    if (staff_not_seal(&r, why, whylen) != 0)
        goto done;
    rc = (int)n;
    if (out != NULL) {
        *out = r;
        memset(&r, 0, sizeof r);
    }
done:
    trust_registry_free(&r);
    json_decref(root);
    return rc;
}

static const school_t *school_find(const trust_t *t, const char *code)
{
    school_t key;
    if (code == NULL || strlen(code) >= sizeof key.code || t->reg.nschools == 0)
        return NULL;
    memcpy(key.code, code, strlen(code) + 1);
    return bsearch(&key, t->reg.schools, t->reg.nschools, sizeof key, school_cmp);
}

static int hash_listed(const unsigned char (*list)[32], size_t n, const unsigned char sha256[32])
{
    return n > 0 && bsearch(sha256, list, n, 32, hash_cmp) != NULL;
}

static int same_hashes(const unsigned char (*a)[32], size_t na, const unsigned char (*b)[32], size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * 32) == 0);
}

int trust_seal_registered(const trust_t *t, const char *school_code, const unsigned char sha256[32])
{
    const seal_t *e = seal_find(t->reg.seals, t->reg.nseals, sha256);
    for (; e != NULL && e < t->reg.seals + t->reg.nseals && memcmp(e->sha256, sha256, 32) == 0; e++)
        if (strcmp(e->code, school_code) == 0)
            return 1;
    return 0;
}

const char *trust_seal_school(const trust_t *t, const unsigned char sha256[32])
{
    const seal_t *e = seal_find(t->reg.seals, t->reg.nseals, sha256);
    return e != NULL ? e->code : NULL;
}

int trust_registry_version(const trust_t *t)
{
    return t->reg.version;
}

int trust_staff_registered(const trust_t *t, const char *school_code, int role,
                           const unsigned char sha256[32])
{
    const school_t *s = school_find(t, school_code);
    if (s == NULL)
        return TRUST_STAFF_UNBOUND;
    size_t n = role == TRUST_STAFF_PRINCIPAL ? s->nprincipals : s->nteachers;
    if (n == 0)
        return TRUST_STAFF_UNBOUND;
    return hash_listed(role == TRUST_STAFF_PRINCIPAL ? s->principals : s->teachers, n, sha256)
               ? TRUST_STAFF_LISTED
               : TRUST_STAFF_NOT_LISTED;
}

size_t trust_school_certs(const trust_t *t, const char *school_code, int role,
                          const unsigned char (**list)[32])
{
    const school_t *s = school_find(t, school_code);
    *list = NULL;
    if (s == NULL)
        return 0;
    if (role == TRUST_SCHOOL_SEAL) {
        *list = (const unsigned char(*)[32])s->seals;
        return s->nseals;
    }
    *list = (const unsigned char(*)[32])(role == TRUST_STAFF_PRINCIPAL ? s->principals : s->teachers);
    return role == TRUST_STAFF_PRINCIPAL ? s->nprincipals : s->nteachers;
}

int trust_school_name(const trust_t *t, const char *school_code, const char *date, const char **name,
                      const char **province, const char **until)
{
    const school_t *s = school_find(t, school_code);
    if (s == NULL)
        return -1;
    *name = s->name;
    *province = s->province;
    if (until != NULL)
        *until = NULL;
    for (size_t i = 0; date != NULL && i < s->nformer; i++)
        if (strcmp(date, s->former[i].until) <= 0) {
            *name = s->former[i].name;
            *province = s->former[i].province;
            if (until != NULL)
                *until = s->former[i].until;
            break;
        }
    return 0;
}

const char *trust_school_code(const trust_t *t, size_t i)
{
    return i < t->reg.nschools ? t->reg.schools[i].code : NULL;
}

int trust_school_same(const trust_t *a, const trust_t *b, const char *school_code)
{
    const school_t *x = school_find(a, school_code), *y = school_find(b, school_code);
    if (x == NULL || y == NULL)
        return x == y;
    if (strcmp(x->name, y->name) != 0 || strcmp(x->province, y->province) != 0 || x->nformer != y->nformer ||
        !same_hashes(x->seals, x->nseals, y->seals, y->nseals) ||
        !same_hashes(x->principals, x->nprincipals, y->principals, y->nprincipals) ||
        !same_hashes(x->teachers, x->nteachers, y->teachers, y->nteachers))
        return 0;
    for (size_t i = 0; i < x->nformer; i++)
        if (strcmp(x->former[i].name, y->former[i].name) != 0 ||
            strcmp(x->former[i].province, y->former[i].province) != 0 ||
            strcmp(x->former[i].until, y->former[i].until) != 0)
            return 0;
    return 1;
}

int trust_check_registry(str_t json, char *why, size_t whylen)
{
    return trust_registry_parse(json, NULL, why, whylen);
}
