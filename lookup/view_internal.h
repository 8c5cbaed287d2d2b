/* view_internal.h — what the transcript model's files share; not for callers
 * outside lookup/view*.c (they use view.h).
 *
 * - view.c           the verdict, the recall links, the JSON answer and the
 *                    page context: codes, verdict, signers, recall, and the
 *                    envelope every transcript schema shares (school, pupil,
 *                    class and year, awards, remarks);
 * - view_tieuhoc.c   the year's results of hocba.tieuhoc.v1 (Circular 27/2020);
 * - view_trunghoc.c  the year's results of hocba.trunghoc.v1 (Circular 22/2021).
 * Each schema's file fills the transcript object with what its layout reads
 * and sets its layout flag (layout_tieuhoc, layout_trunghoc): the templates
 * choose the layout by that flag (templates/transcript-body.html), so no other
 * place asks which schema a transcript follows. The prefix vw_ marks these
 * internal symbols.
 *
 * Page-context values come from the validated payload, the catalog or our
 * own ASCII, all UTF-8 already: vw_set_str skips jansson's UTF-8 checks. */
#ifndef HOCBA_VIEW_INTERNAL_H
#define HOCBA_VIEW_INTERNAL_H

#include <jansson.h>

#include "payload.h"

/** o[key] = a string copy of val, without jansson's UTF-8 checks (val is UTF-8). */
void vw_set_str(json_t *o, const char *key, const char *val);

/** o[key] = val (stolen), the key unchecked (our literal). */
void vw_set_new(json_t *o, const char *key, json_t *val);

/** The catalog's text for prefix + key ("level.subject." + "T"), or key
 * itself when the catalog has none (never NULL; "" for a NULL key). */
const char *vw_label(json_t *t, const char *prefix, const char *key);

/** dst[name] = src[name] when that is a string or an integer (shared, as is:
 * the renderer escapes). */
void vw_copy_member(json_t *dst, json_t *src, const char *name);

/** The year's results of a hocba.tieuhoc.v1 transcript, into o (view_tieuhoc.c).
 * @param t  the catalog of the page's language */
void vw_tieuhoc_results(json_t *o, const payload_t *pl, json_t *t);

/** The year's results of a hocba.trunghoc.v1 transcript, into o (view_trunghoc.c). */
void vw_trunghoc_results(json_t *o, const payload_t *pl, json_t *t);

#endif
