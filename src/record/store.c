/* store.c - the record of one counting location's count (SQLite)
 *
 * A thin layer of prepared statements over one SQLite file. The schema is
 * made on first open inside one transaction and stamped with
 * PRAGMA user_version; the model's JSON text lives in the meta table so
 * review, reconcile and export need nothing but the store. Pages and their
 * ballots are inserted a window at a time in one IMMEDIATE transaction;
 * INSERT OR IGNORE on the (sha256, page) key tells which pages were
 * already there. Ballots and figures are read back in storeread.c.
 *
 * Opening reads before it writes: the file's version and stemtel marker
 * are checked first, so another application's database is refused
 * untouched, and only then is it switched to WAL. A read-only open never
 * writes; where SQLite cannot make the -shm a WAL store needs (read-only
 * media, a full disk) and there is no -wal to read, the file is opened as
 * immutable.
 */
#include "stemtel/store.h"
#include "record/rescandb.h"
#include "record/storedb.h"
#include "util/clock.h"
#include "util/seen.h"

#include <ctype.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct st_store {
    sqlite3 *db;
    char *path;
    st_model *model;
    int64_t batch;          /* current batch id, 0 before st_store_begin_batch */
    sqlite3_stmt *ins_page, *ins_ballot, *has_page, *ins_source;
    st_seen *claimed;       /* pages answered "not stored" since the last
                             * commit: "key\tpage" */
};

/* Added in schema version 2: the members of the gemeentelijk stembureau
 * who decide, and moves of a batch's pages to another station. */
#define SCHEMA_V2                                                                   \
    "CREATE TABLE members(name TEXT PRIMARY KEY, role TEXT NOT NULL"                \
    "  CHECK(role IN ('voorzitter','lid')), added_at TEXT NOT NULL);"               \
    "CREATE TABLE moves(id INTEGER PRIMARY KEY,"                                     \
    "  batch INTEGER NOT NULL REFERENCES batches(id), counted_station TEXT,"         \
    "  to_station TEXT NOT NULL, moved_by TEXT NOT NULL, moved_at TEXT NOT NULL,"   \
    "  note TEXT);"                                                                  \
    "CREATE INDEX moves_batch ON moves(batch);"

/* Added in schema version 3: the municipality's polling stations. */
#define SCHEMA_V3                                                                   \
    "CREATE TABLE stations(id TEXT PRIMARY KEY, name TEXT NOT NULL, postcode TEXT,"  \
    "  eligible INTEGER, position INTEGER NOT NULL, source TEXT NOT NULL);"

/* Added in schema version 5: members' passwords for the desk's login,
 * each a line of util/password.h (salted PBKDF2, never the password). */
#define SCHEMA_V5                                                                   \
    "CREATE TABLE passwords(member TEXT PRIMARY KEY REFERENCES members(name),"      \
    "  hash TEXT NOT NULL, set_at TEXT NOT NULL);"

/* Added in schema version 6: the N 10-2 form's D/H boxes and its
 * explanation question as answered, a second entry of the basistelling
 * (the same shape, typed again), and the GSB's answers to the questions
 * of Na 31-2 Bijlage 1. */
#define SCHEMA_V6                                                                   \
    "CREATE TABLE basis_form(station TEXT PRIMARY KEY"                               \
    "  REFERENCES basis(station) ON DELETE CASCADE, boxes INTEGER, explained TEXT);" \
    "CREATE TABLE basis2(station TEXT PRIMARY KEY, name TEXT,"                       \
    "  A INTEGER NOT NULL, B INTEGER NOT NULL, C INTEGER NOT NULL,"                  \
    "  D INTEGER NOT NULL, E INTEGER NOT NULL, F INTEGER NOT NULL,"                  \
    "  G INTEGER NOT NULL, H INTEGER NOT NULL, I INTEGER NOT NULL,"                  \
    "  J INTEGER NOT NULL, explained INTEGER NOT NULL, eligible INTEGER,"            \
    "  source TEXT NOT NULL);"                                                       \
    "CREATE TABLE basis2_lists(station TEXT NOT NULL"                                \
    "  REFERENCES basis2(station) ON DELETE CASCADE,"                                \
    "  list INTEGER NOT NULL, votes INTEGER NOT NULL, PRIMARY KEY(station, list));"  \
    "CREATE TABLE basis2_form(station TEXT PRIMARY KEY"                              \
    "  REFERENCES basis2(station) ON DELETE CASCADE, boxes INTEGER, explained TEXT);"\
    "CREATE TABLE answers(station TEXT NOT NULL, question TEXT NOT NULL,"            \
    "  answer TEXT NOT NULL CHECK(answer IN ('ja','nee','beide')),"                  \
    "  answered_by TEXT NOT NULL, answered_at TEXT NOT NULL,"                        \
    "  PRIMARY KEY(station, question));"

