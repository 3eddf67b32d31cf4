// The second witness's rules (policy/program_rules.*) on opens no SQLite bug of
// today produces — a write the authorizer did not report, an open nothing
// answers to — and the reading of programs (policy/program_witness.*).
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "policy/program_rules.hpp"
#include "policy/program_witness.hpp"
#include "policy/sqlite_connection.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;

namespace {

class FakeLookup final : public ObjectLookup {
 public:
  std::map<std::string, ObjectFacts> facts_by_name;
  const ObjectFacts& facts(std::string_view name, bool) override {
    static const ObjectFacts none;
    auto it = facts_by_name.find(std::string(name));
    return it == facts_by_name.end() ? none : it->second;
  }
};

OpenedObject table(std::string name, bool write = false) {
  return OpenedObject{OpenedKind::table, std::move(name), "", false, write};
}

// The statement the authorizer reported (`requirements`), after the witness.
StatementRequirements witnessed(std::vector<Requirement> requirements, std::vector<OpenedObject> opened,
                                bool changes_schema = false, std::vector<AuthorizerEvent> events = {}) {
  StatementRequirements statement;
  statement.requirements = std::move(requirements);
  statement.changes_schema = changes_schema;
  FakeLookup lookup;
  ObjectFacts shadow;
  shadow.exists = true;
  shadow.shadow_owner = "docs";
  lookup.facts_by_name["docs_content"] = shadow;
  ObjectFacts declared_virtual;
  declared_virtual.exists = true;
  declared_virtual.is_virtual = true;
  lookup.facts_by_name["docs"] = declared_virtual;
  apply_program_witness(statement, std::move(opened), events, PolicyConfig{}, lookup);
  return statement;
}

}  // namespace

TEST_CASE("program witness: a table read without a callback needs data_read, after the authorizer's") {
  auto s = witnessed({{"posts", Action::data_read}}, {table("posts"), table("secrets")});
  CHECK(testing::format_statement(s) == "data_read:posts,data_read:secrets");
  CHECK(s.from_authorizer == 1);
  CHECK(s.opened.size() == 2);
  // A shadow table's virtual table needs it too.
  CHECK(testing::format_statement(witnessed({}, {table("docs_content")})) ==
        "data_read:docs,data_read:docs_content");
}

TEST_CASE("program witness: a write the authorizer did not report is refused") {
  CHECK(testing::format_statement(witnessed({{"posts", Action::data_read}}, {table("secrets", true)})) ==
        "forbidden:program_unreported_write");
  CHECK(testing::format_statement(witnessed({{"secrets", Action::data_add}}, {table("secrets", true)})) ==
        "data_add:secrets");
  // Reported on another table only: still refused.
  CHECK(testing::format_statement(witnessed({{"posts", Action::data_add}}, {table("secrets", true)})) ==
        "forbidden:program_unreported_write");
}

TEST_CASE("program witness: what cannot be named, or is written outside DDL, is refused") {
  OpenedObject unmapped;
  CHECK(testing::format_statement(witnessed({}, {unmapped})) == "forbidden:program_unmapped");
  OpenedObject unknown_virtual{OpenedKind::unknown_virtual_table, "", "", false, false};
  CHECK(testing::format_statement(witnessed({}, {unknown_virtual})) == "forbidden:program_unmapped");
  OpenedObject schema_write{OpenedKind::schema_table, "sqlite_schema", "", false, true};
  CHECK(testing::format_statement(witnessed({{"posts", Action::data_add}}, {schema_write})) ==
        "forbidden:program_schema_write");
  CHECK(testing::format_statement(witnessed({{"t", Action::schema_add}}, {schema_write}, true)) == "schema_add:t");
  OpenedObject new_btree{OpenedKind::new_btree, "", "", false, true};
  CHECK(testing::format_statement(witnessed({{"posts", Action::data_add}}, {new_btree})) ==
        "forbidden:program_unmapped");
  OpenedObject temp_table{OpenedKind::table, "t", "", true, false};
  CHECK(testing::format_statement(witnessed({}, {temp_table})) == "forbidden:temp_object");
}

TEST_CASE("program witness: what the reported statement itself covers") {
  // AUTOINCREMENT bookkeeping, DDL on its own table, UPDATE/DELETE scanning their target.
  CHECK(testing::format_statement(witnessed({{"posts", Action::data_add}},
                                            {table("posts", true), table("sqlite_sequence", true),
                                             table("sqlite_sequence")})) == "data_add:posts");
  CHECK(testing::format_statement(witnessed({{"users", Action::schema_add}}, {table("users")}, true)) ==
        "schema_add:users");
  CHECK(testing::format_statement(witnessed({{std::nullopt, Action::schema_update}},
                                            {table("users"), table("users", true)})) == "schema_update:all");
  CHECK(testing::format_statement(witnessed({{"posts", Action::data_update}}, {table("posts"), table("posts", true)})) ==
        "data_update:posts");
  // ... but sqlite_sequence alone is a table like any other.
  CHECK(testing::format_statement(witnessed({}, {table("sqlite_sequence")})) == "data_read:sqlite_sequence");
}

TEST_CASE("program witness: virtual tables") {
  auto opened = [](std::string name) { return OpenedObject{OpenedKind::virtual_table, std::move(name), "", false, false}; };
  auto read_of = [](std::string name) {
    AuthorizerEvent read;
    read.code = SQLITE_READ;
    read.arg1 = std::move(name);
    return read;
  };
  CHECK(testing::format_statement(witnessed({}, {opened("json_each")})) == "none");
  CHECK(testing::format_statement(witnessed({}, {opened("docs")})) == "data_read:docs");
  CHECK(testing::format_statement(witnessed({}, {opened("dbstat")})) == "data_read:dbstat");
  // Eponymous tables judged by the authorizer rules from their READ (a pragma
  // from its argument, libSQL's vector_top_k from its index), refused without one.
  for (std::string name : {"pragma_table_info", "vector_top_k"}) {
    CAPTURE(name);
    CHECK(testing::format_statement(witnessed({}, {opened(name)})) == "forbidden:program_unreported_virtual_table");
    CHECK(testing::format_statement(witnessed({{"users", Action::data_read}}, {opened(name)}, false, {read_of(name)})) ==
          "data_read:users");
  }
}

TEST_CASE("program witness: a virtual table met first in a user statement is learnt by name") {
  std::string error;
  initialize_sqlite();
  SqliteDb db = open_analysis_database(error);
  REQUIRE(db);
  ProgramObjects objects({});  // no eponymous table known in advance
  objects.learn(db.get());
  auto list = [&] {
    sqlite3_stmt* raw = nullptr;
    REQUIRE(sqlite3_prepare_v2(db.get(), "EXPLAIN SELECT * FROM json_each('[1]')", -1, &raw, nullptr) == SQLITE_OK);
    SqliteStmt explain(raw);
    return objects.read(explain.get());
  };
  auto before = list();
  REQUIRE(before.size() == 1);
  CHECK(before.front().kind == OpenedKind::unknown_virtual_table);
  CHECK(objects.learn_virtual_table(db.get(), "json_each"));
  CHECK_FALSE(objects.learn_virtual_table(db.get(), "no_such_table"));
  auto after = list();
  REQUIRE(after.size() == 1);
  CHECK(after.front().kind == OpenedKind::virtual_table);
  CHECK(after.front().table == "json_each");
}
