/* record.c - Model Na 31-2 Bijlage 1 in Dutch, per station and for the municipality
 *
 * record_layout turns a reconciliation (reconcile.c) into the document the
 * gemeentelijk stembureau signs, as blocks (doc.h): a front page (election,
 * municipality, date, place, the exported 510b's SHA-256, what still
 * blocks a final result), one part per station with the form's sections
 * in the form's order and the Kiesraad's checks, and the municipality's
 * totals with the signature lines. The HTML and PDF writers print the
 * same blocks, so the two never disagree.
 */
#include "report/doc.h"
#include "stemtel/reconcile.h"
#include "stemtel/sha256.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WHO "reconcile"

int st_recon_export_hash(const char *path, st_recon_export *out, st_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return st_error_set(err, ST_ERR_IO, WHO ": %s: cannot read the exported file: %s",
                            path, strerror(errno));
    char *data = NULL;
    size_t n = 0, cap = 0, got;
    int rc = ST_OK;
    do {
        if (n == cap) {
            char *nd = realloc(data, cap = cap ? 2 * cap : 1 << 16);
            if (!nd) {
                rc = st_error_set(err, ST_ERR_NOMEM, WHO ": %s: out of memory", path);
                goto out;
            }
            data = nd;
        }
        n += got = fread(data + n, 1, cap - n, f);
    } while (got);
    if (ferror(f)) {
        rc = st_error_set(err, ST_ERR_IO, WHO ": %s: cannot read the exported file", path);
        goto out;
    }
    if (!n) {
        rc = st_error_set(err, ST_ERR_ARG, WHO ": %s: the exported file is empty", path);
        goto out;
    }
    uint8_t d[ST_SHA256_LEN];
    if ((rc = st_sha256(data, n, d))) {
        st_error_set(err, rc, WHO ": %s: cannot hash the file", path);
        goto out;
    }
    st_sha256_hex(d, out->sha256);
    snprintf(out->path, sizeof out->path, "%s", path);
out:
    free(data);
    fclose(f);
    return rc;
}

/* ---- words ---------------------------------------------------------------- */

/* The second word of the pair in map (n pairs) whose first is key; key
 * itself when there is none. */
static const char *word_for(const char *const (*map)[2], size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(map[i][0], key))
            return map[i][1];
    return key;
}

static const char *state_nl(const char *state)
{
    static const char *const map[][2] = {
        {ST_RECON_NOT_STARTED, "nog niet geteld"},
        {ST_RECON_IN_REVIEW, "in beoordeling"},
        {ST_RECON_WAITING, "wacht op de basistelling"},
        {ST_RECON_DIFFERENCES, "verschillen"},
        {ST_RECON_RECONCILED, "sluit aan"},
        {ST_RECON_NOT_LISTED, "niet op de lijst van stembureaus"}};
    return word_for(map, sizeof map / sizeof *map, state);
}

static const char *reason_nl(const char *code)
{
    static const char *const map[][2] = {
        {ST_REASON_NUMBER_WITHOUT_LIST, "nummer zonder lijst"},
        {ST_REASON_SEVERAL_LISTS, "meer dan een lijst"},
        {ST_REASON_NO_SUCH_CANDIDATE, "kandidaat bestaat niet"},
        {ST_REASON_SEVERAL_NUMBERS, "meer dan een nummer"},
        {ST_REASON_PARTY_ONLY, "alleen een lijstvak"},
        {ST_REASON_IDENTIFYING_WRITING, "herkenbaar schrift"},
        {ST_REASON_OTHER, "andere reden"},
        {ST_VOID_RESCAN, "opnieuw gescand"},
        {ST_VOID_NOT_A_BALLOT, "geen stembiljet"},
        {ST_VOID_DAMAGED, "beschadigd, opnieuw gescand"}};
    return word_for(map, sizeof map / sizeof *map, code);
}

