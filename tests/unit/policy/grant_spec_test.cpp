#include <doctest/doctest.h>

#include "policy/grant.hpp"
#include "policy/table_name.hpp"

using namespace gate::policy;

TEST_CASE("grant spec: table and several actions") {
  auto parsed = parse_grant_spec("Comments:data_add,data_update");
  REQUIRE_FALSE(parsed.error);
  REQUIRE(parsed.grants.size() == 2);
  CHECK(parsed.grants[0] == Grant{"comments", Action::data_add});
  CHECK(parsed.grants[1] == Grant{"comments", Action::data_update});
}

TEST_CASE("grant spec: 'all' means every table") {
  auto parsed = parse_grant_spec("all:data_read");
  REQUIRE_FALSE(parsed.error);
  REQUIRE(parsed.grants.size() == 1);
  CHECK_FALSE(parsed.grants[0].table.has_value());
}

TEST_CASE("grant spec: malformed forms are rejected with a reason") {
  for (const char* bad : {"comments", ":data_read", "comments:", "comments:data_write",
                          "comments:data_read,", "comments:DATA_READ"}) {
    CAPTURE(bad);
    auto parsed = parse_grant_spec(bad);
    CHECK(parsed.error.has_value());
    CHECK(parsed.grants.empty());
  }
}

TEST_CASE("table names fold case and quoting the way SQLite does") {
  CHECK(normalize_table_name("Users") == "users");
  CHECK(normalize_table_name("\"USERS\"") == "users");
  CHECK(normalize_table_name("[Users]") == "users");
  CHECK(normalize_table_name("`users`") == "users");
  CHECK(normalize_table_name("\"a\"\"b\"") == "a\"b");
  CHECK(normalize_table_name("[a\"\"b]") == "a\"\"b");
  // Non-ASCII letters are not folded by SQLite's identifier comparison.
  CHECK(normalize_table_name("Ü") == "Ü");
}
