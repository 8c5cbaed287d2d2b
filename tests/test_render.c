/* test_render.c — lookup/render: the template engine, the project's only HTML
 * escaper, and the real pages of templates/ with the catalogs of templates/i18n/.
 *
 * Run from the repository root (the page tests read templates/). Contexts are
 * built by hand with json_pack in the shape view_page_context and the portal's
 * base_context give them, so these tests stay about rendering.
 *
 * Every helper frees what it allocated before it fails a test, so a failing
 * test leaves no leak behind for LeakSanitizer to report on top of it. */
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
#include "lookup/view.h"

#define TEMPLATES_DIR "templates"
#define PUBLIC_URL "https://tracuu.hocba.edu.vn"

/* ---- helpers: one template ------------------------------------------------------ */

/* A set holding name = text, or NULL with the reason in why. */
static render_set_t *try_set(const char *name, const char *text, char *why, size_t whylen)
{
    render_set_t *set = NULL;
    if (render_set_new(&set) != RENDER_OK) {
        snprintf(why, whylen, "render_set_new failed");
        return NULL;
    }
    int rc = render_load_string(set, name, str_c(text), why, whylen);
    if (rc != RENDER_OK) {
        render_set_free(set);
        return NULL;
    }
    return set;
}

/* Render text (as template "t") with ctx, which it takes; compare with want. */
static void expect_render(const char *text, json_t *ctx, const char *want)
{
    char why[RENDER_WHY_LEN] = "";
    render_set_t *set = try_set("t", text, why, sizeof why);
    if (set == NULL) {
        json_decref(ctx);
        fail_msg("loading [%s]: expected RENDER_OK, got the refusal \"%s\"", text, why);
    }
    render_out_t out = {0};
    int rc = render(set, "t", ctx, &out);
    const char *got = out.ptr != NULL ? out.ptr : "(null)";
    int ok = rc == RENDER_OK && strcmp(got, want) == 0;
    if (!ok)
        print_error("template [%s]\n  expected RENDER_OK and [%s]\n  got      %d (%s) and [%s]\n", text, want,
                    rc, render_strerror(rc), got);
    render_out_free(&out);
    render_set_free(set);
    json_decref(ctx);
    if (!ok)
        fail_msg("rendering [%s] gave the wrong page (see above)", text);
}

/* A context {"v": value}; value is stolen. */
static json_t *v_is(json_t *value)
{
    return json_pack("{s:o}", "v", value);
}

/* render_escape of len bytes must write want. */
static void expect_escape(const char *in, size_t len, const char *want)
{
    render_out_t out = {0};
    render_escape(str_n(in, len), &out);
    int err = out.err;
    const char *got = out.ptr != NULL ? out.ptr : "";
    int ok = err == 0 && strcmp(got, want) == 0;
    if (!ok)
        print_error("render_escape of %zu bytes\n  expected err 0 and [%s]\n  got      err %d and [%s]\n",
                    len, want, err, got);
    render_out_free(&out);
    if (!ok)
        fail_msg("render_escape wrote the wrong bytes (see above)");
}

/* Loading text as template `name` into a set holding the NULL-terminated
 * (name, text) pairs of `before` must be refused with want_rc; the message
 * must start with want_prefix ("NAME:LINE: ") and contain want_what; the set
 * must not have gained the template. */
static void expect_refused_after(const char *const *before, const char *name, const char *text, int want_rc,
                                 const char *want_prefix, const char *want_what)
{
    render_set_t *set = NULL;
    char why[RENDER_WHY_LEN] = "";
    assert_int_equal(render_set_new(&set), RENDER_OK);
    for (size_t i = 0; before != NULL && before[i] != NULL; i += 2) {
        int rc = render_load_string(set, before[i], str_c(before[i + 1]), why, sizeof why);
        if (rc != RENDER_OK) {
            render_set_free(set);
            fail_msg("loading the partial %s: expected RENDER_OK, got %d: %s", before[i], rc, why);
        }
    }
    int rc = render_load_string(set, name, str_c(text), why, sizeof why);
    int has = render_has(set, name);
    render_set_free(set);
    if (rc != want_rc)
        fail_msg("loading [%s]: expected %d (%s), got %d (%s) with \"%s\"", text, want_rc,
                 render_strerror(want_rc), rc, render_strerror(rc), why);
    if (strncmp(why, want_prefix, strlen(want_prefix)) != 0)
        fail_msg("loading [%s]: expected the message to start with \"%s\", got \"%s\"", text, want_prefix,
                 why);
    if (strstr(why, want_what) == NULL)
        fail_msg("loading [%s]: expected the message to say \"%s\", got \"%s\"", text, want_what, why);
    if (has)
        fail_msg(
            "loading [%s]: expected the refused template not to be in the set, but render_has says it is",
            text);
}

static void expect_refused(const char *text, const char *want_prefix, const char *want_what)
{
    expect_refused_after(NULL, "page", text, RENDER_ESYNTAX, want_prefix, want_what);
}

/* ---- helpers: a directory of templates -------------------------------------------- */

typedef struct {
    char dir[32];
    char names[4][32];
    int n;
} tmpdir_t;

static void tmp_open(tmpdir_t *d)
{
    memset(d, 0, sizeof *d);
    memcpy(d->dir, "/tmp/test_render.XXXXXX", sizeof "/tmp/test_render.XXXXXX");
    assert_non_null(mkdtemp(d->dir));
}

static void tmp_write(tmpdir_t *d, const char *name, const char *text)
{
    char path[96];
    assert_true(d->n < 4 && strlen(name) < sizeof d->names[0]);
    int k = snprintf(path, sizeof path, "%s/%s", d->dir, name);
    assert_true(k > 0 && (size_t)k < sizeof path);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    memcpy(d->names[d->n++], name, strlen(name) + 1);
}

static void tmp_close(tmpdir_t *d)
{
    char path[96];
    for (int i = 0; i < d->n; i++) {
        int k = snprintf(path, sizeof path, "%s/%s", d->dir, d->names[i]);
        if (k > 0 && (size_t)k < sizeof path)
            unlink(path);
    }
    rmdir(d->dir);
}

/* render_load_dir on d must give RENDER_ESYNTAX and a message that starts
 * with d's path, then "/" want_file_line, and contains want_what. */
static void expect_dir_refused(tmpdir_t *d, const char *want_file_line, const char *want_what)
{
    render_set_t *set = (render_set_t *)d; /* anything but NULL: it must be reset */
    char why[RENDER_WHY_LEN] = "", prefix[96];
    int rc = render_load_dir(d->dir, &set, why, sizeof why);
    int k = snprintf(prefix, sizeof prefix, "%s/%s", d->dir, want_file_line);
    render_set_t *left = set;
    if (rc == RENDER_OK)
        render_set_free(set);
    tmp_close(d);
    assert_true(k > 0 && (size_t)k < sizeof prefix);
    if (rc != RENDER_ESYNTAX)
        fail_msg("render_load_dir: expected RENDER_ESYNTAX, got %d (%s): \"%s\"", rc, render_strerror(rc),
                 why);
    if (left != NULL)
        fail_msg("render_load_dir: expected *out to be NULL on failure, got %p", (void *)left);
    if (strncmp(why, prefix, strlen(prefix)) != 0)
        fail_msg("render_load_dir: expected the message to start with \"%s\", got \"%s\"", prefix, why);
    if (strstr(why, want_what) == NULL)
        fail_msg("render_load_dir: expected the message to say \"%s\", got \"%s\"", want_what, why);
}

/* =================================================================================== */
/* ---- escaping ------------------------------------------------------------------------ */

static void test_escape_script_tag_becomes_inert_text(void **state)
{
    (void)state;
    expect_render("<p>{{v}}</p>", v_is(json_string("<script>alert(\"x\")</script>")),
                  "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>");
}

static void test_escape_apostrophe_quote_and_ampersand(void **state)
{
    (void)state;
    expect_render("<a title='{{v}}' href=\"{{v}}\">", v_is(json_string("Tom's \"A&B\" &amp;")),
                  "<a title='Tom&#39;s &quot;A&amp;B&quot; &amp;amp;' href=\"Tom&#39;s &quot;A&amp;B&quot; "
                  "&amp;amp;\">");
}

static void test_escape_backtick_and_equals(void **state)
{
    (void)state;
    /* what an unquoted attribute value would need to break out */
    expect_render("<input value={{v}}>", v_is(json_string("x onfocus=alert`1`")),
                  "<input value=x onfocus&#61;alert&#96;1&#96;>");
}

static void test_escape_keeps_valid_utf8(void **state)
{
    (void)state;
    const char *vi =
        "Phạm Phương Hằng — Trường Tiểu học Kim Đồng, Độc lập – Tự do – Hạnh phúc \xF0\x9F\x93\x9A";
    expect_render("{{v}}", v_is(json_string(vi)), vi);
}

static void test_escape_replaces_invalid_utf8_in_a_value_by_u_fffd(void **state)
{
    (void)state;
    /* one U+FFFD per maximal subpart (Unicode §3.9); jansson checks UTF-8,
     * so the value is made with json_stringn_nocheck as the portal does for
     * what a person typed */
    static const char bad[] = "A\x80"             /* a lone continuation byte: 1 */
                              "B\xC3"             /* a lead byte cut by the next ASCII: 1 */
                              "C\xE1\x80<"        /* a cut 3-byte sequence: 1, then the < */
                              "D\xC0\xAF"         /* an overlong /: 2 */
                              "E\xED\xA0\x80"     /* a surrogate: 3 */
                              "F\xF4\x90\x80\x80" /* above U+10FFFF: 4 */
                              "G\xFF"             /* never valid: 1 */
                              "H\xF0\x9F\x93";    /* cut at the end: 1 */
#define FFFD "\xEF\xBF\xBD"
    expect_render("[{{v}}]", v_is(json_stringn_nocheck(bad, sizeof bad - 1)),
                  "[A" FFFD "B" FFFD "C" FFFD "&lt;D" FFFD FFFD "E" FFFD FFFD FFFD "F" FFFD FFFD FFFD FFFD
                  "G" FFFD "H" FFFD "]");
#undef FFFD
}

static void test_escape_drops_control_characters_but_keeps_newline_and_tab(void **state)
{
    (void)state;
    /* C0 but \n and \t, DEL, C1 (U+0085 here) are dropped; U+00A0 is not a control */
    static const char in[] = "a\x01"
                             "b\x1b[31m\x7f"
                             "c\r\n\td\xC2\x85"
                             "e\xC2\xA0"
                             "f\0g";
    expect_render("[{{v}}]", v_is(json_stringn_nocheck(in, sizeof in - 1)),
                  "[ab[31mc\n\tde\xC2\xA0"
                  "fg]");
}

static void test_escape_function_writes_entities_for_all_seven_characters(void **state)
{
    (void)state;
    expect_escape("&<>\"'`=", 7, "&amp;&lt;&gt;&quot;&#39;&#96;&#61;");
}

/* ---- values ---------------------------------------------------------------------------- */

static void test_dotted_name_walks_into_objects(void **state)
{
    (void)state;
    expect_render("{{school.name}}, {{school.address.province}}",
                  json_pack("{s:{s:s, s:{s:s}}}", "school", "name", "Trường Tiểu học Kim Đồng", "address",
                            "province", "Hà Nội"),
                  "Trường Tiểu học Kim Đồng, Hà Nội");
}

static void test_missing_names_render_empty(void **state)
{
    (void)state;
    expect_render("[{{nope}}][{{school.nope}}][{{school.name.x}}][{{a.b.c.d}}]",
                  json_pack("{s:{s:s}}", "school", "name", "Kim Đồng"), "[][][][]");
}

static void test_null_context_renders_as_empty_object(void **state)
{
    (void)state;
    expect_render("[{{x}}][{{.}}]{{#x}}no{{/x}}{{^x}}yes{{/x}}", NULL, "[][]yes");
}

static void test_integers_are_written_in_decimal(void **state)
{
    (void)state;
    expect_render(
        "{{a}} {{b}} {{c}} {{d}}",
        json_pack("{s:i, s:i, s:i, s:I}", "a", 9, "b", 0, "c", -7, "d", (json_int_t)9007199254740993LL),
        "9 0 -7 9007199254740993");
}

static void test_reals_are_written_with_percent_g(void **state)
{
    (void)state;
    expect_render(
        "{{a}} {{b}} {{c}} {{d}} {{e}}",
        json_pack("{s:f, s:f, s:f, s:f, s:f}", "a", 8.5, "b", 0.1, "c", 1e21, "d", 1234567.0, "e", -0.25),
        "8.5 0.1 1e+21 1.23457e+06 -0.25");
}

static void test_booleans_are_written_as_true_and_false(void **state)
{
    (void)state;
    expect_render("{{y}}/{{n}}", json_pack("{s:b, s:b}", "y", 1, "n", 0), "true/false");
}

static void test_null_objects_and_arrays_write_nothing(void **state)
{
    (void)state;
    expect_render("[{{z}}][{{o}}][{{a}}]", json_pack("{s:n, s:{s:s}, s:[s]}", "z", "o", "k", "v", "a", "x"),
                  "[][][]");
}

/* ---- sections ---------------------------------------------------------------------------- */

static void test_dot_renders_each_string_of_an_array(void **state)
{
    (void)state;
    expect_render(
        "<ul>{{#awards}}<li>{{.}}</li>{{/awards}}</ul>",
        json_pack("{s:[s, s, s]}", "awards", "Học sinh Xuất sắc", "Giải Nhì <Toán>", "Cháu ngoan Bác Hồ"),
        "<ul><li>Học sinh Xuất sắc</li><li>Giải Nhì &lt;Toán&gt;</li><li>Cháu ngoan Bác Hồ</li></ul>");
}

