/* fuzz_decode.c - libFuzzer target for the page decoder
 *
 * Opens the input as a TIFF, decodes every page to ink and to raw, and
 * closes. `make fuzz` builds it with AddressSanitizer and UBSan and runs it
 * over tests/data/bad/ and a few small valid pages; any crash, leak, out of
 * bounds access or undefined behaviour is a finding. Failing statuses are
 * the expected answer to most inputs. Scratch images are reused across
 * pages, as in a batch.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    st_error err = {0};
    st_decoder *d = NULL;
    if (st_decoder_open(data, size, "fuzz.tif", &d, &err) != ST_OK) {
        /* Every failure must come with a message naming the input. */
        if (!strstr(err.msg, "fuzz.tif"))
            abort();
        return 0;
    }
    st_image ink = {0}, scratch = {0};
    int pages = st_decoder_page_count(d);
    for (int p = 0; p < pages && p < 16; p++) {
        st_page_info info;
        err.msg[0] = '\0';
        int rc = st_decoder_read_ink(d, p, 300, &ink, &info, &err);
        if (rc != ST_OK && !strstr(err.msg, "fuzz.tif"))
            abort();
        if (rc == ST_OK && (ink.w != info.w || ink.h != info.h || ink.channels != 1))
            abort();
        st_decoder_read_raw(d, p, &scratch, &err);
    }
    st_decoder_close(d);
    free(ink.px);
    free(scratch.px);
    return 0;
}
