/* jsonrec.c - write one JSON record (a line of a .jsonl file) to a stream
 *
 * A stack of open containers and of how many values each holds so far
 * says where a comma goes. Deeper nesting than ST_JSONREC_DEPTH is a
 * programming error: the extra levels are written but not tracked.
 */
#include "util/jsonrec.h"

#include <math.h>

#include "util/jsonfmt.h"

void st_jsonrec_start(st_jsonrec *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->count[0] = 0;
}

/* The comma and the key before a value. */
static void lead(st_jsonrec *w, const char *key)
{
    if (w->count[w->depth]++)
        fputc(',', w->f);
    if (key) {
        st_json_fput_str(w->f, key);
        fputc(':', w->f);
    }
}

static void open_(st_jsonrec *w, const char *key, char open, char close)
{
    lead(w, key);
    fputc(open, w->f);
    if (w->depth + 1 < ST_JSONREC_DEPTH) {
        w->depth++;
        w->count[w->depth] = 0;
        w->close[w->depth] = close;
    }
}

void st_jsonrec_obj(st_jsonrec *w, const char *key) { open_(w, key, '{', '}'); }
void st_jsonrec_arr(st_jsonrec *w, const char *key) { open_(w, key, '[', ']'); }

void st_jsonrec_end(st_jsonrec *w)
{
    if (w->depth > 0)
        fputc(w->close[w->depth--], w->f);
}

void st_jsonrec_str(st_jsonrec *w, const char *key, const char *v)
{
    lead(w, key);
    if (v)
        st_json_fput_str(w->f, v);
    else
        fputs("null", w->f);
}

void st_jsonrec_int(st_jsonrec *w, const char *key, long long v)
{
    lead(w, key);
    fprintf(w->f, "%lld", v);
}

void st_jsonrec_uint(st_jsonrec *w, const char *key, unsigned long long v)
{
    lead(w, key);
    fprintf(w->f, "%llu", v);
}

void st_jsonrec_num(st_jsonrec *w, const char *key, double v, int decimals, int trim)
{
    lead(w, key);
    if (isfinite(v))
        st_json_fput_num(w->f, v, decimals, trim);
    else
        fputs("null", w->f);
}

void st_jsonrec_bool(st_jsonrec *w, const char *key, int v)
{
    lead(w, key);
    fputs(v ? "true" : "false", w->f);
}

void st_jsonrec_null(st_jsonrec *w, const char *key)
{
    lead(w, key);
    fputs("null", w->f);
}
