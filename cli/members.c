/* members.c - `stemtel members`: who may decide ballots in this store
 *
 * The members of the gemeentelijk stembureau are registered in the store
 * once, with their role; every decision, void and move names one of them
 * with --by. A member's password for the desk of `stemtel serve` is read
 * from stdin (never from the command line, where ps and the shell's
 * history would show it): with echo off and twice on a terminal, else
 * the first line.
 */
#include "cli.h"
#include "util/text.h"
#include "stemtel/store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char *const members_usage =
    "usage: stemtel members add NAME --role voorzitter|lid --store FILE\n"
    "       stemtel members list --store FILE\n"
    "       stemtel members passwd NAME --store FILE   (the password on stdin)\n"
    "\n"
    "add   register a member of the gemeentelijk stembureau; decisions name\n"
    "      their decider with review decide --by NAME\n"
    "list  the members, voorzitter first\n"
    "passwd set the password NAME logs in with at the desk of stemtel serve\n"
    "      (8 to 256 bytes), read from stdin: asked twice without echo on a\n"
    "      terminal, else the first line; it is kept only salted and hashed\n";

/* One line of stdin into buf without its newline, echo off on a terminal
 * (prompt on stderr). 0, or -1 at end of input or a line too long. */
static int read_secret(const char *prompt, char *buf, size_t n)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fputs(prompt, stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(buf, (int)n, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    size_t len = got ? strlen(buf) : 0;
    if (!got || (len == n - 1 && buf[len - 1] != '\n' && !feof(stdin)))
        return -1;
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

static int set_password(st_store *s, const char *name, st_error *err)
{
    char pw[512], again[512];
    int rc = ST_ERR_ARG;
    if (read_secret("password: ", pw, sizeof pw)) {
        st_error_set(err, ST_ERR_ARG, "members passwd: no password on stdin (or a line "
                     "over 256 bytes)");
        goto out;
    }
    if (isatty(STDIN_FILENO) &&
        (read_secret("again: ", again, sizeof again) || strcmp(pw, again))) {
        st_error_set(err, ST_ERR_ARG, "members passwd: the two did not match");
        goto out;
    }
    rc = st_store_member_passwd(s, name, pw, err);
out:
    memset(pw, 0, sizeof pw);
    memset(again, 0, sizeof again);
    return rc;
}

static int print_member(void *ctx, const char *name, const char *role, const char *added_at)
{
    int *n = ctx;
    char r[64], who[512], at[64];
    printf("%-10s %s (since %s)\n", st_text_shown(role, r, sizeof r),
           st_text_shown(name, who, sizeof who), st_text_shown(added_at, at, sizeof at));
    (*n)++;
    return 0;
}

int st_cli_members(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"role", required_argument, NULL, 'r'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *role = NULL;
    int c;
    if ((c = st_cli_no_verb(argc, argv, "members", "add, list or passwd", members_usage)) >= 0)
        return c;
    const char *verb = argv[1];
    argc--, argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 'r': role = optarg; break;
        case 'h': fputs(members_usage, stdout); return ST_EXIT_OK;
        default: fputs(members_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    int add = !strcmp(verb, "add"), passwd = !strcmp(verb, "passwd"), named = add || passwd;
    if (!named && strcmp(verb, "list")) {
        st_cli_error("members: unknown \"%s\": want add, list or passwd", verb);
        return ST_EXIT_USAGE;
    }
    if (!store_path || optind != argc - named || (add && !role) || (!add && role)) {
        st_cli_error(add      ? "members add: need NAME, --role voorzitter|lid and --store FILE"
                     : passwd ? "members passwd: need NAME and --store FILE (the password "
                                "comes on stdin)"
                              : "members list: need --store FILE");
        fputs(members_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_store *s = NULL;
    int rc = ST_EXIT_FAIL, n = 0;
    if (named ? st_store_open(store_path, NULL, &s, &err)
            : st_store_open_readonly(store_path, &s, &err))
        goto out;
    if (add) {
        if (st_store_member_add(s, argv[optind], role, &err))
            goto out;
        printf("%s %s added to %s\n", role, argv[optind], store_path);
    } else if (passwd) {
        if (set_password(s, argv[optind], &err))
            goto out;
        printf("password of %s set in %s\n", argv[optind], store_path);
    } else {
        if (st_store_members_each(s, print_member, &n, &err))
            goto out;
        printf("%d member%s\n", n, n == 1 ? "" : "s");
    }
    rc = ST_EXIT_OK;
out:
    if (rc)
        st_cli_error("%s", err.msg);
    st_store_close(s);
    return rc;
}
