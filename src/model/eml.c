/* eml.c - read EML_NL 230b candidate lists, 110a definitions, 110b stations
 *
 * A file is parsed by emlxml.c (network off, libxml2's messages captured
 * for this thread, elements matched by namespace URI and local name). The
 * importer walks EML/CandidateList/Election, copies the election fields,
 * builds each list from its Affiliation and checks the numbering; the
 * model is handed out only when all of it succeeded.
 */
#include "stemtel/eml.h"
#include "stemtel/layout.h"
#include "model/emlxml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

/* A list or candidate number: digits only (surrounding blanks allowed),
 * 1..1000000. Returns 1 and sets *out, or 0. */
static int parse_number(const char *s, int *out)
{
    long v = 0;
    int digits = 0;
    if (!s)
        return 0;
    while (*s == ' ')
        s++;
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        v = v * 10 + (*s - '0');
        if (v > 1000000)
            return 0;
    }
    while (*s == ' ')
        s++;
    if (!digits || *s || v < 1)
        return 0;
    *out = (int)v;
    return 1;
}

/* Replace *dst with a copy of src (NULL src means ""). */
static int set_str(char **dst, const char *src)
{
    char *s = strdup(src ? src : "");
    if (!s)
        return ST_ERR_NOMEM;
    free(*dst);
    *dst = s;
    return ST_OK;
}

/* ---- message kinds ---- */

/* A reader's name for an EML message type, by its number. */
static const char *kind_name(const char *id)
{
    static const struct {
        const char *prefix;
        const char *what;
    } kinds[] = {
        {"110a", "election definition"}, {"110b", "polling-station file"},
        {"210", "nomination file"},      {"230", "candidate list"},
        {"510", "count file"},           {"520", "result file"},
        {"630", "options list"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(id, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
            return kinds[i].what;
    return "EML message";
}

/* Check that doc's root is EML with message type want; *root gets it. */
static int check_root(xmlDocPtr doc, const char *path, const char *want,
                      xmlNode **root, st_error *err)
{
    int nomem = 0, rc = ST_OK;
    char *id = NULL;
    xmlNode *r = xmlDocGetRootElement(doc);
    *root = NULL;
    if (!r)
        return st_error_set(err, ST_ERR_PARSE, "eml: %s: empty document",
                            path);
    if (strcmp((const char *)r->name, "EML") != 0)
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "eml: %s: root element is <%s>, not <EML>: "
                            "this is not an EML_NL file", path, r->name);
    if (!st_emlxml_is(r, ST_EML_NS, "EML"))
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "eml: %s: root element EML is not in the EML "
                            "namespace %s", path, ST_EML_NS);
    id = st_emlxml_attr(r, "Id", &nomem);
    if (nomem) {
        rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
        goto out;
    }
    if (!id) {
        rc = st_error_set(err, ST_ERR_UNSUPPORTED,
                          "eml: %s: EML root has no Id, so its message "
                          "type is unknown; expected a %s %s",
                          path, want, kind_name(want));
        goto out;
    }
    if (strcmp(id, want) != 0) {
        rc = st_error_set(err, ST_ERR_UNSUPPORTED,
                          "eml: %s: this is a %s %s, not a %s %s", path, id,
                          kind_name(id), want, kind_name(want));
        goto out;
    }
    *root = r;
out:
    free(id);
    return rc;
}

/* ---- 230b ---- */

/* "van Dreumel, C.G.H.M. (Cees)"; any of prefix, initials, first may be
 * NULL. malloc'd, NULL on no memory. */
static char *format_name(const char *prefix, const char *last,
                         const char *initials, const char *first)
{
    size_t n = strlen(last) + 1;
    n += prefix ? strlen(prefix) + 1 : 0;
    n += initials ? strlen(initials) + 2 : 0;
    n += first ? strlen(first) + 3 : 0;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s%s%s%s%s%s", prefix ? prefix : "",
                 prefix ? " " : "", last, initials ? ", " : "",
                 initials ? initials : "", first ? " (" : "",
                 first ? first : "", first ? ")" : "");
    return s;
}

