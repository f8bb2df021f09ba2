/* synth.c - `stemtel synth`: marked test ballots with ground truth */
#include "cli.h"
#include "stemtel/model.h"
#include "synth/synth.h"
#include "util/clock.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const synth_usage =
    "usage: stemtel synth MODEL.json --count N --seed S --out DIR [options]\n"
    "\n"
    "Draw N marked ballots of MODEL as a voter and a scanner would leave them,\n"
    "as TIFF pages in DIR, with DIR/truth.jsonl saying for each what was marked\n"
    "and the outcome it must get. The same seed gives the same bytes.\n"
    "\n"
    "  --count N             ballots to make (default 10)\n"
    "  --seed S              random seed (default 1)\n"
    "  --out DIR             output folder (created if missing)\n"
    "  --dpi N               150..600 (default 200)\n"
    "  --format F            g4 | grey | grey-lzw | grey-deflate | grey-jpeg |\n"
    "                        rgb | rgb-jpeg (default rgb-jpeg)\n"
    "  --jpeg-quality Q      1..100 (default 85)\n"
    "  --pages-per-file N    N > 1 writes multi-page stack-NNNN.tif files\n"
    "  --styles LIST         fill,partial,x,check,stroke,circle,dot, and marks\n"
    "                        that leave the box: x-overshoot,check-tail,\n"
    "                        scribble-over,ring (default: a mix of all)\n"
    "  --instruments LIST    red-pencil,blue-pen,black-pen,faint (default: a mix)\n"
    "  --scenarios LIST      vote,list-only,number-only,several-lists,\n"
    "                        several-numbers,beyond-list,blank,between\n"
    "  --degrade LIST        rotate,shift,scale,upside-down,noise,blur,jpeg,\n"
    "                        streak,streak-marked,streak-empty (dark band through\n"
    "                        a marked or an empty box),\n"
    "                        fold,fold-slant,fold-vertical,\n"
    "                        stray (scribbles away from the boxes),\n"
    "                        writing (words or initials by a marked box or\n"
    "                        anywhere), crop (the image is the paper's frame:\n"
    "                        a turned page loses corners), transport (uneven\n"
    "                        feed: stretch up to 1%, shear up to 0.6% at\n"
    "                        level 1), or none\n"
    "                        (default: each ballot a random mix of all)\n"
    "  --degrade-level X     0..1, size of the degradations (default 0.5)\n"
    "  --votes-from FILE --station ID\n"
    "                        make exactly the ballots of polling station ID in an\n"
    "                        EML 510b count (e.g. 0668::SB1); --count is ignored\n"
    "  --vote LIST[:NUMBER]  every ballot a vote for that candidate, or for the\n"
    "                        list by its box alone (distinct ballots with the\n"
    "                        same vote)\n"
    "  --rescans N           N of the ballots (with --votes-from: N more) are a\n"
    "                        second scan of a sheet 1-10 ballots before, as after\n"
    "                        a jam: the same marks, folds and writing, the scanner's\n"
    "                        degradations drawn anew; truth.jsonl names the first\n"
    "                        scan in rescan_of\n"
    "  --background PROOF.pdf [--background-page N]\n"
    "                        draw on the printer's proof of the ballot (page N,\n"
    "                        default 1) instead of our rendering of MODEL, which\n"
    "                        must be the proof's (stemtel model from-pdf)\n"
    "  --threads N           worker threads (default: all cores)\n"
    "  \"all\" selects every name of a list, e.g. --styles all; a list given is\n"
    "  used uniformly (styles, instruments, scenarios) or on every ballot\n"
    "  (degradations). truth.jsonl names each ballot's degradations in\n"
    "  degradations.applied.\n";

