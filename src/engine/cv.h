/* cv.h - the few OpenCV functions stemtel uses, behind a C API
 *
 * cv.cpp is the only C++ in stemtel. Every function catches every
 * C++ exception at this border and returns a status instead; no OpenCV type
 * appears here. Images are st_image (8-bit, 1 channel unless said).
 */
#ifndef STEMTEL_CV_H
#define STEMTEL_CV_H

#include "stemtel/error.h"
#include "stemtel/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Switch OpenCV's own thread pool off so it does not compete with our
 * OpenMP workers. Call once before any parallel work. */
void st_cv_single_threaded(void);

/* Least-squares affine transform mapping n >= 3 points src[i] to dst[i]
 * (x, y pairs): dst = [a b c; d e f] * [x y 1]. Writes a..f to m[6] and
 * the root-mean-square residual (in dst units) to *rms. Returns
 * ST_ERR_INVALID if the points are degenerate (collinear). Thread-safe. */
int st_cv_fit_affine(const double *src, const double *dst, int n, double m[6],
                     double *rms, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
