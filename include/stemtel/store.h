/* store.h - the record of one counting location's count (SQLite)
 *
 * One store file holds one election at one counting location: the model
 * the ballots were read with, every counting run (batch), every page (by
 * the SHA-256 of its file and its page index, so a page is never taken
 * twice), what the pipeline made of each page (its outcome, reasons and
 * its whole ballots.jsonl record with every box's score), the decisions
 * people took on ballots, and each polling station's own count (the
 * basistelling, basis.h).
 *
 * The file is SQLite in WAL mode with foreign keys on and its schema
 * version in PRAGMA user_version. Pages arrive a window at a time, each
 * window in one transaction with synchronous=FULL, so a process killed at
 * any moment (or a power cut) loses at most the window in flight, and
 * never leaves a page without its ballot.
 *
 * A sheet fed twice (a jam) is new bytes: every page taken under a
 * station is compared with the earlier pages counted under that station
 * (rescan.h), and one whose marks match an earlier page's is recorded as
 * a possible rescan of it, with the page, in the same transaction.
 *
 * The effective outcome of a ballot is its latest decision, if any, else
 * for a possible rescan a review ("possible_rescan", proposing what was
 * found), else what the pipeline found; a void decision sets the page
 * aside (in no figure). A ballot's station is the one its pages were counted under,
 * unless people moved that batch's pages to another (st_store_move_batch);
 * every query by station uses the station they are under now. Decisions
 * and moves are taken by registered members (st_store_member_add) and
 * never erased: a later one replaces an earlier in the result. Every tally read from the store counts effective
 * outcomes, so decisions are part of the result and are re-applied
 * identically every time.
 *
 * Threads: a handle belongs to one thread at a time (none of the functions
 * below may run on one handle from two threads at once). Several processes
 * may open the same file (SQLite's locking; writers wait up to 10 s).
 * Errors: functions returning int give ST_OK or a negative ST_ERR_* with
 * the message, prefixed "store: " and naming the file, in err; SQLite's
 * own failures are ST_ERR_IO.
 */
#ifndef STEMTEL_STORE_H
#define STEMTEL_STORE_H

#include <stdint.h>

#include "stemtel/decision.h"
#include "stemtel/error.h"
#include "stemtel/interpret.h"
#include "stemtel/model.h"
#include "stemtel/station.h"
#include "stemtel/tally.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_STORE_SCHEMA_VERSION 9

typedef struct st_store st_store;

/* One page as it is committed to the store. Everything is borrowed and
 * valid only during the call. record is the page's ballots.jsonl line
 * without its newline; station is NULL when none was given. The batch
 * runner hands its committed pages over in this shape (st_batch_page). */
typedef struct st_store_page {
    const char *file;
    int page;
    const char *sha256;     /* hex of the file's bytes, "" if unreadable */
    const char *station;
    const st_outcome *outcome;
    const char *record;
    const char *source;     /* the scanner or folder it came from as the
                             * scan names it ("folder1"), or NULL */
    int batch;              /* its separator sheet's batch number, 0: none */
} st_store_page;

/* Open the store at path for reading and writing. With m non-NULL the
 * file is created when missing (holding a copy of m), and an existing file
 * must hold the same model (the same JSON text) or it is refused with
 * ST_ERR_INVALID. With m NULL the file must exist and its own model is
 * used. A file that is not a stemtel store (an SQLite database with tables
 * but no stemtel marker, or no SQLite database at all) is refused, naming
 * the path, before anything is written to it: its journal mode and tables
 * stay as they were. A store of an older schema version gains the tables
 * of the later ones; one of a newer version is refused. A store that
 * cannot be written (a read-only file or medium) is refused saying so.
 * m and path are borrowed for the call. On success *out owns the handle
 * (st_store_close); it is written only then. Errors: ST_ERR_ARG (no path),
 * ST_ERR_IO (missing without m, cannot be opened, read or written, with
 * SQLite's own reason), ST_ERR_INVALID (not a stemtel store, damaged,
 * another model), ST_ERR_UNSUPPORTED (a newer schema version),
 * ST_ERR_NOMEM. */
int st_store_open(const char *path, const st_model *m, st_store **out,
                  st_error *err);

