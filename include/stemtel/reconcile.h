/* reconcile.h - the scanned count beside each polling station's own count
 *
 * For every polling station the store knows, this puts what we counted
 * (decisions applied) beside the station's basistelling (basis.h) and
 * makes the record the gemeentelijk stembureau keeps in Model Na 31-2,
 * Bijlage 1, with the Kiesraad's checks:
 *
 * Errors in the basistelling (the station's figures cannot be right):
 * F201-F204 and F305-F310 of checks.h, as Abacus numbers them (the form as
 * we take it records no D/H box and no GSB answers, so F301-F304 and
 * F101-F112 are not run on it). Errors in the candidate-level figures,
 * which only our count has (they hold by construction; a store altered by
 * hand can break them): F401, F402. Warnings on our count (H, F, G ours;
 * D the station's): W201-W204. Each with its Dutch text (checks.h).
 *
 * The Bijlage 1 record: whether the station's D/H difference was
 * explained (if not: recount the admitted voters); our votes per
 * candidate; our H against the station's H (if they differ: recount the
 * admitted voters); every list whose total differs (station, ours,
 * difference); and the new A..J: A..D the station's, E..H ours, I and J
 * from D and our H.
 *
 * Void pages (people set them aside: a rescan, not a ballot) are in no
 * figure; each station lists how many, by reason.
 *
 * Every station has a state: not_started, in_review,
 * waiting_for_basistelling, differences or reconciled (and not_listed for
 * one the station list does not hold). Once the municipality's station
 * list is imported every listed station is in the report, counted or not.
 *
 * What blocks a final result: ballots waiting for review, rejected pages
 * not yet decided, a station with ballots but no basistelling, a station
 * with a basistelling (H > 0) but no ballots counted, a listed station
 * with neither ballots nor a basistelling, a station not on the list,
 * ballots counted without a station.
 *
 * The report is plain data; the writers print it as text or JSON, and as
 * the record to sign (Na 31-2 Bijlage 1 in Dutch, with the GSB's
 * decisions by kind, the municipality's totals, the members' signature
 * lines and the exported 510b's SHA-256) on one self-contained HTML page
 * or in a PDF. The same store gives the same bytes.
 */
#ifndef STEMTEL_RECONCILE_H
#define STEMTEL_RECONCILE_H

#include <stdint.h>
#include <stdio.h>

#include "stemtel/basis.h"
#include "stemtel/checks.h"
#include "stemtel/store.h"
#include "stemtel/tally.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A check that fired: its code and its Dutch text, figures included. */
typedef st_check st_recon_check;

/* A list whose total differs between station and us. */
typedef struct st_recon_diff {
    int list;
    int64_t station, ours;
} st_recon_diff;

/* Where a station stands (st_recon_station.state), in the order a
 * station moves through them. */
#define ST_RECON_NOT_STARTED "not_started"   /* no ballots counted yet */
#define ST_RECON_IN_REVIEW "in_review"       /* ballots or rejected pages open */
#define ST_RECON_WAITING "waiting_for_basistelling" /* counted, no N 10-2 */
#define ST_RECON_DIFFERENCES "differences"   /* H, a list or an F check differs */
#define ST_RECON_RECONCILED "reconciled"     /* everything agrees */
#define ST_RECON_NOT_LISTED "not_listed"     /* not on the station list */

/* The GSB's decisions that count (the latest on each page), by kind:
 * votes (of which by a list box alone), blank, invalid and void pages,
 * invalid and void by reason in the order of st_decision_reason_codes. */
#define ST_RECON_REASONS 16
typedef struct st_recon_decisions {
    int64_t total, votes, party_only, blank, invalid, voided;
    int64_t invalid_by[ST_RECON_REASONS], void_by[ST_RECON_REASONS];
} st_recon_decisions;