/* Added in schema version 7: decisions taken under the rule of four
 * eyes (vier ogen). A proposal counts for nothing until a second member
 * confirms it; then the decision it becomes is a row of decisions, and
 * the proposal keeps who confirmed it and when. after is the ballot's
 * latest decision when it was proposed (0: none), so a decision taken
 * since makes the proposal moot. */
#define SCHEMA_V7                                                                   \
    "CREATE TABLE proposals(id INTEGER PRIMARY KEY,"                                \
    "  page INTEGER NOT NULL REFERENCES pages(id),"                                  \
    "  outcome TEXT NOT NULL, list INTEGER NOT NULL, candidate INTEGER NOT NULL,"    \
    "  party_only INTEGER NOT NULL, reason TEXT NOT NULL,"                          \
    "  proposed_by TEXT NOT NULL, proposed_at TEXT NOT NULL, note TEXT,"            \
    "  after INTEGER NOT NULL, decision INTEGER REFERENCES decisions(id),"          \
    "  confirmed_by TEXT, confirmed_at TEXT);"                                       \
    "CREATE INDEX proposals_page ON proposals(page);"                               \
    "CREATE INDEX proposals_decision ON proposals(decision);"

/* Added in schema version 8: where `stemtel scan` took each page (its
 * source's name, its sheet batch) and when it was committed (Unix time),
 * so the operator view can show each source's progress and pace. */
#define SCHEMA_V8                                                                   \
    "CREATE TABLE page_sources(page INTEGER PRIMARY KEY REFERENCES pages(id),"      \
    "  run INTEGER NOT NULL REFERENCES batches(id), source TEXT NOT NULL,"          \
    "  batch INTEGER NOT NULL, taken_at REAL NOT NULL);"                            \
    "CREATE INDEX page_sources_run ON page_sources(run, source);"
/* Added in schema version 9: the rules the gemeentelijk stembureau sets
 * for its own sitting, now only vier ogen. Rows are only ever added, so
 * the latest row of a rule is its value and the earlier ones say who
 * switched it when. */
#define SCHEMA_V9                                                                   \
    "CREATE TABLE rules(id INTEGER PRIMARY KEY,"                                    \
    "  rule TEXT NOT NULL CHECK(rule IN ('four_eyes')),"                            \
    "  value INTEGER NOT NULL CHECK(value IN (0,1)),"                               \
    "  set_by TEXT NOT NULL, set_at TEXT NOT NULL);"

