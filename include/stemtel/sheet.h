/* sheet.h - batch separator sheets: print them, recognise them, split a stack
 *
 * A separator sheet goes on top of each polling station's stack of ballots.
 * It carries a QR code with a short versioned text,
 *
 *     STEMTEL-SHEET/1 station=0668::SB1 batch=3 election=GR2022
 *
 * (batch and election optional), and the station in large print for people.
 * The pipeline asks st_sheet_detect whether a page is such a sheet; the
 * pages after a sheet belong to its station until the next sheet
 * (st_sheet_assign). A page is a sheet only when it carries a QR code whose
 * text starts with "STEMTEL-SHEET/": a ballot, or a page with any other
 * code, never is.
 */
#ifndef STEMTEL_SHEET_H
#define STEMTEL_SHEET_H

#include <cairo.h>
#include <stddef.h>

#include "stemtel/error.h"
#include "stemtel/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Text that starts every sheet's code, and the version this code writes. */
#define ST_SHEET_MAGIC "STEMTEL-SHEET/"
#define ST_SHEET_VERSION 1
/* Longest station or election id, plus the NUL. */
#define ST_SHEET_ID_MAX 64
#define ST_SHEET_BATCH_MAX 999999
/* Room for any version-1 payload and its NUL. */
#define ST_SHEET_PAYLOAD_MAX 192
/* The printed sheet: A4 portrait, in mm. */
#define ST_SHEET_W_MM 210.0
#define ST_SHEET_H_MM 297.0

typedef struct st_sheet {
    char station[ST_SHEET_ID_MAX];  /* e.g. "0668::SB1"; never empty */
    int batch;                      /* 1..ST_SHEET_BATCH_MAX, 0 = none */
    char election[ST_SHEET_ID_MAX]; /* e.g. "GR2022"; "" = none */
    char name[96];                  /* the station's name, printed under
                                       its id only (not in the code);
                                       "" = none */
} st_sheet;

/* Fill *out from its parts after checking them: station and election
 * (election may be NULL or "") are 1..63 characters of letters, digits and
 * ": . _ -"; batch is 0 (none) or 1..ST_SHEET_BATCH_MAX. Returns ST_OK, or
 * ST_ERR_ARG with a message naming the bad part (*out untouched).
 * Thread-safe. */
int st_sheet_make(const char *station, int batch, const char *election,
                  st_sheet *out, st_error *err);

/* Write the code text of s into buf (cap bytes, ST_SHEET_PAYLOAD_MAX is
 * always enough). Returns ST_OK, or ST_ERR_ARG when s does not pass the
 * checks of st_sheet_make or buf is too small. Thread-safe. */
int st_sheet_payload(const st_sheet *s, char *buf, size_t cap, st_error *err);

/* Parse a code's text. Returns ST_OK and *out; ST_ERR_PARSE when the text
 * is not a separator sheet's at all (no ST_SHEET_MAGIC at its start) or is
 * damaged (unknown or repeated field, bad value, no station);
 * ST_ERR_UNSUPPORTED for a sheet of a later version. Messages quote the
 * text. Thread-safe. */
int st_sheet_parse(const char *text, st_sheet *out, st_error *err);

/* Draw a QR code (error correction level Q: a quarter of it may be
 * scribbled over) of text as black squares on cr, its top-left corner at
 * (x, y) and side `side`, in cr's user units; the quiet zone around it is
 * the caller's to keep white. Returns ST_OK, ST_ERR_ARG (text too long for
 * a QR code) or ST_ERR_NOMEM. Thread-safe for distinct contexts. */
int st_sheet_draw_code(cairo_t *cr, const char *text, double x, double y,
                       double side, st_error *err);

/* Paint the whole sheet on cr, whose user space must be mm with the origin
 * at the top-left of an ST_SHEET_W_MM x ST_SHEET_H_MM page: white paper,
 * a heading, the station in large print, batch and election, and the QR
 * code in the middle. Returns ST_OK or ST_ERR_ARG/ST_ERR_INVALID (s fails
 * its checks, or cairo reports an error). Thread-safe for distinct
 * contexts. */
int st_sheet_draw(const st_sheet *s, cairo_t *cr, st_error *err);

/* Render the sheet as an 8-bit grey image (paper 255) at dpi (150..600).
 * *out is the caller's (st_image_free). Returns ST_OK, ST_ERR_ARG or
 * ST_ERR_NOMEM. Thread-safe. */
int st_sheet_render(const st_sheet *s, int dpi, st_image **out, st_error *err);

