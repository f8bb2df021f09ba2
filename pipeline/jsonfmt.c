/* jsonfmt.c - tidy, stable numbers in the JSON stemtel writes */
#include "stemtel/jsonfmt.h"

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
