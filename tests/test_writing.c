/* test_writing.c - a mark's overflow is the mark's, writing is writing
 *
 * Real TIFF pages of the 80-number TK2025 ballot, drawn by synth with the
 * marks voters make when their pen leaves the box (an X running past it,
 * a check's long tail, a scribble that overshoots, a loop round the box)
 * and with words written beside and touching marked boxes, go through
 * `stemtel count`. The overflow must not send a ballot to review as
 * writing; the words must, with writing_outside_boxes and where they are.
 * Every definite outcome must be the truth's.
 */
#include "helpers.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TK2025 "models/tk2025-haarlem.json"

/* One ballot as truth.jsonl and ballots.jsonl have it. */
typedef struct pair {
    json_object *truth, *count;
} pair;

/* What a count made of a set, against its truth. */
typedef struct tally {
    int n;
    int wrong;          /* definite and not the truth's */
    int wrong_words;    /* ... of those, ballots with words: writing missed */
    int review;
    int writing;        /* count: reasons hold writing_outside_boxes */
    int with_words;     /* truth: words by a box or stray on the page */
    int words_reviewed; /* ... and the count sent it to review */
    int votes_right;    /* count: the truth's vote */
} tally;

static json_object *key(json_object *o, const char *k)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *str(json_object *o, const char *k)
{
    json_object *v = key(o, k);
    return v ? json_object_get_string(v) : "";
}

/* A whole number, 0 when absent or null. */
static int num(json_object *o, const char *k)
{
    return atoi(str(o, k));
}

/* The lines of a JSON Lines file; *n gets how many. Each line must parse
 * strictly. */
static json_object **jsonl(const char *path, int *n)
{
    char *text = th_slurp(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    json_object **v = NULL;
    *n = 0;
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln;
         ln = strtok_r(NULL, "\n", &save)) {
        json_tokener_reset(tok);
        json_object *o = json_tokener_parse_ex(tok, ln, (int)strlen(ln));
        if (!o)
            fail_msg("%s: line %d is not strict JSON", path, *n + 1);
        v = realloc(v, (size_t)(*n + 1) * sizeof *v);
        v[(*n)++] = o;
    }
    json_tokener_free(tok);
    free(text);
    return v;
}

static void drop(json_object **v, int n)
{
    for (int i = 0; i < n; i++)
        json_object_put(v[i]);
    free(v);
}

static int has_reason(json_object *count, const char *reason)
{
    json_object *r = key(count, "reasons");
    for (size_t i = 0; r && i < json_object_array_length(r); i++)
        if (!strcmp(json_object_get_string(json_object_array_get_idx(r, i)), reason))
            return 1;
    return 0;
}

/* Is the count's definite outcome one the truth allows? */
static int definite_right(json_object *truth, json_object *count)
{
    json_object *e = key(truth, "expected");
    const char *want = str(e, "outcome"), *got = str(count, "outcome");
    if (!strcmp(want, "review") && key(e, "if_definite"))
        e = key(e, "if_definite"), want = str(e, "outcome");
    if (strcmp(want, got))
        return 0;
    return strcmp(got, "vote") ||
           (num(e, "list") == num(count, "list") &&
            num(e, "candidate") == num(count, "candidate"));
}

/* Draw a set of the TK2025 ballot with synth_args into dir/in, count it
 * into dir/out, and compare; each ballot goes to check (may be NULL). */
static tally run_set(const char *synth_args, void (*check)(pair *, int))
{
    char *dir = th_tmpdir(), *model = th_root(TK2025), *out = NULL;
    if (th_run(&out, "synth '%s' --out '%s/in' %s", model, dir, synth_args))
        fail_msg("synth: %s", out);
    free(out);
    out = NULL;
    /* count exits 1 when some page needs review: that is no failure. */
    int rc = th_run(&out, "count --model '%s' --threads 2 --out '%s/out' '%s/in'",
                    model, dir, dir);
    if (rc != 0 && rc != 1)
        fail_msg("count (%d): %s", rc, out);
    free(out);
    char p[4200];
    int nt, nc;
    snprintf(p, sizeof p, "%s/in/truth.jsonl", dir);
    json_object **t = jsonl(p, &nt);
    snprintf(p, sizeof p, "%s/out/ballots.jsonl", dir);
    json_object **c = jsonl(p, &nc);
    assert_int_equal(nt, nc);
    tally s = {0};
    for (int i = 0; i < nt; i++) {
        pair b = {t[i], c[i]};
        const char *got = str(c[i], "outcome");
        int words = json_object_array_length(
                        key(key(t[i], "degradations"), "stray_writing")) > 0;
        s.n++;
        s.review += !strcmp(got, "review");
        s.writing += has_reason(c[i], "writing_outside_boxes");
        s.with_words += words;
        s.words_reviewed += words && !strcmp(got, "review");
        if (strcmp(got, "review") && strcmp(got, "rejected")) {
            int right = definite_right(t[i], c[i]);
            s.wrong += !right;
            s.wrong_words += !right && words;
            s.votes_right += right && !strcmp(got, "vote");
            if (!right)
                print_message("    WRONG %s: truth %s, count %s\n", str(t[i], "file"),
                              json_object_to_json_string(key(t[i], "expected")), got);
        }
        if (check)
            check(&b, i);
    }
    print_message("    %s: %d ballots, %d review (%d writing), %d wrong, "
                  "%d/%d with words in review\n",
                  synth_args, s.n, s.review, s.writing, s.wrong, s.words_reviewed,
                  s.with_words);
    drop(t, nt);
    drop(c, nc);
    th_rmtree(dir);
    free(dir);
    free(model);
    return s;
}

