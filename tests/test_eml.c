/* test_eml.c - importing EML_NL candidate lists and election definitions
 *
 * Uses the real Kiesraad files in $STEMTEL_DATA; broken inputs are made by
 * editing copies in a temporary directory.
 */
#include "helpers.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stemtel/eml.h"
#include "stemtel/eml510.h"
#include "stemtel/layout.h"
#include "stemtel/model.h"

/* Read a 230b under $STEMTEL_DATA, failing the test on error. */
static st_model *read_ok(const char *rel)
{
    st_error err = {0};
    st_model *m = NULL;
    char *path = th_data(rel);
    assert_st_ok(st_eml_read_candidates(path, &m, &err), &err);
    assert_non_null(m);
    free(path);
    return m;
}

static int total_candidates(const st_model *m)
{
    int n = 0;
    for (int i = 0; i < m->n_lists; i++)
        n += m->lists[i].n_candidates;
    return n;
}

static int min_candidates(const st_model *m)
{
    int n = m->n_lists ? m->lists[0].n_candidates : 0;
    for (int i = 1; i < m->n_lists; i++)
        if (m->lists[i].n_candidates < n)
            n = m->lists[i].n_candidates;
    return n;
}

/* Every list's candidates are numbered 1..n in order. */
static void assert_numbered_in_order(const st_model *m)
{
    for (int i = 0; i < m->n_lists; i++)
        for (int j = 0; j < m->lists[i].n_candidates; j++) {
            assert_int_equal(m->lists[i].candidates[j].number, j + 1);
            assert_non_null(m->lists[i].candidates[j].name);
        }
}

static int has_candidate(const st_model *m, const char *name)
{
    for (int i = 0; i < m->n_lists; i++)
        for (int j = 0; j < m->lists[i].n_candidates; j++)
            if (strcmp(m->lists[i].candidates[j].name, name) == 0)
                return 1;
    return 0;
}

/* Expect st_eml_read_candidates to refuse path with code and a message that
 * names the file and contains want (may be NULL). */
static void assert_refused(const char *path, int code, const char *want)
{
    st_error err = {0};
    st_model *m = (st_model *)1;
    int rc = st_eml_read_candidates(path, &m, &err);
    if (rc == ST_OK)
        fail_msg("%s was accepted", path);
    assert_null(m);
    if (code)
        assert_int_equal(rc, code);
    if (!strstr(err.msg, path))
        fail_msg("message does not name %s: %s", path, err.msg);
    if (want && !strstr(err.msg, want))
        fail_msg("message lacks \"%s\": %s", want, err.msg);
}

static void assert_data_refused(const char *rel, int code, const char *want)
{
    char *path = th_data(rel);
    assert_refused(path, code, want);
    free(path);
}

/* Copy a data file into dir with the first occurrence of from replaced by
 * to; returns the copy's malloc'd path. */
