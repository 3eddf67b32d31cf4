#include <doctest/doctest.h>

#include <vector>

#include "policy/decision.hpp"

using namespace gate::policy;

namespace {

StatementRequirements statement(std::string sql, std::vector<Requirement> requirements) {
  StatementRequirements out;
  out.sql = std::move(sql);
  out.requirements = std::move(requirements);
  return out;
}

Grants read_all_add_comments() {
  Grants grants;
  grants.add(Grant{std::nullopt, Action::data_read});
  grants.add(Grant{"comments", Action::data_add});
  return grants;
}

}  // namespace

TEST_CASE("decision: allowed when every requirement of every statement is granted") {
  std::vector<StatementRequirements> statements{
      statement("SELECT * FROM users", {{"users", Action::data_read}}),
      statement("INSERT INTO comments VALUES (1)", {{"comments", Action::data_add}}),
  };
  auto decision = decide(read_all_add_comments(), statements);
  CHECK(decision.allowed);
  CHECK_FALSE(decision.failed_statement);
  CHECK(decision.code.empty());
  CHECK(decision.message.empty());
  REQUIRE(decision.statements.size() == 2);
  CHECK(decision.statements[0].allowed());
  CHECK(decision.statements[1].allowed());
}

TEST_CASE("decision: no statements is allowed") {
  auto decision = decide(Grants{}, {});
  CHECK(decision.allowed);
  CHECK(decision.statements.empty());
}

TEST_CASE("decision: missing grant gives SPEC §4's exact message") {
  std::vector<StatementRequirements> statements{
      statement("INSERT INTO comments VALUES (1)", {{"comments", Action::data_add}}),
  };
  auto decision = decide(Grants{}, statements);
  CHECK_FALSE(decision.allowed);
  CHECK(decision.failed_statement == 0u);
  CHECK(decision.code == "SQLITE_AUTH");
  CHECK(decision.message == "permission denied: data_add on table \"comments\"");
  REQUIRE(decision.statements.size() == 1);
  CHECK(decision.statements[0].kind == VerdictKind::missing_grant);
  CHECK(decision.statements[0].missing == std::vector<Requirement>{{"comments", Action::data_add}});
}

TEST_CASE("decision: a whole-database requirement names all tables") {
  std::vector<StatementRequirements> statements{
      statement("ANALYZE", {{std::nullopt, Action::schema_update}}),
  };
  Grants some_tables;
  some_tables.add(Grant{"users", Action::schema_update});
  auto decision = decide(some_tables, statements);
  CHECK_FALSE(decision.allowed);
  CHECK(decision.message == "permission denied: schema_update on all tables");
}

TEST_CASE("decision: table names are quoted as SQL identifiers in the message") {
  CHECK(permission_denied_message({"a\"b", Action::data_read}) ==
        "permission denied: data_read on table \"a\"\"b\"");
  CHECK(permission_denied_message({"", Action::schema_delete}) ==
        "permission denied: schema_delete on table \"\"");
}

TEST_CASE("decision: the first missing requirement is named, all are listed for explain") {
  std::vector<StatementRequirements> statements{
      statement("INSERT INTO comments SELECT * FROM secrets",
                {{"secrets", Action::data_read}, {"comments", Action::data_add},
                 {"audit", Action::data_add}}),
  };
  Grants grants;
  grants.add(Grant{"comments", Action::data_add});
  auto decision = decide(grants, statements);
  CHECK(decision.message == "permission denied: data_read on table \"secrets\"");
  CHECK(decision.statements[0].missing ==
        std::vector<Requirement>{{"secrets", Action::data_read}, {"audit", Action::data_add}});
}

TEST_CASE("decision: the first failing statement's index in a multi-statement list") {
  std::vector<StatementRequirements> statements{
      statement("SELECT 1", {}),
      statement("SELECT * FROM users", {{"users", Action::data_read}}),
      statement("DROP TABLE users", {{"users", Action::schema_delete}}),
      statement("DELETE FROM comments", {{"comments", Action::data_delete}}),
  };
  auto decision = decide(read_all_add_comments(), statements);
  CHECK_FALSE(decision.allowed);
  CHECK(decision.failed_statement == 2u);
  CHECK(decision.message == "permission denied: schema_delete on table \"users\"");
  // Every statement is still judged.
  REQUIRE(decision.statements.size() == 4);
  CHECK(decision.statements[0].allowed());
  CHECK(decision.statements[1].allowed());
  CHECK(decision.statements[2].kind == VerdictKind::missing_grant);
  CHECK(decision.statements[3].kind == VerdictKind::missing_grant);
  CHECK(decision.statements[3].message == "permission denied: data_delete on table \"comments\"");
}

