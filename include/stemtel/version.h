/* version.h - which stemtel this is
 *
 * The macros give the version a program was compiled against;
 * st_version() the one it runs with.
 */
#ifndef STEMTEL_VERSION_H
#define STEMTEL_VERSION_H

#define ST_VERSION_MAJOR 0
#define ST_VERSION_MINOR 1
#define ST_VERSION_PATCH 0
#define ST_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version as "MAJOR.MINOR.PATCH"; a static string.
 * Thread-safe. */
const char *st_version(void);

#ifdef __cplusplus
}
#endif

#endif
