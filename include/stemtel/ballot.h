/* ballot.h - read one page: decode, register, score, interpret
 *
 * The per-page work of the pipeline as one pure function of (page bytes,
 * model, per-thread scratch), so the batch runner can run it on any thread
 * and commit results in input order.
 */
#ifndef STEMTEL_BALLOT_H
#define STEMTEL_BALLOT_H

#include "stemtel/decode.h"
#include "stemtel/interpret.h"
#include "stemtel/model.h"
#include "stemtel/register.h"
#include "stemtel/score.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Everything learnt about one page. Arrays have model->n_targets entries
 * (prints ST_PRINT_CELLS times that) and are owned by the struct (st_ballot_init / st_ballot_free). */
typedef struct st_ballot {
    int decoded;               /* pixels were read */
    st_page_info info;
    st_registration reg;
    int located;               /* boxes whose outline was found */
    st_box *boxes;
    st_box_place *places;
    st_writing writing;
    st_fold folds[ST_MAX_FOLDS]; /* folds found (st_folds_find), paper */
    int n_folds;
    double faint_base[2];      /* the page's faint level, list and number
                                  boxes (st_score_baseline) */
    uint8_t *prints;           /* ST_PRINT_CELLS per target: the print
                                  (st_score_print) of every box that is not
                                  EMPTY once the page is read; zeros for
                                  the others */
    st_outcome outcome;
    char message[640];         /* why a page was rejected, for people */
    /* Seconds spent per stage on this page (for the benchmark; not part
     * of any output, which must not depend on timing). */
    double t_decode, t_register, t_score, t_interpret;
} st_ballot;

/* Make b ready for pages of m: its per-box arrays sized for m's targets.
 * Returns ST_OK or ST_ERR_NOMEM (b then holds nothing to free). One
 * ballot is reused page after page by one thread at a time. */
int st_ballot_init(st_ballot *b, const st_model *m);
/* Free b's per-box arrays (not b itself) and set them to NULL. Accepts
 * NULL and a zeroed ballot. */
void st_ballot_free(st_ballot *b);

/* Per-thread working memory: the ink image and registration scratch. */
typedef struct st_reader st_reader;

/* A reader, or NULL when out of memory. Free with st_reader_free. */
st_reader *st_reader_new(void);
/* Free a reader. Accepts NULL. */
void st_reader_free(st_reader *r);

/* Read page `page` of the TIFF in bytes (name for messages) against m.
 * blank: the blank ballot's own scores (st_score_blank), or NULL.
 * Fills *b completely; a page that cannot be read or registered becomes a
 * REJECTED outcome with its reason and message, never an error. Returns
 * ST_OK, or ST_ERR_NOMEM for a failure of the machinery. Thread-safe with
 * one reader per thread. */
int st_ballot_read(const st_model *m, const double *blank, const void *bytes,
                   size_t len, const char *name, int page, st_reader *rd,
                   st_ballot *b);

/* The ink of the page rd last read into b, shrunk to about 50 dpi (dpi
 * set), or NULL when that page was not decoded. Borrowed from rd: valid
 * until rd reads again. For looking again at a page that is not a ballot
 * (a separator sheet) without decoding it twice. */
const st_image *st_reader_coarse(st_reader *rd, const st_ballot *b);

/* Record b as a rejected page (reason one of ST_REJECT_*, message for
 * people) without reading anything: for a file that cannot be opened. */
void st_ballot_reject(st_ballot *b, const st_model *m, const char *reason,
                      const char *message);

#ifdef __cplusplus
}
#endif

#endif
