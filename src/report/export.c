/* export.c - the count as the Kiesraad's EML 510b file
 *
 * Builds the reconciliation report (reconcile.h) for its figures and its
 * list of blocks, then streams the XML with libxml2's text writer, which
 * does the escaping: the envelope the 510 schema asks for (TransactionId,
 * ManagingAuthority, kr:CreationDateTime, ds:CanonicalizationMethod), the
 * election's identifier, and one vote group for the totals and one per
 * polling station (each ending in the kr:ReportingUnitInvestigations of a
 * station counted centrally), in the element order of the schema. The
 * document is made in memory, validated against the official 510 schema
 * (so a name the schema does not take stops the export rather than
 * reaching the Kiesraad) and handed whole to util/atomic.h, so the file on
 * disk is the old one or the complete new one.
 */
#include "stemtel/export.h"
#include "stemtel/eml.h"
#include "stemtel/reconcile.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "util/atomic.h"

/* The figures of one vote group. */
typedef struct vgroup {
    const st_tally *t;
    int64_t cast, A, B, C, D, E, F, G, I, J;
} vgroup;

/* Every writer call below returns < 0 on failure; the functions OR
 * those failures into one flag. */
static int el_count(xmlTextWriterPtr w, const char *name, const char *code, int64_t v)
{
    int bad = xmlTextWriterStartElement(w, BAD_CAST name) < 0;
    if (code)
        bad |= xmlTextWriterWriteAttribute(w, BAD_CAST "ReasonCode", BAD_CAST code) < 0;
    bad |= xmlTextWriterWriteFormatString(w, "%lld", (long long)v) < 0;
    bad |= xmlTextWriterEndElement(w) < 0;
    return bad;
}

/* Whether the election's form has a C (kiezerspassen): not at municipal
 * elections (domain.md), whose ids begin with GR. Abacus writes "geldige
 * kiezerspassen" only when there is a C. */
static int has_kiezerspassen(const st_model *m)
{
    return strncmp(m->election_id, "GR", 2) != 0;
}

static int write_group(xmlTextWriterPtr w, const st_model *m, const vgroup *g)
{
    int rc = 0;
    char id[16];
    for (int l = 0; l < m->n_lists; l++) {
        const st_list *lst = &m->lists[l];
        snprintf(id, sizeof id, "%d", lst->number);
        rc |= xmlTextWriterStartElement(w, BAD_CAST "Selection") < 0;
        rc |= xmlTextWriterStartElement(w, BAD_CAST "AffiliationIdentifier") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "Id", BAD_CAST id) < 0;
        rc |= xmlTextWriterWriteElement(w, BAD_CAST "RegisteredName", BAD_CAST lst->name) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
        rc |= el_count(w, "ValidVotes", NULL, st_tally_list_total(g->t, lst->number));
        rc |= xmlTextWriterEndElement(w) < 0;
        for (int c = 1; c <= lst->n_candidates; c++) {
            snprintf(id, sizeof id, "%d", c);
            rc |= xmlTextWriterStartElement(w, BAD_CAST "Selection") < 0;
            rc |= xmlTextWriterStartElement(w, BAD_CAST "Candidate") < 0;
            rc |= xmlTextWriterStartElement(w, BAD_CAST "CandidateIdentifier") < 0;
            rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "Id", BAD_CAST id) < 0;
            rc |= xmlTextWriterEndElement(w) < 0;
            rc |= xmlTextWriterEndElement(w) < 0;
            rc |= el_count(w, "ValidVotes", NULL, st_tally_votes(g->t, lst->number, c));
            rc |= xmlTextWriterEndElement(w) < 0;
        }
    }
    rc |= el_count(w, "Cast", NULL, g->cast);
    rc |= el_count(w, "TotalCounted", NULL, g->E);
    rc |= el_count(w, "RejectedVotes", "ongeldig", g->G);
    rc |= el_count(w, "RejectedVotes", "blanco", g->F);
    rc |= el_count(w, "UncountedVotes", "geldige stempassen", g->A);
    rc |= el_count(w, "UncountedVotes", "geldige volmachtbewijzen", g->B);
    if (has_kiezerspassen(m))
        rc |= el_count(w, "UncountedVotes", "geldige kiezerspassen", g->C);
    rc |= el_count(w, "UncountedVotes", "toegelaten kiezers", g->D);
    rc |= el_count(w, "UncountedVotes", "meer getelde stembiljetten", g->I);
    rc |= el_count(w, "UncountedVotes", "minder getelde stembiljetten", g->J);
    return rc;
}

