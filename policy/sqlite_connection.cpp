#include "policy/sqlite_connection.hpp"

#include <array>

#include "policy/analysis_memory.hpp"
#include "policy/newer_sqlite_functions.hpp"
#include "policy/vector_search.hpp"

namespace gate::policy {

namespace {

// libSQL's vector helpers: return the first argument (or NULL). Deterministic, so
// they may appear in index expressions. Their results never matter: the analysis
// copy holds no rows and user statements are never executed on it.
void libsql_stand_in(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc > 0) {
    sqlite3_result_value(ctx, argv[0]);
  } else {
    sqlite3_result_null(ctx);
  }
}

// Name and number of arguments, as libSQL registers them (measured on the npm
// build: a wrong count does not prepare there either); -1 = any.
struct LibsqlFunction {
  const char* name;
  int arguments;
};
constexpr std::array<LibsqlFunction, 11> kLibsqlFunctions{{
    {"libsql_vector_idx", -1},  // the index's column, then any number of 'key=value' options
    {"vector", 1},
    {"vector32", 1},
    {"vector64", 1},
    {"vector1bit", 1},
    {"vector8", 1},
    {"vector16", 1},
    {"vectorb16", 1},
    {"vector_extract", 1},
    {"vector_distance_cos", 2},
    {"vector_distance_l2", 2},
}};

}  // namespace

bool initialize_sqlite() {
  // sqlite3_config must run before sqlite3_initialize; afterwards it returns
  // SQLITE_MISUSE, which we report rather than hide. The static makes repeated
  // calls (tests, several components) harmless.
  static const bool configured = [] {
    int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    // Per-analysis memory bounds (analysis_memory.hpp) count through it.
    const bool counting = install_counting_allocator();
    sqlite3_initialize();
    return rc == SQLITE_OK && counting;
  }();
  return configured;
}

std::string exec_sql(sqlite3* db, const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string out = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return out;
}

SqliteDb open_analysis_database(std::string& error, VectorIndexCatalog* catalog) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    error = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return nullptr;
  }
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  // Bounds for the one thing ever executed here (DDL of a batch applied to the
  // copy, e.g. CREATE TABLE AS SELECT zeroblob(...)); far above Hrana's body limit.
  sqlite3_limit(db.get(), SQLITE_LIMIT_LENGTH, 64 * 1024 * 1024);
  for (const auto& function : kLibsqlFunctions) {
    sqlite3_create_function_v2(db.get(), function.name, function.arguments, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                               nullptr, libsql_stand_in, nullptr, nullptr, nullptr);
  }
  add_newer_sqlite_functions(db.get());
  if (!register_vector_top_k(db.get(), catalog)) {
    error = "cannot register vector_top_k: " + std::string(sqlite3_errmsg(db.get()));
    return nullptr;
  }
  // temp_store=MEMORY: this build defaults to temp FILES; sorts and temp tables of
  // the copy must never touch the filesystem.
  error =
      exec_sql(db.get(), "PRAGMA foreign_keys=ON; PRAGMA recursive_triggers=ON; PRAGMA temp_store=MEMORY;");
  if (!error.empty()) return nullptr;
  return db;
}

}  // namespace gate::policy
