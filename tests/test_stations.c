/* test_stations.c - the municipality's polling stations, and ids checked
 *
 * The Kiesraad's 420-station 110b test file is imported into a store of
 * a model made for its municipality (code 0000); ballots synth draws are
 * counted through the real command. Once the list is there an unknown
 * station is refused on the command line, on a separator sheet and in
 * the basistelling, each naming it, and the reconciliation shows every
 * listed station with its state and blocks while one is not accounted
 * for. Without a list, ids must have the form EML uses.
 */
#include "helpers.h"
#include "run_ok.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fx {
    char *dir, *model, store[4200];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = th_tmpdir();
    /* GR2022's ballot, for the test file's municipality. */
    char *gr = th_root("models/gr2022-west-maas-en-waal.json"), *text = th_slurp(gr, NULL);
    json_object *m = json_tokener_parse(text), *mun;
    if (!m || !json_object_object_get_ex(m, "municipality", &mun))
        return -1;
    json_object_object_add(mun, "code", json_object_new_string("0000"));
    json_object_object_add(mun, "name", json_object_new_string("Test"));
    char path[4200];
    snprintf(path, sizeof path, "%s/model.json", f->dir);
    if (json_object_to_file_ext(path, m, JSON_C_TO_STRING_PRETTY))
        return -1;
    f->model = strdup(path);
    json_object_put(m);
    free(text);
    free(gr);
    snprintf(f->store, sizeof f->store, "%s/s.db", f->dir);
    char *out = NULL;
    int rc = th_run(&out, "synth '%s' --out '%s/in' --count 6 --seed 5 --dpi 150 --format grey "
                          "--degrade none --scenarios vote", f->model, f->dir);
    if (rc == 0) {
        free(out);
        /* The store is made by a first count, before any list. */
        rc = th_run(&out, "count --model '%s' --station 0000::SB1 --store '%s' --out '%s/o' "
                          "'%s/in'", f->model, f->store, f->dir, f->dir);
    }
    if (rc != 0)
        fprintf(stderr, "setup failed (%d): %s\n", rc, out);
    free(out);
    *state = f;
    return rc == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    th_rmtree(f->dir);
    free(f->dir);
    free(f->model);
    free(f);
    return 0;
}

static void test_stations_without_a_list_ids_must_have_the_eml_form(void **state)
{
    fx *f = *state;
    char *out = NULL;
    static const char *const bad[] = {"SB1", "0000:SB1", "0000::SB0", "000::SB1",
                                      "0000::SB1 x", "0000::SB01"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = th_run(&out, "count --model '%s' --station '%s' --store '%s' --out '%s/o2' "
                              "'%s/in'", f->model, bad[i], f->store, f->dir, f->dir);
        if (rc != 1 || !strstr(out, "is not a polling station id"))
            fail_msg("--station %s: exit %d: %s", bad[i], rc, out);
        free(out);
    }
    /* Without a store too. */
    assert_int_equal(th_run(&out, "count --model '%s' --station 'SB 1' --out '%s/o3' '%s/in'",
                            f->model, f->dir, f->dir), 2);
    assert_non_null(strstr(out, "\"SB 1\" is not a polling station id"));
    free(out);
}

