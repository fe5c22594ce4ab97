#include "portico_sqlite.h"

/* Declared here rather than included: the symbol lives in the SQLite that SQLiteNIO
   compiles in (module VaporCSQLite, prefixed sqlite_nio_), which every Portico binary
   links; this target only needs its signature. */
int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

#define PORTICO_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int portico_sqlite_enable_qpsg(void *db) {
    return sqlite_nio_sqlite3_db_config(db, PORTICO_SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}
