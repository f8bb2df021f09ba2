/* votes.c - the ballots one station of a 510b count stands for
 *
 * Walks Count/Election/Contests/Contest/ReportingUnitVotes for the
 * station, turning each candidate Selection's ValidVotes into that many
 * forced votes (the list is the preceding list Selection) and the
 * RejectedVotes "blanco" and "ongeldig" into blank and invalid ballots.
 */
#include "synth/votes.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "synth/rng.h"

#define EML_NS "urn:oasis:names:tc:evs:schema:eml"

static int is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns &&
           !strcmp((const char *)n->ns->href, EML_NS) &&
           !strcmp((const char *)n->name, name);
}

static xmlNode *child(const xmlNode *n, const char *name)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_el(c, name))
            return c;
    return NULL;
}

/* Attribute or text parsed as a non-negative int; -1 if absent or bad. */
static int to_int(xmlChar *s)
{
    int v = -1;
    if (s) {
        char *end;
        errno = 0;
        long l = strtol((const char *)s, &end, 10);
        while (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')
            end++;
        if (end != (char *)s && !*end && !errno && l >= 0 && l <= INT_MAX)
            v = (int)l;
        xmlFree(s);
    }
    return v;
}

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
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    xmlDocPtr doc = NULL;
    if (!ctx) {
        rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
        goto out;
    }
    doc = xmlCtxtReadFile(ctx, path, NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR |
                              XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(ctx);
        FILE *probe = fopen(path, "r");
        if (!probe) {
            rc = st_error_set(err, ST_ERR_IO, "synth: %s: cannot open: %s", path,
                              strerror(errno));
            goto out;
        }
        fclose(probe);
        rc = st_error_set(err, ST_ERR_PARSE, "synth: %s:%d: not well-formed XML: %s",
                          path, e ? e->line : 0,
                          e && e->message ? e->message : "?");
        goto out;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *contests = child(child(child(root, "Count"), "Election"), "Contests");
    if (!is_el(root, "EML") || !contests) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "synth: %s: not an EML 510b count (no "
                          "Count/Election/Contests)", path);
        goto out;
    }
    for (xmlNode *c = contests->children; c && !found; c = c->next) {
        if (!is_el(c, "Contest"))
            continue;
        for (xmlNode *ru = c->children; ru && !found; ru = ru->next) {
            if (!is_el(ru, "ReportingUnitVotes"))
                continue;
            xmlChar *id = xmlGetProp(child(ru, "ReportingUnitIdentifier"),
                                     BAD_CAST "Id");
            if (!id)
                continue;
            if (strcmp((const char *)id, station)) {
                if (n_seen++ < 4 && strlen(seen) + xmlStrlen(id) + 8 < sizeof seen) {
                    strcat(seen, n_seen > 1 ? ", " : "");
                    strcat(seen, (const char *)id);
                }
                xmlFree(id);
                continue;
            }
            xmlFree(id);
            found = 1;
            int cur = -1, curnum = -1, blank = -1, invalid = -1;
            for (xmlNode *s = ru->children; s; s = s->next) {
                if (is_el(s, "RejectedVotes")) {
                    xmlChar *why = xmlGetProp(s, BAD_CAST "ReasonCode");
                    int v = to_int(xmlNodeGetContent(s));
                    if (why && !strcmp((const char *)why, "blanco"))
                        blank = v;
                    else if (why && !strcmp((const char *)why, "ongeldig"))
                        invalid = v;
                    xmlFree(why);
                    continue;
                }
                if (!is_el(s, "Selection"))
                    continue;
                xmlNode *aff = child(s, "AffiliationIdentifier");
                if (aff) {
                    curnum = to_int(xmlGetProp(aff, BAD_CAST "Id"));
                    cur = st_synth_list_index(m, curnum);
                    if (cur < 0) {
                        rc = st_error_set(err, ST_ERR_INVALID,
                                          "synth: %s: %s: list %d is not in "
                                          "the model", path, station, curnum);
                        goto out;
                    }
                    continue;
                }
                int cand = to_int(xmlGetProp(
                    child(child(s, "Candidate"), "CandidateIdentifier"),
                    BAD_CAST "Id"));
                int votes = to_int(xmlNodeGetContent(child(s, "ValidVotes")));
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
                for (int v = 0; v < votes; v++)
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
            for (int v = 0; v < blank + invalid; v++)
                if (push_force(&a, &n, &cap,
                               (force){v < blank ? FORCE_BLANK : FORCE_INVALID,
                                       0, 0})) {
                    rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
                    goto out;
                }
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
    if (doc)
        xmlFreeDoc(doc);
    if (ctx)
        xmlFreeParserCtxt(ctx);
    return rc;
}
