/* hostile.c - what hostile pages cost `stemtel count`: memory and time
 *
 * Builds the files an attacker would hand over (synth/hostile.h) into
 * build/bench/hostile: a progressive JPEG page of 704 scans, pages stored
 * as one strip of hundreds of megabytes (beyond the page limits, and at
 * them), a page of huge tiles; three files of each, as the finding that
 * prompted the limits had them. Each set, and all of them at once, is
 * counted by `stemtel count --threads 2` as a child process, which
 * reports its own peak resident memory (VmHWM); the bomb's rejection is
 * also timed in-process, decoder alone, fastest of several runs. A table,
 * not a test: the figures depend on the machine. Writes the "Hostile
 * input" section of bench/RESULTS.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "stemtel/decode.h"
#include "synth/hostile.h"

#include "bench.h"

#define ST_HB_DIR "build/bench/hostile"
#define ST_HB_COPIES 3

/* One kind of hostile file. */
typedef struct st_hb_kind {
    const char *name;
    const char *what;
    int w, h, dpi, spp, tile, bomb;
} st_hb_kind;

static const st_hb_kind st_hb_kinds[] = {
    {"jpeg-bomb", "progressive JPEG, 704 scans, A3 grey at 200 dpi", 3307, 2339, 200, 1, 0, 1},
    {"strip-528m", "RGB 16000 x 11000 px in one 528 MB strip", 16000, 11000, 600, 3, 0, 0},
    {"strip-99mpx", "RGB 11000 x 9000 px (99 Mpx) in one 297 MB strip", 11000, 9000, 600, 3,
     0, 0},
    {"tile-48m", "RGB 8192 x 6144 px in 4096 px tiles of 48 MiB", 8192, 6144, 600, 3, 4096, 0},
};
#define ST_HB_N (int)(sizeof st_hb_kinds / sizeof *st_hb_kinds)

static int st_hb_build(const st_hb_kind *k, char paths[][512], st_error *err)
{
    for (int c = 0; c < ST_HB_COPIES; c++) {
        snprintf(paths[c], sizeof paths[c], "%s/%s-%d.tif", ST_HB_DIR, k->name, c + 1);
        int rc = k->bomb ? st_hostile_jpeg_bomb(paths[c], k->w, k->h, k->dpi, err)
                         : st_hostile_blank(paths[c], k->w, k->h, k->dpi, k->spp, k->tile,
                                            err);
        if (rc)
            return rc;
    }
    return ST_OK;
}

/* `bin count --threads 2` on the files: its peak memory (the line it
 * prints), wall seconds, and the first rejected page's message. */
static int st_hb_count(const char *bin, const char *model, char paths[][512], int n,
                       double *mib, double *seconds, char *why, size_t why_n, st_error *err)
{
    char cmd[8192];
    int len = snprintf(cmd, sizeof cmd, "'%s' count --model '%s' --threads 2 --out '%s/out'",
                       bin, model, ST_HB_DIR);
    for (int i = 0; i < n && len < (int)sizeof cmd; i++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " '%s'", paths[i]);
    snprintf(cmd + len, sizeof cmd - (size_t)len, " 2>&1");
    double t0 = st_bench_now();
    FILE *p = popen(cmd, "r");
    if (!p)
        return st_error_set(err, ST_ERR_IO, "bench: cannot run %s", bin);
    char line[1024];
    *mib = 0;
    while (fgets(line, sizeof line, p))
        sscanf(line, " peak memory %lf MiB", mib);
    int st = pclose(p);
    *seconds = st_bench_now() - t0;
    if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) > 1 || *mib <= 0)
        return st_error_set(err, ST_ERR_IO, "bench: `%s` failed (status %d)", cmd, st);
    /* The reason of the first page: the limit it broke, if any. */
    snprintf(cmd, sizeof cmd, "%s/out/ballots.jsonl", ST_HB_DIR);
    FILE *f = fopen(cmd, "r");
    why[0] = '\0';
    if (f && fgets(line, sizeof line, f)) {
        const char *lim = strstr(line, "limit: "), *end = lim ? strchr(lim, ')') : NULL;
        const char *reason = strstr(line, "\"reasons\":[\"");
        if (lim && end)
            snprintf(why, why_n, "rejected (%.*s)", (int)(end - lim), lim);
        else if (reason)
            snprintf(why, why_n, "read; %.*s", (int)strcspn(reason + 12, "\""), reason + 12);
    }
    if (f)
        fclose(f);
    return ST_OK;
}

/* The decoder alone on the bomb: fastest of reps runs, in ms, or -1 when
 * it was not refused for its scans. */
