/* emlxml.h - parse an EML_NL file with libxml2 and walk its tree
 *
 * Every EML reader (230b and 110a in eml.c, 510b in eml510.c) parses
 * through here, so all of them refuse the same way: the file is checked
 * for reading first (the system's reason beats libxml2's), then parsed
 * with network access off and any DOCTYPE refused (so no entity is ever
 * declared, let alone expanded), libxml2's own
 * messages captured for the calling thread instead of printed. Elements
 * are matched by namespace URI and local name, never by prefix.
 *
 * Thread-safety: every function is thread-safe once xmlInitParser() has
 * run on the main thread (libxml2 2.9 does not initialise itself safely).
 */
#ifndef STEMTEL_MODEL_EMLXML_H
#define STEMTEL_MODEL_EMLXML_H

#include <stddef.h>

#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "stemtel/error.h"

/* Large enough for libxml2's messages, small enough to fit in st_error
 * beside a path. */
#define ST_EMLXML_MSG_MAX 300

/* What libxml2 said while a capture was on, and the handlers it displaced.
 * have is 1 once an error arrived; only the first is kept. */
typedef struct st_emlxml_capture {
    int have;
    int line;
    char file[ST_EMLXML_MSG_MAX];
    char msg[ST_EMLXML_MSG_MAX];
    xmlStructuredErrorFunc old_serror;
    void *old_sctx;
    xmlGenericErrorFunc old_generic;
    void *old_gctx;
} st_emlxml_capture;

/* Point this thread's libxml2 error handlers at c (cleared first), so
 * nothing is printed; st_emlxml_quiet_end puts the old ones back. Every
 * begin needs its end on the same thread. */
void st_emlxml_quiet_begin(st_emlxml_capture *c);
void st_emlxml_quiet_end(st_emlxml_capture *c);

/* ST_OK if path can be opened for reading, else ST_ERR_IO with
 * "<who>: <path>: cannot open: <reason>". */
int st_emlxml_readable(const char *path, const char *who, st_error *err);

/* Parse path into a tree: *out owns it (xmlFreeDoc). who prefixes the
 * messages ("eml", "basis", ...). Refuses an unreadable file (ST_ERR_IO),
 * XML that is not well-formed, with libxml2's first error and its line
 * (ST_ERR_PARSE: "<who>: <path>: not well-formed XML: line N: ..."), a
 * DOCTYPE, with its line (ST_ERR_PARSE: "<who>: <path>: line N: a
 * DOCTYPE: ..."), text or an attribute with a character util/text.h
 * refuses, with the element and its line (ST_ERR_INVALID), and
 * ST_ERR_NOMEM; *out is NULL then. Never touches the network. */
int st_emlxml_parse(const char *path, const char *who, xmlDocPtr *out, st_error *err);

/* As st_emlxml_parse for the len bytes at buf, which name stands for in
 * messages. */
int st_emlxml_parse_memory(const char *buf, size_t len, const char *name, const char *who,
                           xmlDocPtr *out, st_error *err);

/* 1 if n is an element ns:name. */
int st_emlxml_is(const xmlNode *n, const char *ns, const char *name);

/* n or the first sibling after it that is an element ns:name; NULL if
 * none. */
xmlNode *st_emlxml_next(xmlNode *n, const char *ns, const char *name);

/* The first child of parent (which may be NULL) named ns:name, or NULL. */
xmlNode *st_emlxml_child(const xmlNode *parent, const char *ns, const char *name);

/* How many children of parent are named ns:name. */
int st_emlxml_count(const xmlNode *parent, const char *ns, const char *name);

/* n's text with leading, trailing and repeated whitespace removed, as
 * xs:token does. malloc'd; "" for a NULL node; NULL only on no memory. */
char *st_emlxml_text(const xmlNode *n);

/* The text of parent's first child ns:name, or NULL when absent or
 * empty; *nomem is set when an allocation failed. malloc'd. */
char *st_emlxml_child_text(const xmlNode *parent, const char *ns, const char *name,
                           int *nomem);

/* n's attribute name (without namespace) as a malloc'd string; NULL when
 * absent, n is NULL, or out of memory (then *nomem is set). */
char *st_emlxml_attr(const xmlNode *n, const char *name, int *nomem);

#endif
