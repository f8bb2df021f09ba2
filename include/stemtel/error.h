/* error.h - status codes and the caller-owned error buffer
 *
 * Every fallible stemtel function returns an int status (ST_OK or a negative
 * ST_ERR_*) or NULL, and writes a human-readable message, prefixed with the
 * module's domain ("model: ...", "eml: ..."), into an st_error the caller
 * owns. There is no global error state, so any thread may use its own buffer.
 */
#ifndef STEMTEL_ERROR_H
#define STEMTEL_ERROR_H

#include <stddef.h>

enum {
    ST_OK = 0,
    ST_ERR_IO = -1,          /* a file could not be opened, read or written */
    ST_ERR_PARSE = -2,       /* input is not well-formed (JSON, XML, TIFF) */
    ST_ERR_INVALID = -3,     /* well-formed input that breaks a rule */
    ST_ERR_NOMEM = -4,       /* allocation failed */
    ST_ERR_UNSUPPORTED = -5, /* a format or option we do not handle */
    ST_ERR_ARG = -6          /* a caller passed a bad argument */
};

#ifdef __cplusplus
extern "C" {
#endif

#define ST_ERROR_MAX 1024

typedef struct st_error {
    int code;
    char msg[ST_ERROR_MAX];
} st_error;

/* Record code and a printf-style message in err (which may be NULL).
 * Returns code, so callers can write `return st_error_set(err, ...)`.
 * Thread-safe as long as each thread uses its own err. */
int st_error_set(st_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in err with "prefix: ", e.g. a file name.
 * Returns err->code (or ST_ERR_ARG if err is NULL). */
int st_error_prefix(st_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif
