#include "policy/claims_to_grants.hpp"

#include <optional>

#include "policy/claim_path.hpp"
#include "policy/table_name.hpp"

// How the claims are read (SPEC §5), and where SPEC is silent, what was chosen:
//
// * `p` keys. libsql-server (tursodatabase/libsql, libsql-server/src/auth/authorized.rs
//   and permission.rs) names them: `ro` read_only, `rw` read_write, `roa`
//   read_only_attach, `rwa` read_write_attach. There `rwa` lets a token read and
//   write its namespaces (can_write_ns checks rw and rwa) and `roa`/`rwa` also
//   allow ATTACHing them. The gate never forwards ATTACH (SPEC §6), so the attach
//   half means nothing here: `roa` is read-only, `rwa` is read-write.
// * `a`. libsql-server's Permission enum accepts "ro", "rw" and "roa" (AttachRead,
//   a read permission); "roa" is therefore read-only. Anything else — another
//   string, or not a string — may be a level narrower than we know, so the token
//   gets no grants at all (AccessLevel::invalid) rather than a guess.
// * Several levels at once (`a` and matching `p` entries) never widen each other:
//   any read-only source makes the token read-only.
// * An access level with no permissions claim grants every action of that level
//   on all tables, as in libsql-server, where a token with `a` and no `perm` has
//   that level on the whole database.
// * Claims with the wrong JSON shape fail closed. For scope claims (`id`, `gid`,
//   `p`) that is a scope failure (403). A malformed permissions or roles claim
//   grants nothing itself, and still counts as present so it never falls back to
//   the access level's full grants or to default_grants.
// * Inside a `perm` object only `t` and `a` are understood; an object with other
//   keys may carry a restriction the gate cannot apply, so the claim is refused.
//   `t: ["all"]` is the table named "all": only `t: null` or no `t` means all
//   tables (the "all" spelling belongs to the string form).
// * A roles claim that is present counts as "roles present" even when none of its
//   values is mapped: such a token gets no default_grants. A null roles claim is
//   absent (templates render "no role" as null); a null permissions claim is not:
//   treating it as absent would widen an access level to all its actions.

namespace gate::policy {

std::string_view to_string(ScopeStatus status) {
  switch (status) {
    case ScopeStatus::ok: return "ok";
    case ScopeStatus::id_mismatch: return "id_mismatch";
    case ScopeStatus::id_not_configured: return "id_not_configured";
    case ScopeStatus::gid_mismatch: return "gid_mismatch";
    case ScopeStatus::gid_not_configured: return "gid_not_configured";
    case ScopeStatus::p_no_match: return "p_no_match";
    case ScopeStatus::p_tags_not_configured: return "p_tags_not_configured";
    case ScopeStatus::malformed: return "malformed";
  }
  return "malformed";
}

std::string_view to_string(AccessLevel level) {
  switch (level) {
    case AccessLevel::none: return "none";
    case AccessLevel::read_only: return "read_only";
    case AccessLevel::read_write: return "read_write";
    case AccessLevel::invalid: return "invalid";
  }
  return "invalid";
}

namespace {

using json = nlohmann::json;

class Reasons {
 public:
  explicit Reasons(std::vector<std::string>& out) : out_(out) {}
  void add(std::string reason) {
    if (out_.size() < kMaxReasons - 1) {
      out_.push_back(std::move(reason));
    } else if (out_.size() == kMaxReasons - 1) {
      out_.push_back("(further reasons omitted)");
    }
  }

