#include <doctest/doctest.h>

#include "policy/grants.hpp"

using namespace gate::policy;

namespace {
Requirement on(const char* table, Action action) { return Requirement{table, action}; }
Requirement on_all(Action action) { return Requirement{std::nullopt, action}; }
}  // namespace

TEST_CASE("grants: empty grants allow nothing but reading the schema tables") {
  Grants grants;
  CHECK(grants.empty());
  for (Action action : kAllActions) {
    CAPTURE(to_string(action));
    CHECK_FALSE(grants.allows(on("comments", action)));
    CHECK_FALSE(grants.allows(on_all(action)));
  }
  CHECK(grants.allows(on("sqlite_schema", Action::data_read)));
  CHECK(grants.allows(on("sqlite_master", Action::data_read)));
  CHECK(grants.allows(on("sqlite_temp_schema", Action::data_read)));
  CHECK(grants.allows(on("sqlite_temp_master", Action::data_read)));
  // Only reading: writing the schema table is never implied.
  CHECK_FALSE(grants.allows(on("sqlite_master", Action::data_update)));
  CHECK_FALSE(grants.allows(on("sqlite_schema", Action::data_add)));
  // Other internal tables carry data (row counts, max rowids): not implied.
  CHECK_FALSE(grants.allows(on("sqlite_sequence", Action::data_read)));
  CHECK_FALSE(grants.allows(on("sqlite_stat1", Action::data_read)));
}

TEST_CASE("grants: a table grant covers exactly that (table, action)") {
  Grants grants;
  grants.add(Grant{"comments", Action::data_add});
  CHECK(grants.allows(on("comments", Action::data_add)));
  CHECK_FALSE(grants.allows(on("comments", Action::data_read)));
  CHECK_FALSE(grants.allows(on("comment", Action::data_add)));
  CHECK_FALSE(grants.allows(on("commentsx", Action::data_add)));
  CHECK_FALSE(grants.allows(on("posts", Action::data_add)));
  // A grant on some tables never adds up to the whole database.
  CHECK_FALSE(grants.allows(on_all(Action::data_add)));
}

TEST_CASE("grants: an all-tables grant covers every table and the whole database") {
  Grants grants;
  grants.add(Grant{std::nullopt, Action::schema_update});
  CHECK(grants.allows(on("anything", Action::schema_update)));
  CHECK(grants.allows(on_all(Action::schema_update)));
  CHECK_FALSE(grants.allows(on_all(Action::schema_add)));
}

TEST_CASE("grants: the -p all:data_read -p comments:data_add shape") {
  Grants grants;
  grants.add(Grant{std::nullopt, Action::data_read});
  grants.add(Grant{"comments", Action::data_add});
  CHECK(grants.allows(on("users", Action::data_read)));
  CHECK(grants.allows(on("comments", Action::data_read)));
  CHECK(grants.allows(on("comments", Action::data_add)));
  CHECK_FALSE(grants.allows(on("users", Action::data_add)));
  CHECK_FALSE(grants.allows(on("comments", Action::data_delete)));
}

TEST_CASE("grants: many tables stay sorted and unique") {
  Grants grants;
  for (const char* table : {"zeta", "alpha", "mid", "alpha", "beta"}) {
    grants.add(Grant{table, Action::data_read});
  }
  grants.add(Grant{"mid", Action::data_delete});
  CHECK(grants.table_count() == 4);
  for (const char* table : {"zeta", "alpha", "mid", "beta"}) {
    CAPTURE(table);
    CHECK(grants.allows(on(table, Action::data_read)));
  }
  CHECK(grants.allows(on("mid", Action::data_delete)));
  CHECK_FALSE(grants.allows(on("alpha", Action::data_delete)));
  CHECK_FALSE(grants.allows(on("gamma", Action::data_read)));
  CHECK_FALSE(grants.allows(on("", Action::data_read)));
}