static char *edited_copy(const char *dir, const char *rel, const char *from,
                         const char *to)
{
    char *src = th_data(rel);
    char *text = th_slurp(src, NULL);
    assert_non_null(text);
    char *at = strstr(text, from);
    if (!at)
        fail_msg("%s does not contain %s", rel, from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    size_t pn = strlen(dir) + 32;
    char *path = malloc(pn);
    snprintf(path, pn, "%s/edited.eml.xml", dir);
    th_write(path, out);
    free(out);
    free(text);
    free(src);
    return path;
}

/* A minimal 230b with lists lists of cands candidates each. */
static char *synthetic_230b(const char *dir, int lists, int cands)
{
    size_t cap = 256 + (size_t)lists * (200 + (size_t)cands * 300);
    char *x = malloc(cap);
    size_t k = 0;
    k += snprintf(x + k, cap - k,
                  "<EML xmlns=\"urn:oasis:names:tc:evs:schema:eml\" "
                  "xmlns:kr=\"http://www.kiesraad.nl/extensions\" "
                  "xmlns:n=\"urn:oasis:names:tc:ciq:xsdschema:xNL:2.0\" "
                  "Id=\"230b\"><CandidateList><Election>"
                  "<ElectionIdentifier Id=\"GR2099_Test\"/><Contest>");
    for (int l = 1; l <= lists; l++) {
        k += snprintf(x + k, cap - k,
                      "<Affiliation><AffiliationIdentifier Id=\"%d\">"
                      "<RegisteredName>Lijst %d</RegisteredName>"
                      "</AffiliationIdentifier>", l, l);
        for (int c = 1; c <= cands; c++)
            k += snprintf(x + k, cap - k,
                          "<Candidate><CandidateIdentifier Id=\"%d\"/>"
                          "<CandidateFullName><n:PersonName>"
                          "<n:LastName>Naam%d</n:LastName></n:PersonName>"
                          "</CandidateFullName></Candidate>", c, c);
        k += snprintf(x + k, cap - k, "</Affiliation>");
    }
    snprintf(x + k, cap - k, "</Contest></Election></CandidateList></EML>");
    size_t pn = strlen(dir) + 32;
    char *path = malloc(pn);
    snprintf(path, pn, "%s/synthetic.eml.xml", dir);
    th_write(path, x);
    free(x);
    return path;
}

/* ---- reading ---- */

static void test_eml_reads_gr2022_west_maas_en_waal_lists_and_candidates(void **state)
{
    st_model *m =
        read_ok("results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml");
    assert_string_equal(m->election_id, "GR2022_WestMaasenWaal");
    assert_string_equal(m->election_name, "Gemeenteraad West Maas en Waal 2022");
    assert_string_equal(m->election_date, "2022-03-16");
    assert_string_equal(m->municipality_code, "0668");
    assert_string_equal(m->municipality_name, "West Maas en Waal");
    assert_int_equal(m->n_lists, 8);
    assert_int_equal(total_candidates(m), 251);
    assert_int_equal(st_model_max_candidates(m), 48);
    assert_int_equal(min_candidates(m), 18);
    assert_int_equal(m->lists[0].number, 1);
    assert_string_equal(m->lists[0].name, "FD Partij Beneden-Leeuwen");
    assert_string_equal(m->lists[0].candidates[0].name, "Reuvers, R.A.N. (Rob)");
    /* The name prefix goes in front of the last name. */
    assert_string_equal(m->lists[0].candidates[2].name,
                        "van Dreumel, C.G.H.M. (Cees)");
    assert_numbered_in_order(m);
    /* Geometry is left for the layout. */
    assert_int_equal(m->n_targets, 0);
    assert_int_equal(m->n_fiducials, 0);
    st_model_free(m);
}

static void test_eml_reads_tk2025_haarlem_with_three_lists_of_80(void **state)
{
    st_model *m = read_ok("results/Kandidatenlijsten_TK2025_Haarlem.eml.xml");
    assert_string_equal(m->election_id, "TK2025");
    assert_string_equal(m->election_date, "2025-10-29");
    assert_int_equal(m->n_lists, 23);
    assert_int_equal(total_candidates(m), 1029);
    assert_int_equal(st_model_max_candidates(m), 80);
    assert_int_equal(min_candidates(m), 1);
    /* This kieskring carries no lists 22 and 24: numbers keep their gaps. */
    assert_int_equal(m->lists[20].number, 21);
    assert_int_equal(m->lists[21].number, 23);
    assert_int_equal(m->lists[22].number, 25);
    assert_string_equal(m->lists[22].name, "NL PLAN");
    /* No kr:ElectionDomain: the managing authority stands in. */
    assert_string_equal(m->municipality_code, "CSB");
    assert_string_equal(m->municipality_name, "De Kiesraad");
    assert_string_equal(m->lists[0].candidates[0].name, "Wilders, G. (Geert)");
    assert_true(has_candidate(m, "Stöteler, T.S.M. (Sebastiaan)"));
    assert_numbered_in_order(m);
    st_model_free(m);
}

static void test_eml_drenthe_one_line_and_indented_files_give_identical_models(void **state)
{
    st_error err = {0};
    st_model *a = read_ok("eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml");
    st_model *b = read_ok("eml/Kandidatenlijsten_PS2023_Drenthe.indented.eml.xml");
    assert_int_equal(a->n_lists, 19);
    assert_int_equal(total_candidates(a), 422);
    assert_int_equal(st_model_max_candidates(a), 49);
    assert_int_equal(min_candidates(a), 1);
    assert_string_equal(a->lists[0].name, "Partij van de Arbeid (P.v.d.A.)");
    /* The domain has a name but no Id. */
    assert_string_equal(a->municipality_code, "");
    assert_string_equal(a->municipality_name, "Drenthe");
    assert_numbered_in_order(a);

    char *ja = st_model_to_json(a, &err);
    assert_non_null(ja);
    char *jb = st_model_to_json(b, &err);
    assert_non_null(jb);
    assert_string_equal(ja, jb);
    free(ja);
    free(jb);
    st_model_free(a);
    st_model_free(b);
}

static void test_eml_keeps_non_ascii_names_and_omits_missing_first_names(void **state)
{
    st_model *m = read_ok("eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml");
    int accented = 0, without_first = 0;
    for (int i = 0; i < m->n_lists; i++)
        for (int j = 0; j < m->lists[i].n_candidates; j++) {
            const char *s = m->lists[i].candidates[j].name;
            if (strstr(s, "René") || strstr(s, "Schütte") || strstr(s, "Mäkel"))
                accented++;
            if (!strchr(s, '('))
                without_first++;
            /* Whitespace from the file never leaks into a name. */
            assert_null(strchr(s, '\n'));
            assert_true(s[0] != ' ' && s[strlen(s) - 1] != ' ');
        }
    assert_true(accented >= 3);
    /* Forum voor Democratie (25) and JEZUS LEEFT (1) publish no first names. */
    assert_int_equal(without_first, 26);
    assert_null(strchr(m->lists[1].candidates[0].name, '('));
    st_model_free(m);
}

static void test_eml_reads_the_synthetic_230b_test_files(void **state)
{
    st_model *m = read_ok("eml/eml230b_test.eml.xml");
    assert_int_equal(m->n_lists, 3);
    assert_int_equal(total_candidates(m), 18);
    assert_int_equal(st_model_max_candidates(m), 12);
    assert_string_equal(m->election_id, "GR2022_Test");
    assert_string_equal(m->lists[0].candidates[0].name,
                        "Oorschot, A.B.C. (Annemieke)");
    assert_string_equal(m->lists[0].candidates[1].name, "de Blikkert, K. (Krisje)");
    st_model_free(m);

    m = read_ok("eml/eml230b_test_more_than_45_candidates.eml.xml");
    assert_int_equal(m->n_lists, 9);
    assert_int_equal(total_candidates(m), 54);
    assert_numbered_in_order(m);
    st_model_free(m);
}

/* ---- refusals ---- */

static void test_eml_refuses_other_eml_message_types_saying_what_they_are(void **state)
{
    assert_data_refused("eml/eml110b_test.eml.xml", ST_ERR_UNSUPPORTED,
                        "this is a 110b polling-station file, not a 230b");
    assert_data_refused("eml/eml110b_test_420_polling_stations.eml.xml",
                        ST_ERR_UNSUPPORTED, "110b");
    assert_data_refused("eml/eml510b_with_investigations.eml.xml",
                        ST_ERR_UNSUPPORTED, "510b count file");
    assert_data_refused("eml/Verkiezingsdefinitie_PS2023_Drenthe.eml.xml",
                        ST_ERR_UNSUPPORTED, "110a election definition");
}

static void test_eml_refuses_truncated_xml_with_its_line(void **state)
{
    char *dir = th_tmpdir();
    char *src = th_data("eml/eml230b_test.eml.xml");
    size_t len;
    char *text = th_slurp(src, &len);
    assert_non_null(text);
    text[len / 2] = '\0';
    char path[4200];
    snprintf(path, sizeof path, "%s/truncated.eml.xml", dir);
    th_write(path, text);
    assert_refused(path, ST_ERR_PARSE, "not well-formed XML: line ");
    free(text);
    free(src);
    th_rmtree(dir);
    free(dir);
}

static void test_eml_refuses_a_file_that_is_not_xml_or_not_eml(void **state)
{
    char *dir = th_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/not.xml", dir);
    th_write(path, "lijst;kandidaat\n1;Reuvers\n");
    assert_refused(path, ST_ERR_PARSE, "line 1");
    th_write(path, "<?xml version=\"1.0\"?>\n<html><body/></html>\n");
    assert_refused(path, ST_ERR_UNSUPPORTED, "root element is <html>");
    th_write(path, "");
    assert_refused(path, ST_ERR_PARSE, NULL);
    th_rmtree(dir);
    free(dir);
}

static void test_eml_refuses_a_missing_file(void **state)
{
    assert_data_refused("eml/no_such_file.eml.xml", ST_ERR_IO, "cannot open");
}

static void test_eml_refuses_a_duplicated_candidate_number(void **state)
{
    char *dir = th_tmpdir();
    char *path = edited_copy(dir, "eml/eml230b_test.eml.xml",
                             "<CandidateIdentifier Id=\"2\"/>",
                             "<CandidateIdentifier Id=\"1\"/>");
    assert_refused(path, ST_ERR_INVALID,
                   "list 1: candidate number 1 appears twice");
    free(path);
    th_rmtree(dir);
    free(dir);
}

static void test_eml_refuses_a_gap_in_candidate_numbers(void **state)
{
    char *dir = th_tmpdir();
    char *path = edited_copy(dir, "eml/eml230b_test.eml.xml",
                             "<CandidateIdentifier Id=\"2\"/>",
                             "<CandidateIdentifier Id=\"13\"/>");
    assert_refused(path, ST_ERR_INVALID, "without gaps");
    free(path);
    th_rmtree(dir);
    free(dir);
}

static void test_eml_refuses_bad_or_duplicate_list_numbers(void **state)
{
    char *dir = th_tmpdir();
    char *path = edited_copy(dir, "eml/eml230b_test.eml.xml",
                             "<AffiliationIdentifier Id=\"1\">",
                             "<AffiliationIdentifier Id=\"een\">");
    assert_refused(path, ST_ERR_INVALID, "\"een\" is not a list number");
    free(path);
    path = edited_copy(dir, "eml/eml230b_test.eml.xml",
                       "<AffiliationIdentifier Id=\"2\">",
                       "<AffiliationIdentifier Id=\"1\">");
    assert_refused(path, ST_ERR_INVALID, "list number 1 appears twice");
    free(path);
    th_rmtree(dir);
    free(dir);
}

static void test_eml_refuses_files_without_lists(void **state)
{
    char *dir = th_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/empty.eml.xml", dir);
    th_write(path, "<EML xmlns=\"urn:oasis:names:tc:evs:schema:eml\" Id=\"230b\">"
                   "<CandidateList><Election><ElectionIdentifier Id=\"X\"/>"
                   "<Contest/></Election></CandidateList></EML>");
    assert_refused(path, ST_ERR_INVALID, "no Affiliation");
    th_rmtree(dir);
    free(dir);
}

static void test_eml_refuses_more_lists_or_candidates_than_the_ballot_holds(void **state)
{
    char *dir = th_tmpdir();
    char *path = synthetic_230b(dir, ST_LAYOUT_MAX_LISTS, 2);
    st_error err = {0};
    st_model *m = NULL;
    assert_st_ok(st_eml_read_candidates(path, &m, &err), &err);
    assert_int_equal(m->n_lists, 40);
    assert_string_equal(m->election_name, "GR2099_Test");
    assert_string_equal(m->election_date, "");
    st_model_free(m);
    free(path);

    path = synthetic_230b(dir, ST_LAYOUT_MAX_LISTS + 1, 2);
    assert_refused(path, ST_ERR_INVALID, "41 lists; the ballot holds at most 40");
    free(path);
    path = synthetic_230b(dir, 2, ST_LAYOUT_MAX_NUMBERS + 1);
    assert_refused(path, ST_ERR_INVALID, "81 candidates");
    free(path);
    th_rmtree(dir);
    free(dir);
}

/* libxml2 must not write to stderr: its messages belong in st_error. */
static void test_eml_refusals_print_nothing_on_stderr(void **state)
{
    char *dir = th_tmpdir();
    char bad[4200], log[4200];
    snprintf(bad, sizeof bad, "%s/bad.eml.xml", dir);
    snprintf(log, sizeof log, "%s/stderr.txt", dir);
    th_write(bad, "<EML xmlns=\"urn:oasis:names:tc:evs:schema:eml\" Id=\"230b\"><x>");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);

    st_error err = {0};
    st_model *m = NULL;
    int rc1 = st_eml_read_candidates(bad, &m, &err);
    char *b110 = th_data("eml/eml110b_test.eml.xml");
    char *x110 = th_data("eml-xsd/110b-electionevent-kiesraad-strict.xsd");
    int rc2 = st_eml_validate(b110, x110, &err);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(rc1, ST_ERR_PARSE);
    assert_int_equal(rc2, ST_ERR_INVALID);
    size_t len = 1;
    char *printed = th_slurp(log, &len);
    assert_non_null(printed);
    if (len)
        fail_msg("libxml2 printed: %s", printed);
    free(printed);
    free(b110);
    free(x110);
    th_rmtree(dir);
    free(dir);
}

