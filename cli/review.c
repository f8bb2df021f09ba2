/* review.c - `stemtel review`: the ballots people must decide
 *
 * list walks the store's open ballots (review, possible rescans, or
 * rejected, and not yet decided); show prints one ballot's proposal, the
 * earlier page it may be a rescan of, its history of decisions
 * and moves and every box's score from its stored record; decide records
 * a member's decision on a ballot (under the store's rule of vier ogen
 * only a proposal, which confirm makes the decision when a second member
 * agrees), or voids a whole batch; batches lists the counting runs' pages
 * per station; move puts a batch's pages on another station; rule shows
 * or switches vier ogen.
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

/* Text from the store (names, notes, files and stations came from
 * outside, maybe before stemtel checked them) is escaped for the
 * terminal. */
#include "util/text.h"

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
    "usage: stemtel review list --store FILE [--all] [--station ID] [--reason CODE]\n"
    "       stemtel review show ID --store FILE [--png FILE]\n"
    "       stemtel review decide ID --store FILE --as DECISION --by NAME [--note TEXT]\n"
    "       stemtel review decide --batch N --station ID|none --store FILE\n"
    "                             --as void:REASON --by NAME [--note TEXT]\n"
    "       stemtel review batches --store FILE\n"
    "       stemtel review move --batch N --station ID|none --to ID --store FILE\n"
    "                           --by NAME [--note TEXT]\n"
    "       stemtel review confirm ID --store FILE --by NAME\n"
    "       stemtel review rule --store FILE [--four-eyes on|off --by NAME]\n"
    "\n"
    "list     the ballots waiting for people: in review (possible_rescan: its\n"
    "         marks match an earlier page's of the station, which it names), or\n"
    "         rejected (counted by hand), and not yet decided; --all lists every\n"
    "         ballot with a decision too; --station and --reason (a review or\n"
    "         reject reason) filter\n"
    "show     one ballot: where it came from, what the pipeline found and\n"
    "         proposes, the earlier page it may be a rescan of, every decision\n"
    "         and move in the order taken, and every\n"
    "         box's score and state; --png writes the page with every box\n"
    "         outlined in the colour of its state (green marked, orange\n"
    "         marginal, blue empty) and its score\n"
    "decide   record who decided ballot ID as what, when, and why. DECISION is\n"
    "         candidate:LIST:NUMBER, list:LIST (the list box alone), blank,\n"
    "         invalid:REASON (number_without_list, several_lists,\n"
    "         no_such_candidate, several_numbers, identifying_writing, other:\n"
    "         needs --note; party_only where the model makes a list box alone\n"
    "         invalid) or void:REASON (rescan: the same sheet scanned again;\n"
    "         not_a_ballot: a blank page, a foreign paper, a misread sheet;\n"
    "         damaged: replaced by a rescan of the same sheet): a void page\n"
    "         counts in no figure. With --batch, every page of that batch under\n"
    "         that station is made void at once. A later decision replaces an\n"
    "         earlier one in the result; both stay on record. Under vier ogen\n"
    "         (see rule) a decision on one ballot is only a proposal until\n"
    "         another member confirms it, and --batch is refused\n"
    "batches  every counting run's pages per station: the N and ID for --batch\n"
    "move     put every page of batch N under --station on station --to (a\n"
    "         stack fed under the wrong station); the pages keep the station\n"
    "         they were counted under in their record\n"
    "confirm  a second member agrees with the decision proposed on ballot ID\n"
    "         under vier ogen: it becomes the decision, with both members and\n"
    "         both times on record; the member who proposed it cannot\n"
    "rule     whether vier ogen is on, and who switched it when; with\n"
    "         --four-eyes on|off the voorzitter (--by) switches it. While it is\n"
    "         on, decide and the desk of `stemtel serve` only propose\n"
    "NAME is a member registered with `stemtel members add`.\n";

/* What the pipeline found, or for a possible rescan the review it is held
 * in until people decide. */
static const st_outcome *shown(const st_store_ballot *b)
{
    return b->rescan_of ? &b->held : &b->found;
}

