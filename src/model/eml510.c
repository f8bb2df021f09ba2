/* eml510.c - read an EML_NL 510b count: per polling station, what was counted
 *
 * The file is parsed by emlxml.c. The reader checks that the root is an
 * EML message of type 510, takes the election's id and then walks
 * Count/Election/Contests/Contest/ReportingUnitVotes, turning each child
 * it knows (Selection, Cast, TotalCounted, RejectedVotes, UncountedVotes)
 * into one item with its line. Judging the figures is the caller's job,
 * so two importers with different needs read the file the same way.
 */
#include "stemtel/eml510.h"
#include "stemtel/eml.h"
#include "model/emlxml.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

void st_eml510_free(st_eml510 *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n_units; i++) {
        st_eml510_unit *u = &c->units[i];
        for (int k = 0; k < u->n_items; k++)
            free(u->items[k].reason);
        free(u->items);
        free(u->id);
        free(u->name);
    }
    free(c->units);
    free(c->election_id);
    free(c);
}

/* A count as the header defines it: digits only, XML whitespace around
 * them allowed, at most 15 of them; -1 for anything else or NULL. */
static int64_t st_eml510_count_of(const char *s)
{
    if (!s)
        return -1;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strspn(s, "0123456789");
    const char *e = s + n;
    while (*e == ' ' || *e == '\t' || *e == '\n' || *e == '\r')
        e++;
    if (!n || n > 15 || *e)
        return -1;
    return strtoll(s, NULL, 10);
}

/* The count in n's text; -1 when n is NULL or its text is not one. */
static int64_t st_eml510_node_count(const xmlNode *n)
{
    xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
    int64_t v = st_eml510_count_of((const char *)t);
    xmlFree(t);
    return v;
}

/* The count in n's attribute name; -1 when absent or not one. */
static int st_eml510_attr_count(const xmlNode *n, const char *name, int64_t *v)
{
    int nomem = 0;
    char *s = st_emlxml_attr(n, name, &nomem);
    *v = st_eml510_count_of(s);
    free(s);
    return nomem ? ST_ERR_NOMEM : ST_OK;
}

/* One child of a ReportingUnitVotes into *it; 0 when it is none of the
 * kinds the header lists (it is then skipped), 1 when read, < 0 on no
 * memory. */
static int st_eml510_item_of(const xmlNode *c, st_eml510_item *it)
{
    static const struct {
        const char *name;
        st_eml510_kind kind;
    } kinds[] = {{"Cast", ST_EML510_CAST},
                 {"TotalCounted", ST_EML510_TOTAL},
                 {"RejectedVotes", ST_EML510_REJECTED},
                 {"UncountedVotes", ST_EML510_UNCOUNTED}};
    memset(it, 0, sizeof *it);
    it->line = c->line;
    it->list = it->candidate = -1;
    if (st_emlxml_is(c, ST_EML_NS, "Selection")) {
        xmlNode *aff = st_emlxml_child(c, ST_EML_NS, "AffiliationIdentifier");
        it->element = "Selection";
        it->votes = st_eml510_node_count(st_emlxml_child(c, ST_EML_NS, "ValidVotes"));
        if (aff) {
            it->kind = ST_EML510_LIST;
            return st_eml510_attr_count(aff, "Id", &it->list) ? -1 : 1;
        }
        it->kind = ST_EML510_CANDIDATE;
        xmlNode *cid = st_emlxml_child(st_emlxml_child(c, ST_EML_NS, "Candidate"), ST_EML_NS,
                                       "CandidateIdentifier");
        return st_eml510_attr_count(cid, "Id", &it->candidate) ? -1 : 1;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        if (!st_emlxml_is(c, ST_EML_NS, kinds[i].name))
            continue;
        it->kind = kinds[i].kind;
        it->element = kinds[i].name;
        it->votes = st_eml510_node_count(c);
        if (it->kind == ST_EML510_REJECTED || it->kind == ST_EML510_UNCOUNTED) {
            int nomem = 0;
            it->reason = st_emlxml_attr(c, "ReasonCode", &nomem);
            if (!it->reason && !nomem)
                it->reason = strdup("");
            if (!it->reason)
                return -1;
        }
        return 1;
    }
    return 0;
}

