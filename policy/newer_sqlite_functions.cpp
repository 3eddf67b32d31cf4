#include "policy/newer_sqlite_functions.hpp"

#include <array>
#include <string>

#include "policy/empty_table_function.hpp"

namespace gate::policy {

namespace {

struct NewerFunction {
  const char* name;
  int arguments;  // -N: N or more (registered once per count, as a stand-in
                  // with -1 would prepare calls SQLite refuses)
  bool aggregate;
};

constexpr std::array<NewerFunction, 10> kNewerFunctions{{
    {"concat", -1, false},        // SQLite 3.44
    {"concat_ws", -2, false},     // 3.44
    {"octet_length", 1, false},   // 3.43
    {"timediff", 2, false},       // 3.43
    {"string_agg", 2, true},      // 3.44
    {"median", 1, true},          // libSQL's build
    {"regexp", 2, false},         // libSQL's build: `x REGEXP y` calls regexp(y, x)
    {"uuid", 0, false},           // libSQL's build (uuid extension)
    {"uuid_str", 1, false},
    {"uuid_blob", 1, false},
}};

void null_result(sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_result_null(ctx);
}
void no_step(sqlite3_context*, int, sqlite3_value**) {}
void null_final(sqlite3_context* ctx) {
  sqlite3_result_null(ctx);
}

// True when `sql` fails to prepare with a "no such ..." message: the object
// is missing here (any other failure means it exists).
bool missing(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  sqlite3_finalize(stmt);
  return rc != SQLITE_OK && std::string(sqlite3_errmsg(db)).starts_with("no such");
}

std::string call_of(const NewerFunction& f) {
  std::string call = std::string("SELECT ") + f.name + "(";
  int count = f.arguments < 0 ? -f.arguments : f.arguments;
  for (int i = 0; i < count; ++i) call += i ? ", NULL" : "NULL";
  return call + ")";
}

// generate_series(start, stop, step): an eponymous table with SQLite's columns
// and no rows.
int series_connect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(value, start HIDDEN, stop HIDDEN, step HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  *out = new sqlite3_vtab();
  return SQLITE_OK;
}
int series_disconnect(sqlite3_vtab* vtab) {
  delete vtab;
  return SQLITE_OK;
}
// As SQLite's own: the start argument is required (its message), and a plan
// where an argument is not yet usable is refused so SQLite tries another.
int series_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  int next = 1;
  bool start = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn >= 1 && c.op == SQLITE_INDEX_CONSTRAINT_EQ) {
      if (!c.usable) return SQLITE_CONSTRAINT;
      start = start || c.iColumn == 1;
      info->aConstraintUsage[i].argvIndex = next++;
      info->aConstraintUsage[i].omit = 1;
    }
  }
  if (!start) {
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = sqlite3_mprintf("first argument to \"generate_series()\" missing or unusable");
    return SQLITE_ERROR;
  }
  info->estimatedCost = 10;
  return SQLITE_OK;
}
const sqlite3_module& series_module() {
  static const sqlite3_module module =
      empty_table_function_module(series_connect, series_best_index, series_disconnect);
  return module;
}

}  // namespace

void add_newer_sqlite_functions(sqlite3* db) {
  int most = sqlite3_limit(db, SQLITE_LIMIT_FUNCTION_ARG, -1);
  for (const auto& f : kNewerFunctions) {
    if (!missing(db, call_of(f))) continue;
    int from = f.arguments < 0 ? -f.arguments : f.arguments;
    int to = f.arguments < 0 ? most : f.arguments;
    for (int count = from; count <= to; ++count) {
      if (f.aggregate) {
        sqlite3_create_function_v2(db, f.name, count, SQLITE_UTF8, nullptr, nullptr, no_step, null_final, nullptr);
      } else {
        sqlite3_create_function_v2(db, f.name, count, SQLITE_UTF8, nullptr, null_result, nullptr, nullptr,
                                   nullptr);
      }
    }
  }
  if (missing(db, "SELECT value FROM generate_series(1, 1)")) {
    sqlite3_create_module_v2(db, "generate_series", &series_module(), nullptr, nullptr);
  }
}

}  // namespace gate::policy
