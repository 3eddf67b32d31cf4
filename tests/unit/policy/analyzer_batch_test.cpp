#include <doctest/doctest.h>

#include <string_view>
#include <vector>

#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;

namespace {
std::vector<std::string> run_batch(SqlAnalyzer& analyzer, std::vector<std::string_view> texts) {
  std::vector<std::string> out;
  for (const auto& analysis : analyzer.analyze_batch(texts)) out.push_back(format_analysis(*analysis));
  return out;
}
}  // namespace

TEST_CASE("analyzer batch: DDL earlier in a batch is visible to later statements") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto got = run_batch(analyzer, {"CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT)",
                                  "INSERT INTO notes(body) VALUES ('x')", "SELECT body FROM notes"});
  CHECK(got == std::vector<std::string>{"schema_add:notes", "data_add:notes", "data_read:notes"});
}

TEST_CASE("analyzer batch: the copy is restored afterwards") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  run_batch(analyzer, {"CREATE TABLE notes(a)", "DROP TABLE secrets", "ALTER TABLE users ADD COLUMN age"});
  CHECK(format_analysis(*analyzer.analyze("SELECT * FROM notes")) == "parse_error");
  CHECK(format_analysis(*analyzer.analyze("SELECT * FROM secrets")) == "data_read:secrets");
  CHECK(format_analysis(*analyzer.analyze("SELECT age FROM users")) == "parse_error");
}

TEST_CASE("analyzer batch: a dropped table is gone for the rest of the batch") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto got = run_batch(analyzer, {"SELECT * FROM secrets", "DROP TABLE secrets", "SELECT * FROM secrets"});
  CHECK(got == std::vector<std::string>{"data_read:secrets", "schema_delete:secrets", "parse_error"});
}

TEST_CASE("analyzer batch: a new trigger fires for later statements (invoker semantics)") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto got = run_batch(analyzer, {"CREATE TRIGGER spy AFTER INSERT ON audit_log BEGIN "
                                  "INSERT INTO audit_log(what) SELECT secret FROM secrets; END",
                                  "INSERT INTO audit_log(what) VALUES ('x')"});
  CHECK(got == std::vector<std::string>{"schema_add:audit_log", "data_add:audit_log,data_read:secrets"});
}

TEST_CASE("analyzer batch: a cached DDL text is still applied when later texts need it") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  CHECK(format_analysis(*analyzer.analyze("CREATE TABLE notes(a)")) == "schema_add:notes");  // now cached
  auto got = run_batch(analyzer, {"CREATE TABLE notes(a)", "SELECT a FROM notes"});
  CHECK(got == std::vector<std::string>{"schema_add:notes", "data_read:notes"});
}

TEST_CASE("analyzer batch: results after DDL are not cached as if the schema were unchanged") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  run_batch(analyzer, {"CREATE TABLE notes(a)", "SELECT a FROM notes"});
  CHECK(format_analysis(*analyzer.analyze("SELECT a FROM notes")) == "parse_error");
}

TEST_CASE("analyzer batch: forbidden DDL is never applied") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto got = run_batch(analyzer, {"CREATE TEMP TABLE users(x)", "SELECT x FROM users"});
  CHECK(got == std::vector<std::string>{"forbidden:temp_object", "parse_error"});
}

TEST_CASE("analyzer: temp shadowing is resolved (allow_temp_objects)") {
  SchemaSource source(fixture_snapshot());
  PolicyConfig config;
  config.allow_temp_objects = true;
  SqlAnalyzer analyzer(source, config);
  auto got = run_batch(analyzer, {"CREATE TEMP TABLE users(x)", "SELECT x FROM users",
                                  "SELECT count(*) FROM users", "SELECT name FROM main.users",
                                  "INSERT INTO users(x) VALUES (1)", "SELECT * FROM temp.users"});
  // The temp table shadows main.users; either way the grants asked are those of
  // "users" (the stricter reading), and main.users stays reachable by name.
  CHECK(got == std::vector<std::string>{"schema_add:users", "data_read:users", "data_read:users",
                                        "data_read:users", "data_add:users", "data_read:users"});
  CHECK(format_analysis(*analyzer.analyze("CREATE TEMP VIEW tv AS SELECT 1")) == "schema_add:tv");
}

