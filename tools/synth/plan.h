/* plan.h - what one synthetic ballot shows, and what it must count as
 *
 * The types the generator's files share: the model's boxes (geo), one
 * ballot's plan (splan: scenario, marks, degradations, expected outcome),
 * a ballot forced by a 510b count (force) and the read-only job of a run.
 * A plan is drawn from the ballot's own random stream, so ballot i depends
 * only on (seed, i).
 */
#ifndef STEMTEL_SYNTH_PLAN_H
#define STEMTEL_SYNTH_PLAN_H

#include <cairo.h>

#include "stemtel/error.h"
#include "stemtel/model.h"
#include "synth/synth.h"

#define MAX_MARKS 8
#define MAX_STRAY 3
#define MAX_WRITING 2 /* words or initials (ST_DEG_WRITING) */
#define MAX_FOLDS 3   /* fold, fold-slant, fold-vertical */
#define MAX_STREAKS 3 /* streak, streak-marked, streak-empty */

/* What a piece of writing on the ballot is. */
enum { WRITE_STRAY, WRITE_WORD, WRITE_INITIALS };

/* Expected outcomes. */
enum { OUT_VOTE, OUT_BLANK, OUT_INVALID, OUT_REVIEW };

/* What became of a mark in the written image. */
/* CLEAR and LOST: the pipeline must read the mark as marked, or not see
 * it. AMBIGUOUS: it must send the ballot to review. The two borderline
 * bands lie where a scorer's measure and ours can fall either side of a
 * threshold: review is right, and so is the one definite reading with the
 * mark marked (BORDER_HIGH, near definite) or empty (BORDER_LOW, near
 * marginal). */
enum { SEEN_CLEAR, SEEN_AMBIGUOUS, SEEN_LOST, SEEN_BORDER_HIGH, SEEN_BORDER_LOW };

/* The model's boxes. */
typedef struct geo {
    int n_lists;
    int *list_t;   /* per m->lists[i]: index of its box in m->targets */
    int grid;      /* number boxes 1..grid all exist */
    int *num_t;    /* [1..grid]: index of number box */
    int short_lists; /* lists shorter than the grid */
} geo;

typedef struct smark {
    int target, style, instrument, ambiguous; /* ambiguous: as drawn */
    /* Measured on the final pixels (see measure_marks). */
    double visible, visible_trace; /* share of its pixels still inked */
    double coverage;               /* strong ink left / inside area */
    double trace_cov;              /* trace ink left / inside area */
    double drawn_cov;              /* its pixels / inside area */
    double visible_all;            /* visible share over all its pixels */
    double in_image;               /* share of the scored inside in
                                      the image */
    double pressure;               /* of the pen, 0..1, as drawn */
    int seen;                      /* SEEN_*: what the outcome uses */
} smark;

/* A crease across the paper: kind ST_DEG_FOLD (horizontal at `at` mm
 * from the top, its far end `tilt` mm lower), ST_DEG_FOLD_SLANT
 * (horizontal, slanted by `slant` degrees) or ST_DEG_FOLD_VERTICAL (top
 * to bottom `at` mm from the left, slanted likewise); `a` is its
 * darkness. */
typedef struct sfold {
    int kind;
    double at, tilt, slant, a;
} sfold;

/* A column band of the image: kind ST_DEG_STREAK (anywhere, dark or
 * light) or ST_DEG_STREAK_MARKED / _EMPTY (dark, through the middle of
 * box `target`; x is set once the page's placement is known). */
typedef struct sstreak {
    int kind, target;
    int x, w, dark; /* px */
    double f;       /* how far the band darkens or lightens */
} sstreak;

