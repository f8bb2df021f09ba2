/* model.c - load, save and check ballot model files
 *
 * A model file is JSON (format documented in models/README.md), read with
 * json-c. Loading only checks shape and types and reports the JSON path of
 * the first bad field; st_model_check then looks at the model as a whole
 * (geometry, numbering, settings) and lists every problem it finds, so a
 * person editing a model by hand sees all of them at once.
 */
#include "stemtel/model.h"
#include "util/jsonfmt.h"
#include "util/text.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small helpers ------------------------------------------------------ */

static char *st_strdup0(const char *s)
{
    return strdup(s ? s : "");
}

void st_settings_default(st_settings *s)
{
    /* Measured on synth output (README, "Choosing the thresholds"): the
     * clearest empty box and the faintest clear mark lie far apart in
     * these measures, with ambiguous marks between. */
    s->marginal = 0.006;
    s->definite = 0.025;
    s->party_only = ST_PARTY_ONLY_FIRST_CANDIDATE;
    s->beyond_list = ST_BEYOND_LIST_INVALID;
    s->multiple_numbers = ST_MULTIPLE_NUMBERS_REVIEW;
    s->outline_mm = 0.5;
    s->scan_dpi = 300;
    s->jpeg_min_dpi = 150;
    s->scan_formats = ST_SCAN_GREY | ST_SCAN_RGB | ST_SCAN_BILEVEL;
}

st_model *st_model_new(void)
{
    st_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    st_settings_default(&m->settings);
    return m;
}

void st_model_free(st_model *m)
{
    if (!m)
        return;
    free(m->election_id);
    free(m->election_name);
    free(m->election_subcategory);
    free(m->election_date);
    free(m->municipality_code);
    free(m->municipality_name);
    for (int i = 0; i < m->n_lists; i++) {
        for (int j = 0; j < m->lists[i].n_candidates; j++)
            free(m->lists[i].candidates[j].name);
        free(m->lists[i].candidates);
        free(m->lists[i].name);
    }
    free(m->lists);
    free(m->fiducials);
    free(m->artwork);
    for (int i = 0; i < m->n_targets; i++)
        free(m->targets[i].label);
    free(m->targets);
    free(m);
}

const st_list *st_model_list(const st_model *m, int number)
{
    for (int i = 0; i < m->n_lists; i++)
        if (m->lists[i].number == number)
            return &m->lists[i];
    return NULL;
}

const st_target *st_model_target(const st_model *m, st_target_kind kind,
                                 int number)
{
    for (int i = 0; i < m->n_targets; i++)
        if (m->targets[i].kind == kind && m->targets[i].number == number)
            return &m->targets[i];
    return NULL;
}

int st_model_max_candidates(const st_model *m)
{
    int n = 0;
    for (int i = 0; i < m->n_lists; i++)
        if (m->lists[i].n_candidates > n)
            n = m->lists[i].n_candidates;
    return n;
}

/* ---- names of settings -------------------------------------------------- */

static const char *const party_only_names[] = {"first_candidate", "invalid"};
static const char *const beyond_list_names[] = {"invalid", "review"};
static const char *const multiple_numbers_names[] = {"review", "invalid",
                                                     "party_only"};
static const struct {
    const char *name;
    unsigned bit;
} scan_format_names[] = {
    {"bilevel", ST_SCAN_BILEVEL}, {"grey", ST_SCAN_GREY}, {"rgb", ST_SCAN_RGB}};

/* ---- parsing ------------------------------------------------------------ */

/* Parser state: the file name for messages and the error buffer. */
typedef struct st_parse {
    const char *name;
    st_error *err;
} st_parse;

static int bad(st_parse *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(st_parse *p, const char *path, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return st_error_set(p->err, ST_ERR_INVALID, "model: %s: %s: %s", p->name,
                        path, what);
}

static const char *type_name(json_object *o)
{
    return o ? json_type_to_name(json_object_get_type(o)) : "nothing";
}

/* Fetch key from obj as the given type; required fields missing are errors. */
static int get(st_parse *p, json_object *obj, const char *path,
               const char *key, json_type want, int required,
               json_object **out)
{
    json_object *v = NULL;
    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || !v) {
        if (!required)
            return ST_OK;
        return bad(p, path, "missing \"%s\"", key);
    }
    json_type t = json_object_get_type(v);
    int ok = t == want || (want == json_type_double && t == json_type_int);
    if (!ok)
        return bad(p, path, "\"%s\" should be %s, not %s", key,
                   want == json_type_double ? "a number"
                   : want == json_type_int  ? "an integer"
                                            : json_type_to_name(want),
                   type_name(v));
    *out = v;
    return ST_OK;
}

