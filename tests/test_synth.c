/* test_synth.c - synthetic ballots: determinism, ground truth, TIFF output
 *
 * The model is the real GR2022 West Maas en Waal ballot (230b + automatic
 * layout). Expected outcomes in truth.jsonl are re-derived here from the
 * listed marks as the image shows them ("seen") with our own reading of
 * domain.md's table, and the 510b
 * figures for 0668::SB1 are read here with libxml2's XPath, independently
 * of synth.c's own reader.
 */
#include "helpers.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <tiffio.h>

#include "stemtel/eml.h"
#include "stemtel/layout.h"
#include "stemtel/model.h"
#include "synth/synth.h"

#define KANDIDATEN "results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml"
#define TELLING "results/Telling_GR2022_WestMaasenWaal.eml.xml"

static st_model *gr2022(void)
{
    st_error err = {0};
    st_model *m = NULL;
    char *path = th_data(KANDIDATEN);
    assert_st_ok(st_eml_read_candidates(path, &m, &err), &err);
    assert_st_ok(st_layout_auto(m, &err), &err);
    free(path);
    return m;
}

static char *pathcat(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Sorted names of the files in dir, NULL-terminated; *n gets the count. */
static char **list_dir(const char *dir, int *n)
{
    struct dirent **ents = NULL;
    int k = scandir(dir, &ents, NULL, alphasort);
    assert_true(k >= 0);
    char **names = calloc((size_t)k + 1, sizeof *names);
    *n = 0;
    for (int i = 0; i < k; i++) {
        if (ents[i]->d_name[0] != '.')
            names[(*n)++] = strdup(ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
    return names;
}

static void free_names(char **names)
{
    for (int i = 0; names && names[i]; i++)
        free(names[i]);
    free(names);
}

/* 1 if both folders hold the same file names with the same bytes. */
static int same_dirs(const char *a, const char *b)
{
    int na, nb, same = 1;
    char **la = list_dir(a, &na), **lb = list_dir(b, &nb);
    if (na != nb)
        same = 0;
    for (int i = 0; same && i < na; i++) {
        if (strcmp(la[i], lb[i])) {
            same = 0;
            break;
        }
        char *pa = pathcat(a, la[i]), *pb = pathcat(b, lb[i]);
        size_t sa, sb;
        char *ca = th_slurp(pa, &sa), *cb = th_slurp(pb, &sb);
        assert_non_null(ca);
        assert_non_null(cb);
        if (sa != sb || memcmp(ca, cb, sa))
            same = 0;
        free(ca);
        free(cb);
        free(pa);
        free(pb);
    }
    free_names(la);
    free_names(lb);
    return same;
}

/* Parse truth.jsonl of dir into an array of json objects. */
static json_object **read_truth(const char *dir, int *n)
{
    char *p = pathcat(dir, "truth.jsonl");
    char *text = th_slurp(p, NULL);
    assert_non_null(text);
    int cap = 16;
    json_object **out = malloc(sizeof *out * (size_t)cap);
    *n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        json_object *o = json_tokener_parse(line);
        if (!o)
            fail_msg("truth.jsonl line %d is not JSON: %s", *n + 1, line);
        if (*n == cap)
            out = realloc(out, sizeof *out * (size_t)(cap *= 2));
        out[(*n)++] = o;
    }
    free(text);
    free(p);
    return out;
}

static void free_truth(json_object **t, int n)
{
    for (int i = 0; i < n; i++)
        json_object_put(t[i]);
    free(t);
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("truth line lacks \"%s\": %s", key, json_object_to_json_string(o));
    return v;
}

static const char *gets_(json_object *o, const char *key)
{
    return json_object_get_string(get(o, key));
}

/* 1 if the array of strings a holds s. */
static int has_name(json_object *a, const char *s)
{
    for (size_t i = 0; i < json_object_array_length(a); i++)
        if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
            return 1;
    return 0;
}

static double num_at(json_object *a, int i)
{
    return json_object_get_double(json_object_array_get_idx(a, i));
}

static void opts_small(st_synth_opts *o, int count, uint64_t seed)
{
    st_synth_opts_default(o);
    o->count = count;
    o->seed = seed;
    o->dpi = 150;
    o->format = ST_TIFF_BILEVEL_G4; /* the fastest to write */
    o->threads = 1;
}

/* ---- names ----------------------------------------------------------- */

static void test_parse_set(void **state)
{
    (void)state;
    st_error err = {0};
    unsigned b = 0;
    assert_st_ok(st_synth_parse_set("styles", "fill,x", &b, &err), &err);
    assert_int_equal(b, ST_SYNTH_BIT(ST_STYLE_FILL) | ST_SYNTH_BIT(ST_STYLE_X));
    assert_st_ok(st_synth_parse_set("instruments", "all", &b, &err), &err);
    assert_int_equal(b, (1u << ST_INSTR_N) - 1);
    assert_st_ok(st_synth_parse_set("degradations", "none", &b, &err), &err);
    assert_int_equal(b, ST_SYNTH_DEG_NONE);
    assert_st_ok(st_synth_parse_set("scenarios", "beyond-list", &b, &err), &err);
    assert_int_equal(b, ST_SYNTH_BIT(ST_SCEN_BEYOND_LIST));
    assert_int_equal(st_synth_parse_set("styles", "fill,smudge", &b, &err),
                     ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "smudge"));
    assert_non_null(strstr(err.msg, "check")); /* lists the known names */
    assert_string_equal(st_synth_degradation_name(ST_DEG_UPSIDE_DOWN),
                        "upside-down");
    assert_null(st_synth_style_name(ST_STYLE_N));
    /* "all" is every name, the marks that leave the box, writing, crop
     * and transport included. */
    assert_st_ok(st_synth_parse_set("styles", "x-overshoot,check-tail,scribble-over,ring",
                                    &b, &err), &err);
    assert_int_equal(b, ST_SYNTH_BIT(ST_STYLE_X_OVER) | ST_SYNTH_BIT(ST_STYLE_CHECK_TAIL) |
                            ST_SYNTH_BIT(ST_STYLE_SCRIBBLE_OVER) | ST_SYNTH_BIT(ST_STYLE_RING));
    assert_st_ok(st_synth_parse_set("styles", "all", &b, &err), &err);
    assert_int_equal(b, (1u << ST_STYLE_N) - 1);
    assert_st_ok(st_synth_parse_set("degrade", "writing,crop,transport", &b, &err), &err);
    assert_int_equal(b, ST_SYNTH_BIT(ST_DEG_WRITING) | ST_SYNTH_BIT(ST_DEG_CROP) |
                            ST_SYNTH_BIT(ST_DEG_TRANSPORT));
    assert_st_ok(st_synth_parse_set("degrade", "all", &b, &err), &err);
    assert_int_equal(b, (1u << ST_DEG_N) - 1);
    assert_string_equal(st_synth_style_name(ST_STYLE_RING), "ring");
    assert_string_equal(st_synth_degradation_name(ST_DEG_CROP), "crop");
    assert_string_equal(st_synth_degradation_name(ST_DEG_TRANSPORT), "transport");
    assert_null(st_synth_degradation_name(ST_DEG_N));
}

/* ---- determinism ------------------------------------------------------ */

static void test_same_seed_same_bytes(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *a = th_tmpdir(), *b = th_tmpdir(), *c = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 6, 42);
    o.format = ST_TIFF_RGB_JPEG;
    o.degrade_level = 1.0; /* every pixel step in play */
    assert_st_ok(st_synth_parse_set("degrade", "all", &o.degradations, &err), &err);
    assert_st_ok(st_synth_run(m, &o, a, NULL, &err), &err);
    o.threads = 2;
    assert_st_ok(st_synth_run(m, &o, b, NULL, &err), &err);
    assert_true(same_dirs(a, b));
    /* "all" applies every one (a streak by an empty box always finds
     * one; writing finds room on this ballot). */
    int n;
    json_object **t = read_truth(a, &n);
    for (int i = 0; i < n; i++) {
        json_object *ap = get(get(t[i], "degradations"), "applied");
        for (int q = 0; q < ST_DEG_N; q++)
            if (q != ST_DEG_STREAK_MARKED && q != ST_DEG_WRITING &&
                !has_name(ap, st_synth_degradation_name(q)))
                fail_msg("ballot %d: \"all\" did not apply %s", i,
                         st_synth_degradation_name(q));
    }
    free_truth(t, n);
    o.seed = 43;
    assert_st_ok(st_synth_run(m, &o, c, NULL, &err), &err);
    assert_false(same_dirs(a, c));
    /* Not just the truth: the first ballot's pixels differ too. */
    char *pa = pathcat(a, "ballot-000001.tif"), *pc = pathcat(c, "ballot-000001.tif");
    size_t sa, sc;
    char *ca = th_slurp(pa, &sa), *cc = th_slurp(pc, &sc);
    assert_true(sa != sc || memcmp(ca, cc, sa) != 0);
    free(ca);
    free(cc);
    free(pa);
    free(pc);
    th_rmtree(a);
    th_rmtree(b);

    /* The default mix, cropped pages and whole beds among one thread's
     * pages. */
    opts_small(&o, 40, 45);
    assert_st_ok(st_synth_run(m, &o, a, NULL, &err), &err);
    o.threads = 2;
    assert_st_ok(st_synth_run(m, &o, b, NULL, &err), &err);
    assert_true(same_dirs(a, b));
    t = read_truth(a, &n);
    int cropped = 0;
    for (int i = 0; i < n; i++)
        cropped += json_object_get_boolean(get(get(t[i], "degradations"), "cropped"));
    free_truth(t, n);
    assert_true(cropped > 0 && cropped < n);
    th_rmtree(a);
    th_rmtree(b);

    /* Bilevel pencil, with hesitant strokes redrawn until they fit: the
     * redrawing is the ballot's own business, not the thread's. */
    opts_small(&o, 8, 44);
    o.dpi = 200;
    o.instruments = ST_SYNTH_BIT(ST_INSTR_RED_PENCIL) | ST_SYNTH_BIT(ST_INSTR_BLUE_PEN);
    o.scenarios = ST_SYNTH_BIT(ST_SCEN_BETWEEN) | ST_SYNTH_BIT(ST_SCEN_VOTE);
    assert_st_ok(st_synth_run(m, &o, a, NULL, &err), &err);
    o.threads = 2;
    assert_st_ok(st_synth_run(m, &o, b, NULL, &err), &err);
    assert_true(same_dirs(a, b));
    th_rmtree(a);
    th_rmtree(b);
    th_rmtree(c);
    free(a);
    free(b);
    free(c);
    st_model_free(m);
}

