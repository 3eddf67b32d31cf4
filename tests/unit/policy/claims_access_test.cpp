// SPEC §5 rules 2, 3, 5, 6, 7: access level, fine-grained permissions, defaults, caps.
#include "claims_test_support.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;
using nlohmann::json;

TEST_CASE("claims: Turso's full-access template grants every action on all tables") {
  auto result = from_claims({{"a", "rw"}, {"perm", json::array()}});
  REQUIRE(result.scope.ok());
  CHECK(result.access_level == AccessLevel::read_write);
  CHECK_FALSE(result.read_only);
  for (Action action : kAllActions) {
    CAPTURE(to_string(action));
    CHECK(can(result, "comments", action));
    CHECK(can_everywhere(result, action));
  }
}

TEST_CASE("claims: read-only with an empty perm list reads everything, nothing else") {
  auto result = from_claims({{"a", "ro"}, {"perm", json::array()}});
  CHECK(result.read_only);
  CHECK(grants_are(result, {"all:data_read"}));
}

TEST_CASE("claims: an empty perm list without an access level grants nothing") {
  auto result = from_claims({{"perm", json::array()}});
  CHECK(result.scope.ok());
  CHECK(result.grants.empty());
  // ... and is not "nothing present": default_grants do not apply either.
  ClaimMapping mapping;
  mapping.default_grants = specs({"all:data_read"});
  CHECK(from_claims({{"perm", json::array()}}, mapping).grants.empty());
}

TEST_CASE("claims: an access level alone grants every action of that level") {
  CHECK(grants_are(from_claims({{"a", "rw"}}), {"all:data_read,data_add,data_update,data_delete,"
                                                "schema_add,schema_update,schema_delete"}));
  CHECK(grants_are(from_claims({{"a", "ro"}}), {"all:data_read"}));
  // libsql-server's "roa" (read, attach) is a read-only level.
  CHECK(grants_are(from_claims({{"a", "roa"}}), {"all:data_read"}));
}

TEST_CASE("claims: an a value the gate does not know grants nothing at all") {
  ClaimMapping mapping;
  mapping.default_grants = specs({"all:data_read"});
  mapping.roles_claim = "role";
  mapping.roles["admin"] = specs({"all:data_read,data_add"});
  for (const json& a : {json("admin"), json("RW"), json("rwa"), json(""), json(1), json(true),
                        json(nullptr), json::array({"rw"}), json::object({{"rw", true}})}) {
    CAPTURE(a.dump());
    auto result = from_claims({{"a", a}, {"perm", json::array({"all:data_read"})}, {"role", "admin"}},
                              mapping);
    CHECK(result.scope.ok());
    CHECK(result.access_level == AccessLevel::invalid);
    CHECK(result.grants.empty());
    CHECK_FALSE(result.reasons.empty());
  }
}

TEST_CASE("claims: perm objects with tables and with t null / absent") {
  auto result = from_claims({{"perm", json::array({
                                          {{"t", {"comments"}}, {"a", {"data_add", "data_update"}}},
                                          {{"t", nullptr}, {"a", {"data_read"}}},
                                          {{"a", {"schema_add"}}},
                                      })}});
  CHECK(grants_are(result, {"comments:data_add,data_update", "all:data_read", "all:schema_add"}));
  CHECK(result.unknown_actions == 0);
}

TEST_CASE("claims: perm in the CLI string form (-p all:data_read -p comments:data_add)") {
  auto result = from_claims({{"perm", {"all:data_read", "comments:data_add"}}});
  CHECK(grants_are(result, {"all:data_read", "comments:data_add"}));
  CHECK(can(result, "users", Action::data_read));
  CHECK(can(result, "comments", Action::data_add));
  CHECK_FALSE(can(result, "users", Action::data_add));
}

TEST_CASE("claims: string and object perm entries may be mixed") {
  auto result = from_claims(
      {{"perm", json::array({"posts:data_add,data_update,data_delete",
                             {{"t", {"comments"}}, {"a", {"data_add"}}}})}});
  CHECK(grants_are(result, {"posts:data_add,data_update,data_delete", "comments:data_add"}));
}

TEST_CASE("claims: table names in perm fold case and quoting like SQLite") {
  auto result = from_claims({{"perm", json::array({
                                          {{"t", {"Comments", "\"POSTS\"", "[Users]", "`Tags`"}},
                                           {"a", {"data_read"}}},
                                          "\"My:Table\":data_add",
                                          "AUDIT_LOG:data_update",
                                      })}});
  for (const char* table : {"comments", "posts", "users", "tags"}) {
    CAPTURE(table);
    CHECK(can(result, table, Action::data_read));
  }
  CHECK(can(result, "my:table", Action::data_add));
  CHECK(can(result, "audit_log", Action::data_update));
  CHECK_FALSE(can_everywhere(result, Action::data_read));
}

TEST_CASE("claims: t [\"all\"] is the table named all; only null or absent t is every table") {
  auto result = from_claims({{"perm", json::array({{{"t", {"all"}}, {"a", {"data_read"}}}})}});
  CHECK(can(result, "all", Action::data_read));
  CHECK_FALSE(can(result, "users", Action::data_read));
  CHECK_FALSE(can_everywhere(result, Action::data_read));
}