/* The initials: the NameLine whose NameType is "Initials". */
static xmlNode *initials_line(const xmlNode *pn)
{
    for (xmlNode *c = st_emlxml_child(pn, ST_EML_NS_XNL, "NameLine"); c;
         c = st_emlxml_next(c->next, ST_EML_NS_XNL, "NameLine")) {
        xmlChar *t = xmlGetNoNsProp(c, (const xmlChar *)"NameType");
        int yes = t && strcmp((const char *)t, "Initials") == 0;
        xmlFree(t);
        if (yes)
            return c;
    }
    return NULL;
}

/* Read one Candidate into the list's slot for its number. */
static int read_candidate(st_list *l, xmlNode *cand, int ordinal,
                          const char *path, st_error *err)
{
    int rc = ST_OK, nomem = 0, number;
    char *id = NULL, *prefix = NULL, *last = NULL, *initials = NULL,
         *first = NULL;
    xmlNode *ci = st_emlxml_child(cand, ST_EML_NS, "CandidateIdentifier");
    xmlNode *pn = st_emlxml_child(st_emlxml_child(cand, ST_EML_NS, "CandidateFullName"),
                        ST_EML_NS_XNL, "PersonName");

    id = st_emlxml_attr(ci, "Id", &nomem);
    if (nomem)
        goto nomem;
    if (!parse_number(id, &number)) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: list %d, candidate %d in file order: "
                          "CandidateIdentifier Id %s%s%s is not a positive "
                          "integer", path, l->number, ordinal,
                          id ? "\"" : "", id ? id : "missing", id ? "\"" : "");
        goto out;
    }
    if (number > l->n_candidates) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: list %d has %d candidates but one is "
                          "numbered %d: numbers must run 1..%d without gaps",
                          path, l->number, l->n_candidates, number,
                          l->n_candidates);
        goto out;
    }
    st_candidate *slot = &l->candidates[number - 1];
    if (slot->name) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: list %d: candidate number %d appears "
                          "twice", path, l->number, number);
        goto out;
    }

    last = st_emlxml_child_text(pn, ST_EML_NS_XNL, "LastName", &nomem);
    prefix = st_emlxml_child_text(pn, ST_EML_NS_XNL, "NamePrefix", &nomem);
    first = st_emlxml_child_text(pn, ST_EML_NS_XNL, "FirstName", &nomem);
    xmlNode *il = initials_line(pn);
    if (il) {
        initials = st_emlxml_text(il);
        if (!initials)
            nomem = 1;
        else if (!*initials) {
            free(initials);
            initials = NULL;
        }
    }
    if (nomem)
        goto nomem;
    if (!last) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: list %d, candidate %d has no "
                          "CandidateFullName/xnl:PersonName/xnl:LastName",
                          path, l->number, number);
        goto out;
    }
    slot->number = number;
    slot->name = format_name(prefix, last, initials, first);
    if (!slot->name)
        goto nomem;
    goto out;

nomem:
    rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
out:
    free(id);
    free(prefix);
    free(last);
    free(initials);
    free(first);
    return rc;
}

/* Read one Affiliation into l (zeroed by the caller; on failure what was
 * filled is left for st_model_free). ordinal is its place in the file. */
static int read_list(st_list *l, xmlNode *aff, int ordinal, const char *path,
                     st_error *err)
{
    int rc = ST_OK, nomem = 0;
    xmlNode *ai = st_emlxml_child(aff, ST_EML_NS, "AffiliationIdentifier");
    char *id = st_emlxml_attr(ai, "Id", &nomem);
    if (nomem)
        goto nomem;
    if (!parse_number(id, &l->number)) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: list %d in file order: "
                          "AffiliationIdentifier Id %s%s%s is not a list "
                          "number (a positive integer)", path, ordinal,
                          id ? "\"" : "", id ? id : "missing", id ? "\"" : "");
        goto out;
    }
    /* A list may be registered without a name; it is then blank. */
    l->name = st_emlxml_text(st_emlxml_child(ai, ST_EML_NS, "RegisteredName"));
    if (!l->name)
        goto nomem;

    int n = st_emlxml_count(aff, ST_EML_NS, "Candidate");
    if (n == 0) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: list %d has no candidates", path,
                          l->number);
        goto out;
    }
    if (n > ST_LAYOUT_MAX_NUMBERS) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: list %d has %d candidates; the ballot's "
                          "number grid holds at most %d", path, l->number, n,
                          ST_LAYOUT_MAX_NUMBERS);
        goto out;
    }
    l->candidates = calloc((size_t)n, sizeof *l->candidates);
    if (!l->candidates)
        goto nomem;
    l->n_candidates = n;

    int k = 0;
    for (xmlNode *c = st_emlxml_child(aff, ST_EML_NS, "Candidate"); c;
         c = st_emlxml_next(c->next, ST_EML_NS, "Candidate")) {
        rc = read_candidate(l, c, ++k, path, err);
        if (rc != ST_OK)
            goto out;
    }
    /* n distinct numbers in 1..n: every slot is filled, no gaps. */
    goto out;

