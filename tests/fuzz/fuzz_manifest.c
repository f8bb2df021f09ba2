/* fuzz_manifest.c - libFuzzer target for replay manifests
 *
 * Parses the input as a manifest (st_manifest_parse: the format only, no
 * file it names is opened). Every entry of a manifest that parses must
 * hold what the format promises (orders 1..n, a 64-digit hash, a batch in
 * range); a refusal must name the manifest.
 */
#include "fuzz_file.h"

#include "stemtel/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = st_fuzz_file(data, size);
    st_error err = {0};
    st_manifest *m = NULL;
    if (st_manifest_parse(path, &m, &err) != ST_OK) {
        st_fuzz_names(err.msg, path);
        return 0;
    }
    for (int i = 0; i < m->n; i++) {
        const st_manifest_entry *e = &m->entries[i];
        if (e->order != i + 1 || strlen(e->sha256) != 64 || !e->file || !e->path ||
            e->batch < 0 || e->batch > ST_MANIFEST_BATCH_MAX || strchr(e->file, '\t'))
            abort();
    }
    st_manifest_free(m);
    return 0;
}
