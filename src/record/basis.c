/* basis.c - the polling stations' own counts (basistelling, Model N 10-2)
 *
 * The CSV reader splits the file into lines and each line into fields
 * (quotes allowed), maps the header's names to the figures of st_basis
 * once, and then fills one st_basis per row, refusing the first field that
 * does not fit with its line and column. The EML import takes the 510b
 * as eml510.h reads it and keeps the list totals and the N 10-2 figures.
 * Both hand out their result only when every row was read.
 * In the store the figures are one row of `basis` per station, one row
 * of `basis_lists` per list and one of `basis_form` for the D/H box and
 * the explanation answer; a second entry has the same three tables named
 * basis2*. The GSB's Bijlage 1 answers are one row of `answers` per
 * station and question, with who gave them.
 */
#include "stemtel/basis.h"
#include "record/storedb.h"
#include "util/csv.h"
#include "util/text.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stemtel/eml510.h"

void st_basis_clear(st_basis *b)
{
    if (!b)
        return;
    free(b->station);
    free(b->name);
    free(b->list);
    free(b->votes);
    memset(b, 0, sizeof *b);
}

void st_basis_set_free(st_basis_set *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n; i++)
        st_basis_clear(&s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

int64_t st_basis_list_votes(const st_basis *b, int list)
{
    for (int i = 0; i < b->n_lists; i++)
        if (b->list[i] == list)
            return b->votes[i];
    return 0;
}

/* A new, zeroed entry at the end of set, with the model's lists. */
static st_basis *add_station(st_basis_set *set, const st_model *m)
{
    st_basis *nv = realloc(set->v, (size_t)(set->n + 1) * sizeof *nv);
    if (!nv)
        return NULL;
    set->v = nv;
    st_basis *b = &nv[set->n];
    memset(b, 0, sizeof *b);
    b->eligible = -1;
    b->explained = 1;
    b->explained_as = ST_ANSWER_UNKNOWN;
    b->boxes = ST_BOXES_UNKNOWN;
    b->list = calloc((size_t)(m->n_lists ? m->n_lists : 1), sizeof *b->list);
    b->votes = calloc((size_t)(m->n_lists ? m->n_lists : 1), sizeof *b->votes);
    if (!b->list || !b->votes) {
        st_basis_clear(b);
        return NULL;
    }
    b->n_lists = m->n_lists;
    for (int i = 0; i < m->n_lists; i++)
        b->list[i] = m->lists[i].number;
    set->n++;
    return b;
}

static int station_taken(const st_basis_set *set, const char *station)
{
    for (int i = 0; i < set->n - 1; i++)
        if (!strcmp(set->v[i].station, station))
            return 1;
    return 0;
}

/* ---- CSV ------------------------------------------------------------------ */

/* Column roles: a figure of st_basis, a list, or text. */
enum { COL_STATION = -1, COL_NAME = -2, COL_EXPLAINED = -3, COL_ELIGIBLE = -4, COL_BOX = -5,
       COL_LIST = -6 };
static const char *const letters = "ABCDEFGHIJ";

static int64_t *figure(st_basis *b, char letter)
{
    int64_t *f[] = {&b->A, &b->B, &b->C, &b->D, &b->E, &b->F, &b->G, &b->H, &b->I, &b->J};
    return f[strchr(letters, letter) - letters];
}

static int parse_count(const char *t, int64_t *v)
{
    char *e;
    if (!*t || strspn(t, "0123456789") != strlen(t) || strlen(t) > 15)
        return -1;
    *v = strtoll(t, &e, 10);
    return 0;
}

/* The explained column: yes/no, empty (unanswered) or both. */
static int parse_answer(const char *t, st_answer *a)
{
    if (!strcasecmp(t, "yes") || !strcasecmp(t, "ja"))
        *a = ST_ANSWER_YES;
    else if (!strcasecmp(t, "no") || !strcasecmp(t, "nee"))
        *a = ST_ANSWER_NO;
    else if (!strcasecmp(t, "both") || !strcasecmp(t, "beide"))
        *a = ST_ANSWER_BOTH;
    else if (!t[strspn(t, " ")])
        *a = ST_ANSWER_BLANK;
    else
        return -1;
    return 0;
}

/* The box column: "D=H", "H>D", "H<D" joined by '+', or none. */
static int parse_boxes(const char *t, int *boxes)
{
    static const struct { const char *name; int bit; } box[] = {
        {"D=H", ST_BOX_D_IS_H}, {"H>D", ST_BOX_H_OVER_D}, {"H<D", ST_BOX_H_UNDER_D}};
    int mask = 0;
    if (!*t || !strcasecmp(t, "none") || !strcasecmp(t, "geen")) {
        *boxes = 0;
        return 0;
    }
    for (const char *p = t;;) {
        size_t n = strcspn(p, "+");
        int bit = 0;
        for (size_t k = 0; k < sizeof box / sizeof *box; k++)
            if (n == strlen(box[k].name) && !strncasecmp(p, box[k].name, n))
                bit = box[k].bit;
        if (!bit || (mask & bit))
            return -1;
        mask |= bit;
        if (!p[n])
            break;
        p += n + 1;
    }
    *boxes = mask;
    return 0;
}

#define MAX_COLS 512

int st_basis_read_csv(const char *path, const st_model *m, st_basis_set *out, st_error *err)
{
    FILE *f = fopen(path, "rb");
    char *line = NULL, *fields[MAX_COLS + 1];
    size_t cap = 0;
    int role[MAX_COLS], n_cols = 0, lineno = 0, rc = ST_OK;
    char heads[MAX_COLS][32];
    st_basis_set set = {0, NULL};
    if (!f)
        return st_error_set(err, ST_ERR_IO, "basis: %s: cannot open: %s", path, strerror(errno));
    ssize_t got;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (lineno == 1 && !strncmp(line, "\xef\xbb\xbf", 3))
            memmove(line, line + 3, strlen(line + 3) + 1);
        if (!got)
            continue;
        int n = st_csv_split(line, fields, MAX_COLS);
        if (n < 0) {
            rc = st_error_set(err, ST_ERR_PARSE, "basis: %s: line %d: a quote is not closed",
                              path, lineno);
            goto out;
        }
        char where[4200];
        snprintf(where, sizeof where, "basis: %s: line %d", path, lineno);
        for (int c = 0; c < n && c < MAX_COLS; c++) {
            char field[64];
            if (n_cols)
                snprintf(field, sizeof field, "column %s", heads[c]);
            else
                snprintf(field, sizeof field, "header column %d", c + 1);
            if ((rc = st_text_check(fields[c], where, field, err)))
                goto out;
        }
        if (!n_cols) { /* the header */
            int seen[10] = {0}, *seen_list = calloc((size_t)m->n_lists + 1, sizeof *seen_list);
            int have_station = 0, have_explained = 0, have_box = 0, have_name = 0, have_eligible = 0;
            if (!seen_list) {
                rc = st_error_set(err, ST_ERR_NOMEM, "basis: out of memory");
                goto out;
            }
            if (n > MAX_COLS) {
                free(seen_list);
                rc = st_error_set(err, ST_ERR_PARSE, "basis: %s: more than %d columns", path,
                                  MAX_COLS);
                goto out;
            }
            for (int c = 0; c < n; c++) {
                const char *h = fields[c];
                snprintf(heads[c], sizeof heads[c], "%s", h);
                int dup = 0;
                if (!strcmp(h, "station"))
                    role[c] = COL_STATION, dup = have_station++;
                else if (!strcmp(h, "name"))
                    role[c] = COL_NAME, dup = have_name++;
                else if (!strcmp(h, "explained"))
                    role[c] = COL_EXPLAINED, dup = have_explained++;
                else if (!strcmp(h, "eligible"))
                    role[c] = COL_ELIGIBLE, dup = have_eligible++;
                else if (!strcmp(h, "box"))
                    role[c] = COL_BOX, dup = have_box++;
                else if (strlen(h) == 1 && strchr(letters, h[0]))
                    role[c] = h[0], dup = seen[h[0] - 'A']++;
                else if (!strncmp(h, "E.", 2)) {
                    int64_t num;
                    int li = -1;
                    if (!parse_count(h + 2, &num))
                        for (int k = 0; k < m->n_lists; k++)
                            if (m->lists[k].number == num)
                                li = k;
                    if (li < 0) {
                        free(seen_list);
                        rc = st_error_set(err, ST_ERR_INVALID,
                                          "basis: %s: line 1: column \"%s\": the ballot has "
                                          "no such list", path, h);
                        goto out;
                    }
                    role[c] = COL_LIST - li;
                    dup = seen_list[li]++;
                } else {
                    free(seen_list);
                    rc = st_error_set(err, ST_ERR_INVALID,
                                      "basis: %s: line 1: unknown column \"%.40s\" (want station, "
                                      "A..J, E.<list>, explained, box, name, eligible)%s", path,
                                      h, strchr(h, ';') ? ST_CSV_SEMICOLON_HINT : "");
                    goto out;
                }
                if (dup) {
                    free(seen_list);
                    rc = st_error_set(err, ST_ERR_INVALID,
                                      "basis: %s: line 1: column \"%s\" given twice", path, h);
                    goto out;
                }
            }
            const char *missing = !have_station ? "station" : !have_explained ? "explained" : NULL;
            char name[32];
            for (int k = 0; !missing && k < 10; k++)
                if (!seen[k]) {
                    snprintf(name, sizeof name, "%c", letters[k]);
                    missing = name;
                }
            for (int k = 0; !missing && k < m->n_lists; k++)
                if (!seen_list[k]) {
                    snprintf(name, sizeof name, "E.%d", m->lists[k].number);
                    missing = name;
                }
            free(seen_list);
            if (missing) {
                rc = st_error_set(err, ST_ERR_INVALID, "basis: %s: line 1: no column \"%s\"",
                                  path, missing);
                goto out;
            }
            n_cols = n;
            continue;
        }
        if (n != n_cols) {
            rc = st_error_set(err, ST_ERR_PARSE, "basis: %s: line %d: %d fields, the header has %d",
                              path, lineno, n > MAX_COLS ? MAX_COLS + 1 : n, n_cols);
            goto out;
        }
        st_basis *b = add_station(&set, m);
        if (!b) {
            rc = st_error_set(err, ST_ERR_NOMEM, "basis: out of memory");
            goto out;
        }
        for (int c = 0; c < n; c++) {
            const char *v = fields[c];
            int64_t num = 0;
            if (role[c] == COL_STATION) {
                if (!*v) {
                    rc = st_error_set(err, ST_ERR_INVALID, "basis: %s: line %d: empty station",
                                      path, lineno);
                    goto out;
                }
                b->station = strdup(v);
            } else if (role[c] == COL_NAME) {
                b->name = *v ? strdup(v) : NULL;
            } else if (role[c] == COL_EXPLAINED) {
                if (parse_answer(v, &b->explained_as)) {
                    rc = st_error_set(err, ST_ERR_INVALID,
                                      "basis: %s: line %d: explained is \"%s\", want yes or no "
                                      "(empty: unanswered; both: both ticked)", path, lineno, v);
                    goto out;
                }
                b->explained = b->explained_as == ST_ANSWER_YES;
            } else if (role[c] == COL_BOX) {
                if (parse_boxes(v, &b->boxes)) {
                    rc = st_error_set(err, ST_ERR_INVALID,
                                      "basis: %s: line %d: box is \"%s\", want D=H, H>D or H<D "
                                      "(several joined by +, or none)", path, lineno, v);
                    goto out;
                }
            } else if (role[c] == COL_ELIGIBLE && !*v) {
                b->eligible = -1;
            } else if (parse_count(v, &num)) {
                rc = st_error_set(err, ST_ERR_INVALID,
                                  "basis: %s: line %d: column %s is \"%s\", not a whole number "
                                  ">= 0", path, lineno, heads[c], v);
                goto out;
            } else if (role[c] == COL_ELIGIBLE) {
                b->eligible = num;
            } else if (role[c] <= COL_LIST) {
                b->votes[COL_LIST - role[c]] = num;
            } else {
                *figure(b, (char)role[c]) = num;
            }
        }
        if (!b->station) {
            rc = st_error_set(err, ST_ERR_NOMEM, "basis: out of memory");
            goto out;
        }
        if (station_taken(&set, b->station)) {
            rc = st_error_set(err, ST_ERR_INVALID, "basis: %s: line %d: station %s given twice",
                              path, lineno, b->station);
            goto out;
        }
    }
    if (ferror(f)) {
        rc = st_error_set(err, ST_ERR_IO, "basis: %s: read error", path);
        goto out;
    }
    if (!n_cols) {
        rc = st_error_set(err, ST_ERR_PARSE, "basis: %s: empty file (no header)", path);
        goto out;
    }
    *out = set;
    set.n = 0;
    set.v = NULL;
out:
    st_basis_set_free(&set);
    free(line);
    fclose(f);
    return rc;
}

