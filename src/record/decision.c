/* decision.c - a person's decision on a ballot, as text
 *
 * Parsing looks at the word before the first colon and reads the numbers
 * after it strictly (digits only, at least 1, nothing trailing), then
 * asks the model whether the list and candidate exist. A vote by the
 * list box alone follows the model's party_only setting, so it becomes
 * the same outcome the pipeline would have given. The outcome's proposal
 * fields are set to the decision itself, as a decided ballot has no other
 * proposal. Printing is the reverse, one snprintf per kind.
 */
#include "stemtel/decision.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    } else if (!strncmp(text, "invalid:", 8)) {
        const char *r = text + 8;
        size_t len = strlen(r);
        static const char *const code_chars = "abcdefghijklmnopqrstuvwxyz"
                                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
        if (!len || len >= ST_REASON_MAX || strspn(r, code_chars) != len)
            return st_error_set(err, ST_ERR_ARG,
                                "decision \"%s\": the reason must be 1 to %d letters, "
                                "digits or _", text, ST_REASON_MAX - 1);
        o.kind = ST_OUTCOME_INVALID;
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
                            "decision \"%s\": want candidate:LIST:NUMBER, list:LIST, blank "
                            "or invalid:REASON", text);
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
        snprintf(buf, n, "invalid:%s", o->n_reasons ? o->reasons[0] : "unspecified");
        break;
    default:
        snprintf(buf, n, "%s", st_outcome_name(o->kind));
    }
    return buf;
}