/* Write the sheet to path, the type chosen by the extension: ".pdf" a
 * vector PDF (dpi ignored), ".png" or ".tif"/".tiff" a grey raster at dpi.
 * Returns ST_OK, ST_ERR_ARG (unknown extension, bad dpi, bad sheet) or
 * ST_ERR_IO naming the path. */
int st_sheet_render_file(const st_sheet *s, const char *path, int dpi,
                         st_error *err);

/* Write n sheets (n >= 1) as one vector PDF of n A4 pages, in order, to
 * path: the sheets of every station to print at once. Errors name the
 * path; a bad sheet gives ST_ERR_ARG naming it. */
int st_sheet_render_pdf(const st_sheet *v, int n, const char *path, st_error *err);

/* How st_sheet_detect should read img's pixels. */
typedef enum st_sheet_pixels {
    ST_SHEET_GREY = 0, /* 1 channel, 0 = black, 255 = paper; or 3 channels RGB */
    ST_SHEET_INK = 1   /* 1 channel ink as decode.h makes it: 0 = paper */
} st_sheet_pixels;

/* Look for a separator sheet's code on a page. img is a whole page at
 * img->dpi (0 = unknown: guessed from its size), in the pixels `kind`
 * says, 1 channel (grey, ink or bilevel 0/255) or 3 (RGB). A page above
 * about 90 dpi is first reduced to about 60 dpi (block mean), so a
 * shrunken copy the caller already has (registration's ~50 dpi ink) may
 * be passed as it is. The code may lie at any rotation, upside down
 * included. Cost: a tenth to a quarter of decoding the same page (12 to
 * 20 ms for a 200-300 dpi ballot; the reduction is a full pass over the
 * pixels); a few ms for a page already at 50 to 60 dpi.
 * Returns ST_OK with *found = 1 and *out filled when the page is a sheet,
 * *found = 0 (out untouched) when it is not; or an error when the page
 * carries a separator-sheet code that cannot be used, so that the caller
 * stops rather than guess which station follows: ST_ERR_PARSE or
 * ST_ERR_UNSUPPORTED (st_sheet_parse's message), ST_ERR_INVALID (two
 * sheet codes that disagree); also ST_ERR_ARG or ST_ERR_NOMEM.
 * Thread-safe: each call has its own zbar scanner. */
int st_sheet_detect(const st_image *img, st_sheet_pixels kind, int *found,
                    st_sheet *out, st_error *err);

/* Where a page of a stack belongs, from st_sheet_assign. */
typedef struct st_sheet_slot {
    int sheet;           /* index of the sheet page in force, -1 if none */
    const char *station; /* that sheet's station, else the default; NULL =
                            unassigned (no sheet yet and no default) */
    int batch;           /* that sheet's batch, 0 if none */
} st_sheet_slot;

/* What the sheets of one stack (one scanner or source) have said so far
 * about the pages after them. Zero it before the stack's first page. */
typedef struct st_sheet_state {
    int have_sheet;      /* a good sheet was seen */
    int lost;            /* the last sheet-like page was unusable */
    char station[ST_SHEET_ID_MAX]; /* the last good sheet's station */
    int batch;           /* and its batch */
} st_sheet_state;

/* The next page of a stack, in order: kind 1 for a sheet (s its content),
 * -1 for a page carrying a sheet code that cannot be used, 0 for any
 * other page (s unused, may be NULL). Fills *out with where the page
 * belongs: a sheet names itself; a page after an unusable sheet is
 * unassigned (station NULL) until the next good sheet, for the stack's
 * owner never guesses; a page after a good sheet takes that sheet's
 * station and batch; a page before any sheet takes default_station and
 * default_batch (default_station may be NULL: unassigned). out->sheet is
 * left -1: the caller knows its pages' indices. out->station points into
 * *st or at default_station, so copy it before the next step. Pure apart
 * from *st and *out; thread-safe for distinct states. */
void st_sheet_step(st_sheet_state *st, int kind, const st_sheet *s,
                   const char *default_station, int default_batch, st_sheet_slot *out);

/* Split a stack: pages[i] is the sheet page i carries (from
 * st_sheet_detect) or NULL for any other page. Every page gets the
 * station of the last sheet at or before it; pages before the first sheet
 * get default_station (may be NULL: they are then unassigned). A sheet
 * page's own slot names itself. Station pointers point into pages[] or
 * at default_station, so they live as long as those do. Returns the
 * number of non-sheet pages left unassigned. The same rule as
 * st_sheet_step, which it runs page by page. Pure and thread-safe. */
int st_sheet_assign(const st_sheet *const *pages, int n,
                    const char *default_station, st_sheet_slot *out);

#ifdef __cplusplus
}
#endif

#endif
