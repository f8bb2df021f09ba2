/* test_frompdf.c - a model from a printer's proof, on designs drawn apart from ours */
#include "helpers.h"
#include "design.h"
#include "stemtel/eml.h"
#include "stemtel/model.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANDIDATES "eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml"
#define TOLERANCE_MM 0.2

static st_model *lists(void)
{
    st_error err = {0};
    st_model *m = NULL;
    char *p = th_data(CANDIDATES);
    assert_st_ok(st_eml_read_candidates(p, &m, &err), &err);
    free(p);
    return m;
}

/* Draw the design o into dir/proof.pdf, run `model from-pdf` on it and
 * return its exit status; *out the command's output, *boxes what was
 * drawn. */
static int from_pdf(const char *dir, const td_options *o, td_box **boxes, int *n, char **out)
{
    st_model *l = lists();
    char pdf[512];
    snprintf(pdf, sizeof pdf, "%s/proof.pdf", dir);
    td_design_pdf(l, o, pdf, boxes, n);
    st_model_free(l);
    char *cand = th_data(CANDIDATES);
    int rc = th_run(out, "model from-pdf '%s' --candidates '%s' -o '%s/model.json'", pdf, cand,
                    dir);
    free(cand);
    return rc;
}

/* Every drawn box is in the model, tied to its list or number, within
 * TOLERANCE_MM of where the drawing put it; nothing else is. */
static void assert_boxes(const char *dir, const td_box *boxes, int n, double line_mm)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model.json", dir);
    st_error err = {0};
    st_model *m = NULL;
    assert_st_ok(st_model_load_checked(path, &m, &err), &err);
    assert_int_equal(m->n_fiducials, 0);
    assert_int_equal(m->n_targets, n);
    assert_true(m->n_artwork > 0);
    assert_true(fabs(m->settings.outline_mm - line_mm) <= 0.1);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        const st_target *t = st_model_target(m, boxes[i].kind, boxes[i].number);
        if (!t)
            fail_msg("%s %d: not in the model", boxes[i].kind == ST_TARGET_LIST ? "list" : "number",
                     boxes[i].number);
        const st_rect *a = &t->rect, *b = &boxes[i].rect;
        double d = fmax(fmax(fabs(a->x - b->x), fabs(a->y - b->y)),
                        fmax(fabs(a->x + a->w - b->x - b->w), fabs(a->y + a->h - b->y - b->h)));
        if (d > TOLERANCE_MM)
            fail_msg("%s: drawn at %.3f %.3f %.3f x %.3f mm, found at %.3f %.3f %.3f x %.3f mm",
                     t->id, b->x, b->y, b->w, b->h, a->x, a->y, a->w, a->h);
        worst = fmax(worst, d);
        assert_true(t->printed_set);
    }
    print_message("%d boxes, worst edge %.3f mm off\n", n, worst);
    st_model_free(m);
}