/* "ja (Naam, 2026-03-19T10:00:00Z)", "niet beantwoord", "beide aangekruist". */
static const char *answer_nl(const st_b1_answers *b1, st_b1_question q, char *buf, size_t n)
{
    static const char *const word[] = {[ST_ANSWER_UNKNOWN] = "nog niet beantwoord",
                                       [ST_ANSWER_BLANK] = "niet beantwoord",
                                       [ST_ANSWER_YES] = "ja", [ST_ANSWER_NO] = "nee",
                                       [ST_ANSWER_BOTH] = "ja en nee beide aangekruist"};
    st_answer a = b1->a[q];
    const char *w = a >= ST_ANSWER_UNKNOWN && a <= ST_ANSWER_BOTH ? word[a] : "?";
    if (*b1->by[q])
        snprintf(buf, n, "%s (%s, %s)", w, b1->by[q], b1->at[q]);
    else
        snprintf(buf, n, "%s", w);
    return buf;
}

static const char *boxes_nl(int boxes)
{
    switch (boxes) {
    case ST_BOXES_UNKNOWN: return "niet ingevoerd";
    case 0: return "geen vakje";
    case ST_BOX_D_IS_H: return "D = H";
    case ST_BOX_H_OVER_D: return "H groter dan D";
    case ST_BOX_H_UNDER_D: return "H kleiner dan D";
    default: return "meer dan een vakje";
    }
}

static const char *const letter_nl[10] = {
    "stempassen", "volmachtbewijzen", "kiezerspassen", "toegelaten kiezers (A + B + C)",
    "stemmen op kandidaten", "blanco stembiljetten", "ongeldige stembiljetten",
    "getelde stembiljetten (E + F + G)", "meer getelde stembiljetten (H - D)",
    "minder getelde stembiljetten (D - H)"};

/* ---- parts ---------------------------------------------------------------- */

/* The figures A..J: the station's (or the stations' together) beside ours;
 * theirs NULL leaves its column empty. */
static void figures_table(st_doc *d, const int64_t *theirs, const int64_t *ours,
                          const char *who)
{
    st_doc_table(d, 4, 1u << 2 | 1u << 3, 0, "", "", who, "GSB");
    for (int k = 0; k < 10; k++) {
        st_doc_cell(d, "%c", 'A' + k);
        st_doc_cell(d, "%s", letter_nl[k]);
        if (theirs)
            st_doc_cell(d, "%lld", (long long)theirs[k]);
        else
            st_doc_cell(d, "%s", "");
        st_doc_cell(d, "%lld", (long long)ours[k]);
    }
}

/* Votes per list, theirs (E.x; NULL: not known) beside ours. */
static void lists_table(st_doc *d, const st_model *m, const int64_t *theirs,
                        const st_tally *t, const char *who)
{
    st_doc_table(d, 5, 1u << 0 | 1u << 2 | 1u << 3 | 1u << 4, 0, "Lijst", "Naam", who, "GSB",
                 "Verschil");
    for (int l = 0; l < m->n_lists; l++) {
        int64_t ours = st_tally_list_total(t, m->lists[l].number);
        st_doc_cell(d, "%d", m->lists[l].number);
        st_doc_cell(d, "%s", m->lists[l].name);
        if (theirs) {
            st_doc_cell(d, "%lld", (long long)theirs[l]);
            st_doc_cell(d, "%lld", (long long)ours);
            st_doc_cell(d, "%+lld", (long long)(ours - theirs[l]));
        } else {
            st_doc_cell(d, "%s", "");
            st_doc_cell(d, "%lld", (long long)ours);
            st_doc_cell(d, "%s", "");
        }
    }
}

/* One table per list: its candidates' votes in t and the list's total. */
static void candidates_tables(st_doc *d, const st_model *m, const st_tally *t)
{
    for (int l = 0; l < m->n_lists; l++) {
        const st_list *lst = &m->lists[l];
        char head[512];
        snprintf(head, sizeof head, "Lijst %d %s", lst->number, lst->name);
        st_doc_table(d, 3, 1u << 0 | 1u << 2, 0, "Nr", head, "Stemmen");
        for (int c = 1; c <= lst->n_candidates; c++) {
            st_doc_cell(d, "%d", c);
            st_doc_cell(d, "%s", lst->candidates[c - 1].name);
            st_doc_cell(d, "%lld", (long long)st_tally_votes(t, lst->number, c));
        }
        st_doc_cell(d, "%s", "");
        st_doc_cell(d, "Totaal lijst %d", lst->number);
        st_doc_cell(d, "%lld", (long long)st_tally_list_total(t, lst->number));
    }
}