static const char *const schema =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE batches(id INTEGER PRIMARY KEY, started TEXT NOT NULL,"
    "  station TEXT, inputs TEXT);"
    "CREATE TABLE pages(id INTEGER PRIMARY KEY,"
    "  batch INTEGER NOT NULL REFERENCES batches(id),"
    "  file TEXT NOT NULL, page INTEGER NOT NULL, sha256 TEXT NOT NULL,"
    "  station TEXT, UNIQUE(sha256, page));"
    "CREATE INDEX pages_station ON pages(station);"
    "CREATE TABLE ballots(page INTEGER PRIMARY KEY REFERENCES pages(id),"
    "  outcome TEXT NOT NULL, list INTEGER NOT NULL, candidate INTEGER NOT NULL,"
    "  party_only INTEGER NOT NULL, reasons TEXT NOT NULL,"
    "  proposal TEXT NOT NULL, proposal_list INTEGER NOT NULL,"
    "  proposal_candidate INTEGER NOT NULL, proposal_party_only INTEGER NOT NULL,"
    "  proposal_reason TEXT NOT NULL, record TEXT NOT NULL);"
    "CREATE TABLE decisions(id INTEGER PRIMARY KEY,"
    "  page INTEGER NOT NULL REFERENCES pages(id),"
    "  outcome TEXT NOT NULL, list INTEGER NOT NULL, candidate INTEGER NOT NULL,"
    "  party_only INTEGER NOT NULL, reason TEXT NOT NULL,"
    "  decided_by TEXT NOT NULL, decided_at TEXT NOT NULL, note TEXT);"
    "CREATE INDEX decisions_page ON decisions(page);"
    "CREATE TABLE basis(station TEXT PRIMARY KEY, name TEXT,"
    "  A INTEGER NOT NULL, B INTEGER NOT NULL, C INTEGER NOT NULL,"
    "  D INTEGER NOT NULL, E INTEGER NOT NULL, F INTEGER NOT NULL,"
    "  G INTEGER NOT NULL, H INTEGER NOT NULL, I INTEGER NOT NULL,"
    "  J INTEGER NOT NULL, explained INTEGER NOT NULL, eligible INTEGER,"
    "  source TEXT NOT NULL);"
    "CREATE TABLE basis_lists(station TEXT NOT NULL"
    "  REFERENCES basis(station) ON DELETE CASCADE,"
    "  list INTEGER NOT NULL, votes INTEGER NOT NULL, PRIMARY KEY(station, list));"
    SCHEMA_V2 SCHEMA_V3 ST_RESCAN_SCHEMA SCHEMA_V5 SCHEMA_V6 SCHEMA_V7 SCHEMA_V8 SCHEMA_V9;

int st_store_fail(st_store *s, st_error *err, const char *what)
{
    return st_error_set(err, ST_ERR_IO, "store: %s: %s: %s", s->path, what,
                        sqlite3_errmsg(s->db));
}

int st_store_exec(st_store *s, const char *sql, st_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = st_error_set(err, ST_ERR_IO, "store: %s: %s", s->path,
                              msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return rc;
    }
    return ST_OK;
}

const char *st_store_col_text(sqlite3_stmt *q, int i)
{
    const unsigned char *t = sqlite3_column_text(q, i);
    return t ? (const char *)t : "";
}

static int user_version(st_store *s, int *v)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return -1;
    int ok = sqlite3_step(q) == SQLITE_ROW;
    if (ok)
        *v = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return ok ? 0 : -1;
}

/* Make the tables and store the model; one transaction, so a store is
 * either complete or still empty. */
static int create_schema(st_store *s, const char *model_json, st_error *err)
{
    int rc;
    sqlite3_stmt *q = NULL;
    if ((rc = st_store_exec(s, "BEGIN IMMEDIATE", err)))
        return rc;
    int v = 0;
    if (user_version(s, &v)) {
        rc = st_store_fail(s, err, "cannot read schema version");
        goto out;
    }
    if (v != 0) { /* another process made it meanwhile */
        rc = st_store_exec(s, "COMMIT", err);
        return rc;
    }
    if ((rc = st_store_exec(s, schema, err)))
        goto out;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO meta VALUES('format','stemtel-store'),"
                           "('model',?1),('election_id',?2)", -1, &q, NULL) != SQLITE_OK) {
        rc = st_store_fail(s, err, "cannot prepare");
        goto out;
    }
    sqlite3_bind_text(q, 1, model_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, s->model ? s->model->election_id : "", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = st_store_fail(s, err, "cannot write");
        goto out;
    }
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", ST_STORE_SCHEMA_VERSION);
    if ((rc = st_store_exec(s, pragma, err)))
        goto out;
    sqlite3_finalize(q);
    return st_store_exec(s, "COMMIT", err);
out:
    sqlite3_finalize(q);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* An older store gains the tables of every later version (nothing else
 * changed), one version per transaction; *v becomes the version the file
 * now has. */
