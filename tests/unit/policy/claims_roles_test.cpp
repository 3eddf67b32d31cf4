// SPEC §5 rule 4: role mapping from a configured claim path.
#include "claims_test_support.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;
using nlohmann::json;

namespace {

// The role table of Turso's fine-grained permissions guide, as a gate config.
ClaimMapping role_table(const char* roles_claim) {
  ClaimMapping mapping;
  mapping.roles_claim = roles_claim;
  mapping.roles["Admin"] = specs({"all:data_read,data_add,data_update,data_delete,schema_add,"
                                  "schema_update,schema_delete"});
  mapping.roles["Moderator"] = specs({"all:data_read", "comments:data_update,data_delete"});
  mapping.roles["User"] = specs({"all:data_read", "comments:data_add"});
  return mapping;
}

}  // namespace

TEST_CASE("roles: Admin / Moderator / User") {
  auto mapping = role_table("role");
  auto admin = from_claims({{"role", "Admin"}}, mapping);
  for (Action action : kAllActions) CHECK(can_everywhere(admin, action));

  auto moderator = from_claims({{"role", "Moderator"}}, mapping);
  CHECK(can(moderator, "posts", Action::data_read));
  CHECK(can(moderator, "comments", Action::data_update));
  CHECK(can(moderator, "comments", Action::data_delete));
  CHECK_FALSE(can(moderator, "comments", Action::data_add));
  CHECK_FALSE(can(moderator, "posts", Action::data_update));

  auto user = from_claims({{"role", "User"}}, mapping);
  CHECK(can(user, "posts", Action::data_read));
  CHECK(can(user, "comments", Action::data_add));
  CHECK_FALSE(can(user, "comments", Action::data_update));
  CHECK_FALSE(can(user, "comments", Action::data_delete));
}

TEST_CASE("roles: role names match exactly") {
  auto mapping = role_table("role");
  CHECK(from_claims({{"role", "admin"}}, mapping).grants.empty());
  CHECK(from_claims({{"role", "Admin "}}, mapping).grants.empty());
}

TEST_CASE("roles: an array of roles adds every mapped role's grants") {
  auto result = from_claims({{"role", {"User", "Moderator", "Unknown"}}}, role_table("role"));
  CHECK(grants_are(result, {"all:data_read", "comments:data_add,data_update,data_delete"}));
}

TEST_CASE("roles: Clerk organisation role at o.rol") {
  auto mapping = role_table("o.rol");
  auto result = from_claims({{"o", {{"id", "org_1"}, {"rol", "Moderator"}}}}, mapping);
  CHECK(can(result, "comments", Action::data_delete));
  // o present but without rol: no roles claim, so default grants apply.
  mapping.default_grants = specs({"public_posts:data_read"});
  CHECK(grants_are(from_claims({{"o", {{"id", "org_1"}}}}, mapping), {"public_posts:data_read"}));
}

TEST_CASE("roles: Clerk public_metadata.role") {
  auto result =
      from_claims({{"public_metadata", {{"role", "Admin"}}}}, role_table("public_metadata.role"));
  CHECK(can_everywhere(result, Action::schema_delete));
}

TEST_CASE("roles: Auth0 namespaced claim whose name is a URL with dots") {
  auto mapping = role_table("https://example.com/roles");
  auto result = from_claims({{"https://example.com/roles", {"User"}}}, mapping);
  CHECK(grants_are(result, {"all:data_read", "comments:data_add"}));
  // Split at dots only when the whole name is not a key.
  auto nested = from_claims({{"https://example", {{"com/roles", "Admin"}}}}, mapping);
  CHECK(can_everywhere(nested, Action::schema_delete));
}

TEST_CASE("roles: Auth0 RBAC permissions claim mapped through roles") {
  ClaimMapping mapping;
  mapping.roles_claim = "permissions";
  mapping.roles["read:all"] = specs({"all:data_read"});
  mapping.roles["write:comments"] = specs({"comments:data_add,data_update"});
  auto result = from_claims({{"permissions", {"read:all", "write:comments", "delete:users"}}}, mapping);
  CHECK(grants_are(result, {"all:data_read", "comments:data_add,data_update"}));
}

TEST_CASE("roles: add to perm grants and to the access level") {
  auto mapping = role_table("role");
  auto result = from_claims({{"perm", {"posts:data_add"}}, {"role", "User"}}, mapping);
  CHECK(grants_are(result, {"posts:data_add", "all:data_read", "comments:data_add"}));
}

TEST_CASE("roles: a read-only access level caps role grants") {
  auto result = from_claims({{"a", "ro"}, {"perm", json::array({"posts:data_read"})}, {"role", "Admin"}},
                            role_table("role"));
  CHECK(result.read_only);
  CHECK(grants_are(result, {"all:data_read", "posts:data_read"}));
}

TEST_CASE("roles: a present roles claim with no mapped value grants nothing, not defaults") {
  auto mapping = role_table("role");
  mapping.default_grants = specs({"all:data_read"});
  CHECK(from_claims({{"role", "Guest"}}, mapping).grants.empty());
  CHECK(from_claims({{"role", json::array()}}, mapping).grants.empty());
  // Absent: defaults.
  CHECK(grants_are(from_claims({{"sub", "u"}}, mapping), {"all:data_read"}));
}

TEST_CASE("roles: wrong shapes refuse the whole roles claim, and never fall back to defaults") {
  auto mapping = role_table("role");
  mapping.default_grants = specs({"all:data_read"});
  for (const json& bad : {json(1), json(true), json{{"Admin", true}},
                          json::array({"Admin", 1}), json::array({json::array({"Admin"})}),
                          json::array({json{{"name", "Admin"}}})}) {
    CAPTURE(bad.dump());
    auto result = from_claims({{"role", bad}}, mapping);
    CHECK(result.scope.ok());
    CHECK(result.grants.empty());
    CHECK_FALSE(result.reasons.empty());
  }
}

TEST_CASE("roles: more than the allowed number of role values is refused") {
  auto mapping = role_table("role");
  json many = json::array();
  for (std::size_t i = 0; i < kMaxRoleValues; ++i) many.push_back("Nobody");
  many.push_back("Admin");
  CHECK(from_claims({{"role", many}}, mapping).grants.empty());
  many.erase(many.begin());  // exactly at the limit: accepted
  CHECK(can_everywhere(from_claims({{"role", many}}, mapping), Action::schema_delete));
}

TEST_CASE("roles: no roles claim configured means role-looking claims are ignored") {
  ClaimMapping mapping = role_table("role");
  mapping.roles_claim.reset();
  CHECK(from_claims({{"role", "Admin"}}, mapping).grants.empty());
}

TEST_CASE("roles: a null roles claim is no role: default_grants apply") {
  auto mapping = role_table("public_metadata.role");
  mapping.default_grants = specs({"all:data_read"});
  auto result = from_claims({{"public_metadata", {{"role", nullptr}}}}, mapping);
  CHECK(grants_are(result, {"all:data_read"}));
  // Null perm is refused, though: it must not widen an access level.
  CHECK(from_claims({{"a", "rw"}, {"perm", nullptr}}).grants.empty());
}
