/* model.h - what a ballot looks like and what it means
 *
 * A model describes one ballot design: the election and municipality, the
 * lists and their candidates, the paper, the geometry (in millimetres, origin
 * at the top-left corner of the page, y downwards) of every registration mark
 * and every box a voter can mark, and the settings the pipeline obeys. It is
 * stored as JSON (see models/README.md) and is plain data once loaded: the
 * struct is public so every module can read it, and only this module and the
 * EML importer build one.
 */
#ifndef STEMTEL_MODEL_H
#define STEMTEL_MODEL_H

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_MODEL_FORMAT "stemtel-model"
#define ST_MODEL_VERSION 1
#define ST_ID_MAX 16

/* A rectangle in mm: top-left corner (x, y), width w, height h. */
typedef struct st_rect {
    double x, y, w, h;
} st_rect;

typedef enum st_target_kind {
    ST_TARGET_LIST = 0,   /* a list (party) box; number = list number */
    ST_TARGET_NUMBER = 1  /* a candidate-number box; number = 1..N */
} st_target_kind;

/* A box the voter can mark. rect is the outer edge of its printed outline;
 * the outline (settings.outline_mm wide) lies inside rect, and the "inside"
 * the pipeline scores is rect shrunk by the outline width on every side.
 * label is the text printed beside it (may be NULL), fitted into label_rect. */
typedef struct st_target {
    char id[ST_ID_MAX];   /* "L<list>" or "N<number>", unique in the model */
    st_target_kind kind;
    int number;
    st_rect rect;
    char *label;
    st_rect label_rect;
    /* What the printed ballot itself scores inside this box (its number
     * printed inside, a round or rounded outline reaching into the
     * scored square), when the model was made from someone else's
     * proof: the engine takes it for the blank ballot's score instead of
     * its own rendering's. printed_set = 0: not given. */
    int printed_set;
    double printed_score, printed_faint;
} st_target;

/* A registration mark: a solid black square filling rect. */
typedef struct st_fiducial {
    char id[ST_ID_MAX];
    st_rect rect;
} st_fiducial;

typedef struct st_candidate {
    int number;           /* position on the list, 1-based */
    char *name;           /* "Reuvers, R.A.N. (Rob)" */
} st_candidate;

typedef struct st_list {
    int number;           /* list number as on the ballot, >= 1 */
    char *name;           /* registered name; may be "" (blank list) */
    int n_candidates;
    st_candidate *candidates;
} st_list;

/* How a ballot with one list box and no number counts (domain.md). */
typedef enum st_party_only {
    ST_PARTY_ONLY_FIRST_CANDIDATE = 0, /* default: credited to candidate 1 */
    ST_PARTY_ONLY_INVALID = 1
} st_party_only;

/* One list box and a number beyond that list's length. */
typedef enum st_beyond_list {
    ST_BEYOND_LIST_INVALID = 0,        /* default: "no such candidate" */
    ST_BEYOND_LIST_REVIEW = 1
} st_beyond_list;

/* One list box and two or more numbers. */
typedef enum st_multiple_numbers {
    ST_MULTIPLE_NUMBERS_REVIEW = 0,    /* default */
    ST_MULTIPLE_NUMBERS_INVALID = 1,
    ST_MULTIPLE_NUMBERS_PARTY_ONLY = 2
} st_multiple_numbers;

/* Scan formats a model expects (bit set). */
enum {
    ST_SCAN_BILEVEL = 1 << 0,
    ST_SCAN_GREY = 1 << 1,
    ST_SCAN_RGB = 1 << 2
};

typedef struct st_settings {
    /* Box score thresholds, 0..1: score < marginal is empty, score >=
     * definite is marked, anything between is marginal (goes to review). */
    double marginal;
    double definite;
    st_party_only party_only;
    st_beyond_list beyond_list;
    st_multiple_numbers multiple_numbers;
    double outline_mm;    /* printed box outline width */
    int scan_dpi;         /* resolution assumed when a scan does not say */
    int jpeg_min_dpi;     /* JPEG pages may be decoded at 1/2, 1/4, 1/8 of
                             their size while they keep this resolution;
                             0 = always at full size */
    unsigned scan_formats;/* ST_SCAN_* bits */
} st_settings;