static int migrate(st_store *s, int *v, st_error *err)
{
    static const char *const add[] = {NULL, SCHEMA_V2 "PRAGMA user_version=2;",
                                       SCHEMA_V3 "PRAGMA user_version=3;",
                                       ST_RESCAN_SCHEMA "PRAGMA user_version=4;",
                                       SCHEMA_V5 "PRAGMA user_version=5;",
                                       SCHEMA_V6 "PRAGMA user_version=6;",
                                       SCHEMA_V7 "PRAGMA user_version=7;",
                                       SCHEMA_V8 "PRAGMA user_version=8;",
                                       SCHEMA_V9 "PRAGMA user_version=9;"};
    int rc;
    while (*v >= 1 && *v < ST_STORE_SCHEMA_VERSION) {
        int was = *v;
        if ((rc = st_store_exec(s, "BEGIN IMMEDIATE", err)))
            return rc;
        if (user_version(s, v)) {
            rc = st_store_fail(s, err, "cannot read schema version");
            goto fail;
        }
        if (*v == was && (rc = st_store_exec(s, add[was], err)))
            goto fail;
        if ((rc = st_store_exec(s, "COMMIT", err)))
            goto fail;
        if (*v == was)
            *v = was + 1; /* else another process did it meanwhile */
    }
    return ST_OK;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int read_meta(st_store *s, const char *key, char **out, st_error *err)
{
    sqlite3_stmt *q = NULL;
    *out = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key=?1", -1, &q, NULL) !=
        SQLITE_OK)
        return st_error_set(err, ST_ERR_INVALID, "store: %s: not a stemtel store (%s)",
                            s->path, sqlite3_errmsg(s->db));
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        *out = strdup(st_store_col_text(q, 0));
    sqlite3_finalize(q);
    if (!*out)
        return st_error_set(err, ST_ERR_INVALID, "store: %s: not a stemtel store (no %s)",
                            s->path, key);
    return ST_OK;
}

/* A failed first read of the file, said as what it is: not SQLite at all,
 * damaged, or a read that failed (a full disk, a missing -shm, ...). */
static int read_failure(st_store *s, int code, const char *msg, st_error *err)
{
    if ((code & 0xff) == SQLITE_NOTADB)
        return st_error_set(err, ST_ERR_INVALID,
                            "store: %s: not a stemtel store (not an SQLite database)", s->path);
    if ((code & 0xff) == SQLITE_CORRUPT)
        return st_error_set(err, ST_ERR_INVALID, "store: %s: damaged: %s", s->path, msg);
    int os = sqlite3_system_errno(s->db);
    return st_error_set(err, ST_ERR_IO, "store: %s: cannot read: %s%s%s%s", s->path, msg,
                        os ? " (" : "", os ? strerror(os) : "", os ? ")" : "");
}

/* One value of the first column of sql's first row into *v; the SQLite
 * result code (SQLITE_ROW: found, SQLITE_DONE: no row) with its message
 * in msg. */
static int query_int(st_store *s, const char *sql, int *v, char *msg, size_t n)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &q, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
        *v = sqlite3_column_int(q, 0);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        rc = sqlite3_extended_errcode(s->db);
    snprintf(msg, n, "%s", sqlite3_errmsg(s->db));
    sqlite3_finalize(q);
    return rc;
}

/* What the file is, found by reading only: *v its schema version, 0 for
 * an empty database (a store still to be made). A file that is not a
 * stemtel store is refused here, before anything could be written to it:
 * one with tables but no stemtel version, or a version but no stemtel
 * marker in its meta table. *sqlite_rc gets the SQLite code of a failed
 * first read (for the read-only fallback), else SQLITE_OK. */
static int identify(st_store *s, int *v, int *sqlite_rc, st_error *err)
{
    char msg[256];
    int rc = query_int(s, "PRAGMA user_version", v, msg, sizeof msg), tables = 0;
    *sqlite_rc = rc == SQLITE_ROW ? SQLITE_OK : rc;
    if (rc != SQLITE_ROW)
        return read_failure(s, rc, msg, err);
    if ((rc = query_int(s, "SELECT count(*) FROM sqlite_master", &tables, msg, sizeof msg)) !=
        SQLITE_ROW)
        return read_failure(s, rc, msg, err);
    if (*v == 0 && tables == 0)
        return ST_OK;
    int marked = 0;
    rc = query_int(s, "SELECT value = 'stemtel-store' FROM meta WHERE key = 'format'", &marked,
                   msg, sizeof msg);
    if (rc == SQLITE_ROW && marked)
        return ST_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE && (rc & 0xff) != SQLITE_ERROR)
        return read_failure(s, rc, msg, err);
    return st_error_set(err, ST_ERR_INVALID,
                        "store: %s: not a stemtel store (an SQLite database with %d table%s "
                        "of another application; left as it is)",
                        s->path, tables, tables == 1 ? "" : "s");
}