/* Open the existing store at path for reading only (SQLITE_OPEN_READONLY):
 * its own model is used and nothing of the file is changed, so the
 * reading commands work on read-only media and on a copy handed to an
 * auditor. A store in WAL mode whose -shm file SQLite cannot make (a
 * read-only folder, a full disk) is read as an immutable file when it has
 * no write-ahead log, which it then cannot need; with a -wal that SQLite
 * cannot read it is refused saying so. A store of an older schema version
 * is first brought to this version by an open for writing (refused, with
 * why, on read-only media). The handle's writing functions fail
 * (st_store_commit with ST_ERR_ARG, the others with ST_ERR_IO). Errors,
 * ownership and *out as for st_store_open. */
int st_store_open_readonly(const char *path, st_store **out, st_error *err);

/* Close a store, freeing everything it owns (its model included).
 * Accepts NULL. */
void st_store_close(st_store *s);

/* The model the store holds; owned by s, lives until st_store_close. */
const st_model *st_store_model(const st_store *s);

/* Record the start of a counting run (its station, or NULL, and a text
 * describing its inputs, or NULL; both borrowed for the call); later pages
 * belong to it. Returns ST_OK or ST_ERR_IO. */
int st_store_begin_batch(st_store *s, const char *station, const char *inputs,
                         st_error *err);

/* How many pages of the current counting run (since st_store_begin_batch)
 * the store flagged as possible rescans of earlier pages, into *n: a
 * count's own figures cannot show them, as they are found on commit.
 * ST_OK (0 before a run); ST_ERR_IO. */
int st_store_batch_rescans(st_store *s, int64_t *n, st_error *err);

/* Add a window of n pages (borrowed for the call), in order, in one
 * transaction. A page with a source is recorded with it, its batch and
 * the time of the commit (st_store_sources reads them back). A page whose (sha256, page) is already stored is left as it
 * is and counted in *skipped, which is written only on success. Every
 * page taken with a station and marked boxes is checked for a rescan of
 * an earlier page of that station (see above). A page whose station fails st_store_station_check refuses the window
 * (ST_ERR_INVALID naming the page and the station, nothing stored).
 * Returns ST_OK; ST_ERR_ARG before st_store_begin_batch; ST_ERR_IO, with
 * nothing of the window stored. Once its transaction is begun, stored or rolled
 * back, the pages st_store_seen claimed since the last commit are
 * forgotten. The batch runner's commit hook
 * (st_batch_commit_fn) calls this through an adapter that turns its ctx
 * into the store. */
int st_store_commit(st_store *s, const st_store_page *pages, int n, int *skipped,
                    st_error *err);

/* Nonzero when the page (file, its hash, page index; borrowed) is already
 * stored, or was asked about since the last st_store_commit and found not
 * stored (the same bytes twice in one window: the first is taken). It
 * cannot fail: an error reads as "not stored", which st_store_commit then
 * settles. The batch runner's seen hook (st_batch_seen_fn) calls this
 * through an adapter, as for st_store_commit. */
int st_store_seen(st_store *s, const char *file, const char *sha256, int page);

/* 1 when the store holds page `page` of the file (its path and hash, as
 * for st_store_seen; borrowed), or with page < 0 any page of it; 0 when
 * not; ST_ERR_IO with err set. Unlike st_store_seen it claims nothing, so
 * it may be asked at any time. */
int st_store_holds(st_store *s, const char *file, const char *sha256, int page,
                   st_error *err);

/* One stored ballot as read back. */
typedef struct st_store_ballot {
    int64_t id;             /* the page's id: what review refers to */
    char *file;             /* absolute path of the page's file when known */
    int page;
    char sha256[65];
    char *station;          /* the station it counts under now (after any
                               move); NULL for none */
    char *counted_station;  /* the station it was counted under (in its
                               record); NULL for none */
    int64_t batch;          /* the counting run that took it */
    st_outcome found;       /* what the pipeline made of it */
    int decided;            /* a person decided it ... */
    st_outcome decision;    /* ... as this (VOTE, BLANK or INVALID) */
    char *decided_by, *decided_at, *note;
    char *confirmed_by;     /* under four eyes, the second member who
                               confirmed the decision; NULL: none */
    char *confirmed_at;
    char *record;           /* the ballots.jsonl record (JSON) */
    int64_t rescan_of;      /* its marks match this earlier ballot's (its
                               id; 0: none): a possible rescan (rescan.h) */
    double rescan_similarity;
    st_outcome held;        /* with rescan_of: what counts until people
                               decide (st_rescan_held: REVIEW
                               "possible_rescan", proposing found) */
} st_store_ballot;

