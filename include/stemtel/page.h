/* page.h - read one page as the counter does, and its ballots.jsonl record
 *
 * What `count`, `scan` and `verify` do with one page, in one place so the
 * three cannot drift apart: read the ballot (ballot.h), and when the page
 * was rejected after decoding, look whether it is a separator sheet
 * (sheet.h) in the shrunken ink the reader already holds. The record is
 * the line ballots.jsonl and the store keep for a ballot.
 */
#ifndef STEMTEL_PAGE_H
#define STEMTEL_PAGE_H

#include <stddef.h>
#include <stdio.h>

#include "stemtel/ballot.h"
#include "stemtel/model.h"
#include "stemtel/sheet.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reason of a page that carries a separator-sheet code that cannot be
 * used (damaged, a later version, two codes that disagree). */
#define ST_REJECT_BAD_SHEET "separator_sheet_unusable"

/* Read page `page` of the file whose len bytes are at bytes (named name in
 * messages): st_ballot_read, then, for a page rejected after decoding, a
 * look for a separator sheet in the reader's shrunken ink
 * (st_reader_coarse). blank holds the printed ballot's own box scores
 * (st_score_blank). *is_sheet: 1 when the page is a sheet (*sheet
 * filled), -1 when it carries a sheet code that cannot be used (b then
 * says rejected, ST_REJECT_BAD_SHEET, with the reason in b->message),
 * else 0. A page that cannot be read is a rejected ballot, not an error.
 * Returns ST_OK or ST_ERR_NOMEM. Thread-safe with one reader and one
 * ballot per thread. */
int st_page_read(const st_model *m, const double *blank, const void *bytes, size_t len,
                 const char *name, int page, st_reader *rd, st_ballot *b,
                 st_sheet *sheet, int *is_sheet);

/* Write the ballots.jsonl line of ballot b (page `page` of the file at
 * path, whose bytes hash to sha256; station NULL for none) to f, newline
 * included. Numbers that are not finite are written as null. Write errors
 * are left in f's error flag. Thread-safe for distinct streams. */
void st_page_write_record(FILE *f, const st_model *m, const char *station,
                          const char *path, const char *sha256, int page,
                          const st_ballot *b);

/* The same record as a malloc'd string without its newline: the text
 * `count` writes and a store keeps. The caller frees it; NULL on no
 * memory. Thread-safe. */
char *st_page_record(const st_model *m, const char *station, const char *path,
                     const char *sha256, int page, const st_ballot *b);

/* A box's print (st_score_print) as the record writes it: two lowercase
 * hex digits per cell, row by row, into hex (2 * ST_PRINT_CELLS + 1
 * bytes, the caller's, terminated). Pure. */
void st_page_print_hex(const uint8_t *print, char *hex);

#ifdef __cplusplus
}
#endif

#endif
