#include <sqlite3.h>

// sqlite3_config is variadic, which Swift cannot call: these wrappers set the process-wide options
// before the first connection opens. The engine serializes use of each connection itself, so SQLite's
// own per-connection mutexes and its memory statistics (one more global mutex) are not needed.
static inline int workhive_sqlite_configure(void) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
}

// A larger per-connection lookaside arena: most of SQLite's small per-statement allocations come from
// it instead of malloc.
static inline int workhive_sqlite_lookaside(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, (void *)0, 1200, 2000);
}