/* ---- ground truth follows the rules ----------------------------------- */

/* Our own reading of domain.md's table over the marks the image shows (a
 * mark seen as lost is not there); returns the outcome and fills
 * list/candidate/party_only/reason. */
static const char *derive(const st_model *m, json_object *line, int *list,
                          int *cand, int *party_only, const char **reason)
{
    json_object *marks = get(line, "marks");
    json_object *deg = get(line, "degradations");
    int n = (int)json_object_array_length(marks);
    int lists[8], nl = 0, nums[8], nn = 0, ambiguous = 0;
    *list = *cand = *party_only = 0;
    *reason = "";
    for (int i = 0; i < n; i++) {
        json_object *k = json_object_array_get_idx(marks, i);
        const char *id = gets_(k, "target");
        const char *seen = gets_(k, "seen");
        /* Borderline marks send the ballot to review; the one definite
         * reading also accepted ("if_definite") takes them as the
         * scorer's other answer, checked in check_truth. */
        if (!strcmp(seen, "borderline-marked") || !strcmp(seen, "borderline-empty"))
            ambiguous = 1;
        if (!strcmp(seen, "lost") || !strcmp(seen, "borderline-empty"))
            continue;
        if (!strcmp(seen, "ambiguous"))
            ambiguous = 1;
        if (id[0] == 'L')
            lists[nl++] = atoi(id + 1);
        else
            nums[nn++] = atoi(id + 1);
    }
    if (ambiguous)
        return *reason = "ambiguous mark", "review";
    if (json_object_array_length(get(deg, "stray_writing")) > 0)
        return *reason = "writing outside boxes", "review";
    if (nl == 0 && nn == 0)
        return "blank";
    if (nl == 0)
        return *reason = "number without list", "invalid";
    if (nl > 1)
        return *reason = "several lists", "invalid";
    const st_list *L = st_model_list(m, lists[0]);
    assert_non_null(L);
    int party = 0;
    if (nn == 0) {
        party = 1;
        *reason = "list only";
    } else if (nn > 1) {
        *reason = "several numbers";
        switch (m->settings.multiple_numbers) {
        case ST_MULTIPLE_NUMBERS_REVIEW: return "review";
        case ST_MULTIPLE_NUMBERS_INVALID: return "invalid";
        default: party = 1;
        }
    } else if (nums[0] > L->n_candidates) {
        *reason = "no such candidate";
        return m->settings.beyond_list == ST_BEYOND_LIST_REVIEW ? "review"
                                                                : "invalid";
    }
    if (party && m->settings.party_only == ST_PARTY_ONLY_INVALID)
        return "invalid";
    *list = lists[0];
    *cand = party ? 1 : nums[0];
    *party_only = party;
    return "vote";
}

/* The per-mark measures are consistent with "seen" under the settings: a
 * mark drawn ambiguous is never seen clear, a clear one keeps at least 1.4
 * (bilevel: 2) x definite of strong ink in its box. */
