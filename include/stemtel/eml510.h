/* eml510.h - read an EML_NL 510b count: per polling station, what was counted
 *
 * A 510b (Kiesraad "Telling") holds, for each reporting unit (polling
 * station) of each contest, the votes per list and candidate and the
 * counts of blank, invalid and uncounted ballots. This reader hands out
 * those figures as the file states them, in document order, and leaves
 * their meaning to the caller: the basistelling import (basis.h) takes the
 * list totals and the N 10-2 figures, synth its candidate votes.
 *
 * Counts are whole numbers >= 0 written as digits only (XML whitespace
 * around them allowed, at most 15 digits); anything else, and an absent
 * element, is -1, for the caller to refuse or skip.
 *
 * Thread-safe for distinct results once xmlInitParser() has run on the
 * main thread.
 */
#ifndef STEMTEL_EML510_H
#define STEMTEL_EML510_H

#include <stdint.h>

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one child of a ReportingUnitVotes says. */
typedef enum st_eml510_kind {
    ST_EML510_LIST = 0,   /* a Selection with an AffiliationIdentifier */
    ST_EML510_CANDIDATE,  /* a Selection without: a candidate's votes */
    ST_EML510_CAST,       /* Cast: voters entitled to vote there */
    ST_EML510_TOTAL,      /* TotalCounted: valid votes */
    ST_EML510_REJECTED,   /* RejectedVotes (ReasonCode "blanco", "ongeldig") */
    ST_EML510_UNCOUNTED   /* UncountedVotes (ReasonCode "geldige stempassen", ...) */
} st_eml510_kind;

typedef struct st_eml510_item {
    st_eml510_kind kind;
    int line;            /* of the element in the file */
    const char *element; /* its local name: "Selection", "Cast", ... */
    int64_t list;        /* LIST: AffiliationIdentifier/@Id; -1 if not a count */
    int64_t candidate;   /* CANDIDATE: Candidate/CandidateIdentifier/@Id, or -1 */
    char *reason;        /* REJECTED, UNCOUNTED: ReasonCode, "" when absent */
    int64_t votes;       /* ValidVotes of a Selection, else the element's own
                            count; -1 when absent or not a count */
} st_eml510_item;

/* One ReportingUnitVotes. */
typedef struct st_eml510_unit {
    int contest;         /* 0-based place of its Contest in Contests */
    int line;
    char *id;            /* ReportingUnitIdentifier/@Id ("0668::SB1"), or NULL */
    char *name;          /* the identifier's text as written, NULL when empty */
    int n_items;
    st_eml510_item *items; /* the children above, in document order */
} st_eml510_unit;

typedef struct st_eml510 {
    char *election_id;   /* Count/Election/ElectionIdentifier/@Id, or NULL */
    int n_units;
    st_eml510_unit *units; /* every Contest's, in document order */
} st_eml510;

/* Read the 510b at path into a new *out (free with st_eml510_free). who
 * prefixes the messages ("basis", "synth"). Refuses, naming the file: one
 * that cannot be read (ST_ERR_IO), XML that is not well-formed with its
 * line (ST_ERR_PARSE), a root that is not an EML message of type 510,
 * saying what it is ("not an EML 510 count (EML 230b)",
 * ST_ERR_UNSUPPORTED); ST_ERR_NOMEM. Checks nothing beyond that: a file
 * without stations gives n_units 0. On failure *out is NULL. */
int st_eml510_read(const char *path, const char *who, st_eml510 **out, st_error *err);

/* Free c and all it holds. Accepts NULL. */
void st_eml510_free(st_eml510 *c);

#ifdef __cplusplus
}
#endif

#endif
