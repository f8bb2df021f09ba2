/* checks.c - the Kiesraad's consistency checks, numbered as Abacus numbers them
 *
 * Each group of checks appends what fires to a growing array; the groups
 * run in code order and each group tests its codes in order, so the
 * result is sorted without a sort. Precedence is written where it holds:
 * F202 and F203 only when F204 did not fire, F402 and F403 only when
 * F401 did not fire for that list.
 */
#include "stemtel/checks.h"
#include "stemtel/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct found {
    st_check *v;
    int n, cap, failed;
} found;

static void add(found *f, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add(found *f, const char *code, const char *fmt, ...)
{
    if (f->failed)
        return;
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 8;
        st_check *nv = realloc(f->v, (size_t)cap * sizeof *nv);
        if (!nv) {
            f->failed = 1;
            return;
        }
        f->v = nv;
        f->cap = cap;
    }
    st_check *c = &f->v[f->n++];
    snprintf(c->code, sizeof c->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->text, sizeof c->text, fmt, ap);
    va_end(ap);
}

static int answered_once(st_answer a)
{
    return a == ST_ANSWER_YES || a == ST_ANSWER_NO;
}

/* The GSB's own questions in Na 31-2 Bijlage 1. */
static void questions(const st_checks_in *in, found *f)
{
    st_answer q1 = in->b1_other_reason, q2 = in->b1_recounted;
    if (q1 != ST_ANSWER_UNKNOWN && q2 != ST_ANSWER_UNKNOWN) {
        int a1 = q1 != ST_ANSWER_BLANK, a2 = q2 != ST_ANSWER_BLANK;
        if (a1 != a2)
            add(f, "F101", "B1-1: een van de twee vragen over het onderzoek is beantwoord, "
                           "de andere niet; beantwoord beide of geen van beide");
        if (q1 == ST_ANSWER_BOTH || q2 == ST_ANSWER_BOTH)
            add(f, "F102", "B1-1: bij een vraag over het onderzoek zijn zowel ja als nee "
                           "aangekruist");
    }
    st_answer q[2] = {in->b1_explained, in->b1_differs};
    const char *name[2] = {"2.1", "2.3"};
    for (int k = 0; k < 2; k++)
        if (q[k] == ST_ANSWER_BLANK)
            add(f, "F111", "B1-%s is niet beantwoord", name[k]);
    for (int k = 0; k < 2; k++)
        if (q[k] == ST_ANSWER_BOTH)
            add(f, "F112", "B1-%s: zowel ja als nee aangekruist", name[k]);
}

/* The form's own figures: A..J and E.x. */
static void form(const st_checks_in *in, found *f)
{
    long long A = in->A, B = in->B, C = in->C, D = in->D, E = in->E, F = in->F,
              G = in->G, H = in->H, I = in->I, J = in->J, sum = 0;
    for (int k = 0; in->ex && k < in->n_lists; k++)
        sum += in->ex[k];
    if (A + B + C != D)
        add(f, "F201", "Toegelaten kiezers tellen niet op: A + B + C = %lld, D = %lld",
            A + B + C, D);
    int f204 = in->ex && sum > 0 && E == 0;
    if (!f204 && in->ex && sum != E)
        add(f, "F202", "De stemmen per lijst tellen niet op tot E: E.1 + ... = %lld, "
                       "E = %lld", sum, E);
    if (!f204 && E + F + G != H)
        add(f, "F203", "De stembiljetten tellen niet op: E + F + G = %lld, H = %lld",
            E + F + G, H);
    if (f204)
        add(f, "F204", "E is niet ingevuld (0) terwijl de lijsten samen %lld stemmen hebben",
            sum);
    if (in->boxes != ST_BOXES_UNKNOWN) {
        int b = in->boxes;
        if ((b & ST_BOX_D_IS_H) && D != H)
            add(f, "F301", "Vakje \"D = H\" aangekruist, maar D = %lld en H = %lld", D, H);
        if ((b & ST_BOX_H_OVER_D) && H <= D)
            add(f, "F302", "Vakje \"H groter dan D\" aangekruist, maar D = %lld en H = %lld",
                D, H);
        if ((b & ST_BOX_H_UNDER_D) && H >= D)
            add(f, "F303", "Vakje \"H kleiner dan D\" aangekruist, maar D = %lld en H = %lld",
                D, H);
        int ticked = !!(b & ST_BOX_D_IS_H) + !!(b & ST_BOX_H_OVER_D) + !!(b & ST_BOX_H_UNDER_D);
        if (ticked != 1)
            add(f, "F304", "Kruis precies een vakje aan bij de vergelijking van D en H "
                           "(nu %d)", ticked);
    }
    if (D == H && (I != 0 || J != 0))
        add(f, "F305", "D = H = %lld, maar I = %lld en J = %lld (moeten 0 zijn)", D, I, J);
    if (H > D && I != H - D)
        add(f, "F306", "Meer getelde stembiljetten: H - D = %lld, maar I = %lld", H - D, I);
    if (H > D && J != 0)
        add(f, "F307", "H is groter dan D, maar J = %lld (I en J verwisseld?)", J);
    if (H < D && J != D - H)
        add(f, "F308", "Minder getelde stembiljetten: D - H = %lld, maar J = %lld", D - H, J);
    if (H < D && I != 0)
        add(f, "F309", "H is kleiner dan D, maar I = %lld (I en J verwisseld?)", I);
    if (D != H && in->explained != ST_ANSWER_UNKNOWN && !answered_once(in->explained))
        add(f, "F310", "D (%lld) en H (%lld) verschillen: geef precies een antwoord op de "
                       "vraag of het verschil volledig is verklaard", D, H);
}