static void check_marks(const st_model *m, json_object *line, int i)
{
    json_object *marks = get(line, "marks");
    int bilevel = !strcmp(gets_(line, "format"), "g4");
    double def = m->settings.definite;
    for (size_t k = 0; k < json_object_array_length(marks); k++) {
        json_object *mk = json_object_array_get_idx(marks, k);
        const char *seen = gets_(mk, "seen");
        double vis = json_object_get_double(get(mk, "visible"));
        double cov = json_object_get_double(get(mk, "coverage"));
        double trace = json_object_get_double(get(mk, "visible_trace"));
        if (!(vis >= 0 && vis <= 1 && trace >= 0 && trace <= 1 && cov >= 0 &&
              cov <= 1))
            fail_msg("ballot %d: mark %zu: measures out of range: %s", i, k,
                     json_object_to_json_string(mk));
        if (strcmp(seen, "clear") && strcmp(seen, "ambiguous") &&
            strcmp(seen, "lost") && strcmp(seen, "borderline-marked") &&
            strcmp(seen, "borderline-empty"))
            fail_msg("ballot %d: mark %zu: seen \"%s\"", i, k, seen);
        if (!strcmp(seen, "borderline-marked") && cov < 0.6 * def - 5e-5)
            fail_msg("ballot %d: mark %zu borderline-marked with little ink: %s", i, k,
                     json_object_to_json_string(mk));
        if (!strcmp(seen, "clear") &&
            (!strcmp(gets_(mk, "clarity"), "ambiguous") || cov < 1.4 * def - 5e-5))
            fail_msg("ballot %d: mark %zu seen clear: %s", i, k,
                     json_object_to_json_string(mk));
        if (bilevel && !strcmp(seen, "lost") && cov >= m->settings.marginal)
            fail_msg("ballot %d: mark %zu lost with ink left: %s", i, k,
                     json_object_to_json_string(mk));
    }
}

static void check_truth(const st_model *m, const char *dir, int expect_n,
                        int *seen_scenarios)
{
    int n;
    json_object **t = read_truth(dir, &n);
    assert_int_equal(n, expect_n);
    for (int i = 0; i < n; i++) {
        check_marks(m, t[i], i);
        json_object *e = get(t[i], "expected");
        int list, cand, party;
        const char *reason;
        const char *want = derive(m, t[i], &list, &cand, &party, &reason);
        const char *got = gets_(e, "outcome");
        if (strcmp(want, got) || strcmp(reason, gets_(e, "reason")))
            fail_msg("ballot %d: expected %s (%s), truth says %s (%s): %s", i,
                     want, reason, got, gets_(e, "reason"),
                     json_object_to_json_string(t[i]));
        assert_int_equal(json_object_get_int(get(t[i], "index")), i);
        json_object *alt = NULL;
        json_object_object_get_ex(e, "if_definite", &alt);
        if (alt && strcmp(got, "review"))
            fail_msg("ballot %d: if_definite on a %s ballot", i, got);
        if (alt && !strcmp(gets_(alt, "outcome"), "review"))
            fail_msg("ballot %d: if_definite is not definite", i);
        if (!strcmp(want, "vote")) {
            assert_int_equal(json_object_get_int(get(e, "list")), list);
            assert_int_equal(json_object_get_int(get(e, "candidate")), cand);
            assert_int_equal(json_object_get_boolean(get(e, "party_only")), party);
        }
        if (seen_scenarios)
            for (int s = 0; s < ST_SCEN_N; s++)
                if (!strcmp(gets_(t[i], "scenario"), st_synth_scenario_name(s)))
                    seen_scenarios[s]++;
    }
    free_truth(t, n);
}

static void test_truth_follows_rules(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 48, 5);
    o.scenarios = (1u << ST_SCEN_N) - 1; /* all, uniformly */
    o.styles = (1u << ST_STYLE_N) - 1;
    o.degradations = ST_SYNTH_DEG_NONE;
    o.threads = 2;
    st_synth_report rep;
    assert_st_ok(st_synth_run(m, &o, d, &rep, &err), &err);
    assert_int_equal(rep.n_ballots, 48);
    assert_int_equal(rep.n_vote + rep.n_blank + rep.n_invalid + rep.n_review, 48);
    int seen[ST_SCEN_N] = {0};
    check_truth(m, d, 48, seen);
    for (int s = 0; s < ST_SCEN_N; s++)
        if (!seen[s])
            fail_msg("scenario %s never drawn in 48 ballots",
                     st_synth_scenario_name(s));

    /* The default mix, stray writing included. */
    opts_small(&o, 24, 11);
    o.degradations = ST_SYNTH_BIT(ST_DEG_STRAY);
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 24, NULL);

    /* Settings change the outcome: list-only ballots become invalid. */
    m->settings.party_only = ST_PARTY_ONLY_INVALID;
    m->settings.multiple_numbers = ST_MULTIPLE_NUMBERS_PARTY_ONLY;
    opts_small(&o, 8, 3);
    o.scenarios = ST_SYNTH_BIT(ST_SCEN_LIST_ONLY);
    o.instruments = ST_SYNTH_BIT(ST_INSTR_BLUE_PEN);
    o.styles = ST_SYNTH_BIT(ST_STYLE_X);
    o.degradations = ST_SYNTH_DEG_NONE;
    assert_st_ok(st_synth_run(m, &o, d, &rep, &err), &err);
    assert_int_equal(rep.n_invalid, 8);
    check_truth(m, d, 8, NULL);
    m->settings.party_only = ST_PARTY_ONLY_FIRST_CANDIDATE;
    assert_st_ok(st_synth_run(m, &o, d, &rep, &err), &err);
    assert_int_equal(rep.n_vote, 8);
    check_truth(m, d, 8, NULL);
    /* several numbers -> party only -> candidate 1 */
    o.scenarios = ST_SYNTH_BIT(ST_SCEN_SEVERAL_NUMBERS);
    assert_st_ok(st_synth_run(m, &o, d, &rep, &err), &err);
    assert_int_equal(rep.n_vote, 8);
    check_truth(m, d, 8, NULL);

    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* "writing" puts words or initials by a marked box (within a few mm of
 * it) or now and then anywhere, and the truth sends every such ballot to
 * review, "writing outside boxes". */