/* The decision proposed on a ballot under vier ogen, still waiting. */
static int print_pending(void *ctx, const st_store_proposal *p)
{
    char dec[64], by[512];
    (void)ctx;
    printf("; proposed %s by %s, waiting for a second member",
           st_decision_text(&p->o, dec, sizeof dec), ST_TEXT_SHOWN(p->by, by));
    return 0;
}

static int print_line(st_store *s, const st_store_ballot *b, st_error *err)
{
    char found[64], prop[64], dec[64];
    const st_outcome *o = shown(b);
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
    char st[256], file[4200], by[512];
    /* A review proposing a review is no proposal: people read the page. */
    printf("%-6lld %-14s %s page %d: %s; proposal %s", (long long)b->id,
           b->station ? ST_TEXT_SHOWN(b->station, st) : "(no station)",
           ST_TEXT_SHOWN(b->file, file), b->page, found,
           p.kind == ST_OUTCOME_REVIEW ? "none" : st_decision_text(&p, prop, sizeof prop));
    if (b->rescan_of)
        printf("; possible rescan of ballot %lld (similarity %.3f)", (long long)b->rescan_of,
               b->rescan_similarity);
    if (b->decided)
        printf("; decided %s by %s", st_decision_text(&b->decision, dec, sizeof dec),
               ST_TEXT_SHOWN(b->decided_by, by));
    if (b->confirmed_by)
        printf(", confirmed by %s", ST_TEXT_SHOWN(b->confirmed_by, by));
    int rc = st_store_pending_each(s, b->id, print_pending, NULL, err);
    putchar('\n');
    return rc;
}

/* The reasons seen on the ballots a list would show, but for --reason:
 * named when that filter matches none (a typo reads as "nothing left"). */
#define LIST_REASONS 24
typedef struct list_ctx {
    int all, n;
    const char *station, *reason;
    st_store *s;
    st_error *err;
    int n_seen;
    char seen[LIST_REASONS][ST_REASON_MAX];
} list_ctx;

static void note_reasons(list_ctx *c, const st_outcome *o)
{
    for (int i = 0; i < o->n_reasons; i++) {
        int k = 0;
        while (k < c->n_seen && strcmp(c->seen[k], o->reasons[i]))
            k++;
        if (k == c->n_seen && c->n_seen < LIST_REASONS)
            memcpy(c->seen[c->n_seen++], o->reasons[i], ST_REASON_MAX);
    }
}

static int has_reason(const st_outcome *o, const char *r)
{
    for (int i = 0; i < o->n_reasons; i++)
        if (!strcmp(o->reasons[i], r))
            return 1;
    return 0;
}

static int list_one(void *ctx, st_store_ballot *b)
{
    list_ctx *c = ctx;
    if (c->all && !b->decided && shown(b)->kind != ST_OUTCOME_REVIEW &&
        b->found.kind != ST_OUTCOME_REJECTED)
        return 0;
    if (c->station && (!b->station || strcmp(c->station, b->station)))
        return 0;
    note_reasons(c, shown(b));
    if (c->reason && !has_reason(shown(b), c->reason))
        return 0;
    c->n++;
    return print_line(c->s, b, c->err);
}

static int print_event(void *ctx, const st_store_event *e)
{
    char dec[64], at[64], to[256], by[512];
    (void)ctx;
    if (e->move)
        printf("  %s  moved to %s by %s", ST_TEXT_SHOWN(e->at, at),
               ST_TEXT_SHOWN(e->to_station, to), ST_TEXT_SHOWN(e->by, by));
    else
        printf("  %s  %s %s by %s", ST_TEXT_SHOWN(e->at, at),
               e->proposed ? "proposed (four eyes, not confirmed)" : "decided",
               st_decision_text(&e->decision, dec, sizeof dec), ST_TEXT_SHOWN(e->by, by));
    if (e->confirmed_by) {
        char cby[512], cat[64];
        printf(", confirmed by %s at %s", ST_TEXT_SHOWN(e->confirmed_by, cby),
               ST_TEXT_SHOWN(e->confirmed_at, cat));
    }
    if (e->note) {
        fputs(": ", stdout);
        st_text_put(stdout, e->note);
    }
    putchar('\n');
    return 0;
}