/* ---- XSD validation ---- */

static void test_eml_valid_candidate_lists_pass_the_official_230_schema(void **state)
{
    static const char *files[] = {
        "results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml",
        "results/Kandidatenlijsten_TK2025_Haarlem.eml.xml",
        "eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml",
        "eml/Kandidatenlijsten_PS2023_Drenthe.indented.eml.xml",
        "eml/eml230b_test.eml.xml",
        "eml/eml230b_test_more_than_45_candidates.eml.xml",
    };
    char *xsd = th_data("eml-xsd/230-candidatelist-kiesraad-strict.xsd");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        st_error err = {0};
        char *path = th_data(files[i]);
        assert_st_ok(st_eml_validate(path, xsd, &err), &err);
        free(path);
    }
    free(xsd);
}

static void test_eml_invalid_110b_fails_its_schema_with_the_line(void **state)
{
    st_error err = {0};
    char *path = th_data("eml/eml110b_test.eml.xml");
    char *xsd = th_data("eml-xsd/110b-electionevent-kiesraad-strict.xsd");
    assert_int_equal(st_eml_validate(path, xsd, &err), ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, path));
    if (!strstr(err.msg, "line 19") || !strstr(err.msg, "NominationDate"))
        fail_msg("expected line 19 and NominationDate: %s", err.msg);
    free(path);
    free(xsd);
}

