#include <sqlite_nio_sqlite3.h>

// SQLite itself is the amalgamation vapor/sqlite-nio vendors (a recent release, its symbols
// prefixed `sqlite_nio_`), not the system's library: Debian's 3.40 is built without lookaside
// memory and with secure delete, and costs the writer about a fifth more CPU per operation.

// sqlite3_config and sqlite3_db_config are variadic, which Swift cannot call: these wrappers set
// the options. The engine serializes use of each connection itself, so SQLite's own per-connection
// mutexes and its memory statistics (one more global mutex) are not needed.
static inline int workhive_sqlite_configure(void) {
    sqlite_nio_sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return sqlite_nio_sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
}

// Per connection: a larger lookaside arena, so that most of SQLite's small per-statement allocations
// come from it instead of malloc; and plans that do not depend on bound values (the query-planner
// stability guarantee), so that a cached statement is never compiled again because a parameter
// changed. Without the latter this release re-prepares some of the engine's statements on nearly
// every run, which doubled the writer's CPU per lifecycle.
static inline int workhive_sqlite_tune(sqlite3 *db) {
    int rc = sqlite_nio_sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, (void *)0, 1200, 2000);
    if (rc != SQLITE_OK) return rc;
    return sqlite_nio_sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}