/* path as an SQLite URI for a file nobody writes to: every byte but
 * letters, digits and "/._-" percent-encoded. NULL on no memory. */
static char *immutable_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(3 * n + 32), *w = u;
    if (!u)
        return NULL;
    w += sprintf(w, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        w += isalnum(*p) || strchr("/._-", *p) ? sprintf(w, "%c", *p) : sprintf(w, "%%%02X", *p);
    sprintf(w, "?immutable=1");
    return u;
}

/* Bytes in path's write-ahead log; 0 when it has none. */
static long long wal_bytes(const char *path)
{
    char wal[4200];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", path);
    return stat(wal, &st) == 0 ? (long long)st.st_size : 0;
}

/* Open s->db on s->path: for reading only, or for writing (creating the
 * file when create). A store on read-only media or a full disk, whose
 * -shm SQLite cannot make, is read as an immutable file when it has no
 * write-ahead log, which it then cannot need. On success *v is the
 * file's schema version. */
static int open_db(st_store *s, int readonly, int create, int *v, st_error *err)
{
    int flags = readonly ? SQLITE_OPEN_READONLY
                         : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(s->path, &s->db, flags, NULL) != SQLITE_OK) {
        /* SQLite says "unable to open database file"; the usual cause is
         * a folder that is not there. */
        const char *slash = strrchr(s->path, '/');
        struct stat st;
        if (create && slash && slash > s->path) {
            char *dir = strndup(s->path, (size_t)(slash - s->path));
            int missing = dir && stat(dir, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
            int rc = missing ? st_error_set(err, ST_ERR_IO, "store: %s: cannot make it: the "
                                            "folder %s does not exist", s->path, dir)
                             : ST_OK;
            free(dir);
            if (rc)
                return rc;
        }
        return st_error_set(err, ST_ERR_IO, "store: %s: cannot open: %s", s->path,
                            s->db ? sqlite3_errmsg(s->db) : "out of memory");
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (!readonly && sqlite3_db_readonly(s->db, "main") == 1)
        return st_error_set(err, ST_ERR_IO,
                            "store: %s: cannot be written (a read-only file or medium); the "
                            "commands that only read (review list and show, tally, reconcile, "
                            "export, verify) work on it as it is", s->path);
    int code, rc = identify(s, v, &code, err);
    if (!rc || !readonly)
        return rc;
    int base = code & 0xff;
    if (base != SQLITE_READONLY && base != SQLITE_CANTOPEN && base != SQLITE_IOERR &&
        base != SQLITE_FULL)
        return rc;
    long long wal = wal_bytes(s->path);
    if (wal > 0)
        return st_error_set(err, ST_ERR_IO,
                            "store: %s: cannot read: %s; its write-ahead log (%s-wal, %lld "
                            "bytes) holds changes SQLite can read only with a -shm file "
                            "beside it: copy the store with its -wal to a writable folder",
                            s->path, sqlite3_errmsg(s->db), s->path, wal);
    char *uri = immutable_uri(s->path);
    if (!uri)
        return st_error_set(err, ST_ERR_NOMEM, "store: out of memory");
    sqlite3_close(s->db);
    s->db = NULL;
    rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return st_error_set(err, ST_ERR_IO, "store: %s: cannot open: %s", s->path,
                            s->db ? sqlite3_errmsg(s->db) : "out of memory");
    return identify(s, v, &code, err);
}

static int store_open(const char *path, const st_model *m, int readonly, st_store **out,
                      st_error *err)
{
    st_store *s = NULL;
    char *want = NULL, *have = NULL;
    st_error local = {0};
    int rc;
    if (!err)
        err = &local;
    if (!path || !out)
        return st_error_set(err, ST_ERR_ARG, "store: no path given");
    if (!m && access(path, F_OK) != 0)
        return st_error_set(err, ST_ERR_IO, "store: %s: no such store (the first `stemtel "
                            "count` or `stemtel scan` with --model and --store makes it)",
                            path);
    if (!(s = calloc(1, sizeof *s)) || !(s->path = strdup(path))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "store: out of memory");
        goto out;
    }
    int v = 0;
    if ((rc = open_db(s, readonly, m != NULL, &v, err)))
        goto out;
    if (v == 0 && !m) {
        rc = st_error_set(err, ST_ERR_INVALID, "store: %s: not a stemtel store (empty)", path);
        goto out;
    }
    if (v > ST_STORE_SCHEMA_VERSION) {
        rc = st_error_set(err, ST_ERR_UNSUPPORTED,
                          "store: %s: schema version %d, this stemtel reads version %d",
                          path, v, ST_STORE_SCHEMA_VERSION);
        goto out;
    }
    if (readonly && v < ST_STORE_SCHEMA_VERSION) {
        /* An older stemtel's store gains its new (empty) tables once, by
         * an open for writing; on read-only media it cannot. */
        st_store *w = NULL;
        if ((rc = store_open(path, NULL, 0, &w, err))) {
            st_error_prefix(err, "store: %s: schema version %d needs the tables of version %d "
                                 "added first", path, v, ST_STORE_SCHEMA_VERSION);
            goto out;
        }
        st_store_close(w);
        sqlite3_close(s->db);
        s->db = NULL;
        if ((rc = open_db(s, 1, 0, &v, err)))
            goto out;
    }
    if (!readonly && sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                         "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
        rc = st_store_fail(s, err, "cannot switch to WAL mode (SQLite makes its -wal and -shm "
                                   "files beside the store)");
        goto out;
    }
    if (m && !(want = st_model_to_json(m, err))) {
        rc = err->code ? err->code : ST_ERR_NOMEM;
        goto out;
    }
    if (v == 0) {
        if ((rc = create_schema(s, want, err)))
            goto out;
        if (user_version(s, &v)) {
            rc = st_store_fail(s, err, "cannot read schema version");
            goto out;
        }
    }
    if (!readonly && v >= 1 && v < ST_STORE_SCHEMA_VERSION && (rc = migrate(s, &v, err)))
        goto out;
    if (v != ST_STORE_SCHEMA_VERSION) {
        rc = st_error_set(err, ST_ERR_UNSUPPORTED,
                          "store: %s: schema version %d, this stemtel reads version %d",
                          path, v, ST_STORE_SCHEMA_VERSION);
        goto out;
    }
    if ((rc = read_meta(s, "model", &have, err)))
        goto out;
    if (want && strcmp(want, have) != 0) {
        rc = st_error_set(err, ST_ERR_INVALID,
                          "store: %s: holds a count made with another ballot model; "
                          "use a new store for this model", path);
        goto out;
    }
    if ((rc = st_model_parse(have, path, &s->model, err)))
        goto out;
    if (!readonly &&
        (sqlite3_prepare_v2(s->db,
                            "INSERT OR IGNORE INTO pages(batch,file,page,sha256,station) "
                            "VALUES(?1,?2,?3,?4,?5)", -1, &s->ins_page, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(s->db,
                            "INSERT INTO ballots VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
                            -1, &s->ins_ballot, NULL) != SQLITE_OK ||
         sqlite3_prepare_v2(s->db, "INSERT INTO page_sources VALUES(?1,?2,?3,?4,?5)", -1,
                            &s->ins_source, NULL) != SQLITE_OK)) {
        rc = st_store_fail(s, err, "cannot prepare");
        goto out;
    }
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pages WHERE sha256=?1 AND page=?2", -1,
                           &s->has_page, NULL) != SQLITE_OK) {
        rc = st_store_fail(s, err, "cannot prepare");
        goto out;
    }
    *out = s;
    s = NULL;
    rc = ST_OK;
