/* fuzz_csv.c - libFuzzer target for the CSV readers: basistelling, stations
 *
 * Hands the input to the basistelling reader (against the West Maas en
 * Waal model, so its E.1..E.8 columns are the model's lists) and to the
 * station-list reader. A refusal must name the file; figures that are
 * taken must be what the format allows (whole numbers >= 0).
 */
#include "fuzz_file.h"

#include "stemtel/basis.h"
#include "stemtel/station.h"

#ifndef ST_FUZZ_MODEL
#error "build with -DST_FUZZ_MODEL=\"path/to/model.json\" (the Makefile does)"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static st_model *g_model;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    st_error err = {0};
    if (st_model_load(ST_FUZZ_MODEL, &g_model, &err) != ST_OK) {
        fprintf(stderr, "fuzz_csv: %s\n", err.msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = st_fuzz_file(data, size);
    st_error err = {0};

    st_basis_set set = {0};
    if (st_basis_read_csv(path, g_model, &set, &err) == ST_OK) {
        for (int i = 0; i < set.n; i++) {
            const st_basis *b = &set.v[i];
            const int64_t f[] = {b->A, b->B, b->C, b->D, b->E, b->F, b->G, b->H, b->I, b->J};
            for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
                if (f[k] < 0)
                    abort();
            for (int j = 0; j < b->n_lists; j++)
                if (b->votes[j] < 0)
                    abort();
            if (!b->station || !*b->station)
                abort();
        }
        st_basis_set_free(&set);
    } else
        st_fuzz_names(err.msg, path);

    st_station_list l = {0};
    if (st_station_read_csv(path, &l, &err) == ST_OK)
        st_station_list_free(&l);
    else
        st_fuzz_names(err.msg, path);
    return 0;
}
