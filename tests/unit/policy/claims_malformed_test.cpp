// Malformed permissions claims fail closed: the claim grants nothing, and its
// presence still blocks the fallbacks (access-level-wide grants, default_grants).
#include "claims_test_support.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;
using nlohmann::json;

namespace {

const json kBadPerms[] = {
    json("all:data_read"),                                   // a string, not a list
    json{{"t", nullptr}, {"a", {"data_read"}}},               // one entry, not a list
    json(42),
    json(nullptr),
    json(true),
    json::array({42}),
    json::array({nullptr}),
    json::array({json::array({"all:data_read"})}),
    json::array({"all:data_read", 7}),                       // one bad entry spoils all
    json::array({"data_read"}),                              // no ':'
    json::array({":data_read"}),                             // no table
    json::array({json{{"t", "comments"}, {"a", {"data_read"}}}}),
    json::array({json{{"t", {"comments", 3}}, {"a", {"data_read"}}}}),
    json::array({json{{"t", {""}}, {"a", {"data_read"}}}}),
    json::array({json{{"t", {json::array({"x"})}}, {"a", {"data_read"}}}}),
    json::array({json{{"t", {"comments"}}}}),                // no a
    json::array({json{{"t", {"comments"}}, {"a", "data_read"}}}),
    json::array({json{{"t", {"comments"}}, {"a", nullptr}}}),
    json::array({json{{"t", {"comments"}}, {"a", {"data_read", 1}}}}),
    json::array({json{{"t", {"comments"}}, {"a", {json{{"y", 1}}}}}}),
    json::array({json{{"t", {"comments"}}, {"a", {"data_read"}}, {"where", "owner = sub"}}}),
    json::array({json::object()}),
    json::array({json{{"t", true}, {"a", {"data_read"}}}}),
    json::array({json{{"t", json::object()}, {"a", {"data_read"}}}}),
};

}  // namespace

TEST_CASE("malformed perm: every wrong shape grants nothing and says why") {
  for (const json& bad : kBadPerms) {
    CAPTURE(bad.dump());
    auto result = from_claims({{"perm", bad}});
    CHECK(result.scope.ok());
    CHECK(result.grants.empty());
    REQUIRE_FALSE(result.reasons.empty());
    bool says_refused = false;
    for (const auto& reason : result.reasons) {
      says_refused |= reason.find("refused") != std::string::npos;
    }
    CHECK(says_refused);
  }
}

TEST_CASE("malformed perm: does not fall back to the access level's full grants") {
  for (const json& bad : kBadPerms) {
    CAPTURE(bad.dump());
    CHECK(from_claims({{"a", "rw"}, {"perm", bad}}).grants.empty());
  }
}

TEST_CASE("malformed perm: does not fall back to default_grants") {
  ClaimMapping mapping;
  mapping.default_grants = specs({"all:data_read"});
  for (const json& bad : kBadPerms) {
    CAPTURE(bad.dump());
    CHECK(from_claims({{"perm", bad}}, mapping).grants.empty());
  }
}

TEST_CASE("malformed perm: a valid roles claim still adds its grants") {
  ClaimMapping mapping;
  mapping.roles_claim = "role";
  mapping.roles["reader"] = specs({"all:data_read"});
  auto result = from_claims({{"perm", 5}, {"role", "reader"}}, mapping);
  CHECK(grants_are(result, {"all:data_read"}));
}

TEST_CASE("malformed perm: bounded work on huge arrays") {
  SUBCASE("more entries than allowed") {
    json perm = json::array();
    for (std::size_t i = 0; i <= kMaxPermEntries; ++i) perm.push_back("t" + std::to_string(i) + ":data_read");
    CHECK(perm.size() == kMaxPermEntries + 1);
    CHECK(from_claims({{"perm", perm}}).grants.empty());
    perm.erase(perm.begin());  // exactly at the limit: accepted
    auto accepted = from_claims({{"perm", perm}});
    CHECK(accepted.grants.table_count() == kMaxPermEntries);
  }
  SUBCASE("one entry with too many tables") {
    json tables = json::array();
    for (std::size_t i = 0; i <= kMaxPermTables; ++i) tables.push_back("t" + std::to_string(i));
    CHECK(from_claims({{"perm", json::array({json{{"t", tables}, {"a", {"data_read"}}}})}})
              .grants.empty());
  }
  SUBCASE("tables summed over entries") {
    json tables = json::array();
    for (std::size_t i = 0; i < kMaxPermTables / 2 + 1; ++i) tables.push_back("t" + std::to_string(i));
    json entry = {{"t", tables}, {"a", {"data_read"}}};
    CHECK_FALSE(from_claims({{"perm", json::array({entry})}}).grants.empty());
    CHECK(from_claims({{"perm", json::array({entry, entry})}}).grants.empty());
  }
  SUBCASE("too many action names") {
    json actions = json::array();
    for (std::size_t i = 0; i <= kMaxPermTables; ++i) actions.push_back("data_read");
    CHECK(from_claims({{"perm", json::array({json{{"a", actions}}})}}).grants.empty());
  }
}

TEST_CASE("malformed perm: deeply nested garbage is refused without recursion") {
  json deep = "x";
  for (int i = 0; i < 2000; ++i) deep = json::array({deep});
  CHECK(from_claims({{"perm", deep}}).grants.empty());
  json deep_object = "x";
  for (int i = 0; i < 2000; ++i) deep_object = json{{"t", deep_object}};
  CHECK(from_claims({{"perm", json::array({deep_object})}}).grants.empty());
}

TEST_CASE("malformed perm: unknown actions in a refused claim are still counted") {
  auto result = from_claims({{"perm", json::array({"x:bogus", 1})}});
  CHECK(result.grants.empty());
  CHECK(result.unknown_actions == 1);
}

TEST_CASE("malformed: reasons stay bounded however many roles a token lists") {
  ClaimMapping mapping;
  mapping.roles_claim = "role";
  json many = json::array();
  for (int i = 0; i < 500; ++i) many.push_back("r" + std::to_string(i));
  auto result = from_claims({{"role", many}}, mapping);
  CHECK(result.reasons.size() <= kMaxReasons);
}
