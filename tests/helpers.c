/* helpers.c - shared fixtures for the cmocka tests */
#include "helpers.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *join(const char *env, const char *rel)
{
    const char *base = getenv(env);
    if (!base || !*base)
        fail_msg("$%s is not set: run the tests through `make test`", env);
    size_t n = strlen(base) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", base, rel);
    return p;
}

char *th_data(const char *rel) { return join("STEMTEL_DATA", rel); }
char *th_root(const char *rel) { return join("STEMTEL_ROOT", rel); }

char *th_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/stemtel-test-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpl))
        fail_msg("mkdtemp failed");
    return strdup(tmpl);
}

void th_rmtree(const char *dir)
{
    if (!dir || !*dir || strcmp(dir, "/") == 0)
        return;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

int th_run(char **output, const char *fmt, ...)
{
    const char *bin = getenv("STEMTEL_BIN");
    if (!bin || !*bin)
        fail_msg("$STEMTEL_BIN is not set: run the tests through `make test`");
    char args[8192], cmd[9000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 1024)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int st = pclose(p);
    if (output)
        *output = buf;
    else
        free(buf);
    if (st == -1)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *th_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

char *th_pdf_text(const char *pdf)
{
    char txt[4200], cmd[8600];
    snprintf(txt, sizeof txt, "%s.txt", pdf);
    snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 '%s' '%s'", pdf, txt);
    if (system(cmd) != 0)
        fail_msg("pdftotext failed on %s (poppler-utils: make setup)", pdf);
    char *text = th_slurp(txt, NULL);
    if (!text)
        fail_msg("pdftotext wrote no %s", txt);
    remove(txt);
    return text;
}

int th_has_word(const char *text, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = text; n && (p = strstr(p, word)); p++)
        if ((p == text || isspace((unsigned char)p[-1])) &&
            (!p[n] || isspace((unsigned char)p[n])))
            return 1;
    return 0;
}

char *th_sha256sum(const char *path)
{
    char cmd[4300], hex[80] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(hex, sizeof hex, p) || strspn(hex, "0123456789abcdef") != 64)
        fail_msg("sha256sum failed on %s", path);
    pclose(p);
    hex[64] = '\0';
    return strdup(hex);
}

void th_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

json_object **th_jsonl_strict(const char *path, const char *what, int *n)
{
    const char *w = what ? what : "", *sep = what ? ": " : "";
    size_t len = 0;
    char *text = th_slurp(path, &len);
    if (!text)
        fail_msg("%s%scannot read %s", w, sep, path);
    if (strlen(text) != len)
        fail_msg("%s%s%s: a NUL byte at offset %zu", w, sep, path, strlen(text));
    if (len && text[len - 1] != '\n')
        fail_msg("%s%s%s: the last line has no newline", w, sep, path);
    json_object **v = NULL;
    int count = 0;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        fail_msg("json_tokener_new failed");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    for (char *ln = text, *nl; ln < text + len; ln = nl + 1) {
        nl = strchr(ln, '\n');
        int line = count + 1, ll = (int)(nl - ln);
        json_tokener_reset(tok);
        json_object *o = ll ? json_tokener_parse_ex(tok, ln, ll) : NULL;
        enum json_tokener_error e = ll ? json_tokener_get_error(tok) : json_tokener_continue;
        /* A complete value must end exactly at the newline: strict mode
         * already refuses trailing characters, this also catches a line
         * the tokener is still waiting to see more of. */
        if (!o || e != json_tokener_success ||
            json_tokener_get_parse_end(tok) != (size_t)ll ||
            !json_object_is_type(o, json_type_object)) {
            const char *why = !ll ? "empty line"
                              : e == json_tokener_continue ? "incomplete value"
                              : e != json_tokener_success  ? json_tokener_error_desc(e)
                              : o && !json_object_is_type(o, json_type_object)
                                  ? "not an object" : "trailing characters";
            fail_msg("%s%s%s: line %d is not strict JSON (%s at column %zu): %.*s", w, sep,
                     path, line, why, json_tokener_get_parse_end(tok) + 1, ll > 200 ? 200 : ll,
                     ln);
        }
        v = realloc(v, (size_t)(count + 1) * sizeof *v);
        if (!v)
            fail_msg("out of memory reading %s", path);
        v[count++] = o;
    }
    json_tokener_free(tok);
    free(text);
    *n = count;
    return v;
}

void th_jsonl_free(json_object **v, int n)
{
    for (int i = 0; v && i < n; i++)
        json_object_put(v[i]);
    free(v);
}

json_object *th_json_get(json_object *o, const char *k)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

const char *th_json_str(json_object *o, const char *k)
{
    json_object *v = th_json_get(o, k);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

int th_json_int(json_object *o, const char *k)
{
    json_object *v = th_json_get(o, k);
    return v ? json_object_get_int(v) : -1;
}
