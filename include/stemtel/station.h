/* station.h - polling station ids and the municipality's list of them
 *
 * A polling station is named as EML names it: the municipality's 4-digit
 * CBS code, "::SB" and the station's number, e.g. "0668::SB3". The list
 * of a municipality's stations comes from its EML 110b file (the
 * polling-station file; st_eml_read_stations in eml.h) or from a CSV with
 * the columns id, name and, optionally, postcode:
 *
 *   id,name,postcode
 *   0668::SB1,Gemeentehuis Beneden-Leeuwen,6658 EG
 *
 * (UTF-8, comma-separated, fields may be double-quoted with "" inside,
 * one header row; a station once). Every reader refuses, naming the file
 * and line, an id not of that form, a name empty or holding a control
 * character, and an id given twice.
 */
#ifndef STEMTEL_STATION_H
#define STEMTEL_STATION_H

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_STATION_ID_MAX 24   /* "dddd::SB" and up to 9 digits, terminated */

/* One listed station. name and postcode are malloc'd (postcode NULL when
 * not given); eligible is the voters entitled to vote there, -1 when not
 * given. */
typedef struct st_station_def {
    char id[ST_STATION_ID_MAX];
    char *name;
    char *postcode;
    long long eligible;
} st_station_def;

/* A municipality's list: its code ("" when the source does not say) and
 * its stations in the source's order. */
typedef struct st_station_list {
    char municipality[8];
    int n;
    st_station_def *v;
} st_station_list;

/* ST_OK when id has the form "dddd::SB<n>" (n a number from 1, no leading
 * zero); otherwise ST_ERR_ARG with a message naming id (printed safely:
 * control characters as escapes) and the form. Pure. */
int st_station_id_check(const char *id, st_error *err);

/* Read a station list from the CSV at path (see above) into *out (empty
 * it first with {0}); ST_OK, or ST_ERR_IO / ST_ERR_INVALID / ST_ERR_NOMEM
 * naming path and line, *out then left empty. */
int st_station_read_csv(const char *path, st_station_list *out, st_error *err);

/* Add one station to l (copying name and postcode; postcode may be NULL),
 * refusing a bad id, an empty or control-character name, or an id already
 * in l (ST_ERR_INVALID, message prefixed by where). ST_ERR_NOMEM. */
int st_station_list_add(st_station_list *l, const char *id, const char *name,
                        const char *postcode, long long eligible, const char *where,
                        st_error *err);

/* Free what l owns and empty it. Accepts NULL. */
void st_station_list_free(st_station_list *l);

#ifdef __cplusplus
}
#endif

#endif
