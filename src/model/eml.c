/* eml.c - read EML_NL 230b candidate lists and 110a definitions into a model
 *
 * A file is parsed into a libxml2 tree with network access off. While a
 * call runs, libxml2's error handlers for this thread point at a capture on
 * the call's stack, so nothing is printed and the first error (with its
 * line) goes into the caller's st_error; the previous handlers are put back
 * before returning. Elements are matched by namespace URI and local name,
 * so the prefixes a producer chose do not matter. The importer walks
 * EML/CandidateList/Election, copies the election fields, builds each list
 * from its Affiliation and checks the numbering; the model is handed out
 * only when all of it succeeded.
 */
#include "stemtel/eml.h"
#include "stemtel/layout.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

/* Large enough for libxml2's messages, small enough to fit in st_error
 * beside a path. */
#define EML_MSG_MAX 300

/* What one call heard from libxml2, and the handlers it displaced. */
typedef struct eml_capture {
    int have;
    int line;
    char file[EML_MSG_MAX];
    char msg[EML_MSG_MAX];
    xmlStructuredErrorFunc old_serror;
    void *old_sctx;
    xmlGenericErrorFunc old_generic;
    void *old_gctx;
} eml_capture;

static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

/* Keep the first error; warnings are dropped (the schemas produce none that
 * matter, and they must not be printed either). */
static void capture_structured(void *ctx, xmlErrorPtr e)
{
    eml_capture *c = ctx;
    if (c->have || !e || e->level < XML_ERR_ERROR)
        return;
    c->have = 1;
    c->line = e->line;
    snprintf(c->file, sizeof c->file, "%s", e->file ? e->file : "");
    snprintf(c->msg, sizeof c->msg, "%s",
             e->message ? e->message : "unknown libxml2 error");
    trim_end(c->msg);
}

/* A few libxml2 paths bypass the structured channel; swallow them, keeping
 * the text only if nothing better arrived. */
static void capture_generic(void *ctx, const char *fmt, ...)
{
    eml_capture *c = ctx;
    if (c->have)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    trim_end(c->msg);
    c->have = c->msg[0] != '\0';
    c->line = 0;
}

/* libxml2 2.9 keeps these handlers per thread (Debian builds it with
 * threads), so this silences only the calling thread. */
static void quiet_begin(eml_capture *c)
{
    memset(c, 0, sizeof *c);
    c->old_serror = xmlStructuredError;
    c->old_sctx = xmlStructuredErrorContext;
    c->old_generic = xmlGenericError;
    c->old_gctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(c, capture_structured);
    xmlSetGenericErrorFunc(c, capture_generic);
}

static void quiet_end(eml_capture *c)
{
    xmlSetStructuredErrorFunc(c->old_sctx, c->old_serror);
    xmlSetGenericErrorFunc(c->old_gctx, c->old_generic);
}

/* Fail early with the system's reason rather than libxml2's vaguer one. */
static int check_readable(const char *path, st_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        char buf[128];
        return st_error_set(err, ST_ERR_IO, "eml: %s: cannot open: %s", path,
                            strerror_r(errno, buf, sizeof buf));
    }
    fclose(f);
    return ST_OK;
}

/* Parse path into a tree (*out, free with xmlFreeDoc). Entities are not
 * substituted and nothing is fetched from the network. */
static int eml_parse(const char *path, xmlDocPtr *out, st_error *err)
{
    eml_capture cap;
    xmlParserCtxtPtr ctxt = NULL;
    int rc = check_readable(path, err);
    *out = NULL;
    if (rc != ST_OK)
        return rc;

    quiet_begin(&cap);
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
        goto out;
    }
    *out = xmlCtxtReadFile(ctxt, path, NULL,
                           XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    if (!*out) {
        if (cap.have)
            rc = st_error_set(err, ST_ERR_PARSE,
                              "eml: %s: not well-formed XML: line %d: %s",
                              path, cap.line, cap.msg);
        else
            rc = st_error_set(err, ST_ERR_PARSE,
                              "eml: %s: could not be parsed as XML", path);
    }
out:
    xmlFreeParserCtxt(ctxt);
    quiet_end(&cap);
    return rc;
}