/* Refuse a string with a NUL (which would cut it short), a control
 * character or anything util/text.h refuses, naming its JSON path. */
static int check_text(st_parse *p, json_object *v, const char *path, const char *key)
{
    char where[600], field[300];
    snprintf(where, sizeof where, "model: %s", p->name);
    snprintf(field, sizeof field, "%s.%s", path, key);
    return st_text_check_len(json_object_get_string(v), (size_t)json_object_get_string_len(v),
                             where, field, p->err);
}

static int get_str(st_parse *p, json_object *obj, const char *path,
                   const char *key, int required, char **out)
{
    json_object *v;
    int rc = get(p, obj, path, key, json_type_string, required, &v);
    if (rc || (v && (rc = check_text(p, v, path, key))))
        return rc;
    *out = st_strdup0(v ? json_object_get_string(v) : "");
    return *out ? ST_OK : st_error_set(p->err, ST_ERR_NOMEM, "model: out of memory");
}

static int get_num(st_parse *p, json_object *obj, const char *path,
                   const char *key, double *out)
{
    json_object *v;
    int rc = get(p, obj, path, key, json_type_double, 1, &v);
    if (rc)
        return rc;
    double d = json_object_get_double(v);
    if (!isfinite(d))
        return bad(p, path, "\"%s\" is not a finite number", key);
    /* No ballot measures a kilometre; far beyond, the model's own JSON
     * (4 decimals) no longer reads back as the same number. */
    if (fabs(d) > 1e6)
        return bad(p, path, "\"%s\" = %g is out of range (at most 1000000 mm)", key, d);
    *out = d;
    return ST_OK;
}

/* An integer within +-1000000, as written (json-c would clamp it to an
 * int); an absent optional one leaves *out alone. */
static int get_int_opt(st_parse *p, json_object *obj, const char *path,
                       const char *key, int required, int *out)
{
    json_object *v;
    int rc = get(p, obj, path, key, json_type_int, required, &v);
    if (rc || !v)
        return rc;
    int64_t i = json_object_get_int64(v);
    if (i == INT64_MAX || i == INT64_MIN) /* json-c's clamp: the real value is further */
        return bad(p, path, "\"%s\" is out of range (beyond %s%lld)", key,
                   i < 0 ? "" : "+", (long long)i);
    if (i < -1000000 || i > 1000000)
        return bad(p, path, "\"%s\" = %lld is out of range", key, (long long)i);
    *out = (int)i;
    return ST_OK;
}

static int get_int(st_parse *p, json_object *obj, const char *path,
                   const char *key, int *out)
{
    return get_int_opt(p, obj, path, key, 1, out);
}

static int get_enum(st_parse *p, json_object *obj, const char *path,
                    const char *key, const char *const *names, int n,
                    int *out)
{
    json_object *v;
    int rc = get(p, obj, path, key, json_type_string, 0, &v);
    if (rc || !v)
        return rc; /* absent: keep the default */
    const char *s = json_object_get_string(v);
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return ST_OK;
        }
    char allowed[256] = "";
    for (int i = 0; i < n; i++) {
        strncat(allowed, i ? ", " : "", sizeof allowed - strlen(allowed) - 1);
        strncat(allowed, names[i], sizeof allowed - strlen(allowed) - 1);
    }
    return bad(p, path, "\"%s\" is \"%s\"; allowed: %s", key, s, allowed);
}

static int get_rect(st_parse *p, json_object *obj, const char *path,
                    st_rect *r)
{
    int rc;
    if ((rc = get_num(p, obj, path, "x_mm", &r->x)) ||
        (rc = get_num(p, obj, path, "y_mm", &r->y)) ||
        (rc = get_num(p, obj, path, "w_mm", &r->w)) ||
        (rc = get_num(p, obj, path, "h_mm", &r->h)))
        return rc;
    return ST_OK;
}