/* Free what a st_store_ballot owns (not the struct). Accepts NULL. */
void st_store_ballot_clear(st_store_ballot *b);

/* The outcome that counts: the decision if any, else for a possible
 * rescan its held review, else what was found. Points into b and lives as
 * long as b. */
const st_outcome *st_store_ballot_outcome(const st_store_ballot *b);

/* Which ballots st_store_each visits. */
typedef enum st_store_filter {
    ST_STORE_ALL = 0,
    ST_STORE_OPEN = 1,      /* review, rejected or a possible rescan, and
                               not decided */
    ST_STORE_OPEN_WARN = 2, /* of those, the rejected pages and possible
                               rescans: what the operator is warned of */
    ST_STORE_BRIEF = 4      /* added to one of the above: each ballot's
                               record is "" (a summary that does not need
                               it reads far less) */
} st_store_filter;

/* Move everything src owns into *dst (whose own contents are not freed)
 * and leave src empty. */
void st_store_ballot_move(st_store_ballot *dst, st_store_ballot *src);

/* Call fn for every ballot that passes filter, in id order (the order
 * they were stored). fn returns ST_OK to go on, anything else stops the
 * walk and is returned. The ballot passed to fn is valid during the call;
 * fn may keep it with st_store_ballot_move. Returns ST_OK after the last
 * ballot, fn's code when fn stopped the walk, or ST_ERR_IO. */
typedef int (*st_store_ballot_fn)(void *ctx, st_store_ballot *b);
int st_store_each(st_store *s, st_store_filter filter, st_store_ballot_fn fn,
                  void *ctx, st_error *err);

/* Call fn for the n ballots stored last (n >= 1; fewer when the store
 * holds fewer), in id order, as st_store_each does: for a screen that
 * shows the latest pages without walking the whole store. Returns as
 * st_store_each; ST_ERR_ARG for n < 1. */
int st_store_each_recent(st_store *s, int n, st_store_ballot_fn fn, void *ctx,
                         st_error *err);

/* A number that changes whenever another connection (a running scan, a
 * decision taken elsewhere) has committed to the store since this handle
 * last asked (SQLite's PRAGMA data_version): equal numbers mean nothing
 * was committed in between, so a reader may keep what it computed. A
 * handle's own writes do not change it. *out is written only on success.
 * ST_OK or ST_ERR_IO. */
int st_store_data_version(st_store *s, int64_t *out, st_error *err);

/* Read ballot id into *out, which then owns its strings (clear it with
 * st_store_ballot_clear) and is written only on success. ST_ERR_ARG with
 * a message when there is no such ballot; ST_ERR_IO. */
int st_store_get(st_store *s, int64_t id, st_store_ballot *out, st_error *err);

/* Decisions are written and read as text by decision.h
 * (st_decision_parse, st_decision_text), which this header includes. */

/* Record that member `by` decided ballot id as o (from st_decision_parse),
 * with an optional note, at the current UTC time; everything is borrowed
 * for the call. A later decision on the same ballot replaces the earlier
 * in the result; both stay in the record. Returns ST_OK; ST_ERR_ARG when
 * by is empty or not a registered member, o is not a vote, blank, invalid
 * or void, o needs a note (st_decision_needs_note) and has none, or there
 * is no ballot id; ST_ERR_IO. */
int st_store_decide(st_store *s, int64_t id, const st_outcome *o, const char *by,
                    const char *note, st_error *err);

/* Four eyes (vier ogen): member `by` proposes deciding ballot id as o,
 * with the same checks as st_store_decide. The proposal counts for
 * nothing (the ballot stays open, in review) until another member
 * confirms it with st_store_confirm; a later proposal replaces it, and a
 * decision taken meanwhile makes it moot. All borrowed. Returns as
 * st_store_decide. */
