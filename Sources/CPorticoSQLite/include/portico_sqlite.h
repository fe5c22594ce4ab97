#ifndef PORTICO_SQLITE_H
#define PORTICO_SQLITE_H

/// Turns on SQLite's query planner stability guarantee for a connection (the C API's
/// sqlite3_db_config is variadic, which Swift cannot call). With it, binding new values
/// never makes a prepared statement re-plan itself: the hot paths' statements are
/// prepared once and stay prepared. Returns SQLite's result code.
int portico_sqlite_enable_qpsg(void *db);

#endif
