/* synth.h - synthetic marked ballots with ground truth
 *
 * st_synth_run draws ballots of a model as a voter and a scanner would leave
 * them: the blank ballot from st_render_draw, hand marks in the model's boxes
 * (several styles and writing instruments), scanner and paper degradations,
 * written as TIFF pages, plus truth.jsonl with one line per ballot saying
 * what was drawn, what of each mark survives in the written image, and what
 * the outcome must be under the model's settings and the validity table of
 * domain.md. Ballot i depends only on (seed, i), so
 * the output is byte-identical for any thread count. Each line also says
 * which degradations the ballot got ("applied"), so a reader can tell a
 * clean page from a degraded one.
 */
#ifndef STEMTEL_SYNTH_H
#define STEMTEL_SYNTH_H

#include <stdint.h>

#include "stemtel/error.h"
#include "stemtel/model.h"
#include "stemtel/tiffout.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Mark styles. The names are the CLI and truth.jsonl spellings. */
typedef enum st_synth_style {
    ST_STYLE_FILL = 0,  /* "fill": dense zig-zag hatching, ~90% of the inside */
    ST_STYLE_PARTIAL,   /* "partial": hatching over 40-60% of the inside */
    ST_STYLE_X,         /* "x": two crossing strokes */
    ST_STYLE_CHECK,     /* "check": a check mark */
    ST_STYLE_STROKE,    /* "stroke": one stroke across the box */
    ST_STYLE_CIRCLE,    /* "circle": a loop around the box (ambiguous) */
    ST_STYLE_DOT,       /* "dot": a small dot (ambiguous) */
    ST_STYLE_HESITANT,  /* "hesitant": short light stroke; only the
                           "between" scenario draws it (ambiguous) */
    /* Marks that leave the box: */
    ST_STYLE_X_OVER,    /* "x-overshoot": an X whose four arm ends run past
                           the box by 0-50% of its size each */
    ST_STYLE_CHECK_TAIL, /* "check-tail": a check whose long leg runs on
                            past the box's corner by 20-50% of its size */
    ST_STYLE_SCRIBBLE_OVER, /* "scribble-over": hatching whose turns
                               overshoot the box by 5-20% of its size */
    ST_STYLE_RING,      /* "ring": an X in the box and a loop drawn round
                           the box, close to it (a clear vote) */
    ST_STYLE_N
} st_synth_style;

/* Writing instruments. */
typedef enum st_synth_instrument {
    ST_INSTR_RED_PENCIL = 0, /* "red-pencil": grainy, varying pressure */
    ST_INSTR_BLUE_PEN,       /* "blue-pen" */
    ST_INSTR_BLACK_PEN,      /* "black-pen" */
    ST_INSTR_FAINT,          /* "faint": pencil at 10-20% (ambiguous) */
    ST_INSTR_N
} st_synth_instrument;

/* What the voter did with the ballot as a whole. */
typedef enum st_synth_scenario {
    ST_SCEN_VOTE = 0,        /* "vote": one list + one of its candidates */
    ST_SCEN_LIST_ONLY,       /* "list-only" */
    ST_SCEN_NUMBER_ONLY,     /* "number-only" */
    ST_SCEN_SEVERAL_LISTS,   /* "several-lists": 2-3 lists (+ maybe a number) */
    ST_SCEN_SEVERAL_NUMBERS, /* "several-numbers": one list + 2-3 numbers */
    ST_SCEN_BEYOND_LIST,     /* "beyond-list": one list + a number past its
                                end; only drawn if some list is shorter
                                than the grid */
    ST_SCEN_BLANK,           /* "blank" */
    ST_SCEN_BETWEEN,         /* "between": a vote or a lone box where one box
                                has a half-hearted mark (ambiguous) */
    ST_SCEN_N
} st_synth_scenario;

/* Scanner and paper degradations. With the bit set the degradation is
 * applied to every ballot (where the ballot allows: a streak by a marked
 * box needs one), its size drawn per ballot and scaled by degrade_level. */