/* kr:ReportingUnitInvestigations, which Abacus writes for every station
 * counted centrally: the GSB's two B1-1 answers when it gave them (yes
 * or no), then always whether the admitted voters were counted again. */
static int write_investigations(xmlTextWriterPtr w, const st_recon_station *s)
{
    static const struct { st_b1_question q; const char *code; } asked[] = {
        {ST_B1_OTHER_REASON, "onderzocht vanwege andere reden"},
        {ST_B1_RECOUNTED, "stembiljetten deels herteld"}};
    int rc = xmlTextWriterStartElement(w, BAD_CAST "kr:ReportingUnitInvestigations") < 0;
    for (size_t k = 0; k < sizeof asked / sizeof *asked; k++) {
        st_answer a = s->b1.a[asked[k].q];
        if (a != ST_ANSWER_YES && a != ST_ANSWER_NO)
            continue;
        rc |= xmlTextWriterStartElement(w, BAD_CAST "kr:Investigation") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "ReasonCode", BAD_CAST asked[k].code) < 0;
        rc |= xmlTextWriterWriteString(w, BAD_CAST(a == ST_ANSWER_YES ? "true" : "false")) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    rc |= xmlTextWriterStartElement(w, BAD_CAST "kr:Investigation") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "ReasonCode",
                                      BAD_CAST "toegelaten kiezers opnieuw vastgesteld") < 0;
    rc |= xmlTextWriterWriteString(w, BAD_CAST(s->recount_admitted ? "true" : "false")) < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    return rc;
}

static vgroup station_group(const st_recon_station *s)
{
    vgroup g = {s->tally, 0, s->A, s->B, s->C, s->D, s->E, s->F, s->G, s->I, s->J};
    if (s->has_basis && s->basis.eligible > 0)
        g.cast = s->basis.eligible;
    return g;
}

static int write_doc(xmlTextWriterPtr w, const st_recon *r, const char *when, int draft)
{
    const st_model *m = r->model;
    char category[8] = "";
    int rc = 0;
    /* The category is the letters the election id starts with (GR, TK, ...). */
    for (size_t i = 0; i < sizeof category - 1 && isupper((unsigned char)m->election_id[i]); i++)
        category[i] = m->election_id[i];
    rc |= xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0;
    if (draft) {
        char note[1200];
        int len = snprintf(note, sizeof note,
                           " DRAFT - NOT A FINAL RESULT. Exported as a draft while this blocked "
                           "a final result:");
        for (int i = 0; i < r->n_blocks && i < 10 && len < (int)sizeof note; i++)
            len += snprintf(note + len, sizeof note - (size_t)len, " [%s]", r->blocks[i]);
        if (r->n_blocks > 10 && len < (int)sizeof note)
            snprintf(note + len, sizeof note - (size_t)len, " and %d more", r->n_blocks - 10);
        /* "--" may not appear inside a comment. */
        for (char *p = strstr(note, "--"); p; p = strstr(p, "--"))
            p[1] = ' ';
        rc |= xmlTextWriterWriteFormatComment(w, "%s ", note) < 0;
    }
    rc |= xmlTextWriterStartElement(w, BAD_CAST "EML") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST ST_EML_NS) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:ds",
                                      BAD_CAST "http://www.w3.org/2000/09/xmldsig#") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:kr", BAD_CAST ST_EML_NS_KR) < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "Id", BAD_CAST "510b") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "SchemaVersion", BAD_CAST "5") < 0;
    rc |= xmlTextWriterWriteElement(w, BAD_CAST "TransactionId", BAD_CAST "1") < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "ManagingAuthority") < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "AuthorityIdentifier") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "Id", BAD_CAST m->municipality_code) < 0;
    rc |= xmlTextWriterWriteString(w, BAD_CAST m->municipality_name) < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    rc |= xmlTextWriterWriteElement(w, BAD_CAST "AuthorityAddress", BAD_CAST "") < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    rc |= xmlTextWriterWriteElement(w, BAD_CAST "kr:CreationDateTime", BAD_CAST when) < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "ds:CanonicalizationMethod") < 0;
    rc |= xmlTextWriterWriteAttribute(
              w, BAD_CAST "Algorithm",
              BAD_CAST "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments") < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "Count") < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "kr:CountingMethod") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "MethodCode",
                                      BAD_CAST "centrale stemopneming") < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    rc |= xmlTextWriterWriteElement(w, BAD_CAST "EventIdentifier", BAD_CAST "") < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "Election") < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "ElectionIdentifier") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "Id", BAD_CAST m->election_id) < 0;
    rc |= xmlTextWriterWriteElement(w, BAD_CAST "ElectionName", BAD_CAST m->election_name) < 0;
    rc |= xmlTextWriterWriteElement(w, BAD_CAST "ElectionCategory", BAD_CAST category) < 0;
    /* Before the domain, as the Kiesraad's extension orders them. */
    if (m->election_subcategory && *m->election_subcategory)
        rc |= xmlTextWriterWriteElement(w, BAD_CAST "kr:ElectionSubcategory",
                                        BAD_CAST m->election_subcategory) < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "kr:ElectionDomain") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "Id", BAD_CAST m->municipality_code) < 0;
    rc |= xmlTextWriterWriteString(w, BAD_CAST m->municipality_name) < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    if (m->election_date && *m->election_date)
        rc |= xmlTextWriterWriteElement(w, BAD_CAST "kr:ElectionDate",
                                        BAD_CAST m->election_date) < 0;
    rc |= xmlTextWriterEndElement(w) < 0; /* ElectionIdentifier */
    rc |= xmlTextWriterStartElement(w, BAD_CAST "Contests") < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "Contest") < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "ContestIdentifier") < 0;
    rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "Id", BAD_CAST "geen") < 0;
    rc |= xmlTextWriterEndElement(w) < 0;
    vgroup total = {r->total, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    st_tally_totals x;
    st_tally_get_totals(r->total, &x);
    total.E = x.E;
    total.F = x.F;
    total.G = x.G;
    for (int i = 0; i < r->n; i++) {
        vgroup g = station_group(&r->st[i]);
        total.cast += g.cast;
        total.A += g.A;
        total.B += g.B;
        total.C += g.C;
        total.D += g.D;
        total.I += g.I;
        total.J += g.J;
    }
    rc |= xmlTextWriterStartElement(w, BAD_CAST "TotalVotes") < 0;
    rc |= write_group(w, m, &total);
    rc |= xmlTextWriterEndElement(w) < 0;
    for (int i = 0; i < r->n; i++) {
        const st_recon_station *s = &r->st[i];
        vgroup g = station_group(s);
        rc |= xmlTextWriterStartElement(w, BAD_CAST "ReportingUnitVotes") < 0;
        rc |= xmlTextWriterStartElement(w, BAD_CAST "ReportingUnitIdentifier") < 0;
        rc |= xmlTextWriterWriteAttribute(w, BAD_CAST "Id", BAD_CAST s->station) < 0;
        if (s->has_basis && s->basis.name)
            rc |= xmlTextWriterWriteString(w, BAD_CAST s->basis.name) < 0;
        rc |= xmlTextWriterEndElement(w) < 0;
        rc |= write_group(w, m, &g);
        rc |= write_investigations(w, s);
        rc |= xmlTextWriterEndElement(w) < 0;
    }
    rc |= xmlTextWriterEndDocument(w) < 0; /* closes every open element */
    return rc;
}

