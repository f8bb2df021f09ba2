/* model.c - `stemtel model ...`: import, check, render and inspect
 *
 * Thin wrappers: parse options, call the models/ library, print results
 * and errors. The library does the work so tests can call it directly.
 */
#include "cli.h"
#include "util/text.h"
#include "stemtel/eml.h"
#include "stemtel/frompdf.h"
#include "stemtel/fromscan.h"
#include "stemtel/inspect.h"
#include "stemtel/layout.h"
#include "stemtel/model.h"
#include "stemtel/render.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const model_usage =
    "usage: stemtel model from-eml CANDIDATES.eml.xml [--definition 110a.eml.xml]\n"
    "                              [--schema 230.xsd] [--municipality CODE[:NAME]]\n"
    "                              -o MODEL.json\n"
    "       stemtel model from-pdf PROOF.pdf --candidates 230b.eml.xml [--page N]\n"
    "                              [--definition 110a.eml.xml]\n"
    "                              [--municipality CODE[:NAME]] -o MODEL.json\n"
    "       stemtel model from-scan BLANK.tif --candidates 230b.eml.xml\n"
    "                              [--definition 110a.eml.xml]\n"
    "                              [--municipality CODE[:NAME]] -o MODEL.json\n"
    "       stemtel model check MODEL.json\n"
    "       stemtel model render MODEL.json -o FILE [--dpi N]\n"
    "       stemtel model inspect MODEL.json --json [--dpi N]\n"
    "\n"
    "from-eml  build a model with the automatic A3 layout from an EML 230b\n"
    "          candidate list; --definition takes the election's name and date\n"
    "          from its EML 110a file; --schema validates the input first;\n"
    "          --municipality sets the gemeente code (and name) of the counting\n"
    "          municipality, needed when the list is not a municipal one (TK, PS\n"
    "          lists name a kieskring or province, not a gemeente).\n"
    "from-pdf  build the model of a ballot someone else designed from its\n"
    "          printer's PDF proof (page N, default 1): its boxes are found in\n"
    "          the drawing, each tied to the list or number printed beside it\n"
    "          and checked against the 230b of --candidates (every list and\n"
    "          number once, no box left over); what does not match is listed,\n"
    "          with its position in mm, and no model is written. The model has\n"
    "          no registration marks: pages are placed by their box grid.\n"
    "from-scan the same from a scan of an unmarked printed ballot (the whole\n"
    "          sheet, cropped to the paper), when no proof is at hand: with no\n"
    "          text to read, the highest boxes are the lists', read column by\n"
    "          column, the rest the numbers 1..N, read row by row; every\n"
    "          assumption is printed, to be checked against the ballot.\n"
    "check     list every problem in a model file (exit 1 if there are any).\n"
    "render    FILE ending in .pdf: the printable ballot (vector);\n"
    "          .png, .tif or .tiff: a blank 8-bit grey raster at --dpi\n"
    "          (150 to 600, default 300).\n"
    "inspect   the geometry of every registration mark and box as JSON, in mm\n"
    "          and, with --dpi, in pixels of the rendered raster.\n";

/* Options shared by the model subcommands; each uses the ones it needs. */
typedef struct model_opts {
    const char *out, *definition, *schema, *municipality, *candidates;
    int dpi, dpi_given, json, page;
    int n_args;
    char **args;
} model_opts;

