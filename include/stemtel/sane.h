/* sane.h - read pages from a real scanner through SANE
 *
 * A thin layer over libsane: open a device by its SANE name (as
 * `scanimage -L` lists them, e.g. "fujitsu:fi-7160:12345", or "test" for
 * SANE's own test device), set resolution, mode and paper source, then
 * take the pages of the document feeder one by one as in-memory images
 * until the feeder is empty. Any other device option can be set by name
 * ("page-width=297"). 16-bit samples keep their high byte; 1-bit pages
 * become 0/255.
 *
 * SANE itself is process-wide: call st_sane_init once before anything
 * else here and st_sane_exit once at the end. A scanner belongs to one
 * thread at a time.
 */
#ifndef STEMTEL_SANE_H
#define STEMTEL_SANE_H

#include "stemtel/error.h"
#include "stemtel/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_sane st_sane;

typedef struct st_sane_opts {
    int dpi;                   /* 0: the device's current setting */
    const char *mode;          /* "gray", "color", "lineart", or NULL */
    const char *source;        /* "adf", "duplex", "flatbed", a device's own
                                  source name, or NULL */
    const char *const *extra;  /* NULL-terminated "name=value" options */
} st_sane_opts;

/* Start SANE for this process. Returns ST_OK or ST_ERR_IO. */
int st_sane_init(st_error *err);

/* Stop SANE; every st_sane must be closed first. */
void st_sane_exit(void);

/* Open device and apply opts (NULL = none): mode first (it can change
 * what else is offered), then dpi, source and extra. Returns ST_OK and *out (st_sane_close);
 * ST_ERR_IO when the device cannot be opened (SANE's reason in the
 * message); ST_ERR_ARG naming an option the device does not have or a
 * value it refuses (with the values it offers, where it lists them);
 * ST_ERR_NOMEM. */
int st_sane_open(const char *device, const st_sane_opts *opts, st_sane **out,
                 st_error *err);

/* Scan the next page. Returns 1 with *page (the caller's, st_image_free;
 * dpi set from the device), 0 when the feeder is empty (for a flatbed:
 * never, each call scans again), or an error: ST_ERR_IO with the device's
 * reason (paper jam, cover open, I/O error...), ST_ERR_UNSUPPORTED for a
 * frame this code does not read (three-pass colour), ST_ERR_NOMEM. */
int st_sane_next(st_sane *s, st_image **page, st_error *err);

/* Close the device. Accepts NULL. */
void st_sane_close(st_sane *s);

#ifdef __cplusplus
}
#endif

#endif
