#pragma once
// Plain settings the policy room is configured with (filled by proxy/config).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "policy/grant.hpp"

namespace gate::policy {

enum class Mode { enforce, audit };

struct PolicyConfig {
  Mode mode = Mode::enforce;
  bool allow_temp_objects = false;
  std::vector<std::string> allowed_pragmas{"table_info", "table_xinfo", "index_list", "index_info",
                                           "foreign_key_list"};
  // A longer SQL text is refused unanalysed (SQL_TOO_COMPLEX).
  std::int64_t max_statement_bytes = 1048576;
  // CREATE VIRTUAL TABLE … USING one of these only (canonical names).
  std::vector<std::string> allowed_virtual_table_modules{"fts5", "rtree"};
};

// Identity of the database behind this gate (SPEC §5 step 1).
struct DatabaseIdentity {
  std::string name = "mydb";
  std::optional<std::string> id;
  std::optional<std::string> group_id;
};

// How one issuer's claims become grants (SPEC §2 issuers[].claims/roles/default_grants).
struct ClaimMapping {
  std::string permissions_claim = "perm";   // dotted path
  std::optional<std::string> roles_claim;   // dotted path; unset = no role mapping
  std::map<std::string, std::vector<Grant>> roles;
  std::vector<Grant> default_grants;
};

}  // namespace gate::policy
