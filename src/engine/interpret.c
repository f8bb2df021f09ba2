/* interpret.c - from box states to the outcome of one ballot
 *
 * Two steps. First the validity table: count the clearly marked list boxes
 * and number boxes and apply the rows of domain.md, with the model's
 * settings where a row is unconfirmed; marginal boxes count as empty here.
 * Then the doubts: a marginal box or writing outside the boxes turns the
 * result into a review, and the table's result becomes the proposal people
 * confirm or overrule, but only when no reading of the marginal boxes
 * (each empty or marked) gives another outcome: a proposal never decides
 * a box the scores left open. No pixels, no allocation, no state: the
 * same boxes and model always give the same outcome.
 */
#include "stemtel/interpret.h"

#include <string.h>

const char *st_outcome_name(st_outcome_kind k)
{
    switch (k) {
    case ST_OUTCOME_VOTE: return "vote";
    case ST_OUTCOME_BLANK: return "blank";
    case ST_OUTCOME_INVALID: return "invalid";
    case ST_OUTCOME_REVIEW: return "review";
    case ST_OUTCOME_REJECTED: return "rejected";
    case ST_OUTCOME_VOID: return "void";
    }
    return "unknown";
}

/* Copy a reason code, cut to fit: codes are short fixed strings, and a cut
 * one still sorts and compares the same everywhere. */
