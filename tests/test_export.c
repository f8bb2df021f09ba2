/* test_export.c - the EML 510b export refuses an unfinished count
 *
 * A store with ballots in review, ballots without a station and a station
 * without its basistelling must not be exported as a result; as a draft
 * it may, and the draft says so and still validates against the official
 * schema. Each station ends in its kr:ReportingUnitInvestigations, with
 * the GSB's answers where it gave them. (The figures of a finished export
 * are checked against the real 2022 count in test_reconcile.c.)
 */
#include "helpers.h"
#include "run_ok.h"

#include "stemtel/eml.h"
#include "stemtel/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL "models/gr2022-west-maas-en-waal.json"

static void test_export_refuses_while_something_blocks_and_marks_a_draft(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *xsd = th_data(
        "eml-xsd/510-count-kiesraad-strict.xsd");
    char *out = NULL, store[4200], path[4200];
    snprintf(store, sizeof store, "%s/e.db", dir);
    snprintf(path, sizeof path, "%s/Telling.eml.xml", dir);
    RUN_OK("synth '%s' --out '%s/in' --count 40 --seed 9 --dpi 150 --format grey-jpeg "
           "--pages-per-file 20", model, dir);
    RUN_OK("count --model '%s' --station 0668::SB4 --out '%s/o1' --store '%s' "
           "'%s/in/stack-0001.tif'", model, dir, store, dir);
    /* The second stack without a station. */
    RUN_OK("count --model '%s' --out '%s/o2' --store '%s' '%s/in/stack-0002.tif'", model, dir,
           store, dir);
    /* reconcile: exit 3 and every block named. */
    assert_int_equal(th_run(&out, "reconcile --store '%s'", store), 3);
    assert_non_null(strstr(out, "NOT FINAL"));
    assert_non_null(strstr(out, "0668::SB4: ballots counted but no basistelling"));
    assert_non_null(strstr(out, "waiting for review"));
    assert_non_null(strstr(out, "20 ballots counted without a polling station"));
    free(out);
    assert_int_equal(th_run(&out, "export eml --store '%s' -o '%s'", store, path), 1);
    assert_non_null(strstr(out, "block a final result"));
    assert_non_null(strstr(out, "--draft"));
    free(out);
    assert_null(th_slurp(path, NULL));
    RUN_OK("export eml --store '%s' -o '%s' --draft", store, path);
    char *xml = th_slurp(path, NULL);
    assert_non_null(xml);
    assert_non_null(strstr(xml, "<!-- DRAFT - NOT A FINAL RESULT."));
    assert_non_null(strstr(xml, "without a polling station"));
    assert_non_null(strstr(xml, "<kr:CountingMethod MethodCode=\"centrale stemopneming\"/>"));
    assert_non_null(strstr(xml, "<ReportingUnitIdentifier Id=\"0668::SB4\""));
    /* The subcategory the 230b gives, before the domain as the schema
     * wants (validated below). */
    const char *sub = strstr(xml, "<kr:ElectionSubcategory>GR1</kr:ElectionSubcategory>");
    assert_non_null(sub);
    assert_true(sub < strstr(xml, "<kr:ElectionDomain"));
    /* A municipal election's form has no C: no kiezerspassen, as Abacus. */
    assert_null(strstr(xml, "geldige kiezerspassen"));
    assert_non_null(strstr(xml, "geldige volmachtbewijzen"));
    free(xml);
    char tmp[4300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_null(th_slurp(tmp, NULL));
    st_error err = {0};
    assert_st_ok(st_eml_validate(path, xsd, &err), &err);
    /* Into a folder that is not there: the file is named, nothing written. */
    char bad[4300];
    snprintf(bad, sizeof bad, "%s/missing/Telling.eml.xml", dir);
    assert_int_equal(th_run(&out, "export eml --store '%s' -o '%s' --draft", store, bad), 1);
    assert_non_null(strstr(out, "missing/Telling.eml.xml: cannot write"));
    free(out);
    /* Same store, same bytes. */
    char again[4200];
    snprintf(again, sizeof again, "%s/again.xml", dir);
    RUN_OK("export eml --store '%s' -o '%s' --draft", store, again);
    char *a = th_slurp(path, NULL), *b = th_slurp(again, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(xsd);
    free(model);
    th_rmtree(dir);
    free(dir);
}

static void test_export_names_a_missing_store_and_bad_usage(void **state)
{
    char *out = NULL;
    assert_int_equal(th_run(&out, "export eml --store /nonexistent/x.db -o /tmp/x.xml"), 1);
    assert_non_null(strstr(out, "/nonexistent/x.db"));
    free(out);
    assert_int_equal(th_run(&out, "export csv --store x.db -o y"), 2);
    free(out);
    assert_int_equal(th_run(&out, "export eml --store x.db"), 2);
    assert_non_null(strstr(out, "-o FILE"));
    free(out);
}

/* The basistelling of 0668::SB3 with a name column holding name. */
static void write_basis(const char *path, const char *name)
{
    char text[1024];
    snprintf(text, sizeof text,
             "station,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,explained,name\n"
             "0668::SB3,285,46,0,331,7,39,0,88,0,153,36,1,324,5,2,331,0,0,yes,\"%s\"\n",
             name);
    th_write(path, text);
}

static void test_export_refuses_outside_text_and_what_the_schema_refuses(void **state)
{
    char *dir = th_tmpdir(), *real = th_root(MODEL), *out = NULL;
    char model[4200], store[4200], csv[4200], path[4200];
    snprintf(model, sizeof model, "%s/xx.json", dir);
    snprintf(store, sizeof store, "%s/e.db", dir);
    snprintf(csv, sizeof csv, "%s/b.csv", dir);
    snprintf(path, sizeof path, "%s/Telling.eml.xml", dir);
    /* A model our checks accept but whose election category ("XX") is
     * none the Kiesraad knows. */
    st_error err = {0};
    st_model *m = NULL;
    assert_st_ok(st_model_load(real, &m, &err), &err);
    free(m->election_id);
    m->election_id = strdup("XX2022_WestMaasenWaal");
    assert_st_ok(st_model_save(m, model, &err), &err);
    st_model_free(m);
    RUN_OK("synth '%s' --out '%s/in' --count 10 --seed 4 --dpi 150 --format grey-jpeg "
           "--pages-per-file 10", model, dir);
    RUN_OK("count --model '%s' --station 0668::SB3 --out '%s/o' --store '%s' "
           "'%s/in/stack-0001.tif'", model, dir, store, dir);
    /* Before: these names reached the 510b, which xmllint then refused. */
    static const struct {
        const char *name, *why;
    } bad[] = {{"Dorpshuis\x1b[2J", "a control character at byte 10"},
               {"Dorpshuis \xff", "invalid UTF-8 at byte 11"},
               {"Dorpshuis\xc2\x9b", "a control character"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_basis(csv, bad[i].name);
        assert_int_equal(th_run(&out, "basis import --store '%s' '%s'", store, csv), 1);
        if (!strstr(out, csv) || !strstr(out, "line 2: column name") ||
            !strstr(out, bad[i].why))
            fail_msg("want file, line 2, column name and \"%s\": %s", bad[i].why, out);
        free(out);
    }
    write_basis(csv, "Dorpshuis \xc3\x89\xc3\xa9n");
    RUN_OK("basis import --store '%s' '%s'", store, csv);
    /* The schema's own message, exit 1, and no file. */
    assert_int_equal(th_run(&out, "export eml --store '%s' -o '%s' --draft", store, path), 1);
    if (!strstr(out, "not written, the official schema refuses it") ||
        !strstr(out, "510-count-kiesraad-strict.xsd") || !strstr(out, "XX2022_WestMaasenWaal' is not accepted by the pattern"))
        fail_msg("want the schema's refusal: %s", out);
    free(out);
    assert_null(th_slurp(path, NULL));
    /* Schemas are looked for where STEMTEL_XSD_DIR says. */
    setenv("STEMTEL_XSD_DIR", dir, 1);
    assert_int_equal(th_run(&out, "export eml --store '%s' -o '%s' --draft", store, path), 1);
    unsetenv("STEMTEL_XSD_DIR");
    if (!strstr(out, "no 510-count-kiesraad-strict.xsd in STEMTEL_XSD_DIR"))
        fail_msg("want the folder refused: %s", out);
    free(out);
    free(real);
    th_rmtree(dir);
    free(dir);
}

/* The kr:ReportingUnitInvestigations of station in the 510b text xml,
 * without the indentation (malloc'd); fails when the station has none. */
static char *investigations_of(const char *xml, const char *station)
{
    char id[64];
    snprintf(id, sizeof id, "<ReportingUnitIdentifier Id=\"%s\"", station);
    const char *at = strstr(xml, id), *from = NULL, *to = NULL;
    if (!at || !(from = strstr(at, "<kr:ReportingUnitInvestigations>")) ||
        !(to = strstr(from, "</kr:ReportingUnitInvestigations>")) ||
        (strstr(at + 1, "<ReportingUnitIdentifier") &&
         strstr(at + 1, "<ReportingUnitIdentifier") < from))
        fail_msg("%s has no kr:ReportingUnitInvestigations", station);
    char *r = strndup(from, (size_t)(to - from)), *o = r;
    for (const char *p = r; *p; p++)
        if (*p == '\n')
            p += strspn(p + 1, " ");
        else
            *o++ = *p;
    *o = '\0';
    return r;
}

static void test_export_writes_the_investigations_of_each_station_as_abacus(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *xsd = th_data(
        "eml-xsd/510-count-kiesraad-strict.xsd");
    char *telling = th_data("results/Telling_GR2022_WestMaasenWaal.eml.xml");
    char store[4200], path[4200];
    snprintf(store, sizeof store, "%s/e.db", dir);
    snprintf(path, sizeof path, "%s/Telling.eml.xml", dir);
    RUN_OK("synth '%s' --seed 5 --dpi 150 --format g4 --votes-from '%s' --station 0668::SB118 "
           "--out '%s/in'", model, telling, dir);
    RUN_OK("count --model '%s' --station 0668::SB118 --out '%s/o' --store '%s' '%s/in'", model,
           dir, store, dir);
    RUN_OK("basis import --store '%s' --from-eml '%s'", store, telling);
    RUN_OK("members add 'P. de Vries' --role voorzitter --store '%s'", store);
    static const char *const answers[][2] = {
        {"b1-1a", "ja"}, {"b1-1b", "nee"}, {"b1-2.1", "nee"}, {"b1-2.3", "nee"}};
    for (size_t k = 0; k < 4; k++)
        RUN_OK("basis answer --store '%s' --station 0668::SB118 --question %s --answer %s "
               "--by 'P. de Vries'", store, answers[k][0], answers[k][1]);
    /* The other stations have no ballots yet: a draft, validated the same. */
    RUN_OK("export eml --store '%s' -o '%s' --draft", store, path);
    st_error err = {0};
    assert_st_ok(st_eml_validate(path, xsd, &err), &err);
    char *xml = th_slurp(path, NULL);
    /* The GSB's answers, then the admitted voters counted again (B1-2.1:
     * not fully explained). */
    char *inv = investigations_of(xml, "0668::SB118");
    assert_string_equal(inv, "<kr:ReportingUnitInvestigations>"
        "<kr:Investigation ReasonCode=\"onderzocht vanwege andere reden\">true"
        "</kr:Investigation>"
        "<kr:Investigation ReasonCode=\"stembiljetten deels herteld\">false"
        "</kr:Investigation>"
        "<kr:Investigation ReasonCode=\"toegelaten kiezers opnieuw vastgesteld\">"
        "true</kr:Investigation>");
    free(inv);
    /* Without answers only the admitted voters: counted again where our H
     * (none counted) differs from the station's. */
    inv = investigations_of(xml, "0668::SB1");
    assert_non_null(strstr(inv, "\"toegelaten kiezers opnieuw vastgesteld\">true<"));
    assert_null(strstr(inv, "andere reden"));
    assert_null(strstr(inv, "herteld"));
    free(inv);
    free(xml);
    /* Our own 510b reads back as a basistelling, the block passed over. */
    RUN_OK("basis import --store '%s' --from-eml '%s'", store, path);
    free(telling);
    free(xsd);
    free(model);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_names_a_missing_store_and_bad_usage),
        cmocka_unit_test(test_export_refuses_while_something_blocks_and_marks_a_draft),
        cmocka_unit_test(test_export_refuses_outside_text_and_what_the_schema_refuses),
        cmocka_unit_test(test_export_writes_the_investigations_of_each_station_as_abacus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
