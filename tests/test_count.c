/* test_count.c - stemtel count end to end, against synth's ground truth
 *
 * Every test drives the real command on real TIFF files that synth draws
 * from a seed, and compares ballots.jsonl with truth.jsonl: the pipeline
 * may send a ballot to review, but a definite outcome (vote, blank,
 * invalid) must be the true one, and what the truth calls ambiguous must
 * go to review.
 */
#include "helpers.h"
#include "run_ok.h"

#include <json-c/json.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/hostile.h"

#define MODEL "models/gr2022-west-maas-en-waal.json"

typedef struct lines {
    int n;
    json_object **v;
} lines;

/* Every line parsed in json-c's strict mode: ballots.jsonl (rejected
 * pages included) and truth.jsonl must be strict JSON. */
static lines read_jsonl(const char *path)
{
    lines l = {0, NULL};
    l.v = th_jsonl_strict(path, NULL, &l.n);
    return l;
}

static void free_lines(lines *l)
{
    th_jsonl_free(l->v, l->n);
}

static json_object *get(json_object *o, const char *k)
{
    json_object *v = NULL;
    json_object_object_get_ex(o, k, &v);
    return v;
}

static const char *gets_(json_object *o, const char *k)
{
    json_object *v = get(o, k);
    return v ? json_object_get_string(v) : "";
}

static int geti(json_object *o, const char *k)
{
    json_object *v = get(o, k);
    return v ? json_object_get_int(v) : -1;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Results of comparing a count with its truth. */
typedef struct verdict {
    int ballots, wrong, ambiguous_missed, review, rejected, definite;
} verdict;

static verdict compare(const char *truth_dir, const char *out_dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/truth.jsonl", truth_dir);
    lines t = read_jsonl(p);
    snprintf(p, sizeof p, "%s/ballots.jsonl", out_dir);
    lines r = read_jsonl(p);
    verdict v = {0};
    assert_int_equal(t.n, r.n);
    for (int i = 0; i < t.n; i++) {
        /* Records come in input order: files by name, pages in order. */
        json_object *tr = t.v[i], *rr = r.v[i], *e = get(tr, "expected");
        assert_string_equal(gets_(tr, "file"), base(gets_(rr, "file")));
        assert_int_equal(geti(tr, "page"), geti(rr, "page"));
        const char *want = gets_(e, "outcome"), *got = gets_(rr, "outcome");
        v.ballots++;
        if (!strcmp(got, "review")) {
            v.review++;
            continue;
        }
        if (!strcmp(got, "rejected")) {
            v.rejected++;
            if (!strcmp(want, "review"))
                v.ambiguous_missed++;
            continue;
        }
        v.definite++;
        /* A borderline ballot belongs in review, but one definite reading
         * of it is also right: the truth names it. */
        json_object *alt = get(e, "if_definite");
        if (!strcmp(want, "review") && alt)
            e = alt, want = gets_(alt, "outcome");
        int ok = !strcmp(want, got);
        if (ok && !strcmp(got, "vote"))
            ok = geti(e, "list") == geti(rr, "list") &&
                 geti(e, "candidate") == geti(rr, "candidate");
        if (!strcmp(want, "review"))
            v.ambiguous_missed++;
        else if (!ok)
            v.wrong++;
        if (!ok && v.wrong + v.ambiguous_missed <= 5)
            print_message("    MISMATCH %s page %d: truth %s, count %s %s\n",
                          gets_(tr, "file"), geti(tr, "page"),
                          json_object_to_json_string(e), got,
                          json_object_to_json_string(get(rr, "reasons")));
    }
    free_lines(&t);
    free_lines(&r);
    return v;
}

/* Draw a stack with synth and count it; returns the verdict. */
static verdict synth_and_count(const char *dir, const char *synth_args,
                               const char *count_args)
{
    char *model = th_root(MODEL), *out = NULL;
    int rc = th_run(&out, "synth '%s' --out '%s/in' %s", model, dir, synth_args);
    if (rc != 0)
        fail_msg("synth failed (%d): %s", rc, out);
    free(out);
    rc = th_run(&out, "count --model '%s' --out '%s/out' %s '%s/in'", model, dir,
                count_args, dir);
    if (rc != 0)
        fail_msg("count failed (%d): %s", rc, out);
    free(out);
    free(model);
    char in[4200], o[4200];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(o, sizeof o, "%s/out", dir);
    return compare(in, o);
}

static void test_count_gives_no_wrong_definite_outcome_on_2000_ballots(void **state)
{
    /* Every mark style, instrument, scenario and degradation synth draws
     * (its default mix), at 200 and 300 dpi, in the formats scanners
     * write. */
    static const char *const sets[] = {
        "--count 450 --seed 101 --dpi 200 --format rgb-jpeg",
        "--count 400 --seed 102 --dpi 300 --format grey-jpeg",
        "--count 400 --seed 103 --dpi 200 --format grey-lzw",
        "--count 350 --seed 104 --dpi 300 --format rgb",
        "--count 400 --seed 105 --dpi 200 --format g4",
    };
    verdict all = {0};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        char *dir = th_tmpdir();
        verdict v = synth_and_count(dir, sets[i], "");
        print_message("    %-48s %4d ballots: %4d definite, %3d review, %2d rejected, "
                      "%d wrong, %d ambiguous not in review\n",
                      sets[i], v.ballots, v.definite, v.review, v.rejected, v.wrong,
                      v.ambiguous_missed);
        all.ballots += v.ballots;
        all.wrong += v.wrong;
        all.ambiguous_missed += v.ambiguous_missed;
        th_rmtree(dir);
        free(dir);
    }
    assert_true(all.ballots >= 2000);
    assert_int_equal(all.wrong, 0);
    assert_int_equal(all.ambiguous_missed, 0);
}

