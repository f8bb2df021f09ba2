/* error.c - fill the caller's error buffer
 *
 * Messages are formatted straight into the fixed buffer; a message longer
 * than ST_ERROR_MAX is cut, never overflowed.
 */
#include "stemtel/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int st_error_set(st_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int st_error_prefix(st_error *err, const char *fmt, ...)
{
    if (!err)
        return ST_ERR_ARG;
    char head[ST_ERROR_MAX], old[ST_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", head, old);
    return err->code;
}