static int get_id(st_parse *p, json_object *obj, const char *path, char *id)
{
    json_object *v;
    int rc = get(p, obj, path, "id", json_type_string, 1, &v);
    if (rc)
        return rc;
    const char *s = json_object_get_string(v);
    if ((rc = check_text(p, v, path, "id")))
        return rc;
    if (strlen(s) == 0 || strlen(s) >= ST_ID_MAX)
        return bad(p, path, "\"id\" must be 1 to %d characters", ST_ID_MAX - 1);
    strcpy(id, s);
    return ST_OK;
}

static int parse_settings(st_parse *p, json_object *root, st_settings *s)
{
    json_object *o, *v;
    int rc, e;
    if ((rc = get(p, root, "$", "settings", json_type_object, 0, &o)) || !o)
        return rc;
    if ((rc = get(p, o, "settings", "thresholds", json_type_object, 0, &v)))
        return rc;
    if (v && ((rc = get_num(p, v, "settings.thresholds", "marginal", &s->marginal)) ||
              (rc = get_num(p, v, "settings.thresholds", "definite", &s->definite))))
        return rc;
    e = s->party_only;
    if ((rc = get_enum(p, o, "settings", "party_only", party_only_names, 2, &e)))
        return rc;
    s->party_only = e;
    e = s->beyond_list;
    if ((rc = get_enum(p, o, "settings", "beyond_list", beyond_list_names, 2, &e)))
        return rc;
    s->beyond_list = e;
    e = s->multiple_numbers;
    if ((rc = get_enum(p, o, "settings", "multiple_numbers",
                       multiple_numbers_names, 3, &e)))
        return rc;
    s->multiple_numbers = e;
    if ((rc = get(p, o, "settings", "outline_mm", json_type_double, 0, &v)))
        return rc;
    if (v)
        s->outline_mm = json_object_get_double(v);
    if ((rc = get(p, o, "settings", "scan", json_type_object, 0, &v)) || !v)
        return rc;
    json_object *fmts;
    if ((rc = get_int_opt(p, v, "settings.scan", "dpi", 0, &s->scan_dpi)) ||
        (rc = get_int_opt(p, v, "settings.scan", "jpeg_min_dpi", 0, &s->jpeg_min_dpi)))
        return rc;
    if ((rc = get(p, v, "settings.scan", "formats", json_type_array, 0, &fmts)))
        return rc;
    if (fmts) {
        s->scan_formats = 0;
        for (size_t i = 0; i < json_object_array_length(fmts); i++) {
            json_object *f = json_object_array_get_idx(fmts, i);
            const char *name = json_object_get_string(f);
            unsigned bit = 0;
            for (size_t k = 0; k < 3; k++)
                if (json_object_is_type(f, json_type_string) &&
                    strcmp(name, scan_format_names[k].name) == 0)
                    bit = scan_format_names[k].bit;
            if (!bit)
                return bad(p, "settings.scan.formats", "entry %zu is \"%s\"; "
                           "allowed: bilevel, grey, rgb", i, name ? name : "");
            s->scan_formats |= bit;
        }
    }
    return ST_OK;
}

static int parse_lists(st_parse *p, json_object *root, st_model *m)
{
    json_object *arr;
    int rc = get(p, root, "$", "lists", json_type_array, 1, &arr);
    if (rc)
        return rc;
    size_t n = json_object_array_length(arr);
    m->lists = calloc(n ? n : 1, sizeof *m->lists);
    if (!m->lists)
        return st_error_set(p->err, ST_ERR_NOMEM, "model: out of memory");
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "lists[%zu]", i);
        json_object *lo = json_object_array_get_idx(arr, i), *cands;
        if (!json_object_is_type(lo, json_type_object))
            return bad(p, path, "should be an object, not %s", type_name(lo));
        st_list *l = &m->lists[m->n_lists++];
        if ((rc = get_int(p, lo, path, "number", &l->number)) ||
            (rc = get_str(p, lo, path, "name", 1, &l->name)) ||
            (rc = get(p, lo, path, "candidates", json_type_array, 1, &cands)))
            return rc;
        size_t nc = json_object_array_length(cands);
        l->candidates = calloc(nc ? nc : 1, sizeof *l->candidates);
        if (!l->candidates)
            return st_error_set(p->err, ST_ERR_NOMEM, "model: out of memory");
        for (size_t j = 0; j < nc; j++) {
            char cpath[96];
            snprintf(cpath, sizeof cpath, "lists[%zu].candidates[%zu]", i, j);
            json_object *co = json_object_array_get_idx(cands, j);
            if (!json_object_is_type(co, json_type_object))
                return bad(p, cpath, "should be an object, not %s", type_name(co));
            st_candidate *c = &l->candidates[l->n_candidates++];
            if ((rc = get_int(p, co, cpath, "number", &c->number)) ||
                (rc = get_str(p, co, cpath, "name", 1, &c->name)))
                return rc;
        }
    }
    return ST_OK;
}

static int parse_fiducials(st_parse *p, json_object *root, st_model *m)
{
    json_object *arr;
    int rc = get(p, root, "$", "fiducials", json_type_array, 1, &arr);
    if (rc)
        return rc;
    size_t n = json_object_array_length(arr);
    m->fiducials = calloc(n ? n : 1, sizeof *m->fiducials);
    if (!m->fiducials)
        return st_error_set(p->err, ST_ERR_NOMEM, "model: out of memory");
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "fiducials[%zu]", i);
        json_object *fo = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(fo, json_type_object))
            return bad(p, path, "should be an object, not %s", type_name(fo));
        st_fiducial *f = &m->fiducials[m->n_fiducials++];
        if ((rc = get_id(p, fo, path, f->id)) || (rc = get_rect(p, fo, path, &f->rect)))
            return rc;
    }
    return ST_OK;
}

static int parse_targets(st_parse *p, json_object *root, st_model *m)
{
    json_object *arr;
    int rc = get(p, root, "$", "targets", json_type_array, 1, &arr);
    if (rc)
        return rc;
    size_t n = json_object_array_length(arr);
    m->targets = calloc(n ? n : 1, sizeof *m->targets);
    if (!m->targets)
        return st_error_set(p->err, ST_ERR_NOMEM, "model: out of memory");
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "targets[%zu]", i);
        json_object *to = json_object_array_get_idx(arr, i), *kind, *label;
        if (!json_object_is_type(to, json_type_object))
            return bad(p, path, "should be an object, not %s", type_name(to));
        st_target *t = &m->targets[m->n_targets++];
        if ((rc = get_id(p, to, path, t->id)) ||
            (rc = get(p, to, path, "kind", json_type_string, 1, &kind)))
            return rc;
        const char *k = json_object_get_string(kind);
        if (strcmp(k, "list") == 0) {
            t->kind = ST_TARGET_LIST;
            rc = get_int(p, to, path, "list", &t->number);
        } else if (strcmp(k, "number") == 0) {
            t->kind = ST_TARGET_NUMBER;
            rc = get_int(p, to, path, "number", &t->number);
        } else {
            return bad(p, path, "\"kind\" is \"%s\"; allowed: list, number", k);
        }
        if (rc || (rc = get_rect(p, to, path, &t->rect)) ||
            (rc = get(p, to, path, "label", json_type_object, 0, &label)))
            return rc;
        if (label) {
            char lpath[80];
            snprintf(lpath, sizeof lpath, "%s.label", path);
            if ((rc = get_str(p, label, lpath, "text", 1, &t->label)) ||
                (rc = get_rect(p, label, lpath, &t->label_rect)))
                return rc;
        }
        json_object *pr;
        if ((rc = get(p, to, path, "printed", json_type_object, 0, &pr)))
            return rc;
        if (pr) {
            char ppath[80];
            snprintf(ppath, sizeof ppath, "%s.printed", path);
            if ((rc = get_num(p, pr, ppath, "score", &t->printed_score)) ||
                (rc = get_num(p, pr, ppath, "faint", &t->printed_faint)))
                return rc;
            if (t->printed_score < 0 || t->printed_score > 1 || t->printed_faint < 0 ||
                t->printed_faint > 1)
                return bad(p, ppath, "\"score\" and \"faint\" must lie between 0 and 1");
            t->printed_set = 1;
        }
    }
    return ST_OK;
}

/* The optional "artwork" array of rectangles. */
static int parse_artwork(st_parse *p, json_object *root, st_model *m)
{
    json_object *arr;
    int rc = get(p, root, "$", "artwork", json_type_array, 0, &arr);
    if (rc || !arr)
        return rc;
    size_t n = json_object_array_length(arr);
    m->artwork = calloc(n ? n : 1, sizeof *m->artwork);
    if (!m->artwork)
        return st_error_set(p->err, ST_ERR_NOMEM, "model: out of memory");
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "artwork[%zu]", i);
        json_object *ao = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(ao, json_type_object))
            return bad(p, path, "should be an object, not %s", type_name(ao));
        if ((rc = get_rect(p, ao, path, &m->artwork[m->n_artwork++])))
            return rc;
    }
    return ST_OK;
}

