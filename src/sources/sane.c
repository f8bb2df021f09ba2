/* sane.c - read pages from a scanner through libsane
 *
 * Options are found by name among the device's descriptors (which SANE
 * requires a frontend to fetch before setting anything) and set with the
 * value type each one declares; a value the device rounds is read back.
 * A page is one sane_start, sane_read until end of file, and conversion
 * of the frame (grey or RGB, 1, 8 or 16 bits) into an st_image; when the
 * device does not know the page length in advance (lines = -1) the
 * buffer grows as rows come. SANE_STATUS_NO_DOCS from sane_start means
 * the feeder is empty.
 */
#include "stemtel/sane.h"

#include <sane/sane.h>
#include <sane/saneopts.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct st_sane {
    SANE_Handle h;
    char *device;
    int n_opts;
    double dpi;        /* what the device reports after setting */
    int pages;         /* pages read so far */
    int started;       /* a scan is in progress (needs sane_cancel) */
};

int st_sane_init(st_error *err)
{
    SANE_Int version;
    SANE_Status st = sane_init(&version, NULL);
    if (st != SANE_STATUS_GOOD)
        return st_error_set(err, ST_ERR_IO, "sane: cannot start SANE: %s",
                            sane_strstatus(st));
    return ST_OK;
}

void st_sane_exit(void)
{
    sane_exit();
}

void st_sane_close(st_sane *s)
{
    if (!s)
        return;
    if (s->h) {
        if (s->started)
            sane_cancel(s->h);
        sane_close(s->h);
    }
    free(s->device);
    free(s);
}

/* Index of the option called name, or -1. */
static int st_sane_find(const st_sane *s, const char *name)
{
    for (int i = 1; i < s->n_opts; i++) {
        const SANE_Option_Descriptor *d = sane_get_option_descriptor(s->h, i);
        if (d && d->name && strcmp(d->name, name) == 0)
            return i;
    }
    return -1;
}

/* The values a string-list option offers, "a, b, c", into buf. */
static const char *st_sane_choices(const SANE_Option_Descriptor *d, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    if (d->constraint_type == SANE_CONSTRAINT_STRING_LIST)
        for (const SANE_String_Const *p = d->constraint.string_list; *p && used < cap; p++)
            used += (size_t)snprintf(buf + used, cap - used, "%s\"%s\"", used ? ", " : "", *p);
    return buf;
}

/* Set option name from its text value. */
static int st_sane_set(st_sane *s, const char *name, const char *text, st_error *err)
{
    int i = st_sane_find(s, name);
    if (i < 0)
        return st_error_set(err, ST_ERR_ARG, "sane: %s has no option \"%s\"", s->device, name);
    const SANE_Option_Descriptor *d = sane_get_option_descriptor(s->h, i);
    if (!SANE_OPTION_IS_SETTABLE(d->cap) || !SANE_OPTION_IS_ACTIVE(d->cap))
        return st_error_set(err, ST_ERR_ARG, "sane: %s: option \"%s\" cannot be set now",
                            s->device, name);
    if ((d->type == SANE_TYPE_BOOL || d->type == SANE_TYPE_INT || d->type == SANE_TYPE_FIXED) &&
        d->size != (SANE_Int)sizeof(SANE_Word))
        return st_error_set(err, ST_ERR_ARG,
                            "sane: %s: option \"%s\" takes a list of values: not supported",
                            s->device, name);
    SANE_Word word = 0;
    void *value = &word;
    char *str = NULL, *end = NULL;
    switch (d->type) {
    case SANE_TYPE_BOOL:
        if (!strcasecmp(text, "yes") || !strcasecmp(text, "true") || !strcmp(text, "1"))
            word = SANE_TRUE;
        else if (!strcasecmp(text, "no") || !strcasecmp(text, "false") || !strcmp(text, "0"))
            word = SANE_FALSE;
        else
            end = (char *)text; /* flags the error below */
        break;
    case SANE_TYPE_INT:
        word = (SANE_Word)strtol(text, &end, 10);
        end = *text && !*end ? NULL : end;
        break;
    case SANE_TYPE_FIXED:
        word = SANE_FIX(strtod(text, &end));
        end = *text && !*end ? NULL : end;
        break;
    case SANE_TYPE_STRING:
        if (strlen(text) >= (size_t)d->size)
            return st_error_set(err, ST_ERR_ARG, "sane: %s: \"%s\" is too long for %s",
                                s->device, text, name);
        if (!(str = calloc(1, (size_t)d->size)))
            return st_error_set(err, ST_ERR_NOMEM, "sane: out of memory");
        memcpy(str, text, strlen(text));
        value = str;
        break;
    default:
        return st_error_set(err, ST_ERR_ARG, "sane: %s: option \"%s\" takes no value",
                            s->device, name);
    }
    if (end)
        return st_error_set(err, ST_ERR_ARG, "sane: %s: \"%s\" is not a value for %s",
                            s->device, text, name);
    SANE_Int info = 0;
    SANE_Status st = sane_control_option(s->h, i, SANE_ACTION_SET_VALUE, value, &info);
    free(str);
    if (st != SANE_STATUS_GOOD) {
        char choices[512];
        st_sane_choices(d, choices, sizeof choices);
        return st_error_set(err, ST_ERR_ARG, "sane: %s: cannot set %s to \"%s\": %s%s%s",
                            s->device, name, text, sane_strstatus(st),
                            choices[0] ? "; it offers " : "", choices);
    }
    if (info & SANE_INFO_RELOAD_OPTIONS)
        for (s->n_opts = 1; sane_get_option_descriptor(s->h, s->n_opts); s->n_opts++)
            ;
    return ST_OK;
}