static void test_writing_by_a_marked_box_is_review(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 16, 9);
    o.scenarios = ST_SYNTH_BIT(ST_SCEN_VOTE);
    o.instruments = ST_SYNTH_BIT(ST_INSTR_BLUE_PEN);
    o.styles = ST_SYNTH_BIT(ST_STYLE_X_OVER) | ST_SYNTH_BIT(ST_STYLE_RING);
    o.degradations = ST_SYNTH_BIT(ST_DEG_WRITING);
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 16, NULL);
    int n, initials = 0, words = 0, anywhere = 0;
    json_object **t = read_truth(d, &n);
    for (int i = 0; i < n; i++) {
        json_object *deg = get(t[i], "degradations");
        json_object *w = get(deg, "stray_writing"), *wr = get(deg, "writing");
        if (json_object_array_length(w) < 1)
            fail_msg("ballot %d: no writing", i);
        /* Every centre is recorded, and here all are writing's. */
        assert_int_equal(json_object_array_length(w), json_object_array_length(wr));
        json_object *e = get(t[i], "expected");
        assert_string_equal(gets_(e, "outcome"), "review");
        assert_string_equal(gets_(e, "reason"), "writing outside boxes");
        /* Writing by a box lies within its half length and a few mm of
         * that box, which is marked; initials are 2-3 capitals. */
        json_object *marks = get(t[i], "marks");
        for (size_t k = 0; k < json_object_array_length(wr); k++) {
            json_object *it = json_object_array_get_idx(wr, k);
            json_object *xy = get(it, "at_mm");
            double x = json_object_get_double(json_object_array_get_idx(xy, 0));
            double y = json_object_get_double(json_object_array_get_idx(xy, 1));
            json_object *c = json_object_array_get_idx(w, k);
            assert_true(fabs(json_object_get_double(json_object_array_get_idx(c, 0)) - x) < 1e-3);
            if (!strcmp(gets_(it, "kind"), "initials")) {
                const char *tx = gets_(it, "text");
                size_t len = strlen(tx);
                assert_true(len >= 2 && len <= 3);
                for (size_t q = 0; q < len; q++)
                    assert_true(tx[q] >= 'A' && tx[q] <= 'Z');
                initials++;
            } else {
                assert_string_equal(gets_(it, "kind"), "word");
                words++;
            }
            json_object *by = get(it, "by");
            if (json_object_get_type(by) == json_type_null) {
                anywhere++;
                continue;
            }
            int marked = 0;
            for (size_t j = 0; j < json_object_array_length(marks); j++)
                marked |= !strcmp(gets_(json_object_array_get_idx(marks, j), "target"),
                                  json_object_get_string(by));
            if (!marked)
                fail_msg("ballot %d: writing by %s, which is not marked", i,
                         json_object_get_string(by));
            int near = 0;
            for (int q = 0; q < m->n_targets; q++) {
                const st_rect *r = &m->targets[q].rect;
                if (!strcmp(m->targets[q].id, json_object_get_string(by)) &&
                    x > r->x - 10 && x < r->x + r->w + 10 && y > r->y - 6 &&
                    y < r->y + r->h + 6)
                    near = 1;
            }
            if (!near)
                fail_msg("ballot %d: writing at (%.1f, %.1f) is not by its box", i, x, y);
        }
    }
    free_truth(t, n);
    if (!initials || !words || !anywhere)
        fail_msg("%d initials, %d words, %d anywhere: each should occur", initials,
                 words, anywhere);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* ---- truth follows the image ------------------------------------------ */

/* How many marks of dir's truth are seen as `what`; *n gets all marks. */
static int count_seen(const char *dir, const char *what, int *n)
{
    int nl, k = 0;
    json_object **t = read_truth(dir, &nl);
    *n = 0;
    for (int i = 0; i < nl; i++) {
        json_object *marks = get(t[i], "marks");
        for (size_t j = 0; j < json_object_array_length(marks); j++, (*n)++)
            k += !strcmp(gets_(json_object_array_get_idx(marks, j), "seen"), what);
    }
    free_truth(t, nl);
    return k;
}

/* A red pencil is paler than half grey: thresholded for G4, much of it is
 * gone, and the truth says so. A black pen survives. */
static void test_g4_truth_follows_threshold(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 30, 13);
    o.dpi = 200;
    o.instruments = ST_SYNTH_BIT(ST_INSTR_RED_PENCIL);
    o.threads = 2;
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 30, NULL);
    int n;
    int lost = count_seen(d, "lost", &n), amb = count_seen(d, "ambiguous", &n);
    int clear = count_seen(d, "clear", &n);
    int border = count_seen(d, "borderline-marked", &n) + count_seen(d, "borderline-empty", &n);
    if (lost + amb + border == 0)
        fail_msg("none of %d red pencil marks lost or unclear in G4", n);
    assert_int_equal(lost + amb + clear + border, n);

    opts_small(&o, 30, 13);
    o.dpi = 200;
    o.instruments = ST_SYNTH_BIT(ST_INSTR_BLACK_PEN);
    o.threads = 2;
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 30, NULL);
    lost = count_seen(d, "lost", &n);
    if (lost)
        fail_msg("%d of %d black pen marks lost in G4", lost, n);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* The hesitant stroke of "between" ballots leaves strong ink between the
 * model's thresholds (up to 0.8 x definite), so it is for review. */
static void test_hesitant_between_thresholds(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    const struct {
        st_tiff_format f;
        int dpi;
    } cases[] = {{ST_TIFF_GREY_LZW, 200}, {ST_TIFF_RGB_RAW, 300}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        st_synth_opts o;
        opts_small(&o, 24, 17 + c);
        o.dpi = cases[c].dpi;
        o.format = cases[c].f;
        o.scenarios = ST_SYNTH_BIT(ST_SCEN_BETWEEN);
        o.threads = 2;
        assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
        check_truth(m, d, 24, NULL);
        int n, hesitant = 0;
        json_object **t = read_truth(d, &n);
        for (int i = 0; i < n; i++) {
            json_object *marks = get(t[i], "marks");
            for (size_t k = 0; k < json_object_array_length(marks); k++) {
                json_object *mk = json_object_array_get_idx(marks, k);
                if (strcmp(gets_(mk, "style"), "hesitant"))
                    continue;
                hesitant++;
                double cov = json_object_get_double(get(mk, "coverage"));
                if (cov < m->settings.marginal - 5e-5 ||
                    cov > 0.8 * m->settings.definite + 5e-5 ||
                    !strcmp(gets_(mk, "seen"), "clear") ||
                    !strcmp(gets_(mk, "seen"), "lost"))
                    fail_msg("ballot %d: hesitant mark outside [%.3f, %.3f]: %s",
                             i, m->settings.marginal, 0.8 * m->settings.definite,
                             json_object_to_json_string(mk));
            }
            assert_string_equal(gets_(get(t[i], "expected"), "outcome"), "review");
        }
        assert_int_equal(hesitant, n);
        free_truth(t, n);
        th_rmtree(d);
    }
    free(d);
    st_model_free(m);
}

/* ---- TIFF files ------------------------------------------------------- */

static void check_tiff(const char *path, int w, int h, int dpi, int comp,
                       int spp, int pages)
{
    TIFF *t = TIFFOpen(path, "r");
    assert_non_null(t);
    int n = 0;
    do {
        uint32_t tw = 0, th = 0;
        uint16_t c = 0, s = 0, unit = 0;
        float xr = 0;
        TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &tw);
        TIFFGetField(t, TIFFTAG_IMAGELENGTH, &th);
        TIFFGetField(t, TIFFTAG_COMPRESSION, &c);
        TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &s);
        TIFFGetField(t, TIFFTAG_XRESOLUTION, &xr);
        TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
        assert_int_equal(tw, w);
        assert_int_equal(th, h);
        assert_int_equal(c, comp);
        assert_int_equal(s, spp);
        double per_inch = unit == RESUNIT_CENTIMETER ? xr * 2.54 : xr;
        assert_true(fabs(per_inch - dpi) < 0.5);
        n++;
    } while (TIFFReadDirectory(t));
    TIFFClose(t);
    assert_int_equal(n, pages);
}

