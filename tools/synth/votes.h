/* votes.h - the ballots one station of a 510b count stands for
 */
#ifndef STEMTEL_SYNTH_VOTES_H
#define STEMTEL_SYNTH_VOTES_H

#include "synth/plan.h"

/* Read station's votes from the EML 510b at path: one FORCE_VOTE per
 * candidate vote, then the blank and invalid ballots, shuffled with
 * stream (seed, ~0, 7). *out (free) and *n_out on success; ST_ERR_IO,
 * ST_ERR_PARSE, ST_ERR_INVALID (naming the file) or ST_ERR_NOMEM. */
int st_synth_votes_load(const job *j, const char *path, const char *station,
                        force **out, int *n_out, st_error *err);

#endif