static void test_eml_validate_reports_missing_files(void **state)
{
    st_error err = {0};
    char *path = th_data("eml/eml230b_test.eml.xml");
    char *xsd = th_data("eml-xsd/no-such.xsd");
    assert_int_equal(st_eml_validate(path, xsd, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, xsd));
    free(path);
    free(xsd);
}

/* ---- 110a ---- */

static void test_eml_applies_the_matching_drenthe_definition(void **state)
{
    st_error err = {0};
    st_model *m = read_ok("eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml");
    char *def = th_data("eml/Verkiezingsdefinitie_PS2023_Drenthe.eml.xml");
    free(m->election_name);
    m->election_name = strdup("placeholder");
    assert_st_ok(st_eml_apply_definition(m, def, &err), &err);
    assert_string_equal(m->election_name, "Provinciale Staten Drenthe 2023");
    assert_string_equal(m->election_date, "2023-03-15");
    assert_string_equal(m->municipality_name, "Drenthe");
    assert_int_equal(m->n_lists, 19);
    free(def);
    st_model_free(m);
}

static void test_eml_refuses_a_definition_for_another_election_naming_both_ids(void **state)
{
    st_error err = {0};
    st_model *m = read_ok("eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml");
    char *def = th_data("eml/Verkiezingsdefinitie_GR2026_Stadskanaal.eml.xml");
    assert_int_equal(st_eml_apply_definition(m, def, &err), ST_ERR_INVALID);
    if (!strstr(err.msg, "GR2026_Stadskanaal") || !strstr(err.msg, "PS2023_Drenthe") ||
        !strstr(err.msg, def))
        fail_msg("message should name both ids and the file: %s", err.msg);
    /* The model is untouched. */
    assert_string_equal(m->election_name, "Provinciale Staten Drenthe 2023");
    free(def);
    st_model_free(m);
}