/* Read one ReportingUnitVotes into u (zeroed by the caller; on failure
 * what was filled is left for st_eml510_free). */
static int st_eml510_unit_of(const xmlNode *ru, int contest, st_eml510_unit *u)
{
    int nomem = 0, n = 0;
    xmlNode *id = st_emlxml_child(ru, ST_EML_NS, "ReportingUnitIdentifier");
    u->contest = contest;
    u->line = ru->line;
    u->id = st_emlxml_attr(id, "Id", &nomem);
    if (nomem)
        return ST_ERR_NOMEM;
    /* Whitespace collapsed, as for every name read from EML. */
    char *name = id ? st_emlxml_text(id) : NULL;
    if (id && !name)
        return ST_ERR_NOMEM;
    if (name && *name)
        u->name = name;
    else
        free(name);
    for (xmlNode *c = ru->children; c; c = c->next)
        n += c->type == XML_ELEMENT_NODE;
    u->items = calloc((size_t)(n ? n : 1), sizeof *u->items);
    if (!u->items)
        return ST_ERR_NOMEM;
    for (xmlNode *c = ru->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        int got = st_eml510_item_of(c, &u->items[u->n_items]);
        if (got < 0) {
            u->n_items++; /* so its reason is freed */
            return ST_ERR_NOMEM;
        }
        u->n_items += got;
    }
    return ST_OK;
}

int st_eml510_read(const char *path, const char *who, st_eml510 **out, st_error *err)
{
    xmlDocPtr doc = NULL;
    st_eml510 *c = NULL;
    int rc, nomem = 0;
    *out = NULL;
    rc = st_emlxml_parse(path, who, &doc, err);
    if (rc)
        return rc;
    xmlNode *root = xmlDocGetRootElement(doc);
    int is_eml = st_emlxml_is(root, ST_EML_NS, "EML");
    char *kind = is_eml ? st_emlxml_attr(root, "Id", &nomem) : NULL;
    if (nomem)
        goto nomem;
    if (!kind || strncmp(kind, "510", 3)) {
        rc = st_error_set(err, ST_ERR_UNSUPPORTED, "%s: %s: not an EML 510 count (%s %s)", who,
                          path, is_eml ? "EML" : "root element",
                          kind ? kind : root ? (const char *)root->name : "none");
        free(kind);
        goto out;
    }
    free(kind);
    c = calloc(1, sizeof *c);
    if (!c)
        goto nomem;
    xmlNode *election = st_emlxml_child(st_emlxml_child(root, ST_EML_NS, "Count"), ST_EML_NS,
                                        "Election");
    c->election_id = st_emlxml_attr(st_emlxml_child(election, ST_EML_NS, "ElectionIdentifier"),
                                    "Id", &nomem);
    if (nomem)
        goto nomem;
    xmlNode *contests = st_emlxml_child(election, ST_EML_NS, "Contests");
    int n = 0;
    for (xmlNode *k = st_emlxml_child(contests, ST_EML_NS, "Contest"); k;
         k = st_emlxml_next(k->next, ST_EML_NS, "Contest"))
        n += st_emlxml_count(k, ST_EML_NS, "ReportingUnitVotes");
    c->units = calloc((size_t)(n ? n : 1), sizeof *c->units);
    if (!c->units)
        goto nomem;
    int contest = 0;
    for (xmlNode *k = st_emlxml_child(contests, ST_EML_NS, "Contest"); k;
         k = st_emlxml_next(k->next, ST_EML_NS, "Contest"), contest++)
        for (xmlNode *ru = st_emlxml_child(k, ST_EML_NS, "ReportingUnitVotes"); ru;
             ru = st_emlxml_next(ru->next, ST_EML_NS, "ReportingUnitVotes"))
            if (st_eml510_unit_of(ru, contest, &c->units[c->n_units++]))
                goto nomem;
    *out = c;
    c = NULL;
    goto out;
nomem:
    rc = st_error_set(err, ST_ERR_NOMEM, "%s: %s: out of memory", who, path);
out:
    st_eml510_free(c);
    xmlFreeDoc(doc);
    return rc;
}
