/* jsonfmt.h - tidy, stable numbers in the JSON stemtel writes
 *
 * json-c prints doubles with "%.17g", which turns 12.3 into
 * 12.300000000000001; files meant for people and for byte comparison
 * need a fixed number of decimals instead.
 */
#ifndef STEMTEL_JSONFMT_H
#define STEMTEL_JSONFMT_H

#include <json-c/json.h>
#include <stdio.h>

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A json-c number holding v rounded to `decimals` places (0..9), printed
 * without trailing zeros ("12.3", "7", "0.045"). Returns a new reference
 * (NULL on no memory). Thread-safe. */
json_object *st_json_num(double v, int decimals);

/* The pretty-printed text of root (2-space indent, no escaped slashes)
 * followed by a newline, as a malloc'd string the caller frees; NULL on no
 * memory. Does not take root's reference. */
char *st_json_text(json_object *root);

/* The text of root on one line (no spaces, no escaped slashes: strict
 * JSON for a browser), then takes root's reference (root NULL: none).
 * ST_OK with *out malloc'd, the caller's; ST_ERR_NOMEM with "what: out
 * of memory" in err. */
int st_json_finish(json_object *root, const char *what, char **out, st_error *err);

/* Write s as a JSON string to f: quotes, backslashes and control
 * characters escaped, UTF-8 passed through. For writers that stream
 * records by hand (ballots.jsonl, truth.jsonl) instead of building a tree. */
void st_json_fput_str(FILE *f, const char *s);

/* Write v with `decimals` places to f, never as "-0"; with trim, trailing
 * zeros (and a bare point) are dropped. */
void st_json_fput_num(FILE *f, double v, int decimals, int trim);

#ifdef __cplusplus
}
#endif

#endif