static int show(st_store *s, const st_store_ballot *b, st_error *err)
{
    char file[4200], hash[80], st[256], box[64], state[64];
    if (print_line(s, b, err))
        return ST_EXIT_FAIL;
    printf("file    %s\npage    %d\nsha256  %s\nbatch   %lld\n", ST_TEXT_SHOWN(b->file, file),
           b->page, ST_TEXT_SHOWN(b->sha256, hash), (long long)b->batch);
    if (b->counted_station != b->station &&
        (!b->counted_station || !b->station || strcmp(b->counted_station, b->station)))
        printf("counted under %s\n",
               b->counted_station ? ST_TEXT_SHOWN(b->counted_station, st) : "no station");
    json_object *rec = json_tokener_parse(b->record), *v = NULL;
    if (rec && json_object_object_get_ex(rec, "message", &v)) {
        fputs("message ", stdout);
        st_text_put(stdout, json_object_get_string(v));
        putchar('\n');
    }
    if (b->rescan_of) {
        /* Its marks match an earlier page's: the same sheet fed twice? */
        st_store_ballot e = {0};
        char found[64];
        printf("possible rescan of ballot %lld (similarity %.3f)", (long long)b->rescan_of,
               b->rescan_similarity);
        if (st_store_get(s, b->rescan_of, &e, err) == ST_OK)
            printf(": %s page %d", ST_TEXT_SHOWN(e.file, file), e.page);
        st_store_ballot_clear(&e);
        printf("; read here as %s\n", st_decision_text(&b->found, found, sizeof found));
        printf("        the same sheet: decide --as void:rescan; another ballot: decide its vote\n");
    }
    printf("history\n");
    if (st_store_history(s, b->id, print_event, NULL, err)) {
        json_object_put(rec);
        return ST_EXIT_FAIL;
    }
    if (!b->decided)
        printf("  (no decision yet)\n");
    if (rec && json_object_object_get_ex(rec, "writing", &v) && v) {
        fputs("writing outside the boxes: ", stdout);
        st_text_put(stdout, json_object_to_json_string(v));
        putchar('\n');
    }
    if (rec && json_object_object_get_ex(rec, "boxes", &v)) {
        printf("box        score   faint  state\n");
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *x = json_object_array_get_idx(v, i), *id, *sc, *fa, *stt;
            json_object_object_get_ex(x, "id", &id);
            json_object_object_get_ex(x, "score", &sc);
            json_object_object_get_ex(x, "faint", &fa);
            json_object_object_get_ex(x, "state", &stt);
            printf("%-8s %7.4f %7.4f  %s%s\n", ST_TEXT_SHOWN(json_object_get_string(id), box),
                   json_object_get_double(sc), json_object_get_double(fa),
                   ST_TEXT_SHOWN(json_object_get_string(stt), state),
                   strcmp(json_object_get_string(stt), "empty") ? "  <" : "");
        }
    } else {
        printf("no boxes were read from this page\n");
    }
    json_object_put(rec);
    return ST_EXIT_OK;
}

static int print_group(void *ctx, const st_store_group *g)
{
    int *n = ctx;
    char st[256], at[64];
    printf("batch %-4lld %-14s %6lld page%s (ids %lld-%lld)%s, started %s", (long long)g->batch,
           g->station ? ST_TEXT_SHOWN(g->station, st) : "none", (long long)g->pages,
           g->pages == 1 ? " " : "s", (long long)g->first_id, (long long)g->last_id,
           g->moved ? ", moved here" : "", ST_TEXT_SHOWN(g->started, at));
    if (g->voided)
        printf(", %lld void", (long long)g->voided);
    putchar('\n');
    (*n)++;
    return 0;
}

#define REVIEW_VERBS "list, show, decide, batches, move, confirm or rule"

/* One switch of vier ogen, for rule. */
static int print_rule_change(void *ctx, const st_store_rule_change *c)
{
    char by[512], at[64];
    (void)ctx;
    printf("  %s  switched %s by %s\n", ST_TEXT_SHOWN(c->at, at), c->on ? "on" : "off",
           ST_TEXT_SHOWN(c->by, by));
    return 0;
}