typedef struct splan {
    int paper;      /* the ballot whose sheet this is: its own index, or
                       for a rescan the original's */
    int fixed;      /* the marks are settled (a rescan takes its
                       original's): draw them once, as they are */
    int scenario;
    int n_marks;
    smark marks[MAX_MARKS];
    double hesitant_cov;
    /* degradations */
    unsigned applied;           /* ST_SYNTH_BIT of each one applied */
    int upside, crop;
    double rot, sx, sy, scale, noise;
    double stretch, shear;      /* transport: fractions, along the feed */
    int blur, jpeg_q;           /* 0 = not applied */
    int n_streaks, n_folds;
    sstreak streaks[MAX_STREAKS];
    sfold folds[MAX_FOLDS];
    int n_stray;                /* stray words, then writing's */
    double stray[2 * (MAX_STRAY + MAX_WRITING)]; /* centres, mm */
    int wkind[MAX_STRAY + MAX_WRITING];          /* WRITE_* */
    int wby[MAX_STRAY + MAX_WRITING];            /* box written by, or -1 */
    char wtext[MAX_STRAY + MAX_WRITING][4];      /* initials */
    /* The image: paper plus bed margin (none when cropped). */
    double margin_x, margin_y;
    int w_px, h_px;
    /* expected */
    int outcome, list, cand, party_only;
    const char *reason;
    /* With borderline marks only: the one definite outcome that is also
     * right (has_alt), besides review. */
    int has_alt, alt_outcome, alt_list, alt_cand, alt_party_only;
    const char *alt_reason;
} splan;

/* A forced ballot (votes_from). */
enum { FORCE_NONE, FORCE_VOTE, FORCE_BLANK, FORCE_INVALID, FORCE_LIST /* list box alone */ };
typedef struct force {
    int kind, list_idx, cand;
} force;

/* Everything a worker needs, read-only during the run. */
typedef struct job {
    const st_model *m;
    const st_synth_opts *o;
    geo g;
    double style_w[ST_STYLE_N], instr_w[ST_INSTR_N], scen_w[ST_SCEN_N];
    int clear_only;
    double margin_x, margin_y; /* scanner bed beyond the paper, mm a side */
    int w_px, h_px;            /* the bed's image; a cropped page's is the
                                  paper's, paper_w_px x paper_h_px */
    int paper_w_px, paper_h_px;
    const force *forced; /* NULL or one per ballot */
    const int *rescan_of; /* NULL or one per ballot: the ballot whose
                             sheet it scans again, or -1 */
    int n;
    /* The printer's proof as ink (A8, alpha = ink) at proof_dpi, painted
     * instead of our rendering; NULL: st_render_draw. Shared read-only. */
    cairo_surface_t *proof;
    double proof_dpi;
} job;

/* Find the boxes of every list and the number grid of m into *g (free with
 * st_synth_geo_free). Returns ST_OK, or ST_ERR_INVALID when the model has
 * no lists, a list without its box or no number box 1; ST_ERR_NOMEM. */
int st_synth_geo_build(const st_model *m, geo *g, st_error *err);

/* Free what g holds (not g). */
void st_synth_geo_free(geo *g);

/* Index in m->lists of list number `number`, or -1. */
int st_synth_list_index(const st_model *m, int number);

/* Draw ballot index's plan into *p, or take its scenario and boxes from
 * j->forced: scenario and marks from stream (seed, index, 0), whether
 * each degradation applies from (seed, index, 3), the values of
 * degradation d from (seed, index, 16 + d), each drawn whole whether used
 * or not, so no option shifts another's numbers. A rescan (j->rescan_of)
 * takes the marks and the paper's degradations (folds, stray writing,
 * writing) from its sheet's index, the scanner's from its own. The marks' measured
 * fields, the streaks' x by a box and the expected outcome are filled
 * later (st_synth_settle). Pure; thread-safe. */
void st_synth_plan(const job *j, int index, splan *p);

/* Nonzero for the degradations that belong to the paper (a second scan
 * of the sheet shows them again): folds, stray writing and writing. */
int st_synth_deg_is_paper(int d);

/* Set p's expected outcome (and the alternative for borderline marks)
 * from its marks as seen. Pure. */
void st_synth_expect(const job *j, splan *p);

#endif
