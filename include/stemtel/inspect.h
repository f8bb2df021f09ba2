/* inspect.h - the geometry of a model for people and outside tools
 *
 * The JSON shape is a stable interface (documented in models/README.md):
 * additions are allowed, renames and removals bump "version".
 */
#ifndef STEMTEL_INSPECT_H
#define STEMTEL_INSPECT_H

#include "stemtel/error.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_INSPECT_VERSION 1

/* Describe every registration mark and target of m in mm and, when dpi > 0,
 * in pixels of the image st_render_grey(m, dpi) makes. Returns a malloc'd
 * JSON text ending in a newline (caller frees), or NULL with err set.
 * Thread-safe. */
char *st_inspect_json(const st_model *m, int dpi, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