/* The scanner-bed margin (mm a side) of the first ballot in dir. */
static void bed_margin(const char *dir, double *x, double *y)
{
    int n;
    json_object **t = read_truth(dir, &n);
    assert_true(n > 0);
    json_object *a = get(t[0], "bed_margin_mm");
    *x = json_object_get_double(json_object_array_get_idx(a, 0));
    *y = json_object_get_double(json_object_array_get_idx(a, 1));
    free_truth(t, n);
}

static void test_tiff_output(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 7, 9);
    o.format = ST_TIFF_GREY_LZW;
    o.pages_per_file = 3;
    st_synth_report rep;
    assert_st_ok(st_synth_run(m, &o, d, &rep, &err), &err);
    assert_int_equal(rep.n_files, 3);
    /* The image is the scanner bed: the paper plus the margin truth.jsonl
     * states, so a turned page keeps its corners. */
    double bx, by;
    bed_margin(d, &bx, &by);
    assert_true(bx > 0 && by > 0);
    int w = st_mm_to_px(m->paper_w + 2 * bx, 150), h = st_mm_to_px(m->paper_h + 2 * by, 150);
    int pages[3] = {3, 3, 1};
    for (int f = 0; f < 3; f++) {
        char name[32];
        snprintf(name, sizeof name, "stack-%04d.tif", f + 1);
        char *p = pathcat(d, name);
        check_tiff(p, w, h, 150, COMPRESSION_LZW, 1, pages[f]);
        free(p);
    }
    int n;
    json_object **t = read_truth(d, &n);
    assert_int_equal(n, 7);
    assert_string_equal(gets_(t[4], "file"), "stack-0002.tif");
    assert_int_equal(json_object_get_int(get(t[4], "page")), 1);
    assert_string_equal(gets_(t[4], "format"), "grey-lzw");
    free_truth(t, n);
    th_rmtree(d);

    opts_small(&o, 2, 9);
    o.dpi = 200;
    o.format = ST_TIFF_RGB_JPEG;
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    char *p = pathcat(d, "ballot-000002.tif");
    bed_margin(d, &bx, &by);
    check_tiff(p, st_mm_to_px(m->paper_w + 2 * bx, 200), st_mm_to_px(m->paper_h + 2 * by, 200),
               200, COMPRESSION_JPEG, 3, 1);
    free(p);
    th_rmtree(d);

    opts_small(&o, 1, 9);
    o.degradations = ST_SYNTH_DEG_NONE; /* no bed margin: exactly the paper */
    p = pathcat(d, "ballot-000001.tif");
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_tiff(p, st_mm_to_px(m->paper_w, 150), st_mm_to_px(m->paper_h, 150), 150,
               COMPRESSION_CCITTFAX4, 1, 1);
    free(p);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* Read page 0 of a 1-channel 8-bit TIFF; *w, *h get its size. */
static uint8_t *read_grey(const char *path, uint32_t *w, uint32_t *h)
{
    TIFF *tf = TIFFOpen(path, "r");
    assert_non_null(tf);
    TIFFGetField(tf, TIFFTAG_IMAGEWIDTH, w);
    TIFFGetField(tf, TIFFTAG_IMAGELENGTH, h);
    uint8_t *img = malloc((size_t)*w * *h);
    for (uint32_t y = 0; y < *h; y++)
        assert_true(TIFFReadScanline(tf, img + (size_t)y * *w, y, 0) == 1);
    TIFFClose(tf);
    return img;
}

/* ---- marks land in the boxes ------------------------------------------ */

/* Mean darkness (255 - grey) over a box's inside, kept 0.4 mm clear of the
 * printed outline so only the voter's ink counts. */
static double darkness(const uint8_t *img, int w, const st_rect *r,
                       double outline, int dpi)
{
    double k = dpi / 25.4, pad = outline + 0.4;
    int x0 = (int)ceil((r->x + pad) * k), x1 = (int)floor((r->x + r->w - pad) * k);
    int y0 = (int)ceil((r->y + pad) * k), y1 = (int)floor((r->y + r->h - pad) * k);
    double sum = 0;
    int n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++, n++)
            sum += 255 - img[(size_t)y * w + x];
    assert_true(n > 0);
    return sum / n;
}

static void test_marks_have_ink(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 3, 21);
    o.dpi = 200;
    o.format = ST_TIFF_GREY_RAW;
    o.degradations = ST_SYNTH_DEG_NONE;
    o.scenarios = ST_SYNTH_BIT(ST_SCEN_VOTE);
    o.styles = ST_SYNTH_BIT(ST_STYLE_FILL);
    o.instruments = ST_SYNTH_BIT(ST_INSTR_RED_PENCIL);
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    int n;
    json_object **t = read_truth(d, &n);
    for (int i = 0; i < n; i++) {
        char *p = pathcat(d, gets_(t[i], "file"));
        uint32_t w = 0, h = 0;
        uint8_t *img = read_grey(p, &w, &h);
        json_object *marks = get(t[i], "marks");
        assert_int_equal(json_object_array_length(marks), 2);
        const char *marked[2];
        for (int k = 0; k < 2; k++) {
            marked[k] = gets_(json_object_array_get_idx(marks, k), "target");
            const st_target *tg = NULL;
            for (int j = 0; j < m->n_targets; j++)
                if (!strcmp(m->targets[j].id, marked[k]))
                    tg = &m->targets[j];
            assert_non_null(tg);
            double dk = darkness(img, (int)w, &tg->rect, m->settings.outline_mm, 200);
            /* 60 from pressure 0.6 on; a lighter hand leaves less. */
            double pr = json_object_get_double(
                get(json_object_array_get_idx(marks, k), "pressure"));
            if (dk < 60 * fmin(1, pr / 0.6))
                fail_msg("ballot %d: marked box %s has darkness %.1f at pressure %.2f",
                         i, marked[k], dk, pr);
        }
        /* Every box not marked stays clean. */
        for (int j = 0; j < m->n_targets; j++) {
            if (!strcmp(m->targets[j].id, marked[0]) ||
                !strcmp(m->targets[j].id, marked[1]))
                continue;
            double dk = darkness(img, (int)w, &m->targets[j].rect,
                                 m->settings.outline_mm, 200);
            if (dk > 3)
                fail_msg("ballot %d: unmarked box %s has darkness %.1f", i,
                         m->targets[j].id, dk);
        }
        free(img);
        free(p);
    }
    free_truth(t, n);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* ---- new phenomena ------------------------------------------------------ */

/* crop: the image is exactly the paper at the dpi, no bed margin, so a
 * turned and shifted page loses part of a corner mark, and the truth
 * says how much of each mark is in the image. */