static double st_hb_reject_ms(const char *path, int reps)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        if (f)
            fclose(f);
        return -1;
    }
    uint8_t *bytes = malloc((size_t)st.st_size);
    size_t got = bytes ? fread(bytes, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    double best = -1;
    for (int r = 0; got == (size_t)st.st_size && r < reps; r++) {
        st_error err = {0};
        st_decoder *d = NULL;
        st_image ink = {0};
        double t0 = st_bench_now();
        if (st_decoder_open(bytes, got, path, &d, &err) == ST_OK)
            st_decoder_read_ink_at(d, 0, 200, 150, &ink, NULL, &err);
        double ms = (st_bench_now() - t0) * 1e3;
        st_decoder_close(d);
        free(ink.px);
        if (!strstr(err.msg, "limit: JPEG scans")) {
            best = -1;
            break;
        }
        if (best < 0 || ms < best)
            best = ms;
    }
    free(bytes);
    return best;
}

int main(int argc, char **argv)
{
    const char *bin = "build/default/stemtel", *results = ST_BENCH_RESULTS;
    int quick = 0, results_set = 0;
    static const struct option longs[] = {
        {"quick", no_argument, NULL, 'q'}, {"bin", required_argument, NULL, 'b'},
        {"results", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'q': quick = 1; break;
        case 'b': bin = optarg; break;
        case 'o': results = optarg; results_set = 1; break;
        default:
            fputs("usage: hostile [--quick] [--bin STEMTEL] [--results FILE]\n", stderr);
            return 2;
        }
    }
    if (quick && !results_set)
        results = "build/bench/RESULTS-quick.md";
    st_error err = {0};
    st_bench_buf b = {0};
    static char paths[ST_HB_N * ST_HB_COPIES][512];
    double mib[ST_HB_N + 1], secs[ST_HB_N + 1];
    char why[ST_HB_N + 1][160];
    if (st_bench_mkdirs(ST_HB_DIR, &err))
        goto fail;
    for (int k = 0; k < ST_HB_N; k++) {
        fprintf(stderr, "bench: hostile files: %s ...\n", st_hb_kinds[k].name);
        if (st_hb_build(&st_hb_kinds[k], paths + k * ST_HB_COPIES, &err) ||
            st_hb_count(bin, ST_BENCH_MODEL, paths + k * ST_HB_COPIES, ST_HB_COPIES, &mib[k],
                        &secs[k], why[k], sizeof why[k], &err))
            goto fail;
    }
    if (st_hb_count(bin, ST_BENCH_MODEL, paths, ST_HB_N * ST_HB_COPIES, &mib[ST_HB_N],
                    &secs[ST_HB_N], why[ST_HB_N], sizeof why[ST_HB_N], &err))
        goto fail;
    double reject_ms = st_hb_reject_ms(paths[0], quick ? 3 : 7);

    st_bench_printf(&b, "## Hostile input\n\n");
    st_bench_describe(&b, argc, argv);
    st_bench_printf(&b,
                    "Files made to hurt a reader (tools/synth/hostile.h), %d copies of each, "
                    "counted by `stemtel count --threads 2` (one run each); peak memory is "
                    "what count reports (VmHWM). The limits are decode.h's: %d px a side, "
                    "%.0f Mpx, %zu MiB a tile, %d JPEG scans, %zu MiB per thread.\n\n",
                    ST_HB_COPIES, ST_DECODE_MAX_SIDE, ST_DECODE_MAX_PIXELS / 1e6,
                    ST_DECODE_MAX_TILE_BYTES >> 20, ST_DECODE_MAX_JPEG_SCANS,
                    ST_DECODE_MAX_PAGE_MEMORY >> 20);
    st_bench_printf(&b, "| input | pages | peak memory (MiB) | seconds | first page |\n"
                        "|---|--:|--:|--:|---|\n");
    for (int k = 0; k <= ST_HB_N; k++)
        st_bench_printf(&b, "| %s | %d | %.1f | %.2f | %s |\n",
                        k < ST_HB_N ? st_hb_kinds[k].what : "all of the above",
                        k < ST_HB_N ? ST_HB_COPIES : ST_HB_N * ST_HB_COPIES, mib[k], secs[k],
                        why[k][0] ? why[k] : "-");
    if (reject_ms < 0)
        st_bench_printf(&b, "\nThe decoder alone did not refuse the JPEG bomb for its "
                            "scans.\n");
    else
        st_bench_printf(&b, "\nThe JPEG bomb refused by the decoder alone (open and "
                            "read, in-process, fastest of %d): %.2f ms.\n", quick ? 3 : 7,
                        reject_ms);
    if (st_bench_publish(&b, NULL, results, "Hostile input", &err))
        goto fail;
    st_bench_buf_free(&b);
    return 0;
fail:
    fprintf(stderr, "%s\n", err.msg);
    st_bench_buf_free(&b);
    return 1;
}