static void test_count_review_rate_on_clean_scans_is_below_1_percent(void **state)
{
    char *dir = th_tmpdir();
    verdict v = synth_and_count(
        dir,
        "--count 500 --seed 201 --dpi 200 --format rgb-jpeg --degrade none "
        "--styles fill,partial,x,check,stroke --instruments red-pencil,blue-pen,black-pen "
        "--scenarios vote,list-only,number-only,several-lists,beyond-list,blank",
        "");
    double rate = 100.0 * v.review / v.ballots;
    print_message("    clean scans: %d ballots, %d to review (%.2f%%), %d rejected, %d wrong\n",
                  v.ballots, v.review, rate, v.rejected, v.wrong);
    assert_int_equal(v.wrong, 0);
    assert_int_equal(v.rejected, 0);
    assert_true(rate < 1.0);
    th_rmtree(dir);
    free(dir);
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la, lb;
    char *x = th_slurp(a, &la), *y = th_slurp(b, &lb);
    assert_non_null(x);
    assert_non_null(y);
    if (la != lb || memcmp(x, y, la) != 0)
        fail_msg("%s and %s differ", a, b);
    free(x);
    free(y);
}

static void test_count_output_is_identical_for_1_and_4_threads(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL;
    /* Multi-page files and single pages, upside down and not. */
    assert_int_equal(th_run(&out, "synth '%s' --out '%s/in' --count 36 --seed 301 --dpi 200 "
                                  "--format grey-jpeg --pages-per-file 5", model, dir), 0);
    free(out);
    assert_int_equal(th_run(&out, "synth '%s' --out '%s/in2' --count 12 --seed 302 --dpi 300 "
                                  "--format rgb-jpeg", model, dir), 0);
    free(out);
    for (int t = 1; t <= 4; t += 3) {
        assert_int_equal(th_run(&out, "count --model '%s' --threads %d --out '%s/out%d' "
                                      "'%s/in' '%s/in2'", model, t, dir, t, dir, dir), 0);
        free(out);
    }
    static const char *const files[] = {"ballots.jsonl", "tally.csv", "tally.json"};
    for (int i = 0; i < 3; i++) {
        char a[4200], b[4200];
        snprintf(a, sizeof a, "%s/out1/%s", dir, files[i]);
        snprintf(b, sizeof b, "%s/out4/%s", dir, files[i]);
        assert_same_file(a, b);
    }
    char p[4200];
    snprintf(p, sizeof p, "%s/out1/ballots.jsonl", dir);
    lines l = read_jsonl(p);
    assert_int_equal(l.n, 48);
    free_lines(&l);
    free(model);
    th_rmtree(dir);
    free(dir);
}