static void test_crop_frame_is_the_paper(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 6, 31);
    o.degrade_level = 1.0;
    o.degradations = ST_SYNTH_BIT(ST_DEG_CROP) | ST_SYNTH_BIT(ST_DEG_ROTATE) |
                     ST_SYNTH_BIT(ST_DEG_SHIFT);
    o.instruments = ST_SYNTH_BIT(ST_INSTR_BLACK_PEN);
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 6, NULL);
    int n, cut_pages = 0;
    json_object **t = read_truth(d, &n);
    int pw = st_mm_to_px(m->paper_w, 150), ph = st_mm_to_px(m->paper_h, 150);
    for (int i = 0; i < n; i++) {
        char *p = pathcat(d, gets_(t[i], "file"));
        check_tiff(p, pw, ph, 150, COMPRESSION_CCITTFAX4, 1, 1);
        free(p);
        json_object *deg = get(t[i], "degradations");
        assert_true(json_object_get_boolean(get(deg, "cropped")));
        assert_true(has_name(get(deg, "applied"), "crop"));
        json_object *bm = get(t[i], "bed_margin_mm"), *ip = get(t[i], "image_px");
        assert_true(num_at(bm, 0) == 0 && num_at(bm, 1) == 0);
        assert_int_equal(json_object_get_int(json_object_array_get_idx(ip, 0)), pw);
        assert_int_equal(json_object_get_int(json_object_array_get_idx(ip, 1)), ph);
        json_object *fid = get(t[i], "fiducials");
        assert_int_equal(json_object_array_length(fid), m->n_fiducials);
        double least = 1;
        for (size_t k = 0; k < json_object_array_length(fid); k++) {
            double v = json_object_get_double(get(json_object_array_get_idx(fid, k), "in_image"));
            assert_true(v >= 0 && v <= 1);
            least = v < least ? v : least;
        }
        double rot = fabs(json_object_get_double(get(deg, "rotation_deg")));
        /* At 8 mm from the edges, a corner mark of a page turned by more
         * than 2.5 degrees about its centre leaves the paper's frame. */
        if (rot > 2.5 && least >= 1)
            fail_msg("ballot %d turned %.2f degrees keeps every corner mark whole", i, rot);
        cut_pages += least < 1;
    }
    free_truth(t, n);
    if (!cut_pages)
        fail_msg("no cropped page lost part of a corner mark");

    /* Without crop the same run keeps every corner mark whole. */
    o.degradations &= ~ST_SYNTH_BIT(ST_DEG_CROP);
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    t = read_truth(d, &n);
    for (int i = 0; i < n; i++) {
        assert_false(json_object_get_boolean(get(get(t[i], "degradations"), "cropped")));
        json_object *fid = get(t[i], "fiducials");
        for (size_t k = 0; k < json_object_array_length(fid); k++)
            assert_true(json_object_get_double(
                            get(json_object_array_get_idx(fid, k), "in_image")) == 1);
    }
    free_truth(t, n);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* A box cut by the image's edge: what of its mark lies outside is lost,
 * and the truth's visible share, coverage and seen say what is left. */
static void test_box_cut_by_the_edge(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    /* Every list box half off the paper's left edge. */
    for (int i = 0; i < m->n_targets; i++)
        if (m->targets[i].kind == ST_TARGET_LIST)
            m->targets[i].rect.x = -m->targets[i].rect.w / 2;
    st_synth_opts o;
    opts_small(&o, 6, 32);
    o.format = ST_TIFF_GREY_RAW;
    o.degradations = ST_SYNTH_BIT(ST_DEG_CROP);
    o.scenarios = ST_SYNTH_BIT(ST_SCEN_LIST_ONLY);
    o.styles = ST_SYNTH_BIT(ST_STYLE_FILL);
    o.instruments = ST_SYNTH_BIT(ST_INSTR_BLACK_PEN);
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 6, NULL);
    int n;
    json_object **t = read_truth(d, &n);
    for (int i = 0; i < n; i++) {
        json_object *mk = json_object_array_get_idx(get(t[i], "marks"), 0);
        double in = json_object_get_double(get(mk, "in_image"));
        double vis = json_object_get_double(get(mk, "visible"));
        double cov = json_object_get_double(get(mk, "coverage"));
        /* A fill may cover all of the inside's visible part; its edge
         * pixels round either way by a per cent or so. */
        if (in < 0.4 || in > 0.6 || vis > in + 0.1 || cov > in + 0.02)
            fail_msg("ballot %d: a half-cut box's mark: %s", i, json_object_to_json_string(mk));
    }
    free_truth(t, n);

    /* Wholly off the paper: the mark is lost and the ballot blank. */
    for (int i = 0; i < m->n_targets; i++)
        if (m->targets[i].kind == ST_TARGET_LIST)
            m->targets[i].rect.x = -m->targets[i].rect.w - 3;
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 6, NULL);
    t = read_truth(d, &n);
    for (int i = 0; i < n; i++) {
        json_object *mk = json_object_array_get_idx(get(t[i], "marks"), 0);
        assert_string_equal(gets_(mk, "seen"), "lost");
        assert_true(json_object_get_double(get(mk, "in_image")) == 0);
        assert_string_equal(gets_(get(t[i], "expected"), "outcome"), "blank");
    }
    free_truth(t, n);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* Dark-pixel centroid of img within r px of (cx, cy). */
static void centroid(const uint8_t *img, uint32_t w, uint32_t h, double cx, double cy,
                     int r, double *x, double *y)
{
    double sx = 0, sy = 0, n = 0;
    for (int yy = (int)cy - r; yy <= (int)cy + r; yy++)
        for (int xx = (int)cx - r; xx <= (int)cx + r; xx++)
            if (xx >= 0 && yy >= 0 && xx < (int)w && yy < (int)h &&
                img[(size_t)yy * w + xx] < 128)
                sx += xx + 0.5, sy += yy + 0.5, n++;
    assert_true(n > 0);
    *x = sx / n;
    *y = sy / n;
}

/* transport: the truth's stretch and shear stay within 1% and 0.6% at
 * level 1, the bed leaves room for them, and the page's bottom corner
 * mark lies where they put it. */