TEST_CASE("analyzer: statement flags") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto ddl = analyzer.analyze("CREATE TABLE t(a); SELECT 1; BEGIN; ANALYZE");
  REQUIRE(ddl->size() == 4);
  CHECK((*ddl)[0].changes_schema);
  CHECK_FALSE((*ddl)[1].changes_schema);
  CHECK((*ddl)[2].transaction_control);
  CHECK((*ddl)[3].changes_schema);
}

TEST_CASE("analyzer: a parse error carries SQLite's message and the schema version") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto analysis = analyzer.analyze("SELECT * FROM nosuch");
  REQUIRE(analysis->size() == 1);
  REQUIRE((*analysis)[0].parse_error);
  CHECK((*analysis)[0].parse_error->message == "no such table: nosuch");
  CHECK(analyzer.schema_version() == fixture_snapshot()->version());
}

TEST_CASE("analyzer: a denied PRAGMA has no effect on the copy (denied inside the callback)") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  CHECK(format_analysis(*analyzer.analyze("PRAGMA writable_schema=ON")) == "forbidden:pragma_assignment");
  CHECK(format_analysis(*analyzer.analyze("PRAGMA case_sensitive_like=ON")) == "forbidden:pragma_assignment");
  // Had case_sensitive_like acted during prepare, LIKE would now be case-sensitive
  // on this connection; writable_schema would let sqlite_master be written.
  CHECK(format_analysis(*analyzer.analyze("DELETE FROM sqlite_master")) == "parse_error");
}

TEST_CASE("analyzer: allowed_pragmas is configurable") {
  SchemaSource source(fixture_snapshot());
  PolicyConfig config;
  config.allowed_pragmas = {"table_info", "user_version"};
  SqlAnalyzer analyzer(source, config);
  CHECK(format_analysis(*analyzer.analyze("PRAGMA user_version")) == "none");
  CHECK(format_analysis(*analyzer.analyze("PRAGMA user_version = 3")) == "forbidden:pragma_assignment");
  CHECK(format_analysis(*analyzer.analyze("PRAGMA index_list(users)")) == "forbidden:pragma");
  CHECK(format_analysis(*analyzer.analyze("SELECT * FROM pragma_index_list('users')")) == "forbidden:pragma");
}

TEST_CASE("analyzer: first-use noise of virtual tables never leaks into requirements") {
  // A fresh analyzer: its connection's first use of each virtual table is here.
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  CHECK(format_analysis(*analyzer.analyze("SELECT * FROM dbstat")) == "forbidden:eponymous_table");
  CHECK(format_analysis(*analyzer.analyze("SELECT * FROM docs")) == "data_read:docs");
  CHECK(format_analysis(*analyzer.analyze("SELECT value FROM json_each('[1]')")) == "none");
  CHECK(format_analysis(
            *analyzer.analyze("CREATE VIRTUAL TABLE d2 USING fts5(a); INSERT INTO d2 VALUES ('x')")) ==
        "schema_add:d2 | data_add:d2,data_delete:d2,data_update:d2");
}

TEST_CASE("analyzer batch: CREATE TABLE AS SELECT is applied without rows, bounded") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto got = run_batch(
      analyzer, {"CREATE TABLE big AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                 "SELECT x, zeroblob(50000000) AS b FROM c;",
                 "SELECT x, b FROM big", "CREATE TEMP TABLE t2 AS SELECT * FROM secrets",
                 "CREATE TABLE IF NOT EXISTS s2 AS SELECT id, secret FROM secrets", "SELECT secret FROM s2"});
  CHECK(got == std::vector<std::string>{"schema_add:big", "data_read:big", "forbidden:temp_object",
                                        "data_read:secrets,schema_add:s2", "data_read:s2"});
}
