/* fuzz_manifest.c - libFuzzer target for replay manifests
 *
 * Parses the input as a manifest (st_manifest_parse: the format only, no
 * file it names is opened). Every entry of a manifest that parses must
 * hold what the format promises (orders 1..n, a 64-digit hash, a batch in
 * range); a refusal must name the manifest. Then the same bytes, as a
 * manifest a stop left behind, go through st_manifest_repair in a folder
 * of this process's own, with a store that holds the files whose hash
 * begins with an even digit.
 */
#include "fuzz_file.h"

#include <dirent.h>

#include "stemtel/manifest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char g_dir[64]; /* where repair works: made once, emptied each time */

/* Remove every file repair left in g_dir. */
static void empty_dir(void)
{
    DIR *d = opendir(g_dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' || (e->d_name[1] && strcmp(e->d_name, "..")))
            snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name), unlink(p);
    if (d)
        closedir(d);
}

static void remove_dir(void)
{
    empty_dir();
    rmdir(g_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(g_dir, sizeof g_dir, "/dev/shm/stemtel-fuzz-XXXXXX");
    if (!mkdtemp(g_dir)) {
        snprintf(g_dir, sizeof g_dir, "/tmp/stemtel-fuzz-XXXXXX");
        if (!mkdtemp(g_dir))
            abort();
    }
    atexit(remove_dir);
    return 0;
}

static int held(void *ctx, const char *path, const char *sha256, st_error *err)
{
    (void)ctx, (void)path, (void)err;
    return sha256[0] && strchr("02468ace", sha256[0]) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = st_fuzz_file(data, size);
    st_error err = {0};
    st_manifest *m = NULL;
    if (st_manifest_parse(path, &m, &err) != ST_OK) {
        st_fuzz_names(err.msg, path);
    } else {
        for (int i = 0; i < m->n; i++) {
            const st_manifest_entry *e = &m->entries[i];
            if (e->order != i + 1 || strlen(e->sha256) != 64 || !e->file || !e->path ||
                e->batch < 0 || e->batch > ST_MANIFEST_BATCH_MAX || strchr(e->file, '\t'))
                abort();
        }
        st_manifest_free(m);
    }

    char left[128];
    snprintf(left, sizeof left, "%s/manifest-sane1-001.tsv", g_dir);
    FILE *f = fopen(left, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    st_manifest_repaired r;
    if (st_manifest_repair(left, held, NULL, &r, &err) != ST_OK)
        st_fuzz_names(err.msg, left);
    empty_dir();
    return 0;
}