/* The first value of string-list option name containing any of the
 * words (case-insensitive) and none of the `not` words; NULL if none. */
static const char *st_sane_pick(const st_sane *s, const char *name,
                                const char *const *words, const char *not)
{
    int i = st_sane_find(s, name);
    if (i < 0)
        return NULL;
    const SANE_Option_Descriptor *d = sane_get_option_descriptor(s->h, i);
    if (d->constraint_type != SANE_CONSTRAINT_STRING_LIST)
        return NULL;
    for (const SANE_String_Const *p = d->constraint.string_list; *p; p++)
        for (const char *const *w = words; *w; w++)
            if (strcasestr(*p, *w) && !(not && strcasestr(*p, not)))
                return *p;
    return NULL;
}

/* The error for a mode or source (what) the device does not offer,
 * listing the values option name does offer. */
static int st_sane_lacks(const st_sane *s, const char *name, const char *want,
                         const char *what, st_error *err)
{
    char choices[512] = "";
    int i = st_sane_find(s, name);
    if (i >= 0)
        st_sane_choices(sane_get_option_descriptor(s->h, i), choices, sizeof choices);
    return st_error_set(err, ST_ERR_ARG, "sane: %s has no %s %s%s%s", s->device, want, what,
                        choices[0] ? "; it offers " : "", choices);
}

/* Mode: the device's own word for gray/color/lineart, and the depth it
 * needs where depth is a separate option (as on SANE's test device). */
static int st_sane_mode(st_sane *s, const char *mode, st_error *err)
{
    static const char *const gray[] = {"gray", "grey", NULL};
    static const char *const color[] = {"color", "colour", NULL};
    static const char *const line[] = {"lineart", "binary", "black", NULL};
    const char *depth = "8", *name = NULL;
    if (!strcasecmp(mode, "gray") || !strcasecmp(mode, "grey")) {
        name = st_sane_pick(s, SANE_NAME_SCAN_MODE, gray, NULL);
    } else if (!strcasecmp(mode, "color") || !strcasecmp(mode, "colour")) {
        name = st_sane_pick(s, SANE_NAME_SCAN_MODE, color, NULL);
    } else if (!strcasecmp(mode, "lineart")) {
        depth = "1";
        if (!(name = st_sane_pick(s, SANE_NAME_SCAN_MODE, line, NULL)))
            name = st_sane_pick(s, SANE_NAME_SCAN_MODE, gray, NULL);
        else
            depth = NULL;
    } else {
        return st_error_set(err, ST_ERR_ARG,
                            "sane: mode \"%s\": use gray, color or lineart", mode);
    }
    if (!name)
        return st_sane_lacks(s, SANE_NAME_SCAN_MODE, mode, "mode", err);
    int rc = st_sane_set(s, SANE_NAME_SCAN_MODE, name, err);
    if (!rc && depth && st_sane_find(s, SANE_NAME_BIT_DEPTH) >= 0)
        rc = st_sane_set(s, SANE_NAME_BIT_DEPTH, depth, err);
    return rc;
}