static void test_nested_sections_over_arrays_of_objects(void **state)
{
    (void)state;
    json_t *ctx = json_pack("{s:[{s:s, s:[{s:s, s:s}, {s:s, s:s}]}, {s:s, s:[]}, {s:s, s:[{s:s, s:s}]}]}",
                            "classes", "name", "3A", "pupils", "name", "Phạm Phương Hằng", "level", "T",
                            "name", "Lê Văn Bình", "level", "H", "name", "3B", "pupils", "name", "3C",
                            "pupils", "name", "Đỗ Bảo Diệp", "level", "C");
    expect_render("{{#classes}}{{name}}:{{#pupils}} {{name}}({{level}}){{/pupils}};{{/classes}}", ctx,
                  "3A: Phạm Phương Hằng(T) Lê Văn Bình(H);3B:;3C: Đỗ Bảo Diệp(C);");
}

static void test_object_section_renders_once_with_the_object_pushed(void **state)
{
    (void)state;
    expect_render("{{#student}}{{full_name}}, {{gender}}{{/student}}",
                  json_pack("{s:{s:s, s:s}}", "student", "full_name", "Phạm Phương Hằng", "gender", "Nữ"),
                  "Phạm Phương Hằng, Nữ");
}

static void test_lookup_searches_the_context_stack_outward(void **state)
{
    (void)state;
    /* inside pupils: name from the pupil, class from the class, school from the root */
    json_t *ctx = json_pack("{s:s, s:[{s:s, s:[{s:s}]}]}", "school", "Kim Đồng", "classes", "class", "3A",
                            "pupils", "name", "Hằng");
    expect_render("{{#classes}}{{#pupils}}{{name}} {{class}} {{school}}{{/pupils}}{{/classes}}", ctx,
                  "Hằng 3A Kim Đồng");
}

static void test_inner_frame_hides_the_same_name_outside(void **state)
{
    (void)state;
    expect_render("{{name}}|{{#pupil}}{{name}}{{/pupil}}|{{name}}",
                  json_pack("{s:s, s:{s:s}}", "name", "Kim Đồng", "pupil", "name", "Hằng"),
                  "Kim Đồng|Hằng|Kim Đồng");
}

static void test_dotted_name_is_followed_only_from_the_first_frame_holding_its_head(void **state)
{
    (void)state;
    /* the inner frame holds "school" without "name": the outer school.name is not used */
    expect_render("{{#pupil}}[{{school.name}}][{{school.code}}]{{/pupil}}",
                  json_pack("{s:{s:s}, s:{s:{s:s}}}", "school", "name", "Kim Đồng", "pupil", "school", "code",
                            "01001101"),
                  "[][01001101]");
}

static void test_lookup_skips_frames_that_are_not_objects(void **state)
{
    (void)state;
    expect_render("{{#flag}}{{name}}{{/flag}}{{#list}}{{.}}{{t.sep}}{{/list}}",
                  json_pack("{s:b, s:s, s:{s:s}, s:[s, s]}", "flag", 1, "name", "An", "t", "sep", ";", "list",
                            "a", "b"),
                  "Ana;b;");
}

static void test_section_true_renders_once_with_true_pushed(void **state)
{
    (void)state;
    expect_render("{{#v}}[{{.}}]{{/v}}", v_is(json_true()), "[true]");
}

static void test_section_false_renders_nothing(void **state)
{
    (void)state;
    expect_render("[{{#v}}body{{/v}}]", v_is(json_false()), "[]");
}

static void test_section_null_renders_nothing(void **state)
{
    (void)state;
    expect_render("[{{#v}}body{{/v}}]", v_is(json_null()), "[]");
}

static void test_section_missing_renders_nothing(void **state)
{
    (void)state;
    expect_render("[{{#v}}body{{/v}}]", json_object(), "[]");
}

static void test_section_empty_array_renders_nothing(void **state)
{
    (void)state;
    expect_render("[{{#v}}body{{/v}}]", v_is(json_array()), "[]");
}

static void test_section_empty_string_renders_nothing(void **state)
{
    (void)state;
    expect_render("[{{#v}}body{{/v}}]", v_is(json_string("")), "[]");
}

static void test_section_zero_renders_nothing(void **state)
{
    (void)state;
    expect_render("[{{#v}}body{{/v}}]", v_is(json_integer(0)), "[]");
    expect_render("[{{#v}}body{{/v}}]", v_is(json_real(0.0)), "[]");
}

static void test_section_nonempty_string_renders_once_with_it_pushed(void **state)
{
    (void)state;
    expect_render("{{#v}}<dd>{{.}}</dd>{{/v}}", v_is(json_string("Phường Kim Mã")), "<dd>Phường Kim Mã</dd>");
}

static void test_section_nonzero_number_renders_once_with_it_pushed(void **state)
{
    (void)state;
    expect_render("{{#v}}({{.}}){{/v}}", v_is(json_integer(-3)), "(-3)");
    expect_render("{{#v}}({{.}}){{/v}}", v_is(json_real(0.5)), "(0.5)");
}

static void test_section_array_of_falsy_values_still_renders_per_element(void **state)
{
    (void)state;
    /* an array renders per element whatever the elements are */
    expect_render("{{#v}}<{{.}}>{{/v}}", v_is(json_pack("[i, b, s, n]", 0, 0, "")), "<0><false><><>");
}

/* The i-th value a section renders nothing for (NULL past the last). */
static json_t *empty_value(size_t i)
{
    switch (i) {
    case 0:
        return json_false();
    case 1:
        return json_null();
    case 2:
        return json_array();
    case 3:
        return json_string("");
    case 4:
        return json_integer(0);
    case 5:
        return json_real(0.0);
    default:
        return NULL;
    }
}

/* The i-th value a section renders once or more for (NULL past the last). */
static json_t *full_value(size_t i)
{
    switch (i) {
    case 0:
        return json_true();
    case 1:
        return json_string("x");
    case 2:
        return json_integer(1);
    case 3:
        return json_real(-0.5);
    case 4:
        return json_object();
    case 5:
        return json_pack("[i]", 0);
    default:
        return NULL;
    }
}

static void test_inverted_section_renders_exactly_when_the_section_would_not(void **state)
{
    (void)state;
    const char *tpl = "{{#v}}S{{/v}}{{^v}}I{{/v}}";
    json_t *v;
    for (size_t i = 0; (v = empty_value(i)) != NULL; i++)
        expect_render(tpl, v_is(v), "I");
    expect_render(tpl, json_object(), "I"); /* missing */
    for (size_t i = 0; (v = full_value(i)) != NULL; i++)
        expect_render(tpl, v_is(v), "S");
}

static void test_inverted_section_pushes_nothing(void **state)
{
    (void)state;
    expect_render("{{^awards}}{{name}} [{{.}}]{{/awards}}",
                  json_pack("{s:[], s:s}", "awards", "name", "Hằng"), "Hằng []");
}

/* ---- partials, comments, whitespace -------------------------------------------------------- */

static void test_partial_renders_with_the_current_context_stack(void **state)
{
    (void)state;
    char why[RENDER_WHY_LEN] = "";
    render_set_t *set = try_set("row", "<tr><th>{{name}}</th><td>{{level_label}}</td><td>{{class}}</td></tr>",
                                why, sizeof why);
    if (set == NULL)
        fail_msg("loading row: expected RENDER_OK, got \"%s\"", why);
    int rc = render_load_string(set, "table", str_c("<table>{{#subjects}}{{>row}}{{/subjects}}</table>"), why,
                                sizeof why);
    if (rc != RENDER_OK) {
        render_set_free(set);
        fail_msg("loading table: expected RENDER_OK, got %d: %s", rc, why);
    }
    json_t *ctx =
        json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "class", "3A", "subjects", "name", "Tiếng Việt",
                  "level_label", "Hoàn thành", "name", "<Toán>", "level_label", "Hoàn thành tốt");
    render_out_t out = {0};
    rc = render(set, "table", ctx, &out);
    const char *want = "<table><tr><th>Tiếng Việt</th><td>Hoàn thành</td><td>3A</td></tr>"
                       "<tr><th>&lt;Toán&gt;</th><td>Hoàn thành tốt</td><td>3A</td></tr></table>";
    int ok = rc == RENDER_OK && out.ptr != NULL && strcmp(out.ptr, want) == 0;
    if (!ok)
        print_error("expected RENDER_OK and [%s]\ngot      %d and [%s]\n", want, rc,
                    out.ptr ? out.ptr : "(null)");
    render_out_free(&out);
    json_decref(ctx);
    render_set_free(set);
    if (!ok)
        fail_msg("the partial did not render with the section's element on the stack (see above)");
}

static void test_comment_renders_nothing(void **state)
{
    (void)state;
    expect_render("a{{! a comment with <b> and \"quotes\" }}b{{!\nspans\nlines\n}}c", json_object(), "abc");
}

static void test_line_holding_only_a_comment_or_section_tag_is_dropped_whole(void **state)
{
    (void)state;
    expect_render(
        "{{! the header\n    of a template }}\n<ul>\n  {{#x}}\n  <li>{{.}}</li>\n  {{/x}}\n  {{^x}}\n"
        "  <li>none</li>\n  {{/x}}\n</ul>\n",
        json_pack("{s:[i, i]}", "x", 1, 2), "<ul>\n  <li>1</li>\n  <li>2</li>\n</ul>\n");
}

static void test_tag_sharing_its_line_with_text_keeps_the_line(void **state)
{
    (void)state;
    expect_render("<p>{{#x}}y{{/x}}</p>\n  {{#x}}z{{/x}}\n", json_pack("{s:b}", "x", 1), "<p>y</p>\n  z\n");
}

static void test_whitespace_inside_tags_is_ignored(void **state)
{
    (void)state;
    expect_render("{{ name }}|{{# s }}{{ . }}{{/ s }}|{{^ n }}-{{/n}}",
                  json_pack("{s:s, s:s}", "name", "An", "s", "x"), "An|x|-");
}

/* ---- refusals at load ------------------------------------------------------------------------ */

static void test_load_refuses_triple_mustache_naming_template_and_line(void **state)
{
    (void)state;
    expect_refused("<p>\n  {{{remarks}}}</p>", "page:2: ", "{{{remarks}}}: unescaped output is not allowed");
}

static void test_load_refuses_ampersand_tag_naming_template_and_line(void **state)
{
    (void)state;
    expect_refused("a\nb\n<p>{{& remarks }}</p>",
                   "page:3: ", "{{&remarks}}: unescaped output is not allowed");
}

static void test_load_refuses_unclosed_section_naming_the_line_it_opens(void **state)
{
    (void)state;
    expect_refused("<ul>\n{{#subjects}}\n<li>{{name}}</li>\n</ul>\n",
                   "page:2: ", "{{#subjects}} is never closed");
}

static void test_load_refuses_mismatched_close_naming_both_lines(void **state)
{
    (void)state;
    expect_refused("<table>\n{{#subjects}}\n{{#qualities}}\n<tr></tr>\n{{/subjects}}\n{{/qualities}}\n",
                   "page:5: ", "{{/subjects}} closes {{#qualities}} opened at line 3");
}

static void test_load_refuses_close_of_an_inverted_section_by_another_name(void **state)
{
    (void)state;
    expect_refused("x\n{{^awards}}\nnone\n{{/award}}",
                   "page:4: ", "{{/award}} closes {{^awards}} opened at line 2");
}

static void test_load_refuses_close_without_open(void **state)
{
    (void)state;
    expect_refused("<p>x</p>\n\n{{/subjects}}", "page:3: ", "{{/subjects}} closes no open section");
}

static void test_load_refuses_unknown_partial_naming_template_and_line(void **state)
{
    (void)state;
    expect_refused("<main>\n  {{>transcript-body}}\n</main>",
                   "page:2: ", "{{>transcript-body}}: unknown partial");
}

static void test_load_refuses_partial_including_itself(void **state)
{
    (void)state;
    expect_refused("{{#items}}\n<li>{{name}}\n{{>page}}</li>\n{{/items}}", "page:3: ", "recursive partials");
}

static void test_load_refuses_sections_nested_beyond_the_depth_limit(void **state)
{
    (void)state;
    char text[2048];
    size_t n = 0;
    for (int i = 0; i <= RENDER_MAX_DEPTH; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "{{#s%d}}\n", i);
    for (int i = RENDER_MAX_DEPTH; i >= 0; i--)
        n += (size_t)snprintf(text + n, sizeof text - n, "{{/s%d}}\n", i);
    assert_true(n < sizeof text);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "page:%d: ", RENDER_MAX_DEPTH + 1);
    expect_refused(text, prefix, "sections nest more than 32 deep");
}

/* p0 = "x", pk = "{{>p(k-1)}}" for k = 1..last-1, loaded in order. */
static const char **partial_chain(int last)
{
    static char names[RENDER_MAX_DEPTH + 2][16], texts[RENDER_MAX_DEPTH + 2][24];
    static const char *pairs[2 * (RENDER_MAX_DEPTH + 2) + 1];
    assert_true(last <= RENDER_MAX_DEPTH + 1);
    size_t k = 0;
    for (int i = 0; i < last; i++) {
        snprintf(names[i], sizeof names[i], "p%d", i);
        if (i == 0)
            snprintf(texts[i], sizeof texts[i], "x");
        else
            snprintf(texts[i], sizeof texts[i], "{{>p%d}}", i - 1);
        pairs[k++] = names[i];
        pairs[k++] = texts[i];
    }
    pairs[k] = NULL;
    return pairs;
}