int st_cli_synth(int argc, char **argv)
{
    static const struct option longs[] = {
        {"count", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"dpi", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"jpeg-quality", required_argument, NULL, 'q'},
        {"pages-per-file", required_argument, NULL, 'p'},
        {"styles", required_argument, NULL, 'S'},
        {"instruments", required_argument, NULL, 'I'},
        {"scenarios", required_argument, NULL, 'C'},
        {"degrade", required_argument, NULL, 'G'},
        {"degrade-level", required_argument, NULL, 'L'},
        {"votes-from", required_argument, NULL, 'v'},
        {"station", required_argument, NULL, 'a'},
        {"vote", required_argument, NULL, 'V'},
        {"rescans", required_argument, NULL, 'R'},
        {"threads", required_argument, NULL, 't'},
        {"background", required_argument, NULL, 'B'},
        {"background-page", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    st_synth_opts o;
    st_synth_opts_default(&o);
    const char *out = NULL;
    st_error err = {0};
    long long v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (st_cli_int("--count", optarg, 1, 10000000, &v)) return ST_EXIT_USAGE;
            o.count = (int)v;
            break;
        case 's':
            if (st_cli_int("--seed", optarg, 0, (long long)(~0ull >> 1), &v)) return ST_EXIT_USAGE;
            o.seed = (uint64_t)v;
            break;
        case 'o': out = optarg; break;
        case 'd':
            if (st_cli_int("--dpi", optarg, 150, 600, &v)) return ST_EXIT_USAGE;
            o.dpi = (int)v;
            break;
        case 'f':
            if (st_tiff_format_parse(optarg, &o.format, &err)) goto usage_err;
            break;
        case 'q':
            if (st_cli_int("--jpeg-quality", optarg, 1, 100, &v)) return ST_EXIT_USAGE;
            o.jpeg_quality = (int)v;
            break;
        case 'p':
            if (st_cli_int("--pages-per-file", optarg, 1, 100000, &v)) return ST_EXIT_USAGE;
            o.pages_per_file = (int)v;
            break;
        case 'S': if (st_synth_parse_set("styles", optarg, &o.styles, &err)) goto usage_err; break;
        case 'I': if (st_synth_parse_set("instruments", optarg, &o.instruments, &err)) goto usage_err; break;
        case 'C': if (st_synth_parse_set("scenarios", optarg, &o.scenarios, &err)) goto usage_err; break;
        case 'G': if (st_synth_parse_set("degradations", optarg, &o.degradations, &err)) goto usage_err; break;
        case 'L': {
            char *end;
            o.degrade_level = strtod(optarg, &end);
            if (*end || end == optarg || !(o.degrade_level >= 0 && o.degrade_level <= 1)) {
                st_cli_error("--degrade-level: \"%s\" is not a number from 0 to 1", optarg);
                return ST_EXIT_USAGE;
            }
            break;
        }
        case 'v': o.votes_from = optarg; break;
        case 'a': o.station = optarg; break;
        case 'V': {
            int l = 0, n = 0, used = 0, got = sscanf(optarg, "%d%n:%d%n", &l, &used, &n, &used);
            if (got < 1 || optarg[used] || l < 1 || (got == 2 && n < 1)) {
                st_cli_error("--vote: \"%s\" is not LIST or LIST:NUMBER (e.g. 1:1)", optarg);
                return ST_EXIT_USAGE;
            }
            o.vote_list = l;
            o.vote_candidate = n;
            break;
        }
        case 'R':
            if (st_cli_int("--rescans", optarg, 0, 10000000, &v)) return ST_EXIT_USAGE;
            o.rescans = (int)v;
            break;
        case 't':
            if (st_cli_int("--threads", optarg, 1, 1024, &v)) return ST_EXIT_USAGE;
            o.threads = (int)v;
            break;
        case 'B': o.background = optarg; break;
        case 'P':
            if (st_cli_int("--background-page", optarg, 1, 10000, &v)) return ST_EXIT_USAGE;
            o.background_page = (int)v;
            break;
        case 'h': fputs(synth_usage, stdout); return ST_EXIT_OK;
        default: fputs(synth_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (argc - optind != 1 || !out) {
        st_cli_error("synth: need one MODEL.json and --out DIR");
        fputs(synth_usage, stderr);
        return ST_EXIT_USAGE;
    }
    if (!o.votes_from != !o.station) {
        st_cli_error("synth: --votes-from and --station go together");
        return ST_EXIT_USAGE;
    }

    st_model *m = NULL;
    if (st_model_load_checked(argv[optind], &m, &err)) {
        st_cli_error("%s", err.msg);
        return ST_EXIT_FAIL;
    }
    st_synth_report rep = {0};
    double t0 = st_clock_now();
    int rc = st_synth_run(m, &o, out, &rep, &err);
    double secs = st_clock_now() - t0;
    st_model_free(m);
    if (rc) {
        st_cli_error("%s", err.msg);
        return ST_EXIT_FAIL;
    }
    double s = secs;
    printf("%s: %d ballots in %d file%s (%.1f s): %d votes, %d blank, %d invalid, "
           "%d for review", out, rep.n_ballots, rep.n_files, rep.n_files == 1 ? "" : "s",
           s, rep.n_vote, rep.n_blank, rep.n_invalid, rep.n_review);
    if (rep.n_rescans)
        printf("; %d of them rescans of an earlier sheet", rep.n_rescans);
    printf("; ground truth in %s/truth.jsonl\n", out);
    return ST_EXIT_OK;

usage_err:
    st_cli_error("synth: %s", err.msg);
    return ST_EXIT_USAGE;
}
