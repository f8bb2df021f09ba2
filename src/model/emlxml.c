/* emlxml.c - parse an EML_NL file with libxml2 and walk its tree
 *
 * While a parse runs, libxml2's error handlers for this thread point at a
 * capture on the call's stack, so nothing is printed and the first error
 * (with its line) goes into the caller's st_error; the previous handlers
 * are put back before returning. The tree helpers compare namespace URI
 * and local name, so the prefixes a producer chose do not matter.
 */
#include "model/emlxml.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>

#include "util/text.h"

static void st_emlxml_trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

/* Keep the first error; warnings are dropped (the schemas produce none that
 * matter, and they must not be printed either). */
static void st_emlxml_on_error(void *ctx, xmlErrorPtr e)
{
    st_emlxml_capture *c = ctx;
    if (c->have || !e || e->level < XML_ERR_ERROR)
        return;
    c->have = 1;
    c->line = e->line;
    snprintf(c->file, sizeof c->file, "%s", e->file ? e->file : "");
    snprintf(c->msg, sizeof c->msg, "%s",
             e->message ? e->message : "unknown libxml2 error");
    st_emlxml_trim_end(c->msg);
}

/* A few libxml2 paths bypass the structured channel; swallow them, keeping
 * the text only if nothing better arrived. */
static void st_emlxml_on_generic(void *ctx, const char *fmt, ...)
{
    st_emlxml_capture *c = ctx;
    if (c->have)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    st_emlxml_trim_end(c->msg);
    c->have = c->msg[0] != '\0';
    c->line = 0;
}

/* libxml2 2.9 keeps these handlers per thread (Debian builds it with
 * threads), so this silences only the calling thread. */
void st_emlxml_quiet_begin(st_emlxml_capture *c)
{
    memset(c, 0, sizeof *c);
    c->old_serror = xmlStructuredError;
    c->old_sctx = xmlStructuredErrorContext;
    c->old_generic = xmlGenericError;
    c->old_gctx = xmlGenericErrorContext;
    xmlSetStructuredErrorFunc(c, st_emlxml_on_error);
    xmlSetGenericErrorFunc(c, st_emlxml_on_generic);
}

void st_emlxml_quiet_end(st_emlxml_capture *c)
{
    xmlSetStructuredErrorFunc(c->old_sctx, c->old_serror);
    xmlSetGenericErrorFunc(c->old_gctx, c->old_generic);
}

int st_emlxml_readable(const char *path, const char *who, st_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        char buf[128];
        return st_error_set(err, ST_ERR_IO, "%s: %s: cannot open: %s", who, path,
                            strerror_r(errno, buf, sizeof buf));
    }
    fclose(f);
    return ST_OK;
}

/* An EML_NL file never needs a document type, and a DOCTYPE is how
 * entities get in: an internal entity repeated thousands of times blows a
 * short file up to hundreds of megabytes when its text is read. So the
 * parse stops at the DOCTYPE, before its declarations are read, and
 * remembers the line (in the context's _private). */
static void st_emlxml_on_doctype(void *ctx, const xmlChar *name, const xmlChar *public_id,
                                 const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    int *line = ctxt->_private;
    (void)name, (void)public_id, (void)system_id;
    *line = xmlSAX2GetLineNumber(ctx);
    if (*line < 1)
        *line = 1;
    xmlStopParser(ctxt);
}

/* Refuse text or an attribute value that XML allows but stemtel does not
 * take from outside: DEL, C1 controls, U+FFFE/U+FFFF (util/text.h).
 * libxml2 has already refused invalid UTF-8 and C0 controls. */
static int st_emlxml_check_text(const xmlNode *n, const char *who, const char *name,
                                st_error *err)
{
    for (; n; n = n->next) {
        const xmlNode *owner = n->type == XML_ELEMENT_NODE ? n : n->parent;
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            const char *t = (const char *)n->content;
            size_t at;
            const char *why = t ? st_text_problem_xml(t, strlen(t), &at) : NULL;
            if (why)
                return st_error_set(err, ST_ERR_INVALID, "%s: %s: line %d: %s: %s",
                                    who, name, owner ? owner->line : n->line,
                                    owner ? (const char *)owner->name : "text", why);
        }
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (const xmlAttr *a = n->properties; a; a = a->next) {
            xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
            size_t at;
            const char *why = v ? st_text_problem_xml((const char *)v,
                                                      strlen((const char *)v), &at)
                                : NULL;
            xmlFree(v);
            if (why)
                return st_error_set(err, ST_ERR_INVALID, "%s: %s: line %d: %s/@%s: %s", who,
                                    name, n->line, n->name, a->name, why);
        }
        int rc = st_emlxml_check_text(n->children, who, name, err);
        if (rc)
            return rc;
    }
    return ST_OK;
}

