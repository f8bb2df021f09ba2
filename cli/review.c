/* review.c - `stemtel review`: the ballots people must decide
 *
 * list walks the store's open ballots (review, or rejected and not yet
 * decided); show prints one ballot's proposal, decisions and every box's
 * score from its stored record; decide records a person's decision.
 */
#include "cli.h"
#include "stemtel/proof.h"
#include "stemtel/store.h"
#include "sources/filebytes.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Draw b's page with its boxes into png: the record is checked before
 * the file is read, so a rejected page says so whether or not its file
 * is still there. */
static int proof(const st_model *m, const st_store_ballot *b, const char *png, st_error *err)
{
    st_filebytes fb = {0};
    st_error ferr = {0};
    int rc = st_proof_check(b->record, b->file, b->page, err);
    if (rc)
        goto out;
    if (st_filebytes_open(&fb, b->file, &ferr)) {
        size_t skip = strlen(b->file) + 2;
        rc = st_error_set(err, ST_ERR_IO, "proof: %s: cannot read: %s", b->file,
                          fb.sys_errno ? strerror(fb.sys_errno)
                          : strlen(ferr.msg) > skip ? ferr.msg + skip
                                                    : ferr.msg);
        goto out;
    }
    rc = st_proof_png(m, fb.bytes, fb.len, b->file, b->page, b->record, png, err);
out:
    st_filebytes_close(&fb);
    return rc;
}

static const char *const review_usage =
    "usage: stemtel review list --store FILE [--all]\n"
    "       stemtel review show ID --store FILE [--png FILE]\n"
    "       stemtel review decide ID --store FILE --as DECISION --by NAME [--note TEXT]\n"
    "\n"
    "list    the ballots waiting for people: in review, or rejected (counted by\n"
    "        hand) and not yet decided; --all lists every ballot with a decision too\n"
    "show    one ballot: where it came from, what the pipeline found and\n"
    "        proposes, the decisions taken, and every box's score and state;\n"
    "        --png writes the page with every box outlined in the colour of its\n"
    "        state (green marked, orange marginal, blue empty) and its score\n"
    "decide  record who decided ballot ID as what, when, and why. DECISION is\n"
    "        candidate:LIST:NUMBER, list:LIST (the list box alone), blank or\n"
    "        invalid:REASON. A later decision replaces an earlier one in the\n"
    "        result; both stay on record.\n";

static void print_line(const st_store_ballot *b)
{
    char found[64], prop[64], dec[64];
    const st_outcome *o = &b->found;
    st_outcome p = *o;
    p.kind = o->proposal;
    p.list = o->proposal_list;
    p.candidate = o->proposal_candidate;
    p.party_only = o->proposal_party_only;
    p.n_reasons = o->proposal_reason[0] != '\0';
    snprintf(p.reasons[0], sizeof p.reasons[0], "%s", o->proposal_reason);
    snprintf(found, sizeof found, "%s", st_outcome_name(o->kind));
    for (int i = 0; i < o->n_reasons; i++)
        snprintf(found + strlen(found), sizeof found - strlen(found), "%s%s", i ? "," : " ",
                 o->reasons[i]);
    printf("%-6lld %-14s %s page %d: %s; proposal %s", (long long)b->id,
           b->station ? b->station : "(no station)", b->file, b->page, found,
           st_decision_text(&p, prop, sizeof prop));
    if (b->decided)
        printf("; decided %s by %s", st_decision_text(&b->decision, dec, sizeof dec),
               b->decided_by);
    putchar('\n');
}

typedef struct list_ctx {
    int all, n;
} list_ctx;

static int list_one(void *ctx, st_store_ballot *b)
{
    list_ctx *c = ctx;
    if (c->all && !b->decided && b->found.kind != ST_OUTCOME_REVIEW &&
        b->found.kind != ST_OUTCOME_REJECTED)
        return 0;
    print_line(b);
    c->n++;
    return 0;
}