static int parse(int argc, char **argv, model_opts *o)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'},
        {"dpi", required_argument, NULL, 'd'},
        {"definition", required_argument, NULL, 'D'},
        {"schema", required_argument, NULL, 's'},
        {"municipality", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"candidates", required_argument, NULL, 'c'},
        {"page", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    long long v;
    memset(o, 0, sizeof *o);
    o->dpi = 300;
    o->page = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'D': o->definition = optarg; break;
        case 's': o->schema = optarg; break;
        case 'm': o->municipality = optarg; break;
        case 'j': o->json = 1; break;
        case 'c': o->candidates = optarg; break;
        case 'p':
            if (st_cli_int("--page", optarg, 1, 10000, &v))
                return ST_EXIT_USAGE;
            o->page = (int)v;
            break;
        case 'd':
            if (st_cli_int("--dpi", optarg, ST_RENDER_DPI_MIN, ST_RENDER_DPI_MAX, &v))
                return ST_EXIT_USAGE;
            o->dpi = (int)v;
            o->dpi_given = 1;
            break;
        case 'h': fputs(model_usage, stdout); exit(ST_EXIT_OK);
        default: fputs(model_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    o->n_args = argc - optind;
    o->args = argv + optind;
    return ST_EXIT_OK;
}

static int need_args(const model_opts *o, int n, const char *what)
{
    if (o->n_args != n) {
        st_cli_error("model %s: expected %d file argument%s, got %d", what, n,
                     n == 1 ? "" : "s", o->n_args);
        fputs(model_usage, stderr);
        return -1;
    }
    return 0;
}

/* Apply --municipality CODE[:NAME]; the code is the 4-digit CBS gemeente
 * code used in polling station ids ("0668::SB1"). */
static int set_municipality(st_model *m, const char *spec, const char *cmd)
{
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n != 4 || strspn(spec, "0123456789") < 4) {
        st_cli_error("model %s: --municipality \"%s\": the code must be 4 digits, "
                     "e.g. 0392 or 0392:Haarlem", cmd, spec);
        return -1;
    }
    free(m->municipality_code);
    m->municipality_code = strndup(spec, 4);
    if (colon) {
        free(m->municipality_name);
        m->municipality_name = strdup(colon + 1);
    }
    return 0;
}

static int cmd_from_eml(model_opts *o)
{
    st_error err = {0};
    st_model *m = NULL;
    int rc = ST_EXIT_FAIL;
    if (need_args(o, 1, "from-eml"))
        return ST_EXIT_USAGE;
    if (!o->out) {
        st_cli_error("model from-eml: -o MODEL.json is required");
        return ST_EXIT_USAGE;
    }
    if (o->schema && st_eml_validate(o->args[0], o->schema, &err))
        goto fail;
    if (st_eml_read_candidates(o->args[0], &m, &err) ||
        (o->definition && st_eml_apply_definition(m, o->definition, &err)) ||
        st_layout_auto(m, &err))
        goto fail;
    if (o->municipality && set_municipality(m, o->municipality, "from-eml"))
        goto out;
    st_problems pr = {0};
    int n = st_model_check(m, &pr);
    if (n != 0) {
        st_cli_error("model from-eml: the automatic layout produced an invalid model "
                     "(a bug): %s", n > 0 ? pr.msg[0] : "out of memory");
        st_problems_free(&pr);
        goto out;
    }
    if (st_model_save(m, o->out, &err))
        goto fail;
    printf("%s: %d lists, %d candidates at most per list, %d boxes, paper %.0f x %.0f mm\n",
           o->out, m->n_lists, st_model_max_candidates(m), m->n_targets, m->paper_w,
           m->paper_h);
    rc = ST_EXIT_OK;
    goto out;
fail:
    st_cli_error("%s", err.msg);
out:
    st_model_free(m);
    return rc;
}

/* Each problem on its own line after the file's name; they quote ids and
 * names from the files, so they are printed as safe text. */
static void print_problems(const char *file, const st_problems *pr)
{
    for (int i = 0; i < pr->n; i++) {
        fprintf(stderr, "%s: ", file);
        st_text_put(stderr, pr->msg[i]);
        fputc('\n', stderr);
    }
    if (pr->more)
        fprintf(stderr, "%s: ... and %d more problem%s not shown\n", file, pr->more,
                pr->more == 1 ? "" : "s");
}

/* A model from someone else's design: the lists of --candidates (and
 * --definition, --municipality), the geometry from one file. from_scan
 * chooses the scan or the proof. */