static void st_copy_reason(char dst[ST_REASON_MAX], const char *src)
{
    size_t n = strlen(src);
    if (n > ST_REASON_MAX - 1)
        n = ST_REASON_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void st_add_reason(st_outcome *o, const char *reason)
{
    for (int i = 0; i < o->n_reasons; i++)
        if (strcmp(o->reasons[i], reason) == 0)
            return;
    if (o->n_reasons < ST_MAX_REASONS)
        st_copy_reason(o->reasons[o->n_reasons++], reason);
}

static void st_set_vote(st_outcome *o, int list, int candidate, int party_only)
{
    o->kind = ST_OUTCOME_VOTE;
    o->list = list;
    o->candidate = candidate;
    o->party_only = party_only;
}

static void st_set_single(st_outcome *o, st_outcome_kind kind,
                          const char *reason)
{
    o->kind = kind;
    st_add_reason(o, reason);
}

/* A list box alone: valid, credited per the party_only setting. */
static void st_party_only_vote(const st_model *m, int list, st_outcome *o)
{
    if (m->settings.party_only == ST_PARTY_ONLY_INVALID)
        st_set_single(o, ST_OUTCOME_INVALID, ST_REASON_PARTY_ONLY);
    else
        st_set_vote(o, list, 1, 1);
}

/* The validity table on clearly marked boxes only. Writes the outcome
 * fields of *o (not the proposal); *o must be zeroed. */
static void st_table(const st_model *m, const st_box *boxes, st_outcome *o)
{
    int n_lists = 0, list = 0, n_numbers = 0, number = 0;
    for (int i = 0; i < m->n_targets; i++) {
        if (boxes[i].state != ST_BOX_MARKED)
            continue;
        if (m->targets[i].kind == ST_TARGET_LIST) {
            n_lists++;
            list = m->targets[i].number;
        } else {
            n_numbers++;
            number = m->targets[i].number;
        }
    }

    if (n_lists == 0 && n_numbers == 0) {
        o->kind = ST_OUTCOME_BLANK;
        return;
    }
    if (n_lists == 0) {
        st_set_single(o, ST_OUTCOME_INVALID, ST_REASON_NUMBER_WITHOUT_LIST);
        return;
    }
    if (n_lists > 1) {
        st_set_single(o, ST_OUTCOME_INVALID, ST_REASON_SEVERAL_LISTS);
        return;
    }
    if (n_numbers == 0) {
        st_party_only_vote(m, list, o);
        return;
    }
    if (n_numbers == 1) {
        const st_list *l = st_model_list(m, list);
        if (l && number >= 1 && number <= l->n_candidates)
            st_set_vote(o, list, number, 0);
        else if (m->settings.beyond_list == ST_BEYOND_LIST_REVIEW)
            st_set_single(o, ST_OUTCOME_REVIEW, ST_REASON_NO_SUCH_CANDIDATE);
        else
            st_set_single(o, ST_OUTCOME_INVALID, ST_REASON_NO_SUCH_CANDIDATE);
        return;
    }
    switch (m->settings.multiple_numbers) {
    case ST_MULTIPLE_NUMBERS_INVALID:
        st_set_single(o, ST_OUTCOME_INVALID, ST_REASON_SEVERAL_NUMBERS);
        break;
    case ST_MULTIPLE_NUMBERS_PARTY_ONLY:
        st_party_only_vote(m, list, o);
        break;
    default:
        st_set_single(o, ST_OUTCOME_REVIEW, ST_REASON_SEVERAL_NUMBERS);
        break;
    }
}

/* Marginal boxes tried both ways when the proposal is checked; with more,
 * nothing is proposed. */
#define ST_PROPOSE_MAX_MARGINAL 10
/* Targets the check copies on the stack. */
#define ST_PROPOSE_MAX_TARGETS 1024

/* Whether two table answers are the same outcome. */
static int st_same_outcome(const st_outcome *a, const st_outcome *b)
{
    if (a->kind != b->kind)
        return 0;
    if (a->kind == ST_OUTCOME_VOTE)
        return a->list == b->list && a->candidate == b->candidate &&
               a->party_only == b->party_only;
    if (a->n_reasons != b->n_reasons)
        return 0;
    for (int i = 0; i < a->n_reasons; i++)
        if (strcmp(a->reasons[i], b->reasons[i]) != 0)
            return 0;
    return 1;
}

/* Whether every reading of the marginal boxes of boxes (each taken empty
 * or marked) gives the table answer t, which takes them all empty. copy
 * is scratch of m->n_targets boxes. */
static int st_marginal_agree(const st_model *m, const st_box *boxes,
                             st_box *copy, const st_outcome *t)
{
    int idx[ST_PROPOSE_MAX_MARGINAL], n = 0;
    for (int i = 0; i < m->n_targets; i++)
        if (boxes[i].state != ST_BOX_EMPTY && boxes[i].state != ST_BOX_MARKED) {
            if (n == ST_PROPOSE_MAX_MARGINAL)
                return 0;
            idx[n++] = i;
        }
    if (!n)
        return 1;
    memcpy(copy, boxes, (size_t)m->n_targets * sizeof *copy);
    for (unsigned set = 1; set < 1u << n; set++) {
        for (int j = 0; j < n; j++)
            copy[idx[j]].state = set >> j & 1 ? ST_BOX_MARKED : ST_BOX_EMPTY;
        st_outcome o;
        memset(&o, 0, sizeof o);
        st_table(m, copy, &o);
        if (!st_same_outcome(&o, t))
            return 0;
    }
    return 1;
}

/* Fill the proposal of o from outcome p (the table's answer). */
static void st_propose(st_outcome *o, const st_outcome *p)
{
    o->proposal_reason[0] = '\0';
    if (p->kind == ST_OUTCOME_REVIEW) {
        /* A review by setting: beyond_list has a table row of its own to
         * fall back on; several numbers has none, so nothing is proposed. */
        if (p->n_reasons > 0 &&
            strcmp(p->reasons[0], ST_REASON_NO_SUCH_CANDIDATE) == 0) {
            o->proposal = ST_OUTCOME_INVALID;
            st_copy_reason(o->proposal_reason, ST_REASON_NO_SUCH_CANDIDATE);
        } else {
            o->proposal = ST_OUTCOME_REVIEW;
        }
        o->proposal_list = o->proposal_candidate = 0;
        o->proposal_party_only = 0;
        return;
    }
    o->proposal = p->kind;
    o->proposal_list = p->list;
    o->proposal_candidate = p->candidate;
    o->proposal_party_only = p->party_only;
    if (p->kind == ST_OUTCOME_INVALID && p->n_reasons > 0)
        st_copy_reason(o->proposal_reason, p->reasons[0]);
}

void st_interpret(const st_model *m, const st_box *boxes, int writing_outside,
                  st_outcome *out)
{
    if (!out)
        return;
    if (!m || (!boxes && m->n_targets > 0)) {
        st_outcome_reject(out, "bad_input");
        return;
    }

    int marginal = 0;
    for (int i = 0; i < m->n_targets; i++)
        if (boxes[i].state != ST_BOX_EMPTY && boxes[i].state != ST_BOX_MARKED)
            marginal = 1;

    st_outcome table;
    memset(&table, 0, sizeof table);
    st_table(m, boxes, &table);

    memset(out, 0, sizeof *out);
    if (!marginal && !writing_outside) {
        *out = table;
        st_propose(out, &table);
        return;
    }
    out->kind = ST_OUTCOME_REVIEW;
    if (marginal)
        st_add_reason(out, ST_REASON_MARGINAL_MARK);
    if (writing_outside)
        st_add_reason(out, ST_REASON_WRITING);
    /* People should see every doubt at once, including a setting's. */
    if (table.kind == ST_OUTCOME_REVIEW)
        for (int i = 0; i < table.n_reasons; i++)
            st_add_reason(out, table.reasons[i]);
    st_propose(out, &table);
    /* A proposal that a marginal box could overturn would decide that box:
     * none then. The boxes are copied on the stack for a small model and
     * nothing is proposed for a larger one (no allocation here). */
    if (marginal) {
        st_box copy[ST_PROPOSE_MAX_TARGETS];
        if (m->n_targets > ST_PROPOSE_MAX_TARGETS ||
            !st_marginal_agree(m, boxes, copy, &table)) {
            out->proposal = ST_OUTCOME_REVIEW;
            out->proposal_list = out->proposal_candidate = 0;
            out->proposal_party_only = 0;
            out->proposal_reason[0] = '\0';
        }
    }
}

void st_outcome_reject(st_outcome *o, const char *reason)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->kind = ST_OUTCOME_REJECTED;
    o->n_reasons = 1;
    st_copy_reason(o->reasons[0], reason && *reason ? reason : "unspecified");
    o->proposal = ST_OUTCOME_REJECTED;
}