/* ---- EML 510b ------------------------------------------------------------- */

/* One station's figures from its unit u of the 510b (read by eml510.c). */
static int fill_unit(const char *path, const st_eml510_unit *u, st_basis *b, st_error *err)
{
    if (!u->id)
        return st_error_set(err, ST_ERR_INVALID,
                            "basis: %s: line %d: a ReportingUnitVotes without its Id", path,
                            u->line);
    /* eml510.c read it through emlxml.c, which refused what util/text.h
     * does not take. */
    b->station = strdup(u->id);
    if (u->name)
        b->name = strdup(u->name);
    int have_E = 0, have_F = 0, have_G = 0, have_cast = 0, rc = ST_OK;
    int64_t no_explanation = 0;
    unsigned have_letter = 0, have_none = 0;
    /* A figure given twice would silently be the last: refuse it. */
    unsigned char *have_list = calloc((size_t)(b->n_lists ? b->n_lists : 1), 1);
    if (!have_list)
        return st_error_set(err, ST_ERR_NOMEM, "basis: out of memory");
    for (int i = 0; i < u->n_items && !rc; i++) {
        const st_eml510_item *c = &u->items[i];
        int64_t v = c->votes;
        int twice = 0;
        if (c->kind == ST_EML510_CANDIDATE)
            continue; /* the basistelling is by list */
        if (c->kind == ST_EML510_LIST) {
            int k = 0;
            while (k < b->n_lists && b->list[k] != c->list)
                k++;
            if (k == b->n_lists)
                rc = st_error_set(err, ST_ERR_INVALID,
                                  "basis: %s: line %d: %s: list %lld is not on the ballot",
                                  path, c->line, b->station, (long long)c->list);
            else if (v < 0)
                rc = st_error_set(err, ST_ERR_INVALID,
                                  "basis: %s: line %d: %s: list %lld without a count", path,
                                  c->line, b->station, (long long)c->list);
            else if (have_list[k]++)
                rc = st_error_set(err, ST_ERR_INVALID,
                                  "basis: %s: line %d: %s: the votes of list %lld given twice",
                                  path, c->line, b->station, (long long)c->list);
            else
                b->votes[k] = v;
            continue;
        }
        if (c->kind == ST_EML510_CAST) {
            twice = have_cast++;
            b->eligible = v;
        } else if (c->kind == ST_EML510_TOTAL) {
            twice = have_E;
            b->E = v, have_E = 1;
        } else {
            static const struct { const char *code; char letter; } map[] = {
                {"blanco", 'F'}, {"ongeldig", 'G'}, {"geldige stempassen", 'A'},
                {"geldige volmachtbewijzen", 'B'}, {"geldige kiezerspassen", 'C'},
                {"toegelaten kiezers", 'D'}, {"meer getelde stembiljetten", 'I'},
                {"minder getelde stembiljetten", 'J'}};
            for (size_t k = 0; k < sizeof map / sizeof *map; k++)
                if (!strcmp(c->reason, map[k].code)) {
                    unsigned bit = 1u << (map[k].letter - 'A');
                    twice = (have_letter & bit) != 0;
                    have_letter |= bit;
                    *figure(b, map[k].letter) = v;
                    have_F |= map[k].letter == 'F';
                    have_G |= map[k].letter == 'G';
                }
            if (!strcmp(c->reason, "geen verklaring")) {
                twice = have_none++ > 0;
                no_explanation = v;
            }
        }
        if (twice)
            rc = st_error_set(err, ST_ERR_INVALID,
                              "basis: %s: line %d: %s: %s%s%s%s given twice", path, c->line,
                              b->station, c->element, c->reason ? " \"" : "",
                              c->reason ? c->reason : "", c->reason ? "\"" : "");
        else if (v < 0)
            rc = st_error_set(err, ST_ERR_INVALID,
                              "basis: %s: line %d: %s: %s is not a whole number >= 0", path,
                              c->line, b->station, c->element);
    }
    free(have_list);
    if (rc)
        return rc;
    if (!have_E || !have_F || !have_G)
        return st_error_set(err, ST_ERR_INVALID,
                            "basis: %s: line %d: %s lacks TotalCounted or the blank and "
                            "invalid RejectedVotes", path, u->line, b->station);
    b->H = b->E + b->F + b->G;
    b->explained = no_explanation == 0;
    /* Older files say "geen verklaring"; the current ones do not carry
     * the question, nor the D/H box. */
    b->explained_as = !have_none ? ST_ANSWER_UNKNOWN : b->explained ? ST_ANSWER_YES : ST_ANSWER_NO;
    return ST_OK;
}

