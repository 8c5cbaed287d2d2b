/* test_render.c — the template engine, its escaping, and the real templates/ pages.
 * Run from the repository root: the last tests load templates/ and templates/i18n/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lookup/render.h"

#define TEMPLATES_DIR "templates"

/* ---- helpers -------------------------------------------------------------- */

/* A set with one template in it; fails the test if it does not load. */
static render_set_t *set_with(const char *name, const char *text)
{
    render_set_t *set = NULL;
    char why[RENDER_WHY_LEN];
    assert_int_equal(render_set_new(&set), RENDER_OK);
    int rc = render_load_string(set, name, str_c(text), why, sizeof why);
    if (rc != RENDER_OK)
        fail_msg("loading %s: expected RENDER_OK, got %d: %s", name, rc, why);
    return set;
}

static void add(render_set_t *set, const char *name, const char *text)
{
    char why[RENDER_WHY_LEN];
    int rc = render_load_string(set, name, str_c(text), why, sizeof why);
    if (rc != RENDER_OK)
        fail_msg("loading %s: expected RENDER_OK, got %d: %s", name, rc, why);
}

static json_t *json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (j == NULL)
        fail_msg("test JSON does not parse: %s (line %d)", e.text, e.line);
    return j;
}

/* Render name with ctx (JSON text, may be NULL) and compare with want. */
static void expect_render(const render_set_t *set, const char *name, const char *ctx, const char *want)
{
    json_t *j = ctx ? json(ctx) : NULL;
    render_out_t out = {0};
    int rc = render(set, name, j, &out);
    if (rc != RENDER_OK)
        fail_msg("render %s: expected RENDER_OK, got %d (%s)", name, rc, render_strerror(rc));
    if (strcmp(out.ptr, want) != 0)
        fail_msg("render %s:\nexpected [%s]\ngot      [%s]", name, want, out.ptr);
    render_out_free(&out);
    json_decref(j);
}

/* One template, one context, one expected page. */
static void expect_one(const char *tpl, const char *ctx, const char *want)
{
    render_set_t *set = set_with("t", tpl);
    expect_render(set, "t", ctx, want);
    render_set_free(set);
}

static void expect_escape(const char *in, size_t len, const char *want)
{
    render_out_t out = {0};
    render_escape(str_n(in, len), &out);
    assert_int_equal(out.err, 0);
    const char *got = out.ptr ? out.ptr : "";
    if (strcmp(got, want) != 0)
        fail_msg("escape of %zu bytes:\nexpected [%s]\ngot      [%s]", len, want, got);
    render_out_free(&out);
}

/* Loading text must fail with rc, and the message must contain each of the
 * NULL-terminated list of fragments. */
static void expect_refused(const char *text, int want_rc, ...)
{
    render_set_t *set = NULL;
    char why[RENDER_WHY_LEN] = "";
    assert_int_equal(render_set_new(&set), RENDER_OK);
    int rc = render_load_string(set, "page", str_c(text), why, sizeof why);
    if (rc != want_rc)
        fail_msg("loading [%s]: expected %d, got %d (%s)", text, want_rc, rc, why);
    assert_false(render_has(set, "page"));
    va_list ap;
    va_start(ap, want_rc);
    for (const char *frag; (frag = va_arg(ap, const char *)) != NULL;)
        if (strstr(why, frag) == NULL)
            fail_msg("loading [%s]: expected the message to contain \"%s\", got \"%s\"", text, frag, why);
    va_end(ap);
    render_set_free(set);
}

static void expect_has(const char *page, const char *what, const char *needle)
{
    if (strstr(page, needle) == NULL)
        fail_msg("%s: expected to find \"%s\" in the page:\n%s", what, needle, page);
}

static void expect_lacks(const char *page, const char *what, const char *needle)
{
    const char *at = strstr(page, needle);
    if (at != NULL)
        fail_msg("%s: expected no \"%s\" in the page, found it at: %.120s", what, needle, at);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, l = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += l)
        n++;
    return n;
}

/* A temporary directory of templates, for the load_dir messages. */
typedef struct {
    char dir[64];
    char files[8][128];
    int n;
} tmpdir_t;

static void tmp_open(tmpdir_t *d)
{
    memset(d, 0, sizeof *d);
    snprintf(d->dir, sizeof d->dir, "/tmp/test_render.XXXXXX");
    assert_non_null(mkdtemp(d->dir));
}