out:
    free(want);
    free(have);
    st_store_close(s);
    return rc;
}

int st_store_open(const char *path, const st_model *m, st_store **out, st_error *err)
{
    return store_open(path, m, 0, out, err);
}

int st_store_open_readonly(const char *path, st_store **out, st_error *err)
{
    return store_open(path, NULL, 1, out, err);
}

void st_store_close(st_store *s)
{
    if (!s)
        return;
    sqlite3_finalize(s->ins_page);
    sqlite3_finalize(s->ins_ballot);
    sqlite3_finalize(s->has_page);
    sqlite3_finalize(s->ins_source);
    st_seen_free(s->claimed);
    sqlite3_close(s->db);
    st_model_free(s->model);
    free(s->path);
    free(s);
}

const st_model *st_store_model(const st_store *s)
{
    return s->model;
}

sqlite3 *st_store_db(st_store *s)
{
    return s->db;
}

const char *st_store_path(const st_store *s)
{
    return s->path;
}

void st_store_utc_now(char *buf, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int st_store_begin_batch(st_store *s, const char *station, const char *inputs,
                         st_error *err)
{
    sqlite3_stmt *q = NULL;
    char when[32];
    st_store_utc_now(when, sizeof when);
    if (sqlite3_prepare_v2(s->db, "INSERT INTO batches(started,station,inputs) VALUES(?1,?2,?3)",
                           -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_text(q, 1, when, -1, SQLITE_STATIC);
    if (station)
        sqlite3_bind_text(q, 2, station, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, inputs ? inputs : "", -1, SQLITE_STATIC);
    int ok = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    if (!ok)
        return st_store_fail(s, err, "cannot record the batch");
    s->batch = sqlite3_last_insert_rowid(s->db);
    return ST_OK;
}

int st_store_batch_rescans(st_store *s, int64_t *n, st_error *err)
{
    sqlite3_stmt *q = NULL;
    *n = 0;
    if (!s->batch)
        return ST_OK;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM rescans r JOIN pages p ON p.id = r.page"
                           " WHERE p.batch = ?1", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_int64(q, 1, s->batch);
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        *n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return step == SQLITE_ROW ? ST_OK : st_store_fail(s, err, "cannot read rescans");
}

/* ---- outcomes as rows ---------------------------------------------------- */

st_outcome_kind st_store_kind_of(const char *name)
{
    for (int k = ST_OUTCOME_VOTE; k <= ST_OUTCOME_VOID; k++)
        if (!strcmp(name, st_outcome_name((st_outcome_kind)k)))
            return (st_outcome_kind)k;
    return ST_OUTCOME_REJECTED;
}

static void join_reasons(const st_outcome *o, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < o->n_reasons; i++) {
        if (i)
            strncat(buf, " ", n - strlen(buf) - 1);
        strncat(buf, o->reasons[i], n - strlen(buf) - 1);
    }
}

/* SHA-256 of no bytes at all: what an empty or unopenable file hashes to. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* The key a page is known by: its file's hash, or for a file that could
 * not be read or is empty (no hash, or the hash of nothing, which many
 * such files would share), its absolute path. */
static void page_key(const char *abs, const char *sha256, char *key, size_t n)
{
    if (sha256[0] && strcmp(sha256, EMPTY_SHA256))
        snprintf(key, n, "%s", sha256);
    else
        snprintf(key, n, "unreadable:%s", abs);
}

int st_store_seen(st_store *s, const char *file, const char *sha256, int page)
{
    char key[4200], *abs = realpath(file, NULL);
    page_key(abs ? abs : file, sha256, key, sizeof key);
    free(abs);
    sqlite3_reset(s->has_page);
    sqlite3_bind_text(s->has_page, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s->has_page, 2, page);
    int found = sqlite3_step(s->has_page) == SQLITE_ROW;
    sqlite3_reset(s->has_page);
    if (found)
        return 1;
    /* Not stored yet, but maybe already taken in this window: the same
     * bytes under another name. Out of memory reads as "not stored",
     * which st_store_commit then settles. */
    char claim[4300];
    snprintf(claim, sizeof claim, "%s\t%d", key, page);
    if (!s->claimed && !(s->claimed = st_seen_new()))
        return 0;
    return st_seen_add(s->claimed, claim) == 0;
}

int st_store_holds(st_store *s, const char *file, const char *sha256, int page,
                   st_error *err)
{
    char key[4200], *abs = realpath(file, NULL);
    sqlite3_stmt *q = NULL;
    page_key(abs ? abs : file, sha256, key, sizeof key);
    free(abs);
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pages WHERE sha256=?1 AND (?2 < 0 OR page=?2)",
                           -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, page);
    int step = sqlite3_step(q);
    sqlite3_finalize(q);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return st_store_fail(s, err, "cannot read pages");
    return step == SQLITE_ROW;
}

int st_store_commit(st_store *s, const st_store_page *pages, int n, int *skipped,
                    st_error *err)
{
    int rc, skip = 0;
    if (!s->ins_page)
        return st_error_set(err, ST_ERR_ARG, "store: %s: opened for reading only", s->path);
    if (!s->batch)
        return st_error_set(err, ST_ERR_ARG, "store: no batch begun");
    /* A page's station, from --station or its separator sheet, must be a
     * station of the municipality: the window is refused whole. */
    for (int i = 0; i < n; i++) {
        const char *st = pages[i].station;
        if (!st || (i > 0 && pages[i - 1].station && !strcmp(st, pages[i - 1].station)))
            continue;
        st_error e = {0};
        if ((rc = st_store_station_check(s, st, &e)))
            return st_error_set(err, rc == ST_ERR_IO ? ST_ERR_IO : ST_ERR_INVALID,
                                "store: %s page %d: %s", pages[i].file, pages[i].page, e.msg);
    }
    if ((rc = st_store_exec(s, "BEGIN IMMEDIATE", err)))
        return rc;
    double taken_at = st_clock_wall();
    for (int i = 0; i < n; i++) {
        const st_store_page *p = &pages[i];
        const st_outcome *o = p->outcome;
        char key[4200], *abs = realpath(p->file, NULL), reasons[ST_MAX_REASONS * ST_REASON_MAX];
        page_key(abs ? abs : p->file, p->sha256, key, sizeof key);
        sqlite3_stmt *q = s->ins_page;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, s->batch);
        sqlite3_bind_text(q, 2, abs ? abs : p->file, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(q, 3, p->page);
        sqlite3_bind_text(q, 4, key, -1, SQLITE_TRANSIENT);
        if (p->station)
            sqlite3_bind_text(q, 5, p->station, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(q, 5);
        free(abs);
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = st_store_fail(s, err, "cannot store a page");
            goto fail;
        }
        if (sqlite3_changes(s->db) == 0) {
            skip++;
            continue;
        }
        int64_t id = sqlite3_last_insert_rowid(s->db);
        q = s->ins_ballot;
        sqlite3_reset(q);
        join_reasons(o, reasons, sizeof reasons);
        sqlite3_bind_int64(q, 1, id);
        sqlite3_bind_text(q, 2, st_outcome_name(o->kind), -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 3, o->list);
        sqlite3_bind_int(q, 4, o->candidate);
        sqlite3_bind_int(q, 5, o->party_only);
        sqlite3_bind_text(q, 6, reasons, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 7, st_outcome_name(o->proposal), -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 8, o->proposal_list);
        sqlite3_bind_int(q, 9, o->proposal_candidate);
        sqlite3_bind_int(q, 10, o->proposal_party_only);
        sqlite3_bind_text(q, 11, o->proposal_reason, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 12, p->record, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = st_store_fail(s, err, "cannot store a ballot");
            goto fail;
        }
        if (p->source) {
            q = s->ins_source;
            sqlite3_reset(q);
            sqlite3_bind_int64(q, 1, id);
            sqlite3_bind_int64(q, 2, s->batch);
            sqlite3_bind_text(q, 3, p->source, -1, SQLITE_STATIC);
            sqlite3_bind_int(q, 4, p->batch);
            sqlite3_bind_double(q, 5, taken_at);
            if (sqlite3_step(q) != SQLITE_DONE) {
                rc = st_store_fail(s, err, "cannot store a page's source");
                goto fail;
            }
        }
        /* A sheet fed again: its marks against the station's earlier pages. */
        if ((rc = st_rescan_store_page(s, id, p->station, p->record, err)))
            goto fail;
    }
    if ((rc = st_store_exec(s, "COMMIT", err)))
        goto fail;
    *skipped = skip;
    rc = ST_OK;
    goto out;
fail:
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
out:
    /* What was taken is now in the file (or the batch stops). */
    st_seen_free(s->claimed);
    s->claimed = NULL;
    return rc;
}