static int st_sane_source(st_sane *s, const char *source, st_error *err)
{
    static const char *const adf[] = {"adf", "feeder", NULL};
    static const char *const flat[] = {"flatbed", NULL};
    static const char *const duplex[] = {"duplex", NULL};
    const char *name = source;
    if (!strcasecmp(source, "adf"))
        name = st_sane_pick(s, SANE_NAME_SCAN_SOURCE, adf, "duplex");
    else if (!strcasecmp(source, "duplex"))
        name = st_sane_pick(s, SANE_NAME_SCAN_SOURCE, duplex, NULL);
    else if (!strcasecmp(source, "flatbed"))
        name = st_sane_pick(s, SANE_NAME_SCAN_SOURCE, flat, NULL);
    if (!name)
        return st_sane_lacks(s, SANE_NAME_SCAN_SOURCE, source, "source", err);
    return st_sane_set(s, SANE_NAME_SCAN_SOURCE, name, err);
}

/* The resolution the device will scan at, in dpi (0 if it has none). */
static double st_sane_read_dpi(const st_sane *s)
{
    int i = st_sane_find(s, SANE_NAME_SCAN_RESOLUTION);
    if (i < 0)
        return 0;
    const SANE_Option_Descriptor *d = sane_get_option_descriptor(s->h, i);
    SANE_Word w = 0;
    if (d->size != sizeof w ||
        sane_control_option(s->h, i, SANE_ACTION_GET_VALUE, &w, NULL) != SANE_STATUS_GOOD)
        return 0;
    return d->type == SANE_TYPE_FIXED ? SANE_UNFIX(w) : (double)w;
}

int st_sane_open(const char *device, const st_sane_opts *opts, st_sane **out,
                 st_error *err)
{
    if (!device || !*device)
        return st_error_set(err, ST_ERR_ARG, "sane: no device name");
    int rc = ST_OK;
    st_sane *s = calloc(1, sizeof *s);
    if (!s || !(s->device = strdup(device))) {
        free(s);
        return st_error_set(err, ST_ERR_NOMEM, "sane: out of memory");
    }
    SANE_Status st = sane_open(device, &s->h);
    if (st != SANE_STATUS_GOOD) {
        s->h = NULL;
        rc = st_error_set(err, ST_ERR_IO, "sane: cannot open device \"%s\": %s "
                          "(`scanimage -L` lists the devices)", device, sane_strstatus(st));
        goto out;
    }
    /* SANE wants every descriptor fetched before any option is set. */
    for (s->n_opts = 1; sane_get_option_descriptor(s->h, s->n_opts); s->n_opts++)
        ;
    if (opts && opts->mode && (rc = st_sane_mode(s, opts->mode, err)))
        goto out;
    if (opts && opts->dpi > 0) {
        char text[32];
        snprintf(text, sizeof text, "%d", opts->dpi);
        if ((rc = st_sane_set(s, SANE_NAME_SCAN_RESOLUTION, text, err)))
            goto out;
        /* Devices clamp or round a resolution they do not offer. */
        double got = st_sane_read_dpi(s);
        if (got < opts->dpi - 1 || got > opts->dpi + 1) {
            rc = st_error_set(err, ST_ERR_ARG, "sane: %s: cannot scan at %d dpi (it "
                              "would scan at %.0f)", device, opts->dpi, got);
            goto out;
        }
    }
    if (opts && opts->source && (rc = st_sane_source(s, opts->source, err)))
        goto out;
    for (const char *const *e = opts ? opts->extra : NULL; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e) {
            rc = st_error_set(err, ST_ERR_ARG, "sane: option \"%s\" is not name=value", *e);
            goto out;
        }
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(eq - *e), *e);
        if ((rc = st_sane_set(s, name, eq + 1, err)))
            goto out;
    }
    s->dpi = st_sane_read_dpi(s);
out:
    if (rc) {
        st_sane_close(s);
        return rc;
    }
    *out = s;
    return ST_OK;
}