/* E.x of list k, or its list total when the form has no E.x. */
static long long list_ex(const st_checks_in *in, int k)
{
    return in->ex ? in->ex[k] : in->list_total[k];
}

/* F401's condition: list k has votes but its list total is 0. */
static int total_empty(const st_checks_in *in, int k)
{
    return (in->cand_sum[k] > 0 || list_ex(in, k) > 0) && in->list_total[k] == 0;
}

/* Per list: the candidate pages against their totals and E.x; each code
 * over every list before the next code, so the result stays in code
 * order. */
static void lists(const st_checks_in *in, found *f)
{
    if (!in->list_total || !in->cand_sum)
        return;
    for (int k = 0; k < in->n_lists; k++)
        if (total_empty(in, k))
            add(f, "F401", "Lijst %d: het lijsttotaal is 0, terwijl de kandidaten %lld en "
                           "E.%d %lld stemmen hebben", in->list[k],
                (long long)in->cand_sum[k], in->list[k], list_ex(in, k));
    for (int k = 0; k < in->n_lists; k++)
        if (!total_empty(in, k) && in->list_total[k] != in->cand_sum[k])
            add(f, "F402", "Lijst %d: de kandidaten hebben samen %lld stemmen, het "
                           "lijsttotaal is %lld", in->list[k], (long long)in->cand_sum[k],
                (long long)in->list_total[k]);
    for (int k = 0; in->ex && k < in->n_lists; k++)
        if (!total_empty(in, k) && in->list_total[k] != in->ex[k])
            add(f, "F403", "Lijst %d: het lijsttotaal %lld verschilt van E.%d = %lld",
                in->list[k], (long long)in->list_total[k], in->list[k], (long long)in->ex[k]);
}

/* ceil(3 * h / 100) */
static long long three_pct(long long h)
{
    return (3 * h + 99) / 100;
}

static void warnings(const st_checks_in *in, found *f)
{
    long long D = in->D, F = in->F, G = in->G, H = in->H;
    if (!(F == 0 && H == 0) && F >= three_pct(H))
        add(f, "W201", "Veel blanco stemmen: %lld van %lld stembiljetten (3%% is %lld)", F, H,
            three_pct(H));
    if (!(G == 0 && H == 0) && G >= three_pct(H))
        add(f, "W202", "Veel ongeldige stemmen: %lld van %lld stembiljetten (3%% is %lld)", G,
            H, three_pct(H));
    if (in->d_known) {
        long long d = D > H ? D - H : H - D;
        if (d >= 15 || (H > 0 && d * 100 >= 2 * H) || (H == 0 && d > 0))
            add(f, "W203", "D = %lld toegelaten kiezers, H = %lld stembiljetten geteld: "
                           "verschil %lld; tel het stembureau opnieuw", D, H, d);
    }
    if (H == 0)
        add(f, "W204", "Geen stembiljetten geteld (H = 0)");
}

int st_checks_run(const st_checks_in *in, st_check **out, int *n)
{
    found f = {0};
    if (in->groups & ST_CHECKS_QUESTIONS)
        questions(in, &f);
    if (in->groups & ST_CHECKS_FORM)
        form(in, &f);
    if (in->groups & ST_CHECKS_LISTS)
        lists(in, &f);
    if (in->groups & ST_CHECKS_WARN)
        warnings(in, &f);
    if (f.failed) {
        free(f.v);
        *out = NULL;
        *n = 0;
        return ST_ERR_NOMEM;
    }
    *out = f.v;
    *n = f.n;
    return ST_OK;
}
