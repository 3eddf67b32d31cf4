#pragma once
// libSQL statements the system SQLite cannot parse (SPEC §6, "libSQL's own
// statements"), recognised by the gate's tokenizer so that they are analysed
// rather than refused as syntax errors:
// - `ALTER TABLE [schema.]t ALTER COLUMN c TO c <definition>` (libSQL rewrites
//   the column's definition in the table's CREATE statement),
// - `CREATE TABLE ... (...) RANDOM ROWID` (a table option, like WITHOUT ROWID),
// - `CREATE FUNCTION` / `DROP FUNCTION` (WebAssembly user functions).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gate::policy {

struct LibsqlStatement {
  enum class Kind { alter_column, random_rowid_table, wasm_function };
  Kind kind = Kind::alter_column;
  // Bytes of the text this statement spans, through its `;` when it has one.
  std::size_t length = 0;
  // random_rowid_table: the same statement without the RANDOM ROWID option, for
  // SQLite to prepare (the table is otherwise an ordinary table).
  std::string sqlite_sql;
  // random_rowid_table: libSQL's message when it refuses the combination
  // (AUTOINCREMENT), "" when the table is fine.
  std::string refused;
  // alter_column: names unquoted as written (schema empty when not qualified).
  std::string schema;
  std::string table;
  std::string column;
  std::string new_column;      // the name after TO (libSQL requires it to equal column)
  std::string new_definition;  // `c <type and constraints>` as written
};

// The libSQL-only statement at the start of `text` (leading whitespace and
// comments allowed), or nullopt for anything else, including what libSQL itself
// would reject as a syntax error (e.g. `ALTER c` without COLUMN).
std::optional<LibsqlStatement> recognise_libsql_statement(std::string_view text);

// `create_table_sql` with the definition of column `column` (ASCII
// case-insensitive, unquoted) replaced by `definition`; nullopt when the table has
// no such column. libSQL's ALTER COLUMN does exactly this textual rewrite.
std::optional<std::string> replace_column_definition(std::string_view create_table_sql, std::string_view column,
                                                     std::string_view definition);

// The text of a CREATE TABLE statement without a RANDOM ROWID option, or nullopt
// when it has none (a snapshot row from libSQL holds the option as written).
std::optional<std::string> without_random_rowid(std::string_view create_table_sql);

}  // namespace gate::policy
