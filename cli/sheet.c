/* sheet.c - `stemtel sheet`: print a batch separator sheet
 *
 * Parses the options, builds the sheet with st_sheet_make (which checks
 * the station, batch and election) and writes it with
 * st_sheet_render_file, or, with --all, every listed station's sheet into
 * one PDF; everything else lives in src/engine/sheet.c.
 */
#include "cli.h"
#include "stemtel/sheet.h"
#include "stemtel/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sheet_usage =
    "usage: stemtel sheet --station ID [--batch N] [--election ID]\n"
    "                     -o FILE.{pdf,png,tif} [--dpi N]\n"
    "       stemtel sheet --all --store FILE [--batch N] [--election ID] -o FILE.pdf\n"
    "\n"
    "A separator sheet to lay on top of one polling station's ballots: the\n"
    "station in large print and a QR code that stemtel recognises at any\n"
    "rotation. ID is the station as in EML (e.g. 0668::SB1); --batch numbers\n"
    "the stacks of one station (1 to 999999); --election names the election.\n"
    "FILE ending in .pdf: a vector A4 page to print; .png, .tif or .tiff: a\n"
    "grey raster at --dpi (150 to 600, default 300). --all prints the sheet of\n"
    "every station on the store's station list (stemtel stations import),\n"
    "each with the station's name, as the pages of one PDF.\n";

/* Each listed station's sheet, added to a growing array. */
typedef struct sheets {
    st_sheet *v;
    int n, batch, rc;
    const char *election;
    st_error *err;
} sheets;

static int add_sheet(void *ctx, const st_station_def *d)
{
    sheets *all = ctx;
    st_sheet *nv = realloc(all->v, (size_t)(all->n + 1) * sizeof *nv);
    if (!nv)
        return st_error_set(all->err, ST_ERR_NOMEM, "sheet: out of memory");
    all->v = nv;
    int rc = st_sheet_make(d->id, all->batch, all->election, &nv[all->n], all->err);
    if (rc)
        return rc;
    snprintf(nv[all->n].name, sizeof nv[all->n].name, "%s", d->name);
    all->n++;
    return ST_OK;
}

/* The sheets of every station listed in the store at path, into out. */
static int print_all(const char *path, int batch, const char *election, const char *out,
                     st_error *err)
{
    st_store *s = NULL;
    sheets all = {NULL, 0, batch, 0, election, err};
    int rc = st_store_open_readonly(path, &s, err);
    if (!rc)
        rc = st_store_stations_listed(s, add_sheet, &all, err);
    if (!rc && all.n == 0)
        rc = st_error_set(err, ST_ERR_ARG, "sheet: %s holds no station list (stemtel "
                          "stations import)", path);
    if (!rc && (rc = st_sheet_render_pdf(all.v, all.n, out, err)) == ST_OK)
        printf("%d separator sheet%s in %s\n", all.n, all.n == 1 ? "" : "s", out);
    free(all.v);
    st_store_close(s);
    return rc;
}

int st_cli_sheet(int argc, char **argv)
{
    static const struct option longs[] = {
        {"station", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},
        {"election", required_argument, NULL, 'e'},
        {"output", required_argument, NULL, 'o'},
        {"dpi", required_argument, NULL, 'd'},
        {"all", no_argument, NULL, 'a'},
        {"store", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *station = NULL, *election = NULL, *out = NULL, *store = NULL;
    long long batch = 0, dpi = 300;
    int c, all = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 's': station = optarg; break;
        case 'e': election = optarg; break;
        case 'o': out = optarg; break;
        case 'a': all = 1; break;
        case 'S': store = optarg; break;
        case 'b':
            if (st_cli_int("--batch", optarg, 1, ST_SHEET_BATCH_MAX, &batch))
                return ST_EXIT_USAGE;
            break;
        case 'd':
            if (st_cli_int("--dpi", optarg, 150, 600, &dpi))
                return ST_EXIT_USAGE;
            break;
        case 'h': fputs(sheet_usage, stdout); return ST_EXIT_OK;
        default: fputs(sheet_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        st_cli_error("sheet: unexpected argument \"%s\"", argv[optind]);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    if (all) {
        if (!store || !out || station) {
            st_cli_error("sheet --all: need --store FILE and -o FILE.pdf, and no --station");
            return ST_EXIT_USAGE;
        }
        int rc = print_all(store, (int)batch, election, out, &err);
        if (rc)
            st_cli_error("%s", err.msg);
        return rc == ST_ERR_ARG ? ST_EXIT_USAGE : rc ? ST_EXIT_FAIL : ST_EXIT_OK;
    }
    if (!station || !out) {
        st_cli_error("sheet: %s is required", station ? "-o FILE" : "--station ID");
        fputs(sheet_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_sheet s;
    if (st_sheet_make(station, (int)batch, election, &s, &err)) {
        st_cli_error("%s", err.msg);
        return ST_EXIT_USAGE;
    }
    if (st_sheet_render_file(&s, out, (int)dpi, &err)) {
        st_cli_error("%s", err.msg);
        return err.code == ST_ERR_ARG ? ST_EXIT_USAGE : ST_EXIT_FAIL;
    }
    return ST_EXIT_OK;
}