nomem:
    rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
out:
    free(id);
    return rc;
}

static int read_lists(st_model *m, xmlNode *contest, const char *path,
                      st_error *err)
{
    int n = st_emlxml_count(contest, ST_EML_NS, "Affiliation");
    if (n == 0)
        return st_error_set(err, ST_ERR_INVALID,
                            "eml: %s: has no Affiliation: a candidate list "
                            "without lists", path);
    if (n > ST_LAYOUT_MAX_LISTS)
        return st_error_set(err, ST_ERR_INVALID,
                            "eml: %s: has %d lists; the ballot holds at most "
                            "%d", path, n, ST_LAYOUT_MAX_LISTS);
    m->lists = calloc((size_t)n, sizeof *m->lists);
    if (!m->lists)
        return st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory",
                            path);
    m->n_lists = n;

    int i = 0;
    for (xmlNode *a = st_emlxml_child(contest, ST_EML_NS, "Affiliation"); a;
         a = st_emlxml_next(a->next, ST_EML_NS, "Affiliation"), i++) {
        int rc = read_list(&m->lists[i], a, i + 1, path, err);
        if (rc != ST_OK)
            return rc;
        for (int j = 0; j < i; j++)
            if (m->lists[j].number == m->lists[i].number)
                return st_error_set(err, ST_ERR_INVALID,
                                    "eml: %s: list number %d appears twice "
                                    "(lists %d and %d in file order)", path,
                                    m->lists[i].number, j + 1, i + 1);
    }
    return ST_OK;
}

/* Election id, name, date and domain from ElectionIdentifier, falling back
 * to the ManagingAuthority for the domain. */
static int read_election(st_model *m, xmlNode *root, xmlNode *eid,
                         const char *path, st_error *err)
{
    int rc = ST_OK, nomem = 0;
    char *id = NULL, *name = NULL, *date = NULL, *code = NULL, *where = NULL, *sub = NULL;
    xmlNode *dom = st_emlxml_child(eid, ST_EML_NS_KR, "ElectionDomain");
    if (!dom)
        dom = st_emlxml_child(st_emlxml_child(root, ST_EML_NS, "ManagingAuthority"), ST_EML_NS,
                    "AuthorityIdentifier");

    id = st_emlxml_attr(eid, "Id", &nomem);
    name = st_emlxml_child_text(eid, ST_EML_NS, "ElectionName", &nomem);
    date = st_emlxml_child_text(eid, ST_EML_NS_KR, "ElectionDate", &nomem);
    sub = st_emlxml_child_text(eid, ST_EML_NS_KR, "ElectionSubcategory", &nomem);
    code = st_emlxml_attr(dom, "Id", &nomem);
    where = dom ? st_emlxml_text(dom) : NULL;
    if (nomem || (dom && !where)) {
        rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
        goto out;
    }
    if (!id || !*id) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: ElectionIdentifier has no Id", path);
        goto out;
    }
    if (set_str(&m->election_id, id) || set_str(&m->election_name,
                                                name ? name : id) ||
        set_str(&m->election_date, date) ||
        set_str(&m->election_subcategory, sub) ||
        set_str(&m->municipality_code, code) ||
        set_str(&m->municipality_name, where))
        rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
