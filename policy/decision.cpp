#include "policy/decision.hpp"

namespace gate::policy {

std::string_view to_string(VerdictKind kind) {
  switch (kind) {
    case VerdictKind::allowed: return "allowed";
    case VerdictKind::missing_grant: return "missing_grant";
    case VerdictKind::forbidden: return "forbidden";
    case VerdictKind::parse_error: return "parse_error";
  }
  return "forbidden";
}

std::string permission_denied_message(const Requirement& missing) {
  std::string message = "permission denied: ";
  message += to_string(missing.action);
  if (!missing.table) {
    message += " on all tables";
    return message;
  }
  // Quoted as an SQL identifier, so a name containing '"' reads back unambiguously.
  message += " on table \"";
  for (char c : *missing.table) {
    if (c == '"') message += '"';
    message += c;
  }
  message += '"';
  return message;
}

StatementVerdict judge_statement(const Grants& grants, const StatementRequirements& statement) {
  StatementVerdict verdict;
  if (statement.parse_error) {
    verdict.kind = VerdictKind::parse_error;
    verdict.code = kCodeSqlParseError;
    verdict.message = statement.parse_error->message;
    return verdict;
  }
  if (statement.forbidden) {
    verdict.kind = VerdictKind::forbidden;
    verdict.code = statement.forbidden->reason == kReasonTooComplex ? kCodeSqlTooComplex : kCodeSqliteAuth;
    verdict.message = statement.forbidden->detail;
    return verdict;
  }
  // Transaction control needs no grant; the analyzer reports no requirement for it.
  // Should it ever report one, it is still checked: a label never relaxes a check.
  for (const Requirement& requirement : statement.requirements) {
    if (!grants.allows(requirement)) verdict.missing.push_back(requirement);
  }
  if (!verdict.missing.empty()) {
    verdict.kind = VerdictKind::missing_grant;
    verdict.code = kCodeSqliteAuth;
    verdict.message = permission_denied_message(verdict.missing.front());
  }
  return verdict;
}

Decision decide(const Grants& grants, std::span<const StatementRequirements> statements) {
  Decision decision;
  decision.statements.reserve(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    decision.statements.push_back(judge_statement(grants, statements[i]));
    const StatementVerdict& verdict = decision.statements.back();
    if (!verdict.allowed() && decision.allowed) {
      decision.allowed = false;
      decision.failed_statement = i;
      decision.code = verdict.code;
      decision.message = verdict.message;
    }
  }
  return decision;
}

}  // namespace gate::policy
