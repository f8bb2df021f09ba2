/* cv.cpp - the C border around OpenCV
 *
 * Each function wraps our st_image buffers in cv::Mat headers (no copy),
 * calls OpenCV, and turns any exception into ST_ERR_* with OpenCV's message.
 * Nothing here keeps state between calls.
 */
#include "stemtel/cv.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>
#include <exception>

static cv::Mat st_cv_wrap(const st_image *img)
{
    return cv::Mat(img->h, img->w, img->channels == 3 ? CV_8UC3 : CV_8UC1,
                   const_cast<uint8_t *>(img->px), img->stride);
}

extern "C" void st_cv_single_threaded(void)
{
    try {
        cv::setNumThreads(0);
    } catch (...) {
    }
}

extern "C" int st_cv_blobs(const st_image *img, int threshold, int min_area,
                           int max_area, st_blob *blobs, int max_blobs, int *n,
                           st_error *err)
{
    try {
        cv::Mat s = st_cv_wrap(img), bin, labels, stats, cent;
        cv::threshold(s, bin, threshold - 1, 255, cv::THRESH_BINARY);
        int count = cv::connectedComponentsWithStats(bin, labels, stats, cent, 8, CV_32S);
        int k = 0;
        for (int i = 1; i < count && k < max_blobs; i++) {
            int area = stats.at<int>(i, cv::CC_STAT_AREA);
            if (area < min_area || area > max_area)
                continue;
            st_blob *b = &blobs[k++];
            b->x = stats.at<int>(i, cv::CC_STAT_LEFT);
            b->y = stats.at<int>(i, cv::CC_STAT_TOP);
            b->w = stats.at<int>(i, cv::CC_STAT_WIDTH);
            b->h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
            b->area = area;
            /* OpenCV's centroid is in pixel-index units; ours put pixel
             * (i, j) at [i, i+1), so its centre is i + 0.5. */
            b->cx = cent.at<double>(i, 0) + 0.5;
            b->cy = cent.at<double>(i, 1) + 0.5;
        }
        *n = k;
    } catch (const std::exception &e) {
        return st_error_set(err, ST_ERR_INVALID, "cv: blobs: %s", e.what());
    } catch (...) {
        return st_error_set(err, ST_ERR_INVALID, "cv: blobs failed");
    }
    return ST_OK;
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
