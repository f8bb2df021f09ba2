/* jsonrec.h - write one JSON record (a line of a .jsonl file) to a stream
 *
 * ballots.jsonl and truth.jsonl are written field by field rather than
 * built as a json-c tree: a page's record has hundreds of numbers, and a
 * tree per page would cost more than reading the page. The writer puts
 * the commas and colons; numbers go through jsonfmt (fixed decimals, no
 * "-0"), and a number that is not finite is written as null, so every
 * record is valid JSON whatever a computation produced.
 */
#ifndef STEMTEL_JSONREC_H
#define STEMTEL_JSONREC_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ST_JSONREC_DEPTH 16

typedef struct st_jsonrec {
    FILE *f;
    int depth;
    int count[ST_JSONREC_DEPTH]; /* values written so far at each level */
    char close[ST_JSONREC_DEPTH];
} st_jsonrec;

/* Start a record on f. Nothing is written until the first value. */
void st_jsonrec_start(st_jsonrec *w, FILE *f);

/* Open an object or array: as a member named key inside an object, or
 * (key NULL) as the top value or an array's element. */
void st_jsonrec_obj(st_jsonrec *w, const char *key);
void st_jsonrec_arr(st_jsonrec *w, const char *key);

/* Close the innermost open object or array. */
void st_jsonrec_end(st_jsonrec *w);

/* Values; key as above. str NULL writes null. num writes v with
 * `decimals` places (trim: no trailing zeros), null when v is NaN or
 * infinite. */
void st_jsonrec_str(st_jsonrec *w, const char *key, const char *v);
void st_jsonrec_int(st_jsonrec *w, const char *key, long long v);
void st_jsonrec_uint(st_jsonrec *w, const char *key, unsigned long long v);
void st_jsonrec_num(st_jsonrec *w, const char *key, double v, int decimals, int trim);
void st_jsonrec_bool(st_jsonrec *w, const char *key, int v);
void st_jsonrec_null(st_jsonrec *w, const char *key);

#ifdef __cplusplus
}
#endif

#endif