static void test_load_refuses_partials_nested_beyond_the_depth_limit(void **state)
{
    (void)state;
    /* p32 nests 32 partials, the limit; p33, one more on line 2, is refused */
    char text[32], prefix[32], what[64];
    snprintf(text, sizeof text, "\n{{>p%d}}", RENDER_MAX_DEPTH);
    snprintf(prefix, sizeof prefix, "p%d:2: ", RENDER_MAX_DEPTH + 1);
    snprintf(what, sizeof what, "nest %d deep here, more than %d", RENDER_MAX_DEPTH + 1, RENDER_MAX_DEPTH);
    char name[16];
    snprintf(name, sizeof name, "p%d", RENDER_MAX_DEPTH + 1);
    expect_refused_after(partial_chain(RENDER_MAX_DEPTH + 1), name, text, RENDER_ESYNTAX, prefix, what);
}

static void test_partials_nested_to_the_depth_limit_render(void **state)
{
    (void)state;
    const char **pairs = partial_chain(RENDER_MAX_DEPTH + 1);
    render_set_t *set = NULL;
    char why[RENDER_WHY_LEN] = "";
    assert_int_equal(render_set_new(&set), RENDER_OK);
    int rc = RENDER_OK;
    for (size_t i = 0; pairs[i] != NULL && rc == RENDER_OK; i += 2)
        rc = render_load_string(set, pairs[i], str_c(pairs[i + 1]), why, sizeof why);
    render_out_t out = {0};
    char top[16];
    snprintf(top, sizeof top, "p%d", RENDER_MAX_DEPTH);
    int rrc = rc == RENDER_OK ? render(set, top, NULL, &out) : rc;
    int ok = rrc == RENDER_OK && out.ptr != NULL && strcmp(out.ptr, "x") == 0;
    if (!ok)
        print_error("load: %d \"%s\"; render %s: %d, page [%s]\n", rc, why, top, rrc,
                    out.ptr ? out.ptr : "(null)");
    render_out_free(&out);
    render_set_free(set);
    if (!ok)
        fail_msg("expected 32 nested partials to load and render \"x\" (see above)");
}

static void test_load_dir_refuses_partial_cycle_naming_file_and_line(void **state)
{
    (void)state;
    tmpdir_t d;
    tmp_open(&d);
    tmp_write(&d, "a.html", "<main>\n{{>b}}\n</main>\n");
    tmp_write(&d, "b.html", "<div>\n\n{{#x}}{{>a}}{{/x}}\n</div>\n");
    expect_dir_refused(&d, "b.html:3: ", "{{>a}} leads back to 'a'; recursive partials are not supported");
}

static void test_load_dir_refuses_unknown_partial_naming_file_and_line(void **state)
{
    (void)state;
    tmpdir_t d;
    tmp_open(&d);
    tmp_write(&d, "home.html", "{{! home }}\n{{>layout-top}}\n<main></main>\n");
    expect_dir_refused(&d, "home.html:2: ", "{{>layout-top}}: unknown partial (no layout-top.html in");
}

static void test_load_dir_refuses_unescaped_tag_naming_file_and_line(void **state)
{
    (void)state;
    tmpdir_t d;
    tmp_open(&d);
    tmp_write(&d, "a.html", "fine\n");
    tmp_write(&d, "z.html", "<p>\n\n\n{{{x}}}</p>\n");
    expect_dir_refused(&d, "z.html:4: ", "unescaped output is not allowed");
}

/* Files lose the indentation of their lines, nothing else: spaces inside a
 * line and the newlines stay, and so do the line numbers of messages. */
static void test_load_dir_drops_indentation_only(void **state)
{
    (void)state;
    tmpdir_t d;
    tmp_open(&d);
    tmp_write(&d, "page.html", "<ul>\n    <li>a  b</li>\n\t\t<li>{{v}}</li>\n  \n</ul>\n");
    render_set_t *set = NULL;
    char why[RENDER_WHY_LEN] = "";
    int rc = render_load_dir(d.dir, &set, why, sizeof why);
    tmp_close(&d);
    if (rc != RENDER_OK)
        fail_msg("render_load_dir: expected RENDER_OK, got %d: %s", rc, why);
    json_t *ctx = v_is(json_string("  c  "));
    render_out_t out = {0};
    assert_int_equal(render(set, "page", ctx, &out), RENDER_OK);
    const char *want = "<ul>\n<li>a  b</li>\n<li>  c  </li>\n\n</ul>\n";
    if (out.len != strlen(want) || memcmp(out.ptr, want, out.len) != 0)
        fail_msg("expected [%s], got [%.*s]", want, (int)out.len, out.ptr);
    render_out_free(&out);
    json_decref(ctx);
    render_set_free(set);
}

static void test_load_dir_names_the_line_of_an_indented_error(void **state)
{
    (void)state;
    tmpdir_t d;
    tmp_open(&d);
    tmp_write(&d, "z.html", "<div>\n    <p>\n        {{{x}}}</p>\n</div>\n");
    expect_dir_refused(&d, "z.html:3: ", "unescaped output is not allowed");
}

/* ---- the output bound -------------------------------------------------------------------------- */

/* {"rows": [n strings of len 'x']} */
static json_t *rows_ctx(int n, size_t len)
{
    char *s = malloc(len + 1);
    assert_non_null(s);
    memset(s, 'x', len);
    s[len] = '\0';
    json_t *rows = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(rows, json_string(s));
    free(s);
    return json_pack("{s:o}", "rows", rows);
}

static void test_render_past_out_max_fails_with_etoobig_and_keeps_what_was_there(void **state)
{
    (void)state;
    char why[RENDER_WHY_LEN] = "";
    render_set_t *set =
        try_set("t", "<table>{{#rows}}<tr><td>{{.}}</td></tr>{{/rows}}</table>", why, sizeof why);
    assert_non_null(set);
    json_t *ctx = rows_ctx(1000, 10); /* about 25 kB */
    render_out_t out = {0};
    out.max = 1000;
    render_escape(str_c("kept"), &out);
    int rc = render(set, "t", ctx, &out);
    size_t len = out.len, cap = out.cap;
    int same = out.ptr != NULL && strcmp(out.ptr, "kept") == 0;
    render_out_free(&out);
    json_decref(ctx);
    render_set_free(set);
    if (rc != RENDER_ETOOBIG)
        fail_msg("expected RENDER_ETOOBIG (%d), got %d (%s)", RENDER_ETOOBIG, rc, render_strerror(rc));
    if (len != 4 || !same)
        fail_msg("expected out to hold \"kept\" (4 bytes) as before the call, got %zu bytes", len);
    if (cap > 1001)
        fail_msg("expected at most out.max + 1 = 1001 bytes allocated, got %zu", cap);
}

static void test_render_error_leaves_the_error_in_out_err(void **state)
{
    (void)state;
    /* render.h: "On an error nothing of this call stays in out (len is back
     * where it was) and out->err holds the error, so a half page is never
     * sent by mistake." */
    char why[RENDER_WHY_LEN] = "";
    render_set_t *set = try_set("t", "{{#rows}}{{.}}{{/rows}}", why, sizeof why);
    assert_non_null(set);
    json_t *ctx = rows_ctx(100, 10);
    render_out_t out = {0};
    out.max = 100;
    int rc = render(set, "t", ctx, &out);
    int err = out.err;
    render_out_free(&out);
    json_decref(ctx);
    render_set_free(set);
    assert_int_equal(rc, RENDER_ETOOBIG);
    if (err != RENDER_ETOOBIG)
        fail_msg("after render returned RENDER_ETOOBIG: expected out.err == RENDER_ETOOBIG (%d), got %d",
                 RENDER_ETOOBIG, err);
}

static void test_render_of_exactly_out_max_bytes_succeeds(void **state)
{
    (void)state;
    char why[RENDER_WHY_LEN] = "";
    render_set_t *set = try_set("t", "{{#rows}}{{.}}{{/rows}}", why, sizeof why);
    assert_non_null(set);
    json_t *ctx = rows_ctx(10, 10);
    render_out_t out = {0};
    out.max = 100;
    int rc = render(set, "t", ctx, &out);
    size_t len = out.len;
    render_out_free(&out);
    out.max = 99;
    int rc99 = render(set, "t", ctx, &out);
    render_out_free(&out);
    json_decref(ctx);
    render_set_free(set);
    if (rc != RENDER_OK || len != 100)
        fail_msg("a 100-byte page with out.max 100: expected RENDER_OK and 100 bytes, got %d and %zu", rc,
                 len);
    if (rc99 != RENDER_ETOOBIG)
        fail_msg("the same page with out.max 99: expected RENDER_ETOOBIG, got %d", rc99);
}

static void test_render_default_bound_is_render_out_max(void **state)
{
    (void)state;
    char why[RENDER_WHY_LEN] = "";
    render_set_t *set = try_set("t", "{{#rows}}{{.}}{{/rows}}", why, sizeof why);
    assert_non_null(set);
    json_t *ctx = rows_ctx(1025, 4096); /* 4 MiB + 4 kiB */
    render_out_t out = {0};
    int rc = render(set, "t", ctx, &out);
    size_t len = out.len, cap = out.cap;
    render_out_free(&out);
    json_decref(ctx);
    render_set_free(set);
    if (rc != RENDER_ETOOBIG || len != 0)
        fail_msg(
            "a page of 4 MiB + 4 kiB, default bound: expected RENDER_ETOOBIG and 0 bytes, got %d and %zu", rc,
            len);
    if (cap > RENDER_OUT_MAX + 1)
        fail_msg("expected at most RENDER_OUT_MAX + 1 bytes allocated, got %zu", cap);
}

static void test_escape_past_out_max_sets_a_sticky_error(void **state)
{
    (void)state;
    render_out_t out = {0};
    out.max = 8;
    render_escape(str_c("<<<"), &out); /* 12 bytes */
    int err1 = out.err;
    size_t len1 = out.len;
    render_escape(str_c("a"), &out);
    size_t len2 = out.len;
    render_out_free(&out);
    if (err1 != RENDER_ETOOBIG || len1 > 8)
        fail_msg(
            "escaping 12 bytes into max 8: expected err RENDER_ETOOBIG and at most 8 bytes, got %d and %zu",
            err1, len1);
    if (len2 != len1)
        fail_msg("after the error: expected further appends to write nothing, len went from %zu to %zu", len1,
                 len2);
}

static void test_render_unknown_template_returns_enotfound_and_writes_nothing(void **state)
{
    (void)state;
    char why[RENDER_WHY_LEN] = "";
    render_set_t *set = try_set("t", "x", why, sizeof why);
    assert_non_null(set);
    render_out_t out = {0};
    int rc = render(set, "nope", NULL, &out);
    size_t len = out.len;
    render_out_free(&out);
    render_set_free(set);
    if (rc != RENDER_ENOTFOUND || len != 0)
        fail_msg("expected RENDER_ENOTFOUND and 0 bytes, got %d and %zu", rc, len);
}

/* ---- binding a name ------------------------------------------------------------------- */

/* Render template "page" of set with ctx (borrowed); the bytes, malloc'd. */
static char *render_str(const render_set_t *set, json_t *ctx)
{
    render_out_t out = {0};
    int rc = render(set, "page", ctx, &out);
    if (rc != RENDER_OK) {
        render_out_free(&out);
        fail_msg("render: expected RENDER_OK, got %d (%s)", rc, render_strerror(rc));
    }
    return out.ptr != NULL ? out.ptr : strdup("");
}

static render_set_t *bind_set(void)
{
    char why[RENDER_WHY_LEN] = "";
    render_set_t *set = NULL;
    assert_int_equal(render_set_new(&set), RENDER_OK);
    assert_int_equal(
        render_load_string(set, "row", str_c("<td>{{t.col}}: {{name}} {{t.unit}}</td>\n"), why, sizeof why),
        RENDER_OK);
    assert_int_equal(
        render_load_string(set, "page",
                           str_c("<h1>{{t.title}}</h1>{{t.missing}}|{{t.nested.deep}}|{{t.n}}|{{tx}}\n"
                                 "{{#rows}}{{>row}}{{/rows}}{{^rows}}{{t.none}}{{/rows}}\n"
                                 "{{#t.flag}}[{{t.title}}]{{/t.flag}}{{t}}<p>{{t.title}}</p>"),
                           why, sizeof why),
        RENDER_OK);
    return set;
}

/* Bound, a set renders the very bytes the lookups gave: values escaped the
 * same way, missing names empty, sections, loops and partials in place. */
static void test_bind_renders_the_bytes_the_lookups_gave(void **state)
{
    (void)state;
    render_set_t *set = bind_set(), *bound = NULL;
    json_t *t =
        json_pack("{s:s, s:s, s:s, s:{s:s}, s:i, s:b, s:s}", "title", "Học bạ <số> & \"kiểm tra\"", "col",
                  "Môn", "unit", "điểm", "nested", "deep", "sâu'", "n", 42, "flag", 1, "none", "Không có");
    assert_int_equal(render_bind(set, "t", t, &bound), RENDER_OK);
    json_t *rows[] = {json_pack("{s:[{s:s},{s:s}]}", "rows", "name", "Toán", "name", "Tiếng Việt <b>"),
                      json_pack("{s:[]}", "rows")};
    for (size_t i = 0; i < 2; i++) {
        json_object_set(rows[i], "t", t);
        json_object_set_new(rows[i], "tx", json_string("not bound"));
        char *want = render_str(set, rows[i]), *got = render_str(bound, rows[i]);
        if (strcmp(want, got) != 0)
            fail_msg("bound and unbound differ:\nunbound: %s\nbound:   %s", want, got);
        assert_non_null(strstr(got, "Học bạ &lt;số&gt; &amp; &quot;kiểm tra&quot;"));
        assert_non_null(strstr(got, "not bound"));
        free(want);
        free(got);
        json_decref(rows[i]);
    }
    json_decref(t);
    render_set_free(set);
    render_set_free(bound);
}