/* Line and column of byte offset off in text, for syntax errors. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

/* A key of an object in the text: where it starts (its opening quote) and
 * its bytes; a key with escapes is decoded into dec. */
typedef struct st_jkey {
    const char *at;
    const char *s;
    size_t len;
    char *dec;
} st_jkey;

static int st_jkey_cmp(const void *a, const void *b)
{
    const st_jkey *x = a, *y = b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* json-c keeps the last of two equal keys in an object without a word,
 * so a model could say two things and mean the second. One pass over the
 * (already well-formed) text finds the keys of each object; when it
 * closes they are sorted and compared. Returns 1 and the later copy in
 * *dup (its text in dup->s, decoded) when a key repeats, 0 when none,
 * -1 on no memory. */
static int st_model_dup_key(const char *t, size_t n, st_jkey *dup, char **keep)
{
    st_jkey *keys = NULL;
    size_t nk = 0, ck = 0, depth = 0, cap_d = 0;
    struct frame {
        size_t first;
        int obj, want_key;
    } *st = NULL;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char c = t[i];
        if (c == '{' || c == '[') {
            if (depth == cap_d) {
                struct frame *ns = realloc(st, (cap_d = cap_d ? 2 * cap_d : 64) * sizeof *ns);
                if (!ns) {
                    rc = -1;
                    break;
                }
                st = ns;
            }
            st[depth++] = (struct frame){nk, c == '{', c == '{'};
        } else if ((c == '}' || c == ']') && depth) {
            struct frame *f = &st[--depth];
            if (f->obj && nk - f->first > 1) {
                qsort(keys + f->first, nk - f->first, sizeof *keys, st_jkey_cmp);
                for (size_t k = f->first + 1; k < nk && !rc; k++)
                    if (keys[k].len == keys[k - 1].len &&
                        !memcmp(keys[k].s, keys[k - 1].s, keys[k].len)) {
                        *dup = keys[k];
                        *keep = keys[k].dec;
                        keys[k].dec = NULL;
                        rc = 1;
                    }
            }
            for (size_t k = f->first; k < nk; k++)
                free(keys[k].dec);
            nk = f->first;
        } else if (c == ',' && depth && st[depth - 1].obj) {
            st[depth - 1].want_key = 1;
        } else if (c == '"') {
            size_t j = i + 1;
            int esc = 0;
            while (j < n && t[j] != '"') {
                if (t[j] == '\\')
                    esc = 1, j++;
                j++;
            }
            if (depth && st[depth - 1].obj && st[depth - 1].want_key) {
                st[depth - 1].want_key = 0;
                if (nk == ck) {
                    st_jkey *nv = realloc(keys, (ck = ck ? 2 * ck : 256) * sizeof *nv);
                    if (!nv) {
                        rc = -1;
                        break;
                    }
                    keys = nv;
                }
                st_jkey *k = &keys[nk++];
                *k = (st_jkey){t + i, t + i + 1, j - i - 1, NULL};
                if (esc) {
                    /* Let json-c undo the escapes: "\u0061" is "a". */
                    char *q = strndup(t + i, j - i + 1);
                    json_object *o = q ? json_tokener_parse(q) : NULL;
                    free(q);
                    if (o && json_object_is_type(o, json_type_string)) {
                        k->len = (size_t)json_object_get_string_len(o);
                        k->dec = malloc(k->len + 1);
                        if (k->dec)
                            memcpy(k->dec, json_object_get_string(o), k->len + 1);
                        k->s = k->dec;
                    }
                    json_object_put(o);
                    if (!k->dec)
                        rc = -1;
                }
            }
            i = j;
        }
    }
    for (size_t k = 0; k < nk; k++)
        free(keys[k].dec);
    free(keys);
    free(st);
    return rc;
}

