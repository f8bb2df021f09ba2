/* verify.h - replay a store from its scans, as an auditor does
 *
 * Re-reads every stored page from its file, checks the file's SHA-256,
 * reads the page again with the store's model, and compares the outcome
 * and the whole ballots.jsonl record with what the store holds; then
 * re-applies the decisions and the stored possible rescans to the
 * replayed outcomes and compares that tally with the store's own, and
 * finds the possible rescans again from the replayed records (rescan.h).
 * Anything that differs is reported, ballot by ballot:
 *
 *   file missing     the page's file is gone or unreadable
 *   file changed     its bytes no longer hash to the stored SHA-256
 *   result changed   the page now reads differently from what is stored
 *                    (the stored outcome or record was altered, or the
 *                    software reads it differently), or the replay flags
 *                    it as a possible rescan otherwise than the store
 */
#ifndef STEMTEL_VERIFY_H
#define STEMTEL_VERIFY_H

#include <stdint.h>
#include <stdio.h>

#include "stemtel/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_verify_report {
    int64_t ballots;
    int64_t file_missing, file_changed, result_changed;
    int tally_differs;      /* replayed tally (decisions applied) != store's */
} st_verify_report;

/* Replay store s with `threads` threads (0 = OpenMP's default), writing
 * one line per difference to log (may be NULL), in store order. Fills
 * *rep; returns ST_OK whether or not differences were found (see rep), or
 * an error when the store cannot be read (ST_ERR_IO; ST_ERR_INVALID for a
 * stored outcome the model cannot hold) or memory runs out. What it
 * checks is one read of the store: safe while a scan adds to it. */
int st_verify(st_store *s, int threads, FILE *log, st_verify_report *rep,
              st_error *err);

#ifdef __cplusplus
}
#endif

#endif