out:
    free(id);
    free(name);
    free(date);
    free(code);
    free(where);
    free(sub);
    return rc;
}

int st_eml_read_candidates(const char *path, st_model **out, st_error *err)
{
    int rc;
    xmlDocPtr doc = NULL;
    xmlNode *root;
    st_model *m = NULL;

    if (out)
        *out = NULL;
    if (!path || !out)
        return st_error_set(err, ST_ERR_ARG,
                            "eml: no file name or no place for the model");
    rc = st_emlxml_parse(path, "eml", &doc, err);
    if (rc != ST_OK)
        goto out;
    rc = check_root(doc, path, "230b", &root, err);
    if (rc != ST_OK)
        goto out;

    xmlNode *election = st_emlxml_child(st_emlxml_child(root, ST_EML_NS, "CandidateList"),
                              ST_EML_NS, "Election");
    xmlNode *eid = st_emlxml_child(election, ST_EML_NS, "ElectionIdentifier");
    if (!eid) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: no CandidateList/Election/"
                          "ElectionIdentifier", path);
        goto out;
    }
    /* One ballot serves one contest (kieskring); a file with several would
     * need one model each, which this reader does not guess at. */
    int contests = st_emlxml_count(election, ST_EML_NS, "Contest");
    if (contests != 1) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          contests ? "eml: %s: holds %d contests; a ballot "
                                     "covers exactly one"
                                   : "eml: %s: holds %d contests, so no "
                                     "lists",
                          path, contests);
        goto out;
    }

    m = st_model_new();
    if (!m) {
        rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
        goto out;
    }
    rc = read_election(m, root, eid, path, err);
    if (rc != ST_OK)
        goto out;
    rc = read_lists(m, st_emlxml_child(election, ST_EML_NS, "Contest"), path, err);
    if (rc != ST_OK)
        goto out;
    *out = m;
    m = NULL;
out:
    st_model_free(m);
    xmlFreeDoc(doc);
    return rc;
}

/* ---- 110a ---- */

int st_eml_apply_definition(st_model *m, const char *path_110a, st_error *err)
{
    int rc, nomem = 0;
    xmlDocPtr doc = NULL;
    xmlNode *root;
    char *id = NULL, *name = NULL, *date = NULL, *code = NULL, *where = NULL, *sub = NULL;

    if (!m || !path_110a)
        return st_error_set(err, ST_ERR_ARG,
                            "eml: no model or no definition file given");
    rc = st_emlxml_parse(path_110a, "eml", &doc, err);
    if (rc != ST_OK)
        goto out;
    rc = check_root(doc, path_110a, "110a", &root, err);
    if (rc != ST_OK)
        goto out;

    xmlNode *eid = st_emlxml_child(st_emlxml_child(st_emlxml_child(root, ST_EML_NS, "ElectionEvent"),
                               ST_EML_NS, "Election"),
                         ST_EML_NS, "ElectionIdentifier");
    xmlNode *dom = st_emlxml_child(eid, ST_EML_NS_KR, "ElectionDomain");
    id = st_emlxml_attr(eid, "Id", &nomem);
    name = st_emlxml_child_text(eid, ST_EML_NS, "ElectionName", &nomem);
    date = st_emlxml_child_text(eid, ST_EML_NS_KR, "ElectionDate", &nomem);
    code = st_emlxml_attr(dom, "Id", &nomem);
    where = st_emlxml_child_text(eid, ST_EML_NS_KR, "ElectionDomain", &nomem);
    sub = st_emlxml_child_text(eid, ST_EML_NS_KR, "ElectionSubcategory", &nomem);
    if (nomem) {
        rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory",
                          path_110a);
        goto out;
    }
    if (!eid || !id) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: no ElectionEvent/Election/"
                          "ElectionIdentifier with an Id", path_110a);
        goto out;
    }
    if (!m->election_id || strcmp(id, m->election_id) != 0) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: defines election %s, but the model is "
                          "for election %s", path_110a, id,
                          m->election_id ? m->election_id : "(none)");
        goto out;
    }
    /* Everything is allocated; now take it over without failing halfway. */
