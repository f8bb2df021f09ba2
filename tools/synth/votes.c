/* votes.c - the ballots one station of a 510b count stands for
 *
 * The count is read by eml510.h. The station's first ReportingUnitVotes
 * (in any Contest) is used: each candidate Selection's ValidVotes becomes
 * that many forced votes (the list is the preceding list Selection), and
 * the RejectedVotes "blanco" and "ongeldig" blank and invalid ballots.
 */
#include "synth/votes.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/eml510.h"
#include "synth/rng.h"

static int push_force(force **a, int *n, int *cap, force f)
{
    if (*n == *cap) {
        int nc = *cap ? *cap * 2 : 256;
        force *na = realloc(*a, sizeof *na * (size_t)nc);
        if (!na)
            return ST_ERR_NOMEM;
        *a = na;
        *cap = nc;
    }
    (*a)[(*n)++] = f;
    return ST_OK;
}

int st_synth_votes_load(const job *j, const char *path, const char *station,
                        force **out, int *n_out, st_error *err)
{
    const st_model *m = j->m;
    int rc = ST_OK, n = 0, cap = 0, found = 0, n_seen = 0;
    force *a = NULL;
    char seen[256] = "";
    st_eml510 *count = NULL;
    rc = st_eml510_read(path, "synth", &count, err);
    if (rc)
        goto out;
    for (int u = 0; u < count->n_units && !found; u++) {
        const st_eml510_unit *ru = &count->units[u];
        if (!ru->id)
            continue;
        if (strcmp(ru->id, station)) {
            if (n_seen++ < 4 && strlen(seen) + strlen(ru->id) + 8 < sizeof seen) {
                strcat(seen, n_seen > 1 ? ", " : "");
                strcat(seen, ru->id);
            }
            continue;
        }
        found = 1;
        int cur = -1, curnum = -1, blank = -1, invalid = -1;
        for (int i = 0; i < ru->n_items; i++) {
            const st_eml510_item *s = &ru->items[i];
            int v = s->votes <= INT_MAX ? (int)s->votes : -1;
            if (s->kind == ST_EML510_REJECTED) {
                if (!strcmp(s->reason, "blanco"))
                    blank = v;
                else if (!strcmp(s->reason, "ongeldig"))
                    invalid = v;
                continue;
            }
            if (s->kind == ST_EML510_LIST) {
                curnum = s->list <= INT_MAX ? (int)s->list : -1;
                cur = st_synth_list_index(m, curnum);
                if (cur < 0) {
                    rc = st_error_set(err, ST_ERR_INVALID,
                                      "synth: %s: %s: list %d is not in "
                                      "the model", path, station, curnum);
                    goto out;
                }
                continue;
            }
            if (s->kind != ST_EML510_CANDIDATE)
                continue;
            int cand = s->candidate <= INT_MAX ? (int)s->candidate : -1;
            int votes = v;
            if (cand < 0 || votes < 0 || cur < 0) {
                rc = st_error_set(err, ST_ERR_INVALID,
                                  "synth: %s: %s: line %d: a Selection "
                                  "without list, candidate id or votes",
                                  path, station, s->line);
                goto out;
            }
            if (cand < 1 || cand > m->lists[cur].n_candidates ||
                cand > j->g.grid) {
                rc = st_error_set(err, ST_ERR_INVALID,
                                  "synth: %s: %s: candidate %d of list %d "
                                  "is not in the model", path, station,
                                  cand, curnum);
                goto out;
            }
            for (int k = 0; k < votes; k++)
                if (push_force(&a, &n, &cap,
                               (force){FORCE_VOTE, cur, cand})) {
                    rc = st_error_set(err, ST_ERR_NOMEM,
                                      "synth: out of memory");
                    goto out;
                }
        }
        if (blank < 0 || invalid < 0) {
            rc = st_error_set(err, ST_ERR_INVALID,
                              "synth: %s: %s: no RejectedVotes \"%s\"", path,
                              station, blank < 0 ? "blanco" : "ongeldig");
            goto out;
        }
        for (int k = 0; k < blank + invalid; k++)
            if (push_force(&a, &n, &cap,
                           (force){k < blank ? FORCE_BLANK : FORCE_INVALID,
                                   0, 0})) {
                rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
                goto out;
            }
    }
    if (!found) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "synth: %s: no station \"%s\" (it has %d, e.g. %s%s)",
                          path, station, n_seen, n_seen ? seen : "none",
                          n_seen > 4 ? ", ..." : "");
        goto out;
    }
    /* Fisher-Yates with the seed's own stream. */
    st_rng r;
    st_rng_init(&r, j->o->seed, UINT64_MAX, 7);
    for (int i = n - 1; i > 0; i--) {
        int k = st_rng_int(&r, i + 1);
        force t = a[i];
        a[i] = a[k];
        a[k] = t;
    }
    *out = a;
    *n_out = n;
    a = NULL;
out:
    free(a);
    st_eml510_free(count);
    return rc;
}