TEST_CASE("grants: the read-only cap keeps only data_read everywhere") {
  Grants grants;
  grants.add(std::nullopt, kAllActionsMask);
  grants.add("comments", action_bit(Action::data_add));
  grants.add("posts", action_bit(Action::data_add) | action_bit(Action::data_read));
  grants.cap_to_read_only();
  CHECK(grants.allows(on("users", Action::data_read)));
  CHECK(grants.allows(on_all(Action::data_read)));
  for (Action action : kAllActions) {
    if (action == Action::data_read) continue;
    CAPTURE(to_string(action));
    CHECK_FALSE(grants.allows(on("comments", action)));
    CHECK_FALSE(grants.allows(on("posts", action)));
    CHECK_FALSE(grants.allows(on_all(action)));
  }
  // A table left with no action is dropped, not kept as an empty entry.
  CHECK(grants.table_count() == 1);
}

TEST_CASE("grants: adding an empty mask changes nothing") {
  Grants grants;
  grants.add("comments", 0);
  grants.add(std::nullopt, 0);
  CHECK(grants.empty());
  CHECK(grants.table_count() == 0);
  // Bits beyond the seven actions are not actions.
  grants.add("comments", 0x80);
  CHECK(grants.empty());
}

TEST_CASE("grants: list names every grant, all tables first, in a stable order") {
  Grants grants;
  grants.add(Grant{"posts", Action::data_update});
  grants.add(Grant{"comments", Action::data_delete});
  grants.add(Grant{"comments", Action::data_add});
  grants.add(Grant{std::nullopt, Action::data_read});
  std::vector<Grant> expected{
      {std::nullopt, Action::data_read},
      {"comments", Action::data_add},
      {"comments", Action::data_delete},
      {"posts", Action::data_update},
  };
  CHECK(grants.list() == expected);
}

TEST_CASE("grants: add_all unions two grant sets") {
  Grants a;
  a.add(Grant{"comments", Action::data_add});
  Grants b;
  b.add(Grant{"comments", Action::data_update});
  b.add(Grant{std::nullopt, Action::data_read});
  a.add_all(b);
  CHECK(a.allows(on("comments", Action::data_add)));
  CHECK(a.allows(on("comments", Action::data_update)));
  CHECK(a.allows(on("x", Action::data_read)));
  a.clear();
  CHECK(a.empty());
}

TEST_CASE("grants: requirements on tables are compared in canonical form, byte for byte") {
  // Canonicalisation is the analyzer's and the claim parser's job; Grants does
  // not fold case again (it would change names that contain quotes).
  Grants grants;
  grants.add(Grant{"comments", Action::data_read});
  CHECK_FALSE(grants.allows(on("Comments", Action::data_read)));
  CHECK_FALSE(grants.allows(on("\"comments\"", Action::data_read)));
}

TEST_CASE("grants: grant_specs writes the CLI form, one line per table") {
  Grants grants;
  grants.add(Grant{"posts", Action::data_update});
  grants.add(Grant{"comments", Action::data_delete});
  grants.add(Grant{"comments", Action::data_add});
  grants.add(Grant{std::nullopt, Action::data_read});
  grants.add(Grant{std::nullopt, Action::schema_add});
  CHECK(grant_specs(grants) == std::vector<std::string>{"all:data_read,schema_add",
                                                        "comments:data_add,data_delete",
                                                        "posts:data_update"});
  CHECK(grant_specs(Grants{}).empty());
}

TEST_CASE("grants: grant_specs quotes names that would read back differently") {
  Grants grants;
  grants.add(Grant{"all", Action::data_read});
  grants.add(Grant{"a:b", Action::data_read});
  grants.add(Grant{"say\"hi", Action::data_read});
  auto specs = grant_specs(grants);
  CHECK(specs == std::vector<std::string>{"\"a:b\":data_read", "\"all\":data_read",
                                          "\"say\"\"hi\":data_read"});
  // And they do read back as the same grants.
  Grants round_trip;
  for (const auto& spec : specs) {
    auto parsed = parse_grant_spec(spec);
    REQUIRE_FALSE(parsed.error);
    for (const auto& grant : parsed.grants) round_trip.add(grant);
  }
  CHECK(round_trip == grants);
}