TEST_CASE("decision: forbidden statements are denied whatever the grants, with their detail") {
  StatementRequirements attach = statement("ATTACH 'x' AS y", {});
  attach.forbidden = Forbidden{"attach", "ATTACH is never forwarded"};
  Grants everything;
  everything.add(std::nullopt, kAllActionsMask);
  std::vector<StatementRequirements> statements{statement("SELECT 1", {}), attach};
  auto decision = decide(everything, statements);
  CHECK_FALSE(decision.allowed);
  CHECK(decision.failed_statement == 1u);
  CHECK(decision.code == "SQLITE_AUTH");
  CHECK(decision.message == "ATTACH is never forwarded");
  CHECK(decision.statements[1].kind == VerdictKind::forbidden);
}

TEST_CASE("decision: parse errors carry SQLite's own message and SQL_PARSE_ERROR") {
  StatementRequirements broken = statement("SELEC 1", {});
  broken.parse_error = ParseError{"near \"SELEC\": syntax error"};
  Grants everything;
  everything.add(std::nullopt, kAllActionsMask);
  std::vector<StatementRequirements> statements{broken};
  auto decision = decide(everything, statements);
  CHECK_FALSE(decision.allowed);
  CHECK(decision.code == "SQL_PARSE_ERROR");
  CHECK(decision.message == "near \"SELEC\": syntax error");
  CHECK(decision.statements[0].kind == VerdictKind::parse_error);
}

TEST_CASE("decision: a parse error wins over forbidden and missing grants in one statement") {
  StatementRequirements odd = statement("?", {{"t", Action::data_read}});
  odd.parse_error = ParseError{"bad"};
  odd.forbidden = Forbidden{"x", "never"};
  std::vector<StatementRequirements> statements{odd};
  CHECK(decide(Grants{}, statements).code == "SQL_PARSE_ERROR");
  odd.parse_error.reset();
  statements = {odd};
  auto decision = decide(Grants{}, statements);
  CHECK(decision.code == "SQLITE_AUTH");
  CHECK(decision.message == "never");
}

TEST_CASE("decision: transaction control runs with no grants at all") {
  std::vector<StatementRequirements> statements;
  for (const char* sql : {"BEGIN", "SAVEPOINT a", "RELEASE a", "ROLLBACK", "COMMIT"}) {
    StatementRequirements tx = statement(sql, {});
    tx.transaction_control = true;
    statements.push_back(tx);
  }
  auto decision = decide(Grants{}, statements);
  CHECK(decision.allowed);
}

TEST_CASE("decision: a denial inside a transaction names the statement, not the BEGIN") {
  StatementRequirements begin = statement("BEGIN", {});
  begin.transaction_control = true;
  std::vector<StatementRequirements> statements{
      begin, statement("UPDATE users SET x = 1", {{"users", Action::data_update}})};
  auto decision = decide(read_all_add_comments(), statements);
  CHECK(decision.failed_statement == 1u);
  CHECK(decision.message == "permission denied: data_update on table \"users\"");
}

TEST_CASE("decision: reading the schema table needs no grant") {
  std::vector<StatementRequirements> statements{
      statement("SELECT name FROM sqlite_schema", {{"sqlite_master", Action::data_read}})};
  CHECK(decide(Grants{}, statements).allowed);
}

TEST_CASE("decision: verdict kinds have stable names") {
  CHECK(to_string(VerdictKind::allowed) == "allowed");
  CHECK(to_string(VerdictKind::missing_grant) == "missing_grant");
  CHECK(to_string(VerdictKind::forbidden) == "forbidden");
  CHECK(to_string(VerdictKind::parse_error) == "parse_error");
}
