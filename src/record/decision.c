/* decision.c - a person's decision on a ballot, as text
 *
 * Parsing looks at the word before the first colon and reads the numbers
 * after it strictly (digits only, at least 1, nothing trailing), then
 * asks the model whether the list and candidate exist. A vote by the
 * list box alone follows the model's party_only setting, so it becomes
 * the same outcome the pipeline would have given. The outcome's proposal
 * fields are set to the decision itself, as a decided ballot has no other
 * proposal. Invalid and void decisions take their reason from a fixed
 * list. Printing is the reverse, one snprintf per kind.
 */
#include "stemtel/decision.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reasons people may give, per kind. */
static const char *const invalid_reasons[] = {
    ST_REASON_NUMBER_WITHOUT_LIST, ST_REASON_SEVERAL_LISTS, ST_REASON_NO_SUCH_CANDIDATE,
    ST_REASON_SEVERAL_NUMBERS, ST_REASON_PARTY_ONLY, ST_REASON_IDENTIFYING_WRITING,
    ST_REASON_OTHER};
static const char *const void_reasons[] = {ST_VOID_RESCAN, ST_VOID_NOT_A_BALLOT,
                                           ST_VOID_DAMAGED};

const char *const *st_decision_reason_codes(st_outcome_kind kind, int *n)
{
    if (kind == ST_OUTCOME_INVALID) {
        *n = (int)(sizeof invalid_reasons / sizeof *invalid_reasons);
        return invalid_reasons;
    }
    if (kind == ST_OUTCOME_VOID) {
        *n = (int)(sizeof void_reasons / sizeof *void_reasons);
        return void_reasons;
    }
    *n = 0;
    return NULL;
}

/* party_only is an invalid reason only where the model makes a list box
 * alone invalid; elsewhere such a ballot is decided as list:LIST. */
static int reason_applies(const st_model *m, const char *r)
{
    return strcmp(r, ST_REASON_PARTY_ONLY) || m->settings.party_only == ST_PARTY_ONLY_INVALID;
}

int st_decision_reason_ok(const st_model *m, st_outcome_kind kind, const char *reason)
{
    int n;
    const char *const *v = st_decision_reason_codes(kind, &n);
    for (int i = 0; reason && i < n; i++)
        if (!strcmp(reason, v[i]))
            return reason_applies(m, reason);
    return 0;
}

const char *st_decision_reasons(const st_model *m, st_outcome_kind kind, char *buf, size_t n)
{
    int k, len = 0;
    const char *const *v = st_decision_reason_codes(kind, &k);
    if (n)
        buf[0] = '\0';
    for (int i = 0; i < k; i++)
        if (reason_applies(m, v[i]) && len >= 0 && (size_t)len < n)
            len += snprintf(buf + len, n - (size_t)len, "%s%s", len ? ", " : "", v[i]);
    return buf;
}

int st_decision_needs_note(const st_outcome *o)
{
    return o->kind == ST_OUTCOME_INVALID && o->n_reasons > 0 &&
           !strcmp(o->reasons[0], ST_REASON_OTHER);
}

static int parse_int(const char *t, int *v, const char **end)
{
    char *e;
    long x = strtol(t, &e, 10);
    if (e == t || x < 1 || x > INT_MAX || !isdigit((unsigned char)*t))
        return -1;
    *v = (int)x;
    *end = e;
    return 0;
}

int st_decision_parse(const st_model *m, const char *text, st_outcome *out, st_error *err)
{
    st_outcome o;
    const char *e;
    int list, cand;
    memset(&o, 0, sizeof o);
    if (!text)
        return st_error_set(err, ST_ERR_ARG, "decision: none given");
    if (!strcmp(text, "blank")) {
        o.kind = ST_OUTCOME_BLANK;
    } else if (!strncmp(text, "invalid:", 8) || !strncmp(text, "void:", 5)) {
        int inv = text[0] == 'i';
        const char *r = text + (inv ? 8 : 5);
        o.kind = inv ? ST_OUTCOME_INVALID : ST_OUTCOME_VOID;
        if (!st_decision_reason_ok(m, o.kind, r)) {
            char names[256];
            return st_error_set(err, ST_ERR_ARG, "decision \"%s\": the reason must be one of "
                                "%s", text, st_decision_reasons(m, o.kind, names, sizeof names));
        }
        o.n_reasons = 1;
        snprintf(o.reasons[0], ST_REASON_MAX, "%s", r);
    } else if (!strncmp(text, "list:", 5)) {
        if (parse_int(text + 5, &list, &e) || *e)
            return st_error_set(err, ST_ERR_ARG, "decision \"%s\": want list:NUMBER", text);
        if (!st_model_list(m, list))
            return st_error_set(err, ST_ERR_ARG, "decision \"%s\": the ballot has no list %d",
                                text, list);
        if (m->settings.party_only == ST_PARTY_ONLY_INVALID) {
            o.kind = ST_OUTCOME_INVALID;
            o.n_reasons = 1;
            snprintf(o.reasons[0], ST_REASON_MAX, "%s", ST_REASON_PARTY_ONLY);
        } else {
            o.kind = ST_OUTCOME_VOTE;
            o.list = list;
            o.candidate = 1;
            o.party_only = 1;
        }
    } else if (!strncmp(text, "candidate:", 10)) {
        if (parse_int(text + 10, &list, &e) || *e != ':' || parse_int(e + 1, &cand, &e) || *e)
            return st_error_set(err, ST_ERR_ARG,
                                "decision \"%s\": want candidate:LIST:NUMBER", text);
        const st_list *l = st_model_list(m, list);
        if (!l)
            return st_error_set(err, ST_ERR_ARG, "decision \"%s\": the ballot has no list %d",
                                text, list);
        if (cand > l->n_candidates)
            return st_error_set(err, ST_ERR_ARG,
                                "decision \"%s\": list %d has %d candidates", text, list,
                                l->n_candidates);
        o.kind = ST_OUTCOME_VOTE;
        o.list = list;
        o.candidate = cand;
    } else {
        return st_error_set(err, ST_ERR_ARG,
                            "decision \"%s\": want candidate:LIST:NUMBER, list:LIST, blank, "
                            "invalid:REASON or void:REASON", text);
    }
    o.proposal = o.kind;
    o.proposal_list = o.list;
    o.proposal_candidate = o.candidate;
    o.proposal_party_only = o.party_only;
    if (o.n_reasons)
        snprintf(o.proposal_reason, sizeof o.proposal_reason, "%s", o.reasons[0]);
    *out = o;
    return ST_OK;
}

char *st_decision_text(const st_outcome *o, char *buf, size_t n)
{
    switch (o->kind) {
    case ST_OUTCOME_VOTE:
        if (o->party_only)
            snprintf(buf, n, "list:%d", o->list);
        else
            snprintf(buf, n, "candidate:%d:%d", o->list, o->candidate);
        break;
    case ST_OUTCOME_INVALID:
    case ST_OUTCOME_VOID:
        snprintf(buf, n, "%s:%s", st_outcome_name(o->kind),
                 o->n_reasons ? o->reasons[0] : "unspecified");
        break;
    default:
        snprintf(buf, n, "%s", st_outcome_name(o->kind));
    }
    return buf;
}