static void test_stations_import_the_420_station_110b_and_refuse_unknown_ones(void **state)
{
    fx *f = *state;
    char *out = NULL, *eml = th_data("eml/eml110b_test_420_polling_stations.eml.xml");
    RUN_OK("stations import --store '%s' '%s'", f->store, eml);
    assert_int_equal(th_run(&out, "stations list --store '%s'", f->store), 0);
    assert_non_null(strstr(out, "420 stations listed"));
    assert_non_null(strstr(out, "0000::SB1      Stadhuis, 1011 PN (1273 voters)"));
    assert_non_null(strstr(out, "0000::SB799 ")); /* the last; numbers skip */
    free(out);

    /* On the command line. */
    assert_int_equal(th_run(&out, "count --model '%s' --station 0000::SB900 --store '%s' "
                                  "--out '%s/o4' '%s/in'", f->model, f->store, f->dir, f->dir),
                     1);
    assert_non_null(strstr(out, "station 0000::SB900 is not one of the municipality's 420"));
    free(out);

    /* On a separator sheet laid on a stack. */
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/stack", f->dir);
    RUN_OK("synth '%s' --out '%s' --count 2 --seed 6 --dpi 150 --format grey --degrade none",
           f->model, dir);
    RUN_OK("sheet --station 0000::SB901 -o '%s/000-sheet.tif' --dpi 150", dir);
    assert_int_equal(th_run(&out, "count --model '%s' --store '%s' --out '%s/o5' '%s'",
                            f->model, f->store, f->dir, dir), 1);
    assert_non_null(strstr(out, dir)); /* the first ballot under the sheet */
    assert_non_null(strstr(out, "station 0000::SB901 is not one of the municipality's"));
    free(out);

    /* In the basistelling. */
    char csv[4300];
    snprintf(csv, sizeof csv, "%s/basis.csv", f->dir);
    th_write(csv, "station,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,explained\n"
                  "0000::SB1,6,0,0,6,0,0,0,0,0,0,0,6,6,0,0,6,0,0,yes\n"
                  "0000::SB902,1,0,0,1,0,0,0,0,0,0,0,1,1,0,0,1,0,0,yes\n");
    assert_int_equal(th_run(&out, "basis import --store '%s' '%s'", f->store, csv), 1);
    assert_non_null(strstr(out, "basis.csv"));
    assert_non_null(strstr(out, "station 0000::SB902 is not one of the municipality's"));
    free(out);

    /* A later list may not leave out a station that has ballots. */
    snprintf(csv, sizeof csv, "%s/list.csv", f->dir);
    th_write(csv, "id,name\n0000::SB2,Melkweg\n");
    assert_int_equal(th_run(&out, "stations import --store '%s' '%s'", f->store, csv), 1);
    assert_non_null(strstr(out, "leaves out 0000::SB1, which already has ballots"));
    free(out);
    /* Nor a list of another municipality, nor a bad row. */
    th_write(csv, "id,name\n0668::SB1,Gemeentehuis\n");
    assert_int_equal(th_run(&out, "stations import --store '%s' '%s'", f->store, csv), 1);
    assert_non_null(strstr(out, "not of municipality 0000"));
    free(out);
    th_write(csv, "id,name,postcode\n0000::SB1,A,\n0000::SB1,B,\n");
    assert_int_equal(th_run(&out, "stations import --store '%s' '%s'", f->store, csv), 1);
    assert_non_null(strstr(out, "line 3: station 0000::SB1 given twice"));
    free(out);
    th_write(csv, "id,name\nSB3,C\n");
    assert_int_equal(th_run(&out, "stations import --store '%s' '%s'", f->store, csv), 1);
    assert_non_null(strstr(out, "line 2: station \"SB3\" is not a polling station id"));
    free(out);
    /* A name that is not UTF-8 or holds a control character would reach
     * the 510b and the screen: refused with the line and field. */
    th_write(csv, "id,name,postcode\n0000::SB1,Melkweg \xe9\xe9n,\n");
    assert_int_equal(th_run(&out, "stations import --store '%s' '%s'", f->store, csv), 1);
    assert_non_null(strstr(out, "line 2: station 0000::SB1: name: invalid UTF-8 at byte 9"));
    free(out);
    th_write(csv, "id,name,postcode\n0000::SB1,Melkweg,6\x7f" "51\n");
    assert_int_equal(th_run(&out, "stations import --store '%s' '%s'", f->store, csv), 1);
    assert_non_null(strstr(out, "line 2: station 0000::SB1: postcode: a control character"));
    free(out);
    /* A list saved by a spreadsheet set to Dutch: semicolons. */
    th_write(csv, "id;name\n0000::SB1;Stadhuis\n");
    assert_int_equal(th_run(&out, "stations import --store '%s' '%s'", f->store, csv), 1);
    assert_non_null(strstr(out, "unknown column \"id;name\""));
    assert_non_null(strstr(out, "split by semicolons"));
    free(out);

    /* The commands that only read refuse a station that cannot be in the
     * store too: a typo must not read as a station with nothing in it. */
    static const char *const reads[] = {"tally --store '%s' --out '%s/t' --station %s",
                                        "review list --store '%s' --station %s%s"};
    static const char *const wrong[] = {"SB1", "0000::SB900"};
    for (int r = 0; r < 2; r++)
        for (int w = 0; w < 2; w++) {
            char cmd[9000];
            if (r == 0)
                snprintf(cmd, sizeof cmd, reads[r], f->store, f->dir, wrong[w]);
            else
                snprintf(cmd, sizeof cmd, reads[r], f->store, wrong[w], " --all");
            int rc = th_run(&out, "%s", cmd);
            const char *want = w ? "station 0000::SB900 is not one of the municipality's 420"
                                 : "\"SB1\" is not a polling station id";
            if (rc != 1 || !strstr(out, want))
                fail_msg("%s: exit %d:\n%s", cmd, rc, out);
            free(out);
        }
    /* A listed station is read, and a reason no ballot has is named. */
    assert_int_equal(th_run(&out, "tally --store '%s' --out '%s/t' --station 0000::SB1",
                            f->store, f->dir), 0);
    if (strncmp(out, "E ", 2) || strstr(out, "H 0  review 0"))
        fail_msg("tally --station 0000::SB1 read nothing of its 6 ballots:\n%s", out);
    free(out);
    assert_int_equal(th_run(&out, "review list --store '%s' --all --reason nonsense", f->store),
                     0);
    assert_non_null(strstr(out, "0 ballots"));
    assert_non_null(strstr(out, "no ballot here has reason \"nonsense\""));
    free(out);
    /* The id column may be called "station", as the basistelling calls
     * it (in a store of its own: the other tests keep the 420). */
    char other[4300];
    snprintf(other, sizeof other, "%s/alias.db", f->dir);
    RUN_OK("count --model '%s' --station 0000::SB1 --store '%s' --out '%s/o6' '%s/in'",
           f->model, other, f->dir, f->dir);
    th_write(csv, "station,name\n0000::SB1,Stadhuis\n0000::SB2,Melkweg\n");
    RUN_OK("stations import --store '%s' '%s'", other, csv);
    assert_int_equal(th_run(&out, "stations list --store '%s'", other), 0);
    assert_non_null(strstr(out, "2 stations listed"));
    assert_non_null(strstr(out, "0000::SB2      Melkweg"));
    free(out);
    free(eml);
}