static void test_transport_stretches_and_shears(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 8, 33);
    o.format = ST_TIFF_GREY_RAW;
    o.degrade_level = 1.0;
    o.degradations = ST_SYNTH_BIT(ST_DEG_TRANSPORT);
    o.instruments = ST_SYNTH_BIT(ST_INSTR_BLACK_PEN);
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 8, NULL);
    int n;
    json_object **t = read_truth(d, &n);
    double most = 0;
    const st_fiducial *f4 = NULL;
    for (int i = 0; i < m->n_fiducials; i++)
        if (!strcmp(m->fiducials[i].id, "F4"))
            f4 = &m->fiducials[i];
    assert_non_null(f4);
    for (int i = 0; i < n; i++) {
        json_object *deg = get(t[i], "degradations");
        double st = json_object_get_double(get(deg, "stretch"));
        double sh = json_object_get_double(get(deg, "shear"));
        if (!(fabs(st) <= 0.01 && fabs(sh) <= 0.006) || (st == 0 && sh == 0))
            fail_msg("ballot %d: stretch %.5f, shear %.5f", i, st, sh);
        assert_true(has_name(get(deg, "applied"), "transport"));
        most = fabs(st) > most ? fabs(st) : most;
        json_object *fid = get(t[i], "fiducials");
        for (size_t k = 0; k < json_object_array_length(fid); k++)
            assert_true(json_object_get_double(
                            get(json_object_array_get_idx(fid, k), "in_image")) == 1);
        /* F4, bottom left: stretched and sheared from the image's top. */
        json_object *bm = get(t[i], "bed_margin_mm");
        assert_true(num_at(bm, 1) > 0);
        double k = 150 / 25.4;
        double bx = (f4->rect.x + f4->rect.w / 2 + num_at(bm, 0)) * k;
        double by = (f4->rect.y + f4->rect.h / 2 + num_at(bm, 1)) * k;
        double ex = bx + sh * by, ey = by * (1 + st);
        char *p = pathcat(d, gets_(t[i], "file"));
        uint32_t w, h;
        uint8_t *img = read_grey(p, &w, &h);
        double gx, gy;
        centroid(img, w, h, ex, ey, (int)(6 * k), &gx, &gy);
        if (fabs(gx - ex) > 1.5 || fabs(gy - ey) > 1.5)
            fail_msg("ballot %d: F4 at (%.1f, %.1f) px, stretch %.5f shear %.5f put it at "
                     "(%.1f, %.1f)", i, gx, gy, st, sh, ex, ey);
        free(img);
        free(p);
    }
    if (most < 0.004)
        fail_msg("largest stretch %.5f in 8 ballots at level 1", most);
    free_truth(t, n);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* At level 1 heavy blur and noise meet a light red pencil, and the truth
 * follows what is left of its marks. */
static void test_heavy_blur_noise_light_pencil(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 60, 34);
    o.dpi = 200;
    o.format = ST_TIFF_GREY_LZW;
    o.degrade_level = 1.0;
    o.degradations = ST_SYNTH_BIT(ST_DEG_BLUR) | ST_SYNTH_BIT(ST_DEG_NOISE);
    o.instruments = ST_SYNTH_BIT(ST_INSTR_RED_PENCIL);
    o.scenarios = ST_SYNTH_BIT(ST_SCEN_VOTE);
    o.threads = 2;
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 60, NULL);
    int n, hard = 0, blur3 = 0;
    json_object **t = read_truth(d, &n);
    for (int i = 0; i < n; i++) {
        json_object *deg = get(t[i], "degradations");
        int blur = json_object_get_int(get(deg, "blur_px"));
        double noise = json_object_get_double(get(deg, "noise_sigma"));
        assert_true(blur >= 1 && blur <= 3 && noise > 0 && noise <= 12);
        blur3 += blur == 3;
        json_object *marks = get(t[i], "marks");
        double light = 1;
        for (size_t k = 0; k < json_object_array_length(marks); k++) {
            double pr = json_object_get_double(get(json_object_array_get_idx(marks, k), "pressure"));
            assert_true(pr >= 0.40 - 1e-3 && pr <= 0.95 + 1e-3);
            light = pr < light ? pr : light;
        }
        hard += blur >= 2 && noise >= 8 && light < 0.6;
    }
    free_truth(t, n);
    if (!hard || !blur3)
        fail_msg("of 60 ballots at level 1, %d heavily blurred and noisy with a light "
                 "pencil, %d with blur 3", hard, blur3);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* The default mix draws every phenomenon, each ballot's "applied" names
 * what it got, and a ballot with none applied is clean. */
static void test_default_mix_has_everything(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    st_synth_opts o;
    opts_small(&o, 200, 35);
    o.threads = 2;
    assert_st_ok(st_synth_run(m, &o, d, NULL, &err), &err);
    check_truth(m, d, 200, NULL);
    int n, deg_n[ST_DEG_N] = {0}, style_n[ST_STYLE_N] = {0}, clean = 0;
    int initials = 0, anywhere = 0;
    json_object **t = read_truth(d, &n);
    for (int i = 0; i < n; i++) {
        json_object *deg = get(t[i], "degradations"), *ap = get(deg, "applied");
        for (size_t k = 0; k < json_object_array_length(ap); k++) {
            const char *name = json_object_get_string(json_object_array_get_idx(ap, k));
            int found = 0;
            for (int q = 0; q < ST_DEG_N; q++)
                if (!strcmp(name, st_synth_degradation_name(q)))
                    deg_n[q]++, found = 1;
            if (!found)
                fail_msg("ballot %d: applied \"%s\"", i, name);
        }
        /* What applied says agrees with the values. */
        assert_int_equal(has_name(ap, "crop"), json_object_get_boolean(get(deg, "cropped")));
        assert_int_equal(has_name(ap, "rotate"),
                         json_object_get_double(get(deg, "rotation_deg")) != 0);
        assert_int_equal(has_name(ap, "transport"),
                         json_object_get_double(get(deg, "stretch")) != 0);
        assert_int_equal(has_name(ap, "writing") || has_name(ap, "stray"),
                         json_object_array_length(get(deg, "stray_writing")) > 0);
        assert_int_equal(has_name(ap, "jpeg"),
                         json_object_get_type(get(deg, "jpeg_quality")) != json_type_null);
        if (json_object_array_length(ap) == 0) {
            clean++;
            assert_int_equal(json_object_array_length(get(deg, "folds")), 0);
            assert_int_equal(json_object_array_length(get(deg, "streaks")), 0);
            assert_int_equal(json_object_get_int(get(deg, "blur_px")), 0);
        }
        json_object *wr = get(deg, "writing");
        for (size_t k = 0; k < json_object_array_length(wr); k++) {
            json_object *it = json_object_array_get_idx(wr, k);
            initials += !strcmp(gets_(it, "kind"), "initials");
            anywhere += json_object_get_type(get(it, "by")) == json_type_null;
        }
        json_object *marks = get(t[i], "marks");
        for (size_t k = 0; k < json_object_array_length(marks); k++) {
            const char *s = gets_(json_object_array_get_idx(marks, k), "style");
            for (int q = 0; q < ST_STYLE_N; q++)
                if (!strcmp(s, st_synth_style_name(q)))
                    style_n[q]++;
        }
    }
    free_truth(t, n);
    for (int q = 0; q < ST_DEG_N; q++)
        if (!deg_n[q] && q != ST_DEG_JPEG) /* G4: nothing to degrade */
            fail_msg("degradation %s never applied in 200 ballots",
                     st_synth_degradation_name(q));
    assert_int_equal(deg_n[ST_DEG_JPEG], 0);
    for (int q = 0; q < ST_STYLE_N; q++)
        if (!style_n[q] && q != ST_STYLE_HESITANT)
            fail_msg("style %s never drawn in 200 ballots", st_synth_style_name(q));
    /* The overshooting X and the check with a tail are common. */
    int marks_n = 0;
    for (int q = 0; q < ST_STYLE_N; q++)
        marks_n += style_n[q];
    double over = (double)(style_n[ST_STYLE_X_OVER] + style_n[ST_STYLE_CHECK_TAIL]) / marks_n;
    if (over < 0.15 || over > 0.35)
        fail_msg("x-overshoot and check-tail are %.0f%% of marks", 100 * over);
    if (!clean || !initials || !anywhere)
        fail_msg("%d clean ballots, %d initials, %d pieces of writing away from a box",
                 clean, initials, anywhere);
    th_rmtree(d);
    free(d);
    st_model_free(m);
}