typedef enum st_synth_degradation {
    ST_DEG_ROTATE = 0,  /* "rotate": up to +-5 degrees at level 1 */
    ST_DEG_SHIFT,       /* "shift": up to +-5 mm in x and y */
    ST_DEG_SCALE,       /* "scale": up to +-3% */
    ST_DEG_UPSIDE_DOWN, /* "upside-down": fed the other way round (180) */
    ST_DEG_NOISE,       /* "noise": gaussian, sigma up to 12 levels */
    ST_DEG_BLUR,        /* "blur": box blur, radius 1 px at 200 dpi up to
                           level 0.5, 1..3 px at level 1 */
    ST_DEG_STREAK,      /* "streak": dark or light column a few px wide */
    ST_DEG_FOLD,        /* "fold": faint dark line across the page */
    ST_DEG_STRAY,       /* "stray": pen scribbles away from the boxes
                           (outcome review, "writing outside boxes") */
    ST_DEG_JPEG,        /* "jpeg": quality 20..60 instead of jpeg_quality;
                           only with the JPEG formats (ignored otherwise) */
    ST_DEG_FOLD_SLANT,    /* "fold-slant": a fold at any height, slanted
                             up to 3 degrees at level 1 */
    ST_DEG_FOLD_VERTICAL, /* "fold-vertical": a fold top to bottom at any
                             place, slanted as fold-slant */
    ST_DEG_STREAK_MARKED, /* "streak-marked": a dark streak through the
                             middle of a marked box */
    ST_DEG_STREAK_EMPTY,  /* "streak-empty": a dark streak through the
                             middle of an empty box */
    ST_DEG_WRITING,     /* "writing": 1-2 words or initials (2-3 capital
                           letters) beside a marked box or touching it, or
                           now and then anywhere on the ballot (outcome
                           review, "writing outside boxes") */
    ST_DEG_CROP,        /* "crop": the image is exactly the paper's frame,
                           no bed margin: a turned or shifted page loses
                           what falls outside it, corner marks included */
    ST_DEG_TRANSPORT,   /* "transport": uneven paper feed, a stretch of up
                           to +-1% along the feed (image y, from its top
                           row) and a shear of up to +-0.6% (x moving with
                           y) at level 1 */
    ST_DEG_N
} st_synth_degradation;

#define ST_SYNTH_BIT(x) (1u << (x))

/* In st_synth_opts.degradations: "none", an empty set (0 means the default
 * mix). */
#define ST_SYNTH_DEG_NONE (1u << 31)

typedef struct st_synth_opts {
    int count;              /* ballots to make (ignored with votes_from) */
    uint64_t seed;
    int dpi;                /* 150..600, default 200 */
    st_tiff_format format;  /* default ST_TIFF_RGB_JPEG */
    int jpeg_quality;       /* 1..100, default 85 */
    int pages_per_file;     /* 1 = ballot-NNNNNN.tif each; N > 1 =
                               stack-NNNN.tif with N pages (last may be
                               shorter) */
    /* Bit sets of ST_SYNTH_BIT(enum value); 0 = the default mix:
     * styles: fill 28, partial 15, x 8, check 6, stroke 10, circle 2,
     *   dot 2, x-overshoot 14, check-tail 10, scribble-over 3, ring 2
     *   (relative weights per mark: marks that overshoot the box are a
     *   quarter of all);
     * instruments (one per ballot): red-pencil 72, blue-pen 12,
     *   black-pen 12, faint 4;
     * scenarios: vote 62, list-only 8, number-only 4, several-lists 4,
     *   several-numbers 5, beyond-list 3, blank 8, between 6;
     * degradations: each ballot independently gets rotate 70%, shift 70%,
     *   scale 50%, noise 60%, blur 25%, upside-down 10%, streak 8%,
     *   fold 10%, stray 4%, jpeg 10%, fold-slant 8%, fold-vertical 8%,
     *   streak-marked 4%, streak-empty 4%, writing 3%, crop 6%,
     *   transport 25%.
     * A set given explicitly is used uniformly (styles, instruments,
     * scenarios) or always (degradations). Whether each degradation
     * applies and its sizes come from streams of their own, so the
     * numbers of one do not depend on which others were chosen. */
    unsigned styles, instruments, scenarios, degradations;
    double degrade_level;   /* 0..1, default 0.5 */
    const char *votes_from; /* EML 510b file, or NULL */
    const char *station;    /* reporting unit id in it, "0668::SB1" */
    /* A jam: rescans of the ballots are second scans of the sheet of a
     * ballot 1 to ST_SYNTH_RESCAN_BACK places before (that ballot's own
     * sheet when it is a rescan too); stream (seed, ~0, 8) chooses which
     * ballots, (seed, i, 5) how far back. Ballot 0 is never one. A rescan is the
     * sheet's paper again (its marks, their pencil grain where the paper
     * holds it, its folds, stray writing and writing) through the
     * scanner again: rotation, shift, scale, upside down, noise, blur,
     * JPEG, streaks, crop and transport drawn anew from its own
     * streams. Of count, so count - rescans sheets; with votes_from, on
     * top of the station's ballots. */
    int rescans;
    /* > 0: every sheet is a vote for candidate vote_candidate of list
     * number vote_list (the "vote" scenario, its boxes fixed; styles and
     * instruments as chosen), or with vote_candidate 0 for the list by its
     * box alone ("list-only"): distinct ballots with the same vote. */
    int vote_list, vote_candidate;
    int threads;            /* 0 = the OpenMP default */
    /* A printer's PDF proof to draw the ballots on instead of our own
     * rendering of the model (which must be the proof's, `model
     * from-pdf`), and its page (1-based; 0 = 1). NULL: our rendering. */
    const char *background;
    int background_page;
} st_synth_opts;