/* The GSB's decisions by kind, every reason listed even at zero. */
static void decisions_table(st_doc *d, const st_recon_decisions *x)
{
    st_doc_table(d, 2, 1u << 1, 0, "Beslissing van het gemeentelijk stembureau", "Aantal");
    st_doc_cell(d, "%s", "stem op een kandidaat of een lijst");
    st_doc_cell(d, "%lld", (long long)x->votes);
    st_doc_cell(d, "%s", "  waarvan alleen een lijstvak");
    st_doc_cell(d, "%lld", (long long)x->party_only);
    st_doc_cell(d, "%s", "blanco");
    st_doc_cell(d, "%lld", (long long)x->blank);
    static const struct { st_outcome_kind kind; const char *name; } kinds[] = {
        {ST_OUTCOME_INVALID, "ongeldig"}, {ST_OUTCOME_VOID, "terzijde gelegd (geen stembiljet)"}};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        int n = 0;
        const char *const *codes = st_decision_reason_codes(kinds[i].kind, &n);
        const int64_t *by = kinds[i].kind == ST_OUTCOME_INVALID ? x->invalid_by : x->void_by;
        st_doc_cell(d, "%s", kinds[i].name);
        st_doc_cell(d, "%lld", (long long)(kinds[i].kind == ST_OUTCOME_INVALID ? x->invalid
                                                                               : x->voided));
        for (int k = 0; k < n && k < ST_RECON_REASONS; k++) {
            st_doc_cell(d, "  %s: %s", kinds[i].name, reason_nl(codes[k]));
            st_doc_cell(d, "%lld", (long long)by[k]);
        }
    }
    st_doc_cell(d, "%s", "beslissingen samen");
    st_doc_cell(d, "%lld", (long long)x->total);
}

static void checks_part(st_doc *d, const st_recon_station *s)
{
    st_doc_add(d, ST_DOC_SUBHEAD, "Controles van de Kiesraad");
    if (!s->n_checks) {
        st_doc_add(d, ST_DOC_TEXT, "Geen enkele controle slaat aan.");
        return;
    }
    st_doc_table(d, 3, 0, 0, "Code", "Soort", "Omschrijving en getallen");
    for (int k = 0; k < s->n_checks; k++) {
        st_doc_cell(d, "%s", s->checks[k].code);
        st_doc_cell(d, "%s", s->checks[k].code[0] == 'F' ? "fout" : "waarschuwing");
        st_doc_cell(d, "%s", s->checks[k].text);
    }
}