static void test_stations_sheets_of_every_listed_station_in_one_pdf(void **state)
{
    fx *f = *state;
    char *out = NULL, pdf[4300];
    snprintf(pdf, sizeof pdf, "%s/sheets.pdf", f->dir);
    RUN_OK("sheet --all --store '%s' --election GR2022_Test -o '%s'", f->store, pdf);
    size_t len = 0;
    char *bytes = th_slurp(pdf, &len);
    assert_non_null(bytes);
    assert_true(len > 1000 && !memcmp(bytes, "%PDF-", 5));
    /* One page per listed station. */
    int found = 0;
    for (size_t i = 0; i + 11 < len && !found; i++)
        found = !memcmp(bytes + i, "/Count 420", 10) && (bytes[i + 10] < '0' || bytes[i + 10] > '9');
    assert_true(found);
    free(bytes);
    /* Without a list there is nothing to print. */
    char other[4300];
    snprintf(other, sizeof other, "%s/empty.db", f->dir);
    RUN_OK("count --model '%s' --store '%s' --out '%s/o9' '%s/in'", f->model, other, f->dir,
           f->dir);
    assert_int_equal(th_run(&out, "sheet --all --store '%s' -o '%s'", other, pdf), 2);
    assert_non_null(strstr(out, "holds no station list"));
    free(out);
}

static void test_stations_reconcile_shows_every_listed_station_and_blocks(void **state)
{
    fx *f = *state;
    char *out = NULL, path[4300];
    snprintf(path, sizeof path, "%s/r.json", f->dir);
    int rc = th_run(&out, "reconcile --store '%s' --format json -o '%s'", f->store, path);
    assert_int_equal(rc, 3);
    free(out);
    char *text = th_slurp(path, NULL);
    assert_non_null(text);
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *r = json_tokener_parse_ex(tok, text, (int)strlen(text));
    assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
    json_tokener_free(tok);
    free(text);
    json_object *st = th_json_get(r, "stations");
    assert_int_equal(json_object_array_length(st), 420);
    json_object *sb1 = json_object_array_get_idx(st, 0), *sb2 = json_object_array_get_idx(st, 1);
    assert_string_equal(th_json_str(sb1, "station"), "0000::SB1");
    assert_string_equal(th_json_str(sb1, "name"), "Stadhuis");
    assert_true(json_object_get_boolean(th_json_get(sb1, "listed")));
    /* Counted, no basistelling: in review while a ballot waits. */
    int open = th_json_int(sb1, "open_review") + th_json_int(sb1, "open_rejected");
    assert_string_equal(th_json_str(sb1, "state"), open ? "in_review" : "waiting_for_basistelling");
    assert_string_equal(th_json_str(sb2, "state"), "not_started");
    json_object_put(r);
    assert_int_equal(th_run(&out, "reconcile --store '%s' --format text", f->store), 3);
    assert_non_null(strstr(out, "0000::SB2: nothing counted and no basistelling yet"));
    assert_non_null(strstr(out, "0000::SB799: nothing counted and no basistelling yet"));
    assert_non_null(strstr(out, "state not_started;"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stations_without_a_list_ids_must_have_the_eml_form),
        cmocka_unit_test(test_stations_import_the_420_station_110b_and_refuse_unknown_ones),
        cmocka_unit_test(test_stations_reconcile_shows_every_listed_station_and_blocks),
        cmocka_unit_test(test_stations_sheets_of_every_listed_station_in_one_pdf),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