/* ---- tree helpers: match by namespace URI + local name ---- */

static int is_el(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, ns) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

static xmlNode *next_el(xmlNode *n, const char *ns, const char *name)
{
    for (; n; n = n->next)
        if (is_el(n, ns, name))
            return n;
    return NULL;
}

/* First child of parent (which may be NULL) named ns:name. */
static xmlNode *child(const xmlNode *parent, const char *ns, const char *name)
{
    return parent ? next_el(parent->children, ns, name) : NULL;
}

static int count_children(const xmlNode *parent, const char *ns,
                          const char *name)
{
    int n = 0;
    for (xmlNode *c = child(parent, ns, name); c;
         c = next_el(c->next, ns, name))
        n++;
    return n;
}

/* Text content of n with leading, trailing and repeated whitespace
 * removed, as xs:token does (the indented files wrap nothing, but may).
 * malloc'd; "" for a NULL node; NULL only on no memory. */
static char *text_dup(const xmlNode *n)
{
    xmlChar *raw = n ? xmlNodeGetContent(n) : NULL;
    const char *s = raw ? (const char *)raw : "";
    char *out = malloc(strlen(s) + 1);
    if (out) {
        size_t k = 0;
        int space = 0;
        for (; *s; s++) {
            if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
                space = k > 0;
                continue;
            }
            if (space)
                out[k++] = ' ';
            space = 0;
            out[k++] = *s;
        }
        out[k] = '\0';
    }
    xmlFree(raw);
    return out;
}

/* Text of an optional child, or NULL when absent or empty. *nomem is set
 * when allocation failed. */
static char *child_text(const xmlNode *parent, const char *ns,
                        const char *name, int *nomem)
{
    xmlNode *c = child(parent, ns, name);
    if (!c)
        return NULL;
    char *t = text_dup(c);
    if (!t) {
        *nomem = 1;
        return NULL;
    }
    if (!*t) {
        free(t);
        return NULL;
    }
    return t;
}

/* An attribute without namespace as a malloc'd string (NULL if absent or
 * no memory; *nomem tells which). */
