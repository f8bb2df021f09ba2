/* fuzz_file.h - hand a fuzz input to a parser that reads a file by name
 *
 * The parsers take a path (they name it in messages and some resolve
 * other files against its folder), so each input is written into one
 * memory file made once per process and handed over as /proc/self/fd/N:
 * no disk, and nothing left behind when a run is killed.
 */
#ifndef STEMTEL_FUZZ_FILE_H
#define STEMTEL_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The path of a file holding exactly data[0..size); the same path every
 * call, its contents replaced. Aborts when no memory file can be made. */
static inline const char *st_fuzz_file(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        if ((fd = memfd_create("fuzz-input", 0)) < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
    return path;
}

/* data[0..size) as a NUL-terminated string (malloc'd; the caller frees).
 * A NUL inside the input ends the text there, as it would for a reader of
 * C strings. */
static inline char *st_fuzz_text(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t)
        abort();
    for (size_t i = 0; i < size; i++)
        t[i] = (char)data[i];
    t[size] = '\0';
    return t;
}

/* Abort unless msg names what (the fuzzer then keeps the input): every
 * refusal must say which file it is about. */
static inline void st_fuzz_names(const char *msg, const char *what)
{
    if (!strstr(msg, what))
        abort();
}

#endif