static void test_eml_refuses_a_candidate_list_given_as_definition(void **state)
{
    st_error err = {0};
    st_model *m = read_ok("eml/eml230b_test.eml.xml");
    char *def = th_data("eml/eml230b_test.eml.xml");
    assert_int_equal(st_eml_apply_definition(m, def, &err), ST_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "not a 110a"));
    free(def);
    st_model_free(m);
}

/* ---- 510b ---- */

/* The real count of West Maas en Waal: 21 stations of one contest, each
 * with its figures in document order and the lines they stand on. */
static void test_eml510_reads_every_station_of_the_real_count(void **state)
{
    (void)state;
    st_error err = {0};
    st_eml510 *c = NULL;
    char *path = th_data("results/Telling_GR2022_WestMaasenWaal.eml.xml");
    assert_st_ok(st_eml510_read(path, "test", &c, &err), &err);
    assert_string_equal(c->election_id, "GR2022_WestMaasenWaal");
    int stations = 0;
    for (int i = 0; i < c->n_units; i++) {
        const st_eml510_unit *u = &c->units[i];
        assert_int_equal(u->contest, 0);
        assert_true(u->line > 0);
        stations += u->id != NULL;
        int lists = 0, blank = 0;
        for (int k = 0; k < u->n_items; k++) {
            const st_eml510_item *it = &u->items[k];
            assert_true(it->line >= u->line);
            lists += it->kind == ST_EML510_LIST && it->list > 0 && it->votes >= 0;
            blank += it->kind == ST_EML510_REJECTED && !strcmp(it->reason, "blanco");
        }
        assert_true(lists > 0);
        assert_int_equal(blank, 1);
    }
    assert_int_equal(stations, 21);
    st_eml510_free(c);
    free(path);
}