static int st_sane_status(const st_sane *s, SANE_Status st, const char *what, st_error *err)
{
    return st_error_set(err, st == SANE_STATUS_NO_MEM ? ST_ERR_NOMEM : ST_ERR_IO,
                        "sane: %s: page %d: %s: %s", s->device, s->pages + 1, what,
                        sane_strstatus(st));
}

/* Convert rows of raw SANE data to img (already sized). */
static void st_sane_convert(const SANE_Parameters *p, const uint8_t *raw, st_image *img)
{
    int ch = img->channels, n = p->pixels_per_line * ch;
    for (int y = 0; y < img->h; y++) {
        const uint8_t *src = raw + (size_t)y * (size_t)p->bytes_per_line;
        uint8_t *dst = img->px + (size_t)y * img->stride;
        for (int i = 0; i < n; i++) {
            if (p->depth == 8) {
                dst[i] = src[i];
            } else if (p->depth == 16) {
                uint16_t v;
                memcpy(&v, src + 2 * i, 2);
                dst[i] = (uint8_t)(v >> 8);
            } else {
                int bit = (src[i / 8] >> (7 - i % 8)) & 1;
                /* Grey lineart: 1 is black; 1-bit colour: 1 is full. */
                dst[i] = (uint8_t)(ch == 1 ? (bit ? 0 : 255) : (bit ? 255 : 0));
            }
        }
    }
}

int st_sane_next(st_sane *s, st_image **page, st_error *err)
{
    int rc = ST_OK;
    uint8_t *raw = NULL;
    st_image *img = NULL;
    SANE_Status st = sane_start(s->h);
    if (st == SANE_STATUS_NO_DOCS) {
        sane_cancel(s->h);
        s->started = 0;
        return 0;
    }
    s->started = 1;
    if (st != SANE_STATUS_GOOD) {
        rc = st_sane_status(s, st, "cannot start", err);
        goto out;
    }
    SANE_Parameters p;
    if ((st = sane_get_parameters(s->h, &p)) != SANE_STATUS_GOOD) {
        rc = st_sane_status(s, st, "no parameters", err);
        goto out;
    }
    if ((p.format != SANE_FRAME_GRAY && p.format != SANE_FRAME_RGB) || !p.last_frame) {
        rc = st_error_set(err, ST_ERR_UNSUPPORTED,
                          "sane: %s: frames in several passes (three-pass colour) are not "
                          "read; choose another mode",
                          s->device);
        goto out;
    }
    if ((p.depth != 1 && p.depth != 8 && p.depth != 16) || p.pixels_per_line <= 0 ||
        p.bytes_per_line <= 0) {
        rc = st_error_set(err, ST_ERR_UNSUPPORTED, "sane: %s: %d-bit samples, %d pixels a "
                          "line: not read", s->device, p.depth, p.pixels_per_line);
        goto out;
    }
    size_t bpl = (size_t)p.bytes_per_line, cap = bpl * (size_t)(p.lines > 0 ? p.lines : 256);
    size_t len = 0;
    if (!(raw = malloc(cap))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "sane: out of memory");
        goto out;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *bigger = realloc(raw, cap * 2);
            if (!bigger) {
                rc = st_error_set(err, ST_ERR_NOMEM, "sane: out of memory");
                goto out;
            }
            raw = bigger;
            cap *= 2;
        }
        SANE_Int got = 0;
        size_t want = cap - len > (1u << 20) ? (1u << 20) : cap - len;
        st = sane_read(s->h, raw + len, (SANE_Int)want, &got);
        if (st == SANE_STATUS_EOF)
            break;
        if (st != SANE_STATUS_GOOD) {
            rc = st_sane_status(s, st, "reading", err);
            goto out;
        }
        len += (size_t)got;
    }
    int h = (int)(len / bpl);
    if (h <= 0) {
        rc = st_error_set(err, ST_ERR_IO, "sane: %s: page %d: no image lines came",
                          s->device, s->pages + 1);
        goto out;
    }
    if (!(img = st_image_new(p.pixels_per_line, h, p.format == SANE_FRAME_RGB ? 3 : 1, 255))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "sane: out of memory");
        goto out;
    }
    img->dpi = s->dpi;
    st_sane_convert(&p, raw, img);
    s->pages++;
out:
    free(raw);
    if (rc) {
        st_image_free(img);
        sane_cancel(s->h);
        s->started = 0;
        return rc;
    }
    *page = img;
    return 1;
}