 private:
  std::vector<std::string>& out_;
};

// Values from the token appear in reasons (role names); keep them short.
std::string shorten(std::string_view text) {
  constexpr std::size_t kMax = 64;
  if (text.size() <= kMax) return std::string(text);
  return std::string(text.substr(0, kMax)) + "...";
}

ScopeCheck scope_failure(ScopeStatus status, std::string message) {
  return ScopeCheck{status, std::move(message)};
}

// `id` / `gid`: one string that must equal the configured value.
ScopeCheck check_exact_scope(const json& claims, const char* claim,
                             const std::optional<std::string>& configured, const char* config_key,
                             ScopeStatus mismatch, ScopeStatus not_configured) {
  auto it = claims.find(claim);
  if (it == claims.end()) return {};
  if (!it->is_string()) {
    return scope_failure(ScopeStatus::malformed,
                         std::string("token claim '") + claim + "' must be a string");
  }
  if (!configured) {
    return scope_failure(not_configured, std::string("token is scoped by claim '") + claim +
                                             "' but this gate has no " + config_key +
                                             " configured to check it against");
  }
  if (it->get_ref<const std::string&>() != *configured) {
    return scope_failure(mismatch, std::string("token claim '") + claim +
                                       "' names a different database or group; get a token for this one");
  }
  return {};
}

enum class PKey { ro, rw, roa, rwa };

std::optional<PKey> parse_p_key(std::string_view key) {
  if (key == "ro") return PKey::ro;
  if (key == "rw") return PKey::rw;
  if (key == "roa") return PKey::roa;
  if (key == "rwa") return PKey::rwa;
  return std::nullopt;
}

bool is_read_only_key(PKey key) { return key == PKey::ro || key == PKey::roa; }

enum class ListMatch { absent, no, yes, malformed };

// `ns` / `tags`: an array of strings. Whether `wanted` is in it.
ListMatch match_string_list(const json& entry, const char* key, const std::string* wanted) {
  auto it = entry.find(key);
  if (it == entry.end()) return ListMatch::absent;
  if (!it->is_array() || it->size() > kMaxPermEntries) return ListMatch::malformed;
  bool found = false;
  for (const auto& item : *it) {
    if (!item.is_string()) return ListMatch::malformed;
    if (wanted && item.get_ref<const std::string&>() == *wanted) found = true;
  }
  return found ? ListMatch::yes : ListMatch::no;
}

struct PScope {
  ScopeCheck check;
  AccessLevel level = AccessLevel::none;
};

PScope check_p_scope(const json& claims, const DatabaseIdentity& database) {
  auto it = claims.find("p");
  if (it == claims.end()) return {};
  if (!it->is_object()) {
    return {scope_failure(ScopeStatus::malformed, "token claim 'p' must be an object")};
  }
  bool matched_read_only = false;
  bool matched_read_write = false;
  bool tags_unverifiable = false;
  const std::string* group = database.group_id ? &*database.group_id : nullptr;
  for (const auto& item : it->items()) {
    // Plain references, not a structured binding: clang 14 cannot capture those in
    // the lambda below, and the fuzz build uses clang.
    const std::string& name = item.key();
    const nlohmann::json& entry = item.value();
    // Unknown keys are skipped: they can only fail to match, never widen access.
    auto key = parse_p_key(name);
    if (!key) continue;
    auto malformed = [&] {
      return PScope{scope_failure(ScopeStatus::malformed,
                                  "token claim 'p." + name + "' must be {ns: [...], tags: [...]}")};
    };
    if (!entry.is_object()) return malformed();
    for (const auto& [field, value] : entry.items()) {
      // An entry field we do not know could narrow the scope: refuse rather than ignore.
      if (field != "ns" && field != "tags") return malformed();
    }
    ListMatch ns = match_string_list(entry, "ns", &database.name);
    ListMatch tags = match_string_list(entry, "tags", group);
    if (ns == ListMatch::malformed || tags == ListMatch::malformed) return malformed();
    if (!group && tags == ListMatch::no) tags_unverifiable = true;
    if (ns == ListMatch::yes || tags == ListMatch::yes) {
      (is_read_only_key(*key) ? matched_read_only : matched_read_write) = true;
    }
  }
  if (matched_read_only) return {{}, AccessLevel::read_only};
  if (matched_read_write) return {{}, AccessLevel::read_write};
  if (tags_unverifiable) {
    return {scope_failure(ScopeStatus::p_tags_not_configured,
                          "token claim 'p' is scoped by group tags but this gate has no "
                          "database.group_id configured to check it against")};
  }
  return {scope_failure(ScopeStatus::p_no_match,
                        "token claim 'p' does not list this database or its group; get a token "
                        "for this database")};
}

AccessLevel level_from_a(const json& claims) {
  auto it = claims.find("a");
  if (it == claims.end()) return AccessLevel::none;
  if (!it->is_string()) return AccessLevel::invalid;
  const auto& value = it->get_ref<const std::string&>();
  if (value == "ro" || value == "roa") return AccessLevel::read_only;
  if (value == "rw") return AccessLevel::read_write;
  return AccessLevel::invalid;
}

AccessLevel combine_levels(AccessLevel a, AccessLevel b) {
  if (a == AccessLevel::invalid || b == AccessLevel::invalid) return AccessLevel::invalid;
  if (a == AccessLevel::read_only || b == AccessLevel::read_only) return AccessLevel::read_only;
  if (a == AccessLevel::read_write || b == AccessLevel::read_write) return AccessLevel::read_write;
  return AccessLevel::none;
}

ActionMask level_mask(AccessLevel level) {
  switch (level) {
    case AccessLevel::read_only: return kReadOnlyMask;
    case AccessLevel::read_write: return kAllActionsMask;
    case AccessLevel::none:
    case AccessLevel::invalid: return 0;
  }
  return 0;
}

// ---- permissions claim ----------------------------------------------------

struct PermParse {
  Grants grants;
  bool empty_list = false;
  std::size_t unknown_actions = 0;
  std::optional<std::string> error;  // set: the whole claim is refused
};

class PermParser {
 public:
  PermParse parse(const json& claim) {
    if (!claim.is_array()) return fail("must be an array");
    if (claim.size() > kMaxPermEntries) {
      return fail("has " + std::to_string(claim.size()) + " entries, more than the " +
                  std::to_string(kMaxPermEntries) + " allowed");
    }
    out_.empty_list = claim.empty();
    for (std::size_t i = 0; i < claim.size(); ++i) {
      const json& entry = claim[i];
      std::optional<std::string> error;
      if (entry.is_string()) {
        error = parse_string_entry(entry.get_ref<const std::string&>());
      } else if (entry.is_object()) {
        error = parse_object_entry(entry);
      } else {
        error = "must be a string or an object";
      }
      if (error) return fail("entry " + std::to_string(i) + " " + *error);
    }
    return std::move(out_);
  }