static void check_design(const td_options *o, double line_mm)
{
    char *dir = th_tmpdir(), *out = NULL;
    td_box *boxes = NULL;
    int n = 0;
    int rc = from_pdf(dir, o, &boxes, &n, &out);
    if (rc != 0)
        fail_msg("model from-pdf exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "19 list boxes, 49 number boxes"));
    assert_non_null(strstr(out, "no registration marks"));
    assert_boxes(dir, boxes, n, line_mm);
    free(boxes);
    free(out);
    th_rmtree(dir);
    free(dir);
}

static void test_landscape_rounded_boxes_with_logos(void **state)
{
    td_options o = {.shape = TD_ROUNDED};
    check_design(&o, 0.4);
}

static void test_portrait_squares_with_numbers_inside(void **state)
{
    td_options o = {.portrait = 1, .shape = TD_SQUARE, .number_inside = 1, .line_mm = 0.6};
    check_design(&o, 0.6);
}

static void test_landscape_circles(void **state)
{
    td_options o = {.shape = TD_CIRCLE, .box_mm = 7};
    check_design(&o, 0.4);
}

/* A proof that does not match the 230b writes no model and says what is
 * wrong. */
static void refused(const td_options *o, const char *needle)
{
    char *dir = th_tmpdir(), *out = NULL;
    td_box *boxes = NULL;
    int n = 0;
    int rc = from_pdf(dir, o, &boxes, &n, &out);
    if (rc != 1 || !strstr(out, needle) || !strstr(out, "proof.pdf"))
        fail_msg("expected exit 1 naming \"%s\", got %d:\n%s", needle, rc, out);
    char path[512];
    snprintf(path, sizeof path, "%s/model.json", dir);
    FILE *f = fopen(path, "r");
    assert_null(f);
    free(boxes);
    free(out);
    th_rmtree(dir);
    free(dir);
}

static void test_refuses_a_proof_without_a_list(void **state)
{
    td_options o = {.shape = TD_ROUNDED, .omit_list = 9};
    refused(&o, "list 9 (D66): no box");
}

static void test_refuses_a_proof_without_a_number(void **state)
{
    td_options o = {.shape = TD_ROUNDED, .omit_number = 17};
    refused(&o, "number 17: no box");
}

static void test_refuses_a_box_too_many(void **state)
{
    td_options o = {.shape = TD_ROUNDED, .extra_box = 1};
    refused(&o, "no list or number printed beside it");
}

static void test_refuses_what_is_not_a_proof(void **state)
{
    char *dir = th_tmpdir(), *out = NULL, *cand = th_data(CANDIDATES);
    char path[512];
    snprintf(path, sizeof path, "%s/proof.pdf", dir);
    th_write(path, "%PDF-1.4 this is not a PDF\n");
    assert_int_equal(th_run(&out, "model from-pdf '%s' --candidates '%s' -o '%s/m.json'", path,
                            cand, dir), 1);
    assert_non_null(strstr(out, "proof.pdf: not a readable PDF"));
    free(out);
    assert_int_equal(th_run(&out, "model from-pdf '%s/none.pdf' --candidates '%s' -o '%s/m.json'",
                            dir, cand, dir), 1);
    assert_non_null(strstr(out, "none.pdf"));
    free(out);
    assert_int_equal(th_run(&out, "model from-pdf '%s' -o '%s/m.json'", path, dir), 2);
    assert_non_null(strstr(out, "--candidates"));
    free(out);
    free(cand);
    th_rmtree(dir);
    free(dir);
}

static void test_refuses_a_page_the_proof_lacks(void **state)
{
    char *dir = th_tmpdir(), *out = NULL;
    td_box *boxes = NULL;
    int n = 0;
    td_options o = {.shape = TD_SQUARE};
    assert_int_equal(from_pdf(dir, &o, &boxes, &n, &out), 0);
    free(out);
    char *cand = th_data(CANDIDATES);
    assert_int_equal(th_run(&out, "model from-pdf '%s/proof.pdf' --page 2 --candidates '%s' "
                            "-o '%s/m.json'", dir, cand, dir), 1);
    assert_non_null(strstr(out, "has 1 page, no page 2"));
    free(out);
    free(cand);
    free(boxes);
    th_rmtree(dir);
    free(dir);
}

/* A fresh folder with the rounded landscape proof and its model. */
static char *rounded_proof(void)
{
    char *dir = th_tmpdir(), *out = NULL;
    td_box *boxes = NULL;
    int n = 0;
    td_options o = {.shape = TD_ROUNDED};
    if (from_pdf(dir, &o, &boxes, &n, &out) != 0)
        fail_msg("model from-pdf failed:\n%s", out);
    free(out);
    free(boxes);
    return dir;
}

/* Does o (a record or its proposal) give exactly the outcome ref? */
static int same(json_object *ref, json_object *o)
{
    const char *a = th_json_str(ref, "outcome"), *b = th_json_str(o, "outcome");
    if (strcmp(a, b))
        return 0;
    return strcmp(a, "vote") || (th_json_int(ref, "list") == th_json_int(o, "list") &&
                                 th_json_int(ref, "candidate") == th_json_int(o, "candidate"));
}

typedef struct figs {
    int n, unamb, out, wrong, proposals, wrong_proposals;
} figs;

/* Draw n ballots on the proof in dir with the synth arguments args, count
 * them with dir/model (made from the proof or a scan of it) and judge
 * every record against its truth as test_accuracy does. */
static figs judge_run(const char *dir, const char *model, const char *name, int n, int seed,
                      const char *args)
{
    char *out = NULL;
    int rc = th_run(&out, "synth '%s/model.json' --background '%s/proof.pdf' --count %d "
                    "--seed %d --dpi 200 %s --out '%s/%s-in'", dir, dir, n, seed, args, dir, name);
    if (rc != 0)
        fail_msg("synth exited %d:\n%s", rc, out);
    free(out);
    rc = th_run(&out, "count --model '%s/%s' --out '%s/%s-out' '%s/%s-in'", dir, model, dir,
                name, dir, name);
    if (rc != 0)
        fail_msg("count exited %d:\n%s", rc, out);
    free(out);
    char path[600];
    int nt, nc;
    snprintf(path, sizeof path, "%s/%s-in/truth.jsonl", dir, name);
    json_object **truth = th_jsonl_strict(path, name, &nt);
    snprintf(path, sizeof path, "%s/%s-out/ballots.jsonl", dir, name);
    json_object **recs = th_jsonl_strict(path, name, &nc);
    assert_int_equal(nt, n);
    assert_int_equal(nc, n);
    figs f = {0};
    for (int i = 0; i < nt; i++) {
        json_object *tr = truth[i], *c = NULL;
        const char *file = th_json_str(tr, "file");
        for (int k = 0; k < nc && !c; k++) {
            const char *cf = th_json_str(recs[k], "file"), *slash = strrchr(cf, '/');
            if (!strcmp(slash ? slash + 1 : cf, file))
                c = recs[k];
        }
        if (!c)
            fail_msg("%s: %s has no record", name, file);
        json_object *e = th_json_get(tr, "expected"), *alt = th_json_get(e, "if_definite");
        const char *got = th_json_str(c, "outcome");
        int amb = !strcmp(th_json_str(e, "outcome"), "review");
        int review = !strcmp(got, "review"), rejected = !strcmp(got, "rejected");
        int definite = !review && !rejected;
        json_object *ref = amb ? alt : e;
        f.n++;
        if (!amb) {
            f.unamb++;
            f.out += review || rejected;
        }
        if (definite && (!ref || !same(ref, c))) {
            f.wrong++;
            print_message("%s %s: wrong: truth %s, count %s\n", name, file,
                          json_object_to_json_string(e), got);
        }
        json_object *p = th_json_get(c, "proposal");
        if (review && p && ref && strcmp(th_json_str(p, "outcome"), "review")) {
            f.proposals++;
            if (!same(ref, p)) {
                f.wrong_proposals++;
                print_message("%s %s: wrong proposal: truth %s, proposal %s\n", name, file,
                              json_object_to_json_string(e), json_object_to_json_string(p));
            }
        }
    }
    th_jsonl_free(truth, nt);
    th_jsonl_free(recs, nc);
    print_message("%-7s %5d ballots, %5d unambiguous, review+rejected %4d (%.2f%%), wrong "
                  "definite %d, proposals %d (wrong %d)\n", name, f.n, f.unamb, f.out,
                  f.unamb ? 100.0 * f.out / f.unamb : 0.0, f.wrong, f.proposals,
                  f.wrong_proposals);
    return f;
}

/* ---- a model from a blank scan -------------------------------------------- */

/* Boxes of the model at dir/name within tol mm of the model at
 * dir/model.json (the proof's), the same ids; the worst edge in mm. */
static double compare_models(const char *dir, const char *name, double tol)
{
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/model.json", dir);
    snprintf(b, sizeof b, "%s/%s", dir, name);
    st_error err = {0};
    st_model *ref = NULL, *m = NULL;
    assert_st_ok(st_model_load_checked(a, &ref, &err), &err);
    assert_st_ok(st_model_load_checked(b, &m, &err), &err);
    assert_int_equal(m->n_targets, ref->n_targets);
    assert_int_equal(m->n_fiducials, 0);
    double worst = 0;
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i], *r = st_model_target(ref, t->kind, t->number);
        assert_non_null(r);
        const st_rect *p = &t->rect, *q = &r->rect;
        double d = fmax(fmax(fabs(p->x - q->x), fabs(p->y - q->y)),
                        fmax(fabs(p->x + p->w - q->x - q->w), fabs(p->y + p->h - q->y - q->h)));
        if (d > tol)
            fail_msg("%s %s: %.3f %.3f %.3f x %.3f mm, the proof's %.3f %.3f %.3f x %.3f mm",
                     name, t->id, p->x, p->y, p->w, p->h, q->x, q->y, q->w, q->h);
        worst = fmax(worst, d);
    }
    st_model_free(ref);
    st_model_free(m);
    return worst;
}

