/* test_record.c - the printed Na 31-2 Bijlage 1 record, as PDF and HTML
 *
 * One store made through the command line, as a sitting makes it: a few
 * synthetic ballots of West Maas en Waal (GR2022) counted for SB1, one
 * ballot voided as a rescan, one decided invalid, every open review
 * decided blank, two members registered, the real 510b of 2022 imported
 * as the basistelling of all 21 stations, and the count exported as a
 * draft 510b. The PDF, read back with pdftotext, must show every
 * station, the municipality's totals, every check's code and the
 * export's SHA-256 (computed here with sha256sum); the HTML must parse as
 * XML, be in Dutch and have the form's sections in the form's order. A
 * decision on a page whose batch was moved counts under the station it
 * was moved to.
 */
#include "helpers.h"
#include "run_ok.h"

#include "stemtel/basis.h"
#include "stemtel/store.h"

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TELLING "results/Telling_GR2022_WestMaasenWaal.eml.xml"
#define GR_MODEL "models/gr2022-west-maas-en-waal.json"

typedef struct fixture {
    char *dir;
    char store[4200], eml[4200];
    st_basis_set set;       /* the real 2022 basistelling */
    st_model *model;
} fixture;

typedef struct ids {
    int n;
    int64_t id[64];
} ids;

static int keep_id(void *ctx, st_store_ballot *b)
{
    ids *v = ctx;
    if (v->n < 64)
        v->id[v->n++] = b->id;
    return 0;
}

