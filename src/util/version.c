/* version.c - which stemtel this is, at run time */
#include "stemtel/version.h"

const char *st_version(void) { return ST_VERSION_STRING; }
