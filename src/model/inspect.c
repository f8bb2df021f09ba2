/* inspect.c - the geometry of a model as stable JSON
 *
 * Pixel rectangles use continuous coordinates: pixel (i, j) covers
 * [i, i+1) x [j, j+1), so px = mm * dpi / 25.4 exactly, with no rounding
 * beyond the two decimals printed. The "inside" rectangle is what the
 * pipeline scores: the box shrunk by the printed outline on every side.
 */
#include "stemtel/inspect.h"
#include "stemtel/image.h"
#include "util/jsonfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *rect_json(st_rect r, double scale, int decimals)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "x", st_json_num(r.x * scale, decimals));
    json_object_object_add(o, "y", st_json_num(r.y * scale, decimals));
    json_object_object_add(o, "w", st_json_num(r.w * scale, decimals));
    json_object_object_add(o, "h", st_json_num(r.h * scale, decimals));
    return o;
}

/* Add "mm" and, with dpi, "px" versions of r under the given key prefix. */
static void add_rect(json_object *o, const char *key, st_rect r, int dpi)
{
    char k[32];
    snprintf(k, sizeof k, "%s_mm", key);
    json_object_object_add(o, k, rect_json(r, 1.0, 3));
    if (dpi > 0) {
        snprintf(k, sizeof k, "%s_px", key);
        json_object_object_add(o, k, rect_json(r, dpi / 25.4, 2));
    }
}

char *st_inspect_json(const st_model *m, int dpi, st_error *err)
{
    json_object *root = json_object_new_object(), *o, *a;
    json_object_object_add(root, "format", json_object_new_string("stemtel-inspect"));
    json_object_object_add(root, "version", json_object_new_int(ST_INSPECT_VERSION));
    json_object_object_add(root, "election_id", json_object_new_string(m->election_id));

    o = json_object_new_object();
    json_object_object_add(o, "width_mm", st_json_num(m->paper_w, 3));
    json_object_object_add(o, "height_mm", st_json_num(m->paper_h, 3));
    if (dpi > 0) {
        json_object_object_add(o, "dpi", json_object_new_int(dpi));
        json_object_object_add(o, "width_px", json_object_new_int(st_mm_to_px(m->paper_w, dpi)));
        json_object_object_add(o, "height_px", json_object_new_int(st_mm_to_px(m->paper_h, dpi)));
    }
    json_object_object_add(o, "outline_mm", st_json_num(m->settings.outline_mm, 3));
    json_object_object_add(root, "page", o);

    a = json_object_new_array();
    for (int i = 0; i < m->n_fiducials; i++) {
        o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(m->fiducials[i].id));
        add_rect(o, "rect", m->fiducials[i].rect, dpi);
        json_object_array_add(a, o);
    }
    json_object_object_add(root, "fiducials", a);

    a = json_object_new_array();
    double ol = m->settings.outline_mm;
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        int list = t->kind == ST_TARGET_LIST;
        o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(t->id));
        json_object_object_add(o, "kind", json_object_new_string(list ? "list" : "number"));
        json_object_object_add(o, list ? "list" : "number", json_object_new_int(t->number));
        add_rect(o, "rect", t->rect, dpi);
        st_rect in = {t->rect.x + ol, t->rect.y + ol, t->rect.w - 2 * ol, t->rect.h - 2 * ol};
        add_rect(o, "inside", in, dpi);
        json_object_array_add(a, o);
    }
    json_object_object_add(root, "targets", a);

    char *res = st_json_text(root);
    if (!res)
        st_error_set(err, ST_ERR_NOMEM, "inspect: out of memory");
    json_object_put(root);
    return res;
}