 private:
  PermParse fail(std::string why) {
    PermParse failed;
    failed.unknown_actions = out_.unknown_actions;
    failed.error = std::move(why);
    return failed;
  }

  // Unknown names are skipped and counted (SPEC §5); the rest of the entry stands.
  ActionMask action_bit_or_count(std::string_view name) {
    if (auto action = parse_action(name)) return action_bit(*action);
    ++out_.unknown_actions;
    return 0;
  }

  std::optional<std::string> count_names(std::size_t tables, std::size_t actions) {
    tables_seen_ += tables;
    actions_seen_ += actions;
    if (tables_seen_ > kMaxPermTables || actions_seen_ > kMaxPermTables) {
      return "takes the claim over " + std::to_string(kMaxPermTables) + " table or action names";
    }
    return std::nullopt;
  }

  // "comments:data_add,data_update" / "all:data_read" (the turso CLI's -p form).
  std::optional<std::string> parse_string_entry(std::string_view spec) {
    // The table may contain ':' only when quoted; the actions never do.
    auto colon = spec.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return "must be TABLE:ACTION[,ACTION...]";
    std::string_view table = spec.substr(0, colon);
    std::string_view names = spec.substr(colon + 1);
    ActionMask mask = 0;
    std::size_t count = 0;
    while (true) {
      auto comma = names.find(',');
      mask |= action_bit_or_count(names.substr(0, comma));
      ++count;
      if (comma == std::string_view::npos) break;
      names.remove_prefix(comma + 1);
    }
    if (auto error = count_names(1, count)) return error;
    if (table == "all") {
      out_.grants.add(std::nullopt, mask);
    } else {
      out_.grants.add(std::string_view(normalize_table_name(table)), mask);
    }
    return std::nullopt;
  }

  // {"t": [tables] | null, "a": [actions]}
  std::optional<std::string> parse_object_entry(const json& entry) {
    for (const auto& [key, value] : entry.items()) {
      if (key != "t" && key != "a") return "has key '" + shorten(key) + "'; only 't' and 'a' are understood";
    }
    auto actions = entry.find("a");
    if (actions == entry.end() || !actions->is_array()) return "'a' must be an array of action names";
    auto tables = entry.find("t");
    bool all_tables = tables == entry.end() || tables->is_null();
    if (!all_tables && !tables->is_array()) return "'t' must be an array of table names or null";
    if (auto error = count_names(all_tables ? 1 : tables->size(), actions->size())) return error;

    ActionMask mask = 0;
    for (const auto& name : *actions) {
      if (!name.is_string()) return "'a' must contain only strings";
      mask |= action_bit_or_count(name.get_ref<const std::string&>());
    }
    if (all_tables) {
      out_.grants.add(std::nullopt, mask);
      return std::nullopt;
    }
    for (const auto& table : *tables) {
      if (!table.is_string() || table.get_ref<const std::string&>().empty()) {
        return "'t' must contain only non-empty strings";
      }
      out_.grants.add(std::string_view(normalize_table_name(table.get_ref<const std::string&>())),
                      mask);
    }
    return std::nullopt;
  }

