/* export.h - the count as the Kiesraad's EML 510b file
 *
 * Writes what a gemeentelijk stembureau hands over after a centrale
 * stemopneming: an EML_NL 510b Count with kr:CountingMethod "centrale
 * stemopneming", TotalVotes and one ReportingUnitVotes per polling station
 * (Id as given to `count --station`, e.g. "0668::SB3"). Each holds per list
 * its total and its candidates' votes (ours, decisions applied), Cast (the
 * station's eligible voters when the basistelling gives them, else 0),
 * TotalCounted (E), the invalid and blank ballots, and as UncountedVotes
 * the new A, B, C, D, I and J of reconcile.h (the explanation categories
 * are not known to us and are left out; the schema allows that).
 *
 * The file is dated with the store's last change (st_store_last_change),
 * so the same store always gives the same bytes. Before it is written the
 * document is validated against the Kiesraad's strict 510 schema
 * (510-count-kiesraad-strict.xsd, shipped in data/eml-xsd/): a count the
 * Kiesraad would refuse is never written.
 */
#ifndef STEMTEL_EXPORT_H
#define STEMTEL_EXPORT_H

#include "stemtel/error.h"
#include "stemtel/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Write the 510b of store s to path, whole or not at all (via
 * "<path>.tmp", synced and renamed).
 * Refuses with ST_ERR_INVALID, listing the first things that block a final
 * result (reconcile.h), unless draft is nonzero; a draft file carries a
 * comment saying it is a draft and what blocked it. xsd is the path of
 * 510-count-kiesraad-strict.xsd (its includes beside it): a document that
 * does not validate against it is refused with the schema's message and
 * its line (ST_ERR_INVALID), one whose schema cannot be loaded with
 * ST_ERR_UNSUPPORTED or ST_ERR_IO; nothing is written then. ST_ERR_IO when
 * the file cannot be written. */
int st_export_eml(st_store *s, const char *path, int draft, const char *xsd, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