/* Clean scans, one vote each (a list and one of its candidates), one pen
 * per ballot as synth's instruments come. */
#define CLEAN "--scenarios vote --degrade none --instruments red-pencil,blue-pen,black-pen "

static void no_writing(pair *b, int i)
{
    if (has_reason(b->count, "writing_outside_boxes"))
        fail_msg("ballot %d (%s): its mark's overflow was taken for writing at %s", i,
                 str(b->truth, "file"), json_object_to_json_string(key(b->count, "writing")));
}

static void test_writing_x_running_past_the_box_is_a_vote(void **state)
{
    (void)state;
    tally s = run_set("--count 30 --seed 41 " CLEAN "--styles x-overshoot", no_writing);
    assert_int_equal(s.wrong, 0);
    assert_int_equal(s.votes_right, s.n);
}

static void test_writing_check_with_a_long_tail_is_a_vote(void **state)
{
    (void)state;
    tally s = run_set("--count 30 --seed 42 " CLEAN "--styles check-tail", no_writing);
    assert_int_equal(s.wrong, 0);
    assert_int_equal(s.votes_right, s.n);
}

static void test_writing_loop_round_a_marked_box_is_a_vote(void **state)
{
    (void)state;
    /* A loop that grazes the box's corners is cut into arcs by its pad,
     * and one drawn thick may read as more than a line: those few go to
     * review, never to a wrong outcome. */
    tally s = run_set("--count 30 --seed 43 " CLEAN "--styles ring", NULL);
    assert_int_equal(s.wrong, 0);
    assert_true(10 * s.votes_right >= 8 * s.n);
}

static void test_writing_overshooting_scribble_is_a_vote(void **state)
{
    (void)state;
    tally s = run_set("--count 30 --seed 44 " CLEAN "--styles scribble-over", NULL);
    /* A turn that runs along the box's side, not away from it, reads
     * like a letter's stroke: review is allowed for a few. */
    assert_int_equal(s.wrong, 0);
    assert_true(10 * s.votes_right >= 9 * s.n);
}

/* Words by a marked box: review, writing_outside_boxes, and where. */
static void writing_reported(pair *b, int i)
{
    json_object *words = key(key(b->truth, "degradations"), "stray_writing");
    if (json_object_array_length(words) == 0)
        return;
    if (strcmp(str(b->count, "outcome"), "review") ||
        !has_reason(b->count, "writing_outside_boxes"))
        fail_msg("ballot %d (%s): words by a marked box, but the count says %s %s", i,
                 str(b->truth, "file"), str(b->count, "outcome"),
                 json_object_to_json_string(key(b->count, "reasons")));
    json_object *at = key(key(b->count, "writing"), "at_mm");
    if (!at || json_object_array_length(at) != 2)
        fail_msg("ballot %d (%s): writing without where it is", i, str(b->truth, "file"));
}

static void test_writing_beside_and_touching_a_marked_box_is_review(void **state)
{
    (void)state;
    /* Plain marks and marks that leave the box alike: the words by them
     * are writing either way. */
    tally s = run_set("--count 40 --seed 45 " "--scenarios vote --degrade writing "
                      "--instruments red-pencil,blue-pen,black-pen "
                      "--styles fill,x,check,x-overshoot,check-tail,ring",
                      writing_reported);
    assert_int_equal(s.with_words, s.n);
    assert_int_equal(s.wrong, 0);
}

/* A mixed set: every new style, synth's usual scanner and paper
 * degradations, every scenario and instrument; then one with words by the
 * marks. No mark may be misread, and writing must go to review at least
 * 99 times in 100. */
static void test_writing_set_of_500_misreads_no_mark_and_catches_writing(void **state)
{
    (void)state;
    tally a = run_set("--count 250 --seed 46 --styles x-overshoot,check-tail,scribble-over,ring",
                      NULL);
    /* Words by loops round boxes are left out here: a word on a box's
     * edge inside a loop can join the loop's line and pass for it (a
     * known limit, see writing.c); the test of writing beside and
     * touching a box draws them. */
    tally b = run_set("--count 250 --seed 47 --styles x-overshoot,check-tail,scribble-over,"
                      "fill,x,check --degrade rotate,shift,scale,noise,blur,writing",
                      NULL);
    /* Marks are never misread; of the ballots with writing, the few the
     * check misses (at most 1 in 100) get the marks' outcome. */
    assert_int_equal(a.wrong - a.wrong_words + b.wrong - b.wrong_words, 0);
    int words = a.with_words + b.with_words, caught = a.words_reviewed + b.words_reviewed;
    assert_true(words >= 200);
    if (100 * caught < 99 * words)
        fail_msg("%d of %d ballots with writing in review, under 99%%", caught, words);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writing_x_running_past_the_box_is_a_vote),
        cmocka_unit_test(test_writing_check_with_a_long_tail_is_a_vote),
        cmocka_unit_test(test_writing_loop_round_a_marked_box_is_a_vote),
        cmocka_unit_test(test_writing_overshooting_scribble_is_a_vote),
        cmocka_unit_test(test_writing_beside_and_touching_a_marked_box_is_review),
        cmocka_unit_test(test_writing_set_of_500_misreads_no_mark_and_catches_writing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
