#pragma once
// A grant is (table or all tables, action) — SPEC §5. Tables are held in the
// canonical form of policy/table_name.hpp.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/action.hpp"

namespace gate::policy {

struct Grant {
  std::optional<std::string> table;  // nullopt: every table ("all")
  Action action;

  friend bool operator==(const Grant&, const Grant&) = default;
};

struct GrantSpecError {
  std::string reason;
};

// Parses the CLI/config string form "comments:data_add,data_update" or
// "all:data_read". On failure returns the reason (unknown action, empty table,
// missing ':' ...) and no grants.
struct GrantSpecParse {
  std::vector<Grant> grants;
  std::optional<GrantSpecError> error;
};
GrantSpecParse parse_grant_spec(std::string_view spec);

}  // namespace gate::policy
