/* helpers.h - shared fixtures for the cmocka tests
 *
 * Tests find the Kiesraad data through $STEMTEL_DATA (../shared/data), the
 * repository through $STEMTEL_ROOT and the built command through
 * $STEMTEL_BIN; `make test` sets all three.
 */
#ifndef STEMTEL_TEST_HELPERS_H
#define STEMTEL_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "stemtel/error.h"

/* Fail the test with the library's own message when rc is not ST_OK. */
#define assert_st_ok(rc, err)                                               \
    do {                                                                    \
        int rc_ = (rc);                                                     \
        if (rc_ != ST_OK)                                                   \
            fail_msg("%s returned %d: %s", #rc, rc_, (err)->msg);          \
    } while (0)

/* Path of a file under $STEMTEL_DATA (static buffer per call site is not
 * safe: the result is malloc'd, free it). Fails the test if unset. */
char *th_data(const char *rel);

/* Path under $STEMTEL_ROOT, malloc'd. */
char *th_root(const char *rel);

/* Make a fresh empty temporary directory; malloc'd path. */
char *th_tmpdir(void);

/* Remove a directory tree (best effort). */
void th_rmtree(const char *dir);

/* Run the stemtel command with the given argument string through the shell
 * ("model check x.json"); stdout+stderr go to *output (malloc'd, may be
 * NULL). Returns the exit status (0..255) or -1 if it could not run. */
int th_run(char **output, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read a whole file; malloc'd, NUL-terminated; *len if non-NULL. NULL on
 * failure. */
char *th_slurp(const char *path, size_t *len);

/* Write a string to a file; fails the test on error. */
void th_write(const char *path, const char *text);

/* The text of the PDF file pdf as pdftotext (poppler-utils) reads it, in
 * UTF-8; malloc'd. Fails the test when pdftotext fails. */
char *th_pdf_text(const char *pdf);

/* Nonzero when word occurs in text as a whole word: with white space, or
 * the start or end of text, on both sides (a figure in pdftotext's text,
 * however it lays out the table around it). */
int th_has_word(const char *text, const char *word);

/* The SHA-256 of file path as sha256sum computes it, 64 hex digits;
 * malloc'd. Fails the test when it cannot be computed. */
char *th_sha256sum(const char *path);

struct json_object;

/* Read the JSON Lines file path (ballots.jsonl, truth.jsonl), every line
 * parsed by json-c in strict mode (JSON_TOKENER_STRICT, and valid UTF-8):
 * each line one JSON object and nothing after it, ended by a newline, no
 * empty lines, no NUL bytes. Fails the test naming what (e.g. the set the
 * file belongs to, may be NULL), the file and the first bad line. Returns
 * the records in file order (malloc'd array of owned objects, NULL when
 * the file is empty; free with th_jsonl_free) and *n, their number. */
struct json_object **th_jsonl_strict(const char *path, const char *what, int *n);

/* Release what th_jsonl_strict returned; accepts NULL. */
void th_jsonl_free(struct json_object **v, int n);

/* Member k of object o: the value, or NULL when o is NULL, k is absent or
 * its value is null. Borrowed, like json_object_object_get_ex's. */
struct json_object *th_json_get(struct json_object *o, const char *k);

/* A string member, "" when absent, null or not a string. Borrowed. */
const char *th_json_str(struct json_object *o, const char *k);

/* An integer member, -1 when absent or null. */
int th_json_int(struct json_object *o, const char *k);

#endif