#define TAKE(field, value)                                                  \
    do {                                                                    \
        if (value) {                                                        \
            free(m->field);                                                 \
            m->field = value;                                               \
            value = NULL;                                                   \
        }                                                                   \
    } while (0)
    TAKE(election_name, name);
    TAKE(election_date, date);
    TAKE(election_subcategory, sub);
    TAKE(municipality_code, code);
    TAKE(municipality_name, where);
#undef TAKE
out:
    free(id);
    free(name);
    free(date);
    free(code);
    free(where);
    free(sub);
    xmlFreeDoc(doc);
    return rc;
}

/* ---- 110b ---- */

/* One PollingPlace: its station, name and postcode into l. */
static int read_place(const xmlNode *pp, const char *code, const char *path,
                      st_station_list *l, st_error *err)
{
    int nomem = 0, rc;
    xmlNode *loc = st_emlxml_child(pp, ST_EML_NS, "PhysicalLocation");
    xmlNode *ps = st_emlxml_child(loc, ST_EML_NS, "PollingStation");
    xmlNode *lc = st_emlxml_child(st_emlxml_child(loc, ST_EML_NS, "Address"), ST_EML_NS,
                                  "Locality");
    char *num = st_emlxml_attr(ps, "Id", &nomem);
    char *name = st_emlxml_child_text(lc, ST_EML_NS_XAL, "LocalityName", &nomem);
    char *post = st_emlxml_child_text(st_emlxml_child(lc, ST_EML_NS_XAL, "PostalCode"),
                                      ST_EML_NS_XAL, "PostalCodeNumber", &nomem);
    char *voters = ps ? st_emlxml_text(ps) : NULL;
    char where[4200], id[64];
    snprintf(where, sizeof where, "stations: %s: line %d", path, ps ? ps->line : pp->line);
    if (nomem || (ps && !voters)) {
        rc = st_error_set(err, ST_ERR_NOMEM, "stations: %s: out of memory", path);
    } else if (!num) {
        rc = st_error_set(err, ST_ERR_INVALID, "%s: a PollingPlace without a PollingStation Id",
                          where);
    } else {
        char *end = NULL;
        long long eligible = voters && *voters ? strtoll(voters, &end, 10) : -1;
        if (end && (*end || eligible < 0))
            eligible = -1;
        snprintf(id, sizeof id, "%s::SB%s", code, num);
        rc = st_station_list_add(l, id, name && *name ? name : id, post, eligible, where, err);
    }
    free(num);
    free(name);
    free(post);
    free(voters);
    return rc;
}

int st_eml_read_stations(const char *path, st_station_list *out, st_error *err)
{
    int rc, nomem = 0;
    xmlDocPtr doc = NULL;
    xmlNode *root;
    char *code = NULL;
    st_station_list l = {{0}, 0, NULL};
    if (!path || !out)
        return st_error_set(err, ST_ERR_ARG, "stations: no file given");
    if ((rc = st_emlxml_parse(path, "stations", &doc, err)) ||
        (rc = check_root(doc, path, "110b", &root, err)))
        goto out;
    xmlNode *el = st_emlxml_child(st_emlxml_child(root, ST_EML_NS, "ElectionEvent"), ST_EML_NS,
                                  "Election");
    xmlNode *dom = st_emlxml_child(st_emlxml_child(el, ST_EML_NS, "ElectionIdentifier"),
                                   ST_EML_NS_KR, "ElectionDomain");
    code = st_emlxml_attr(dom, "Id", &nomem);
    if (!code && !nomem)
        code = st_emlxml_attr(st_emlxml_child(st_emlxml_child(root, ST_EML_NS,
                                                              "ManagingAuthority"),
                                              ST_EML_NS, "AuthorityIdentifier"),
                              "Id", &nomem);
    if (nomem) {
        rc = st_error_set(err, ST_ERR_NOMEM, "stations: %s: out of memory", path);
        goto out;
    }
    if (!code || strlen(code) != 4 || strspn(code, "0123456789") != 4) {
        rc = st_error_set(err, ST_ERR_INVALID, "stations: %s: no 4-digit municipality code "
                          "(kr:ElectionDomain or ManagingAuthority Id)", path);
        goto out;
    }
    snprintf(l.municipality, sizeof l.municipality, "%s", code);
    for (xmlNode *c = st_emlxml_child(el, ST_EML_NS, "Contest"); c && !rc;
         c = st_emlxml_next(c->next, ST_EML_NS, "Contest"))
        for (xmlNode *pp = st_emlxml_child(c, ST_EML_NS, "PollingPlace"); pp && !rc;
             pp = st_emlxml_next(pp->next, ST_EML_NS, "PollingPlace")) {
            char *channel = st_emlxml_attr(pp, "Channel", &nomem);
            if (!channel || !strcmp(channel, "polling"))
                rc = read_place(pp, code, path, &l, err);
            free(channel);
        }
    if (!rc && nomem)
        rc = st_error_set(err, ST_ERR_NOMEM, "stations: %s: out of memory", path);
    if (!rc && l.n == 0)
        rc = st_error_set(err, ST_ERR_INVALID, "stations: %s: no PollingPlace with a "
                          "PollingStation", path);
out:
    free(code);
    xmlFreeDoc(doc);
    if (rc)
        st_station_list_free(&l);
    else
        *out = l;
    return rc;
}