static void tmp_write(tmpdir_t *d, const char *name, const char *text)
{
    assert_true(d->n < 8);
    char path[sizeof d->files[0]];
    snprintf(path, sizeof path, "%s/%s", d->dir, name);
    memcpy(d->files[d->n], path, sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    d->n++;
}

static void tmp_close(tmpdir_t *d)
{
    for (int i = 0; i < d->n; i++)
        unlink(d->files[i]);
    rmdir(d->dir);
}

/* ---- escaping -------------------------------------------------------------- */

static void test_escape_script_tag(void **state)
{
    (void)state;
    expect_one("<p>{{v}}</p>", "{\"v\": \"<script>alert(\\\"x\\\")</script>\"}",
               "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>");
}

static void test_escape_quotes_and_attribute_breakers(void **state)
{
    (void)state;
    expect_one("<a title=\"{{v}}\">", "{\"v\": \"a\\\"b'c`d=e&f\"}", "<a title=\"a&quot;b&#39;c&#96;d&#61;e&amp;f\">");
    expect_escape("\" onmouseover=alert(1) x='", 26, "&quot; onmouseover&#61;alert(1) x&#61;&#39;");
}

static void test_escape_keeps_valid_utf8(void **state)
{
    (void)state;
    const char *vi = "Nguyễn Văn An — Trường Tiểu học Kim Đồng 😀";
    expect_escape(vi, strlen(vi), vi);
    expect_one("{{v}}", "{\"v\": \"Hoàn thành tốt\"}", "Hoàn thành tốt");
}

static void test_escape_replaces_invalid_utf8(void **state)
{
    (void)state;
    expect_escape("a\x80z", 3, "a\xEF\xBF\xBDz");           /* lone continuation byte */
    expect_escape("a\xC3", 2, "a\xEF\xBF\xBD");             /* truncated at the end */
    expect_escape("\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"); /* overlong: two bad bytes */
    expect_escape("\xED\xA0\x80", 3, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* a surrogate */
    expect_escape("\xF4\x90\x80\x80", 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* > U+10FFFF */
    expect_escape("\xE1\x80<", 3, "\xEF\xBF\xBD&lt;");       /* cut sequence: one U+FFFD, then go on */
    expect_escape("\xFF\xFE", 2, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

static void test_escape_invalid_utf8_in_a_value(void **state)
{
    (void)state;
    /* jansson refuses invalid UTF-8 in JSON text, so build the string with its length. */
    render_set_t *set = set_with("t", "<b>{{name}}</b>");
    json_t *ctx = json_object();
    json_object_set_new(ctx, "name", json_stringn_nocheck("An\xC3(\xFF", 5));
    render_out_t out = {0};
    assert_int_equal(render(set, "t", ctx, &out), RENDER_OK);
    assert_string_equal(out.ptr, "<b>An\xEF\xBF\xBD(\xEF\xBF\xBD</b>");
    render_out_free(&out);
    json_decref(ctx);
    render_set_free(set);
}

static void test_escape_drops_control_characters(void **state)
{
    (void)state;
    static const char c0[] = "a\x01" "b\x1b[31m\x7f" "c\r\n\td";
    static const char c1[] = "x\xC2\x85y\xC2\xA0z";
    static const char nul[] = "nul\0byte";
    expect_escape(c0, sizeof c0 - 1, "ab[31mc\n\td");
    expect_escape(c1, sizeof c1 - 1, "xy\xC2\xA0z"); /* C1 NEL dropped, NBSP kept */
    expect_escape(nul, sizeof nul - 1, "nulbyte");
}

/* ---- values and sections ---------------------------------------------------- */

static void test_render_scalars(void **state)
{
    (void)state;
    expect_one("{{i}}|{{n}}|{{r}}|{{t}}|{{f}}|{{z}}|{{o}}|{{a}}",
               "{\"i\": 42, \"n\": -7, \"r\": 2.5, \"t\": true, \"f\": false, \"z\": null, \"o\": {}, \"a\": [1]}",
               "42|-7|2.5|true|false|||");
}

static void test_render_missing_names_are_empty(void **state)
{
    (void)state;
    expect_one("[{{nope}}][{{a.nope}}][{{a.b.c.d}}][{{s.x}}]", "{\"a\": {\"b\": 1}, \"s\": \"str\"}", "[][][][]");
    expect_one("[{{x}}]", NULL, "[]");
}

static void test_render_dotted_names(void **state)
{
    (void)state;
    expect_one("{{school.name}}, {{school.addr.province}}",
               "{\"school\": {\"name\": \"Kim Đồng\", \"addr\": {\"province\": \"Hà Nội\"}}}", "Kim Đồng, Hà Nội");
}

static void test_render_nested_sections(void **state)
{
    (void)state;
    expect_one("{{#classes}}[{{name}}:{{#pupils}}<{{name}}{{#star}}*{{/star}}>{{/pupils}}]{{/classes}}",
               "{\"classes\": [{\"name\": \"3A\", \"pupils\": [{\"name\": \"An\", \"star\": true}, {\"name\": \"Bình\"}]},"
               " {\"name\": \"3B\", \"pupils\": []}]}",
               "[3A:<An*><Bình>][3B:]");
}

static void test_render_array_of_strings_with_dot(void **state)
{
    (void)state;
    expect_one("<ul>{{#awards}}<li>{{.}}</li>{{/awards}}</ul>",
               "{\"awards\": [\"Học sinh Xuất sắc\", \"<b>x</b>\"]}",
               "<ul><li>Học sinh Xuất sắc</li><li>&lt;b&gt;x&lt;/b&gt;</li></ul>");
}

static void test_render_section_truthiness(void **state)
{
    (void)state;
    const char *tpl = "{{#v}}Y{{/v}}";
    const char *yes[] = {"{\"v\": true}", "{\"v\": \"x\"}", "{\"v\": 3}", "{\"v\": 0.5}", "{\"v\": {}}", "{\"v\": [0]}"};
    const char *no[] = {"{\"v\": false}", "{\"v\": null}", "{}", "{\"v\": []}", "{\"v\": \"\"}", "{\"v\": 0}", "{\"v\": 0.0}"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        expect_one(tpl, yes[i], "Y");
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        expect_one(tpl, no[i], "");
    /* an object section pushes the object; a string section pushes the string */
    expect_one("{{#o}}{{a}}{{/o}}{{#s}}({{.}}){{/s}}", "{\"o\": {\"a\": \"in\"}, \"s\": \"str\"}", "in(str)");
}

static void test_render_inverted_sections(void **state)
{
    (void)state;
    const char *tpl = "{{^v}}none{{/v}}";
    expect_one(tpl, "{}", "none");
    expect_one(tpl, "{\"v\": []}", "none");
    expect_one(tpl, "{\"v\": false}", "none");
    expect_one(tpl, "{\"v\": null}", "none");
    expect_one(tpl, "{\"v\": \"\"}", "none");
    expect_one(tpl, "{\"v\": 0}", "none");
    expect_one(tpl, "{\"v\": [1]}", "");
    expect_one(tpl, "{\"v\": true}", "");
    expect_one(tpl, "{\"v\": \"x\"}", "");
    expect_one("{{#a}}{{.}},{{/a}}{{^a}}empty{{/a}}", "{\"a\": [1, 2]}", "1,2,");
}

static void test_render_context_stack_lookup(void **state)
{
    (void)state;
    /* inner frames first, then outward */
    expect_one("{{#pupil}}{{name}} {{class}} {{school.name}}{{/pupil}}",
               "{\"class\": \"3A\", \"school\": {\"name\": \"Kim Đồng\"}, \"pupil\": {\"name\": \"An\"}}",
               "An 3A Kim Đồng");
    /* the first segment is looked up outward; the rest only below it */
    expect_one("{{#inner}}[{{a.b}}]{{/inner}}", "{\"a\": {\"b\": \"outer\"}, \"inner\": {\"a\": {\"c\": 1}}}", "[]");
    /* a name present with null stops the walk */
    expect_one("{{#inner}}[{{x}}]{{/inner}}", "{\"x\": \"outer\", \"inner\": {\"x\": null}}", "[]");
    /* scalars on the stack are skipped when looking up names */
    expect_one("{{#flag}}{{name}}{{/flag}}", "{\"flag\": true, \"name\": \"An\"}", "An");
    expect_one("{{#list}}{{.}}{{t.sep}}{{/list}}", "{\"t\": {\"sep\": \";\"}, \"list\": [\"a\", \"b\"]}", "a;b;");
}

static void test_render_partials(void **state)
{
    (void)state;
    render_set_t *set = set_with("row", "<li>{{name}}</li>");
    add(set, "list", "<ul>{{#items}}{{>row}}{{/items}}</ul>");
    add(set, "page", "{{>list}}|{{>row}}");
    expect_render(set, "page", "{\"name\": \"top\", \"items\": [{\"name\": \"a\"}, {\"name\": \"<b>\"}]}",
                  "<ul><li>a</li><li>&lt;b&gt;</li></ul>|<li>top</li>");
    render_set_free(set);
}

static void test_render_comments_and_standalone_lines(void **state)
{
    (void)state;
    expect_one("a{{! a comment }}b", "{}", "ab");
    expect_one("<ul>\n  {{#x}}\n  <li>{{.}}</li>\n  {{/x}}\n</ul>\n", "{\"x\": [1, 2]}", "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n");
    expect_one("{{! multi\nline }}\n<p>\n{{^x}}\nnone\n{{/x}}\n</p>", "{}", "<p>\nnone\n</p>");
    /* a tag that shares its line with text keeps the line */
    expect_one("<p>{{#x}}y{{/x}}</p>\n", "{\"x\": 1}", "<p>y</p>\n");
    expect_one("{{ name }} {{# s }}in{{/ s }}", "{\"name\": \"n\", \"s\": 1}", "n in");
}

static void test_render_unknown_template(void **state)
{
    (void)state;
    render_set_t *set = set_with("t", "x");
    render_out_t out = {0};
    assert_int_equal(render(set, "nope", NULL, &out), RENDER_ENOTFOUND);
    assert_int_equal(out.err, 0);
    assert_int_equal(out.len, 0);
    render_out_free(&out);
    render_set_free(set);
}

/* ---- refusals at load --------------------------------------------------------- */

static void test_load_refuses_triple_mustache(void **state)
{
    (void)state;
    expect_refused("<p>\n{{{raw}}}</p>", RENDER_ESYNTAX, "page:2:", "{{{raw}}}", "unescaped", NULL);
}

static void test_load_refuses_ampersand_tag(void **state)
{
    (void)state;
    expect_refused("a\nb\n{{& raw }}", RENDER_ESYNTAX, "page:3:", "{{&raw}}", "unescaped", NULL);
}

static void test_load_refuses_unbalanced_sections(void **state)
{
    (void)state;
    expect_refused("line1\n{{#a}}\nx\n", RENDER_ESYNTAX, "page:2:", "{{#a}}", "never closed", NULL);
    expect_refused("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}", RENDER_ESYNTAX, "page:3:", "{{/a}} closes {{#b}} opened at line 2", NULL);
    expect_refused("x\n{{/a}}", RENDER_ESYNTAX, "page:2:", "closes no open section", NULL);
    expect_refused("{{^a}}", RENDER_ESYNTAX, "page:1:", "{{^a}}", NULL);
}

static void test_load_refuses_malformed_tags(void **state)
{
    (void)state;
    expect_refused("ok\n\n<p>{{name</p>", RENDER_ESYNTAX, "page:3:", "never closed", NULL);
    expect_refused("{{a..b}}", RENDER_ESYNTAX, "page:1:", "'a..b' is not a name", NULL);
    expect_refused("{{a b}}", RENDER_ESYNTAX, "page:1:", "not a name", NULL);
    expect_refused("{{}}", RENDER_ESYNTAX, "page:1:", "empty tag", NULL);
    expect_refused("{{=<% %>=}}", RENDER_ESYNTAX, "not supported", NULL);
    expect_refused("{{! a {{x}} b }}", RENDER_ESYNTAX, "comment cannot contain", NULL);
    expect_refused("ok\n\xC3(", RENDER_ESYNTAX, "page:2:", "not valid UTF-8", NULL);
}

static void test_load_refuses_unknown_and_recursive_partials(void **state)
{
    (void)state;
    expect_refused("a\n{{>nope}}", RENDER_ESYNTAX, "page:2:", "{{>nope}}", "unknown partial", NULL);
    expect_refused("{{>page}}", RENDER_ESYNTAX, "page:1:", "recursive", NULL);
    expect_refused("{{>bad/name}}", RENDER_ESYNTAX, "page:1:", "partial name", NULL);
}

static void test_load_refuses_nesting_deeper_than_the_limit(void **state)
{
    (void)state;
    char deep[1024] = "", *p = deep;
    for (int i = 0; i <= RENDER_MAX_DEPTH; i++)
        p += snprintf(p, sizeof deep - (size_t)(p - deep), "{{#a}}");
    for (int i = 0; i <= RENDER_MAX_DEPTH; i++)
        p += snprintf(p, sizeof deep - (size_t)(p - deep), "{{/a}}");
    expect_refused(deep, RENDER_ESYNTAX, "nest more than", NULL);

    /* partials count too: 17 templates of two nested sections each */
    render_set_t *set = NULL;
    char why[RENDER_WHY_LEN] = "", name[16], text[64];
    assert_int_equal(render_set_new(&set), RENDER_OK);
    add(set, "p0", "{{#a}}{{#b}}x{{/b}}{{/a}}");
    int rc = RENDER_OK, i;
    for (i = 1; i < 20 && rc == RENDER_OK; i++) {
        snprintf(name, sizeof name, "p%d", i);
        snprintf(text, sizeof text, "{{#a}}{{>p%d}}{{/a}}", i - 1);
        rc = render_load_string(set, name, str_c(text), why, sizeof why);
    }
    assert_int_equal(rc, RENDER_ESYNTAX);
    expect_has(why, "depth message", "more than 32");
    render_set_free(set);
}

static void test_load_refuses_duplicates_and_bad_names(void **state)
{
    (void)state;
    render_set_t *set = set_with("t", "x");
    char why[RENDER_WHY_LEN];
    assert_int_equal(render_load_string(set, "t", str_c("y"), why, sizeof why), RENDER_EEXIST);
    assert_int_equal(render_load_string(set, "a b", str_c("y"), why, sizeof why), RENDER_EINVAL);
    assert_int_equal(render_load_string(set, "", str_c("y"), why, sizeof why), RENDER_EINVAL);
    expect_render(set, "t", NULL, "x");
    render_set_free(set);
}

static void test_load_dir_reports_file_and_line(void **state)
{
    (void)state;
    tmpdir_t d;
    render_set_t *set = (render_set_t *)1;
    char why[RENDER_WHY_LEN];

    tmp_open(&d);
    tmp_write(&d, "a.html", "<p>fine</p>\n{{>b}}\n");
    tmp_write(&d, "b.html", "one\ntwo\n{{#open}}\nthree\n");
    assert_int_equal(render_load_dir(d.dir, &set, why, sizeof why), RENDER_ESYNTAX);
    assert_null(set);
    char want[128];
    snprintf(want, sizeof want, "%s/b.html:3:", d.dir);
    expect_has(why, "unbalanced section in a directory", want);
    expect_has(why, "unbalanced section in a directory", "{{#open}} is never closed");
    tmp_close(&d);

    tmp_open(&d);
    tmp_write(&d, "page.html", "<h1>x</h1>\n\n{{>header}}\n");
    assert_int_equal(render_load_dir(d.dir, &set, why, sizeof why), RENDER_ESYNTAX);
    snprintf(want, sizeof want, "%s/page.html:3: {{>header}}: unknown partial (no header.html in %s)", d.dir, d.dir);
    expect_has(why, "unknown partial in a directory", want);
    tmp_close(&d);

    tmp_open(&d);
    tmp_write(&d, "x.html", "{{>y}}");
    tmp_write(&d, "y.html", "\n{{>x}}");
    assert_int_equal(render_load_dir(d.dir, &set, why, sizeof why), RENDER_ESYNTAX);
    expect_has(why, "partial cycle", "y.html:2:");
    expect_has(why, "partial cycle", "recursive partials are not supported");
    tmp_close(&d);

    tmp_open(&d);
    assert_int_equal(render_load_dir(d.dir, &set, why, sizeof why), RENDER_EIO);
    expect_has(why, "empty directory", "no *.html template");
    tmp_close(&d);

    assert_int_equal(render_load_dir("/nonexistent/templates", &set, why, sizeof why), RENDER_EIO);
    expect_has(why, "missing directory", "/nonexistent/templates: ");
}

/* ---- bounds --------------------------------------------------------------------- */

static void test_render_output_is_bounded(void **state)
{
    (void)state;
    render_set_t *set = set_with("t", "{{#rows}}<tr><td>{{.}}</td></tr>{{/rows}}");
    json_t *rows = json_array();
    for (int i = 0; i < 1000; i++)
        json_array_append_new(rows, json_string("0123456789"));
    json_t *ctx = json_pack("{so}", "rows", rows);

    /* a small bound: the error, and nothing of the page left behind */
    render_out_t out = {0};
    out.max = 1000;
    render_escape(str_c("kept"), &out);
    assert_int_equal(render(set, "t", ctx, &out), RENDER_ETOOBIG);
    assert_int_equal(out.len, 4);
    assert_string_equal(out.ptr, "kept");
    assert_int_equal(out.err, 0);
    assert_true(out.cap <= 1001);
    render_out_free(&out);

    /* the default bound, 4 MiB */
    json_t *big = json_array();
    char chunk[4097];
    memset(chunk, 'x', 4096);
    chunk[4096] = '\0';
    for (int i = 0; i < 1100; i++)
        json_array_append_new(big, json_string(chunk));
    json_object_set_new(ctx, "rows", big);
    assert_int_equal(render(set, "t", ctx, &out), RENDER_ETOOBIG);
    assert_int_equal(out.len, 0);
    assert_true(out.cap <= RENDER_OUT_MAX + 1);
    render_out_free(&out);

    /* and the escaper on its own keeps the error sticky */
    out.max = 8;
    render_escape(str_c("<<<"), &out);
    assert_int_equal(out.err, RENDER_ETOOBIG);
    assert_true(out.len <= 8);
    render_out_reset(&out);
    assert_int_equal(out.err, 0);
    render_out_free(&out);

    json_decref(ctx);
    render_set_free(set);
}

/* ---- threads -------------------------------------------------------------------- */

typedef struct {
    const render_set_t *set;
    json_t *ctx;
    const char *want;
    int bad;
} job_t;

static void *render_many(void *arg)
{
    job_t *j = arg;
    render_out_t out = {0};
    for (int i = 0; i < 2000 && !j->bad; i++) {
        render_out_reset(&out);
        if (render(j->set, "page", j->ctx, &out) != RENDER_OK || strcmp(out.ptr, j->want) != 0)
            j->bad = 1;
    }
    render_out_free(&out);
    return NULL;
}

static void test_render_from_many_threads_at_once(void **state)
{
    (void)state;
    render_set_t *set = set_with("row", "<li>{{name}} {{.}}</li>");
    add(set, "page", "{{#rows}}{{>row}}{{/rows}}{{^rows}}none{{/rows}}");
    json_t *ctx = json("{\"rows\": [{\"name\": \"<a>\"}, {\"name\": \"b\"}]}");
    job_t jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job_t){set, ctx, "<li>&lt;a&gt; </li><li>b </li>", 0};
        assert_int_equal(pthread_create(&th[i], NULL, render_many, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].bad)
            fail_msg("thread %d: expected the same page every time, got a different one or an error", i);
    }
    json_decref(ctx);
    render_set_free(set);
}

/* ---- the real templates ------------------------------------------------------------- */

/* What the server passes for GET /v/Q5VQQT42TCX1D4Q1, with values that try
 * to inject markup. */
static const char *REAL_CTX =
    "{\"lang\": \"vi\", \"lang_switch_url\": \"/v/Q5VQQT42TCX1D4Q1?lang=en\", \"public_url\": \"http://127.0.0.1:8080\","
    " \"code\": \"Q5VQQT42TCX1D4Q1\", \"code_grouped\": \"Q5VQ-QT42-TCX1-D4Q1\","
    " \"page_url\": \"http://127.0.0.1:8080/v/Q5VQQT42TCX1D4Q1\","
    " \"status\": \"valid\", \"is_valid\": true, \"is_recalled\": false, \"is_invalid\": false,"
    " \"published_at\": \"15/05/2025\", \"checks_failed\": [], \"recall\": null,"
    " \"supersedes\": {\"code_grouped\": \"56E4-F0JV-BWF2-GPTM\", \"url\": \"/v/56E4F0JVBWF2GPTM\"},"
    " \"transcript\": {"
    "  \"school\": {\"code\": \"01001101\", \"name\": \"Trường Tiểu học Kim Đồng\", \"province\": \"Hà Nội\","
    "              \"district\": \"Quận Ba Đình\", \"ward\": \"Phường Kim Mã\"},"
    "  \"student\": {\"id\": \"0114618005\", \"full_name\": \"Nguyễn Anh Minh\", \"date_of_birth\": \"27/03/2018\","
    "               \"gender\": \"Nam\", \"ethnicity\": \"Kinh\", \"place_of_birth\": \"Hà Nội\","
    "               \"citizen_id_masked\": \"*********468\"},"
    "  \"grade\": 3, \"class\": \"3A\", \"school_year\": \"2024-2025\", \"issued_on\": \"20/05/2025\","
    "  \"subjects\": ["
    "   {\"name\": \"Tiếng Việt\", \"level\": \"T\", \"level_label\": \"Hoàn thành tốt\", \"score\": 9, \"has_score\": true,"
    "    \"comment\": \"Đọc trôi chảy, diễn cảm.\\nViết đúng chính tả.\"},"
    "   {\"name\": \"Toán\", \"level\": \"H\", \"level_label\": \"Hoàn thành\", \"score\": 0, \"has_score\": true},"
    "   {\"name\": \"Đạo đức\", \"level\": \"T\", \"level_label\": \"Hoàn thành tốt\", \"has_score\": false,"
    "    \"comment\": \"<script>alert(\\\"x\\\")</script>\"}],"
    "  \"qualities\": [{\"name\": \"Yêu nước\", \"level\": \"T\", \"level_label\": \"Tốt\"},"
    "                  {\"name\": \"Chăm chỉ\", \"level\": \"Đ\", \"level_label\": \"Đạt\", \"comment\": \"Cần đúng giờ hơn.\"}],"
    "  \"competencies\": [{\"name\": \"Tự chủ và tự học\", \"level\": \"T\", \"level_label\": \"Tốt\"},"
    "                     {\"name\": \"Tính toán\", \"level\": \"C\", \"level_label\": \"Cần cố gắng\"}],"
    "  \"result\": \"HTT\", \"result_label\": \"Hoàn thành tốt\", \"program_completed\": true,"
    "  \"program_completed_label\": \"Hoàn thành\","
    "  \"awards\": [\"Học sinh Xuất sắc\", \"<script>alert(1)</script>\"],"
    "  \"remarks\": \"Em chăm ngoan.\\n<img src=x onerror=alert(1)>\", \"days_absent\": 2, \"has_days_absent\": true},"
    " \"signers\": ["
    "  {\"role_label\": \"Giáo viên chủ nhiệm\", \"name\": \"Ngô Thị Thu Tuyết\","
    "   \"subject\": \"CN=Ngô Thị Thu Tuyết,O=Trường Tiểu học Kim Đồng,C=VN\", \"signing_time\": \"20/05/2025 08:12\"},"
    "  {\"role_label\": \"Hiệu trưởng\", \"name\": \"Trần Văn Bình\", \"subject\": \"CN=Trần Văn Bình,C=VN\","
    "   \"signing_time\": \"21/05/2025 09:00\"},"
    "  {\"role_label\": \"Con dấu / chứng thư số của nhà trường\", \"name\": \"Trường Tiểu học Kim Đồng\","
    "   \"subject\": \"CN=Trường Tiểu học Kim Đồng,C=VN\", \"signing_time\": \"21/05/2025 09:05\"}],"
    " \"qr_svg_url\": \"/v/Q5VQQT42TCX1D4Q1/qr.svg\", \"qr_png_url\": \"/v/Q5VQQT42TCX1D4Q1/qr.png\","
    " \"print_url\": \"/v/Q5VQQT42TCX1D4Q1/print\"}";

typedef struct {
    render_set_t *set;
    json_t *vi, *en;
} real_t;

static int real_setup(void **state)
{
    real_t *r = calloc(1, sizeof *r);
    char why[RENDER_WHY_LEN];
    json_error_t e;
    if (r == NULL)
        return -1;
    int rc = render_load_dir(TEMPLATES_DIR, &r->set, why, sizeof why);
    if (rc != RENDER_OK) {
        print_error("render_load_dir(" TEMPLATES_DIR "): %d %s\n", rc, why);
        free(r);
        return -1;
    }
    r->vi = json_load_file(TEMPLATES_DIR "/i18n/vi.json", JSON_REJECT_DUPLICATES, &e);
    r->en = json_load_file(TEMPLATES_DIR "/i18n/en.json", JSON_REJECT_DUPLICATES, &e);
    if (r->vi == NULL || r->en == NULL) {
        print_error("catalog: %s line %d: %s\n", e.source, e.line, e.text);
        return -1;
    }
    *state = r;
    return 0;
}

static int real_teardown(void **state)
{
    real_t *r = *state;
    if (r != NULL) {
        render_set_free(r->set);
        json_decref(r->vi);
        json_decref(r->en);
        free(r);
    }
    return 0;
}

/* A context for one page: the realistic one, a catalog, and changes. */
static json_t *page_ctx(const real_t *r, const char *lang, const char *changes)
{
    json_t *ctx = json(REAL_CTX);
    json_object_set_new(ctx, "lang", json_string(lang));
    json_object_set(ctx, "t", strcmp(lang, "en") == 0 ? r->en : r->vi);
    if (changes != NULL) {
        json_t *c = json(changes);
        json_object_update(ctx, c);
        json_decref(c);
    }
    return ctx;
}

/* Render a page; check what every page must be: a whole HTML5 document,
 * no template syntax left, no inline script or style, balanced elements. */
static char *page(const real_t *r, const char *tpl, json_t *ctx)
{
    render_out_t out = {0};
    int rc = render(r->set, tpl, ctx, &out);
    if (rc != RENDER_OK)
        fail_msg("render %s: expected RENDER_OK, got %d (%s)", tpl, rc, render_strerror(rc));
    json_decref(ctx);
    const char *p = out.ptr;
    if (strncmp(p, "<!DOCTYPE html>\n<html lang=\"", 28) != 0)
        fail_msg("%s: expected the page to start with the doctype and <html lang>, got %.60s", tpl, p);
    expect_has(p, tpl, "<meta charset=\"utf-8\">");
    expect_has(p, tpl, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    expect_has(p, tpl, "<link rel=\"stylesheet\" href=\"/static/style.css\">");
    expect_lacks(p, tpl, "{{");
    expect_lacks(p, tpl, "}}");
    expect_lacks(p, tpl, "<script");
    expect_lacks(p, tpl, "style=");
    expect_lacks(p, tpl, "<style");
    expect_lacks(p, tpl, " onerror=");
    const char *elems[] = {"html", "head", "body", "main", "section", "div", "table", "thead", "tbody",
                           "tr", "dl", "ul", "p", "form", "header", "footer", "article", "svg", "a", "nav"};
    for (size_t i = 0; i < sizeof elems / sizeof *elems; i++) {
        char open1[32], open2[32], close[32];
        snprintf(open1, sizeof open1, "<%s>", elems[i]);
        snprintf(open2, sizeof open2, "<%s ", elems[i]);
        snprintf(close, sizeof close, "</%s>", elems[i]);
        size_t o = count(p, open1) + count(p, open2), c = count(p, close);
        if (o != c)
            fail_msg("%s: <%s> opened %zu times, closed %zu times", tpl, elems[i], o, c);
    }
    return out.ptr;
}

static void test_templates_home_page(void **state)
{
    const real_t *r = *state;
    char *p = page(r, "home", page_ctx(r, "vi", "{\"form\": {\"value\": \"\"}, \"lang_switch_url\": \"/?lang=en\"}"));
    expect_has(p, "home", "<html lang=\"vi\">");
    expect_has(p, "home", "Cổng tra cứu Học bạ số");
    expect_has(p, "home", "<form class=\"lookup-form\" method=\"get\" action=\"/lookup\">");
    expect_has(p, "home", "<label class=\"lookup-label\" for=\"code\">Mã tra cứu</label>");
    expect_has(p, "home", "name=\"code\"");
    expect_has(p, "home", "autocomplete=\"off\"");
    expect_has(p, "home", "autocapitalize=\"characters\"");
    expect_has(p, "home", "spellcheck=\"false\"");
    expect_has(p, "home", "maxlength=\"40\"");
    expect_has(p, "home", "aria-describedby=\"code-hint\">");
    expect_has(p, "home", "<a class=\"lang-switch\" href=\"/?lang&#61;en\" hreflang=\"en\" lang=\"en\">English</a>");
    expect_lacks(p, "home", "aria-invalid");
    expect_lacks(p, "home", "code-error");
    free(p);

    /* English, and a form in error holding what was typed */
    p = page(r, "home",
             page_ctx(r, "en", "{\"form\": {\"value\": \"\\\"><script>x\", \"error\": \"The 5th character, U, is not used\"}}"));
    expect_has(p, "home en", "<html lang=\"en\">");
    expect_has(p, "home en", "Học bạ số verification portal");
    expect_has(p, "home en", "value=\"&quot;&gt;&lt;script&gt;x\"");
    expect_has(p, "home en", "aria-describedby=\"code-hint code-error\" aria-invalid=\"true\"");
    expect_has(p, "home en", "<p id=\"code-error\" class=\"field-error\">");
    expect_has(p, "home en", "The 5th character, U, is not used");
    free(p);
}

static void test_templates_transcript_valid(void **state)
{
    const real_t *r = *state;
    char *p = page(r, "transcript", page_ctx(r, "vi", NULL));
    const char *w = "transcript valid";
    expect_has(p, w, "<section class=\"verdict verdict-valid\"");
    expect_has(p, w, "class=\"icon icon-valid\"");
    expect_has(p, w, "<h1 id=\"verdict-title\">Học bạ hợp lệ</h1>");
    expect_has(p, w, "<title>Học bạ hợp lệ · Q5VQ-QT42-TCX1-D4Q1 — Cổng tra cứu Học bạ số</title>");
    expect_has(p, w, "<meta name=\"robots\" content=\"noindex\">");
    expect_has(p, w, "<dd class=\"code\">Q5VQ-QT42-TCX1-D4Q1</dd>");
    expect_has(p, w, "15/05/2025");
    expect_has(p, w, "<a href=\"/v/56E4F0JVBWF2GPTM\" class=\"code\">56E4-F0JV-BWF2-GPTM</a>");
    expect_has(p, w, "Trường Tiểu học Kim Đồng");
    expect_has(p, w, "Phường Kim Mã");
    expect_has(p, w, "Quận Ba Đình");
    expect_has(p, w, "<dd class=\"pupil-name\">Nguyễn Anh Minh</dd>");
    expect_has(p, w, "*********468");
    expect_has(p, w, "0114618005");
    expect_has(p, w, "1. Các môn học và hoạt động giáo dục");
    expect_has(p, w, "<th scope=\"row\">Tiếng Việt</th>");
    expect_has(p, w, "Hoàn thành tốt <span class=\"level-code\">(T)</span>");
    expect_has(p, w, "<td data-label=\"Điểm KTĐK\" class=\"num\">9</td>");
    expect_has(p, w, "<td data-label=\"Điểm KTĐK\" class=\"num\">0</td>"); /* a score of 0 is shown */
    expect_has(p, w, "<span class=\"none\">—</span>");
    expect_has(p, w, "2. Những phẩm chất chủ yếu");
    expect_has(p, w, "Đạt <span class=\"level-code\">(Đ)</span>");
    expect_has(p, w, "3. Những năng lực cốt lõi");
    expect_has(p, w, "Cần cố gắng");
    expect_has(p, w, "Học sinh Xuất sắc");
    expect_has(p, w, "Nhận xét của giáo viên chủ nhiệm");
    expect_has(p, w, "Ngô Thị Thu Tuyết");
    expect_has(p, w, "Con dấu / chứng thư số của nhà trường");
    expect_has(p, w, "21/05/2025 09:00");
    expect_has(p, w, "<img class=\"qr\" src=\"/v/Q5VQQT42TCX1D4Q1/qr.svg\" alt=\"");
    expect_has(p, w, "<a class=\"button\" href=\"/v/Q5VQQT42TCX1D4Q1/print\">");
    /* the injected values are there, and only escaped */
    expect_has(p, w, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect_has(p, w, "&lt;script&gt;alert(1)&lt;/script&gt;");
    expect_has(p, w, "&lt;img src&#61;x onerror&#61;alert(1)&gt;");
    expect_lacks(p, w, "withdrawn");
    expect_lacks(p, w, "verdict-invalid");
    free(p);
}

static void test_templates_transcript_recalled(void **state)
{
    const real_t *r = *state;
    char *p = page(r, "transcript",
                   page_ctx(r, "vi",
                            "{\"status\": \"recalled\", \"is_valid\": false, \"is_recalled\": true, \"supersedes\": null,"
                            " \"recall\": {\"recalled_on\": \"02/06/2025\", \"reason\": \"Sai ngày sinh <b>\","
                            "  \"replacement\": {\"code_grouped\": \"WERC-8GMR-ZGE1-96Q8\", \"url\": \"/v/WERC8GMRZGE196Q8\"}}}"));
    const char *w = "transcript recalled";
    expect_has(p, w, "<section class=\"verdict verdict-recalled\"");
    expect_has(p, w, "class=\"icon icon-recalled\"");
    expect_has(p, w, "Học bạ đã bị thu hồi");
    expect_has(p, w, "02/06/2025");
    expect_has(p, w, "Sai ngày sinh &lt;b&gt;");
    expect_has(p, w, "<a href=\"/v/WERC8GMRZGE196Q8\" class=\"code\">WERC-8GMR-ZGE1-96Q8</a>");
    expect_has(p, w, "<article class=\"paper paper-withdrawn\"");
    expect_has(p, w, "ĐÃ THU HỒI");
    expect_has(p, w, "Nguyễn Anh Minh"); /* shown, marked as withdrawn */
    expect_lacks(p, w, "/print\""); /* no printable copy of a recalled transcript */
    expect_lacks(p, w, "chưa phát hành học bạ thay thế");
    free(p);

    p = page(r, "transcript",
             page_ctx(r, "en",
                      "{\"status\": \"recalled\", \"is_valid\": false, \"is_recalled\": true,"
                      " \"recall\": {\"recalled_on\": \"02/06/2025\", \"reason\": \"Wrong date\", \"replacement\": null}}"));
    expect_has(p, "recalled en", "Recalled transcript");
    expect_has(p, "recalled en", "The school has not issued a replacement.");
    free(p);
}

static void test_templates_transcript_invalid_shows_no_content(void **state)
{
    const real_t *r = *state;
    /* the transcript object is still passed, by mistake: the page must not show it */
    char *p = page(r, "transcript",
                   page_ctx(r, "vi",
                            "{\"status\": \"invalid\", \"is_valid\": false, \"is_invalid\": true,"
                            " \"checks_failed\": [{\"check_label\": \"Nội dung học bạ đã bị thay đổi sau khi ký.\","
                            "   \"role_label\": \"Hiệu trưởng\", \"detail\": \"messageDigest <differs>\"},"
                            "  {\"check_label\": \"Chứng thư số của người ký đã bị thu hồi.\"}]}"));
    const char *w = "transcript invalid";
    expect_has(p, w, "<section class=\"verdict verdict-invalid\"");
    expect_has(p, w, "class=\"icon icon-invalid\"");
    expect_has(p, w, "Học bạ không hợp lệ");
    expect_has(p, w, "<strong>Nội dung học bạ đã bị thay đổi sau khi ký.</strong>");
    expect_has(p, w, "Người ký: Hiệu trưởng");
    expect_has(p, w, "messageDigest &lt;differs&gt;");
    expect_has(p, w, "<strong>Chứng thư số của người ký đã bị thu hồi.</strong>");
    expect_has(p, w, "Liên hệ nhà trường");
    expect_has(p, w, "Q5VQ-QT42-TCX1-D4Q1");
    const char *private[] = {"Nguyễn Anh Minh", "Kim Đồng", "0114618005", "468", "Tiếng Việt", "Học sinh Xuất sắc",
                             "Ngô Thị Thu Tuyết", "qr.svg", "/print", "56E4", "alert"};
    for (size_t i = 0; i < sizeof private / sizeof *private; i++)
        expect_lacks(p, w, private[i]);
    free(p);
}

static void test_templates_print_page(void **state)
{
    const real_t *r = *state;
    char *p = page(r, "print",
                   page_ctx(r, "vi", "{\"lang_switch_url\": \"/v/Q5VQQT42TCX1D4Q1/print?lang=en\"}"));
    const char *w = "print";
    expect_has(p, w, "<body class=\"print-page\">");
    expect_has(p, w, "<div class=\"running running-head\">");
    expect_has(p, w, "<img class=\"running-qr\" src=\"/v/Q5VQQT42TCX1D4Q1/qr.svg\"");
    expect_has(p, w, "<div class=\"running running-foot\">");
    expect_has(p, w, "Tra cứu tại <span class=\"url\">http://127.0.0.1:8080/v/Q5VQQT42TCX1D4Q1</span>");
    expect_has(p, w, "<table class=\"print-frame\" role=\"presentation\">");
    expect_has(p, w, "Bản giấy Học bạ số");
    expect_has(p, w, "Nguyễn Anh Minh");
    expect_has(p, w, "Học bạ hợp lệ");
    if (count(p, "Q5VQ-QT42-TCX1-D4Q1") < 3)
        fail_msg("print: expected the code in the head, the foot and the facts, found it %zu times",
                 count(p, "Q5VQ-QT42-TCX1-D4Q1"));
    expect_has(p, w, "&lt;script&gt;alert(1)&lt;/script&gt;");
    expect_lacks(p, w, "site-header");
    free(p);

    p = page(r, "print", page_ctx(r, "en", "{\"status\": \"invalid\", \"is_valid\": false, \"is_invalid\": true,"
                                           " \"checks_failed\": [{\"check_label\": \"Broken\"}]}"));
    expect_has(p, "print invalid", "Invalid transcript");
    expect_has(p, "print invalid", "Verify at");
    expect_lacks(p, "print invalid", "Nguyễn Anh Minh");
    free(p);
}

static void test_templates_error_pages(void **state)
{
    const real_t *r = *state;
    const char *t404 = json_string_value(json_object_get(r->vi, "error.404.title"));
    const char *m404 = json_string_value(json_object_get(r->vi, "error.404.message"));
    assert_non_null(t404);
    assert_non_null(m404);
    char changes[1024];
    snprintf(changes, sizeof changes,
             "{\"code\": null, \"code_grouped\": null, \"status\": null, \"is_valid\": false, \"transcript\": null,"
             " \"error\": {\"status\": 404, \"title\": \"%s\", \"message\": \"%s\"},"
             " \"form\": {\"value\": \"Q5VQ-QT42-TCX1-D4Q2\", \"error\": \"Không có học bạ với mã này\"}}",
             t404, m404);
    char *p = page(r, "error", page_ctx(r, "vi", changes));
    expect_has(p, "404", "<h1>Không tìm thấy</h1>");
    expect_has(p, "404", m404);
    expect_has(p, "404", "<title>Không tìm thấy — Cổng tra cứu Học bạ số</title>");
    expect_has(p, "404", "value=\"Q5VQ-QT42-TCX1-D4Q2\"");
    expect_has(p, "404", "aria-invalid=\"true\"");
    expect_has(p, "404", "Không có học bạ với mã này");
    expect_lacks(p, "404", "Nguyễn Anh Minh");
    free(p);

    const char *statuses[] = {"429", "503", "405"};
    for (size_t i = 0; i < 3; i++) {
        char tk[32], mk[32];
        snprintf(tk, sizeof tk, "error.%s.title", statuses[i]);
        snprintf(mk, sizeof mk, "error.%s.message", statuses[i]);
        const char *title = json_string_value(json_object_get(r->en, tk));
        const char *msg = json_string_value(json_object_get(r->en, mk));
        if (title == NULL || msg == NULL)
            fail_msg("en catalog: expected %s and %s", tk, mk);
        snprintf(changes, sizeof changes,
                 "{\"code\": null, \"code_grouped\": null, \"transcript\": null,"
                 " \"error\": {\"status\": %s, \"title\": \"%s\", \"message\": \"%s\"}}",
                 statuses[i], title, msg);
        p = page(r, "error", page_ctx(r, "en", changes));
        expect_has(p, statuses[i], title);
        expect_has(p, statuses[i], msg);
        expect_lacks(p, statuses[i], "<form");
        free(p);
    }
}

/* Both catalogs hold the same keys, no empty text, every key the templates
 * read and every key the server reads. */
static void test_catalogs_match_and_cover_the_templates(void **state)
{
    const real_t *r = *state;
    const char *k;
    json_t *v;
    json_object_foreach(r->vi, k, v) {
        if (!json_is_string(v) || json_string_length(v) == 0)
            fail_msg("vi.json: expected non-empty text for \"%s\"", k);
        json_t *e = json_object_get(r->en, k);
        if (!json_is_string(e) || json_string_length(e) == 0)
            fail_msg("en.json: expected \"%s\" (it is in vi.json)", k);
    }
    json_object_foreach(r->en, k, v) {
        if (json_object_get(r->vi, k) == NULL)
            fail_msg("vi.json: expected \"%s\" (it is in en.json)", k);
    }
    const char *server[] = {"level.subject.T", "level.subject.H", "level.subject.C", "level.quality.T",
                            "level.quality.Đ", "level.quality.C", "result.HTXS", "result.HTT", "result.HT",
                            "result.CHT", "role.homeroom_teacher", "role.principal", "role.school_seal",
                            "role.other", "check.integrity", "check.signature", "check.chain", "check.validity",
                            "check.revocation", "check.roles", "check.seal_registry", "gender.Nam", "gender.Nữ",
                            "yes", "no", "error.404.title", "error.404.message", "error.400.title",
                            "error.429.title", "error.429.message", "error.503.title", "error.503.message",
                            "error.405.title"};
    for (size_t i = 0; i < sizeof server / sizeof *server; i++)
        if (json_object_get(r->vi, server[i]) == NULL)
            fail_msg("catalogs: expected the server's key \"%s\"", server[i]);
    assert_string_equal(json_string_value(json_object_get(r->vi, "level.subject.T")), "Hoàn thành tốt");
    assert_string_equal(json_string_value(json_object_get(r->vi, "level.quality.Đ")), "Đạt");
    assert_string_equal(json_string_value(json_object_get(r->vi, "role.school_seal")),
                        "Con dấu / chứng thư số của nhà trường");

    /* every {{t.key}} in a template file */
    const char *files[] = {"layout-top", "layout-bottom", "home", "transcript", "transcript-body", "verdict",
                           "signers", "print", "error", "lookup-form"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[128], text[65536];
        snprintf(path, sizeof path, TEMPLATES_DIR "/%s.html", files[i]);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            fail_msg("expected %s", path);
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        for (char *p = text; (p = strstr(p, "{{t.")) != NULL;) {
            p += 4;
            char *end = strstr(p, "}}");
            assert_non_null(end);
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(end - p), p);
            if (json_object_get(r->vi, key) == NULL || json_object_get(r->en, key) == NULL)
                fail_msg("%s uses {{t.%s}}: expected it in vi.json and en.json", path, key);
        }
    }
}

int main(void)
{
    const struct CMUnitTest engine[] = {
        cmocka_unit_test(test_escape_script_tag),
        cmocka_unit_test(test_escape_quotes_and_attribute_breakers),
        cmocka_unit_test(test_escape_keeps_valid_utf8),
        cmocka_unit_test(test_escape_replaces_invalid_utf8),
        cmocka_unit_test(test_escape_invalid_utf8_in_a_value),
        cmocka_unit_test(test_escape_drops_control_characters),
        cmocka_unit_test(test_render_scalars),
        cmocka_unit_test(test_render_missing_names_are_empty),
        cmocka_unit_test(test_render_dotted_names),
        cmocka_unit_test(test_render_nested_sections),
        cmocka_unit_test(test_render_array_of_strings_with_dot),
        cmocka_unit_test(test_render_section_truthiness),
        cmocka_unit_test(test_render_inverted_sections),
        cmocka_unit_test(test_render_context_stack_lookup),
        cmocka_unit_test(test_render_partials),
        cmocka_unit_test(test_render_comments_and_standalone_lines),
        cmocka_unit_test(test_render_unknown_template),
        cmocka_unit_test(test_load_refuses_triple_mustache),
        cmocka_unit_test(test_load_refuses_ampersand_tag),
        cmocka_unit_test(test_load_refuses_unbalanced_sections),
        cmocka_unit_test(test_load_refuses_malformed_tags),
        cmocka_unit_test(test_load_refuses_unknown_and_recursive_partials),
        cmocka_unit_test(test_load_refuses_nesting_deeper_than_the_limit),
        cmocka_unit_test(test_load_refuses_duplicates_and_bad_names),
        cmocka_unit_test(test_load_dir_reports_file_and_line),
        cmocka_unit_test(test_render_output_is_bounded),
        cmocka_unit_test(test_render_from_many_threads_at_once),
    };
    const struct CMUnitTest pages[] = {
        cmocka_unit_test(test_templates_home_page),
        cmocka_unit_test(test_templates_transcript_valid),
        cmocka_unit_test(test_templates_transcript_recalled),
        cmocka_unit_test(test_templates_transcript_invalid_shows_no_content),
        cmocka_unit_test(test_templates_print_page),
        cmocka_unit_test(test_templates_error_pages),
        cmocka_unit_test(test_catalogs_match_and_cover_the_templates),
    };
    int failed = cmocka_run_group_tests(engine, NULL, NULL);
    failed += cmocka_run_group_tests(pages, real_setup, real_teardown);
    return failed;
}