/* A candidate list is not a count, and the message says what it is. */
static void test_eml510_refuses_a_candidate_list_naming_its_kind(void **state)
{
    (void)state;
    st_error err = {0};
    st_eml510 *c = NULL;
    char *path = th_data("results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml");
    assert_int_equal(st_eml510_read(path, "test", &c, &err), ST_ERR_UNSUPPORTED);
    assert_null(c);
    assert_non_null(strstr(err.msg, "test: "));
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "not an EML 510 count (EML 230b)"));
    st_eml510_free(NULL);
    free(path);
}

/* ---- hostile files ---- */

/* A copy of the real 230b whose first party name is one 10 KB internal
 * entity referenced 20,000 times: 124 KB on disk, 200 MB once expanded. */
static char *entity_bomb_230b(const char *dir)
{
    char *src = th_data("eml/eml230b_test.eml.xml");
    char *text = th_slurp(src, NULL);
    assert_non_null(text);
    const char *decl = "<?xml version=\"1.0\"?>\n";
    const char *name = "<RegisteredName>Partijdige Partij</RegisteredName>";
    char *at = strstr(text, name);
    assert_non_null(at);
    assert_int_equal(strncmp(text, decl, strlen(decl)), 0);
    size_t cap = strlen(text) + 10240 + 20000 * 6 + 256, k = 0;
    char *out = malloc(cap);
    k += (size_t)snprintf(out + k, cap - k, "%s<!DOCTYPE EML [\n<!ENTITY big \"", decl);
    memset(out + k, 'x', 10240);
    k += 10240;
    k += (size_t)snprintf(out + k, cap - k, "\">\n]>\n%.*s<RegisteredName>",
                          (int)(at - text - strlen(decl)), text + strlen(decl));
    for (int i = 0; i < 20000; i++)
        k += (size_t)snprintf(out + k, cap - k, "&big;");
    snprintf(out + k, cap - k, "</RegisteredName>%s", at + strlen(name));
    size_t pn = strlen(dir) + 32;
    char *path = malloc(pn);
    snprintf(path, pn, "%s/bomb.eml.xml", dir);
    th_write(path, out);
    free(out);
    free(text);
    free(src);
    return path;
}

static void test_eml_refuses_an_entity_bomb_naming_the_doctype_line(void **state)
{
    char *dir = th_tmpdir(), *out = NULL, model[4200];
    char *bomb = entity_bomb_230b(dir);
    snprintf(model, sizeof model, "%s/m.json", dir);
    /* Before: 0.8 GB, a 200 MB party name in the model, exit 0. */
    assert_int_equal(th_run(&out, "model from-eml '%s' -o '%s'", bomb, model), 1);
    if (!strstr(out, bomb) || !strstr(out, "line 2") || !strstr(out, "DOCTYPE"))
        fail_msg("want the file, line 2 and DOCTYPE: %s", out);
    assert_int_equal(access(model, F_OK), -1);
    free(out);
    assert_refused(bomb, ST_ERR_PARSE, "line 2: a DOCTYPE");
    free(bomb);
    th_rmtree(dir);
    free(dir);
}

