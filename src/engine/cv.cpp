/* cv.cpp - the C border around OpenCV
 *
 * Each function calls OpenCV and turns any exception into ST_ERR_* with
 * OpenCV's message. Nothing here keeps state between calls. (Blobs are
 * found in blobs.c: OpenCV's labelling visited every paper pixel.)
 */
#include "engine/cv.h"

#include <opencv2/core.hpp>

#include <cstring>
#include <exception>

extern "C" void st_cv_single_threaded(void)
{
    try {
        cv::setNumThreads(0);
    } catch (...) {
    }
}

extern "C" int st_cv_fit_affine(const double *src, const double *dst, int n,
                                double m[6], double *rms, st_error *err)
{
    if (n < 3)
        return st_error_set(err, ST_ERR_INVALID, "cv: an affine fit needs 3 points, got %d", n);
    try {
        /* Solve A * [a b c]^T = x', A * [d e f]^T = y' in the least-squares
         * sense, with A rows [x y 1]. SVD copes with near-degenerate sets
         * and we check the conditioning ourselves. */
        cv::Mat A(n, 3, CV_64F), bx(n, 1, CV_64F), by(n, 1, CV_64F), px, py;
        for (int i = 0; i < n; i++) {
            A.at<double>(i, 0) = src[2 * i];
            A.at<double>(i, 1) = src[2 * i + 1];
            A.at<double>(i, 2) = 1.0;
            bx.at<double>(i) = dst[2 * i];
            by.at<double>(i) = dst[2 * i + 1];
        }
        cv::Mat w;
        cv::SVD::compute(A, w);
        if (w.at<double>(2) < 1e-6 * w.at<double>(0))
            return st_error_set(err, ST_ERR_INVALID, "cv: the points are collinear");
        cv::solve(A, bx, px, cv::DECOMP_SVD);
        cv::solve(A, by, py, cv::DECOMP_SVD);
        for (int i = 0; i < 3; i++) {
            m[i] = px.at<double>(i);
            m[3 + i] = py.at<double>(i);
        }
        double ss = 0;
        for (int i = 0; i < n; i++) {
            double x = src[2 * i], y = src[2 * i + 1];
            double ex = m[0] * x + m[1] * y + m[2] - dst[2 * i];
            double ey = m[3] * x + m[4] * y + m[5] - dst[2 * i + 1];
            ss += ex * ex + ey * ey;
        }
        *rms = std::sqrt(ss / n);
    } catch (const std::exception &e) {
        return st_error_set(err, ST_ERR_INVALID, "cv: affine fit: %s", e.what());
    } catch (...) {
        return st_error_set(err, ST_ERR_INVALID, "cv: affine fit failed");
    }
    return ST_OK;
}