static void station_part(st_doc *d, const st_model *m, const st_recon_station *s)
{
    const st_basis *b = &s->basis;
    const char *name = s->listed_name ? s->listed_name : s->has_basis && b->name ? b->name : "";
    char ans[256];
    st_doc_add(d, ST_DOC_PAGE, NULL);
    st_doc_add(d, ST_DOC_HEAD, "Stembureau %s %s", s->station, name);
    st_doc_add(d, ST_DOC_TEXT, "Stand: %s. Gescande pagina's: %lld; wachten op beoordeling: "
               "%lld; afgekeurd en nog niet beslist: %lld.", state_nl(s->state),
               (long long)s->pages.pages, (long long)s->pages.open_review,
               (long long)s->pages.open_rejected);

    st_doc_add(d, ST_DOC_SUBHEAD, "Vooraf: onderzoek om een andere reden (B1-1)");
    st_doc_add(d, ST_DOC_TEXT, "Onderzocht om een andere reden dan een onverklaard verschil: %s.",
               answer_nl(&s->b1, ST_B1_OTHER_REASON, ans, sizeof ans));
    st_doc_add(d, ST_DOC_TEXT, "Stembiljetten daarna (gedeeltelijk) herteld: %s.",
               answer_nl(&s->b1, ST_B1_RECOUNTED, ans, sizeof ans));

    st_doc_add(d, ST_DOC_SUBHEAD, "1. Verschil tussen toegelaten kiezers en getelde "
               "stembiljetten bij het stembureau (B1-2.1)");
    if (s->has_basis) {
        st_doc_add(d, ST_DOC_TEXT, "Volgens het proces-verbaal van het stembureau (N 10-2): "
                   "D = %lld, H = %lld; aangekruist: %s.", (long long)b->D, (long long)b->H,
                   boxes_nl(b->boxes));
        if (b->D == b->H)
            st_doc_add(d, ST_DOC_TEXT, "Geen verschil.");
        else if (b->explained)
            st_doc_add(d, ST_DOC_TEXT, "Het verschil is volgens het stembureau volledig "
                       "verklaard.");
        else
            st_doc_add(d, ST_DOC_NOTE, "Het verschil is niet volledig verklaard: de "
                       "toegelaten kiezers worden opnieuw vastgesteld.");
    } else {
        st_doc_add(d, ST_DOC_NOTE, "Geen basistelling (N 10-2) ingevoerd.");
    }
    st_doc_add(d, ST_DOC_TEXT, "Antwoord van het gemeentelijk stembureau: %s.",
               answer_nl(&s->b1, ST_B1_EXPLAINED, ans, sizeof ans));

    st_doc_add(d, ST_DOC_SUBHEAD, "2. Tellen van de stembiljetten per kandidaat");
    st_doc_add(d, ST_DOC_TEXT, "Geteld met de scanner: H = %lld (E = %lld, F = %lld, G = %lld); "
               "terzijde gelegde pagina's, in geen enkel getal: %lld.", (long long)s->ours.H,
               (long long)s->ours.E, (long long)s->ours.F, (long long)s->ours.G,
               (long long)s->ours.voided);
    decisions_table(d, &s->decided);

    st_doc_add(d, ST_DOC_SUBHEAD, "3. Verschil in het aantal getelde stembiljetten (B1-2.3)");
    if (s->has_basis) {
        st_doc_add(d, ST_DOC_TEXT, "H volgens het stembureau: %lld; volgens het gemeentelijk "
                   "stembureau: %lld.", (long long)b->H, (long long)s->H);
        st_doc_add(d, s->h_differs ? ST_DOC_NOTE : ST_DOC_TEXT, "%s",
                   s->h_differs ? "Verschil: de toegelaten kiezers worden opnieuw vastgesteld."
                                : "Geen verschil.");
    }
    st_doc_add(d, ST_DOC_TEXT, "Antwoord van het gemeentelijk stembureau: %s.",
               answer_nl(&s->b1, ST_B1_DIFFERS, ans, sizeof ans));

    st_doc_add(d, ST_DOC_SUBHEAD, "4. Lijsten met een afwijkend lijsttotaal");
    if (!s->has_basis)
        st_doc_add(d, ST_DOC_TEXT, "Niet te vergelijken: geen basistelling.");
    else if (!s->n_diff)
        st_doc_add(d, ST_DOC_TEXT, "Geen lijst wijkt af.");
    else
        st_doc_table(d, 5, 0xf, 1u << 4, "Lijst", "Stembureau", "GSB", "Verschil",
                     "Verklaring");
    for (int k = 0; s->has_basis && k < s->n_diff; k++) {
        st_doc_cell(d, "%d", s->diff[k].list);
        st_doc_cell(d, "%lld", (long long)s->diff[k].station);
        st_doc_cell(d, "%lld", (long long)s->diff[k].ours);
        st_doc_cell(d, "%+lld", (long long)(s->diff[k].ours - s->diff[k].station));
        st_doc_cell(d, "%s", "");
    }

    st_doc_add(d, ST_DOC_SUBHEAD, "5. Nieuwe aantallen en stemmen per kandidaat");
    const int64_t theirs[10] = {b->A, b->B, b->C, b->D, b->E, b->F, b->G, b->H, b->I, b->J};
    const int64_t ours[10] = {s->A, s->B, s->C, s->D, s->E, s->F, s->G, s->H, s->I, s->J};
    figures_table(d, s->has_basis ? theirs : NULL, ours, "Stembureau");
    int64_t *ex = calloc((size_t)(m->n_lists ? m->n_lists : 1), sizeof *ex);
    if (!ex) {
        d->nomem = 1;
        return;
    }
    for (int l = 0; s->has_basis && l < m->n_lists; l++)
        ex[l] = st_basis_list_votes(b, m->lists[l].number);
    lists_table(d, m, s->has_basis ? ex : NULL, s->tally, "Stembureau");
    free(ex);
    candidates_tables(d, m, s->tally);
    checks_part(d, s);
}

