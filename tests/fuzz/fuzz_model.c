/* fuzz_model.c - libFuzzer target for ballot model files (JSON)
 *
 * Parses the input as a model; a model that parses is checked
 * (st_model_check) and written back as JSON, and that JSON must parse
 * again to the same text: whatever the reader takes, the writer can give
 * back. A refusal must name the file.
 */
#include "fuzz_file.h"

#include "stemtel/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = st_fuzz_text(data, size), *out = NULL, *again_out = NULL;
    st_error err = {0};
    st_model *m = NULL, *again = NULL;
    if (st_model_parse(json, "fuzz.json", &m, &err) != ST_OK) {
        st_fuzz_names(err.msg, "fuzz.json");
        goto out;
    }
    st_problems p = {0};
    st_model_check(m, &p);
    st_problems_free(&p);
    if (!(out = st_model_to_json(m, &err)))
        abort();
    if (st_model_parse(out, "again.json", &again, &err) != ST_OK ||
        !(again_out = st_model_to_json(again, &err)) || strcmp(out, again_out) != 0)
        abort();
out:
    st_model_free(m);
    st_model_free(again);
    free(out);
    free(again_out);
    free(json);
    return 0;
}
