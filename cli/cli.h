/* cli.h - the stemtel command's subcommands
 *
 * Each subcommand is a function taking its own argc/argv (argv[0] is the
 * subcommand's name) and returning the process exit status: 0 success,
 * 1 the input was refused or a step failed, 2 wrong usage, 3 (reconcile,
 * verify) the command ran and found something people must look at.
 */
#ifndef STEMTEL_CLI_H
#define STEMTEL_CLI_H

#include <stddef.h>

#define ST_EXIT_OK 0
#define ST_EXIT_FAIL 1
#define ST_EXIT_USAGE 2
#define ST_EXIT_FOUND 3 /* the command ran and found what it looks for:
                         * reconcile, something that blocks a final result;
                         * verify, a difference */

int st_cli_model(int argc, char **argv);
int st_cli_synth(int argc, char **argv);
int st_cli_count(int argc, char **argv);
int st_cli_scan(int argc, char **argv);
int st_cli_tally(int argc, char **argv);
int st_cli_basis(int argc, char **argv);
int st_cli_review(int argc, char **argv);
int st_cli_members(int argc, char **argv);
int st_cli_stations(int argc, char **argv);
int st_cli_reconcile(int argc, char **argv);
int st_cli_export(int argc, char **argv);
int st_cli_verify(int argc, char **argv);
int st_cli_sheet(int argc, char **argv);
int st_cli_serve(int argc, char **argv);

struct st_batch_report;
struct st_error;

/* The official 510 schema (510-count-kiesraad-strict.xsd), for export and
 * serve: in $STEMTEL_XSD_DIR when set, else installed beside the command
 * (PREFIX/share/stemtel/eml-xsd) or, for a command in the build tree
 * (build/<flavour>/stemtel), in the repository's data folder. 0 and its
 * path in buf (n bytes), or -1 with where it looked in err. */
int st_cli_find_schema(char *buf, size_t n, struct st_error *err);

/* Warn on stderr about what a counted batch asks people to look at:
 * bilevel pages (pencil can be lost) and separator sheets that could not
 * be used. For count and scan. */
void st_cli_warn_batch(const struct st_batch_report *r);

/* Print "stemtel: <msg>" to stderr. */
void st_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* For a command with verbs (cmd VERB ...): when argv[1] is missing or an
 * option, print usage (to stdout for --help, else to stderr after "cmd:
 * want WANT") and return the exit status to end with; -1 when argv[1] is
 * a verb to go on with. */
int st_cli_no_verb(int argc, char **argv, const char *cmd, const char *want,
                   const char *usage);

/* Parse a whole decimal integer in [lo, hi]; 0 on success, else prints an
 * error naming the option and returns -1. */
int st_cli_int(const char *opt, const char *text, long long lo, long long hi,
               long long *out);

#endif
