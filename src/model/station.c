/* station.c - polling station ids, and station lists from CSV
 *
 * The id check is a small hand scan of "dddd::SB<n>"; the CSV reader
 * takes one header row naming its columns and then one station a line,
 * with RFC 4180 quoting, and hands every row to st_station_list_add, which
 * all readers (this one and the 110b reader in eml.c) share.
 */
#include "stemtel/station.h"
#include "util/csv.h"
#include "util/text.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* id printed for a message: at most 40 bytes, control bytes as \xNN. */
static const char *shown(const char *id, char *buf, size_t n)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)id; *p && k + 5 < n && k < 40; p++)
        k += (size_t)snprintf(buf + k, n - k, *p < 0x20 || *p == 0x7f ? "\\x%02x" : "%c", *p);
    buf[k] = '\0';
    return buf;
}

int st_station_id_check(const char *id, st_error *err)
{
    char b[64];
    const char *p = id ? id : "";
    int ok = 1;
    for (int i = 0; i < 4; i++)
        ok &= isdigit((unsigned char)p[i]) != 0;
    ok = ok && !strncmp(p + 4, "::SB", 4) && p[8] >= '1' && p[8] <= '9';
    size_t digits = ok ? strspn(p + 8, "0123456789") : 0;
    if (!ok || p[8 + digits] != '\0' || digits > 9)
        return st_error_set(err, ST_ERR_ARG,
                            "station \"%s\" is not a polling station id: want the "
                            "municipality's 4-digit code, \"::SB\" and the station's number, "
                            "e.g. 0668::SB3", shown(p, b, sizeof b));
    return ST_OK;
}

int st_station_list_add(st_station_list *l, const char *id, const char *name,
                        const char *postcode, long long eligible, const char *where,
                        st_error *err)
{
    st_error e = {0};
    if (st_station_id_check(id, &e))
        return st_error_set(err, ST_ERR_INVALID, "%s: %s", where, e.msg);
    char field[64];
    snprintf(field, sizeof field, "station %s: name", id);
    if (st_text_check(name, where, field, err))
        return ST_ERR_INVALID;
    snprintf(field, sizeof field, "station %s: postcode", id);
    if (st_text_check(postcode, where, field, err))
        return ST_ERR_INVALID;
    if (!name || !*name)
        return st_error_set(err, ST_ERR_INVALID, "%s: station %s: no name", where, id);
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].id, id))
            return st_error_set(err, ST_ERR_INVALID, "%s: station %s given twice", where, id);
    st_station_def *nv = realloc(l->v, (size_t)(l->n + 1) * sizeof *nv);
    if (!nv)
        return st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", where);
    l->v = nv;
    st_station_def *d = &l->v[l->n];
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    d->eligible = eligible;
    if (!(d->name = strdup(name)) || (postcode && !(d->postcode = strdup(postcode)))) {
        free(d->name);
        return st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", where);
    }
    l->n++;
    return ST_OK;
}

void st_station_list_free(st_station_list *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].postcode);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

int st_station_read_csv(const char *path, st_station_list *out, st_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return st_error_set(err, ST_ERR_IO, "stations: %s: cannot open: %s", path,
                            strerror(errno));
    st_station_list l = {{0}, 0, NULL};
    char *line = NULL, where[4200];
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = ST_OK, col_id = -1, col_name = -1, col_post = -1, ncol = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (lineno == 1 && !strncmp(line, "\xef\xbb\xbf", 3))
            memmove(line, line + 3, (size_t)len - 2);
        snprintf(where, sizeof where, "stations: %s: line %d", path, lineno);
        if (!*line && lineno > 1)
            continue;
        char *fld[8];
        int n = st_csv_split(line, fld, 8);
        if (n < 0 || n > 8) {
            rc = st_error_set(err, ST_ERR_INVALID, "%s: a quote left open or more than 8 "
                              "columns", where);
            break;
        }
        if (lineno == 1) {
            ncol = n;
            for (int i = 0; i < n; i++) {
                /* "station" as the basistelling calls the same column. */
                int *c = !strcmp(fld[i], "id") || !strcmp(fld[i], "station") ? &col_id
                         : !strcmp(fld[i], "name")                           ? &col_name
                         : !strcmp(fld[i], "postcode")                       ? &col_post
                                                                             : NULL;
                if (!c) {
                    rc = st_error_set(err, ST_ERR_INVALID,
                                      "%s: unknown column \"%.40s\" (want id (or station), "
                                      "name and optionally postcode)%s", where, fld[i],
                                      strchr(fld[i], ';') ? ST_CSV_SEMICOLON_HINT : "");
                    break;
                }
                if (*c >= 0) {
                    rc = st_error_set(err, ST_ERR_INVALID, "%s: column %s twice", where, fld[i]);
                    break;
                }
                *c = i;
            }
            if (!rc && (col_id < 0 || col_name < 0))
                rc = st_error_set(err, ST_ERR_INVALID, "%s: the header must name the columns "
                                  "id and name", where);
            if (rc)
                break;
            continue;
        }
        if (n != ncol) {
            rc = st_error_set(err, ST_ERR_INVALID, "%s: %d fields, the header has %d", where, n,
                              ncol);
            break;
        }
        if ((rc = st_station_list_add(&l, fld[col_id], fld[col_name],
                                      col_post >= 0 && *fld[col_post] ? fld[col_post] : NULL,
                                      -1, where, err)))
            break;
    }
    if (!rc && ferror(f))
        rc = st_error_set(err, ST_ERR_IO, "stations: %s: read error", path);
    if (!rc && lineno == 0)
        rc = st_error_set(err, ST_ERR_INVALID, "stations: %s: empty file", path);
    if (!rc && l.n == 0)
        rc = st_error_set(err, ST_ERR_INVALID, "stations: %s: no stations", path);
    free(line);
    fclose(f);
    if (rc)
        st_station_list_free(&l);
    else
        *out = l;
    return rc;
}