/* A blank ballot of the printer's design, scanned straight, askew and
 * upside down (synth draws it on the proof, cropped to the sheet), gives
 * the proof's boxes, each tied to its list and number by reading order;
 * the model counts ballots of that design without a wrong outcome. A
 * scan with a box too few is refused, saying how many were found. */
static void test_from_scan_of_a_blank_ballot(void **state)
{
    char *dir = rounded_proof(), *out = NULL, *cand = th_data(CANDIDATES);
    td_box *boxes = NULL;
    int n = 0;
    static const struct {
        const char *name, *degrade, *expect;
        double tol;
    } scans[] = {
        {"straight", "crop", "whole sheet: 420 x 297 mm", 0.2},
        {"askew", "crop,rotate", "askew: straightened", 0.3},
        {"turned", "crop,upside-down", "upside down: turned round", 0.2},
    };
    for (size_t i = 0; i < sizeof scans / sizeof *scans; i++) {
        int rc = th_run(&out, "synth '%s/model.json' --background '%s/proof.pdf' --count 1 "
                        "--seed 3 --scenarios blank --degrade %s --format grey --dpi 300 "
                        "--out '%s/%s'", dir, dir, scans[i].degrade, dir, scans[i].name);
        if (rc != 0)
            fail_msg("synth exited %d:\n%s", rc, out);
        free(out);
        rc = th_run(&out, "model from-scan '%s/%s/ballot-000001.tif' --candidates '%s' "
                    "-o '%s/%s.json'", dir, scans[i].name, cand, dir, scans[i].name);
        if (rc != 0 || !strstr(out, scans[i].expect) || !strstr(out, "column 1") ||
            !strstr(out, "numbers 41 to 49"))
            fail_msg("model from-scan (%s) exited %d:\n%s", scans[i].name, rc, out);
        free(out);
        char name[64];
        snprintf(name, sizeof name, "%s.json", scans[i].name);
        print_message("%-8s worst edge %.3f mm off the proof's\n", scans[i].name,
                      compare_models(dir, name, scans[i].tol));
    }
    /* Counting with it. */
    figs f = judge_run(dir, "straight.json", "marked", 150, 31, "");
    assert_int_equal(f.wrong, 0);
    assert_int_equal(f.wrong_proposals, 0);
    assert_true(f.out < f.unamb / 10);
    char path[600];
    /* A box too few: the proof without number 17, scanned. */
    td_options less = {.shape = TD_ROUNDED, .omit_number = 17};
    st_model *l = lists();
    snprintf(path, sizeof path, "%s/less.pdf", dir);
    td_design_pdf(l, &less, path, &boxes, &n);
    st_model_free(l);
    free(boxes);
    int rc = th_run(&out, "synth '%s/model.json' --background '%s/less.pdf' --count 1 --seed 3 "
                "--scenarios blank --degrade crop --format grey --dpi 300 --out '%s/less'", dir,
                dir, dir);
    assert_int_equal(rc, 0);
    free(out);
    rc = th_run(&out, "model from-scan '%s/less/ballot-000001.tif' --candidates '%s' -o '%s/l.json'",
                dir, cand, dir);
    if (rc != 1 || !strstr(out, "67 boxes found; the candidate list needs 68"))
        fail_msg("expected a refusal, got %d:\n%s", rc, out);
    free(out);
    free(cand);
    th_rmtree(dir);
    free(dir);
}

