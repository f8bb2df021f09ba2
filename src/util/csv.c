/* csv.c - split one line of a CSV file into its fields
 *
 * One pass over the line, writing each field's text back over itself
 * (undoing the quoting only ever shortens it) and ending it with a NUL.
 */
#include "util/csv.h"

int st_csv_split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return max + 1;
        char *w = p;
        fields[n++] = w;
        if (*p == '"') {
            p++;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            if (*p && *p != ',')
                return -1;
        } else {
            while (*p && *p != ',')
                *w++ = *p++;
        }
        int end = !*p;
        *w = '\0';
        if (end)
            return n;
        p++;
    }
}
