// Random claims built from the words the parser looks for: whatever the shape,
// grants_from_claims never throws and its fail-closed invariants hold.
#include <random>

#include "claims_test_support.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;
using nlohmann::json;

namespace {

class RandomClaims {
 public:
  explicit RandomClaims(unsigned seed) : rng_(seed) {}

  json object(int depth) {
    json out = json::object();
    int members = pick(6);
    for (int i = 0; i < members; ++i) out[word()] = value(depth + 1);
    return out;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::string word() {
    static constexpr const char* kWords[] = {
        "id", "gid", "p", "ro", "rw", "roa", "rwa", "ns", "tags", "a", "perm", "t", "role", "o",
        "rol", "mydb", "db-uuid", "group-uuid", "data_read", "data_add", "schema_delete",
        "comments", "all", "all:data_read", "comments:data_add,data_delete", "Admin", "x"};
    return kWords[pick(static_cast<int>(std::size(kWords)))];
  }

  json value(int depth) {
    int kind = depth > 4 ? pick(5) : pick(8);
    switch (kind) {
      case 0: return word();
      case 1: return word();
      case 2: return nullptr;
      case 3: return pick(3) - 1;
      case 4: return pick(2) == 0;
      case 5:
      case 6: {
        json out = json::array();
        int items = pick(4);
        for (int i = 0; i < items; ++i) out.push_back(value(depth + 1));
        return out;
      }
      default: return object(depth);
    }
  }

  std::mt19937 rng_;
};

bool grants_beyond_read(const Grants& grants) {
  for (const Grant& grant : grants.list()) {
    if (grant.action != Action::data_read) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("claims (random): no throw, and the fail-closed invariants hold") {
  ClaimMapping mapping;
  mapping.roles_claim = "o.rol";
  mapping.roles["Admin"] = specs({"all:data_read,data_add,schema_delete"});
  mapping.default_grants = specs({"comments:data_add"});
  const DatabaseIdentity databases[] = {test_database(), database_without_ids()};
  std::size_t scope_failures = 0;
  std::size_t with_grants = 0;
  for (unsigned seed = 0; seed < 20000; ++seed) {
    RandomClaims random(seed);
    json claims = random.object(0);
    for (const auto& database : databases) {
      GrantsResult result;
      REQUIRE_NOTHROW(result = grants_from_claims(claims, mapping, database));
      CAPTURE(claims.dump());
      if (!result.scope.ok()) {
        ++scope_failures;
        CHECK(result.grants.empty());
        CHECK_FALSE(result.scope.message.empty());
      }
      if (result.access_level == AccessLevel::invalid) CHECK(result.grants.empty());
      if (result.read_only) CHECK_FALSE(grants_beyond_read(result.grants));
      if (result.access_level == AccessLevel::read_only) CHECK(result.read_only);
      CHECK(result.reasons.size() <= kMaxReasons);
      if (!result.grants.empty()) ++with_grants;
    }
  }
  // The generator reaches both outcomes often enough to mean something.
  CHECK(scope_failures > 1000);
  CHECK(with_grants > 1000);
}
