#include "policy/grant.hpp"

#include "policy/table_name.hpp"

namespace gate::policy {

GrantSpecParse parse_grant_spec(std::string_view spec) {
  GrantSpecParse out;
  auto fail = [&](std::string reason) {
    out.grants.clear();
    out.error = GrantSpecError{std::move(reason)};
    return out;
  };

  // The table may itself contain ':' only when quoted; split at the last ':'.
  auto colon = spec.rfind(':');
  if (colon == std::string_view::npos) return fail("expected TABLE:ACTION[,ACTION...]");
  std::string_view table = spec.substr(0, colon);
  std::string_view actions = spec.substr(colon + 1);
  if (table.empty()) return fail("table name is empty");
  if (actions.empty()) return fail("no action after ':'");

  std::optional<std::string> target;
  if (table != "all") target = normalize_table_name(table);

  while (true) {
    auto comma = actions.find(',');
    std::string_view name = actions.substr(0, comma);
    auto action = parse_action(name);
    if (!action) return fail("unknown action '" + std::string(name) + "'");
    out.grants.push_back(Grant{target, *action});
    if (comma == std::string_view::npos) break;
    actions.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace gate::policy
