/* reconcile.c - `stemtel reconcile`: our count beside the basistelling */
#include "cli.h"
#include "stemtel/reconcile.h"
#include "util/atomic.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const reconcile_usage =
    "usage: stemtel reconcile --store FILE [--format text|json|html|pdf] [-o FILE]\n"
    "                         [--eml Telling.eml.xml]\n"
    "\n"
    "Per polling station: the Kiesraad's checks on its basistelling (F201..F303)\n"
    "and on our figures (F401, F402, warnings W201..W204), and the record of\n"
    "Model Na 31-2 Bijlage 1: was the D/H difference explained, our votes per\n"
    "candidate, our H against the station's, the lists whose totals differ, the\n"
    "new A..J. Then what still blocks a final result. Exit 0 when nothing\n"
    "blocks, 3 when something does, 1 on an error.\n"
    "\n"
    "html and pdf print the record to sign, in Dutch: per station the form's\n"
    "sections in its order and the checks, then the municipality's totals, the\n"
    "GSB's decisions by kind, date, place and a line to sign for each member.\n"
    "--eml names the exported 510b (stemtel export eml) whose SHA-256 the record\n"
    "prints; without it the record says no export was made yet. pdf needs -o.\n";

int st_cli_reconcile(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"format", required_argument, NULL, 'f'},
                                          {"eml", required_argument, NULL, 'e'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *format = "text", *out_path = NULL, *eml_path = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 'f': format = optarg; break;
        case 'e': eml_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'h': fputs(reconcile_usage, stdout); return ST_EXIT_OK;
        default: fputs(reconcile_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    int printed = !strcmp(format, "html") || !strcmp(format, "pdf");
    if (!store_path || optind != argc ||
        (strcmp(format, "text") && strcmp(format, "json") && !printed)) {
        st_cli_error("reconcile: need --store FILE; --format is text, json, html or pdf");
        fputs(reconcile_usage, stderr);
        return ST_EXIT_USAGE;
    }
    if ((eml_path && !printed) || (!strcmp(format, "pdf") && !out_path)) {
        st_cli_error(eml_path && !printed ? "reconcile: --eml goes with --format html or pdf"
                                          : "reconcile: --format pdf needs -o FILE");
        fputs(reconcile_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_store *s = NULL;
    st_recon *r = NULL;
    st_atomic out_file = {0}; /* with -o: the report, whole or not at all */
    st_recon_export eml;
    FILE *f = stdout;
    int rc = ST_EXIT_FAIL;
    if ((eml_path && st_recon_export_hash(eml_path, &eml, &err)) ||
        st_store_open_readonly(store_path, &s, &err) || st_reconcile(s, &r, &err))
        goto out;
    if (out_path) {
        if (st_atomic_open(&out_file, out_path, "reconcile", &err))
            goto out;
        f = out_file.f;
    }
    const st_recon_export *named = eml_path ? &eml : NULL;
    int wrc = !strcmp(format, "json")   ? st_recon_write_json(r, f, &err)
              : !strcmp(format, "html") ? st_recon_write_html(r, named, f, &err)
              : !strcmp(format, "pdf")  ? st_recon_write_pdf(r, named, f, &err)
                                        : st_recon_write_text(r, f, &err);
    if (wrc || (out_path && st_atomic_commit(&out_file, &err)))
        goto out;
    rc = r->n_blocks ? ST_EXIT_FOUND : ST_EXIT_OK;
out:
    st_atomic_abort(&out_file);
    if (rc == ST_EXIT_FAIL)
        st_cli_error("%s", err.msg);
    st_recon_free(r);
    st_store_close(s);
    return rc;
}