typedef struct st_model {
    char *election_id;    /* "GR2022_WestMaasenWaal" */
    char *election_name;
    char *election_date;  /* "YYYY-MM-DD" or "" */
    char *election_subcategory; /* "GR1", "TK", ... (kr:ElectionSubcategory
                                   of the 230b or 110a) or "" */
    char *municipality_code; /* "0668" (the election domain's id) */
    char *municipality_name;
    double paper_w, paper_h; /* mm */
    int n_lists;
    st_list *lists;       /* in ballot order */
    int n_fiducials;
    st_fiducial *fiducials;
    int n_targets;
    st_target *targets;   /* list boxes first, then number boxes */
    /* Print of a design stemtel did not draw (headings, instructions,
     * logos, names, numbers beside boxes), as rectangles in mm: the
     * writing check treats ink there as the ballot's own, as it does a
     * label's. May be empty. */
    int n_artwork;
    st_rect *artwork;
    st_settings settings;
} st_model;

/* The documented defaults for settings. */
void st_settings_default(st_settings *s);

/* Allocate an empty model with default settings. Returns NULL on no memory.
 * Free with st_model_free. */
st_model *st_model_new(void);

/* Free a model and everything it owns. Accepts NULL. */
void st_model_free(st_model *m);

/* Parse a model file. On success *out owns a new model (free with
 * st_model_free). Reports malformed JSON with line and column, and wrong or
 * missing fields with their JSON path. Does not run st_model_check: call
 * st_model_load_checked for a model the pipeline may use. Thread-safe. */
int st_model_load(const char *path, st_model **out, st_error *err);

/* Parse a model from a NUL-terminated JSON string; name is used in messages. */
int st_model_parse(const char *json, const char *name, st_model **out,
                   st_error *err);

/* st_model_load followed by st_model_check; a model with problems is refused
 * with the first problem and a count of the rest in err. */
int st_model_load_checked(const char *path, st_model **out, st_error *err);

/* Serialise m as JSON (stable key order, mm with 3 decimals). Returns a
 * malloc'd string the caller frees, or NULL with err set. */
char *st_model_to_json(const st_model *m, st_error *err);

/* Write st_model_to_json(m) to path. */
int st_model_save(const st_model *m, const char *path, st_error *err);

/* How many problem messages st_model_check keeps; the rest are counted. */
#define ST_PROBLEMS_KEPT 100

/* Problems found by st_model_check: the first n (at most
 * ST_PROBLEMS_KEPT), each a message naming where it is ("targets[3] N4:
 * overlaps targets[4] N5"), and how many more were found. */
typedef struct st_problems {
    int n;
    char **msg;
    int more;
} st_problems;

/* Free the messages of p (not p itself); p is then empty. Accepts NULL. */
void st_problems_free(st_problems *p);

/* Append a printf-style message to p, or count it in p->more once
 * ST_PROBLEMS_KEPT are kept. Returns ST_OK or ST_ERR_NOMEM (p then keeps
 * what it had). */
int st_problems_add(st_problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Check a model for every error a hand-edited file can have: boxes, marks
 * or labels overlapping or off the page, duplicate or missing numbers and
 * ids, lists without candidates or with gaps in their numbering, a number
 * grid shorter than the longest list, missing list boxes, thresholds out of
 * order, too few registration marks. Appends one message per problem to
 * *out (which the caller zero-initialises and frees with st_problems_free)
 * up to ST_PROBLEMS_KEPT, counting the rest in out->more. A repeated
 * number or id names the first that has it; each overlapping rectangle
 * names the first later one it overlaps (not every pair). Near-linear in
 * the size of the model. Returns the number of problems found (0 = the
 * model is usable), or a negative ST_ERR_NOMEM. Thread-safe. */
int st_model_check(const st_model *m, st_problems *out);

/* Lookups. Return NULL when absent. */
const st_list *st_model_list(const st_model *m, int number);
const st_target *st_model_target(const st_model *m, st_target_kind kind,
                                 int number);

/* The longest list's length (the size of the number grid a ballot needs). */
int st_model_max_candidates(const st_model *m);

#ifdef __cplusplus
}
#endif

#endif