int st_export_eml(st_store *s, const char *path, int draft, const char *xsd, st_error *err)
{
    st_recon *r = NULL;
    xmlBufferPtr buf = NULL;
    xmlTextWriterPtr w = NULL;
    char when[32];
    int rc;
    if ((rc = st_reconcile(s, &r, err)) ||
        (rc = st_store_last_change(s, when, sizeof when, err)))
        goto out;
    if (r->n_blocks && !draft) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "export: %d thing%s block%s a final result, first: %s%s (see `stemtel "
                          "reconcile`; --draft writes a draft anyway)",
                          r->n_blocks, r->n_blocks == 1 ? "" : "s", r->n_blocks == 1 ? "s" : "",
                          r->blocks[0], r->n_blocks > 1 ? ", ..." : "");
        goto out;
    }
    if (!when[0])
        snprintf(when, sizeof when, "1970-01-01T00:00:00Z");
    if (!(buf = xmlBufferCreate()) || !(w = xmlNewTextWriterMemory(buf, 0))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "export: %s: out of memory", path);
        goto out;
    }
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    int bad = write_doc(w, r, when, draft);
    xmlFreeTextWriter(w); /* flushes what it holds into buf */
    w = NULL;
    if (bad) {
        rc = st_error_set(err, ST_ERR_IO, "export: %s: write failed", path);
        goto out;
    }
    if ((rc = st_eml_validate_memory((const char *)xmlBufferContent(buf),
                                     (size_t)xmlBufferLength(buf), path, xsd, err))) {
        st_error_prefix(err, "export: %s: not written, the official schema refuses it", path);
        goto out;
    }
    rc = st_atomic_write(path, xmlBufferContent(buf), (size_t)xmlBufferLength(buf), "export",
                         err);
out:
    xmlBufferFree(buf);
    st_recon_free(r);
    return rc;
}
