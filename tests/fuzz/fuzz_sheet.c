/* fuzz_sheet.c - libFuzzer target for separator-sheet codes
 *
 * Parses the input as the text of a sheet's QR code (what zbar hands
 * st_sheet_detect). A code that parses must give back a payload that
 * parses to the same sheet; a refusal must quote the code ("sheet: ").
 */
#include "fuzz_file.h"

#include "stemtel/sheet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = st_fuzz_text(data, size), payload[ST_SHEET_PAYLOAD_MAX];
    st_error err = {0};
    st_sheet s, again;
    if (st_sheet_parse(text, &s, &err) != ST_OK) {
        st_fuzz_names(err.msg, "sheet: ");
        free(text);
        return 0;
    }
    if (st_sheet_payload(&s, payload, sizeof payload, &err) != ST_OK ||
        st_sheet_parse(payload, &again, &err) != ST_OK || memcmp(&s, &again, sizeof s) != 0)
        abort();
    free(text);
    return 0;
}