int st_store_propose(st_store *s, int64_t id, const st_outcome *o, const char *by,
                     const char *note, st_error *err);

/* Member `by` confirms the proposal waiting on ballot id: in one
 * transaction it becomes the ballot's decision, recorded with its
 * proposer and time as decided_by and decided_at, and by and now as
 * confirmed_by and confirmed_at. ST_OK; ST_ERR_ARG when nothing waits on
 * id, when by proposed it (a second, different member must confirm), or
 * by is not a member; ST_ERR_IO, with nothing recorded. */
int st_store_confirm(st_store *s, int64_t id, const char *by, st_error *err);

/* A proposal waiting for a second member. */
typedef struct st_store_proposal {
    int64_t ballot;
    st_outcome o;           /* as st_decision_text prints */
    const char *by, *at, *note; /* note NULL when none */
} st_store_proposal;

/* Call fn for every proposal still waiting (the latest on its ballot, not
 * confirmed, no decision since), in ballot order; only ballot id's when
 * id > 0. Strings are valid during the call; fn's nonzero return stops
 * the walk and is returned. ST_ERR_IO. */
typedef int (*st_store_proposal_fn)(void *ctx, const st_store_proposal *p);
int st_store_pending_each(st_store *s, int64_t id, st_store_proposal_fn fn, void *ctx,
                          st_error *err);

/* Void every page of batch `batch` now under `station` (NULL: under none)
 * in one transaction, as st_store_decide would one by one; o must be a
 * VOID outcome. Writes the pages voided to *n_pages. Returns ST_OK;
 * ST_ERR_ARG (o not void, by not a member, no such pages); ST_ERR_IO,
 * with nothing recorded. */
int st_store_decide_batch(st_store *s, int64_t batch, const char *station,
                          const st_outcome *o, const char *by, const char *note,
                          int *n_pages, st_error *err);

/* Move every page of batch `batch` now under `station` (NULL: none) to
 * station `to`, recorded with who, when and why; the pages' records keep
 * the station they were counted under. Writes the pages moved to
 * *n_pages. Returns ST_OK; ST_ERR_ARG (no target, the same station, by not
 * a member, no such pages); ST_ERR_IO, with nothing recorded. */
int st_store_move_batch(st_store *s, int64_t batch, const char *station, const char *to,
                        const char *by, const char *note, int *n_pages, st_error *err);

/* The pages of one counting run under one station, as people see them. */
typedef struct st_store_group {
    int64_t batch;
    const char *station;    /* now; NULL: none */
    int64_t pages, first_id, last_id, voided;
    const char *started;    /* the run's start, UTC */
    int moved;              /* some of its pages were moved here */
} st_store_group;

/* Call fn for every (batch, station) group of pages, in the order of
 * their first page; strings are valid during the call. fn returns ST_OK
 * to go on, anything else stops the walk and is returned. ST_ERR_IO. */
typedef int (*st_store_group_fn)(void *ctx, const st_store_group *g);
int st_store_batches_each(st_store *s, st_store_group_fn fn, void *ctx, st_error *err);

/* One entry of a ballot's history: a decision, or a move of its batch. */
typedef struct st_store_event {
    int move;               /* 1: a move to to_station; 0: a decision */
    int proposed;           /* a decision proposed under four eyes and not
                               confirmed (waiting, replaced or moot) */
    const char *confirmed_by, *confirmed_at; /* a decision's second member
                               under four eyes; NULL: none */
    st_outcome decision;    /* when a decision: as st_decision_text prints */
    const char *to_station;
    const char *by, *at, *note; /* note NULL when none */
} st_store_event;

/* Call fn for every decision on ballot id and every move of its pages, in
 * the order they were taken; strings are valid during the call. fn's
 * nonzero return stops the walk and is returned. ST_ERR_IO. */
typedef int (*st_store_event_fn)(void *ctx, const st_store_event *e);
int st_store_history(st_store *s, int64_t id, st_store_event_fn fn, void *ctx,
                     st_error *err);