typedef struct st_recon_station {
    char *station;
    const char *state;          /* one of ST_RECON_* */
    int listed;                 /* on the station list (stations import) */
    const char *listed_name;    /* its name there, owned by the report */
    int has_basis;
    st_basis basis;             /* valid when has_basis */
    st_b1_answers b1;           /* the GSB's answers, Na 31-2 Bijlage 1 */
    int has_second;             /* a second entry of the basistelling exists */
    int n_entry_diff;           /* fields in which the two entries differ (W001) */
    st_tally *tally;            /* our count, decisions applied */
    st_tally_totals ours;
    st_store_counts pages;      /* pages, open reviews, open rejected */
    st_recon_decisions decided; /* the GSB's decisions on its pages */
    int n_checks;
    st_recon_check *checks;     /* F then W codes, in code order */
    int recount_admitted;       /* advice: not explained, or H differs (ours,
                                 * or as the GSB answered B1-2.1/2.3) */
    int h_differs;
    int n_diff;
    st_recon_diff *diff;        /* in model list order */
    int64_t A, B, C, D, E, F, G, H, I, J; /* the new figures */
} st_recon_station;

typedef struct st_recon {
    const st_model *model;      /* borrowed from the store */
    int n;
    st_recon_station *st;       /* stations in natural order */
    int64_t no_station;         /* ballots counted without a station */
    int64_t pages;              /* every page stored */
    int n_blocks;
    char **blocks;              /* what blocks a final result, for people */
    char **blocks_nl;           /* the same in Dutch, for the printed record */
    st_recon_decisions decided; /* every decision, whatever the station */
    int n_members;
    char **members;             /* the GSB's members: name, role, name... */
    char last_change[32];       /* st_store_last_change: the record's date */
    st_tally *total;            /* every ballot, decisions applied */
    int n_listed;
    char **listed;              /* the station list: id, name, id, name... */
} st_recon;

/* Build the report of store s. *out is new (st_recon_free); it borrows
 * the store's model, so free it before closing s. */
int st_reconcile(st_store *s, st_recon **out, st_error *err);

/* How many errors on the stations' own forms (F2xx, F3xx) stand in r's
 * checks: the record keeps them as written, where an error on the GSB's
 * own answers (F1xx) blocks until it is right. Pure. */
int st_recon_form_errors(const st_recon *r);

/* Free a report. Accepts NULL. */
void st_recon_free(st_recon *r);

/* Write r to f as readable text or as JSON (pretty, stable key order).
 * Return ST_OK or ST_ERR_IO / ST_ERR_NOMEM with err set. */
int st_recon_write_text(const st_recon *r, FILE *f, st_error *err);
int st_recon_write_json(const st_recon *r, FILE *f, st_error *err);

/* The exported 510b a printed record names: its path and SHA-256. */
typedef struct st_recon_export {
    char path[1024];
    char sha256[65];
} st_recon_export;

/* Hash the exported file at path into *out (written only on success).
 * ST_OK; ST_ERR_IO naming the file when it cannot be read, ST_ERR_ARG
 * when it is empty. Thread-safe. */
int st_recon_export_hash(const char *path, st_recon_export *out, st_error *err);

/* Write the record of Model Na 31-2 Bijlage 1 in Dutch (record.c): per
 * station the form's sections in its order (1 the station's D/H
 * difference, 2 the count with the GSB's decisions by kind, 3 our H
 * against the station's, 4 the lists that differ with room for the
 * explanation, 5 the new A..J and the votes per list and candidate beside
 * the station's), the checks; then the municipality's totals, what blocks
 * a final result, the exported 510b's SHA-256 (eml; NULL: "no export
 * yet"), date (the store's last change), place (the municipality) and a
 * line to sign for the voorzitter and each member. As one self-contained
 * HTML page, or as a PDF of A4 pages. Borrows everything; ST_OK,
 * ST_ERR_IO or ST_ERR_NOMEM with err set. */
int st_recon_write_html(const st_recon *r, const st_recon_export *eml, FILE *f,
                        st_error *err);
int st_recon_write_pdf(const st_recon *r, const st_recon_export *eml, FILE *f,
                       st_error *err);

#ifdef __cplusplus
}
#endif

#endif