int st_model_parse(const char *json, const char *name, st_model **out,
                   st_error *err)
{
    st_parse p = {name, err};
    st_model *m = NULL;
    json_object *root = NULL, *v;
    int rc;
    size_t len = strlen(json);

    json_tokener *tok = json_tokener_new();
    if (!tok)
        return st_error_set(err, ST_ERR_NOMEM, "model: out of memory");
    /* Standard JSON only (no comments or single quotes), in UTF-8. */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, json, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (jerr == json_tokener_continue || (jerr == json_tokener_success &&
                                          json_tokener_get_parse_end(tok) < len &&
                                          strspn(json + json_tokener_get_parse_end(tok),
                                                 " \t\r\n") != len - json_tokener_get_parse_end(tok))) {
        int line, col;
        size_t end = json_tokener_get_parse_end(tok);
        line_col(json, end, &line, &col);
        rc = st_error_set(err, ST_ERR_PARSE, "model: %s:%d:%d: malformed JSON: %s",
                          name, line, col,
                          jerr == json_tokener_continue ? "the text ends too early"
                                                        : "unexpected text after the model");
        goto out;
    }
    if (jerr != json_tokener_success) {
        int line, col;
        line_col(json, json_tokener_get_parse_end(tok), &line, &col);
        rc = st_error_set(err, ST_ERR_PARSE, "model: %s:%d:%d: malformed JSON: %s",
                          name, line, col, json_tokener_error_desc(jerr));
        goto out;
    }
    st_jkey dup = {json, json, 0, NULL};
    char *dup_text = NULL;
    int d = st_model_dup_key(json, len, &dup, &dup_text);
    if (d) {
        int line, col;
        line_col(json, (size_t)(dup.at - json), &line, &col);
        char where[600];
        snprintf(where, sizeof where, "model: %s:%d:%d", name, line, col);
        if (d < 0)
            rc = st_error_set(err, ST_ERR_NOMEM, "model: out of memory");
        else if (st_text_check_len(dup.s, dup.len, where, "a key given twice", err) == ST_OK)
            rc = st_error_set(err, ST_ERR_PARSE, "%s: key \"%.*s\" given twice in one object "
                              "(JSON readers would silently keep one)", where,
                              (int)(dup.len > 80 ? 80 : dup.len), dup.s);
        else
            rc = ST_ERR_PARSE;
        free(dup_text);
        goto out;
    }
    if (!json_object_is_type(root, json_type_object)) {
        rc = bad(&p, "$", "a model is a JSON object, not %s", type_name(root));
        goto out;
    }
    if ((rc = get(&p, root, "$", "format", json_type_string, 1, &v)))
        goto out;
    if (strcmp(json_object_get_string(v), ST_MODEL_FORMAT) != 0) {
        rc = bad(&p, "$", "\"format\" is \"%s\", expected \"%s\"",
                 json_object_get_string(v), ST_MODEL_FORMAT);
        goto out;
    }
    if ((rc = get(&p, root, "$", "version", json_type_int, 1, &v)))
        goto out;
    if (json_object_get_int(v) != ST_MODEL_VERSION) {
        rc = bad(&p, "$", "\"version\" %d is not supported (this stemtel reads %d)",
                 json_object_get_int(v), ST_MODEL_VERSION);
        goto out;
    }

    m = st_model_new();
    if (!m) {
        rc = st_error_set(err, ST_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    json_object *el, *mu, *pa;
    if ((rc = get(&p, root, "$", "election", json_type_object, 1, &el)) ||
        (rc = get_str(&p, el, "election", "id", 1, &m->election_id)) ||
        (rc = get_str(&p, el, "election", "name", 1, &m->election_name)) ||
        (rc = get_str(&p, el, "election", "date", 0, &m->election_date)) ||
        (rc = get_str(&p, el, "election", "subcategory", 0, &m->election_subcategory)) ||
        (rc = get(&p, root, "$", "municipality", json_type_object, 1, &mu)) ||
        (rc = get_str(&p, mu, "municipality", "code", 1, &m->municipality_code)) ||
        (rc = get_str(&p, mu, "municipality", "name", 1, &m->municipality_name)) ||
        (rc = get(&p, root, "$", "paper", json_type_object, 1, &pa)) ||
        (rc = get_num(&p, pa, "paper", "width_mm", &m->paper_w)) ||
        (rc = get_num(&p, pa, "paper", "height_mm", &m->paper_h)) ||
        (rc = parse_settings(&p, root, &m->settings)) ||
        (rc = parse_lists(&p, root, m)) ||
        (rc = parse_fiducials(&p, root, m)) ||
        (rc = parse_targets(&p, root, m)) ||
        (rc = parse_artwork(&p, root, m)))
        goto out;
    *out = m;
    m = NULL;
    rc = ST_OK;
out:
    st_model_free(m);
    json_object_put(root);
    json_tokener_free(tok);
    return rc;
}

/* A model file is a few hundred KB; 100,000 boxes take about 10 MB. */
#define ST_MODEL_MAX_BYTES (64u << 20)

int st_model_load(const char *path, st_model **out, st_error *err)
{
    /* Non-blocking, so that a FIFO given as the model is refused rather
     * than waited on for ever; then only a regular file of bounded size. */
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return st_error_set(err, ST_ERR_IO, "model: %s: cannot open: %m", path);
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return st_error_set(err, ST_ERR_IO, "model: %s: not a regular file", path);
    }
    if ((unsigned long long)st.st_size > ST_MODEL_MAX_BYTES) {
        close(fd);
        return st_error_set(err, ST_ERR_INVALID, "model: %s: %lld bytes: a model file is at "
                            "most %u", path, (long long)st.st_size, ST_MODEL_MAX_BYTES);
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return st_error_set(err, ST_ERR_IO, "model: %s: cannot open: %m", path);
    }
    char *buf = NULL;
    size_t cap = 0, len = 0, got;
    int rc = ST_OK;
    do {
        if (cap - len < 65536) {
            char *nb = realloc(buf, cap = cap ? cap * 2 : 131072);
            if (!nb) {
                rc = st_error_set(err, ST_ERR_NOMEM, "model: out of memory");
                goto out;
            }
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    if (ferror(f)) {
        rc = st_error_set(err, ST_ERR_IO, "model: %s: read error", path);
        goto out;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        rc = st_error_set(err, ST_ERR_PARSE, "model: %s: contains a NUL byte: not a JSON model",
                          path);
        goto out;
    }
    rc = st_model_parse(buf, path, out, err);
out:
    free(buf);
    fclose(f);
    return rc;
}

int st_model_load_checked(const char *path, st_model **out, st_error *err)
{
    st_model *m = NULL;
    int rc = st_model_load(path, &m, err);
    if (rc)
        return rc;
    st_problems pr = {0};
    int n = st_model_check(m, &pr);
    if (n < 0) {
        rc = st_error_set(err, ST_ERR_NOMEM, "model: out of memory");
    } else if (n == 1) {
        rc = st_error_set(err, ST_ERR_INVALID, "model: %s: %s", path, pr.msg[0]);
    } else if (n > 1) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "model: %s: %s (and %d more problems: run `stemtel model check %s`)",
                          path, pr.msg[0], n - 1, path);
    }
    st_problems_free(&pr);
    if (rc) {
        st_model_free(m);
        return rc;
    }
    *out = m;
    return ST_OK;
}

/* ---- serialising -------------------------------------------------------- */

static json_object *num(double v) { return st_json_num(v, 4); }

static void put_rect(json_object *o, st_rect r)
{
    json_object_object_add(o, "x_mm", num(r.x));
    json_object_object_add(o, "y_mm", num(r.y));
    json_object_object_add(o, "w_mm", num(r.w));
    json_object_object_add(o, "h_mm", num(r.h));
}

static json_object *str(const char *s)
{
    return json_object_new_string(s ? s : "");
}

char *st_model_to_json(const st_model *m, st_error *err)
{
    json_object *root = json_object_new_object(), *o, *a;
    const st_settings *s = &m->settings;
    json_object_object_add(root, "format", str(ST_MODEL_FORMAT));
    json_object_object_add(root, "version", json_object_new_int(ST_MODEL_VERSION));

    o = json_object_new_object();
    json_object_object_add(o, "id", str(m->election_id));
    json_object_object_add(o, "name", str(m->election_name));
    json_object_object_add(o, "date", str(m->election_date));
    if (m->election_subcategory && *m->election_subcategory)
        json_object_object_add(o, "subcategory", str(m->election_subcategory));
    json_object_object_add(root, "election", o);

    o = json_object_new_object();
    json_object_object_add(o, "code", str(m->municipality_code));
    json_object_object_add(o, "name", str(m->municipality_name));
    json_object_object_add(root, "municipality", o);

    o = json_object_new_object();
    json_object_object_add(o, "width_mm", num(m->paper_w));
    json_object_object_add(o, "height_mm", num(m->paper_h));
    json_object_object_add(root, "paper", o);

    o = json_object_new_object();
    json_object *th = json_object_new_object();
    json_object_object_add(th, "marginal", num(s->marginal));
    json_object_object_add(th, "definite", num(s->definite));
    json_object_object_add(o, "thresholds", th);
    json_object_object_add(o, "party_only", str(party_only_names[s->party_only]));
    json_object_object_add(o, "beyond_list", str(beyond_list_names[s->beyond_list]));
    json_object_object_add(o, "multiple_numbers",
                           str(multiple_numbers_names[s->multiple_numbers]));
    json_object_object_add(o, "outline_mm", num(s->outline_mm));
    json_object *scan = json_object_new_object(), *fm = json_object_new_array();
    json_object_object_add(scan, "dpi", json_object_new_int(s->scan_dpi));
    json_object_object_add(scan, "jpeg_min_dpi", json_object_new_int(s->jpeg_min_dpi));
    for (size_t k = 0; k < 3; k++)
        if (s->scan_formats & scan_format_names[k].bit)
            json_object_array_add(fm, str(scan_format_names[k].name));
    json_object_object_add(scan, "formats", fm);
    json_object_object_add(o, "scan", scan);
    json_object_object_add(root, "settings", o);

    a = json_object_new_array();
    for (int i = 0; i < m->n_lists; i++) {
        const st_list *l = &m->lists[i];
        json_object *lo = json_object_new_object(), *ca = json_object_new_array();
        json_object_object_add(lo, "number", json_object_new_int(l->number));
        json_object_object_add(lo, "name", str(l->name));
        for (int j = 0; j < l->n_candidates; j++) {
            json_object *co = json_object_new_object();
            json_object_object_add(co, "number", json_object_new_int(l->candidates[j].number));
            json_object_object_add(co, "name", str(l->candidates[j].name));
            json_object_array_add(ca, co);
        }
        json_object_object_add(lo, "candidates", ca);
        json_object_array_add(a, lo);
    }
    json_object_object_add(root, "lists", a);

    a = json_object_new_array();
    for (int i = 0; i < m->n_fiducials; i++) {
        json_object *fo = json_object_new_object();
        json_object_object_add(fo, "id", str(m->fiducials[i].id));
        put_rect(fo, m->fiducials[i].rect);
        json_object_array_add(a, fo);
    }
    json_object_object_add(root, "fiducials", a);

    a = json_object_new_array();
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        json_object *to = json_object_new_object();
        json_object_object_add(to, "id", str(t->id));
        json_object_object_add(to, "kind", str(t->kind == ST_TARGET_LIST ? "list" : "number"));
        json_object_object_add(to, t->kind == ST_TARGET_LIST ? "list" : "number",
                               json_object_new_int(t->number));
        put_rect(to, t->rect);
        if (t->label) {
            json_object *lo = json_object_new_object();
            json_object_object_add(lo, "text", str(t->label));
            put_rect(lo, t->label_rect);
            json_object_object_add(to, "label", lo);
        }
        if (t->printed_set) {
            json_object *po = json_object_new_object();
            json_object_object_add(po, "score", num(t->printed_score));
            json_object_object_add(po, "faint", num(t->printed_faint));
            json_object_object_add(to, "printed", po);
        }
        json_object_array_add(a, to);
    }
    json_object_object_add(root, "targets", a);

    if (m->n_artwork) {
        a = json_object_new_array();
        for (int i = 0; i < m->n_artwork; i++) {
            json_object *ao = json_object_new_object();
            put_rect(ao, m->artwork[i]);
            json_object_array_add(a, ao);
        }
        json_object_object_add(root, "artwork", a);
    }

    char *res = st_json_text(root);
    if (!res)
        st_error_set(err, ST_ERR_NOMEM, "model: out of memory");
    json_object_put(root);
    return res;
}

int st_model_save(const st_model *m, const char *path, st_error *err)
{
    char *txt = st_model_to_json(m, err);
    if (!txt)
        return err ? err->code : ST_ERR_NOMEM;
    int rc = ST_OK;
    FILE *f = fopen(path, "wb");
    if (!f) {
        rc = st_error_set(err, ST_ERR_IO, "model: %s: cannot write: %m", path);
        goto out;
    }
    size_t n = strlen(txt);
    if (fwrite(txt, 1, n, f) != n)
        rc = st_error_set(err, ST_ERR_IO, "model: %s: write failed: %m", path);
    if (fclose(f) != 0 && rc == ST_OK)
        rc = st_error_set(err, ST_ERR_IO, "model: %s: write failed: %m", path);
out:
    free(txt);
    return rc;
}