static int parse_id(const char *what, const char *text, int64_t *id)
{
    long long v;
    if (st_cli_int(what, text, 1, INT64_MAX, &v))
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
                                          {"station", required_argument, NULL, 's'},
                                          {"reason", required_argument, NULL, 'r'},
                                          {"batch", required_argument, NULL, 'B'},
                                          {"to", required_argument, NULL, 't'},
                                          {"four-eyes", required_argument, NULL, '4'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *as = NULL, *by = NULL, *note = NULL, *png = NULL;
    const char *station = NULL, *reason = NULL, *batch_text = NULL, *to = NULL, *verb;
    const char *rule = NULL;
    int c, all = 0;
    if ((c = st_cli_no_verb(argc, argv, "review", REVIEW_VERBS, review_usage)) >= 0)
        return c;
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
        case 's': station = optarg; break;
        case 'r': reason = optarg; break;
        case 'B': batch_text = optarg; break;
        case 't': to = optarg; break;
        case '4': rule = optarg; break;
        case 'h': fputs(review_usage, stdout); return ST_EXIT_OK;
        default: fputs(review_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    enum { LIST, SHOW, DECIDE, BATCHES, MOVE, CONFIRM, RULE, N_VERBS };
    static const char *const verbs[N_VERBS] = {"list", "show", "decide", "batches",
                                               "move", "confirm", "rule"};
    int v = -1;
    for (int i = 0; i < N_VERBS; i++)
        if (!strcmp(verb, verbs[i]))
            v = i;
    if (v < 0) {
        st_cli_error("review: unknown \"%s\": want " REVIEW_VERBS, verb);
        return ST_EXIT_USAGE;
    }
    /* decide takes an ID, or --batch with --station; show and confirm take
     * an ID. */
    int by_batch = v == MOVE || (v == DECIDE && batch_text);
    int want_id = v == SHOW || v == CONFIRM || (v == DECIDE && !by_batch);
    const char *need = NULL;
    if (!store_path)
        need = "--store FILE";
    else if (optind != argc - want_id)
        need = want_id ? "one ID"
               : v == RULE ? "no ID"
                           : "no ID (the pages are named by --batch and --station)";
    else if (v == DECIDE && (!as || !by))
        need = "--as DECISION and --by NAME";
    else if (by_batch && (!batch_text || !station))
        need = "--batch N and --station ID (none: the pages counted without one)";
    else if (v == MOVE && (!to || !by))
        need = "--to STATION and --by NAME";
    else if (v == CONFIRM && !by)
        need = "--by NAME (the second member)";
    else if (v == RULE && rule && (!by || (strcmp(rule, "on") && strcmp(rule, "off"))))
        need = "--four-eyes on or off, and --by NAME (the voorzitter)";
    else if (v == RULE && !rule && by)
        need = "--four-eyes on|off with --by";
    if (need) {
        st_cli_error("review %s: need %s", verb, need);
        fputs(review_usage, stderr);
        return ST_EXIT_USAGE;
    }
    int64_t id = 0, batch = 0;
    if (want_id && parse_id("ID", argv[optind], &id))
        return ST_EXIT_USAGE;
    if (by_batch && parse_id("--batch", batch_text, &batch))
        return ST_EXIT_USAGE;
    const char *group_station = station && strcmp(station, "none") ? station : NULL;
    st_error err = {0};
    st_store *s = NULL;
    st_store_ballot b = {0};
    int rc = ST_EXIT_FAIL, n = 0, four_eyes = 0;
    /* list, show, batches and rule without a switch only read: they work
     * on a read-only store. */
    int reads = v == LIST || v == SHOW || v == BATCHES || (v == RULE && !rule);
    if ((reads ? st_store_open_readonly(store_path, &s, &err)
               : st_store_open(store_path, NULL, &s, &err)))
        goto out;
    if (v == DECIDE && st_store_four_eyes_get(s, &four_eyes, &err))
        goto out;
    if (v == LIST && station && st_store_station_check(s, station, &err))
        goto out; /* a typo, not a station with nothing waiting */
    if (v == LIST) {
        list_ctx lc = {all, 0, station, reason, s, &err, 0, {{0}}};
        if (st_store_each(s, all ? ST_STORE_ALL : ST_STORE_OPEN, list_one, &lc, &err))
            goto out;
        if (reason && !lc.n) {
            fprintf(stderr, "stemtel: review list: no ballot here has reason \"%s\"%s",
                    reason, lc.n_seen ? "; the reasons here: " : "");
            for (int i = 0; i < lc.n_seen; i++)
                fprintf(stderr, "%s%s", i ? ", " : "", lc.seen[i]);
            fputc('\n', stderr);
        }
        printf("%d ballot%s%s\n", lc.n, lc.n == 1 ? "" : "s",
               all ? " in review, rejected or decided" : " waiting for a decision");
        rc = ST_EXIT_OK;
    } else if (v == SHOW) {
        if (st_store_get(s, id, &b, &err) || show(s, &b, &err))
            goto out;
        rc = ST_EXIT_OK;
        if (png) {
            if (proof(st_store_model(s), &b, png, &err)) {
                rc = ST_EXIT_FAIL;
                goto out;
            }
            printf("page with its boxes drawn: %s\n", png);
        }
    } else if (v == DECIDE) {
        st_outcome o;
        char text[64];
        if (st_decision_parse(st_store_model(s), as, &o, &err))
            goto out;
        if (by_batch && four_eyes) {
            /* A proposal is one ballot's; a batch's void would count on
             * one member's word. */
            st_error_set(&err, ST_ERR_ARG, "review: %s: vier ogen is on, and a whole batch "
                         "cannot wait for a second member: decide its ballots one by one, "
                         "or the voorzitter switches the rule off (review rule --four-eyes off)",
                         store_path);
            goto out;
        }
        if (by_batch) {
            if (st_store_decide_batch(s, batch, group_station, &o, by, note, &n, &err))
                goto out;
            printf("%d page%s of batch %lld (%s) decided as %s by %s\n", n, n == 1 ? "" : "s",
                   (long long)batch, station, st_decision_text(&o, text, sizeof text), by);
        } else if (four_eyes) {
            if (st_store_propose(s, id, &o, by, note, &err))
                goto out;
            printf("ballot %lld proposed as %s by %s; vier ogen: it counts once another "
                   "member confirms it (stemtel review confirm %lld --store %s --by NAME)\n",
                   (long long)id, st_decision_text(&o, text, sizeof text), by, (long long)id,
                   store_path);
        } else {
            if (st_store_decide(s, id, &o, by, note, &err))
                goto out;
            printf("ballot %lld decided as %s by %s\n", (long long)id,
                   st_decision_text(&o, text, sizeof text), by);
        }
        rc = ST_EXIT_OK;
    } else if (v == BATCHES) {
        if (st_store_batches_each(s, print_group, &n, &err))
            goto out;
        printf("%d batch%s\n", n, n == 1 ? "" : "es");
        rc = ST_EXIT_OK;
    } else if (v == MOVE) {
        if (st_store_move_batch(s, batch, group_station, to, by, note, &n, &err))
            goto out;
        printf("%d page%s of batch %lld moved from %s to %s by %s\n", n, n == 1 ? "" : "s",
               (long long)batch, station, to, by);
        rc = ST_EXIT_OK;
    } else if (v == CONFIRM) {
        if (st_store_confirm(s, id, by, &err))
            goto out;
        printf("ballot %lld: the proposal confirmed by %s; it counts now\n", (long long)id, by);
        rc = ST_EXIT_OK;
    } else {
        int was = 0;
        if (rule && (st_store_four_eyes_get(s, &was, &err) ||
                     st_store_four_eyes_set(s, !strcmp(rule, "on"), by, &err)))
            goto out;
        if (rule && was == !strcmp(rule, "on"))
            printf("vier ogen was %s already: nothing recorded\n", rule);
        if (st_store_four_eyes_get(s, &four_eyes, &err))
            goto out;
        printf("vier ogen: %s\n", four_eyes ? "on (a decision counts once a second member "
                                              "confirms it)" : "off");
        if (st_store_four_eyes_each(s, print_rule_change, NULL, &err))
            goto out;
        rc = ST_EXIT_OK;
    }
out:
    if (rc)
        st_cli_error("%s", err.msg);
    st_store_ballot_clear(&b);
    st_store_close(s);
    return rc;
}