static void test_count_rejects_each_bad_file_and_counts_the_rest(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *bad = th_root("tests/data/bad"),
         *out = NULL;
    assert_int_equal(th_run(&out, "synth '%s' --out '%s/in' --count 6 --seed 401 --dpi 200 "
                                  "--format grey-jpeg --degrade none --scenarios vote --styles fill,x "
                                  "--instruments black-pen,blue-pen",
                            model, dir), 0);
    free(out);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cp '%s'/*.tif '%s/in/'", bad, dir);
    assert_int_equal(system(cmd), 0);
    /* Names like scans that are no files: a pipe (opening it must not
     * wait for a writer) and a folder. */
    snprintf(cmd, sizeof cmd, "mkfifo '%s/in/pipe.tif' && mkdir '%s/in/folder.tif'", dir, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(th_run(&out, "count --model '%s' --out '%s/out' '%s/in'", model, dir, dir),
                     0);
    free(out);
    char p[4200];
    snprintf(p, sizeof p, "%s/out/ballots.jsonl", dir);
    lines l = read_jsonl(p);
    int good = 0, rejected = 0, specials = 0;
    for (int i = 0; i < l.n; i++) {
        const char *file = base(gets_(l.v[i], "file"));
        const char *outcome = gets_(l.v[i], "outcome");
        if (!strncmp(file, "ballot-", 7)) {
            assert_string_equal(outcome, "vote");
            good++;
            continue;
        }
        /* A broken file: rejected with a reason and a message naming it. */
        assert_string_equal(outcome, "rejected");
        json_object *reasons = get(l.v[i], "reasons");
        assert_int_equal(json_object_array_length(reasons), 1);
        const char *msg = gets_(l.v[i], "message");
        if (!strstr(msg, file))
            fail_msg("%s: message does not name the file: %s", file, msg);
        if (!strcmp(file, "pipe.tif") || !strcmp(file, "folder.tif")) {
            /* Nothing was read, so there is no hash to give. */
            if (!strstr(msg, "not a regular file") || strcmp(gets_(l.v[i], "sha256"), ""))
                fail_msg("%s: %s, sha256 \"%s\"", file, msg, gets_(l.v[i], "sha256"));
            specials++;
        }
        rejected++;
    }
    assert_int_equal(good, 6);
    snprintf(cmd, sizeof cmd, "ls '%s'/*.tif | wc -l", bad);
    FILE *f = popen(cmd, "r");
    int n_bad = 0;
    assert_int_equal(fscanf(f, "%d", &n_bad), 1);
    pclose(f);
    assert_true(n_bad >= 10);
    assert_int_equal(specials, 2);
    assert_int_equal(rejected, n_bad + 2);
    free_lines(&l);
    free(model);
    free(bad);
    th_rmtree(dir);
    free(dir);
}

/* A multi-page file cut short by another process while count reads its
 * pages (a scanner's software rewriting it, an operator's mistake) was
 * mapped, and touching the lost pages killed count with SIGBUS, leaving
 * only .tmp files. Now the file is read whole first: count finishes, with
 * every page it had, or with one rejected record naming the file. */
static void test_count_survives_its_file_being_cut_short_while_read(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL;
    char p[4200];
    RUN_OK("synth '%s' --out '%s/in' --count 60 --seed 5 --pages-per-file 60 --threads 2",
           model, dir);
    /* Cut once count has written its first window's records. */
    int rc = th_run(&out, "count --model '%s' --threads 2 --out '%s/out' '%s/in/stack-0001.tif' "
                    ">'%s/log' 2>&1 & pid=$!; "
                    "for i in $(seq 1000); do [ -s '%s/out/ballots.jsonl.tmp' ] && break; "
                    "sleep 0.01; done; truncate -s 1000000 '%s/in/stack-0001.tif'; "
                    "wait $pid; echo \"count exit $?\"",
                    model, dir, dir, dir, dir, dir);
    assert_int_equal(rc, 0);
    snprintf(p, sizeof p, "%s/log", dir);
    char *log = th_slurp(p, NULL);
    if (!strstr(out, "count exit 0"))
        fail_msg("count did not finish cleanly: %s%s", out, log ? log : "");
    snprintf(p, sizeof p, "%s/out/ballots.jsonl", dir);
    lines l = read_jsonl(p);
    if (l.n == 1) {
        assert_string_equal(gets_(l.v[0], "outcome"), "rejected");
        assert_non_null(strstr(json_object_to_json_string(l.v[0]), "stack-0001.tif"));
    } else {
        assert_int_equal(l.n, 60);
    }
    free_lines(&l);
    free(log);
    free(out);
    free(model);
    th_rmtree(dir);
    free(dir);
}

/* Pages made to cost a reader minutes or gigabytes are rejected pages
 * naming the limit they break, at once, and the batch goes on. */
static void test_count_rejects_hostile_pages_naming_the_limit(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL;
    char p[4200];
    st_error err = {0};
    static const struct {
        const char *file, *says;
    } cases[] = {
        {"z1-bomb.tif", "strip 0 is a JPEG stream of 704 scans (stemtel reads up to 32; limit: "
                       "JPEG scans)"},
        {"z2-wide.tif", "absurd dimensions 13000 x 64 px (stemtel reads up to 12000 px a side; "
                       "limit: page side)"},
        {"z3-huge.tif", "absurd dimensions 11000 x 9500 px, 104.5 Mpx (stemtel reads up to "
                       "100 Mpx; limit: page pixels)"},
        {"z4-tile.tif", "absurd tile of 50331648 bytes (stemtel reads tiles up to 16777216 "
                       "bytes; limit: bytes per tile)"},
    };
    snprintf(p, sizeof p, "%s/in/%s", dir, cases[0].file);
    RUN_OK("synth '%s' --out '%s/in' --count 1 --seed 4 --threads 1", model, dir);
    assert_st_ok(st_hostile_jpeg_bomb(p, 640, 480, 200, &err), &err);
    snprintf(p, sizeof p, "%s/in/%s", dir, cases[1].file);
    assert_st_ok(st_hostile_blank(p, 13000, 64, 200, 1, 0, &err), &err);
    snprintf(p, sizeof p, "%s/in/%s", dir, cases[2].file);
    assert_st_ok(st_hostile_blank(p, 11000, 9500, 600, 1, 0, &err), &err);
    snprintf(p, sizeof p, "%s/in/%s", dir, cases[3].file);
    assert_st_ok(st_hostile_blank(p, 4096, 4096, 200, 3, 4096, &err), &err);
    assert_int_equal(th_run(&out, "count --model '%s' --threads 2 --out '%s/out' '%s/in'", model,
                            dir, dir), 0);
    snprintf(p, sizeof p, "%s/out/ballots.jsonl", dir);
    lines l = read_jsonl(p);
    assert_int_equal(l.n, 5);
    /* The ballot before them (names sort it first) is read as ever. */
    assert_string_not_equal(gets_(l.v[0], "outcome"), "rejected");
    for (int i = 0; i < 4; i++) {
        json_object *r = l.v[i + 1];
        assert_non_null(strstr(gets_(r, "file"), cases[i].file));
        assert_string_equal(gets_(r, "outcome"), "rejected");
        if (!strstr(gets_(r, "message"), cases[i].says))
            fail_msg("%s: %s", cases[i].file, gets_(r, "message"));
    }
    free_lines(&l);
    free(out);
    free(model);
    th_rmtree(dir);
    free(dir);
}

/* Votes per candidate of a station in a 510b file, via XPath, as the
 * "candidate,L,C," rows of tally.csv would show them. */
static int official_votes(const char *eml, const char *station, int list, int cand)
{
    xmlDocPtr doc = xmlReadFile(eml, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "e", BAD_CAST "urn:oasis:names:tc:evs:schema:eml");
    char xp[512];
    /* The candidate's selection is the one after its list's selection. */
    snprintf(xp, sizeof xp,
             "//e:ReportingUnitVotes[e:ReportingUnitIdentifier/@Id='%s']/e:Selection"
             "[e:Candidate/e:CandidateIdentifier/@Id='%d' and "
             "preceding-sibling::e:Selection[e:AffiliationIdentifier][1]"
             "/e:AffiliationIdentifier/@Id='%d']/e:ValidVotes",
             station, cand, list);
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST xp, ctx);
    assert_non_null(r);
    int v = -1;
    if (r->nodesetval && r->nodesetval->nodeNr == 1) {
        xmlChar *s = xmlNodeGetContent(r->nodesetval->nodeTab[0]);
        v = atoi((const char *)s);
        xmlFree(s);
    }
    xmlXPathFreeObject(r);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return v;
}