/* The values are in the bound set's text: a context without them still
 * shows them, except where a section on the name stays dynamic. */
static void test_bind_keeps_the_values_without_the_name_in_the_context(void **state)
{
    (void)state;
    render_set_t *set = bind_set(), *bound = NULL;
    json_t *t = json_pack("{s:s, s:s, s:s, s:b}", "title", "Tiêu đề", "col", "Môn", "unit", "đ", "flag", 1);
    assert_int_equal(render_bind(set, "t", t, &bound), RENDER_OK);
    json_decref(t); /* the bound set keeps no reference */
    json_t *ctx = json_pack("{s:[{s:s}]}", "rows", "name", "Toán");
    char *got = render_str(bound, ctx);
    const char *want = "<h1>Tiêu đề</h1>|||\n<td>Môn: Toán đ</td>\n\n<p>Tiêu đề</p>";
    if (strcmp(got, want) != 0)
        fail_msg("expected \"%s\", got \"%s\"", want, got);
    free(got);
    json_decref(ctx);
    render_set_free(set);
    render_set_free(bound);
}

static void test_bind_refuses_missing_arguments(void **state)
{
    (void)state;
    render_set_t *set = bind_set(), *bound = (render_set_t *)set;
    assert_int_equal(render_bind(NULL, "t", NULL, &bound), RENDER_EINVAL);
    assert_null(bound);
    assert_int_equal(render_bind(set, NULL, NULL, &bound), RENDER_EINVAL);
    assert_int_equal(render_bind(set, "t", NULL, NULL), RENDER_EINVAL);
    render_set_free(set);
}

/* =================================================================================== */
/* ---- the real templates ------------------------------------------------------------------ */

enum { VI = 0, EN = 1 };

typedef struct {
    render_set_t *set;
    json_t *cat[2];
} site_t;

static int site_setup(void **state)
{
    site_t *s = calloc(1, sizeof *s);
    char why[RENDER_WHY_LEN] = "";
    json_error_t e;
    if (s == NULL)
        return -1;
    int rc = render_load_dir(TEMPLATES_DIR, &s->set, why, sizeof why);
    if (rc != RENDER_OK) {
        print_error("render_load_dir(\"" TEMPLATES_DIR "\"): expected RENDER_OK, got %d: %s\n", rc, why);
        free(s);
        return -1;
    }
    s->cat[VI] = json_load_file(TEMPLATES_DIR "/i18n/vi.json", JSON_REJECT_DUPLICATES, &e);
    if (s->cat[VI] == NULL)
        print_error("vi.json: %s line %d: %s\n", e.source, e.line, e.text);
    s->cat[EN] = json_load_file(TEMPLATES_DIR "/i18n/en.json", JSON_REJECT_DUPLICATES, &e);
    if (s->cat[EN] == NULL)
        print_error("en.json: %s line %d: %s\n", e.source, e.line, e.text);
    *state = s;
    return s->cat[VI] != NULL && s->cat[EN] != NULL ? 0 : -1;
}

static int site_teardown(void **state)
{
    site_t *s = *state;
    if (s != NULL) {
        render_set_free(s->set);
        json_decref(s->cat[VI]);
        json_decref(s->cat[EN]);
        free(s);
    }
    return 0;
}

/* A catalog text; the key itself when missing, as the server does. */
static const char *tr(const site_t *s, int lang, const char *key)
{
    const char *v = json_string_value(json_object_get(s->cat[lang], key));
    return v != NULL ? v : key;
}

/* What portal/rq.c rq_base_context gives every page. */
static json_t *base_ctx(const site_t *s, int lang, const char *path)
{
    char sw[128];
    snprintf(sw, sizeof sw, "%s?lang=%s", path, lang == EN ? "vi" : "en");
    return json_pack("{s:s, s:O, s:s, s:s, s:s}", "lang", lang == EN ? "en" : "vi", "t", s->cat[lang],
                     "public_url", PUBLIC_URL, "lang_switch_url", sw, "home_url",
                     lang == EN ? "/?lang=en" : "/");
}

/* A row of subjects, qualities or competencies as view_tieuhoc.c's leveled() makes it. */
static json_t *leveled(const site_t *s, int lang, const char *prefix, const char *name, const char *level,
                       int score, const char *comment, int with_score)
{
    char key[48];
    snprintf(key, sizeof key, "%s%s", prefix, level);
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", name, "level", level, "level_label", tr(s, lang, key));
    if (comment != NULL)
        json_object_set_new(o, "comment", json_string(comment));
    if (with_score) {
        json_object_set_new(o, "has_score", json_boolean(score >= 0));
        if (score >= 0)
            json_object_set_new(o, "score", json_integer(score));
    }
    return o;
}

#define REMARK_SCRIPT "<script>alert(1)</script>"
#define REMARK "Em hiền, biết vâng lời thầy cô; cần mạnh dạn phát biểu hơn. " REMARK_SCRIPT
#define REMARK_ESCAPED                                                                                       \
    "Em hiền, biết vâng lời thầy cô; cần mạnh dạn phát biểu hơn. &lt;script&gt;alert(1)&lt;/script&gt;"

/* The "transcript" member of view_page_context, for one pupil of 3A (view.c's
 * envelope and view_tieuhoc.c's results). */
static json_t *transcript_obj(const site_t *s, int lang, const char *pupil)
{
    json_t *subjects =
        json_pack("[o, o, o, o]",
                  leveled(s, lang, "level.subject.", "Tiếng Việt", "H", 7,
                          "Đọc khá trôi chảy; cần rèn thêm chữ viết và chính tả.", 1),
                  leveled(s, lang, "level.subject.", "Toán", "H", 8,
                          "Biết vận dụng kiến thức đã học; cần cẩn thận hơn khi tính toán.", 1),
                  leveled(s, lang, "level.subject.", "Ngoại ngữ 1", "T", 9,
                          "Nghe, nói tốt; phát âm chuẩn, mạnh dạn giao tiếp.", 1),
                  leveled(s, lang, "level.subject.", "Đạo đức", "H", -1,
                          "Biết thực hiện các hành vi đạo đức đã học.", 1));
    json_t *qualities = json_pack(
        "[o, o, o]", leveled(s, lang, "level.quality.", "Yêu nước", "T", -1, NULL, 0),
        leveled(s, lang, "level.quality.", "Nhân ái", "T", -1, NULL, 0),
        leveled(s, lang, "level.quality.", "Trách nhiệm", "Đ", -1, "Cần giữ gìn đồ dùng học tập.", 0));
    json_t *competencies =
        json_pack("[o, o, o]", leveled(s, lang, "level.quality.", "Tự chủ và tự học", "Đ", -1, NULL, 0),
                  leveled(s, lang, "level.quality.", "Giải quyết vấn đề và sáng tạo", "T", -1, NULL, 0),
                  leveled(s, lang, "level.quality.", "Thẩm mĩ", "C", -1, NULL, 0));
    return json_pack(
        "{s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s},"
        " s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:b, s:[s], s:b, s:i, s:b, s:s}",
        "school", "code", "01001101", "name", "Trường Tiểu học Kim Đồng", "province", "Hà Nội", "district",
        "Quận Ba Đình", "ward", "Phường Kim Mã", "student", "id", "0114728871", "full_name", pupil,
        "ethnicity", "Kinh", "place_of_birth", "Hà Nội", "date_of_birth", "15/01/2016", "gender",
        tr(s, lang, "gender.Nữ"), "citizen_id_masked", "*********871", "issued_on", "29/05/2025", "grade", 3,
        "class", "3A", "school_year", "2024-2025", "remarks", REMARK, "result", "HT", "subjects", subjects,
        "qualities", qualities, "competencies", competencies, "result_label", tr(s, lang, "result.HT"),
        "program_completed_label", tr(s, lang, "yes"), "program_completed", 1, "awards",
        "Học sinh hoàn thành tốt trong học tập và rèn luyện", "has_days_absent", 1, "days_absent", 0,
        "layout_tieuhoc", 1, "level_label", tr(s, lang, "level.school.TH"));
}

static json_t *signers_arr(const site_t *s, int lang)
{
    /* view_page_context: the certificate's CN, O and L, each only when the subject has it */
    return json_pack(
        "[{s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s}]",
        "role_label", tr(s, lang, "role.homeroom_teacher"), "name", "Nguyễn Thu Oanh", "cn",
        "Nguyễn Thu Oanh", "o", "Trường Tiểu học Kim Đồng", "l", "Hà Nội", "signing_time",
        "28/05/2025 16:40 (UTC+7)", "role_label", tr(s, lang, "role.principal"), "name", "Phan Đức Nam", "cn",
        "Phan Đức Nam", "o", "Trường Tiểu học Kim Đồng", "l", "Hà Nội", "signing_time",
        "29/05/2025 08:05 (UTC+7)", "role_label", tr(s, lang, "role.school_seal"), "name",
        "Trường Tiểu học Kim Đồng", "cn", "Trường Tiểu học Kim Đồng", "o", "Sở GD&ĐT Hà Nội", "signing_time",
        "29/05/2025 08:06 (UTC+7)");
}

enum { VALID, RECALLED, INVALID };

/* The context the portal renders transcript and print with: base_context
 * updated with view_page_context. */
static json_t *transcript_ctx(const site_t *s, int lang, int status, const char *page)
{
    static const char *const code[] = {"ZK4D1QGPK1YTFJHQ", "DV3FGJYCE26MJHKZ", "QRB4Q274B601PXGM"};
    static const char *const grouped[] = {"ZK4D-1QGP-K1YT-FJHQ", "DV3F-GJYC-E26M-JHKZ",
                                          "QRB4-Q274-B601-PXGM"};
    static const char *const name[] = {"valid", "recalled", "invalid"};
    const char *q = lang == EN ? "?lang=en" : "";
    char path[64], page_url[96], qr_svg[64], qr_png[64], print_url[64], page_link[64];
    snprintf(path, sizeof path, "/v/%s%s", code[status], page);
    snprintf(page_url, sizeof page_url, PUBLIC_URL "/v/%s", code[status]);
    snprintf(qr_svg, sizeof qr_svg, "/v/%s/qr.svg", code[status]);
    snprintf(qr_png, sizeof qr_png, "/v/%s/qr.png", code[status]);
    snprintf(print_url, sizeof print_url, "/v/%s/print%s", code[status], q);
    snprintf(page_link, sizeof page_link, "/v/%s%s", code[status], q);

    json_t *c = base_ctx(s, lang, path);
    json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:s}", "code",
                          code[status], "code_grouped", grouped[status], "page_url", page_url, "status",
                          name[status], "is_valid", status == VALID, "is_recalled", status == RECALLED,
                          "is_invalid", status == INVALID, "published_at", "30/05/2025", "qr_svg_url", qr_svg,
                          "qr_png_url", qr_png, "print_url", print_url, "page_link", page_link);
    if (status == INVALID) {
        json_object_set_new(
            v, "checks_failed",
            json_pack("[{s:s, s:s, s:s}]", "check_label", tr(s, lang, "check.revocation"), "role_label",
                      tr(s, lang, "role.homeroom_teacher"), "detail",
                      "certificate revoked on 2025-09-01 (keyCompromise), before the check <now>"));
        json_object_set_new(v, "transcript", json_null());
        json_object_set_new(v, "signers", json_array());
        json_object_set_new(v, "recall", json_null());
        json_object_set_new(v, "supersedes", json_null());
    } else {
        json_object_set_new(v, "checks_failed", json_array());
        json_object_set_new(v, "signers", signers_arr(s, lang));
        json_object_set_new(v, "supersedes", json_null());
        json_object_set_new(
            v, "transcript",
            transcript_obj(s, lang, status == VALID ? "Phạm Phương Hằng" : "Nguyễn Quốc Tuấn"));
        if (status == RECALLED) {
            char url[64];
            snprintf(url, sizeof url, "/v/CJV6V1GQAABXC599%s", q);
            json_object_set_new(v, "recall",
                                json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "recalled_on", "10/06/2025",
                                          "reason", "Sai ngày sinh của học sinh", "replacement", "code",
                                          "CJV6V1GQAABXC599", "code_grouped", "CJV6-V1GQ-AABX-C599", "url",
                                          url));
        } else {
            json_object_set_new(v, "recall", json_null());
        }
    }
    json_object_update(c, v);
    json_decref(v);
    return c;
}

/* An error page's context, as rq.c rq_error_page makes it; form_value NULL
 * for no form. */
static json_t *error_ctx(const site_t *s, int lang, int status, const char *form_value)
{
    char tk[32], mk[32];
    snprintf(tk, sizeof tk, "error.%d.title", status);
    snprintf(mk, sizeof mk, "error.%d.message", status);
    json_t *c = base_ctx(s, lang, "/lookup");
    json_object_set_new(
        c, "error",
        json_pack("{s:i, s:s, s:s}", "status", status, "title", tr(s, lang, tk), "message", tr(s, lang, mk)));
    if (form_value != NULL)
        json_object_set_new(c, "form",
                            json_pack("{s:s, s:s}", "value", form_value, "error", tr(s, lang, mk)));
    return c;
}