  PermParse out_;
  std::size_t tables_seen_ = 0;
  std::size_t actions_seen_ = 0;
};

// ---- roles claim -----------------------------------------------------------

// Adds the configured grants of every role value found; returns false (and adds
// nothing) when the claim has the wrong shape.
bool add_role_grants(const json& claim, const ClaimMapping& mapping, Grants& grants,
                     Reasons& reasons) {
  std::vector<std::string_view> values;
  if (claim.is_string()) {
    values.push_back(claim.get_ref<const std::string&>());
  } else if (claim.is_array()) {
    if (claim.size() > kMaxRoleValues) {
      reasons.add("roles claim refused: more than " + std::to_string(kMaxRoleValues) + " values");
      return false;
    }
    for (const auto& item : claim) {
      if (!item.is_string()) {
        reasons.add("roles claim refused: must be a string or an array of strings");
        return false;
      }
      values.push_back(item.get_ref<const std::string&>());
    }
  } else {
    reasons.add("roles claim refused: must be a string or an array of strings");
    return false;
  }
  for (std::string_view value : values) {
    auto role = mapping.roles.find(std::string(value));
    if (role == mapping.roles.end()) {
      reasons.add("role '" + shorten(value) + "' has no mapping in roles");
      continue;
    }
    for (const Grant& grant : role->second) grants.add(grant);
    reasons.add("role '" + shorten(value) + "' mapped");
  }
  return true;
}

}  // namespace

GrantsResult grants_from_claims(const json& claims, const ClaimMapping& mapping,
                                const DatabaseIdentity& database) {
  GrantsResult result;
  Reasons reasons(result.reasons);

  // Rule 1: scope. Any failure ends here with no grants.
  if (!claims.is_object()) {
    result.scope = scope_failure(ScopeStatus::malformed, "token claims are not a JSON object");
  }
  if (result.scope.ok()) {
    result.scope = check_exact_scope(claims, "id", database.id, "database.id",
                                     ScopeStatus::id_mismatch, ScopeStatus::id_not_configured);
  }
  if (result.scope.ok()) {
    result.scope = check_exact_scope(claims, "gid", database.group_id, "database.group_id",
                                     ScopeStatus::gid_mismatch, ScopeStatus::gid_not_configured);
  }
  PScope p;
  if (result.scope.ok()) {
    p = check_p_scope(claims, database);
    result.scope = p.check;
  }
  if (!result.scope.ok()) {
    reasons.add("scope: " + result.scope.message);
    return result;
  }

  // Rule 2: access level.
  AccessLevel from_a = level_from_a(claims);
  result.access_level = combine_levels(from_a, p.level);
  if (from_a != AccessLevel::none) reasons.add("access level from 'a': " + std::string(to_string(from_a)));
  if (p.level != AccessLevel::none) reasons.add("access level from 'p': " + std::string(to_string(p.level)));
  if (result.access_level == AccessLevel::invalid) {
    reasons.add("claim 'a' is not \"ro\" or \"rw\": no grants");
    return result;
  }
  const bool has_level = result.access_level != AccessLevel::none;

  // Rule 3: fine-grained permissions.
  const json* perm = mapping.permissions_claim.empty() ? nullptr
                                                       : find_claim(claims, mapping.permissions_claim);
  const std::string perm_name = "permissions claim '" + shorten(mapping.permissions_claim) + "'";
  if (perm) {
    PermParse parsed = PermParser{}.parse(*perm);
    result.unknown_actions = parsed.unknown_actions;
    if (parsed.error) {
      reasons.add(perm_name + " refused: " + *parsed.error);
    } else if (parsed.empty_list) {
      result.grants.add(std::nullopt, level_mask(result.access_level));
      reasons.add(has_level ? perm_name + " is []: every action of the access level on all tables"
                            : perm_name + " is [] and there is no access level: grants nothing");
    } else {
      result.grants.add_all(parsed.grants);
      reasons.add(perm_name + " grants " + std::to_string(parsed.grants.list().size()) +
                  " (table, action) pairs");
    }
    if (parsed.unknown_actions > 0) {
      reasons.add(std::to_string(parsed.unknown_actions) + " unknown action name(s) ignored");
    }
  } else if (has_level) {
    result.grants.add(std::nullopt, level_mask(result.access_level));
    reasons.add("no " + perm_name + ": every action of the access level on all tables");
  }

  // Rule 4: roles.
  const json* roles = mapping.roles_claim ? find_claim(claims, *mapping.roles_claim) : nullptr;
  if (roles && roles->is_null()) {
    // Claim templates render a missing value as null (Clerk's
    // "{{user.public_metadata.role}}" for a user without a role): no role.
    reasons.add("roles claim is null: treated as absent");
    roles = nullptr;
  }
  if (roles) add_role_grants(*roles, mapping, result.grants, reasons);

  // Rule 5: nothing of 2-4 present.
  if (!has_level && !perm && !roles) {
    for (const Grant& grant : mapping.default_grants) result.grants.add(grant);
    reasons.add("no access level, permissions or roles claim: default_grants apply");
  }

  // Rule 6: the read-only cap covers every source, roles and perm included.
  if (result.access_level == AccessLevel::read_only) {
    result.grants.cap_to_read_only();
    result.read_only = true;
    reasons.add("read-only: every action but data_read removed");
  }
  // Rule 7 (schema tables readable) is part of Grants::allows, so it holds for
  // every Grants value, including an empty one.
  return result;
}

}  // namespace gate::policy