TEST_CASE("claims: an empty t list or an empty a list grants nothing") {
  auto result = from_claims({{"perm", json::array({{{"t", json::array()}, {"a", {"data_read"}}},
                                                   {{"t", {"x"}}, {"a", json::array()}}})}});
  CHECK(result.grants.empty());
}

TEST_CASE("claims: unknown action names are ignored and counted") {
  auto result = from_claims({{"perm", json::array({
                                          {{"t", {"comments"}}, {"a", {"data_read", "data_write", "DATA_ADD"}}},
                                          "posts:data_add,drop_everything,",
                                      })}});
  CHECK(result.unknown_actions == 4);  // data_write, DATA_ADD, drop_everything, ""
  CHECK(grants_are(result, {"comments:data_read", "posts:data_add"}));
}

TEST_CASE("claims: read-only a caps perm grants to data_read") {
  auto result = from_claims(
      {{"a", "ro"}, {"perm", json::array({"comments:data_add,data_read", "all:schema_delete"})}});
  CHECK(result.read_only);
  CHECK(grants_are(result, {"comments:data_read"}));
  CHECK_FALSE(can(result, "comments", Action::data_add));
  CHECK_FALSE(can_everywhere(result, Action::schema_delete));
}

TEST_CASE("claims: a read-only p entry caps like a: ro") {
  auto result = from_claims(
      {{"p", {{"ro", {{"ns", {"mydb"}}}}}}, {"perm", json::array({"comments:data_add,data_read"})}});
  REQUIRE(result.scope.ok());
  CHECK(result.read_only);
  CHECK(grants_are(result, {"comments:data_read"}));
}

TEST_CASE("claims: several access levels never widen each other") {
  // a: rw but the only matching p entry is read-only.
  auto a_rw = from_claims({{"a", "rw"}, {"p", {{"ro", {{"ns", {"mydb"}}}}}}});
  CHECK(a_rw.access_level == AccessLevel::read_only);
  CHECK(grants_are(a_rw, {"all:data_read"}));
  // a: ro with a read-write p entry.
  auto a_ro = from_claims({{"a", "ro"}, {"p", {{"rw", {{"ns", {"mydb"}}}}}}});
  CHECK(a_ro.access_level == AccessLevel::read_only);
  // Both a ro and a rw entry list this database.
  auto both = from_claims({{"p", {{"rw", {{"ns", {"mydb"}}}}, {"ro", {{"tags", {"group-uuid"}}}}}}});
  CHECK(both.access_level == AccessLevel::read_only);
  // A read-only entry for another database does not cap this one.
  auto other = from_claims({{"p", {{"rw", {{"ns", {"mydb"}}}}, {"ro", {{"ns", {"other"}}}}}}});
  CHECK(other.access_level == AccessLevel::read_write);
}

TEST_CASE("claims: rwa is read-write and roa read-only (attach is never forwarded anyway)") {
  auto rwa = from_claims({{"p", {{"rwa", {{"ns", {"mydb"}}}}}}});
  CHECK(rwa.access_level == AccessLevel::read_write);
  CHECK(can_everywhere(rwa, Action::schema_delete));
  auto roa = from_claims({{"p", {{"roa", {{"ns", {"mydb"}}}}}}});
  CHECK(roa.access_level == AccessLevel::read_only);
  CHECK(grants_are(roa, {"all:data_read"}));
}

TEST_CASE("claims: nothing present gives default_grants, which default to none") {
  json plain = {{"sub", "user_1"}, {"iss", "https://example.clerk.accounts.dev"}};
  auto none = from_claims(plain);
  CHECK(none.scope.ok());
  CHECK(none.grants.empty());

  ClaimMapping mapping;
  mapping.default_grants = specs({"all:data_read", "comments:data_add"});
  mapping.roles_claim = "public_metadata.role";
  auto defaults = from_claims(plain, mapping);
  CHECK(grants_are(defaults, {"all:data_read", "comments:data_add"}));
}

TEST_CASE("claims: the schema tables stay readable whatever was granted") {
  for (const json& claims : {json::object(), json{{"perm", json::array()}},
                             json{{"a", "ro"}, {"perm", {"comments:data_add"}}}}) {
    CAPTURE(claims.dump());
    auto result = from_claims(claims);
    CHECK(can(result, "sqlite_schema", Action::data_read));
    CHECK(can(result, "sqlite_master", Action::data_read));
    CHECK_FALSE(can(result, "sqlite_master", Action::data_delete));
  }
}

TEST_CASE("claims: the permissions claim may live at another (dotted or URL) path") {
  ClaimMapping nested;
  nested.permissions_claim = "turso.perm";
  CHECK(grants_are(from_claims({{"turso", {{"perm", {"all:data_read"}}}}}, nested), {"all:data_read"}));
  ClaimMapping url;
  url.permissions_claim = "https://example.com/perm";
  CHECK(grants_are(from_claims({{"https://example.com/perm", {"comments:data_add"}}}, url),
                   {"comments:data_add"}));
  // The default name is not consulted when another path is configured.
  CHECK(from_claims({{"perm", {"all:data_read"}}}, url).grants.empty());
}