/* A rendered page and the checks made on it; failures are counted and told,
 * and the test fails at page_done, after the page is freed. */
typedef struct {
    const char *what;
    char *p;
    int failures;
} page_t;

static page_t page_render(const site_t *s, const char *tpl, json_t *ctx, const char *what)
{
    page_t pg = {what, NULL, 0};
    render_out_t out = {0};
    int rc = ctx != NULL ? render(s->set, tpl, ctx, &out) : RENDER_EINVAL;
    json_decref(ctx);
    if (rc != RENDER_OK) {
        render_out_free(&out);
        fail_msg("%s: rendering %s: expected RENDER_OK, got %d (%s)", what, tpl, rc, render_strerror(rc));
    }
    pg.p = out.ptr; /* ownership moves to the page_t */
    return pg;
}

static void has(page_t *pg, const char *needle)
{
    if (strstr(pg->p, needle) == NULL) {
        print_error("%s: expected the page to contain \"%s\"; it does not\n", pg->what, needle);
        pg->failures++;
    }
}

static void lacks(page_t *pg, const char *needle)
{
    const char *at = strstr(pg->p, needle);
    if (at != NULL) {
        print_error("%s: expected no \"%s\" in the page, found it at: %.80s\n", pg->what, needle, at);
        pg->failures++;
    }
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, l = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += l)
        n++;
    return n;
}

/* What every page must be: a whole document, no template syntax left, no script. */
static void whole_document(page_t *pg, const char *lang)
{
    char html[32];
    snprintf(html, sizeof html, "<html lang=\"%s\">", lang);
    if (strncmp(pg->p, "<!DOCTYPE html>\n", 16) != 0) {
        print_error("%s: expected the page to start with <!DOCTYPE html>, got %.40s\n", pg->what, pg->p);
        pg->failures++;
    }
    has(pg, html);
    has(pg, "<meta charset=\"utf-8\">");
    has(pg, "</html>\n");
    lacks(pg, "{{");
    lacks(pg, "}}");
    lacks(pg, "<script");
}

static void page_done(page_t *pg)
{
    int failures = pg->failures;
    free(pg->p);
    pg->p = NULL;
    if (failures != 0)
        fail_msg("%s: %d check(s) of the page failed (see above)", pg->what, failures);
}

static void test_page_home_vi_has_the_lookup_form(void **state)
{
    const site_t *s = *state;
    json_t *c = base_ctx(s, VI, "/");
    json_object_set_new(c, "form", json_pack("{s:s}", "value", ""));
    page_t pg = page_render(s, "home", c, "home vi");
    whole_document(&pg, "vi");
    has(&pg, "<title>Tra cứu học bạ — Cổng tra cứu Học bạ số</title>");
    has(&pg, "<form class=\"lookup-form\" method=\"get\" action=\"/lookup\">");
    has(&pg, "<label class=\"lookup-label\" for=\"code\">Mã tra cứu</label>");
    has(&pg, "name=\"code\" type=\"text\" value=\"\"");
    has(&pg, "aria-describedby=\"code-hint\">");
    has(&pg, "<h1>Tra cứu Học bạ số</h1>");
    /* the switch link is a value, so its = is escaped too */
    has(&pg, "<a class=\"lang-switch\" href=\"/?lang&#61;en\" hreflang=\"en\" lang=\"en\">English</a>");
    lacks(&pg, "aria-invalid");
    lacks(&pg, "noindex");
    page_done(&pg);
}

static void test_page_home_en_is_english(void **state)
{
    const site_t *s = *state;
    json_t *c = base_ctx(s, EN, "/");
    json_object_set_new(c, "form", json_pack("{s:s}", "value", ""));
    page_t pg = page_render(s, "home", c, "home en");
    whole_document(&pg, "en");
    has(&pg, "<title>Check a transcript — Học bạ số verification portal</title>");
    has(&pg, "<h1>Check a Học bạ số transcript</h1>");
    has(&pg, "action=\"/lookup\"");
    has(&pg, "<label class=\"lookup-label\" for=\"code\">Lookup code</label>");
    has(&pg, "hreflang=\"vi\" lang=\"vi\">Tiếng Việt</a>");
    lacks(&pg, "Mã tra cứu");
    page_done(&pg);
}

static void test_page_error_404_shows_title_message_and_the_form_again(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "error", error_ctx(s, VI, 404, "ZK4D-1QGP-K1YT-FJHX"), "error 404 vi");
    whole_document(&pg, "vi");
    has(&pg, "<title>Không tìm thấy — Cổng tra cứu Học bạ số</title>");
    has(&pg, "<h1>Không tìm thấy</h1>");
    has(&pg, "<p class=\"lead\">Không có học bạ nào được phát hành với mã tra cứu này.");
    has(&pg, "action=\"/lookup\"");
    has(&pg, "value=\"ZK4D-1QGP-K1YT-FJHX\"");
    has(&pg, "aria-describedby=\"code-hint code-error\" aria-invalid=\"true\" autofocus>");
    has(&pg, "<p id=\"code-error\" class=\"field-error\">");
    has(&pg, "<a href=\"/\">Về trang tra cứu</a>");
    lacks(&pg, "noindex");
    page_done(&pg);
}

static void test_page_error_503_in_english_has_no_form(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "error", error_ctx(s, EN, 503, NULL), "error 503 en");
    whole_document(&pg, "en");
    has(&pg, "<h1>");
    has(&pg, tr(s, EN, "error.503.title"));
    lacks(&pg, "<form");
    page_done(&pg);
}

static void test_page_error_escapes_what_was_typed(void **state)
{
    const site_t *s = *state;
    page_t pg =
        page_render(s, "error", error_ctx(s, VI, 400, "\"><script>alert(1)</script>"), "error 400 typed");
    whole_document(&pg, "vi");
    has(&pg, "value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"");
    page_done(&pg);
}

static void test_page_transcript_valid_shows_the_transcript(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "transcript", transcript_ctx(s, VI, VALID, ""), "transcript valid vi");
    whole_document(&pg, "vi");
    has(&pg, "<meta name=\"robots\" content=\"noindex\">");
    has(&pg, "<title>Học bạ hợp lệ · ZK4D-1QGP-K1YT-FJHQ — Cổng tra cứu Học bạ số</title>");
    has(&pg, "<dd class=\"code\">ZK4D-1QGP-K1YT-FJHQ</dd>");
    has(&pg, "<section class=\"verdict verdict-valid\"");
    has(&pg, "<h1 id=\"verdict-title\">Học bạ hợp lệ</h1>");
    has(&pg, "<div><dt>Tên trường</dt><dd lang=\"vi\">Trường Tiểu học Kim Đồng</dd></div>");
    has(&pg, "<div><dt>Xã/Phường</dt><dd lang=\"vi\">Phường Kim Mã</dd></div>");
    has(&pg, "<dd class=\"pupil-name\" lang=\"vi\">Phạm Phương Hằng</dd>");
    has(&pg, "<dd>Nữ</dd>");
    has(&pg, "<dd class=\"mono\">*********871</dd>");
    has(&pg, "<th scope=\"row\" lang=\"vi\">Tiếng Việt</th>");
    has(&pg, "<td data-label=\"Mức đạt được\">Hoàn thành <span class=\"level-code\">(H)</span></td>");
    has(&pg, "<td data-label=\"Điểm KTĐK\" class=\"num\">7</td>");
    has(&pg, "<td data-label=\"Điểm KTĐK\" class=\"num\"><span class=\"none\">—</span></td>"); /* Đạo đức: no
                                                                                                  score */
    has(&pg, "<th scope=\"row\" lang=\"vi\">Trách nhiệm</th>");
    has(&pg, "Đạt <span class=\"level-code\">(Đ)</span>");
    has(&pg, "<th scope=\"row\" lang=\"vi\">Giải quyết vấn đề và sáng tạo</th>");
    has(&pg, "Cần cố gắng <span class=\"level-code\">(C)</span>");
    has(&pg, "<div><dt>Số ngày nghỉ</dt><dd>0</dd></div>"); /* 0 days is shown, via has_days_absent */
    has(&pg, "<p class=\"award\" lang=\"vi\">Học sinh hoàn thành tốt trong học tập và rèn luyện</p>");
    has(&pg, "<th scope=\"row\">Giáo viên chủ nhiệm</th>");
    has(&pg, "<td data-label=\"Người ký\" lang=\"vi\">Nguyễn Thu Oanh</td>");
    has(&pg,
        "<td data-label=\"Chứng thư số cấp cho\" class=\"cert\" lang=\"vi\"><span class=\"cert-cn\">Phan Đức "
        "Nam</span><span class=\"cert-o\">Trường Tiểu học Kim Đồng</span><span class=\"cert-l\">Hà "
        "Nội</span></td>");
    has(&pg, "<span class=\"cert-cn\">Trường Tiểu học Kim Đồng</span><span class=\"cert-o\">Sở GD&amp;ĐT Hà "
             "Nội</span></td>"); /* no L: no empty line */
    has(&pg, "29/05/2025 08:06 (UTC+7)");
    has(&pg, "<img class=\"qr\" src=\"/v/ZK4D1QGPK1YTFJHQ/qr.svg\"");
    has(&pg, "<a class=\"button\" href=\"/v/ZK4D1QGPK1YTFJHQ/print\">");
    lacks(&pg, "paper-withdrawn");
    lacks(&pg, "verdict-invalid");
    /* the primary layout (transcript-body-tieuhoc), nothing of the secondary one */
    has(&pg, "<p class=\"paper-subtitle\">Cấp Tiểu học · Lớp 3A · Năm học 2024-2025</p>");
    lacks(&pg, "grid-scores");
    lacks(&pg, "class=\"completion\"");
    lacks(&pg, "Số buổi nghỉ học");
    page_done(&pg);
}

static void test_page_transcript_escapes_a_script_in_the_remark(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "transcript", transcript_ctx(s, VI, VALID, ""), "transcript remark");
    has(&pg, "<p class=\"free-text\" lang=\"vi\">" REMARK_ESCAPED "</p>");
    lacks(&pg, "<script>");
    lacks(&pg, REMARK_SCRIPT);
    page_done(&pg);
}

static void test_page_transcript_valid_in_english(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "transcript", transcript_ctx(s, EN, VALID, ""), "transcript valid en");
    whole_document(&pg, "en");
    has(&pg, "<title>Valid transcript · ZK4D-1QGP-K1YT-FJHQ — Học bạ số verification portal</title>");
    has(&pg, "<dd class=\"pupil-name\" lang=\"vi\">Phạm Phương Hằng</dd>");
    has(&pg, "<dt>School</dt>");
    has(&pg, "Completed <span class=\"level-code\">(H)</span>");
    has(&pg, "<th scope=\"row\">Homeroom teacher</th>");
    has(&pg, "<a class=\"button\" href=\"/v/ZK4D1QGPK1YTFJHQ/print?lang&#61;en\">");
    has(&pg, "hreflang=\"vi\"");
    page_done(&pg);
}

static void test_page_transcript_recalled_links_the_replacement(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "transcript", transcript_ctx(s, VI, RECALLED, ""), "transcript recalled vi");
    whole_document(&pg, "vi");
    has(&pg, "<title>Học bạ đã bị thu hồi · DV3F-GJYC-E26M-JHKZ — Cổng tra cứu Học bạ số</title>");
    has(&pg, "<section class=\"verdict verdict-recalled\"");
    has(&pg, "<div><dt>Ngày thu hồi</dt><dd>10/06/2025</dd></div>");
    has(&pg, "<dd class=\"free-text\" lang=\"vi\">Sai ngày sinh của học sinh</dd>");
    has(&pg, "<div><dt>Học bạ thay thế</dt><dd><a href=\"/v/CJV6V1GQAABXC599\" "
             "class=\"code\">CJV6-V1GQ-AABX-C599</a>"
             "</dd></div>");
    has(&pg, "<article class=\"paper paper-withdrawn\"");
    has(&pg, "ĐÃ THU HỒI — chỉ để đối chiếu");
    has(&pg, "<dd class=\"pupil-name\" lang=\"vi\">Nguyễn Quốc Tuấn</dd>");
    lacks(&pg, "Nhà trường chưa phát hành học bạ thay thế.");
    lacks(&pg, "/print\""); /* no printable copy of a recalled transcript */
    page_done(&pg);
}

static void test_page_transcript_recalled_in_english_keeps_the_language_in_the_link(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "transcript", transcript_ctx(s, EN, RECALLED, ""), "transcript recalled en");
    whole_document(&pg, "en");
    has(&pg, "Recalled transcript");
    has(&pg, "<a href=\"/v/CJV6V1GQAABXC599?lang&#61;en\" class=\"code\">CJV6-V1GQ-AABX-C599</a>");
    page_done(&pg);
}

static void test_page_transcript_invalid_shows_the_failed_check_and_no_pupil(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "transcript", transcript_ctx(s, VI, INVALID, ""), "transcript invalid vi");
    whole_document(&pg, "vi");
    has(&pg, "<title>Học bạ không hợp lệ · QRB4-Q274-B601-PXGM — Cổng tra cứu Học bạ số</title>");
    has(&pg, "<dd class=\"code\">QRB4-Q274-B601-PXGM</dd>");
    has(&pg, "<section class=\"verdict verdict-invalid\"");
    has(&pg, "<strong>Chứng thư số của người ký đã bị thu hồi.</strong>");
    has(&pg, "<span class=\"check-signer\">Người ký: Giáo viên chủ nhiệm</span>");
    has(&pg, "before the check &lt;now&gt;");
    has(&pg, "Cần làm gì?");
    lacks(&pg, "Nguyễn Thu Yến");
    lacks(&pg, "pupil-name");
    lacks(&pg, "qr.svg");
    lacks(&pg, "/print");
    page_done(&pg);
}

