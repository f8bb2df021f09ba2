/* stations.c - `stemtel stations`: the municipality's polling stations
 *
 * import reads the list from the municipality's EML 110b (a file whose
 * first character is '<') or a CSV and puts it into the store, where
 * from then on every station id must be on it; list prints it.
 */
#include "cli.h"
#include "util/text.h"
#include "stemtel/eml.h"
#include "stemtel/store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const stations_usage =
    "usage: stemtel stations import --store FILE (110b.eml.xml | stations.csv)\n"
    "       stemtel stations list --store FILE\n"
    "\n"
    "import  the municipality's polling stations, from its EML 110b\n"
    "        (polling-station file) or a CSV with the columns id, name and\n"
    "        optionally postcode (id as EML has it: 0668::SB3); replaces the\n"
    "        list before. From then on --station, separator sheets, the\n"
    "        basistelling and moves must name a listed station, and the\n"
    "        reconciliation shows every listed station\n"
    "list    the stations, in the list's order\n";

/* 1 when path's first byte past a byte-order mark and blanks is '<'. */
static int looks_like_xml(const char *path)
{
    FILE *f = fopen(path, "rb");
    int c = EOF, n = 0;
    if (!f)
        return 0;
    while ((c = fgetc(f)) != EOF && n++ < 64)
        if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xef || c == 0xbb ||
              c == 0xbf))
            break;
    fclose(f);
    return c == '<';
}

static int print_station(void *ctx, const st_station_def *d)
{
    int *n = ctx;
    char id[128], name[1024], post[128];
    printf("%-14s %s", st_text_shown(d->id, id, sizeof id),
           st_text_shown(d->name, name, sizeof name));
    if (d->postcode)
        printf(", %s", st_text_shown(d->postcode, post, sizeof post));
    if (d->eligible >= 0)
        printf(" (%lld voters)", d->eligible);
    putchar('\n');
    (*n)++;
    return 0;
}

int st_cli_stations(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL;
    int c;
    if ((c = st_cli_no_verb(argc, argv, "stations", "import or list", stations_usage)) >= 0)
        return c;
    const char *verb = argv[1];
    argc--, argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 'h': fputs(stations_usage, stdout); return ST_EXIT_OK;
        default: fputs(stations_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    int import = !strcmp(verb, "import");
    if (!import && strcmp(verb, "list")) {
        st_cli_error("stations: unknown \"%s\": want import or list", verb);
        return ST_EXIT_USAGE;
    }
    if (!store_path || optind != argc - import) {
        st_cli_error(import ? "stations import: need --store FILE and one 110b or CSV file"
                            : "stations list: need --store FILE");
        fputs(stations_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_store *s = NULL;
    st_station_list l = {{0}, 0, NULL};
    int rc = ST_EXIT_FAIL, n = 0;
    if (import ? st_store_open(store_path, NULL, &s, &err)
               : st_store_open_readonly(store_path, &s, &err))
        goto out;
    if (import) {
        const char *src = argv[optind];
        if ((looks_like_xml(src) ? st_eml_read_stations(src, &l, &err)
                                 : st_station_read_csv(src, &l, &err)) ||
            st_store_stations_import(s, &l, src, &err))
            goto out;
        printf("%d polling station%s from %s into %s\n", l.n, l.n == 1 ? "" : "s", src,
               store_path);
    } else {
        if (st_store_stations_listed(s, print_station, &n, &err))
            goto out;
        printf("%d station%s listed\n", n, n == 1 ? "" : "s");
    }
    rc = ST_EXIT_OK;
out:
    if (rc)
        st_cli_error("%s", err.msg);
    st_station_list_free(&l);
    st_store_close(s);
    return rc;
}