static void test_eml_refuses_any_doctype_even_without_entities(void **state)
{
    char *dir = th_tmpdir();
    /* An external entity that is not loaded used to become an empty
     * party name; a bare DOCTYPE is refused the same way. */
    char *ext = edited_copy(dir, "eml/eml230b_test.eml.xml", "<?xml version=\"1.0\"?>\n",
                            "<?xml version=\"1.0\"?>\n\n<!DOCTYPE EML [<!ENTITY p SYSTEM "
                            "\"/etc/hostname\">]>\n");
    assert_refused(ext, ST_ERR_PARSE, "line 3: a DOCTYPE");
    free(ext);
    char *bare = edited_copy(dir, "eml/eml230b_test.eml.xml", "<?xml version=\"1.0\"?>\n",
                             "<?xml version=\"1.0\"?>\n<!DOCTYPE EML>\n");
    assert_refused(bare, ST_ERR_PARSE, "line 2: a DOCTYPE");
    free(bare);
    char *def = edited_copy(dir, "eml/eml510b_with_investigations.eml.xml", "<EML ",
                            "<!DOCTYPE EML>\n<EML ");
    st_eml510 *c = NULL;
    st_error err = {0};
    assert_int_equal(st_eml510_read(def, "basis", &c, &err), ST_ERR_PARSE);
    assert_null(c);
    if (!strstr(err.msg, def) || !strstr(err.msg, "DOCTYPE"))
        fail_msg("want the file and DOCTYPE: %s", err.msg);
    free(def);
    th_rmtree(dir);
    free(dir);
}

static void test_eml_refuses_c1_controls_and_del_naming_element_and_line(void **state)
{
    char *dir = th_tmpdir();
    /* XML allows them; a terminal takes U+009B as an escape. */
    char *c1 = edited_copy(dir, "eml/eml230b_test.eml.xml", "Partijdige Partij",
                           "Partijdige\xc2\x9b" "2J Partij");
    assert_refused(c1, ST_ERR_INVALID, "RegisteredName: a control character");
    free(c1);
    char *del = edited_copy(dir, "eml/eml230b_test.eml.xml", "Id=\"1\">",
                            "Id=\"1\x7f\">");
    assert_refused(del, ST_ERR_INVALID, "AffiliationIdentifier/@Id: a control character");
    free(del);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eml_reads_gr2022_west_maas_en_waal_lists_and_candidates),
        cmocka_unit_test(test_eml_reads_tk2025_haarlem_with_three_lists_of_80),
        cmocka_unit_test(test_eml_drenthe_one_line_and_indented_files_give_identical_models),
        cmocka_unit_test(test_eml_keeps_non_ascii_names_and_omits_missing_first_names),
        cmocka_unit_test(test_eml_reads_the_synthetic_230b_test_files),
        cmocka_unit_test(test_eml_refuses_other_eml_message_types_saying_what_they_are),
        cmocka_unit_test(test_eml_refuses_truncated_xml_with_its_line),
        cmocka_unit_test(test_eml_refuses_a_file_that_is_not_xml_or_not_eml),
        cmocka_unit_test(test_eml_refuses_a_missing_file),
        cmocka_unit_test(test_eml_refuses_a_duplicated_candidate_number),
        cmocka_unit_test(test_eml_refuses_a_gap_in_candidate_numbers),
        cmocka_unit_test(test_eml_refuses_bad_or_duplicate_list_numbers),
        cmocka_unit_test(test_eml_refuses_files_without_lists),
        cmocka_unit_test(test_eml_refuses_more_lists_or_candidates_than_the_ballot_holds),
        cmocka_unit_test(test_eml_refusals_print_nothing_on_stderr),
        cmocka_unit_test(test_eml_valid_candidate_lists_pass_the_official_230_schema),
        cmocka_unit_test(test_eml_invalid_110b_fails_its_schema_with_the_line),
        cmocka_unit_test(test_eml_validate_reports_missing_files),
        cmocka_unit_test(test_eml_applies_the_matching_drenthe_definition),
        cmocka_unit_test(test_eml_refuses_a_definition_for_another_election_naming_both_ids),
        cmocka_unit_test(test_eml_refuses_a_candidate_list_given_as_definition),
        cmocka_unit_test(test_eml510_reads_every_station_of_the_real_count),
        cmocka_unit_test(test_eml510_refuses_a_candidate_list_naming_its_kind),
        cmocka_unit_test(test_eml_refuses_an_entity_bomb_naming_the_doctype_line),
        cmocka_unit_test(test_eml_refuses_any_doctype_even_without_entities),
        cmocka_unit_test(test_eml_refuses_c1_controls_and_del_naming_element_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
