/* text.h - check text that enters from outside, and escape it for a terminal
 *
 * Text from EML, CSV, model files and the command line ends up in the
 * store, in XML the Kiesraad reads and on people's screens. It must be
 * valid UTF-8 and hold only characters XML 1.0 allows, without control
 * characters (C0, DEL, C1): those break the 510b and let a name move a
 * terminal's cursor or fake a line. Readers call st_text_check on every
 * field and refuse what fails, naming file, line and field; writers to a
 * terminal pass what the store holds (which an older stemtel may have let
 * in) through st_text_put.
 */
#ifndef STEMTEL_UTIL_TEXT_H
#define STEMTEL_UTIL_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* NULL when the len bytes at s are valid UTF-8 (no overlong forms, no
 * surrogates) without a control character, NUL, U+FFFE or U+FFFF; else a
 * static description of the first problem ("invalid UTF-8", "a control
 * character", "a NUL character") and, when at is not NULL, its byte offset
 * in *at. Pure. */
const char *st_text_problem(const char *s, size_t len, size_t *at);

/* As st_text_problem, but tab, line feed and carriage return pass: raw
 * XML text, where they are whitespace that the readers collapse. */
const char *st_text_problem_xml(const char *s, size_t len, size_t *at);

/* ST_OK when s (NUL-terminated; NULL counts as "") passes st_text_problem,
 * else ST_ERR_INVALID with "<where>: <field>: <problem> at byte N" in err.
 * where names the file and line ("basis: a.csv: line 3"). */
int st_text_check(const char *s, const char *where, const char *field, st_error *err);

/* As st_text_check for len bytes that may hold a NUL (a JSON string). */
int st_text_check_len(const char *s, size_t len, const char *where, const char *field,
                      st_error *err);

/* Write s (NULL writes nothing) to f so that a terminal shows it and does
 * nothing else: control characters, DEL, C1 characters and bytes that
 * are not UTF-8 become \xNN, a backslash becomes \\. Returns what fputs
 * would (EOF on a write error). Not thread-safe for the same f. */
int st_text_put(FILE *f, const char *s);

/* s escaped as st_text_put writes it, into buf (n bytes), ending in "..."
 * when it does not fit; NULL s gives "". Returns buf, so it can be an
 * argument of printf. Pure. */
const char *st_text_shown(const char *s, char *buf, size_t n);

/* st_text_shown into an array buf. */
#define ST_TEXT_SHOWN(s, buf) st_text_shown((s), (buf), sizeof(buf))

#ifdef __cplusplus
}
#endif

#endif
