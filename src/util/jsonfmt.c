/* jsonfmt.c - tidy, stable numbers in the JSON stemtel writes */
#include "util/jsonfmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *st_json_num(double v, int decimals)
{
    char buf[64];
    if (decimals < 0 || decimals > 9)
        decimals = 4;
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (strchr(buf, '.')) {
        char *e = buf + strlen(buf) - 1;
        while (*e == '0')
            *e-- = '\0';
        if (*e == '.')
            *e = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
    return json_object_new_double_s(v, buf);
}

int st_json_finish(json_object *root, const char *what, char **out, st_error *err)
{
    const char *t = root ? json_object_to_json_string_ext(
                               root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                         : NULL;
    char *copy = t ? strdup(t) : NULL;
    json_object_put(root);
    if (!copy)
        return st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", what);
    *out = copy;
    return ST_OK;
}

char *st_json_text(json_object *root)
{
    const char *txt = json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                  JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t n = strlen(txt);
    char *res = malloc(n + 2);
    if (res) {
        memcpy(res, txt, n);
        memcpy(res + n, "\n", 2);
    }
    return res;
}

void st_json_fput_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c == '\n')
            fputs("\\n", f);
        else if (*c == '\t')
            fputs("\\t", f);
        else if (*c < 0x20)
            fprintf(f, "\\u%04x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

void st_json_fput_num(FILE *f, double v, int decimals, int trim)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, v);
    if (trim && strchr(buf, '.')) {
        char *e = buf + strlen(buf) - 1;
        while (*e == '0')
            *e-- = '\0';
        if (*e == '.')
            *e = '\0';
    }
    /* "-0", "-0.00": a rounding artefact, not a value. */
    if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
        memmove(buf, buf + 1, strlen(buf));
    fputs(buf, f);
}
