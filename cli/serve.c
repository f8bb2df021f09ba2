/* serve.c - `stemtel serve`: the sitting's screens in a browser
 *
 * Parses the options, catches Ctrl-C and TERM into the stop flag and
 * hands over to st_serve_run (app layer), which answers until then.
 */
#include "cli.h"
#include "stemtel/serve.h"

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *const serve_usage =
    "usage: stemtel serve --store FILE [--listen ADDR:PORT] [--allow-decisions]\n"
    "                     [--four-eyes]\n"
    "\n"
    "Serve the sitting's screens over the store, read-only, while `stemtel scan`\n"
    "fills it: the public display at /, the operator view at /operator and the\n"
    "reconciliation at /reconcile (in Dutch; add ?lang=en for English). Every\n"
    "screen updates itself every second. The adjudication desk is at /desk: a\n"
    "member logs in with the password of `stemtel members passwd` and decides\n"
    "ballots by clicking, recorded as `stemtel review decide` records them. Once\n"
    "nothing blocks a final result, a logged-in member downloads the EML 510b\n"
    "from the reconciliation (as `stemtel export eml` writes it).\n"
    "  --listen ADDR:PORT  where to listen (default 127.0.0.1:8080; port 0: any\n"
    "                   free port, said on stderr); IPv6 as [ADDR]:PORT\n"
    "  --allow-decisions   on an address other than loopback, serve every view and\n"
    "                   the desk;\n"
    "                   without it such an address serves only the public display\n"
    "  --four-eyes         vier ogen for this run: a decision at the desk counts\n"
    "                   only once a second, different member confirms it; until\n"
    "                   then the ballot stays in review, \"wacht op tweede lid\".\n"
    "                   Without it serve follows the store's rule, which the\n"
    "                   voorzitter switches with `stemtel review rule`, also while\n"
    "                   serve runs; the flag cannot switch that rule off\n"
    "Ctrl-C (or TERM) stops it.\n";

/* The one flag a signal handler may set. */
static volatile sig_atomic_t serve_stop;

static void on_signal(int sig)
{
    (void)sig;
    serve_stop = 1;
}

int st_cli_serve(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"listen", required_argument, NULL, 'l'},
                                          {"allow-decisions", no_argument, NULL, 'a'},
                                          {"four-eyes", no_argument, NULL, '4'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    st_serve_opts o = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': o.store_path = optarg; break;
        case 'l': o.listen = optarg; break;
        case 'a': o.allow_decisions = 1; break;
        case '4': o.four_eyes = 1; break;
        case 'h': fputs(serve_usage, stdout); return ST_EXIT_OK;
        default: fputs(serve_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (!o.store_path || optind != argc) {
        st_cli_error("serve: need --store FILE and nothing else");
        fputs(serve_usage, stderr);
        return ST_EXIT_USAGE;
    }
    /* The reconciliation's export button needs the official schema; without
     * it the button says why it cannot export. */
    char xsd[PATH_MAX + 64];
    st_error err = {0}, no_schema = {0};
    if (st_cli_find_schema(xsd, sizeof xsd, &no_schema) == 0)
        o.xsd = xsd;
    o.stop = &serve_stop;
    o.log = stderr;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    serve_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = st_serve_run(&o, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc) {
        st_cli_error("%s", err.msg);
        return rc == ST_ERR_ARG ? ST_EXIT_USAGE : ST_EXIT_FAIL;
    }
    return ST_EXIT_OK;
}
