#pragma once
// Whether a request's statements may run with the given grants, and if not, the
// first statement that may not and why (SPEC §4 SQLITE_AUTH / SQL_PARSE_ERROR).
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/grants.hpp"
#include "policy/requirement.hpp"

namespace gate::policy {

// The Hrana error codes a denial is reported with.
inline constexpr std::string_view kCodeSqliteAuth = "SQLITE_AUTH";
inline constexpr std::string_view kCodeSqlParseError = "SQL_PARSE_ERROR";
// SPEC §4: a statement over policy.max_statement_bytes (Forbidden reason "too_complex").
inline constexpr std::string_view kCodeSqlTooComplex = "SQL_TOO_COMPLEX";
inline constexpr std::string_view kReasonTooComplex = "too_complex";

enum class VerdictKind {
  allowed,
  missing_grant,  // a requirement the grants do not cover
  forbidden,      // never runs, whatever the grants (StatementRequirements::forbidden)
  parse_error,    // SQLite could not prepare it
};

std::string_view to_string(VerdictKind kind);

struct StatementVerdict {
  VerdictKind kind = VerdictKind::allowed;
  std::string_view code;    // "" when allowed; kCodeSqliteAuth or kCodeSqlParseError
  std::string message;      // "" when allowed; the client-facing error message
  std::vector<Requirement> missing;  // every requirement not granted, in order

  bool allowed() const { return kind == VerdictKind::allowed; }
};

struct Decision {
  bool allowed = true;
  std::optional<std::size_t> failed_statement;  // index of the first denied statement
  std::string_view code;                        // that statement's code, "" when allowed
  std::string message;                          // that statement's message
  std::vector<StatementVerdict> statements;     // one per statement, in order
};

// `permission denied: data_add on table "comments"` /
// `permission denied: schema_update on all tables`.
std::string permission_denied_message(const Requirement& missing);

StatementVerdict judge_statement(const Grants& grants, const StatementRequirements& statement);

// Allowed iff every statement is: free of parse errors and forbidden actions, and
// with all its requirements granted. Every statement is judged (for explain), the
// first failure is the request's answer.
Decision decide(const Grants& grants, std::span<const StatementRequirements> statements);

}  // namespace gate::policy