int st_basis_read_eml(const char *path, const st_model *m, st_basis_set *out, st_error *err)
{
    st_eml510 *c = NULL;
    st_basis_set set = {0, NULL};
    int rc = st_eml510_read(path, "basis", &c, err);
    if (rc != ST_OK)
        return rc;
    if (!c->election_id || strcmp(c->election_id, m->election_id)) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "basis: %s: the count is of election \"%s\", the ballot model of \"%s\"",
                          path, c->election_id ? c->election_id : "(none)", m->election_id);
        goto out;
    }
    /* A polling station's count is one contest: the first. */
    for (int i = 0; i < c->n_units && c->units[i].contest == 0; i++) {
        st_basis *b = add_station(&set, m);
        if (!b) {
            rc = st_error_set(err, ST_ERR_NOMEM, "basis: out of memory");
            goto out;
        }
        if ((rc = fill_unit(path, &c->units[i], b, err)))
            goto out;
        if (station_taken(&set, b->station)) {
            rc = st_error_set(err, ST_ERR_INVALID, "basis: %s: station %s given twice", path,
                              b->station);
            goto out;
        }
    }
    if (!set.n) {
        rc = st_error_set(err, ST_ERR_INVALID, "basis: %s: no ReportingUnitVotes (no stations)",
                          path);
        goto out;
    }
    *out = set;
    set.n = 0;
    set.v = NULL;