static void municipality_part(st_doc *d, const st_recon *r)
{
    const st_model *m = r->model;
    int64_t theirs[10] = {0}, ours[10] = {0};
    int64_t *ex = calloc((size_t)(m->n_lists ? m->n_lists : 1), sizeof *ex);
    if (!ex) {
        d->nomem = 1;
        return;
    }
    int n_basis = 0;
    for (int i = 0; i < r->n; i++) {
        const st_recon_station *s = &r->st[i];
        const st_basis *b = &s->basis;
        const int64_t t[10] = {b->A, b->B, b->C, b->D, b->E, b->F, b->G, b->H, b->I, b->J};
        const int64_t o[10] = {s->A, s->B, s->C, s->D, s->E, s->F, s->G, s->H, s->I, s->J};
        for (int k = 0; k < 10; k++) {
            theirs[k] += s->has_basis ? t[k] : 0;
            ours[k] += o[k];
        }
        n_basis += s->has_basis;
        for (int l = 0; s->has_basis && l < m->n_lists; l++)
            ex[l] += st_basis_list_votes(b, m->lists[l].number);
    }
    st_doc_add(d, ST_DOC_PAGE, NULL);
    st_doc_add(d, ST_DOC_HEAD, "Gemeente %s: totalen", m->municipality_name);
    st_doc_add(d, ST_DOC_TEXT, "%d stembureaus, waarvan %d met een basistelling. De kolom "
               "Stembureaus telt de basistellingen op, de kolom GSB de centrale stemopneming.",
               r->n, n_basis);
    st_doc_add(d, ST_DOC_SUBHEAD, "Aantallen");
    figures_table(d, theirs, ours, "Stembureaus");
    st_doc_add(d, ST_DOC_SUBHEAD, "Stemmen per lijst");
    lists_table(d, m, ex, r->total, "Stembureaus");
    free(ex);
    st_doc_add(d, ST_DOC_SUBHEAD, "Stemmen per kandidaat");
    candidates_tables(d, m, r->total);
    st_doc_add(d, ST_DOC_SUBHEAD, "Beslissingen van het gemeentelijk stembureau");
    decisions_table(d, &r->decided);
    st_doc_add(d, ST_DOC_SUBHEAD, "Stembureaus");
    st_doc_table(d, 6, 1u << 3 | 1u << 4, 0, "Stembureau", "Naam", "Stand", "H stembureau",
                 "H GSB", "Controles");
    for (int i = 0; i < r->n; i++) {
        const st_recon_station *s = &r->st[i];
        char codes[512] = "";
        size_t len = 0;
        for (int k = 0; k < s->n_checks && len + 8 < sizeof codes; k++)
            len += (size_t)snprintf(codes + len, sizeof codes - len, "%s%s", k ? " " : "",
                                    s->checks[k].code);
        st_doc_cell(d, "%s", s->station);
        st_doc_cell(d, "%s", s->listed_name ? s->listed_name
                             : s->has_basis && s->basis.name ? s->basis.name : "");
        st_doc_cell(d, "%s", state_nl(s->state));
        if (s->has_basis)
            st_doc_cell(d, "%lld", (long long)s->basis.H);
        else
            st_doc_cell(d, "%s", "");
        st_doc_cell(d, "%lld", (long long)s->H);
        st_doc_cell(d, "%s", codes);
    }
}

