/* fuzz_eml.c - libFuzzer target for the EML readers (230b, 110a, 110b, 510b)
 *
 * Hands the input to every EML reader in turn: candidate lists (230b),
 * polling stations (110b), an election definition (110a) applied to a
 * model of the same election id, and a count (510b) both as read and as a
 * basistelling against the West Maas en Waal model. Each reader refuses
 * the other kinds early, so one corpus of all four serves them all. A
 * refusal must name the file.
 */
#include "fuzz_file.h"

#include <libxml/parser.h>

#include "stemtel/basis.h"
#include "stemtel/eml.h"
#include "stemtel/eml510.h"

#ifndef ST_FUZZ_MODEL
#error "build with -DST_FUZZ_MODEL=\"path/to/model.json\" (the Makefile does)"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static st_model *g_model; /* the model a 510b is read against */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    st_error err = {0};
    xmlInitParser();
    if (st_model_load(ST_FUZZ_MODEL, &g_model, &err) != ST_OK) {
        fprintf(stderr, "fuzz_eml: %s\n", err.msg);
        abort();
    }
    return 0;
}

/* The first ElectionIdentifier's Id in the input, so that a 110a reaches
 * past the id check (malloc'd; "" when there is none). */
static char *election_id(const uint8_t *data, size_t size)
{
    static const char key[] = "ElectionIdentifier Id=\"";
    const char *t = memmem(data, size, key, sizeof key - 1);
    if (!t)
        return strdup("");
    t += sizeof key - 1;
    const char *end = memchr(t, '"', size - (size_t)(t - (const char *)data));
    return end ? strndup(t, (size_t)(end - t)) : strdup("");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = st_fuzz_file(data, size);
    st_error err = {0};

    st_model *m = NULL;
    if (st_eml_read_candidates(path, &m, &err) == ST_OK)
        st_model_free(m);
    else
        st_fuzz_names(err.msg, path);

    st_station_list l = {0};
    if (st_eml_read_stations(path, &l, &err) == ST_OK)
        st_station_list_free(&l);
    else
        st_fuzz_names(err.msg, path);

    if (!(m = st_model_new()))
        abort();
    free(m->election_id);
    m->election_id = election_id(data, size);
    if (st_eml_apply_definition(m, path, &err) != ST_OK)
        st_fuzz_names(err.msg, path);
    st_model_free(m);

    st_eml510 *c = NULL;
    if (st_eml510_read(path, "fuzz", &c, &err) == ST_OK)
        st_eml510_free(c);
    else
        st_fuzz_names(err.msg, path);

    st_basis_set set = {0};
    if (st_basis_read_eml(path, g_model, &set, &err) == ST_OK)
        st_basis_set_free(&set);
    else
        st_fuzz_names(err.msg, path);
    return 0;
}