out:
    st_basis_set_free(&set);
    st_eml510_free(c);
    return rc;
}

/* ---- double entry --------------------------------------------------------- */

/* The box field as entered: "D=H+H<D", "none", or "unknown" (no column). */
static void boxes_text(int boxes, char *buf, size_t n)
{
    static const char *const name[] = {"D=H", "H>D", "H<D"};
    size_t len = 0;
    buf[0] = '\0';
    if (boxes == ST_BOXES_UNKNOWN) {
        snprintf(buf, n, "unknown");
        return;
    }
    for (int k = 0; k < 3; k++)
        if (boxes & (1 << k) && len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "+" : "", name[k]);
    if (!len)
        snprintf(buf, n, "none");
}

static void answer_text(st_answer a, char *buf, size_t n)
{
    const char *t = st_answer_name(a);
    snprintf(buf, n, "%s", !t ? "unknown" : *t ? t : "(leeg)");
}

static int add_diff(st_basis_diff **v, int *n, const char *field, const char *first,
                    const char *second)
{
    st_basis_diff *nv = realloc(*v, (size_t)(*n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    *v = nv;
    snprintf(nv[*n].field, sizeof nv[*n].field, "%s", field);
    snprintf(nv[*n].first, sizeof nv[*n].first, "%s", first);
    snprintf(nv[*n].second, sizeof nv[*n].second, "%s", second);
    (*n)++;
    return 0;
}

int st_basis_compare(const st_basis *a, const st_basis *b, st_basis_diff **out, int *n)
{
    st_basis_diff *v = NULL;
    int cnt = 0, bad = 0;
    char f[16], x[24], y[24];
    for (int k = 0; k < 10 && !bad; k++) {
        int64_t p = *figure((st_basis *)a, letters[k]), q = *figure((st_basis *)b, letters[k]);
        snprintf(f, sizeof f, "%c", letters[k]);
        snprintf(x, sizeof x, "%lld", (long long)p);
        snprintf(y, sizeof y, "%lld", (long long)q);
        if (p != q)
            bad = add_diff(&v, &cnt, f, x, y);
    }
    for (int k = 0; k < a->n_lists && !bad; k++) {
        int64_t p = a->votes[k], q = st_basis_list_votes(b, a->list[k]);
        snprintf(f, sizeof f, "E.%d", a->list[k]);
        snprintf(x, sizeof x, "%lld", (long long)p);
        snprintf(y, sizeof y, "%lld", (long long)q);
        if (p != q)
            bad = add_diff(&v, &cnt, f, x, y);
    }
    if (!bad && a->explained_as != b->explained_as) {
        answer_text(a->explained_as, x, sizeof x);
        answer_text(b->explained_as, y, sizeof y);
        bad = add_diff(&v, &cnt, "explained", x, y);
    }
    if (!bad && a->boxes != b->boxes) {
        boxes_text(a->boxes, x, sizeof x);
        boxes_text(b->boxes, y, sizeof y);
        bad = add_diff(&v, &cnt, "box", x, y);
    }
    if (bad) {
        free(v);
        *out = NULL;
        *n = 0;
        return ST_ERR_NOMEM;
    }
    *out = v;
    *n = cnt;
    return ST_OK;
}

/* ---- in the store --------------------------------------------------------- */

static int db_fail(sqlite3 *db, st_error *err, const char *what)
{
    return st_error_set(err, ST_ERR_IO, "basis: store: %s: %s", what, sqlite3_errmsg(db));
}

const char *st_answer_name(st_answer a)
{
    static const char *const t[] = {NULL, "", "ja", "nee", "beide"};
    return a >= ST_ANSWER_UNKNOWN && a <= ST_ANSWER_BOTH ? t[a] : NULL;
}

static st_answer answer_of(sqlite3_stmt *q, int col)
{
    if (sqlite3_column_type(q, col) == SQLITE_NULL)
        return ST_ANSWER_UNKNOWN;
    const char *t = st_store_col_text(q, col);
    return !strcmp(t, "ja") ? ST_ANSWER_YES : !strcmp(t, "nee") ? ST_ANSWER_NO
           : !strcmp(t, "beide") ? ST_ANSWER_BOTH : ST_ANSWER_BLANK;
}

/* Bind the set's station figures into table tab ("basis" or "basis2"),
 * replacing each station's earlier row, inside the caller's transaction. */
static int save_rows(sqlite3 *db, const st_basis_set *set, const char *source, const char *tab,
                     st_error *err)
{
    sqlite3_stmt *del = NULL, *ins = NULL, *lst = NULL, *frm = NULL;
    char sql[4][200];
    int rc = ST_OK;
    snprintf(sql[0], sizeof sql[0], "DELETE FROM %s WHERE station=?1", tab);
    snprintf(sql[1], sizeof sql[1],
             "INSERT INTO %s VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)", tab);
    snprintf(sql[2], sizeof sql[2], "INSERT INTO %s_lists VALUES(?1,?2,?3)", tab);
    snprintf(sql[3], sizeof sql[3], "INSERT INTO %s_form VALUES(?1,?2,?3)", tab);
    if (sqlite3_prepare_v2(db, sql[0], -1, &del, NULL) ||
        sqlite3_prepare_v2(db, sql[1], -1, &ins, NULL) ||
        sqlite3_prepare_v2(db, sql[2], -1, &lst, NULL) ||
        sqlite3_prepare_v2(db, sql[3], -1, &frm, NULL)) {
        rc = db_fail(db, err, "cannot prepare");
        goto out;
    }
    for (int i = 0; i < set->n; i++) {
        const st_basis *b = &set->v[i];
        sqlite3_reset(del);
        sqlite3_bind_text(del, 1, b->station, -1, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE) {
            rc = db_fail(db, err, "cannot replace");
            goto out;
        }
        sqlite3_reset(ins);
        sqlite3_clear_bindings(ins);
        sqlite3_bind_text(ins, 1, b->station, -1, SQLITE_STATIC);
        if (b->name)
            sqlite3_bind_text(ins, 2, b->name, -1, SQLITE_STATIC);
        for (int k = 0; k < 10; k++)
            sqlite3_bind_int64(ins, 3 + k, *figure((st_basis *)b, letters[k]));
        sqlite3_bind_int(ins, 13, b->explained);
        if (b->eligible >= 0)
            sqlite3_bind_int64(ins, 14, b->eligible);
        sqlite3_bind_text(ins, 15, source ? source : "", -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = db_fail(db, err, "cannot store");
            goto out;
        }
        for (int k = 0; k < b->n_lists; k++) {
            sqlite3_reset(lst);
            sqlite3_bind_text(lst, 1, b->station, -1, SQLITE_STATIC);
            sqlite3_bind_int(lst, 2, b->list[k]);
            sqlite3_bind_int64(lst, 3, b->votes[k]);
            if (sqlite3_step(lst) != SQLITE_DONE) {
                rc = db_fail(db, err, "cannot store");
                goto out;
            }
        }
        sqlite3_reset(frm);
        sqlite3_clear_bindings(frm);
        sqlite3_bind_text(frm, 1, b->station, -1, SQLITE_STATIC);
        if (b->boxes != ST_BOXES_UNKNOWN)
            sqlite3_bind_int(frm, 2, b->boxes);
        if (st_answer_name(b->explained_as))
            sqlite3_bind_text(frm, 3, st_answer_name(b->explained_as), -1, SQLITE_STATIC);
        if (sqlite3_step(frm) != SQLITE_DONE) {
            rc = db_fail(db, err, "cannot store");
            goto out;
        }
    }
out:
    sqlite3_finalize(del);
    sqlite3_finalize(ins);
    sqlite3_finalize(lst);
    sqlite3_finalize(frm);
    return rc;
}

/* Whether station has a first entry: 1 yes, 0 no, -1 on a store error. */
static int has_first(sqlite3 *db, const char *station)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM basis WHERE station=?1", -1, &q, NULL))
        return -1;
    sqlite3_bind_text(q, 1, station, -1, SQLITE_STATIC);
    int step = sqlite3_step(q);
    sqlite3_finalize(q);
    return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
}

/* st_basis_save and st_basis_save_second: entry 1 or 2. */
static int save_entry(st_store *s, const st_basis_set *set, const char *source, int second,
                      st_error *err)
{
    sqlite3 *db = st_store_db(s);
    int rc = ST_OK;
    for (int i = 0; i < set->n; i++) {
        st_error e = {0};
        if (st_store_station_check(s, set->v[i].station, &e))
            return st_error_set(err, e.code == ST_ERR_IO ? ST_ERR_IO : ST_ERR_INVALID,
                                "basis: %s: %s", source ? source : "", e.msg);
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot begin");
    for (int i = 0; second && i < set->n && !rc; i++) {
        int first = has_first(db, set->v[i].station);
        if (first < 0)
            rc = db_fail(db, err, "cannot read");
        else if (!first)
            rc = st_error_set(err, ST_ERR_INVALID,
                              "basis: %s: station %s has no first entry of its basistelling: "
                              "import that first (basis import without --second-entry)",
                              source ? source : "", set->v[i].station);
    }
    if (!rc)
        rc = save_rows(db, set, source, second ? "basis2" : "basis", err);
    if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        rc = db_fail(db, err, "cannot commit");
    if (rc)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int st_basis_save(st_store *s, const st_basis_set *set, const char *source, st_error *err)
{
    return save_entry(s, set, source, 0, err);
}

int st_basis_save_second(st_store *s, const st_basis_set *set, const char *source,
                         st_error *err)
{
    return save_entry(s, set, source, 1, err);
}

/* st_basis_load and st_basis_load_second: from table tab. A station
 * stored before the form's boxes and question were kept (no _form row)
 * has them unknown. */
static int load_entry(st_store *s, const char *station, const char *tab, st_basis *out,
                      int *found, st_error *err)
{
    sqlite3 *db = st_store_db(s);
    sqlite3_stmt *q = NULL, *l = NULL, *fq = NULL;
    const st_model *m = st_store_model(s);
    st_basis_set set = {0, NULL};
    char sql[3][200];
    int rc = ST_OK, step;
    *found = 0;
    memset(out, 0, sizeof *out);
    snprintf(sql[0], sizeof sql[0], "SELECT * FROM %s WHERE station=?1", tab);
    snprintf(sql[1], sizeof sql[1], "SELECT list, votes FROM %s_lists WHERE station=?1", tab);
    snprintf(sql[2], sizeof sql[2], "SELECT boxes, explained FROM %s_form WHERE station=?1",
             tab);
    if (sqlite3_prepare_v2(db, sql[0], -1, &q, NULL) ||
        sqlite3_prepare_v2(db, sql[1], -1, &l, NULL) ||
        sqlite3_prepare_v2(db, sql[2], -1, &fq, NULL)) {
        rc = db_fail(db, err, "cannot prepare");
        goto out;
    }
    sqlite3_bind_text(q, 1, station, -1, SQLITE_STATIC);
    if ((step = sqlite3_step(q)) != SQLITE_ROW) {
        if (step != SQLITE_DONE)
            rc = db_fail(db, err, "cannot read");
        goto out;
    }
    st_basis *b = add_station(&set, m);
    if (!b || !(b->station = strdup(station))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "basis: out of memory");
        goto out;
    }
    if (sqlite3_column_type(q, 1) != SQLITE_NULL)
        b->name = strdup((const char *)sqlite3_column_text(q, 1));
    for (int k = 0; k < 10; k++)
        *figure(b, letters[k]) = sqlite3_column_int64(q, 2 + k);
    b->explained = sqlite3_column_int(q, 12);
    b->eligible = sqlite3_column_type(q, 13) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 13);
    sqlite3_bind_text(l, 1, station, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(l)) == SQLITE_ROW) {
        int list = sqlite3_column_int(l, 0);
        for (int k = 0; k < b->n_lists; k++)
            if (b->list[k] == list)
                b->votes[k] = sqlite3_column_int64(l, 1);
    }
    if (step != SQLITE_DONE) {
        rc = db_fail(db, err, "cannot read");
        goto out;
    }
    sqlite3_bind_text(fq, 1, station, -1, SQLITE_STATIC);
    if ((step = sqlite3_step(fq)) == SQLITE_ROW) {
        if (sqlite3_column_type(fq, 0) != SQLITE_NULL)
            b->boxes = sqlite3_column_int(fq, 0);
        b->explained_as = answer_of(fq, 1);
    } else if (step != SQLITE_DONE) {
        rc = db_fail(db, err, "cannot read");
        goto out;
    }
    *out = *b;
    set.n = 0; /* handed over */
    *found = 1;
out:
    if (set.n)
        st_basis_set_free(&set);
    else
        free(set.v);
    sqlite3_finalize(q);
    sqlite3_finalize(l);
    sqlite3_finalize(fq);
    return rc;
}

