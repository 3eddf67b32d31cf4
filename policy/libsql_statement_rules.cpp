#include "policy/libsql_statement_rules.hpp"

#include <string>
#include <vector>

#include "policy/authorizer_recorder.hpp"
#include "policy/sqlite_connection.hpp"
#include "policy/table_name.hpp"

namespace gate::policy {

namespace {

StatementRequirements not_prepared(std::string_view sql, std::string message) {
  StatementRequirements out;
  out.sql = std::string(sql);
  out.parse_error = ParseError{std::move(message)};
  return out;
}

// Values of the first column of every row `query` returns, ?1 bound to `name`.
std::vector<std::string> column_values(sqlite3* db, const std::string& query, std::string_view name) {
  std::vector<std::string> out;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &raw, nullptr) != SQLITE_OK) return out;
  SqliteStmt stmt(raw);
  sqlite3_bind_text(stmt.get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_TRANSIENT);
  while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    out.emplace_back(text ? text : "");
  }
  return out;
}

// Replaces the table's CREATE statement in the copy the only way defensive mode
// allows: drop it and create it again from the rewritten text, with its indexes
// and triggers (dropped with it). The copy holds no rows, so nothing else is lost.
// Returns SQLite's message when the new definition does not hold, "" when it does.
std::string rewrite_table(sqlite3* db, const std::string& table, const std::string& create_sql, bool keep) {
  if (std::string e = exec_sql(db, "SAVEPOINT libsql_gate_alter_column"); !e.empty()) return e;
  auto dependents = column_values(db,
                                  "SELECT sql FROM main.sqlite_schema WHERE tbl_name = ?1 COLLATE NOCASE AND type IN "
                                  "('index', 'trigger') AND sql IS NOT NULL",
                                  table);
  std::string error = exec_sql(db, ("DROP TABLE main." + quote_identifier(table)).c_str());
  if (error.empty()) error = exec_sql(db, create_sql.c_str());
  for (const auto& sql : dependents) {
    if (!error.empty()) break;
    error = exec_sql(db, sql.c_str());
  }
  if (error.empty() && keep) {
    exec_sql(db, "RELEASE libsql_gate_alter_column");
  } else {
    exec_sql(db, "ROLLBACK TO libsql_gate_alter_column; RELEASE libsql_gate_alter_column;");
  }
  return error;
}

}  // namespace

StatementRequirements libsql_statement_requirements(const LibsqlStatement& statement, std::string_view sql,
                                                    sqlite3* db, const PolicyConfig& config,
                                                    ObjectLookup& lookup, bool keep_in_copy) {
  if (statement.kind == LibsqlStatement::Kind::random_rowid_table) return not_prepared(sql, statement.refused);
  if (statement.kind != LibsqlStatement::Kind::alter_column) {
    StatementRequirements out;
    out.sql = std::string(sql);
    out.forbidden = Forbidden{"wasm_function",
                              "CREATE FUNCTION / DROP FUNCTION (libSQL WebAssembly functions) are never forwarded: "
                              "they install or remove code that runs inside the database"};
    return out;
  }

  // Name resolution as SQLite does it: an unqualified name is temp's first.
  std::string database = statement.schema;
  if (database.empty()) database = lookup.facts(statement.table, true).exists ? "temp" : "main";
  if (database != "main" && database != "temp") return not_prepared(sql, "unknown database " + statement.schema);
  auto table_sql = column_values(
      db, "SELECT sql FROM " + database + ".sqlite_schema WHERE type = 'table' AND name = ?1 COLLATE NOCASE",
      statement.table);
  if (table_sql.empty()) return not_prepared(sql, "no such table: " + statement.table);
  auto rewritten = replace_column_definition(table_sql.front(), statement.column, statement.new_definition);
  if (!rewritten) return not_prepared(sql, "no such column: \"" + statement.column + "\"");
  if (statement.new_column != statement.column) {
    // libSQL's own check and message: ALTER COLUMN changes a definition, never a name.
    return not_prepared(sql, "UPDATE cannot also rename column: \"" + statement.column + "\" to \"" +
                                 statement.new_column + "\". Use ALTER TABLE RENAME instead");
  }

  // What SQLite's authorizer reports for an ALTER TABLE it can parse: the same
  // rules (temp objects, shadow tables) then apply.
  AuthorizerEvent alter;
  alter.code = SQLITE_ALTER_TABLE;
  alter.arg1 = database;
  alter.arg2 = statement.table;
  alter.has_arg1 = alter.has_arg2 = true;
  AuthorizerEvent events[1] = {alter};
  StatementRequirements out =
      requirements_from_events(events, PreparedStatementInfo{sql, false}, config, lookup);
  if (out.forbidden || database != "main") return out;  // refused: the copy need not learn it

  if (std::string error = rewrite_table(db, statement.table, *rewritten, keep_in_copy); !error.empty()) {
    return not_prepared(sql, error);
  }
  return out;
}

}  // namespace gate::policy
