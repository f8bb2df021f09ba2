/* main.c - the stemtel command: dispatch to a subcommand
 *
 * Subcommands live in cli_*.c; this file only routes and prints the
 * overview. Every subcommand prints its own usage with --help.
 */
#include "cli.h"
#include "stemtel/version.h"
#include "stemtel/batch.h"
#include "util/text.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>



/* Messages quote names and files from outside: escaped, so they cannot
 * move the terminal's cursor or fake a line. */
void st_cli_error(const char *fmt, ...)
{
    char msg[ST_ERROR_MAX + 512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fputs("stemtel: ", stderr);
    st_text_put(stderr, msg);
    fputc('\n', stderr);
}

void st_cli_warn_batch(const st_batch_report *r)
{
    if (r->bilevel_pages)
        fprintf(stderr,
                "stemtel: warning: %d page%s bilevel (1-bit): light pencil marks can be "
                "lost in such scans; scan in grey or colour\n",
                r->bilevel_pages, r->bilevel_pages == 1 ? " is" : "s are");
    if (r->bad_sheets)
        fprintf(stderr,
                "stemtel: warning: %d separator sheet%s could not be used (rejected, see "
                "ballots.jsonl); the pages after %s have no station\n",
                r->bad_sheets, r->bad_sheets == 1 ? "" : "s",
                r->bad_sheets == 1 ? "it" : "them");
}

int st_cli_no_verb(int argc, char **argv, const char *cmd, const char *want,
                   const char *usage)
{
    if (argc >= 2 && argv[1][0] != '-')
        return -1;
    int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    if (!help)
        st_cli_error("%s: want %s", cmd, want);
    fputs(usage, help ? stdout : stderr);
    return help ? ST_EXIT_OK : ST_EXIT_USAGE;
}

int st_cli_int(const char *opt, const char *text, long long lo, long long hi,
               long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        st_cli_error("%s: \"%s\" is not a whole number from %lld to %lld", opt,
                     text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: stemtel COMMAND [ARGS]\n"
          "\n"
          "Count the small Dutch paper ballot from scanner images.\n"
          "\n"
          "commands:\n"
          "  model from-eml CANDIDATES.eml.xml [--definition 110a.eml.xml]\n"
          "                 [--schema XSD] -o MODEL.json\n"
          "                          build a ballot model from an EML 230b candidate list\n"
          "  model check MODEL.json  report every problem in a model file\n"
          "  model render MODEL.json -o FILE.{pdf,png,tif} [--dpi N]\n"
          "                          printable ballot (PDF) or blank raster\n"
          "  model inspect MODEL.json --json [--dpi N]\n"
          "                          geometry of every mark and box, in mm and pixels\n"
          "  count --model MODEL.json [--station ID] [--threads N] [--out DIR] FILES...\n"
          "                          count scanned ballots: ballots.jsonl, tally.csv/json\n"
          "  count ... --store FILE  also record every page in a store (SQLite)\n"
          "  scan --model MODEL.json --source folder:DIR|sane:DEVICE|replay:MANIFEST ...\n"
          "                          count from hot folders, scanners or an archive\n"
          "  tally --store FILE [--station ID] [--out DIR]\n"
          "                          tally.csv/json of a store, decisions applied\n"
          "  basis import --store FILE [--second-entry] (BASISTELLING.csv | --from-eml FILE)\n"
          "                          the polling stations' own counts (N 10-2), twice\n"
          "  basis answer --store FILE --station ID --question Q --answer A --by NAME\n"
          "                          the GSB's answers to Na 31-2 Bijlage 1\n"
          "  review list|show|decide|batches|move --store FILE ...\n"
          "                          the ballots people decide, voids and moves\n"
          "  members add|list --store FILE ...\n"
          "                          the members of the stembureau who decide\n"
          "  stations import|list --store FILE [110b.eml.xml | stations.csv]\n"
          "                          the municipality's polling stations\n"
          "  reconcile --store FILE [--format text|json|html|pdf] [-o FILE] [--eml FILE]\n"
          "                          our count beside each station's own: checks, and\n"
          "                          the Na 31-2 Bijlage 1 record to sign (html, pdf)\n"
          "  export eml --store FILE -o Telling.eml.xml [--draft]\n"
          "                          the count as EML 510b (centrale stemopneming)\n"
          "  verify --store FILE     re-read every stored page and report any difference\n"
          "  serve --store FILE [--listen ADDR:PORT] [--allow-decisions]\n"
          "                          the sitting's screens in a browser: public, operator\n"
          "  synth MODEL.json --count N --seed S --out DIR [options]\n"
          "                          marked test ballots (TIFF) with ground truth\n"
          "  sheet --station ID [--batch N] [--election ID] -o FILE.{pdf,png,tif} [--dpi N]\n"
          "                          separator sheet to lay on a polling station's stack\n"
          "\n"
          "Run `stemtel COMMAND --help` for a command's options.\n",
          f);
}

int main(int argc, char **argv)
{
    /* Every page needs the same few large buffers (ink image, strip buffer,
     * OpenCV's label image). By default glibc maps blocks this large
     * afresh and unmaps them on free, so each page paid for them again in
     * page faults (about 100 a page, a tenth of the time on grey pages);
     * kept on the heap they are reused. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    if (argc < 2) {
        usage(stderr);
        return ST_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "model"))
        return st_cli_model(argc - 1, argv + 1);
    if (!strcmp(cmd, "count"))
        return st_cli_count(argc - 1, argv + 1);
    if (!strcmp(cmd, "scan"))
        return st_cli_scan(argc - 1, argv + 1);
    if (!strcmp(cmd, "tally"))
        return st_cli_tally(argc - 1, argv + 1);
    if (!strcmp(cmd, "basis"))
        return st_cli_basis(argc - 1, argv + 1);
    if (!strcmp(cmd, "review"))
        return st_cli_review(argc - 1, argv + 1);
    if (!strcmp(cmd, "members"))
        return st_cli_members(argc - 1, argv + 1);
    if (!strcmp(cmd, "stations"))
        return st_cli_stations(argc - 1, argv + 1);
    if (!strcmp(cmd, "reconcile"))
        return st_cli_reconcile(argc - 1, argv + 1);
    if (!strcmp(cmd, "export"))
        return st_cli_export(argc - 1, argv + 1);
    if (!strcmp(cmd, "verify"))
        return st_cli_verify(argc - 1, argv + 1);
    if (!strcmp(cmd, "synth"))
        return st_cli_synth(argc - 1, argv + 1);
    if (!strcmp(cmd, "sheet"))
        return st_cli_sheet(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return st_cli_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return ST_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("stemtel %s\n", st_version());
        return ST_EXIT_OK;
    }
    st_cli_error("unknown command \"%s\"", cmd);
    usage(stderr);
    return ST_EXIT_USAGE;
}
