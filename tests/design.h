/* design.h - a printer's ballot proof unlike stemtel's own layout, for tests
 *
 * Drawn with cairo straight from a candidate list, never through stemtel's
 * layout or rendering code, so that `model from-pdf`, registration without
 * marks and `synth --background` meet a design they did not make: the
 * Ministry's model as a printer might set it (lists with number, logo and
 * name in columns in the top half, the numbers 1..N in a grid in the
 * bottom half, a heading and an instruction block, no corner marks).
 */
#ifndef STEMTEL_TEST_DESIGN_H
#define STEMTEL_TEST_DESIGN_H

#include "stemtel/model.h"

typedef enum td_shape {
    TD_SQUARE = 0,
    TD_ROUNDED = 1,   /* corners rounded with a 1.5 mm radius */
    TD_CIRCLE = 2
} td_shape;

typedef struct td_options {
    int portrait;     /* A3 portrait (297 x 420 mm), else landscape */
    td_shape shape;
    double box_mm;    /* the boxes' outer size; 0 = 8 mm */
    double line_mm;   /* outline width; 0 = 0.4 mm */
    int number_inside;/* numbers printed inside the box's left edge (the
                         box is then 1.6 times as wide), else left of it */
    int omit_list;    /* a list number whose box and name are left out */
    int omit_number;  /* a candidate number whose box is left out */
    int extra_box;    /* one more box, unlabelled, beside the instructions */
} td_options;

/* A box as drawn: the outer edge of its outline, in mm. kind and number as
 * in st_target (the extra box: kind ST_TARGET_NUMBER, number 0). */
typedef struct td_box {
    st_target_kind kind;
    int number;
    st_rect rect;
} td_box;

/* Draw the proof of the lists of m (as st_eml_read_candidates reads a
 * 230b) to the one-page PDF path. Writes the drawn boxes (malloc'd, list
 * boxes then numbers) to *boxes and their count to *n. Fails the test on
 * any cairo error. */
void td_design_pdf(const st_model *m, const td_options *o, const char *path,
                   td_box **boxes, int *n);

#endif