/* The ids of the store's ballots that filter passes. */
static ids ballot_ids(const char *store, st_store_filter filter)
{
    ids v = {0};
    st_error err = {0};
    st_store *s = NULL;
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    assert_st_ok(st_store_each(s, filter, keep_id, &v, &err), &err);
    st_store_close(s);
    return v;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char *model = th_root(GR_MODEL), *telling = th_data(TELLING);
    st_error err = {0};
    f->dir = th_tmpdir();
    snprintf(f->store, sizeof f->store, "%s/s.db", f->dir);
    snprintf(f->eml, sizeof f->eml, "%s/Telling.eml.xml", f->dir);
    RUN_OK("synth '%s' --count 10 --seed 7 --dpi 150 --format grey --out '%s/in'", model,
           f->dir);
    RUN_OK("count --model '%s' --station 0668::SB1 --store '%s' --out '%s/out' '%s/in'", model,
           f->store, f->dir, f->dir);
    RUN_OK("members add 'Anna de Vries' --role voorzitter --store '%s'", f->store);
    RUN_OK("members add 'Jan Ölçer' --role lid --store '%s'", f->store);
    ids all = ballot_ids(f->store, ST_STORE_ALL);
    assert_true(all.n == 10);
    RUN_OK("review decide %lld --store '%s' --as void:rescan --by 'Anna de Vries'",
           (long long)all.id[0], f->store);
    RUN_OK("review decide %lld --store '%s' --as invalid:other --by 'Jan Ölçer' --note test",
           (long long)all.id[1], f->store);
    ids open = ballot_ids(f->store, ST_STORE_OPEN);
    for (int i = 0; i < open.n; i++)
        RUN_OK("review decide %lld --store '%s' --as blank --by 'Jan Ölçer'",
               (long long)open.id[i], f->store);
    RUN_OK("basis import --store '%s' --from-eml '%s'", f->store, telling);
    RUN_OK("export eml --store '%s' -o '%s' --draft", f->store, f->eml);
    assert_st_ok(st_model_load_checked(model, &f->model, &err), &err);
    assert_st_ok(st_basis_read_eml(telling, f->model, &f->set, &err), &err);
    free(model);
    free(telling);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    st_basis_set_free(&f->set);
    st_model_free(f->model);
    th_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void test_record_pdf_shows_every_station_the_totals_the_checks_and_the_export_hash(
    void **state)
{
    fixture *f = *state;
    char pdf[4300], json[4300];
    snprintf(pdf, sizeof pdf, "%s/r.pdf", f->dir);
    snprintf(json, sizeof json, "%s/r.json", f->dir);
    /* 3: the 20 stations with a basistelling and no ballots block. */
    assert_int_equal(th_run(NULL, "reconcile --store '%s' --format pdf -o '%s' --eml '%s'",
                            f->store, pdf, f->eml), 3);
    char *text = th_pdf_text(pdf), *hash = th_sha256sum(f->eml);
    if (!strstr(text, hash))
        fail_msg("the PDF does not show the export's SHA-256 %s", hash);
    assert_non_null(strstr(text, "Uitgewisseld bestand (EML 510b)"));

    int64_t h = 0;
    for (int i = 0; i < f->set.n; i++) {
        char head[200];
        snprintf(head, sizeof head, "Stembureau %s ", f->set.v[i].station);
        if (!strstr(text, head))
            fail_msg("the PDF has no part for %s", f->set.v[i].station);
        h += f->set.v[i].H;
    }
    assert_int_equal(f->set.n, 21);
    /* The municipality's totals: the stations' H added up (9,398). */
    const char *totals = strstr(text, "Gemeente West Maas en Waal: totalen");
    assert_non_null(totals);
    char sum[32];
    snprintf(sum, sizeof sum, "%lld", (long long)h);
    assert_true(th_has_word(totals, sum));
    assert_non_null(strstr(totals, "Stemmen per kandidaat"));

    /* Every check reconcile gives, by its code. */
    assert_int_equal(th_run(NULL, "reconcile --store '%s' --format json -o '%s'", f->store,
                            json), 3);
    json_object *r = json_object_from_file(json), *sts = th_json_get(r, "stations");
    int n_codes = 0;
    for (size_t i = 0; i < json_object_array_length(sts); i++) {
        json_object *c = th_json_get(json_object_array_get_idx(sts, i), "checks");
        for (size_t k = 0; k < json_object_array_length(c); k++, n_codes++) {
            const char *code = th_json_str(json_object_array_get_idx(c, k), "code");
            if (!strstr(text, code))
                fail_msg("the PDF does not show check %s", code);
        }
    }
    assert_true(n_codes > 0);
    json_object_put(r);
    assert_non_null(strstr(text, "Anna de Vries, voorzitter"));
    assert_non_null(strstr(text, "Jan Ölçer, lid"));
    free(hash);
    free(text);
}

static void test_record_without_an_export_says_so_and_refuses_an_unreadable_one(void **state)
{
    fixture *f = *state;
    char path[4300], missing[4300];
    char *out = NULL;
    snprintf(path, sizeof path, "%s/n.html", f->dir);
    snprintf(missing, sizeof missing, "%s/no-such.eml.xml", f->dir);
    assert_int_equal(th_run(NULL, "reconcile --store '%s' --format html -o '%s'", f->store,
                            path), 3);
    char *html = th_slurp(path, NULL);
    assert_non_null(strstr(html, "Nog geen telling uitgewisseld"));
    assert_null(strstr(html, "SHA-256"));
    free(html);
    assert_int_equal(th_run(&out, "reconcile --store '%s' --format pdf -o '%s/x.pdf' --eml '%s'",
                            f->store, f->dir, missing), 1);
    assert_non_null(strstr(out, missing));
    free(out);
    snprintf(path, sizeof path, "%s/x.pdf", f->dir);
    assert_null(fopen(path, "r")); /* nothing written */
    assert_int_equal(th_run(NULL, "reconcile --store '%s' --format pdf", f->store), 2);
}

/* The text of every h2 and h3 in document order, "h2:" or "h3:" first,
 * one per line, appended to buf. */
static void headings(xmlNodePtr n, char *buf, size_t cap)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)n->name;
        if (!strcmp(name, "h2") || !strcmp(name, "h3")) {
            xmlChar *t = xmlNodeGetContent(n);
            size_t len = strlen(buf);
            snprintf(buf + len, cap - len, "%s:%s\n", name, (const char *)t);
            xmlFree(t);
        }
        headings(n->children, buf, cap);
    }
}