static void test_page_transcript_invalid_in_english_escapes_the_catalog_apostrophe(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "transcript", transcript_ctx(s, EN, INVALID, ""), "transcript invalid en");
    whole_document(&pg, "en");
    has(&pg, "Invalid transcript");
    has(&pg, "<strong>The signer&#39;s certificate has been revoked.</strong>");
    page_done(&pg);
}

static void test_page_transcript_invalid_hides_a_transcript_passed_by_mistake(void **state)
{
    /* transcript.html: "the inverted is_invalid section below holds even if
     * a transcript object were passed by mistake" */
    const site_t *s = *state;
    json_t *c = transcript_ctx(s, VI, INVALID, "");
    json_object_set_new(c, "transcript", transcript_obj(s, VI, "Phạm Phương Hằng"));
    json_object_set_new(c, "signers", signers_arr(s, VI));
    page_t pg = page_render(s, "transcript", c, "transcript invalid, transcript passed");
    has(&pg, "verdict-invalid");
    lacks(&pg, "Phạm Phương Hằng");
    lacks(&pg, "Nguyễn Thu Oanh");
    lacks(&pg, "alert(1)");
    page_done(&pg);
}

static void test_page_print_valid_repeats_the_code_and_escapes_the_remark(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "print", transcript_ctx(s, VI, VALID, "/print"), "print valid vi");
    whole_document(&pg, "vi");
    has(&pg, "<title>Bản giấy Học bạ số · ZK4D-1QGP-K1YT-FJHQ — Cổng tra cứu Học bạ số</title>");
    has(&pg, "<body class=\"print-page\">");
    has(&pg, "<img class=\"running-qr\" src=\"/v/ZK4D1QGPK1YTFJHQ/qr.svg\"");
    has(&pg, "<span class=\"url\">" PUBLIC_URL "/v/ZK4D1QGPK1YTFJHQ</span>");
    has(&pg, "<a href=\"/v/ZK4D1QGPK1YTFJHQ/print?lang&#61;en\" hreflang=\"en\" lang=\"en\">English</a>");
    has(&pg, "<dd class=\"pupil-name\" lang=\"vi\">Phạm Phương Hằng</dd>");
    has(&pg, "<p class=\"free-text\" lang=\"vi\">" REMARK_ESCAPED "</p>");
    lacks(&pg, "<script>");
    lacks(&pg, "site-header");
    size_t n = count(pg.p, "ZK4D-1QGP-K1YT-FJHQ");
    if (n < 4) {
        print_error(
            "print valid: expected the grouped code in the title, the running head and foot and the facts "
            "(4 or more times), found it %zu times\n",
            n);
        pg.failures++;
    }
    page_done(&pg);
}

static void test_page_print_invalid_shows_no_pupil(void **state)
{
    const site_t *s = *state;
    page_t pg = page_render(s, "print", transcript_ctx(s, EN, INVALID, "/print"), "print invalid en");
    whole_document(&pg, "en");
    has(&pg, "Invalid transcript");
    has(&pg, "QRB4-Q274-B601-PXGM");
    lacks(&pg, "pupil-name");
    lacks(&pg, "Nguyễn Thu Yến");
    page_done(&pg);
}

/* ---- threads ------------------------------------------------------------------------------- */

typedef struct {
    const render_set_t *set;
    json_t *ctx;
    const char *want;
    size_t want_len;
    pthread_barrier_t *start;
    int rounds, bad;
} job_t;

static void *render_rounds(void *arg)
{
    job_t *j = arg;
    render_out_t out = {0};
    pthread_barrier_wait(j->start);
    for (int i = 0; i < j->rounds; i++) {
        render_out_reset(&out);
        if (render(j->set, "transcript", j->ctx, &out) != RENDER_OK || out.len != j->want_len ||
            memcmp(out.ptr, j->want, out.len) != 0)
            j->bad++;
    }
    render_out_free(&out);
    return NULL;
}

/* The portal renders with the catalog bound (render_bind): every real page,
 * both languages, must come out byte for byte as with the lookups. */
static void test_page_bound_catalog_gives_identical_pages(void **state)
{
    const site_t *s = *state;
    for (int lang = VI; lang <= EN; lang++) {
        render_set_t *bound = NULL;
        assert_int_equal(render_bind(s->set, "t", s->cat[lang], &bound), RENDER_OK);
        struct {
            const char *tpl;
            json_t *ctx;
        } pages[] = {
            {"home", base_ctx(s, lang, "/")},
            {"error", error_ctx(s, lang, 404, "ZK4D-1QGP")},
            {"error", error_ctx(s, lang, 503, NULL)},
            {"transcript", transcript_ctx(s, lang, VALID, "")},
            {"transcript", transcript_ctx(s, lang, RECALLED, "")},
            {"transcript", transcript_ctx(s, lang, INVALID, "")},
            {"print", transcript_ctx(s, lang, VALID, "/print")},
            {"print", transcript_ctx(s, lang, INVALID, "/print")},
        };
        for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
            render_out_t a = {0}, b = {0};
            int ra = render(s->set, pages[i].tpl, pages[i].ctx, &a);
            int rb = render(bound, pages[i].tpl, pages[i].ctx, &b);
            int same =
                ra == RENDER_OK && rb == RENDER_OK && a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
            size_t len = a.len;
            render_out_free(&a);
            render_out_free(&b);
            json_decref(pages[i].ctx);
            if (!same)
                fail_msg("%s (%s, page %zu): bound rendering differs (%d/%d, %zu bytes)", pages[i].tpl,
                         lang == EN ? "en" : "vi", i, ra, rb, len);
        }
        render_set_free(bound);
    }
}

static void test_render_from_four_threads_gives_identical_pages(void **state)
{
    const site_t *s = *state;
    json_t *ctx = transcript_ctx(s, VI, VALID, ""); /* one context, shared, read only */
    render_out_t want = {0};
    int rc = render(s->set, "transcript", ctx, &want);
    if (rc != RENDER_OK) {
        render_out_free(&want);
        json_decref(ctx);
        fail_msg("the single-thread render: expected RENDER_OK, got %d", rc);
    }
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 4);
    job_t jobs[4];
    pthread_t th[4];
    int started = 0;
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job_t){s->set, ctx, want.ptr, want.len, &start, 200, 0};
        if (pthread_create(&th[i], NULL, render_rounds, &jobs[i]) != 0)
            break;
        started++;
    }
    if (started < 4) {
        /* the started threads wait at the barrier for ever: this cannot be cleaned up */
        fail_msg("pthread_create: expected 4 threads, started %d", started);
    }
    int bad = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        if (jobs[i].bad != 0)
            print_error("thread %d: %d of %d pages differed from the single-thread page or failed\n", i,
                        jobs[i].bad, jobs[i].rounds);
        bad += jobs[i].bad;
    }
    pthread_barrier_destroy(&start);
    render_out_free(&want);
    json_decref(ctx);
    if (bad != 0)
        fail_msg("expected 4 x 200 identical pages, %d differed (see above)", bad);
}

/* ---- secondary transcripts (hocba.trunghoc.v1): the real view_page_context of a parsed payload ---- */

/* A hocba.trunghoc.v1 payload around the members a test is about: level,
 * program, grade, decision, the subjects array, and the learning and
 * conduct members ("learning": {...} and, unless conduct is "", "conduct"). */
static void secondary_payload(char *buf, size_t n, const char *level, const char *program, int grade,
                              const char *decision, const char *subjects, const char *learning,
                              const char *conduct)
{
    snprintf(buf, n,
             "{\"schema\": \"hocba.trunghoc.v1\", \"document_id\": \"ND-2025-%dA-014\", \"issued_on\": "
             "\"2025-05-26\",\n"
             " \"school_year\": \"2024-2025\",\n"
             " \"school\": {\"code\": \"01019201\", \"name\": \"Trường THCS Nguyễn Du\", \"province\": "
             "\"Hà Nội\"},\n"
             " \"student\": {\"id\": \"0101920014\", \"full_name\": \"Phạm Thu Trang\", \"date_of_birth\": "
             "\"2010-04-02\", \"gender\": \"Nữ\"},\n"
             " \"level\": \"%s\", \"program\": \"%s\", \"grade\": %d, \"class\": \"%dA\",\n"
             " \"subjects\": %s,\n"
             " \"learning\": %s,%s%s%s \"decision\": \"%s\", \"sessions_absent\": 4,\n"
             " \"awards\": [\"Học sinh Giỏi\"], \"remarks\": \"Chăm chỉ, có ý thức tự học.\",\n"
             " \"signers\": [{\"role\": \"homeroom_teacher\", \"name\": \"A\", \"certificate_sha256\": "
             "\"1057a9604e04b274da5a4de0c8f4b4868d9b230989f8c8c6a28221143cc5a755\"},\n"
             "  {\"role\": \"principal\", \"name\": \"B\", \"certificate_sha256\": "
             "\"69e03750027e6b1e9f95bd21d227613c0024ec799ebfb7fe281371e1153f9bda\"},\n"
             "  {\"role\": \"school_seal\", \"name\": \"C\", \"certificate_sha256\": "
             "\"f0f668bf610e5cf9f11d2aa50f924ada10797100e8f05de085842ddb6370a867\"}]}",
             grade, level, program, grade, grade, subjects, learning, conduct[0] ? " \"conduct\": " : "",
             conduct, conduct[0] ? "," : "", decision);
}

#define THCS_SUBJECTS                                                                                              \
    "[{\"name\": \"Toán\", \"assessment\": \"score\", \"hk1\": 8, \"hk2\": 7.5, \"year\": 10},\n"                 \
    " {\"name\": \"Ngữ văn\", \"assessment\": \"score\", \"hk1\": 0, \"hk2\": 8.0, \"year\": 9.9},\n"           \
    " {\"name\": \"Giáo dục thể chất\", \"assessment\": \"comment\", \"hk1\": \"Đ\", \"hk2\": \"CĐ\", "   \
    "\"year\": \"Đ\"},\n"                                                                                         \
    " {\"name\": \"Nghệ thuật (Mĩ thuật)\", \"assessment\": \"comment\", \"exempt\": true, \"comment\": "   \
    "\"Miễn theo chỉ định của bác sĩ.\"},\n"                                                            \
    " {\"name\": \"Tin học\", \"assessment\": \"individual\", \"comment\": \"Đạt các yêu cầu của kế " \
    "hoạch.\"},\n"                                                                                               \
    " {\"name\": \"Nội dung giáo dục của địa phương\", \"assessment\": \"comment\", \"year\": \"CĐ\"}"
#define RETAKE_SUBJECT                                                                                           \
    ",\n {\"name\": \"Khoa học tự nhiên\", \"assessment\": \"score\", \"hk1\": 4, \"hk2\": 4.5, \"year\": " \
    "4.3, \"retake\": 6.5, \"comment\": \"Kiểm tra lại trong hè.\"}"
#define THPT_SUBJECTS                                                                                        \
    "[{\"name\": \"Toán\", \"assessment\": \"score\", \"hk1\": 9, \"hk2\": 9.5, \"year\": 9.3},\n"          \
    " {\"name\": \"Vật lí\", \"assessment\": \"score\", \"elective\": true, \"hk1\": 8.5, \"hk2\": 9, "   \
    "\"year\": 8.8},\n"                                                                                      \
    " {\"name\": \"Âm nhạc\", \"assessment\": \"comment\", \"elective\": true, \"year\": \"Đ\"}]"
#define LEARNING "{\"hk1\": \"K\", \"hk2\": \"T\", \"year\": \"K\"}"
#define CONDUCT "{\"hk1\": \"T\", \"hk2\": \"Đ\", \"year\": \"T\"}"

/* The page context of payload text, made by view_page_context as the portal makes it. */
static json_t *secondary_ctx(const site_t *s, int lang, view_t *v, const char *page, const char *payload)
{
    char why[PAYLOAD_WHY_LEN];
    memset(v, 0, sizeof *v);
    memcpy(v->code, "ZK4D1QGPK1YTFJHQ", CODE_LEN);
    v->status = VIEW_VALID;
    v->verdict = calloc(1, sizeof *v->verdict);
    assert_non_null(v->verdict);
    if (payload_parse(payload, strlen(payload), &v->pl, why, sizeof why) != PAYLOAD_OK) {
        free(v->verdict);
        fail_msg("the secondary payload of the test is refused: %s", why);
    }
    json_t *c = base_ctx(s, lang, page);
    json_t *vc = view_page_context(v, s->cat[lang], lang == EN ? "?lang=en" : "", PUBLIC_URL);
    assert_non_null(vc);
    json_object_update(c, vc);
    json_decref(vc);
    return c;
}

/* The page (k 0) or print copy (k 1) of payload in a language. */
static page_t secondary_page(const site_t *s, int lang, int k, const char *payload, const char *about)
{
    static char what[128]; /* the page_t keeps it: one page at a time */
    view_t v;
    snprintf(what, sizeof what, "%s, %s %s", about, k ? "print" : "transcript", lang == EN ? "en" : "vi");
    json_t *c = secondary_ctx(s, lang, &v, k ? "/print" : "", payload);
    page_t pg = page_render(s, k ? "print" : "transcript", c, what);
    view_free(&v);
    whole_document(&pg, lang == EN ? "en" : "vi");
    return pg;
}