static char *attr_dup(const xmlNode *n, const char *name, int *nomem)
{
    xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    if (!s)
        *nomem = 1;
    return s;
}

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
    if (!is_el(r, ST_EML_NS, "EML"))
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "eml: %s: root element EML is not in the EML "
                            "namespace %s", path, ST_EML_NS);
    id = attr_dup(r, "Id", &nomem);
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
    for (xmlNode *c = child(pn, ST_EML_NS_XNL, "NameLine"); c;
         c = next_el(c->next, ST_EML_NS_XNL, "NameLine")) {
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
    xmlNode *ci = child(cand, ST_EML_NS, "CandidateIdentifier");
    xmlNode *pn = child(child(cand, ST_EML_NS, "CandidateFullName"),
                        ST_EML_NS_XNL, "PersonName");

    id = attr_dup(ci, "Id", &nomem);
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

    last = child_text(pn, ST_EML_NS_XNL, "LastName", &nomem);
    prefix = child_text(pn, ST_EML_NS_XNL, "NamePrefix", &nomem);
    first = child_text(pn, ST_EML_NS_XNL, "FirstName", &nomem);
    xmlNode *il = initials_line(pn);
    if (il) {
        initials = text_dup(il);
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
    xmlNode *ai = child(aff, ST_EML_NS, "AffiliationIdentifier");
    char *id = attr_dup(ai, "Id", &nomem);
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
    l->name = text_dup(child(ai, ST_EML_NS, "RegisteredName"));
    if (!l->name)
        goto nomem;

    int n = count_children(aff, ST_EML_NS, "Candidate");
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
    for (xmlNode *c = child(aff, ST_EML_NS, "Candidate"); c;
         c = next_el(c->next, ST_EML_NS, "Candidate")) {
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
    int n = count_children(contest, ST_EML_NS, "Affiliation");
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
    for (xmlNode *a = child(contest, ST_EML_NS, "Affiliation"); a;
         a = next_el(a->next, ST_EML_NS, "Affiliation"), i++) {
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
    char *id = NULL, *name = NULL, *date = NULL, *code = NULL, *where = NULL;
    xmlNode *dom = child(eid, ST_EML_NS_KR, "ElectionDomain");
    if (!dom)
        dom = child(child(root, ST_EML_NS, "ManagingAuthority"), ST_EML_NS,
                    "AuthorityIdentifier");

    id = attr_dup(eid, "Id", &nomem);
    name = child_text(eid, ST_EML_NS, "ElectionName", &nomem);
    date = child_text(eid, ST_EML_NS_KR, "ElectionDate", &nomem);
    code = attr_dup(dom, "Id", &nomem);
    where = dom ? text_dup(dom) : NULL;
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
        set_str(&m->municipality_code, code) ||
        set_str(&m->municipality_name, where))
        rc = st_error_set(err, ST_ERR_NOMEM, "eml: %s: out of memory", path);
out:
    free(id);
    free(name);
    free(date);
    free(code);
    free(where);
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
    rc = eml_parse(path, &doc, err);
    if (rc != ST_OK)
        goto out;
    rc = check_root(doc, path, "230b", &root, err);
    if (rc != ST_OK)
        goto out;

    xmlNode *election = child(child(root, ST_EML_NS, "CandidateList"),
                              ST_EML_NS, "Election");
    xmlNode *eid = child(election, ST_EML_NS, "ElectionIdentifier");
    if (!eid) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "eml: %s: no CandidateList/Election/"
                          "ElectionIdentifier", path);
        goto out;
    }
    /* One ballot serves one contest (kieskring); a file with several would
     * need one model each, which this reader does not guess at. */
    int contests = count_children(election, ST_EML_NS, "Contest");
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
    rc = read_lists(m, child(election, ST_EML_NS, "Contest"), path, err);
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
    char *id = NULL, *name = NULL, *date = NULL, *code = NULL, *where = NULL;

    if (!m || !path_110a)
        return st_error_set(err, ST_ERR_ARG,
                            "eml: no model or no definition file given");
    rc = eml_parse(path_110a, &doc, err);
    if (rc != ST_OK)
        goto out;
    rc = check_root(doc, path_110a, "110a", &root, err);
    if (rc != ST_OK)
        goto out;

    xmlNode *eid = child(child(child(root, ST_EML_NS, "ElectionEvent"),
                               ST_EML_NS, "Election"),
                         ST_EML_NS, "ElectionIdentifier");
    xmlNode *dom = child(eid, ST_EML_NS_KR, "ElectionDomain");
    id = attr_dup(eid, "Id", &nomem);
    name = child_text(eid, ST_EML_NS, "ElectionName", &nomem);
    date = child_text(eid, ST_EML_NS_KR, "ElectionDate", &nomem);
    code = attr_dup(dom, "Id", &nomem);
    where = child_text(eid, ST_EML_NS_KR, "ElectionDomain", &nomem);
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
    TAKE(municipality_code, code);
    TAKE(municipality_name, where);
#undef TAKE
out:
    free(id);
    free(name);
    free(date);
    free(code);
    free(where);
    xmlFreeDoc(doc);
    return rc;
}

/* ---- XSD validation ---- */

int st_eml_validate(const char *path, const char *xsd_path, st_error *err)
{
    int rc;
    eml_capture cap;
    xmlDocPtr doc = NULL;
    xmlSchemaParserCtxtPtr pctx = NULL;
    xmlSchemaPtr schema = NULL;
    xmlSchemaValidCtxtPtr vctx = NULL;

    if (!path || !xsd_path)
        return st_error_set(err, ST_ERR_ARG,
                            "eml: no file or no schema given to validate");
    rc = check_readable(xsd_path, err);
    if (rc != ST_OK)
        return rc;
    rc = eml_parse(path, &doc, err);
    if (rc != ST_OK)
        return rc;

    quiet_begin(&cap);
    pctx = xmlSchemaNewParserCtxt(xsd_path);
    schema = pctx ? xmlSchemaParse(pctx) : NULL;
    if (!schema) {
        /* The culprit may be an included schema: name it and its line. */
        char where[EML_MSG_MAX + 32] = "";
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
    quiet_end(&cap);
    return rc;
}