static int show(const st_store_ballot *b)
{
    print_line(b);
    printf("file    %s\npage    %d\nsha256  %s\n", b->file, b->page, b->sha256);
    json_object *rec = json_tokener_parse(b->record), *v = NULL;
    if (rec && json_object_object_get_ex(rec, "message", &v))
        printf("message %s\n", json_object_get_string(v));
    if (b->decided) {
        char dec[64];
        printf("decision %s by %s at %s%s%s\n",
               st_decision_text(&b->decision, dec, sizeof dec), b->decided_by, b->decided_at,
               b->note ? ": " : "", b->note ? b->note : "");
    }
    if (rec && json_object_object_get_ex(rec, "writing", &v) && v)
        printf("writing outside the boxes: %s\n", json_object_to_json_string(v));
    if (rec && json_object_object_get_ex(rec, "boxes", &v)) {
        printf("box        score   faint  state\n");
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *x = json_object_array_get_idx(v, i), *id, *sc, *fa, *stt;
            json_object_object_get_ex(x, "id", &id);
            json_object_object_get_ex(x, "score", &sc);
            json_object_object_get_ex(x, "faint", &fa);
            json_object_object_get_ex(x, "state", &stt);
            printf("%-8s %7.4f %7.4f  %s%s\n", json_object_get_string(id),
                   json_object_get_double(sc), json_object_get_double(fa),
                   json_object_get_string(stt),
                   strcmp(json_object_get_string(stt), "empty") ? "  <" : "");
        }
    } else {
        printf("no boxes were read from this page\n");
    }
    json_object_put(rec);
    return ST_EXIT_OK;
}

static int parse_id(const char *text, int64_t *id)
{
    long long v;
    if (st_cli_int("ID", text, 1, INT64_MAX, &v))
        return -1;
    *id = v;
    return 0;
}

int st_cli_review(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"all", no_argument, NULL, 'a'},
                                          {"as", required_argument, NULL, 'A'},
                                          {"by", required_argument, NULL, 'b'},
                                          {"note", required_argument, NULL, 'n'},
                                          {"png", required_argument, NULL, 'p'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *as = NULL, *by = NULL, *note = NULL, *png = NULL, *verb;
    int c, all = 0;
    if (argc < 2 || argv[1][0] == '-') {
        int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        if (!help)
            st_cli_error("review: want list, show or decide");
        fputs(review_usage, help ? stdout : stderr);
        return help ? ST_EXIT_OK : ST_EXIT_USAGE;
    }
    verb = argv[1];
    argc--, argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 'a': all = 1; break;
        case 'A': as = optarg; break;
        case 'b': by = optarg; break;
        case 'n': note = optarg; break;
        case 'p': png = optarg; break;
        case 'h': fputs(review_usage, stdout); return ST_EXIT_OK;
        default: fputs(review_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    int want_id = strcmp(verb, "list") != 0;
    if (strcmp(verb, "list") && strcmp(verb, "show") && strcmp(verb, "decide")) {
        st_cli_error("review: unknown \"%s\": want list, show or decide", verb);
        return ST_EXIT_USAGE;
    }
    if (!store_path || optind != argc - want_id ||
        (!strcmp(verb, "decide") && (!as || !by))) {
        st_cli_error(!strcmp(verb, "decide")
                         ? "review decide: need ID, --store FILE, --as DECISION and --by NAME"
                         : "review %s: need --store FILE%s", verb, want_id ? " and one ID" : "");
        fputs(review_usage, stderr);
        return ST_EXIT_USAGE;
    }
    int64_t id = 0;
    if (want_id && parse_id(argv[optind], &id))
        return ST_EXIT_USAGE;
    st_error err = {0};
    st_store *s = NULL;
    st_store_ballot b = {0};
    int rc = ST_EXIT_FAIL;
    if (st_store_open(store_path, NULL, &s, &err))
        goto out;
    if (!strcmp(verb, "list")) {
        list_ctx lc = {all, 0};
        if (st_store_each(s, all ? ST_STORE_ALL : ST_STORE_OPEN, list_one, &lc, &err))
            goto out;
        printf("%d ballot%s%s\n", lc.n, lc.n == 1 ? "" : "s",
               all ? " in review, rejected or decided" : " waiting for a decision");
        rc = ST_EXIT_OK;
    } else if (!strcmp(verb, "show")) {
        if (st_store_get(s, id, &b, &err))
            goto out;
        rc = show(&b);
        if (png) {
            if (proof(st_store_model(s), &b, png, &err)) {
                rc = ST_EXIT_FAIL;
                goto out;
            }
            printf("page with its boxes drawn: %s\n", png);
        }
    } else {
        st_outcome o;
        char text[64];
        if (st_decision_parse(st_store_model(s), as, &o, &err) ||
            st_store_decide(s, id, &o, by, note, &err))
            goto out;
        printf("ballot %lld decided as %s by %s\n", (long long)id,
               st_decision_text(&o, text, sizeof text), by);
        rc = ST_EXIT_OK;
    }
out:
    if (rc)
        st_cli_error("%s", err.msg);
    st_store_ballot_clear(&b);
    st_store_close(s);
    return rc;
}
