/* synth.h - synthetic marked ballots with ground truth
 *
 * st_synth_run draws ballots of a model as a voter and a scanner would leave
 * them: the blank ballot from st_render_draw, hand marks in the model's boxes
 * (several styles and writing instruments), scanner and paper degradations,
 * written as TIFF pages, plus truth.jsonl with one line per ballot saying
 * what was drawn, what of each mark survives in the written image, and what
 * the outcome must be under the model's settings and the validity table of
 * domain.md. Ballot i depends only on (seed, i), so
 * the output is byte-identical for any thread count.
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
    /* Marks that leave the box (not in the default mix): */
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
 * applied to every ballot, its size drawn per ballot and scaled by
 * degrade_level. */
typedef enum st_synth_degradation {
    ST_DEG_ROTATE = 0,  /* "rotate": up to +-5 degrees at level 1 */
    ST_DEG_SHIFT,       /* "shift": up to +-5 mm in x and y */
    ST_DEG_SCALE,       /* "scale": up to +-3% */
    ST_DEG_UPSIDE_DOWN, /* "upside-down": fed the other way round (180) */
    ST_DEG_NOISE,       /* "noise": gaussian, sigma up to 12 levels */
    ST_DEG_BLUR,        /* "blur": box blur, radius 1..3 px */
    ST_DEG_STREAK,      /* "streak": dark or light column a few px wide */
    ST_DEG_FOLD,        /* "fold": faint dark line across the page */
    ST_DEG_STRAY,       /* "stray": pen scribbles away from the boxes
                           (outcome review, "writing outside boxes") */
    ST_DEG_JPEG,        /* "jpeg": quality 20..60 instead of jpeg_quality;
                           only with the JPEG formats (ignored otherwise) */
    /* Not in the default mix (named only): */
    ST_DEG_FOLD_SLANT,    /* "fold-slant": a fold at any height, slanted
                             up to 3 degrees at level 1 */
    ST_DEG_FOLD_VERTICAL, /* "fold-vertical": a fold top to bottom at any
                             place, slanted as fold-slant */
    ST_DEG_STREAK_MARKED, /* "streak-marked": a dark streak through the
                             middle of a marked box */
    ST_DEG_STREAK_EMPTY,  /* "streak-empty": a dark streak through the
                             middle of an empty box */
    ST_DEG_WRITING,     /* "writing": a word written beside a marked box
                           or touching it, 1-2 per ballot (outcome review,
                           "writing outside boxes"); not in the default mix */
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
     * styles: fill 36, partial 15, x 20, check 15, stroke 10, circle 2,
     *   dot 2 (relative weights per mark);
     * instruments (one per ballot): red-pencil 72, blue-pen 12,
     *   black-pen 12, faint 4;
     * scenarios: vote 62, list-only 8, number-only 4, several-lists 4,
     *   several-numbers 5, beyond-list 3, blank 8, between 6;
     * degradations: each ballot independently gets rotate 70%, shift 70%,
     *   scale 50%, noise 60%, blur 25%, upside-down 10%, streak 8%,
     *   fold 10%, stray 4%, jpeg 10% (writing and the styles after
     *   hesitant only when asked for).
     * A set given explicitly is used uniformly (styles, instruments,
     * scenarios) or always (degradations). */
    unsigned styles, instruments, scenarios, degradations;
    double degrade_level;   /* 0..1, default 0.5 */
    const char *votes_from; /* EML 510b file, or NULL */
    const char *station;    /* reporting unit id in it, "0668::SB1" */
    int threads;            /* 0 = the OpenMP default */
} st_synth_opts;

/* What st_synth_run made. */
typedef struct st_synth_report {
    int n_ballots;
    int n_files;
    int n_vote, n_blank, n_invalid, n_review; /* expected outcomes */
} st_synth_report;

/* Fill o with the defaults above (count 10, seed 1). */
void st_synth_opts_default(st_synth_opts *o);

/* Make ballots of m in out_dir (created if missing, files in it
 * overwritten): TIFF files and truth.jsonl, one line per ballot in ballot
 * order, fixed key order and decimals:
 *   file, page (0-based), index (0-based), seed, dpi, format, jpeg_quality
 *   (used, or null for lossless formats), scenario, degradations {
 *   upside_down, rotation_deg, shift_mm [x, y], scale, noise_sigma,
 *   blur_px (0 = none), jpeg_quality (null = not degraded), streak (null or
 *   {x, width (px), kind "dark"|"light"}), fold_y_mm (null or mm),
 *   stray_writing [[x_mm, y_mm], ...] (centres of the words of stray and
 *   of writing) }, marks [{target (model id), style,
 *   instrument, clarity "clear"|"ambiguous" (as drawn), visible,
 *   visible_trace (share of the mark's pixels in the box that still carry
 *   strong ink, or any trace, in the page as written), coverage (strong
 *   ink left / the box's scored inside), seen "clear"|"ambiguous"|"lost"
 *   (what the image shows; see models/README.md)}], expected {outcome
 *   "vote"|"blank"|"invalid"|"review", list, candidate (null unless vote),
 *   party_only, reason ("" or "ambiguous mark", "writing outside boxes",
 *   "number without list", "several lists", "list only", "several
 *   numbers", "no such candidate")}.
 * expected follows the marks as seen: review comes first (any mark seen
 * ambiguous, then stray writing), then the table of domain.md under
 * m->settings, marks seen lost left out. With votes_from, makes exactly the station's ballots: one clear
 * valid vote per candidate vote, the blank and invalid ballots, in an order
 * shuffled by the seed. rep (may be NULL) receives the totals. Runs
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
 * bit set. "all" selects every name of the kind but the styles from
 * "x-overshoot" on and the degradations from "writing" on, which are
 * drawn only when named; for degradations "none"
 * gives ST_SYNTH_DEG_NONE. Returns ST_OK, or ST_ERR_ARG with a message
 * listing the valid names. */
int st_synth_parse_set(const char *kind, const char *csv, unsigned *bits,
                       st_error *err);

#ifdef __cplusplus
}
#endif

#endif