/* before + text + after, text HTML-escaped as a page writes a value. */
static void page_bytes(char *h, size_t n, const char *before, const char *text, const char *after)
{
    render_out_t e = {0};
    render_escape(str_c(text), &e);
    snprintf(h, n, "%s%s%s", before, e.ptr != NULL ? e.ptr : "", after);
    render_out_free(&e);
}

static void has_in(page_t *pg, const char *before, const char *text, const char *after)
{
    char h[512];
    page_bytes(h, sizeof h, before, text, after);
    has(pg, h);
}

static void lacks_in(page_t *pg, const char *before, const char *text, const char *after)
{
    char h[512];
    page_bytes(h, sizeof h, before, text, after);
    lacks(pg, h);
}

/* A secondary transcript is laid out by its own template: the envelope the
 * schemas share (school, pupil, class and year, awards, remarks) under its
 * level, its own numbered parts, and none of the primary layout's blocks,
 * whose labels (Circular 27/2020's levels, qualities, programme completed)
 * would be wrong for it; page and print copy, both languages. */
static void test_page_secondary_has_its_own_layout_and_no_primary_block(void **state)
{
    const site_t *s = *state;
    static const char *const primary_only[] = {"tx_subjects_heading",     "tx_qualities_heading",
                                               "tx_competencies_heading", "tx_result_heading",
                                               "tx_program_heading",      "tx_awards_heading"};
    static const char *const secondary_parts[] = {"sec_subjects_heading", "sec_results_heading",
                                                  "sec_awards_heading", "sec_decision_heading"};
    char p[8192];
    secondary_payload(p, sizeof p, "THCS", "GDPT", 9, "HOAN_THANH", THCS_SUBJECTS "]", LEARNING, CONDUCT);
    for (int lang = VI; lang <= EN; lang++)
        for (int k = 0; k < 2; k++) {
            page_t pg = secondary_page(s, lang, k, p, "THCS 9");
            has(&pg, lang == EN ? "<p class=\"paper-subtitle\">Lower secondary education · Class 9A"
                                : "<p class=\"paper-subtitle\">Cấp Trung học cơ sở · Lớp 9A");
            has(&pg, "<dd class=\"pupil-name\" lang=\"vi\">Phạm Thu Trang</dd>");
            has(&pg, "<dd lang=\"vi\">Trường THCS Nguyễn Du</dd>");
            has(&pg, "<p class=\"award\" lang=\"vi\">Học sinh Giỏi</p>");
            has(&pg, "<p class=\"free-text\" lang=\"vi\">Chăm chỉ, có ý thức tự học.</p>");
            has_in(&pg, "<div><dt>", tr(s, lang, "tx_sessions_absent"), "</dt><dd>4</dd></div>");
            has(&pg, "<table class=\"grid grid-scores\">");
            for (size_t i = 0; i < sizeof secondary_parts / sizeof *secondary_parts; i++)
                has_in(&pg, ">", tr(s, lang, secondary_parts[i]), "</h3>");
            for (size_t i = 0; i < sizeof primary_only / sizeof *primary_only; i++)
                lacks_in(&pg, "", tr(s, lang, primary_only[i]), "");
            lacks_in(&pg, "", tr(s, lang, "level.school.TH"), "");
            lacks(&pg, "grid-subjects");
            lacks(&pg, "grid-levels");
            lacks_in(&pg, "<dt>", tr(s, lang, "tx_days_absent"), "</dt>");
            /* general education: no programme line */
            lacks_in(&pg, "<dt>", tr(s, lang, "tx_program"), "</dt>");
            page_done(&pg);
        }
}

/* §3b: pages show scores with one decimal, the Vietnamese way (7,5) on
 * Vietnamese pages; a score is shown as signed when it has one decimal, and
 * 8 or 8.0 as 8,0 (10 as 10,0, 0 as 0,0). English pages write the point. */
static void test_page_secondary_scores_have_one_decimal_with_a_comma_in_vietnamese(void **state)
{
    const site_t *s = *state;
    static const char *const cells[][2] = {
        {"sec_col_hk1", "8,0"}, {"sec_col_hk2", "7,5"}, {"sec_col_year", "10,0"}, /* Toán: 8, 7.5, 10 */
        {"sec_col_hk1", "0,0"}, {"sec_col_hk2", "8,0"}, {"sec_col_year", "9,9"}, /* Ngữ văn: 0, 8.0, 9.9 */
    };
    char p[8192], h[256];
    secondary_payload(p, sizeof p, "THCS", "GDPT", 8, "LEN_LOP", THCS_SUBJECTS "]", LEARNING, CONDUCT);
    for (int lang = VI; lang <= EN; lang++) {
        page_t pg = secondary_page(s, lang, 0, p, "scores");
        for (size_t i = 0; i < sizeof cells / sizeof *cells; i++) {
            char value[16];
            snprintf(value, sizeof value, "%s", cells[i][1]);
            if (lang == EN)
                *strchr(value, ',') = '.';
            snprintf(h, sizeof h, "<td data-label=\"%s\" class=\"num\">%s</td>", tr(s, lang, cells[i][0]),
                     value);
            has(&pg, h);
        }
        lacks(&pg, lang == EN ? "7,5" : "7.5");
        lacks(&pg, "class=\"num\">8<");
        lacks(&pg, "class=\"num\">10<");
        page_done(&pg);
    }
}

/* The re-assessment (kiểm tra lại) has a column of its own only when a
 * subject has one: its heading, the value, an empty cell for the other
 * subjects, and the note that says what it is; an exempt subject's words
 * span the three or four value columns. */
static void test_page_secondary_retake_column_only_when_a_subject_has_one(void **state)
{
    const site_t *s = *state;
    char p[8192];
    for (int with = 0; with < 2; with++) {
        secondary_payload(p, sizeof p, "THCS", "GDPT", 8, "LEN_LOP",
                          with ? THCS_SUBJECTS RETAKE_SUBJECT "]" : THCS_SUBJECTS "]", LEARNING, CONDUCT);
        for (int lang = VI; lang <= EN; lang++) {
            page_t pg = secondary_page(s, lang, with, p, with ? "a retake" : "no retake");
            if (with) {
                has_in(&pg, "<th scope=\"col\" class=\"num\">", tr(s, lang, "sec_col_retake"), "</th></tr>");
                has_in(&pg, "<td data-label=\"", tr(s, lang, "sec_col_retake"), "\" class=\"num\">");
                has(&pg, lang == EN ? "class=\"num\">6.5</td>" : "class=\"num\">6,5</td>");
                has_in(&pg, "<td data-label=\"", tr(s, lang, "sec_col_retake"), "\" class=\"num\"></td>");
                has_in(&pg, " ", tr(s, lang, "sec_retake_note"), "</p>");
                has(&pg, "<td colspan=\"4\" class=\"subject-special\">");
                has(&pg, "<span class=\"subject-note\" lang=\"vi\">Kiểm tra lại trong hè.</span></th>");
            } else {
                lacks_in(&pg, "", tr(s, lang, "sec_col_retake"), "");
                lacks_in(&pg, "", tr(s, lang, "sec_retake_note"), "");
                has(&pg, "<td colspan=\"3\" class=\"subject-special\">");
                lacks(&pg, "colspan=\"4\"");
            }
            page_done(&pg);
        }
    }
}

/* A subject assessed by comment shows Đạt / Chưa đạt in words; an exempt
 * subject and one assessed under an individual education plan are said as
 * such across the value columns, with their comment (the reason, the result). */
static void test_page_secondary_comment_exempt_and_individual_subjects_are_in_words(void **state)
{
    const site_t *s = *state;
    char p[8192], h[512];
    secondary_payload(p, sizeof p, "THCS", "GDPT", 8, "LEN_LOP", THCS_SUBJECTS "]", LEARNING, CONDUCT);
    for (int lang = VI; lang <= EN; lang++) {
        page_t pg = secondary_page(s, lang, 0, p, "in words");
        snprintf(h, sizeof h, "<td data-label=\"%s\" class=\"num\">%s</td>", tr(s, lang, "sec_col_hk2"),
                 tr(s, lang, "level.comment.CĐ"));
        has(&pg, h); /* Giáo dục thể chất, HK II */
        snprintf(h, sizeof h, "<td data-label=\"%s\" class=\"num\">%s</td>", tr(s, lang, "sec_col_year"),
                 tr(s, lang, "level.comment.Đ"));
        has(&pg, h);
        has(&pg, lang == EN ? "Not yet satisfactory" : "Chưa đạt");
        has_in(&pg, "<td colspan=\"3\" class=\"subject-special\"><strong>", tr(s, lang, "sec_exempt"),
               "</strong> <span class=\"comment\" lang=\"vi\">Miễn theo chỉ định của bác sĩ.</span></td>");
        has_in(&pg, "<td colspan=\"3\" class=\"subject-special\"><strong>", tr(s, lang, "sec_individual"),
               "</strong> <span class=\"comment\" lang=\"vi\">Đạt các yêu cầu của kế hoạch.</span></td>");
        lacks(&pg, ">Đ<");
        lacks(&pg, ">CĐ<");
        page_done(&pg);
    }
}

/* THPT electives (môn lựa chọn) are marked beside their name, by score and
 * by comment alike; a compulsory subject is not. */
static void test_page_secondary_electives_are_marked(void **state)
{
    const site_t *s = *state;
    char p[8192], h[256];
    secondary_payload(p, sizeof p, "THPT", "GDPT", 11, "LEN_LOP", THPT_SUBJECTS, LEARNING, CONDUCT);
    for (int lang = VI; lang <= EN; lang++) {
        page_t pg = secondary_page(s, lang, 0, p, "electives");
        snprintf(h, sizeof h, "<span lang=\"vi\">Vật lí</span> <span class=\"elective\">(%s)</span></th>",
                 tr(s, lang, "sec_elective"));
        has(&pg, h);
        snprintf(h, sizeof h, "<span lang=\"vi\">Âm nhạc</span> <span class=\"elective\">(%s)</span></th>",
                 tr(s, lang, "sec_elective"));
        has(&pg, h);
        has(&pg, "<th scope=\"row\"><span lang=\"vi\">Toán</span></th>");
        assert_int_equal(count(pg.p, "class=\"elective\""), 2);
        has(&pg, lang == EN ? "Upper secondary education · Class 11A" : "Cấp Trung học phổ thông · Lớp 11A");
        page_done(&pg);
    }
}

/* §3b, http.md: for a grade-9 record with HOAN_THANH the confirmation that
 * the pupil completed lower secondary education stands out near the top
 * (under the heading, before the school and pupil); no other grade or
 * decision shows it. The decision is worded for each case. */
static void test_page_secondary_completion_only_for_grade_9_that_completed(void **state)
{
    const site_t *s = *state;
    static const struct {
        const char *level, *subjects, *decision, *decision_key;
        int grade, completed;
    } cases[] = {
        {"THCS", THCS_SUBJECTS "]", "HOAN_THANH", "decision.HOAN_THANH.THCS", 9, 1},
        {"THCS", THCS_SUBJECTS "]", "O_LAI", "decision.O_LAI", 9, 0},
        {"THCS", THCS_SUBJECTS "]", "LEN_LOP", "decision.LEN_LOP", 8, 0},
        {"THPT", THPT_SUBJECTS, "HOAN_THANH", "decision.HOAN_THANH.THPT", 12, 0},
        {"THPT", THPT_SUBJECTS, "O_LAI", "decision.O_LAI", 12, 0},
    };
    char p[8192], about[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        secondary_payload(p, sizeof p, cases[i].level, "GDPT", cases[i].grade, cases[i].decision,
                          cases[i].subjects, LEARNING, CONDUCT);
        snprintf(about, sizeof about, "%s grade %d %s", cases[i].level, cases[i].grade, cases[i].decision);
        for (int lang = VI; lang <= EN; lang++)
            for (int k = 0; k < 2; k++) {
                page_t pg = secondary_page(s, lang, k, p, about);
                has_in(&pg, "<p class=\"result\"><strong>", tr(s, lang, cases[i].decision_key),
                       "</strong></p>");
                if (cases[i].completed) {
                    has_in(&pg, "<p class=\"completion\"><strong>", tr(s, lang, "completion.THCS"),
                           "</strong>");
                    const char *at = strstr(pg.p, "class=\"completion\""), *ids = strstr(pg.p, "paper-ids");
                    if (at == NULL || ids == NULL || at > ids || at < strstr(pg.p, "paper-title")) {
                        print_error("%s: expected the completion between the heading and the school\n",
                                    pg.what);
                        pg.failures++;
                    }
                } else {
                    lacks(&pg, "class=\"completion\"");
                    lacks_in(&pg, "", tr(s, lang, "completion.THCS"), "");
                }
                page_done(&pg);
            }
    }
}

/* Learning and conduct results by semester and year in words, the
 * re-evaluation in a column of its own only when there is one; a GDTX
 * transcript without conduct has no conduct row, and names its programme
 * (continuing education) in the heading and the year's block. */