/* Parse the file path, or the len bytes at buf when buf is not NULL
 * (name then stands for them in messages). */
static int st_emlxml_parse_any(const char *path, const char *buf, size_t len,
                               const char *who, xmlDocPtr *out, st_error *err)
{
    st_emlxml_capture cap;
    xmlParserCtxtPtr ctxt = NULL;
    int doctype_line = 0, rc = ST_OK;
    const int opts = XML_PARSE_NONET | XML_PARSE_BIG_LINES;
    *out = NULL;
    if (len > INT_MAX)
        return st_error_set(err, ST_ERR_UNSUPPORTED, "%s: %s: too large", who, path);
    st_emlxml_quiet_begin(&cap);
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        rc = st_error_set(err, ST_ERR_NOMEM, "%s: %s: out of memory", who, path);
        goto out;
    }
    ctxt->_private = &doctype_line;
    ctxt->sax->internalSubset = st_emlxml_on_doctype;
    *out = buf ? xmlCtxtReadMemory(ctxt, buf, (int)len, path, NULL, opts)
               : xmlCtxtReadFile(ctxt, path, NULL, opts);
    if (doctype_line) {
        xmlFreeDoc(*out);
        *out = NULL;
        rc = st_error_set(err, ST_ERR_PARSE,
                          "%s: %s: line %d: a DOCTYPE: EML_NL files have none, and "
                          "its entities are refused", who, path, doctype_line);
    } else if (!*out) {
        if (cap.have)
            rc = st_error_set(err, ST_ERR_PARSE,
                              "%s: %s: not well-formed XML: line %d: %s",
                              who, path, cap.line, cap.msg);
        else
            rc = st_error_set(err, ST_ERR_PARSE,
                              "%s: %s: could not be parsed as XML", who, path);
    } else if ((rc = st_emlxml_check_text((*out)->children, who, path, err))) {
        xmlFreeDoc(*out);
        *out = NULL;
    }
out:
    xmlFreeParserCtxt(ctxt);
    st_emlxml_quiet_end(&cap);
    return rc;
}

/* Entities are not substituted (no XML_PARSE_NOENT), a DOCTYPE is
 * refused, and nothing is fetched from the network. */
int st_emlxml_parse(const char *path, const char *who, xmlDocPtr *out, st_error *err)
{
    int rc = st_emlxml_readable(path, who, err);
    *out = NULL;
    return rc ? rc : st_emlxml_parse_any(path, NULL, 0, who, out, err);
}

int st_emlxml_parse_memory(const char *buf, size_t len, const char *name, const char *who,
                           xmlDocPtr *out, st_error *err)
{
    return st_emlxml_parse_any(name, buf, len, who, out, err);
}

int st_emlxml_is(const xmlNode *n, const char *ns, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *)n->ns->href, ns) == 0 &&
           strcmp((const char *)n->name, name) == 0;
}

xmlNode *st_emlxml_next(xmlNode *n, const char *ns, const char *name)
{
    for (; n; n = n->next)
        if (st_emlxml_is(n, ns, name))
            return n;
    return NULL;
}

xmlNode *st_emlxml_child(const xmlNode *parent, const char *ns, const char *name)
{
    return parent ? st_emlxml_next(parent->children, ns, name) : NULL;
}

int st_emlxml_count(const xmlNode *parent, const char *ns,
                          const char *name)
{
    int n = 0;
    for (xmlNode *c = st_emlxml_child(parent, ns, name); c;
         c = st_emlxml_next(c->next, ns, name))
        n++;
    return n;
}

char *st_emlxml_text(const xmlNode *n)
{
    xmlChar *raw = n ? xmlNodeGetContent(n) : NULL;
    const char *s = raw ? (const char *)raw : "";
    char *out = malloc(strlen(s) + 1);
    if (out) {
        size_t k = 0;
        int space = 0;
        for (; *s; s++) {
            if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
                space = k > 0;
                continue;
            }
            if (space)
                out[k++] = ' ';
            space = 0;
            out[k++] = *s;
        }
        out[k] = '\0';
    }
    xmlFree(raw);
    return out;
}

char *st_emlxml_child_text(const xmlNode *parent, const char *ns,
                        const char *name, int *nomem)
{
    xmlNode *c = st_emlxml_child(parent, ns, name);
    if (!c)
        return NULL;
    char *t = st_emlxml_text(c);
    if (!t) {
        *nomem = 1;
        return NULL;
    }
    if (!*t) {
        free(t);
        return NULL;
    }
    return t;
}

char *st_emlxml_attr(const xmlNode *n, const char *name, int *nomem)
{
    xmlChar *v = n ? xmlGetNoNsProp(n, (const xmlChar *)name) : NULL;
    if (!v)
        return NULL;
    char *s = strdup((const char *)v);
    xmlFree(v);
    if (!s)
        *nomem = 1;
    return s;
}
