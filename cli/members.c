/* members.c - `stemtel members`: who may decide ballots in this store
 *
 * The members of the gemeentelijk stembureau are registered in the store
 * once, with their role; every decision, void and move names one of them
 * with --by.
 */
#include "cli.h"
#include "util/text.h"
#include "stemtel/store.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const members_usage =
    "usage: stemtel members add NAME --role voorzitter|lid --store FILE\n"
    "       stemtel members list --store FILE\n"
    "\n"
    "add   register a member of the gemeentelijk stembureau; decisions name\n"
    "      their decider with review decide --by NAME\n"
    "list  the members, voorzitter first\n";

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
    if ((c = st_cli_no_verb(argc, argv, "members", "add or list", members_usage)) >= 0)
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
    int add = !strcmp(verb, "add");
    if (!add && strcmp(verb, "list")) {
        st_cli_error("members: unknown \"%s\": want add or list", verb);
        return ST_EXIT_USAGE;
    }
    if (!store_path || optind != argc - add || (add && !role)) {
        st_cli_error(add ? "members add: need NAME, --role voorzitter|lid and --store FILE"
                         : "members list: need --store FILE");
        fputs(members_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_store *s = NULL;
    int rc = ST_EXIT_FAIL, n = 0;
    if (add ? st_store_open(store_path, NULL, &s, &err)
            : st_store_open_readonly(store_path, &s, &err))
        goto out;
    if (add) {
        if (st_store_member_add(s, argv[optind], role, &err))
            goto out;
        printf("%s %s added to %s\n", role, argv[optind], store_path);
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