static void test_page_secondary_learning_conduct_and_continuing_education(void **state)
{
    const site_t *s = *state;
    char p[8192], h[512];
    secondary_payload(p, sizeof p, "THCS", "GDPT", 8, "LEN_LOP", THCS_SUBJECTS "]",
                      "{\"hk1\": \"K\", \"hk2\": \"CĐ\", \"year\": \"CĐ\", \"re_evaluated\": \"Đ\"}",
                      CONDUCT);
    for (int lang = VI; lang <= EN; lang++) {
        page_t pg = secondary_page(s, lang, 0, p, "re-evaluated");
        has_in(&pg, "<th scope=\"row\">", tr(s, lang, "sec_learning"), "</th>");
        has_in(&pg, "<th scope=\"row\">", tr(s, lang, "sec_conduct"), "</th>");
        has_in(&pg, "<th scope=\"col\" class=\"num\">", tr(s, lang, "sec_col_re_evaluated"), "</th></tr>");
        snprintf(h, sizeof h, "<td data-label=\"%s\" class=\"num\">%s</td>",
                 tr(s, lang, "sec_col_re_evaluated"), tr(s, lang, "level.result.Đ"));
        has(&pg, h);
        snprintf(h, sizeof h, "<td data-label=\"%s\" class=\"num\">%s</td>", tr(s, lang, "sec_col_hk1"),
                 tr(s, lang, "level.result.K"));
        has(&pg, h);
        page_done(&pg);
    }
    secondary_payload(p, sizeof p, "THPT", "GDTX", 10, "LEN_LOP", THPT_SUBJECTS, "{\"year\": \"Đ\"}", "");
    for (int lang = VI; lang <= EN; lang++)
        for (int k = 0; k < 2; k++) {
            page_t pg = secondary_page(s, lang, k, p, "GDTX");
            snprintf(h, sizeof h, "%s · %s · %s 10A", tr(s, lang, "level.school.THPT"),
                     tr(s, lang, "program.GDTX"), tr(s, lang, "tx_class"));
            has(&pg, h);
            snprintf(h, sizeof h, "<div><dt>%s</dt><dd>%s</dd></div>", tr(s, lang, "tx_program"),
                     tr(s, lang, "program.GDTX"));
            has(&pg, h);
            has_in(&pg, "<th scope=\"row\">", tr(s, lang, "sec_learning"), "</th>");
            lacks_in(&pg, "<th scope=\"row\">", tr(s, lang, "sec_conduct"), "</th>");
            lacks_in(&pg, "", tr(s, lang, "sec_col_re_evaluated"), "");
            has_in(&pg, "<p class=\"result\"><strong>", tr(s, lang, "decision.LEN_LOP"), "</strong></p>");
            page_done(&pg);
        }
}

/* view_page_context names a signer's role with the catalog's label, and a
 * role the catalog does not know (the format allows any beyond the three it
 * requires) as "other signer (the_role)", not as a bare identifier. */
static void test_page_context_names_roles_the_catalog_does_not_know(void **state)
{
    (void)state;
    json_error_t err;
    json_t *vi = json_load_file(TEMPLATES_DIR "/i18n/vi.json", 0, &err);
    assert_non_null(vi);
    verdict_t *vd = calloc(1, sizeof *vd);
    assert_non_null(vd);
    vd->nsigners = 2;
    snprintf(vd->signers[0].role, sizeof vd->signers[0].role, "principal");
    snprintf(vd->signers[1].role, sizeof vd->signers[1].role, "vice_principal");
    for (int i = 0; i < 2; i++) {
        vd->signers[i].has_signature = 1;
        vd->signers[i].signing_time = -1;
        vd->items[i].check = VERIFY_REVOCATION;
        vd->items[i].signer = i;
        snprintf(vd->items[i].detail, sizeof vd->items[i].detail, "revoked");
    }
    vd->nitems = 2;
    view_t v;
    memset(&v, 0, sizeof v);
    memset(v.code, 'A', CODE_LEN);
    v.status = VIEW_INVALID;
    v.verdict = vd;
    json_t *c = view_page_context(&v, vi, "", PUBLIC_URL);
    assert_non_null(c);
    json_t *failed = json_object_get(c, "checks_failed");
    assert_int_equal(json_array_size(failed), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(failed, 0), "role_label")),
                        "Hiệu trưởng");
    assert_string_equal(json_string_value(json_object_get(json_array_get(failed, 1), "role_label")),
                        "Người ký khác (vice_principal)");
    json_decref(c);
    free(vd);
    json_decref(vi);
}

/* Every check a verdict can name has its words in both catalogs: a failed
 * check is never labelled by its bare name on a page (staff_registry, new in
 * package-format.md rev. 2, included). */
static void test_page_context_labels_every_check_in_both_languages(void **state)
{
    (void)state;
    static const char *const files[] = {TEMPLATES_DIR "/i18n/vi.json", TEMPLATES_DIR "/i18n/en.json"};
    verdict_t *vd = calloc(1, sizeof *vd);
    assert_non_null(vd);
    for (int k = 0; k < VERIFY_NCHECKS; k++) {
        vd->items[k].check = k;
        vd->items[k].signer = -1;
        snprintf(vd->items[k].detail, sizeof vd->items[k].detail, "failed");
    }
    vd->nitems = VERIFY_NCHECKS;
    view_t v;
    memset(&v, 0, sizeof v);
    memset(v.code, 'A', CODE_LEN);
    v.status = VIEW_INVALID;
    v.verdict = vd;
    for (size_t f = 0; f < 2; f++) {
        json_error_t err;
        json_t *cat = json_load_file(files[f], 0, &err);
        assert_non_null(cat);
        json_t *c = view_page_context(&v, cat, "", PUBLIC_URL);
        assert_non_null(c);
        json_t *failed = json_object_get(c, "checks_failed");
        assert_int_equal(json_array_size(failed), VERIFY_NCHECKS);
        for (int k = 0; k < VERIFY_NCHECKS; k++) {
            const char *label =
                json_string_value(json_object_get(json_array_get(failed, (size_t)k), "check_label"));
            if (label == NULL || strcmp(label, verify_check_name(k)) == 0 || strlen(label) < 20) {
                char got[256];
                snprintf(got, sizeof got, "%s", label ? label : "(none)");
                json_decref(c);
                json_decref(cat);
                free(vd);
                fail_msg("%s: expected words for check.%s, got \"%s\"", files[f], verify_check_name(k), got);
            }
        }
        json_decref(c);
        json_decref(cat);
    }
    free(vd);
}

int main(void)
{
    const struct CMUnitTest engine[] = {
        cmocka_unit_test(test_page_context_labels_every_check_in_both_languages),
        cmocka_unit_test(test_page_context_names_roles_the_catalog_does_not_know),
        cmocka_unit_test(test_escape_script_tag_becomes_inert_text),
        cmocka_unit_test(test_escape_apostrophe_quote_and_ampersand),
        cmocka_unit_test(test_escape_backtick_and_equals),
        cmocka_unit_test(test_escape_keeps_valid_utf8),
        cmocka_unit_test(test_escape_replaces_invalid_utf8_in_a_value_by_u_fffd),
        cmocka_unit_test(test_escape_drops_control_characters_but_keeps_newline_and_tab),
        cmocka_unit_test(test_escape_function_writes_entities_for_all_seven_characters),
        cmocka_unit_test(test_dotted_name_walks_into_objects),
        cmocka_unit_test(test_missing_names_render_empty),
        cmocka_unit_test(test_null_context_renders_as_empty_object),
        cmocka_unit_test(test_integers_are_written_in_decimal),
        cmocka_unit_test(test_reals_are_written_with_percent_g),
        cmocka_unit_test(test_booleans_are_written_as_true_and_false),
        cmocka_unit_test(test_null_objects_and_arrays_write_nothing),
        cmocka_unit_test(test_dot_renders_each_string_of_an_array),
        cmocka_unit_test(test_nested_sections_over_arrays_of_objects),
        cmocka_unit_test(test_object_section_renders_once_with_the_object_pushed),
        cmocka_unit_test(test_lookup_searches_the_context_stack_outward),
        cmocka_unit_test(test_inner_frame_hides_the_same_name_outside),
        cmocka_unit_test(test_dotted_name_is_followed_only_from_the_first_frame_holding_its_head),
        cmocka_unit_test(test_lookup_skips_frames_that_are_not_objects),
        cmocka_unit_test(test_section_true_renders_once_with_true_pushed),
        cmocka_unit_test(test_section_false_renders_nothing),
        cmocka_unit_test(test_section_null_renders_nothing),
        cmocka_unit_test(test_section_missing_renders_nothing),
        cmocka_unit_test(test_section_empty_array_renders_nothing),
        cmocka_unit_test(test_section_empty_string_renders_nothing),
        cmocka_unit_test(test_section_zero_renders_nothing),
        cmocka_unit_test(test_section_nonempty_string_renders_once_with_it_pushed),
        cmocka_unit_test(test_section_nonzero_number_renders_once_with_it_pushed),
        cmocka_unit_test(test_section_array_of_falsy_values_still_renders_per_element),
        cmocka_unit_test(test_inverted_section_renders_exactly_when_the_section_would_not),
        cmocka_unit_test(test_inverted_section_pushes_nothing),
        cmocka_unit_test(test_partial_renders_with_the_current_context_stack),
        cmocka_unit_test(test_comment_renders_nothing),
        cmocka_unit_test(test_line_holding_only_a_comment_or_section_tag_is_dropped_whole),
        cmocka_unit_test(test_tag_sharing_its_line_with_text_keeps_the_line),
        cmocka_unit_test(test_whitespace_inside_tags_is_ignored),
        cmocka_unit_test(test_load_refuses_triple_mustache_naming_template_and_line),
        cmocka_unit_test(test_load_refuses_ampersand_tag_naming_template_and_line),
        cmocka_unit_test(test_load_refuses_unclosed_section_naming_the_line_it_opens),
        cmocka_unit_test(test_load_refuses_mismatched_close_naming_both_lines),
        cmocka_unit_test(test_load_refuses_close_of_an_inverted_section_by_another_name),
        cmocka_unit_test(test_load_refuses_close_without_open),
        cmocka_unit_test(test_load_refuses_unknown_partial_naming_template_and_line),
        cmocka_unit_test(test_load_refuses_partial_including_itself),
        cmocka_unit_test(test_load_refuses_sections_nested_beyond_the_depth_limit),
        cmocka_unit_test(test_load_refuses_partials_nested_beyond_the_depth_limit),
        cmocka_unit_test(test_partials_nested_to_the_depth_limit_render),
        cmocka_unit_test(test_load_dir_refuses_partial_cycle_naming_file_and_line),
        cmocka_unit_test(test_load_dir_refuses_unknown_partial_naming_file_and_line),
        cmocka_unit_test(test_load_dir_refuses_unescaped_tag_naming_file_and_line),
        cmocka_unit_test(test_load_dir_drops_indentation_only),
        cmocka_unit_test(test_load_dir_names_the_line_of_an_indented_error),
        cmocka_unit_test(test_render_past_out_max_fails_with_etoobig_and_keeps_what_was_there),
        cmocka_unit_test(test_render_error_leaves_the_error_in_out_err),
        cmocka_unit_test(test_render_of_exactly_out_max_bytes_succeeds),
        cmocka_unit_test(test_render_default_bound_is_render_out_max),
        cmocka_unit_test(test_escape_past_out_max_sets_a_sticky_error),
        cmocka_unit_test(test_render_unknown_template_returns_enotfound_and_writes_nothing),
        cmocka_unit_test(test_bind_renders_the_bytes_the_lookups_gave),
        cmocka_unit_test(test_bind_keeps_the_values_without_the_name_in_the_context),
        cmocka_unit_test(test_bind_refuses_missing_arguments),
    };
    const struct CMUnitTest pages[] = {
        cmocka_unit_test(test_page_home_vi_has_the_lookup_form),
        cmocka_unit_test(test_page_home_en_is_english),
        cmocka_unit_test(test_page_error_404_shows_title_message_and_the_form_again),
        cmocka_unit_test(test_page_error_503_in_english_has_no_form),
        cmocka_unit_test(test_page_error_escapes_what_was_typed),
        cmocka_unit_test(test_page_transcript_valid_shows_the_transcript),
        cmocka_unit_test(test_page_transcript_escapes_a_script_in_the_remark),
        cmocka_unit_test(test_page_transcript_valid_in_english),
        cmocka_unit_test(test_page_transcript_recalled_links_the_replacement),
        cmocka_unit_test(test_page_transcript_recalled_in_english_keeps_the_language_in_the_link),
        cmocka_unit_test(test_page_transcript_invalid_shows_the_failed_check_and_no_pupil),
        cmocka_unit_test(test_page_transcript_invalid_in_english_escapes_the_catalog_apostrophe),
        cmocka_unit_test(test_page_transcript_invalid_hides_a_transcript_passed_by_mistake),
        cmocka_unit_test(test_page_print_valid_repeats_the_code_and_escapes_the_remark),
        cmocka_unit_test(test_page_print_invalid_shows_no_pupil),
        cmocka_unit_test(test_page_secondary_has_its_own_layout_and_no_primary_block),
        cmocka_unit_test(test_page_secondary_scores_have_one_decimal_with_a_comma_in_vietnamese),
        cmocka_unit_test(test_page_secondary_retake_column_only_when_a_subject_has_one),
        cmocka_unit_test(test_page_secondary_comment_exempt_and_individual_subjects_are_in_words),
        cmocka_unit_test(test_page_secondary_electives_are_marked),
        cmocka_unit_test(test_page_secondary_completion_only_for_grade_9_that_completed),
        cmocka_unit_test(test_page_secondary_learning_conduct_and_continuing_education),
        cmocka_unit_test(test_render_from_four_threads_gives_identical_pages),
        cmocka_unit_test(test_page_bound_catalog_gives_identical_pages),
    };
    int failed = cmocka_run_group_tests(engine, NULL, NULL);
    failed += cmocka_run_group_tests(pages, site_setup, site_teardown);
    return failed != 0;
}