static int cmd_from_design(model_opts *o, int from_scan)
{
    const char *cmd = from_scan ? "from-scan" : "from-pdf";
    st_error err = {0};
    st_model *m = NULL;
    st_problems notes = {0}, pr = {0};
    int rc = ST_EXIT_FAIL;
    if (need_args(o, 1, cmd))
        return ST_EXIT_USAGE;
    if (!o->out || !o->candidates) {
        st_cli_error("model %s: %s is required", cmd,
                     !o->candidates ? "--candidates 230b.eml.xml" : "-o MODEL.json");
        return ST_EXIT_USAGE;
    }
    if (st_eml_read_candidates(o->candidates, &m, &err) ||
        (o->definition && st_eml_apply_definition(m, o->definition, &err)))
        goto fail;
    if (o->municipality && set_municipality(m, o->municipality, cmd))
        goto out;
    int r = from_scan ? st_model_from_scan(o->args[0], m, &notes, &pr, &err)
                      : st_model_from_pdf(o->args[0], o->page, m, &pr, &err);
    for (int i = 0; i < notes.n; i++)
        printf("%s: assumed: %s\n", o->args[0], notes.msg[i]);
    print_problems(o->args[0], &pr);
    if (r || st_model_save(m, o->out, &err))
        goto fail;
    printf("%s: %d list boxes, %d number boxes, outline %.2f mm, paper %.0f x %.0f mm, "
           "no registration marks\n", o->out, m->n_lists, m->n_targets - m->n_lists,
           m->settings.outline_mm, m->paper_w, m->paper_h);
    rc = ST_EXIT_OK;
    goto out;
fail:
    st_cli_error("%s", err.msg);
out:
    st_problems_free(&notes);
    st_problems_free(&pr);
    st_model_free(m);
    return rc;
}

static int cmd_check(model_opts *o)
{
    st_error err = {0};
    st_model *m = NULL;
    if (need_args(o, 1, "check"))
        return ST_EXIT_USAGE;
    if (st_model_load(o->args[0], &m, &err)) {
        st_cli_error("%s", err.msg);
        return ST_EXIT_FAIL;
    }
    st_problems pr = {0};
    int n = st_model_check(m, &pr);
    print_problems(o->args[0], &pr);
    if (n == 0)
        printf("%s: ok: %d lists, %d candidates, %d boxes, %d registration marks\n",
               o->args[0], m->n_lists, st_model_max_candidates(m), m->n_targets,
               m->n_fiducials);
    else if (n > 0)
        fprintf(stderr, "%s: %d problem%s\n", o->args[0], n, n == 1 ? "" : "s");
    st_problems_free(&pr);
    st_model_free(m);
    return n == 0 ? ST_EXIT_OK : ST_EXIT_FAIL;
}

static int cmd_render(model_opts *o)
{
    st_error err = {0};
    st_model *m = NULL;
    if (need_args(o, 1, "render"))
        return ST_EXIT_USAGE;
    if (!o->out) {
        st_cli_error("model render: -o FILE is required (.pdf, .png, .tif)");
        return ST_EXIT_USAGE;
    }
    int rc = ST_EXIT_OK;
    if (st_model_load_checked(o->args[0], &m, &err) ||
        st_render_file(m, o->out, o->dpi, &err)) {
        st_cli_error("%s", err.msg);
        rc = ST_EXIT_FAIL;
    }
    st_model_free(m);
    return rc;
}

static int cmd_inspect(model_opts *o)
{
    st_error err = {0};
    st_model *m = NULL;
    if (need_args(o, 1, "inspect"))
        return ST_EXIT_USAGE;
    if (!o->json) {
        st_cli_error("model inspect: only --json output exists; pass --json");
        return ST_EXIT_USAGE;
    }
    if (st_model_load_checked(o->args[0], &m, &err)) {
        st_cli_error("%s", err.msg);
        return ST_EXIT_FAIL;
    }
    char *txt = st_inspect_json(m, o->dpi_given ? o->dpi : 0, &err);
    int rc = ST_EXIT_OK;
    if (!txt) {
        st_cli_error("%s", err.msg);
        rc = ST_EXIT_FAIL;
    } else {
        fputs(txt, stdout);
    }
    free(txt);
    st_model_free(m);
    return rc;
}

int st_cli_model(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(model_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? ST_EXIT_USAGE : ST_EXIT_OK;
    }
    const char *sub = argv[1];
    model_opts o;
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc)
        return rc;
    if (!strcmp(sub, "from-eml"))
        return cmd_from_eml(&o);
    if (!strcmp(sub, "from-pdf"))
        return cmd_from_design(&o, 0);
    if (!strcmp(sub, "from-scan"))
        return cmd_from_design(&o, 1);
    if (!strcmp(sub, "check"))
        return cmd_check(&o);
    if (!strcmp(sub, "render"))
        return cmd_render(&o);
    if (!strcmp(sub, "inspect"))
        return cmd_inspect(&o);
    st_cli_error("model: unknown subcommand \"%s\"", sub);
    fputs(model_usage, stderr);
    return ST_EXIT_USAGE;
}
