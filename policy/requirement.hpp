#pragma once
// What one SQL statement needs in order to run (SPEC §6), as found by the
// SqlAnalyzer: the (table, action) pairs it touches, or why it may never run.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/action.hpp"
#include "policy/opened_object.hpp"

namespace gate::policy {

struct Requirement {
  std::optional<std::string> table;  // canonical name; nullopt = the whole database ("all")
  Action action;

  friend bool operator==(const Requirement&, const Requirement&) = default;
};

// Why a statement is refused whatever the token grants (ATTACH, PRAGMA assignment,
// VACUUM, load_extension, TEMP objects when not allowed, writes with no table...).
struct Forbidden {
  std::string reason;  // stable label, e.g. "attach", "pragma_assignment"
  std::string detail;  // human-readable, e.g. "PRAGMA writable_schema=ON is never forwarded"
};

// SQLite could not prepare the statement against the schema copy (SQL_PARSE_ERROR).
struct ParseError {
  std::string message;  // SQLite's own message
};

struct StatementRequirements {
  std::string sql;  // the statement's own text (one of possibly several in a request)
  std::vector<Requirement> requirements;  // deduplicated, in first-seen order
  // The first `from_authorizer` requirements are the authorizer's report; the rest
  // were added by the program witness (tables opened without an authorizer callback).
  std::size_t from_authorizer = 0;
  std::vector<OpenedObject> opened;  // what the compiled program opens (second witness)
  std::optional<Forbidden> forbidden;
  std::optional<ParseError> parse_error;
  bool transaction_control = false;  // BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE
  bool changes_schema = false;       // DDL: the proxy refreshes its schema copy after it succeeds
};

// Every statement of one SQL text, in order: what the SqlAnalyzer answers for a
// text. Shared (and cached) read-only once built.
using Analysis = std::vector<StatementRequirements>;
using SharedAnalysis = std::shared_ptr<const Analysis>;

}  // namespace gate::policy
