#pragma once
// Shared helpers for the claims → grants tests.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "policy/claims_to_grants.hpp"
#include "policy/grant.hpp"

namespace gate::policy::testing {

inline DatabaseIdentity test_database() { return {"mydb", "db-uuid", "group-uuid"}; }

inline DatabaseIdentity database_without_ids() {
  DatabaseIdentity database;
  database.name = "mydb";
  return database;
}

inline std::vector<Grant> specs(std::initializer_list<const char*> texts) {
  std::vector<Grant> out;
  for (const char* text : texts) {
    auto parsed = parse_grant_spec(text);
    REQUIRE_FALSE(parsed.error);
    out.insert(out.end(), parsed.grants.begin(), parsed.grants.end());
  }
  return out;
}

inline GrantsResult from_claims(const nlohmann::json& claims, const ClaimMapping& mapping = {},
                                const DatabaseIdentity& database = test_database()) {
  return grants_from_claims(claims, mapping, database);
}

inline bool can(const GrantsResult& result, const char* table, Action action) {
  return result.grants.allows(Requirement{table, action});
}

inline bool can_everywhere(const GrantsResult& result, Action action) {
  return result.grants.allows(Requirement{std::nullopt, action});
}

// True when the grants are exactly `expected` (order-insensitive via Grants::list).
inline bool grants_are(const GrantsResult& result, std::initializer_list<const char*> expected) {
  Grants want;
  for (const Grant& grant : specs(expected)) want.add(grant);
  return result.grants == want;
}

}  // namespace gate::policy::testing
