// SPEC §5 rule 1: the token must be for this database (403 AUTH_DATABASE_SCOPE otherwise).
#include "claims_test_support.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;
using nlohmann::json;

namespace {

// Scope failures always come with a message and no grants, even when the rest of
// the token would grant everything.
void check_scope_fails(json claims, ScopeStatus expected,
                       const DatabaseIdentity& database = test_database()) {
  claims["a"] = "rw";
  claims["perm"] = json::array();
  auto result = from_claims(claims, {}, database);
  CHECK(result.scope.status == expected);
  CHECK_FALSE(result.scope.ok());
  CHECK_FALSE(result.scope.message.empty());
  CHECK(result.grants.empty());
  CHECK_FALSE(result.reasons.empty());
}

}  // namespace

TEST_CASE("scope: no scope claims at all passes (Clerk / Auth0 tokens)") {
  auto result = from_claims({{"sub", "u"}}, {}, database_without_ids());
  CHECK(result.scope.ok());
  CHECK(to_string(result.scope.status) == "ok");
}

TEST_CASE("scope: id must equal database.id") {
  CHECK(from_claims({{"id", "db-uuid"}, {"a", "rw"}}).scope.ok());
  check_scope_fails({{"id", "other-uuid"}}, ScopeStatus::id_mismatch);
  check_scope_fails({{"id", "DB-UUID"}}, ScopeStatus::id_mismatch);
  check_scope_fails({{"id", ""}}, ScopeStatus::id_mismatch);
}

TEST_CASE("scope: id present but database.id not configured cannot be checked: failure") {
  check_scope_fails({{"id", "db-uuid"}}, ScopeStatus::id_not_configured, database_without_ids());
}

TEST_CASE("scope: gid must equal database.group_id") {
  CHECK(from_claims({{"gid", "group-uuid"}, {"a", "rw"}}).scope.ok());
  check_scope_fails({{"gid", "other-group"}}, ScopeStatus::gid_mismatch);
  check_scope_fails({{"gid", "group-uuid"}}, ScopeStatus::gid_not_configured, database_without_ids());
  // Both must hold: a right id does not excuse a wrong gid.
  check_scope_fails({{"id", "db-uuid"}, {"gid", "other-group"}}, ScopeStatus::gid_mismatch);
}

TEST_CASE("scope: id and gid of the wrong type fail closed") {
  for (const json& bad : {json(nullptr), json(42), json(true), json::array({"db-uuid"}),
                          json::object({{"id", "db-uuid"}})}) {
    CAPTURE(bad.dump());
    check_scope_fails({{"id", bad}}, ScopeStatus::malformed);
    check_scope_fails({{"gid", bad}}, ScopeStatus::malformed);
  }
}

TEST_CASE("scope: p matches by ns name or by group tag") {
  auto by_ns = from_claims({{"p", {{"rw", {{"ns", {"other", "mydb"}}}}}}});
  CHECK(by_ns.scope.ok());
  CHECK(by_ns.access_level == AccessLevel::read_write);
  auto by_tag = from_claims({{"p", {{"ro", {{"tags", {"group-uuid"}}}}}}});
  CHECK(by_tag.scope.ok());
  CHECK(by_tag.access_level == AccessLevel::read_only);
  // ns matches even when group tags cannot be checked.
  auto ns_without_group = from_claims({{"p", {{"rw", {{"ns", {"mydb"}}, {"tags", {"g"}}}}}}}, {},
                                      database_without_ids());
  CHECK(ns_without_group.scope.ok());
}

TEST_CASE("scope: p naming neither this database nor its group fails") {
  check_scope_fails({{"p", {{"rw", {{"ns", {"otherdb"}}}}}}}, ScopeStatus::p_no_match);
  check_scope_fails({{"p", {{"rw", {{"ns", {"MYDB"}}}}}}}, ScopeStatus::p_no_match);
  check_scope_fails({{"p", {{"rw", {{"tags", {"other-group"}}}}}}}, ScopeStatus::p_no_match);
  check_scope_fails({{"p", {{"rw", {{"ns", json::array()}}}}}}, ScopeStatus::p_no_match);
  check_scope_fails({{"p", {{"rw", json::object()}}}}, ScopeStatus::p_no_match);
  check_scope_fails({{"p", json::object()}}, ScopeStatus::p_no_match);
  // Keys other than ro/rw/roa/rwa never match (but are not an error).
  check_scope_fails({{"p", {{"admin", {{"ns", {"mydb"}}}}}}}, ScopeStatus::p_no_match);
  // The database name is matched against ns, not tags, and vice versa.
  check_scope_fails({{"p", {{"rw", {{"tags", {"mydb"}}}}}}}, ScopeStatus::p_no_match);
  check_scope_fails({{"p", {{"rw", {{"ns", {"group-uuid"}}}}}}}, ScopeStatus::p_no_match);
}

TEST_CASE("scope: p scoped by tags when database.group_id is not configured fails") {
  check_scope_fails({{"p", {{"rw", {{"tags", {"group-uuid"}}}}}}}, ScopeStatus::p_tags_not_configured,
                    database_without_ids());
}

TEST_CASE("scope: p of the wrong shape fails closed") {
  for (const json& bad : {
           json("rw"),
           json::array({"rw"}),
           json(nullptr),
           json{{"rw", "mydb"}},
           json{{"rw", json::array({"mydb"})}},
           json{{"rw", nullptr}},
           json{{"rw", {{"ns", "mydb"}}}},
           json{{"rw", {{"ns", {1, 2}}}}},
           json{{"rw", {{"ns", {"mydb", nullptr}}}}},
           json{{"rw", {{"ns", {{"mydb", "x"}}}}}},
           json{{"rw", {{"tags", {{"group-uuid", true}}}}}},
           json{{"rw", {{"ns", nullptr}}}},
           json{{"rw", {{"ns", {"mydb"}}, {"tables", {"users"}}}}},  // a field we cannot apply
           json{{"ro", {{"ns", {"mydb"}}}}, {"rw", 7}},  // one bad entry spoils p
       }) {
    CAPTURE(bad.dump());
    check_scope_fails({{"p", bad}}, ScopeStatus::malformed);
  }
}

TEST_CASE("scope: huge ns lists are refused") {
  json names = json::array();
  for (int i = 0; i < 1001; ++i) names.push_back("db" + std::to_string(i));
  names.push_back("mydb");
  check_scope_fails({{"p", {{"rw", {{"ns", names}}}}}}, ScopeStatus::malformed);
}

TEST_CASE("scope: claims that are not an object fail closed") {
  for (const json& bad : {json::array(), json("x"), json(nullptr), json(1)}) {
    CAPTURE(bad.dump());
    auto result = from_claims(bad);
    CHECK(result.scope.status == ScopeStatus::malformed);
    CHECK(result.grants.empty());
  }
}

TEST_CASE("scope: the message names the claim, never the configured or claimed value") {
  auto result = from_claims({{"id", "attacker-chosen-value"}});
  CHECK(result.scope.message.find("attacker-chosen-value") == std::string::npos);
  CHECK(result.scope.message.find("db-uuid") == std::string::npos);
  CHECK(result.scope.message.find("'id'") != std::string::npos);
}
