#pragma once
// SPEC §5: a verified token's claims → the scope verdict (AUTH_DATABASE_SCOPE) and
// the grants the token holds on this gate's database.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/grants.hpp"
#include "policy/policy_config.hpp"

namespace gate::policy {

// Which scope check failed (rule 1). Anything but ok is a 403 AUTH_DATABASE_SCOPE.
enum class ScopeStatus {
  ok,
  id_mismatch,            // `id` names another database
  id_not_configured,      // `id` present but database.id unset: cannot be checked
  gid_mismatch,           // `gid` names another group
  gid_not_configured,     // `gid` present but database.group_id unset
  p_no_match,             // `p` lists neither database.name nor database.group_id
  p_tags_not_configured,  // `p` matches only by group tags, database.group_id unset
  malformed,              // `id`, `gid` or `p` has the wrong JSON shape
};

// Stable label, e.g. for metrics: "ok", "id_mismatch", ...
std::string_view to_string(ScopeStatus status);

struct ScopeCheck {
  ScopeStatus status = ScopeStatus::ok;
  std::string message;  // for the 403 body; names claims, never their values
  bool ok() const { return status == ScopeStatus::ok; }
};

// Rule 2. `invalid`: an `a` claim the gate does not understand.
enum class AccessLevel { none, read_only, read_write, invalid };

std::string_view to_string(AccessLevel level);

// Bounds on work per token: a claim over these is refused as a whole.
inline constexpr std::size_t kMaxPermEntries = 1000;
inline constexpr std::size_t kMaxPermTables = 10000;  // summed over all entries
inline constexpr std::size_t kMaxRoleValues = 1000;
inline constexpr std::size_t kMaxReasons = 32;

struct GrantsResult {
  Grants grants;  // empty whenever the scope check failed
  AccessLevel access_level = AccessLevel::none;
  bool read_only = false;  // the read-only cap was applied to `grants`
  ScopeCheck scope;
  std::size_t unknown_actions = 0;  // action names in the token that were ignored
  // Short lines saying where the grants came from and what was refused, for
  // `explain` and debug logs. Bounded by kMaxReasons.
  std::vector<std::string> reasons;
};

GrantsResult grants_from_claims(const nlohmann::json& claims, const ClaimMapping& mapping,
                                const DatabaseIdentity& database);

}  // namespace gate::policy
