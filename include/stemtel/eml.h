/* eml.h - import the Kiesraad's EML_NL candidate lists into a ballot model
 *
 * EML_NL is the Kiesraad's XML exchange format. A 230b file holds one
 * election's lists and candidates; a 110a file defines the election (name,
 * date, domain). The importer fills the election and list/candidate parts
 * of an st_model; st_layout_auto (layout.h) then gives it its geometry.
 *
 * Candidate names are formatted as "<prefix> <LastName>, <Initials>
 * (<FirstName>)", e.g. "van Dreumel, C.G.H.M. (Cees)": the prefix is written
 * in front, as it is spoken; the parts that are absent in the file (prefix,
 * initials, first name) are left out with their punctuation, so a candidate
 * with no FirstName reads "Vos, A.". Names are UTF-8 as in the file, with
 * runs of whitespace collapsed to one space.
 *
 * None of these functions print anything: libxml2's messages are captured
 * for the current thread only and the first one ends up in err. Call
 * xmlInitParser() once from the main thread before using them from several
 * threads (libxml2 2.9 does not initialise itself thread-safely); after that
 * they are thread-safe for distinct models.
 */
#ifndef STEMTEL_EML_H
#define STEMTEL_EML_H

#include "stemtel/error.h"
#include "stemtel/model.h"
#include "stemtel/station.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Namespaces the importer matches elements by (prefixes do not matter). */
#define ST_EML_NS "urn:oasis:names:tc:evs:schema:eml"
#define ST_EML_NS_XNL "urn:oasis:names:tc:ciq:xsdschema:xNL:2.0"
#define ST_EML_NS_KR "http://www.kiesraad.nl/extensions"
#define ST_EML_NS_XAL "urn:oasis:names:tc:ciq:xsdschema:xAL:2.0"

/* Read a 230b candidate-list file into a new model.
 *
 * Fills election_id (ElectionIdentifier/@Id), election_name (ElectionName,
 * or the id when absent), election_date (kr:ElectionDate or ""),
 * municipality_code and _name (kr:ElectionDomain's Id and text; when the
 * file has no kr:ElectionDomain, the ManagingAuthority's
 * AuthorityIdentifier; a domain without Id gives code ""), and the lists in
 * file order (= ballot order) with their candidates sorted by number. List
 * numbers need not be consecutive (a TK kieskring skips lists it does not
 * carry). Geometry is left empty and settings at their defaults.
 *
 * Refuses, with a message naming path and the problem: a missing or
 * unreadable file (ST_ERR_IO); malformed XML, with its line (ST_ERR_PARSE);
 * a root that is not EML or an EML message other than 230b, saying which
 * kind it is (ST_ERR_UNSUPPORTED); more than one Contest, no Affiliation,
 * a list number that is not a positive integer or appears twice, candidate
 * numbers that are not exactly 1..n, more than ST_LAYOUT_MAX_LISTS lists or
 * more than ST_LAYOUT_MAX_NUMBERS candidates on a list (ST_ERR_INVALID).
 *
 * On success returns ST_OK and *out owns the model (st_model_free); on
 * failure *out is NULL. Never touches the network (XML_PARSE_NONET). */
int st_eml_read_candidates(const char *path, st_model **out, st_error *err);

/* Read the polling stations of a 110b polling-station file into *out
 * (station.h): the municipality code (kr:ElectionDomain's Id, else the
 * ManagingAuthority's), and for every PollingPlace of channel "polling"
 * the station "CODE::SB<PollingStation Id>", its name (xal:LocalityName,
 * else the id), postcode (xal:PostalCodeNumber) and eligible voters (the
 * PollingStation's number). Refuses, naming path and line: not a 110b, no
 * 4-digit code, a station without an Id, an id given twice, no stations
 * (ST_ERR_INVALID, ST_ERR_UNSUPPORTED, ST_ERR_PARSE, ST_ERR_IO,
 * ST_ERR_NOMEM); *out is then untouched. Never touches the network. */
int st_eml_read_stations(const char *path, st_station_list *out, st_error *err);

/* Apply a 110a election definition to a model read from a 230b.
 *
 * The definition's ElectionIdentifier/@Id must equal m->election_id, or
 * ST_ERR_INVALID is returned with both ids in the message and m unchanged.
 * ElectionName, kr:ElectionDate and kr:ElectionDomain (Id and text) replace
 * the model's values when present in the definition. Other refusals as for
 * st_eml_read_candidates (the file must be a 110a). On failure m is left
 * unchanged. */
int st_eml_apply_definition(st_model *m, const char *path_110a, st_error *err);

/* Validate an XML file against an XSD schema (e.g. the official
 * eml-xsd/230-candidatelist-kiesraad-strict.xsd; its includes are loaded
 * relative to it). Returns ST_OK if valid; ST_ERR_INVALID with the first
 * validation error and its line if not; ST_ERR_PARSE if the file is not
 * well-formed; ST_ERR_IO if a file cannot be read; ST_ERR_UNSUPPORTED if
 * the schema itself cannot be loaded. The schema is compiled on every call
 * (about a tenth of a second for the EML_NL set). */
int st_eml_validate(const char *path, const char *xsd_path, st_error *err);

/* As st_eml_validate for the len bytes at buf (a document not yet
 * written), which name stands for in the messages. */
int st_eml_validate_memory(const char *buf, size_t len, const char *name,
                           const char *xsd_path, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