int st_basis_load(st_store *s, const char *station, st_basis *out, int *found, st_error *err)
{
    return load_entry(s, station, "basis", out, found, err);
}

int st_basis_load_second(st_store *s, const char *station, st_basis *out, int *found,
                         st_error *err)
{
    return load_entry(s, station, "basis2", out, found, err);
}

/* ---- the GSB's answers ---------------------------------------------------- */

static const char *const b1_names[ST_B1_N] = {"b1-1a", "b1-1b", "b1-2.1", "b1-2.3"};

const char *st_b1_question_name(st_b1_question q)
{
    return q >= 0 && q < ST_B1_N ? b1_names[q] : NULL;
}

int st_basis_answer(st_store *s, const char *station, const char *question,
                    const char *answer, const char *by, st_error *err)
{
    static const struct { const char *word, *stored; } words[] = {
        {"ja", "ja"}, {"yes", "ja"}, {"nee", "nee"}, {"no", "nee"},
        {"beide", "beide"}, {"both", "beide"}, {"leeg", NULL}, {"empty", NULL}};
    sqlite3 *db = st_store_db(s);
    sqlite3_stmt *q = NULL;
    const char *stored = NULL;
    int known_q = 0, known_a = 0, rc;
    for (int k = 0; question && k < ST_B1_N; k++)
        known_q |= !strcmp(question, b1_names[k]);
    if (!known_q)
        return st_error_set(err, ST_ERR_ARG, "basis: --question \"%s\": want b1-1a, b1-1b, "
                            "b1-2.1 or b1-2.3", question ? question : "");
    for (size_t k = 0; answer && k < sizeof words / sizeof *words; k++)
        if (!strcasecmp(answer, words[k].word))
            known_a = 1, stored = words[k].stored;
    if (!known_a)
        return st_error_set(err, ST_ERR_ARG, "basis: --answer \"%s\": want ja, nee, beide "
                            "(both ticked) or leeg (take the answer back)", answer ? answer : "");
    if ((rc = st_store_require_member(s, "basis", "an answer needs who gave it", by, err)))
        return rc;
    st_error e = {0};
    if (st_store_station_check(s, station, &e))
        return st_error_set(err, e.code == ST_ERR_IO ? ST_ERR_IO : ST_ERR_ARG, "basis: %s",
                            e.msg);
    char when[32];
    st_store_utc_now(when, sizeof when);
    if (sqlite3_prepare_v2(db, stored ? "INSERT OR REPLACE INTO answers VALUES(?1,?2,?3,?4,?5)"
                                      : "DELETE FROM answers WHERE station=?1 AND question=?2",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot prepare");
    sqlite3_bind_text(q, 1, station, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, question, -1, SQLITE_STATIC);
    if (stored) {
        sqlite3_bind_text(q, 3, stored, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, by, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, when, -1, SQLITE_STATIC);
    }
    rc = sqlite3_step(q) == SQLITE_DONE ? ST_OK : db_fail(db, err, "cannot record the answer");
    sqlite3_finalize(q);
    return rc;
}

int st_basis_answers_load(st_store *s, const char *station, st_b1_answers *out,
                          st_error *err)
{
    sqlite3 *db = st_store_db(s);
    sqlite3_stmt *q = NULL;
    st_b1_answers r;
    int any = 0, step;
    memset(&r, 0, sizeof r);
    if (sqlite3_prepare_v2(db, "SELECT question, answer, answered_by, answered_at FROM answers "
                               "WHERE station=?1", -1, &q, NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot prepare");
    sqlite3_bind_text(q, 1, station, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(q)) == SQLITE_ROW)
        for (int k = 0; k < ST_B1_N; k++)
            if (!strcmp(st_store_col_text(q, 0), b1_names[k])) {
                r.a[k] = answer_of(q, 1);
                snprintf(r.by[k], sizeof r.by[k], "%s", st_store_col_text(q, 2));
                snprintf(r.at[k], sizeof r.at[k], "%s", st_store_col_text(q, 3));
                any = 1;
            }
    sqlite3_finalize(q);
    if (step != SQLITE_DONE)
        return db_fail(db, err, "cannot read the answers");
    for (int k = 0; any && k < ST_B1_N; k++)
        if (r.a[k] == ST_ANSWER_UNKNOWN)
            r.a[k] = ST_ANSWER_BLANK;
    *out = r;
    return ST_OK;
}
