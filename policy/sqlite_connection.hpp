#pragma once
// RAII ownership of SQLite handles, the one process-wide SQLite setting, and the
// way every analysis connection is opened (in memory, hardened, with stand-ins for
// libSQL's own SQL functions).
#include <sqlite3.h>

#include <memory>
#include <string>
#include <string_view>

namespace gate::policy {

class VectorIndexCatalog;

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct SqliteFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;
using SqliteStmt = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

// Call once at process start, before any other SQLite use (the proxy's main does).
// Turns SQLITE_CONFIG_MEMSTATUS off: with it on, every allocation takes a global
// mutex and two analysing threads run slower than one (DESIGN.md). This is the
// single documented exception to "no global mutable state". Also installs the
// counting allocator of the per-analysis memory bound (analysis_memory.hpp).
// Idempotent; returns false if SQLite was already initialised (the config calls
// are then refused: analysis would be slower and its memory unbounded, so the
// gate's main refuses to run).
bool initialize_sqlite();

// A fresh private in-memory database set up for analysis:
// - defensive mode (no writable_schema, no shadow-table corruption),
// - no extension loading, trusted_schema off is NOT set (views may call functions),
// - foreign_keys and recursive_triggers ON so that FK actions and the triggers a
//   REPLACE's implicit delete fires are compiled and reported (a superset of what
//   upstream may do: fail closed),
// - temp_store MEMORY (nothing of the copy ever goes to a file),
// - deterministic stand-ins for libSQL's vector functions, so schemas with
//   `libsql_vector_idx(...)` indexes and queries calling vector_distance_cos() prepare,
// - stand-ins for functions libSQL's engine has and this SQLite may lack
//   (newer_sqlite_functions.hpp),
// - libSQL's `vector_top_k` table-valued function (vector_search.hpp), reporting
//   to `catalog` (may be null).
// Returns null with `error` set if SQLite cannot open a database at all.
SqliteDb open_analysis_database(std::string& error, VectorIndexCatalog* catalog = nullptr);

// Execute SQL with no authorizer recording (setup, savepoints); returns SQLite's
// message on failure, "" on success.
std::string exec_sql(sqlite3* db, const char* sql);

}  // namespace gate::policy