/* ---- accuracy on the printer's design ------------------------------------ */

/* Review + rejected among clean unambiguous ballots that the test holds
 * the engine to, per 10,000 (the target is 100); see the note in
 * test_synth_on_the_proof_counts_without_a_wrong_outcome. */
#define CLEAN_GUARD_BP 300



/* 1,400 ballots drawn on the printer's design (rounded boxes, logos, no
 * marks) are counted by the model made from its proof: 1,000 with synth's
 * whole mix of marks and degradations (past the box, folds, streaks,
 * turned, shifted and cut-off pages) and 400 clean. No wrong definite
 * outcome and no wrong proposal anywhere. The target for clean
 * pages is review + rejected at most 1%; measured when this was written:
 * 0.6% here (seed 22, 2 of 331), but 1.8% on seed 11 (7 of 396), five of
 * those loops drawn round a list box that the logo 3 mm to its right
 * cuts, whose remaining arcs the writing check takes for writing; the
 * guard holds the engine below 3% until it understands them. */
static void test_synth_on_the_proof_counts_without_a_wrong_outcome(void **state)
{
    char *dir = rounded_proof();
    figs mix = judge_run(dir, "model.json", "mix", 1000, 21, "");
    figs clean = judge_run(dir, "model.json", "clean", 400, 22, "--degrade none");
    assert_int_equal(mix.wrong + clean.wrong, 0);
    assert_int_equal(mix.wrong_proposals + clean.wrong_proposals, 0);
    assert_true(mix.proposals > 0);
    if (clean.out * 10000 > CLEAN_GUARD_BP * clean.unamb)
        fail_msg("clean: %d of %d unambiguous ballots in review or rejected, above the guard "
                 "of %.1f%%", clean.out, clean.unamb, CLEAN_GUARD_BP / 100.0);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_landscape_rounded_boxes_with_logos),
        cmocka_unit_test(test_portrait_squares_with_numbers_inside),
        cmocka_unit_test(test_landscape_circles),
        cmocka_unit_test(test_refuses_a_proof_without_a_list),
        cmocka_unit_test(test_refuses_a_proof_without_a_number),
        cmocka_unit_test(test_refuses_a_box_too_many),
        cmocka_unit_test(test_refuses_what_is_not_a_proof),
        cmocka_unit_test(test_refuses_a_page_the_proof_lacks),
        cmocka_unit_test(test_from_scan_of_a_blank_ballot),
        cmocka_unit_test(test_synth_on_the_proof_counts_without_a_wrong_outcome),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