/* What st_synth_run made. */
typedef struct st_synth_report {
    int n_ballots;          /* pages, rescans included */
    int n_rescans;
    int n_files;
    int n_vote, n_blank, n_invalid, n_review; /* expected outcomes */
} st_synth_report;

/* How many places back the ballot a rescan scans again lies, at most. */
#define ST_SYNTH_RESCAN_BACK 10

/* Fill o with the defaults above (count 10, seed 1). */
void st_synth_opts_default(st_synth_opts *o);

/* Make ballots of m in out_dir (created if missing, files in it
 * overwritten): TIFF files and truth.jsonl, one line per ballot in ballot
 * order, fixed key order and decimals:
 *   file, page (0-based), index (0-based), seed, dpi, format, jpeg_quality
 *   (used, or null for lossless formats), bed_margin_mm [x, y] (the bed
 *   beyond the paper a side; [0, 0] when cropped), image_px [w, h],
 *   scenario, degradations {
 *   applied [names of the degradations applied to this ballot, in enum
 *   order; [] = a clean page], cropped, upside_down, rotation_deg,
 *   shift_mm [x, y], scale, noise_sigma, blur_px (0 = none), jpeg_quality
 *   (null = not degraded), stretch, shear (transport, fractions; 0 =
 *   none), streak (the first of streaks, or null), streaks [{name
 *   "streak"|"streak-marked"|"streak-empty", x, width (px), kind
 *   "dark"|"light", target (box id, or null)}], fold_y_mm (the first
 *   horizontal fold's, or null), folds [{name "fold"|"fold-slant"|
 *   "fold-vertical", at_mm (y from the top, x from the left for
 *   fold-vertical), slant_deg, tilt_mm}], stray_writing [[x_mm, y_mm],
 *   ...] (centres of all stray scribbles and writing), writing [{kind
 *   "word"|"initials", text (the initials, or null), at_mm [x, y], by
 *   (the marked box it is written by, or null: anywhere)}] },
 *   fiducials [{id, in_image (share of the registration mark inside the
 *   image)}], marks [{target (model id), style,
 *   instrument, clarity "clear"|"ambiguous" (as drawn), visible,
 *   visible_trace (share of the mark's pixels in the box that still carry
 *   strong ink, or any trace, in the page as written; pixels outside the
 *   image carry none), coverage (strong ink left / the box's scored
 *   inside), in_image (share of that inside in the image), pressure (the
 *   pen's, 0..1), seen "clear"|"ambiguous"|"lost"|"borderline-marked"|
 *   "borderline-empty"
 *   (what the image shows; see models/README.md)}], rescan_of (only on
 *   a rescan: {index, file, page} of the ballot whose sheet it scans
 *   again), expected {outcome
 *   "vote"|"blank"|"invalid"|"review", list, candidate (null unless vote),
 *   party_only, reason ("" or "ambiguous mark", "writing outside boxes",
 *   "number without list", "several lists", "list only", "several
 *   numbers", "no such candidate"), if_definite (only with borderline
 *   marks: the one definite outcome also right, as outcome..reason)}.
 * expected follows the marks as seen: review comes first (any mark seen
 * ambiguous, then stray writing), then the table of domain.md under
 * m->settings, marks seen lost left out; a rescan's is what its own
 * image shows (people void it: it is not a ballot of its own). With votes_from, makes exactly the station's ballots: one clear
 * valid vote per candidate vote, the blank and invalid ballots, in an order
 * shuffled by the seed (and the rescans among them). rep (may be NULL) receives the totals. Runs
 * ballots in parallel with OpenMP; the output does not depend on the
 * thread count. Thread-safe for distinct out_dir. */
int st_synth_run(const st_model *m, const st_synth_opts *o,
                 const char *out_dir, st_synth_report *rep, st_error *err);

/* Names of the enum values above, or NULL when out of range. */
const char *st_synth_style_name(int style);
const char *st_synth_scenario_name(int scenario);
const char *st_synth_degradation_name(int degradation);

/* Parse a comma-separated list of names of one kind ("styles",
 * "instruments", "scenarios" or "degradations"; singular accepted) into a
 * bit set. "all" selects every name of the kind; for degradations "none"
 * gives ST_SYNTH_DEG_NONE. Returns ST_OK, or ST_ERR_ARG with a message
 * listing the valid names. */
int st_synth_parse_set(const char *kind, const char *csv, unsigned *bits,
                       st_error *err);

#ifdef __cplusplus
}
#endif

#endif