/* ---- XSD validation ---- */

/* Validate doc (which name stands for) against the schema at xsd_path;
 * takes doc. */
static int validate_doc(xmlDocPtr doc, const char *path, const char *xsd_path, st_error *err)
{
    int rc = ST_OK;
    st_emlxml_capture cap;
    xmlSchemaParserCtxtPtr pctx = NULL;
    xmlSchemaPtr schema = NULL;
    xmlSchemaValidCtxtPtr vctx = NULL;

    st_emlxml_quiet_begin(&cap);
    pctx = xmlSchemaNewParserCtxt(xsd_path);
    schema = pctx ? xmlSchemaParse(pctx) : NULL;
    if (!schema) {
        /* The culprit may be an included schema: name it and its line. */
        char where[ST_EMLXML_MSG_MAX + 32] = "";
        if (cap.line > 0)
            snprintf(where, sizeof where, "%s line %d: ",
                     cap.file[0] ? cap.file : xsd_path, cap.line);
        rc = st_error_set(err, ST_ERR_UNSUPPORTED,
                          "eml: %s: cannot load schema: %s%s", xsd_path,
                          where, cap.have ? cap.msg : "unknown error");
        goto out;
    }
    vctx = xmlSchemaNewValidCtxt(schema);
    if (!vctx) {
        rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
        goto out;
    }
    cap.have = 0;
    int v = xmlSchemaValidateDoc(vctx, doc);
    if (v > 0)
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: not valid against %s: line %d: %s", path,
                          xsd_path, cap.line,
                          cap.have ? cap.msg : "unknown error");
    else if (v < 0)
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: libxml2 could not validate it against "
                          "%s: %s", path, xsd_path,
                          cap.have ? cap.msg : "internal error");
out:
    xmlSchemaFreeValidCtxt(vctx);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pctx);
    xmlFreeDoc(doc);
    st_emlxml_quiet_end(&cap);
    return rc;
}

int st_eml_validate(const char *path, const char *xsd_path, st_error *err)
{
    int rc;
    xmlDocPtr doc = NULL;
    if (!path || !xsd_path)
        return st_error_set(err, ST_ERR_ARG,
                            "eml: no file or no schema given to validate");
    if ((rc = st_emlxml_readable(xsd_path, "eml", err)) ||
        (rc = st_emlxml_parse(path, "eml", &doc, err)))
        return rc;
    return validate_doc(doc, path, xsd_path, err);
}

int st_eml_validate_memory(const char *buf, size_t len, const char *name,
                           const char *xsd_path, st_error *err)
{
    int rc;
    xmlDocPtr doc = NULL;
    if (!buf || !name || !xsd_path)
        return st_error_set(err, ST_ERR_ARG,
                            "eml: no document or no schema given to validate");
    if ((rc = st_emlxml_readable(xsd_path, "eml", err)) ||
        (rc = st_emlxml_parse_memory(buf, len, name, "eml", &doc, err)))
        return rc;
    return validate_doc(doc, name, xsd_path, err);
}
