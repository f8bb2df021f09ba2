/* doc.h - a printable document as a list of blocks, written as HTML or PDF
 *
 * A report lays out its content once, as headings, paragraphs, tables and
 * signature lines; the two writers put the same blocks on an HTML page
 * (self-contained, well-formed enough for an XML parser) or on A4 pages of
 * a PDF (cairo, DejaVu Sans through fontconfig). The layout code never
 * checks for memory: a failed allocation marks the document, and the
 * writers refuse it with ST_ERR_NOMEM.
 *
 * Threads: a document belongs to one thread at a time.
 */
#ifndef STEMTEL_REPORT_DOC_H
#define STEMTEL_REPORT_DOC_H

#include <stdio.h>

#include "stemtel/error.h"

typedef enum st_doc_kind {
    ST_DOC_TITLE,   /* the document's heading */
    ST_DOC_HEAD,    /* a part (a station, the municipality) */
    ST_DOC_SUBHEAD, /* a section of a part */
    ST_DOC_TEXT,    /* a paragraph */
    ST_DOC_NOTE,    /* a paragraph that needs attention */
    ST_DOC_TABLE,   /* cells row by row, the first row the heading */
    ST_DOC_SIGN,    /* a line to sign on, the text under it */
    ST_DOC_PAGE     /* what follows starts a new page */
} st_doc_kind;

typedef struct st_doc_block {
    st_doc_kind kind;
    char *text;         /* all but TABLE and PAGE */
    int cols, n_cells;  /* TABLE */
    char **cell;
    unsigned figures;   /* TABLE: bit c set: column c holds figures */
    unsigned space;     /* TABLE: bit c set: column c is room to write in */
} st_doc_block;

typedef struct st_doc {
    char *title;        /* for the HTML title and the PDF's metadata */
    int n, cap;
    st_doc_block *b;
    int nomem;          /* an allocation failed: the writers refuse */
} st_doc;

/* A new, empty document called title (copied). NULL on no memory.
 * Free with st_doc_free. */
st_doc *st_doc_new(const char *title);

/* Free d and all it holds. Accepts NULL. */
void st_doc_free(st_doc *d);

/* Append a block of kind k (not TABLE) whose text is fmt formatted;
 * for ST_DOC_PAGE fmt may be NULL. Text from outside is made valid UTF-8
 * without control characters (util/text.h) on the way in. */
void st_doc_add(st_doc *d, st_doc_kind k, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append a table of cols columns (at most 32) whose heading row is the
 * cols strings that follow; figures and space as in st_doc_block. */
void st_doc_table(st_doc *d, int cols, unsigned figures, unsigned space, ...);

/* Append one cell, fmt formatted, to the last table (rows fill left to
 * right). Ignored when the last block is not a table. */
void st_doc_cell(st_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write d as one HTML page to f. ST_OK; ST_ERR_NOMEM (d incomplete) or
 * ST_ERR_IO with err set, who naming the writer in the message. */
int st_doc_write_html(const st_doc *d, FILE *f, const char *who, st_error *err);

/* Write d as a PDF of A4 pages to f, its creation date date
 * ("YYYY-MM-DDTHH:MM:SSZ"; NULL or "" leaves cairo's own). Returns as
 * st_doc_write_html. */
int st_doc_write_pdf(const st_doc *d, FILE *f, const char *date, const char *who,
                     st_error *err);

#endif