/* ---- votes from a 510b ------------------------------------------------ */

/* Votes per (list, candidate) of a station, read with XPath. */
typedef struct tally {
    int votes[64][128];
    int blank, invalid, total;
} tally;

static int xp_int(xmlXPathContextPtr cx, const char *expr)
{
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, cx);
    assert_non_null(r);
    int v = (int)xmlXPathCastToNumber(r);
    xmlXPathFreeObject(r);
    return v;
}

static void read_510b(const char *path, const char *station, tally *t)
{
    memset(t, 0, sizeof *t);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlXPathContextPtr cx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(cx, BAD_CAST "e", BAD_CAST "urn:oasis:names:tc:evs:schema:eml");
    char ru[256], q[512];
    snprintf(ru, sizeof ru,
             "//e:ReportingUnitVotes[e:ReportingUnitIdentifier/@Id='%s']", station);
    snprintf(q, sizeof q, "%s/e:RejectedVotes[@ReasonCode='blanco']", ru);
    t->blank = xp_int(cx, q);
    snprintf(q, sizeof q, "%s/e:RejectedVotes[@ReasonCode='ongeldig']", ru);
    t->invalid = xp_int(cx, q);
    snprintf(q, sizeof q, "%s/e:Selection", ru);
    xmlXPathObjectPtr sel = xmlXPathEvalExpression(BAD_CAST q, cx);
    assert_non_null(sel);
    assert_true(sel->nodesetval && sel->nodesetval->nodeNr > 0);
    int list = 0;
    for (int i = 0; i < sel->nodesetval->nodeNr; i++) {
        cx->node = sel->nodesetval->nodeTab[i];
        int l = xp_int(cx, "number(e:AffiliationIdentifier/@Id)");
        if (l > 0) {
            list = l;
            continue;
        }
        int c = xp_int(cx, "number(e:Candidate/e:CandidateIdentifier/@Id)");
        int v = xp_int(cx, "number(e:ValidVotes)");
        assert_true(list > 0 && list < 64 && c > 0 && c < 128);
        t->votes[list][c] += v;
        t->total += v;
    }
    xmlXPathFreeObject(sel);
    xmlXPathFreeContext(cx);
    xmlFreeDoc(doc);
}

static void test_votes_from(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    char *eml = th_data(TELLING);
    tally *want = malloc(sizeof *want), *got = calloc(1, sizeof *got);
    read_510b(eml, "0668::SB1", want);
    assert_true(want->total > 0);

    st_synth_opts o;
    opts_small(&o, 1, 77);
    o.degradations = ST_SYNTH_DEG_NONE;
    o.votes_from = eml;
    o.station = "0668::SB1";
    o.threads = 0;
    st_synth_report rep;
    assert_st_ok(st_synth_run(m, &o, d, &rep, &err), &err);
    int n;
    json_object **t = read_truth(d, &n);
    assert_int_equal(n, want->total + want->blank + want->invalid);
    assert_int_equal(rep.n_ballots, n);
    assert_int_equal(rep.n_review, 0);
    for (int i = 0; i < n; i++) {
        json_object *e = get(t[i], "expected");
        const char *out = gets_(e, "outcome");
        json_object *marks = get(t[i], "marks");
        for (size_t k = 0; k < json_object_array_length(marks); k++)
            assert_string_equal(gets_(json_object_array_get_idx(marks, k), "clarity"),
                                "clear");
        if (!strcmp(out, "vote")) {
            int l = json_object_get_int(get(e, "list"));
            int c = json_object_get_int(get(e, "candidate"));
            assert_true(l > 0 && l < 64 && c > 0 && c < 128);
            assert_false(json_object_get_boolean(get(e, "party_only")));
            got->votes[l][c]++;
        } else if (!strcmp(out, "blank"))
            got->blank++;
        else if (!strcmp(out, "invalid"))
            got->invalid++;
        else
            fail_msg("ballot %d: unexpected outcome %s", i, out);
    }
    assert_memory_equal(want->votes, got->votes, sizeof want->votes);
    assert_int_equal(got->blank, want->blank);
    assert_int_equal(got->invalid, want->invalid);
    free_truth(t, n);

    /* An unknown station is named, with some that exist. */
    o.station = "0668::SB999";
    assert_int_not_equal(st_synth_run(m, &o, d, NULL, &err), ST_OK);
    assert_non_null(strstr(err.msg, "0668::SB999"));
    assert_non_null(strstr(err.msg, "0668::SB1"));
    assert_non_null(strstr(err.msg, "Telling_GR2022"));

    th_rmtree(d);
    free(d);
    free(eml);
    free(want);
    free(got);
    st_model_free(m);
}

/* A candidate missing from the model is refused, naming the file. */
static void test_votes_from_wrong_model(void **state)
{
    (void)state;
    st_model *m = gr2022();
    st_error err = {0};
    char *d = th_tmpdir();
    char *eml = th_data(TELLING);
    int keep = m->lists[0].n_candidates;
    m->lists[0].n_candidates = 1; /* list 1 now stops at candidate 1 */
    st_synth_opts o;
    opts_small(&o, 1, 1);
    o.votes_from = eml;
    o.station = "0668::SB1";
    assert_int_equal(st_synth_run(m, &o, d, NULL, &err), ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, "Telling_GR2022"));
    assert_non_null(strstr(err.msg, "candidate 2 of list 1"));
    m->lists[0].n_candidates = keep;
    th_rmtree(d);
    free(d);
    free(eml);
    st_model_free(m);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_set),
        cmocka_unit_test(test_writing_by_a_marked_box_is_review),
        cmocka_unit_test(test_same_seed_same_bytes),
        cmocka_unit_test(test_truth_follows_rules),
        cmocka_unit_test(test_g4_truth_follows_threshold),
        cmocka_unit_test(test_hesitant_between_thresholds),
        cmocka_unit_test(test_tiff_output),
        cmocka_unit_test(test_marks_have_ink),
        cmocka_unit_test(test_crop_frame_is_the_paper),
        cmocka_unit_test(test_box_cut_by_the_edge),
        cmocka_unit_test(test_transport_stretches_and_shears),
        cmocka_unit_test(test_heavy_blur_noise_light_pencil),
        cmocka_unit_test(test_default_mix_has_everything),
        cmocka_unit_test(test_votes_from),
        cmocka_unit_test(test_votes_from_wrong_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