static void test_count_sample_batch_equals_the_official_count(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL;
    char *eml = th_data("results/Telling_GR2022_WestMaasenWaal.eml.xml");
    char *expected = th_root("samples/gr2022-sb3/expected-tally.csv");
    /* The recipe of samples/gr2022-sb3/README.md. */
    int rc = th_run(&out, "synth '%s' --seed 2022 --dpi 200 --format rgb-jpeg "
                          "--degrade rotate,shift,scale,noise,blur --votes-from '%s' "
                          "--station 0668::SB3 --out '%s/in'", model, eml, dir);
    if (rc)
        fail_msg("%s", out);
    free(out);
    assert_int_equal(th_run(&out, "count --model '%s' --station 0668::SB3 --out '%s/out' "
                                  "'%s/in'", model, dir, dir), 0);
    free(out);
    /* Every row of the expected file appears in tally.csv. */
    char p[4200];
    snprintf(p, sizeof p, "%s/out/tally.csv", dir);
    char *got = th_slurp(p, NULL), *want = th_slurp(expected, NULL);
    assert_non_null(got);
    assert_non_null(want);
    int rows = 0, checked = 0;
    for (char *save = NULL, *ln = strtok_r(want, "\n", &save); ln;
         ln = strtok_r(NULL, "\n", &save), rows++) {
        char needle[512];
        snprintf(needle, sizeof needle, "\n%s\n", ln);
        if (rows > 0 && !strstr(got, needle))
            fail_msg("tally.csv lacks the official row %s", ln);
        int l, c, v;
        /* And the expected file itself agrees with the Kiesraad's file. */
        if (sscanf(ln, "candidate,%d,%d,", &l, &c) == 2 && checked < 60) {
            v = atoi(strrchr(ln, ',') + 1);
            assert_int_equal(v, official_votes(eml, "0668::SB3", l, c));
            checked++;
        }
    }
    assert_true(rows > 250);
    assert_int_equal(checked, 60);
    free(got);
    free(want);
    free(eml);
    free(expected);
    free(model);
    th_rmtree(dir);
    free(dir);
}