static void test_record_html_is_dutch_with_the_form_sections_in_order(void **state)
{
    fixture *f = *state;
    char path[4300];
    snprintf(path, sizeof path, "%s/r.html", f->dir);
    assert_int_equal(th_run(NULL, "reconcile --store '%s' --format html -o '%s' --eml '%s'",
                            f->store, path, f->eml), 3);
    /* Strict: the XML parser, errors fatal. */
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (!doc)
        fail_msg("%s does not parse as XML", path);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlChar *lang = xmlGetProp(root, (const xmlChar *)"lang");
    assert_string_equal((const char *)lang, "nl");
    xmlFree(lang);
    static char heads[1 << 20];
    heads[0] = '\0';
    headings(root, heads, sizeof heads);
    xmlFreeDoc(doc);
    /* SB1's part, the form's sections in the form's order. */
    const char *want =
        "h3:Vooraf: onderzoek om een andere reden (B1-1)\n"
        "h3:1. Verschil tussen toegelaten kiezers en getelde stembiljetten bij het "
        "stembureau (B1-2.1)\n"
        "h3:2. Tellen van de stembiljetten per kandidaat\n"
        "h3:3. Verschil in het aantal getelde stembiljetten (B1-2.3)\n"
        "h3:4. Lijsten met een afwijkend lijsttotaal\n"
        "h3:5. Nieuwe aantallen en stemmen per kandidaat\n"
        "h3:Controles van de Kiesraad\n"
        "h2:Stembureau 0668::SB2 ";
    const char *sb1 = strstr(heads, "h2:Stembureau 0668::SB1 ");
    assert_non_null(sb1);
    const char *sections = strchr(sb1, '\n') + 1;
    if (strncmp(sections, want, strlen(want)))
        fail_msg("SB1's sections are not the form's:\n%.1200s", sections);
    const char *muni = strstr(heads, "h2:Gemeente West Maas en Waal: totalen\n");
    assert_non_null(muni);
    assert_non_null(strstr(muni, "h3:Ondertekening\n"));

    char *html = th_slurp(path, NULL);
    /* The GSB's decisions by kind: one void (a rescan), one invalid. */
    assert_non_null(strstr(html, "<td>  terzijde gelegd (geen stembiljet): opnieuw gescand</td>"
                                 "<td class=\"n\">1</td>"));
    assert_non_null(strstr(html, "<td>  ongeldig: andere reden</td><td class=\"n\">1</td>"));
    assert_non_null(strstr(html, "<p class=\"sign\">Anna de Vries, voorzitter</p>"));
    assert_non_null(strstr(html, "<p class=\"sign\">Jan Ölçer, lid</p>"));
    /* One member registered besides the voorzitter: a second line to sign. */
    assert_non_null(strstr(html, "<p class=\"sign\">lid</p>"));
    assert_non_null(strstr(html, "Plaats: West Maas en Waal. Datum: 20"));
    /* In Dutch: none of the English report's words. */
    static const char *const english[] = {"ballots", "Not final", "Votes per candidate",
                                          "waiting for review", "New figures", "station"};
    for (size_t i = 0; i < sizeof english / sizeof *english; i++)
        if (strstr(html, english[i]))
            fail_msg("the record says \"%s\"", english[i]);
    free(html);
}

/* The number in the cell after the row named row, in station's part of
 * html (up to the next part); -1 when there is none. */
static long long cell_in_part(const char *html, const char *station, const char *row)
{
    char head[128], cell[256];
    snprintf(head, sizeof head, "<h2>Stembureau %s ", station);
    snprintf(cell, sizeof cell, "<td>%s</td><td class=\"n\">", row);
    const char *part = strstr(html, head), *next = part ? strstr(part + 1, "<h2>") : NULL;
    const char *c = part ? strstr(part, cell) : NULL;
    return c && (!next || c < next) ? atoll(c + strlen(cell)) : -1;
}

static void test_record_counts_a_decision_under_the_station_its_batch_was_moved_to(
    void **state)
{
    fixture *f = *state;
    char dir[4300], store[4400], path[4400];
    char *model = th_root(GR_MODEL);
    snprintf(dir, sizeof dir, "%s/moved", f->dir);
    snprintf(store, sizeof store, "%s/m.db", dir);
    snprintf(path, sizeof path, "%s/m.html", dir);
    RUN_OK("synth '%s' --count 3 --seed 9 --dpi 150 --format grey --out '%s/in'", model, dir);
    RUN_OK("count --model '%s' --station 0668::SB1 --store '%s' --out '%s/out' '%s/in'", model,
           store, dir, dir);
    RUN_OK("members add 'Anna de Vries' --role voorzitter --store '%s'", store);
    ids all = ballot_ids(store, ST_STORE_ALL);
    RUN_OK("review decide %lld --store '%s' --as void:not_a_ballot --by 'Anna de Vries'",
           (long long)all.id[0], store);
    RUN_OK("review move --batch 1 --station 0668::SB1 --to 0668::SB2 --store '%s' "
           "--by 'Anna de Vries'", store);
    assert_int_equal(th_run(NULL, "reconcile --store '%s' --format html -o '%s'", store, path),
                     3);
    char *html = th_slurp(path, NULL);
    assert_non_null(html);
    const char *row = "  terzijde gelegd (geen stembiljet): geen stembiljet";
    assert_int_equal(cell_in_part(html, "0668::SB2", row), 1);
    assert_int_equal(cell_in_part(html, "0668::SB1", row), -1); /* no pages left there */
    free(html);
    free(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_record_pdf_shows_every_station_the_totals_the_checks_and_the_export_hash),
        cmocka_unit_test(test_record_without_an_export_says_so_and_refuses_an_unreadable_one),
        cmocka_unit_test(test_record_html_is_dutch_with_the_form_sections_in_order),
        cmocka_unit_test(test_record_counts_a_decision_under_the_station_its_batch_was_moved_to),
    };
    /* STEMTEL_TEST=pattern runs only the matching tests. */
    if (getenv("STEMTEL_TEST"))
        cmocka_set_test_filter(getenv("STEMTEL_TEST"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