static void signatures(st_doc *d, const st_recon *r, const char *date)
{
    st_doc_add(d, ST_DOC_SUBHEAD, "Ondertekening");
    st_doc_add(d, ST_DOC_TEXT, "Aldus vastgesteld in de openbare zitting te %s op %s door het "
               "gemeentelijk stembureau.", r->model->municipality_name, date);
    /* A line for each registered member, and unnamed ones for a
     * voorzitter and two members when fewer are registered: spare room
     * to sign on a printed page, not a rule of how many must sign (the
     * law's number is not modelled here). */
    int voorzitter = 0, leden = 0;
    for (int i = 0; i < r->n_members; i++) {
        st_doc_add(d, ST_DOC_SIGN, "%s, %s", r->members[2 * i], r->members[2 * i + 1]);
        voorzitter |= !strcmp(r->members[2 * i + 1], "voorzitter");
        leden += !strcmp(r->members[2 * i + 1], "lid");
    }
    if (!r->n_members)
        st_doc_add(d, ST_DOC_NOTE, "Nog geen leden geregistreerd (stemtel members add).");
    if (!voorzitter)
        st_doc_add(d, ST_DOC_SIGN, "voorzitter");
    for (; leden < 2; leden++)
        st_doc_add(d, ST_DOC_SIGN, "lid");
}

static st_doc *record_layout(const st_recon *r, const st_recon_export *eml)
{
    const st_model *m = r->model;
    char title[512], date[16];
    snprintf(title, sizeof title, "%s - Na 31-2 Bijlage 1", m->election_name);
    snprintf(date, sizeof date, "%.10s", *r->last_change ? r->last_change : "(geen datum)");
    st_doc *d = st_doc_new(title);
    if (!d)
        return NULL;
    st_doc_add(d, ST_DOC_TITLE, "Proces-verbaal van de centrale stemopneming: Model Na 31-2, "
               "Bijlage 1");
    st_doc_add(d, ST_DOC_TEXT, "Verkiezing: %s (%s).", m->election_name, m->election_id);
    st_doc_add(d, ST_DOC_TEXT, "Gemeente: %s (%s).", m->municipality_name,
               m->municipality_code);
    st_doc_add(d, ST_DOC_TEXT, "Plaats: %s. Datum: %s (laatste wijziging van de telling).",
               m->municipality_name, date);
    if (eml)
        st_doc_add(d, ST_DOC_TEXT, "Uitgewisseld bestand (EML 510b): %s, SHA-256 %s.",
                   eml->path, eml->sha256);
    else
        st_doc_add(d, ST_DOC_NOTE, "Nog geen telling uitgewisseld: er is geen EML 510b "
                   "geëxporteerd bij dit verslag.");
    if (r->n_blocks) {
        st_doc_add(d, ST_DOC_NOTE, "Niet definitief. Dit staat een definitieve uitslag nog in "
                   "de weg:");
        for (int i = 0; i < r->n_blocks; i++)
            st_doc_add(d, ST_DOC_TEXT, "- %s", r->blocks_nl[i]);
    } else {
        st_doc_add(d, ST_DOC_TEXT, "%s", st_recon_form_errors(r)
                   ? "Niets staat een definitieve uitslag in de weg; de fouten (F) hieronder "
                     "staan op de processen-verbaal van de stembureaus zelf en blijven zoals "
                     "daar geschreven in dit verslag."
                   : "Niets staat een definitieve uitslag in de weg.");
    }
    for (int i = 0; i < r->n; i++)
        station_part(d, m, &r->st[i]);
    municipality_part(d, r);
    signatures(d, r, date);
    return d;
}

int st_recon_write_html(const st_recon *r, const st_recon_export *eml, FILE *f,
                        st_error *err)
{
    st_doc *d = record_layout(r, eml);
    int rc = d ? st_doc_write_html(d, f, WHO, err)
               : st_error_set(err, ST_ERR_NOMEM, WHO ": out of memory");
    st_doc_free(d);
    return rc;
}

int st_recon_write_pdf(const st_recon *r, const st_recon_export *eml, FILE *f,
                       st_error *err)
{
    st_doc *d = record_layout(r, eml);
    int rc = d ? st_doc_write_pdf(d, f, r->last_change, WHO, err)
               : st_error_set(err, ST_ERR_NOMEM, WHO ": out of memory");
    st_doc_free(d);
    return rc;
}
