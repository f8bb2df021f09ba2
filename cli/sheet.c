/* sheet.c - `stemtel sheet`: print a batch separator sheet
 *
 * Parses the options, builds the sheet with st_sheet_make (which checks
 * the station, batch and election) and writes it with
 * st_sheet_render_file; everything else lives in src/engine/sheet.c.
 */
#include "cli.h"
#include "stemtel/sheet.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const sheet_usage =
    "usage: stemtel sheet --station ID [--batch N] [--election ID]\n"
    "                     -o FILE.{pdf,png,tif} [--dpi N]\n"
    "\n"
    "A separator sheet to lay on top of one polling station's ballots: the\n"
    "station in large print and a QR code that stemtel recognises at any\n"
    "rotation. ID is the station as in EML (e.g. 0668::SB1); --batch numbers\n"
    "the stacks of one station (1 to 999999); --election names the election.\n"
    "FILE ending in .pdf: a vector A4 page to print; .png, .tif or .tiff: a\n"
    "grey raster at --dpi (150 to 600, default 300).\n";

int st_cli_sheet(int argc, char **argv)
{
    static const struct option longs[] = {
        {"station", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},
        {"election", required_argument, NULL, 'e'},
        {"output", required_argument, NULL, 'o'},
        {"dpi", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *station = NULL, *election = NULL, *out = NULL;
    long long batch = 0, dpi = 300;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 's': station = optarg; break;
        case 'e': election = optarg; break;
        case 'o': out = optarg; break;
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
    if (!station || !out) {
        st_cli_error("sheet: %s is required", station ? "-o FILE" : "--station ID");
        fputs(sheet_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
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