/* Call fn once for each group of the decisions that count (the latest on
 * each page) that share the station the page counts under now (NULL for
 * none), the kind (VOTE, BLANK, INVALID or VOID), whether a vote was by a
 * list box alone, and the reason ("" for none), with the number of pages
 * in the group; groups in station, kind, reason order. Strings are valid
 * during the call; fn's nonzero return stops the walk and is returned.
 * Reads no ballot records, so it is cheap on a large store. ST_ERR_IO. */
typedef int (*st_store_decided_fn)(void *ctx, const char *station, st_outcome_kind kind,
                                   int party_only, const char *reason, int64_t n);
int st_store_decisions_each(st_store *s, st_store_decided_fn fn, void *ctx, st_error *err);

/* Register a member of the gemeentelijk stembureau: name (1 to 100 bytes,
 * no control characters, no space at either end) and role "voorzitter"
 * or "lid"; both borrowed. ST_OK; ST_ERR_ARG (a bad name or role, already
 * a member); ST_ERR_IO. */
int st_store_member_add(st_store *s, const char *name, const char *role, st_error *err);

/* The role of member name into role (the caller's, n bytes). ST_OK;
 * ST_ERR_ARG when there is no such member; ST_ERR_IO. */
int st_store_member_role(st_store *s, const char *name, char *role, size_t n,
                         st_error *err);

/* Set (or replace) member name's password: pw (8 to 256 bytes, borrowed)
 * is kept only as a salted PBKDF2-HMAC-SHA-256 hash with a high
 * iteration count (util/password.h), never as itself. ST_OK; ST_ERR_ARG
 * (no such member, a password too short or too long); ST_ERR_IO. Takes
 * about a quarter of a second on purpose. */
int st_store_member_passwd(st_store *s, const char *name, const char *pw, st_error *err);

/* Check member name's password pw (both borrowed). ST_OK when it matches;
 * ST_ERR_ARG "wrong name or password" alike for an unknown member, a
 * member without a password and a wrong one (each costing one hash, so
 * the time does not tell them apart); ST_ERR_IO. */
int st_store_member_login(st_store *s, const char *name, const char *pw, st_error *err);

/* Call fn for every member (voorzitter first, then in the order added);
 * strings valid during the call; fn's nonzero return stops the walk and
 * is returned. ST_ERR_IO. */
typedef int (*st_store_member_fn)(void *ctx, const char *name, const char *role,
                                  const char *added_at);
int st_store_members_each(st_store *s, st_store_member_fn fn, void *ctx, st_error *err);

/* Vier ogen as the store's rule: while it is on, a person's decision on
 * a ballot is only a proposal (st_store_propose) until a second member
 * confirms it; `review decide` and serve's desk follow it. */

/* Whether the rule is on now into *on (0 for a store where it was never
 * set). ST_OK; ST_ERR_IO. */
int st_store_four_eyes_get(st_store *s, int *on, st_error *err);

/* Switch the rule on (on != 0) or off, recorded with member by (borrowed)
 * and the current UTC time; every switch stays on record, and setting the
 * value the rule has already records nothing. ST_OK;
 * ST_ERR_ARG when by is empty, not a member, or a member whose role is
 * not voorzitter; ST_ERR_IO. */
int st_store_four_eyes_set(st_store *s, int on, const char *by, st_error *err);

/* One switch of the rule: to on or off, by whom, when (UTC). */
typedef struct st_store_rule_change {
    int on;
    const char *by, *at;
} st_store_rule_change;

/* Call fn for every switch of the rule, oldest first; strings are valid
 * during the call; fn's nonzero return stops the walk and is returned.
 * ST_ERR_IO. */
typedef int (*st_store_rule_fn)(void *ctx, const st_store_rule_change *c);
int st_store_four_eyes_each(st_store *s, st_store_rule_fn fn, void *ctx, st_error *err);

/* A new tally of the effective outcomes of every ballot of polling
 * station `station`; station NULL counts every ballot in the store.
 * On success *out is the caller's (st_tally_free). Returns ST_OK;
 * ST_ERR_NOMEM; ST_ERR_INVALID when a stored ballot does not fit the
 * model; ST_ERR_IO. */
