#include "policy/vector_search.hpp"

#include <algorithm>

#include "policy/authorizer_recorder.hpp"
#include "policy/empty_table_function.hpp"
#include "policy/sql_tokenizer.hpp"
#include "policy/sqlite_connection.hpp"

namespace gate::policy {

namespace {

// libSQL's messages for the same failures (measured on the `libsql` npm build), so
// a client sees through the gate what it would see direct.
constexpr const char* kUnknownIndexMessage = "vector index(search): failed to parse vector index parameters";
constexpr const char* kIndexNotTextMessage = "vector index(search): first parameter (index) must be a string";

// Column numbers in the declared table below.
constexpr int kIndexArgument = 0;
constexpr int kArgumentCount = 3;  // idx, vector, k

struct TopKTable : sqlite3_vtab {
  VectorIndexCatalog* catalog = nullptr;
};

int top_k_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(idx HIDDEN, vector HIDDEN, k HIDDEN, id INTEGER)");
  if (rc != SQLITE_OK) return rc;
  auto* table = new TopKTable();
  table->catalog = static_cast<VectorIndexCatalog*>(aux);
  *out = table;
  return SQLITE_OK;
}

int top_k_disconnect(sqlite3_vtab* vtab) {
  delete static_cast<TopKTable*>(vtab);
  return SQLITE_OK;
}

int fail(sqlite3_vtab* vtab, const char* message) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", message);
  return SQLITE_ERROR;
}

// Planning is the one moment the analysis sees the arguments: the index name is
// read here (a literal is available through sqlite3_vtab_rhs_value), for every
// place the function is planned — directly, in a sub-query, a CTE, a view or a
// trigger body.
int top_k_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  int argument_constraint[kArgumentCount] = {-1, -1, -1};
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn < 0 || c.iColumn >= kArgumentCount || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    // An argument not usable in this plan (it depends on a table joined later):
    // ask SQLite for another join order.
    if (!c.usable) return SQLITE_CONSTRAINT;
    argument_constraint[c.iColumn] = i;
  }
  if (argument_constraint[kIndexArgument] < 0) return SQLITE_CONSTRAINT;
  int next_argument = 1;
  for (int constraint : argument_constraint) {
    if (constraint < 0) continue;
    info->aConstraintUsage[constraint].argvIndex = next_argument++;
    info->aConstraintUsage[constraint].omit = 1;
  }
  info->estimatedCost = 10;
  info->estimatedRows = 10;

  VectorIndexCatalog* catalog = static_cast<TopKTable*>(vtab)->catalog;
  if (!catalog) return SQLITE_OK;
  sqlite3_value* value = nullptr;
  if (sqlite3_vtab_rhs_value(info, argument_constraint[kIndexArgument], &value) != SQLITE_OK || !value) {
    catalog->vector_top_k_reads(std::nullopt);  // a parameter or a column: known only at run time
    return SQLITE_OK;
  }
  if (sqlite3_value_type(value) != SQLITE_TEXT) return fail(vtab, kIndexNotTextMessage);
  auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  std::string_view name(text ? text : "", static_cast<std::size_t>(sqlite3_value_bytes(value)));
  auto table = catalog->vector_index_table(name);
  if (!table) return fail(vtab, kUnknownIndexMessage);
  catalog->vector_top_k_reads(table);
  return SQLITE_OK;
}

const sqlite3_module& top_k_module() {
  static const sqlite3_module module =
      empty_table_function_module(top_k_connect, top_k_best_index, top_k_disconnect);
  return module;
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  return p ? p : "";
}

// (tbl_name, sql) of the rows `sql` selects, ?1 bound to `name`.
std::vector<std::pair<std::string, std::string>> index_rows(sqlite3* db, const char* sql, std::string_view name) {
  std::vector<std::pair<std::string, std::string>> out;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return out;
  SqliteStmt stmt(raw);
  sqlite3_bind_text(stmt.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
  while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
    out.emplace_back(column_text(stmt.get(), 0), column_text(stmt.get(), 1));
  }
  return out;
}

}  // namespace

bool register_vector_top_k(sqlite3* db, VectorIndexCatalog* catalog) {
  return sqlite3_create_module_v2(db, "vector_top_k", &top_k_module(), catalog, nullptr) == SQLITE_OK;
}

bool is_vector_index_sql(std::string_view create_index_sql) {
  auto tokens = tokenize_sql(create_index_sql);
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i].is_word("LIBSQL_VECTOR_IDX") && tokens[i + 1].is('(')) return true;
  }
  return false;
}

std::optional<std::string> find_vector_index_table(sqlite3* db, std::string_view index_name) {
  if (index_name.size() > 5 && fold_identifier(index_name.substr(0, 5)) == "main.") index_name.remove_prefix(5);
  // Exact name: libSQL finds the index by its name in its metadata table, which
  // compares case-sensitively ('MOVIES_IDX' does not find movies_idx there).
  for (auto& [table, sql] :
       index_rows(db, "SELECT tbl_name, sql FROM main.sqlite_schema WHERE type = 'index' AND name = ?1", index_name)) {
    if (is_vector_index_sql(sql)) return fold_identifier(table);
  }
  return std::nullopt;
}

std::vector<std::string> vector_shadow_owners(sqlite3* db, std::string_view canonical_name) {
  std::vector<std::pair<std::string, std::string>> rows;
  constexpr std::string_view kSuffix = "_shadow";
  if (canonical_name == "libsql_vector_meta_shadow") {
    // One metadata row per vector index, of every table.
    rows = index_rows(db, "SELECT tbl_name, sql FROM main.sqlite_schema WHERE type = 'index' AND ?1 IS NULL", {});
  } else if (canonical_name.size() > kSuffix.size() && canonical_name.ends_with(kSuffix)) {
    rows = index_rows(db,
                      "SELECT tbl_name, sql FROM main.sqlite_schema WHERE type = 'index' AND name = ?1 COLLATE NOCASE",
                      canonical_name.substr(0, canonical_name.size() - kSuffix.size()));
  }
  std::vector<std::string> owners;
  for (auto& [table, sql] : rows) {
    std::string owner = fold_identifier(table);
    if (is_vector_index_sql(sql) && std::find(owners.begin(), owners.end(), owner) == owners.end()) {
      owners.push_back(std::move(owner));
    }
  }
  return owners;
}

}  // namespace gate::policy