static void test_count_tally_agrees_with_the_records(void **state)
{
    char *dir = th_tmpdir();
    synth_and_count(dir, "--count 60 --seed 501 --dpi 200 --format grey-jpeg", "");
    char p[4200];
    snprintf(p, sizeof p, "%s/out/ballots.jsonl", dir);
    lines l = read_jsonl(p);
    int n[5] = {0};
    static const char *const kinds[] = {"vote", "blank", "invalid", "review", "rejected"};
    for (int i = 0; i < l.n; i++)
        for (int k = 0; k < 5; k++)
            n[k] += !strcmp(gets_(l.v[i], "outcome"), kinds[k]);
    snprintf(p, sizeof p, "%s/out/tally.json", dir);
    char *text = th_slurp(p, NULL);
    json_object *t = json_tokener_parse(text);
    assert_non_null(t);
    assert_int_equal(geti(t, "E"), n[0]);
    assert_int_equal(geti(t, "F"), n[1]);
    assert_int_equal(geti(t, "G"), n[2]);
    assert_int_equal(geti(t, "H"), n[0] + n[1] + n[2]);
    assert_int_equal(geti(get(t, "review"), "total"), n[3]);
    assert_int_equal(geti(get(t, "rejected"), "total"), n[4]);
    assert_int_equal(n[0] + n[1] + n[2] + n[3] + n[4], 60);
    json_object_put(t);
    free(text);
    free_lines(&l);
    th_rmtree(dir);
    free(dir);
}

static void test_count_refuses_a_model_that_fails_its_check(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL;
    char *json = th_slurp(model, NULL);
    /* Thresholds out of order. */
    char *p = strstr(json, "\"definite\": 0.025");
    assert_non_null(p);
    memcpy(p, "\"definite\": 0.001", 17);
    char path[4200];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    th_write(path, json);
    assert_int_equal(th_run(&out, "count --model '%s' --out '%s/out' '%s'", path, dir, dir), 1);
    assert_non_null(strstr(out, "bad.json"));
    assert_non_null(strstr(out, "thresholds"));
    free(out);
    free(json);
    free(model);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_refuses_a_model_that_fails_its_check),
        cmocka_unit_test(test_count_tally_agrees_with_the_records),
        cmocka_unit_test(test_count_survives_its_file_being_cut_short_while_read),
        cmocka_unit_test(test_count_rejects_hostile_pages_naming_the_limit),
        cmocka_unit_test(test_count_rejects_each_bad_file_and_counts_the_rest),
        cmocka_unit_test(test_count_output_is_identical_for_1_and_4_threads),
        cmocka_unit_test(test_count_sample_batch_equals_the_official_count),
        cmocka_unit_test(test_count_review_rate_on_clean_scans_is_below_1_percent),
        cmocka_unit_test(test_count_gives_no_wrong_definite_outcome_on_2000_ballots),
    };
    return cmocka_run_group_tests_name("count", tests, NULL, NULL);
}
