#pragma once
// Splits a file of SQL statements (e.g. `explain --schema FILE.sql`, a dump of
// CREATE statements) into single statements, the way SQLite itself decides where a
// statement ends: sqlite3_complete(), which knows that a `;` inside a string, a
// comment or a CREATE TRIGGER body does not end the statement.
#include <string>
#include <string_view>
#include <vector>

namespace gate::policy {

// Each returned statement keeps its own text (with its terminating `;` when it had
// one), trimmed of surrounding whitespace; empty statements and comment-only
// pieces are dropped. A trailing incomplete statement is returned as is, so the
// caller's SQLite reports the error.
std::vector<std::string> split_sql_statements(std::string_view text);

}  // namespace gate::policy
