/* csv.h - split one line of a CSV file into its fields
 *
 * The readers of people's CSV files (the basistelling, the station list)
 * take RFC 4180 fields: comma-separated, a field may be double-quoted, a
 * quote inside a quoted one doubled.
 */
#ifndef STEMTEL_UTIL_CSV_H
#define STEMTEL_UTIL_CSV_H

#ifdef __cplusplus
extern "C" {
#endif

/* Added to a refusal of a header field with a semicolon in it: the file is
 * probably one that a Dutch spreadsheet saved with semicolons. */
#define ST_CSV_SEMICOLON_HINT                                                       \
    "; the line is split by semicolons, as a spreadsheet set to Dutch saves "      \
    "CSV: save it as \"CSV UTF-8 (comma delimited)\" or replace ; by ,"

/* Split line (its end of line removed; modified in place) into at most
 * max fields, pointers into line with the quoting undone. Returns how
 * many, max + 1 when there are more, -1 for a quote left open or text
 * after a closing quote. Pure. */
int st_csv_split(char *line, char **fields, int max);

#ifdef __cplusplus
}
#endif

#endif