int st_store_tally(st_store *s, const char *station, st_tally **out,
                   st_error *err);

/* Every station id the store knows (from pages, basistelling or the
 * station list), sorted
 * with their numbers in numeric order (SB2 before SB10). *out is a
 * malloc'd array of *n malloc'd strings, the caller's, written only on
 * success; free with st_store_strings_free. Returns ST_OK, ST_ERR_NOMEM
 * or ST_ERR_IO. */
int st_store_stations(st_store *s, char ***out, int *n, st_error *err);

/* Replace the store's list of polling stations by l (station.h), read
 * from source (named in messages and kept with each row), in one
 * transaction. Refuses (ST_ERR_INVALID, nothing changed) a station of
 * another municipality than the model's, and a list that leaves out a
 * station which already has ballots, a basistelling or a move; ST_ERR_ARG
 * for an empty list; ST_ERR_IO. */
int st_store_stations_import(st_store *s, const st_station_list *l, const char *source,
                             st_error *err);

/* Check station id as it enters the store (count --station, a separator
 * sheet, a basistelling row, a move): once a station list is imported it
 * must be on it, before that it must have the form EML uses
 * (st_station_id_check). ST_OK; ST_ERR_ARG naming id and why; ST_ERR_IO. */
int st_store_station_check(st_store *s, const char *id, st_error *err);

/* Call fn for every listed station in the list's order; d and its strings
 * are valid during the call. fn's nonzero return stops the walk and is
 * returned. ST_ERR_IO. */
typedef int (*st_store_station_fn)(void *ctx, const st_station_def *d);
int st_store_stations_listed(st_store *s, st_store_station_fn fn, void *ctx, st_error *err);

/* Free n strings and the array holding them. Accepts NULL. */
void st_store_strings_free(char **v, int n);

/* Counts of pages: total, counted without a station, open (review or
 * rejected, undecided) in `station` (NULL: all), rejected undecided.
 * st_store_counts_get fills *out (written only on success); ST_OK or
 * ST_ERR_IO. */
typedef struct st_store_counts {
    int64_t pages, no_station, open_review, open_rejected;
} st_store_counts;
int st_store_counts_get(st_store *s, const char *station, st_store_counts *out,
                        st_error *err);

/* The UTC time ("YYYY-MM-DDTHH:MM:SSZ") of the latest batch or decision,
 * "" for an empty store: a date for files made from the store that does
 * not change unless the store does. buf (the caller's) holds at least 32
 * bytes and is written only on success. ST_OK or ST_ERR_IO. */
int st_store_last_change(st_store *s, char *buf, size_t n, st_error *err);

/* One source (scanner or hot folder) of the latest counting run, as
 * st_store_sources reads it: what `stemtel scan` recorded with its pages. */
typedef struct st_store_source {
    char name[32];              /* "folder1", "sane2": as the scan names it */
    char input[256];            /* what it was given ("folder:/srv/scan1"),
                                 * cut short if longer */
    int64_t pages;              /* its pages stored in the run */
    int64_t recent;             /* of which taken in the last `window` s */
    double first_at, last_at;   /* Unix time of its first and latest page's
                                 * commit; 0 when it has none */
    char station[64];           /* its latest page's station, "" for none */
    int batch;                  /* that page's sheet batch, 0 for none */
    int64_t last_id;            /* that page's id, 0 for none */
    char last_file[256];        /* its file's name without the folder */
    int last_page;              /* its page index in the file */
} st_store_source;

/* The sources of the store's latest counting run (st_store_begin_batch),
 * in the order they were given, each with its pages so far; recent counts
 * the pages committed after now - window (Unix time, seconds). A run of
 * `stemtel count` (no sources) gives none. *out (malloc'd, st_store_sources_free)
 * and *n are written only on success. ST_OK, ST_ERR_NOMEM or ST_ERR_IO. */
int st_store_sources(st_store *s, double now, double window, st_store_source **out, int *n,
                     st_error *err);

/* Free what st_store_sources gave. Accepts NULL. */
void st_store_sources_free(st_store_source *v);

#ifdef __cplusplus
}
#endif

#endif
