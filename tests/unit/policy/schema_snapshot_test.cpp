#include "policy/schema_snapshot.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "policy/sql_split.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;

namespace {
std::shared_ptr<const SchemaSnapshot> build(std::string_view sql) {
  initialize_sqlite();
  auto built = SchemaSnapshot::build_from_sql(sql);
  REQUIRE(built.snapshot);
  return built.snapshot;
}
std::string analyse(const std::shared_ptr<const SchemaSnapshot>& snapshot, std::string_view sql) {
  SchemaSource source(snapshot);
  SqlAnalyzer analyzer(source, PolicyConfig{});
  return format_analysis(*analyzer.analyze(sql));
}
}  // namespace

TEST_CASE("schema split: statements end where SQLite says") {
  auto parts = split_sql_statements(
      "CREATE TABLE a(x); -- c\n CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT ';'; DELETE FROM a; END;\n"
      ";; /* only a comment; */ CREATE VIEW v AS SELECT 'x;y'");
  REQUIRE(parts.size() == 3);
  CHECK(parts[0] == "CREATE TABLE a(x);");
  CHECK(parts[1] == "-- c\n CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT ';'; DELETE FROM a; END;");
  CHECK(parts[2] == "/* only a comment; */ CREATE VIEW v AS SELECT 'x;y'");
  CHECK(split_sql_statements("  \n-- nothing\n").empty());
}

TEST_CASE("schema: the fixture builds without problems (vector index via stand-in functions)") {
  auto built = SchemaSnapshot::build_from_sql(kFixtureSchema);
  REQUIRE(built.snapshot);
  CHECK(built.snapshot->problems().empty());
  CHECK(built.snapshot->image_bytes() > 0);
}

TEST_CASE("schema: sqlite_schema rows as the proxy fetches them, in any order") {
  std::vector<SchemaRow> rows{
      {"index", "c_u", "c", "CREATE INDEX c_u ON c(u)"},
      {"table", "c", "c", "CREATE TABLE c(id INTEGER PRIMARY KEY AUTOINCREMENT, u)"},
      {"table", "sqlite_sequence", "sqlite_sequence", "CREATE TABLE sqlite_sequence(name,seq)"},
      {"index", "sqlite_autoindex_x_1", "x", ""},
      {"table", "sqlite_stat1", "sqlite_stat1", "CREATE TABLE sqlite_stat1(tbl,idx,stat)"},
      {"table", "f_data", "f_data", "CREATE TABLE 'f_data'(id INTEGER PRIMARY KEY, block BLOB)"},
      {"table", "f", "f", "CREATE VIRTUAL TABLE f USING fts5(a)"},
      {"view", "cv", "cv", "CREATE VIEW cv AS SELECT u FROM c"},
  };
  auto built = SchemaSnapshot::build(rows);
  REQUIRE(built.snapshot);
  for (const auto& p : built.snapshot->problems()) FAIL_CHECK(p.name << ": " << p.message);
  CHECK(analyse(built.snapshot, "SELECT * FROM cv") == "data_read:c,data_read:cv");
  CHECK(analyse(built.snapshot, "SELECT * FROM sqlite_stat1") == "data_read:sqlite_stat1");
  CHECK(analyse(built.snapshot, "SELECT * FROM f WHERE f MATCH 'x'") == "data_read:f");
  CHECK(analyse(built.snapshot, "INSERT INTO c(u) VALUES (1)") == "data_add:c");
}

TEST_CASE("schema: an unknown virtual-table module leaves a stand-in table, and the problem is reported") {
  auto snapshot = build(
      "CREATE TABLE items(id INTEGER PRIMARY KEY, emb F32_BLOB(4));"
      "CREATE INDEX items_idx ON items(libsql_vector_idx(emb, 'metric=cosine'));"
      "CREATE VIRTUAL TABLE vt USING some_module(alpha, beta TEXT, option=1);"
      "CREATE VIRTUAL TABLE opaque USING other_module(x=1);");
  REQUIRE(snapshot->problems().size() == 2);
  CHECK(snapshot->problems()[0].name.find("vt") != std::string::npos);
  CHECK(snapshot->problems()[0].handling == SchemaProblem::Handling::stand_in_table);
  CHECK(snapshot->problems()[0].message == "no such module: some_module");
  CHECK(snapshot->problems()[1].handling == SchemaProblem::Handling::unanalysable);
  // The stand-in is analysable and written like a virtual table (opaque module).
  CHECK(analyse(snapshot, "SELECT alpha, beta FROM vt") == "data_read:vt");
  CHECK(analyse(snapshot, "INSERT INTO vt(alpha) VALUES (1)") == "data_add:vt,data_delete:vt,data_update:vt");
  CHECK(analyse(snapshot, "SELECT * FROM opaque") == "parse_error");
  // The table behind the vector index stays fully analysable.
  CHECK(analyse(snapshot, "INSERT INTO items(emb) VALUES (vector32('[1,2,3,4]'))") == "data_add:items");
  CHECK(analyse(snapshot, "SELECT id FROM items ORDER BY vector_distance_cos(emb, vector32('[1,2,3,4]'))") ==
        "data_read:items");
}

TEST_CASE("schema: an index or trigger that cannot be created is skipped and reported, its table stays") {
  auto snapshot = build(
      "CREATE TABLE a(x); CREATE INDEX bad ON a(no_such_function(x)); CREATE TRIGGER tr AFTER INSERT ON "
      "missing BEGIN SELECT 1; END;");
  REQUIRE(snapshot->problems().size() == 2);
  CHECK(snapshot->problems()[0].handling == SchemaProblem::Handling::skipped);
  CHECK(analyse(snapshot, "SELECT x FROM a") == "data_read:a");
}

TEST_CASE("schema: version is a hash of the rows") {
  std::vector<SchemaRow> a{{"table", "t", "t", "CREATE TABLE t(a)"}};
  std::vector<SchemaRow> b{{"table", "t", "t", "CREATE TABLE t(a, b)"}};
  CHECK(schema_version_of(a) == schema_version_of(a));
  CHECK(schema_version_of(a) != schema_version_of(b));
  CHECK(SchemaSnapshot::build(a).snapshot->version() == schema_version_of(a));
}

TEST_CASE("schema: an analyzer follows a newly published snapshot") {
  initialize_sqlite();
  SchemaSource source(build("CREATE TABLE t(a);"));
  SqlAnalyzer analyzer(source, PolicyConfig{});
  CHECK(format_analysis(*analyzer.analyze("SELECT b FROM t")) == "parse_error");
  auto v1 = analyzer.schema_version();
  source.publish(build("CREATE TABLE t(a, b);"));
  CHECK(format_analysis(*analyzer.analyze("SELECT b FROM t")) == "data_read:t");
  CHECK(analyzer.schema_version() != v1);
}

TEST_CASE("schema: per-thread analyzers see new versions while others analyse") {
  SchemaSource source(build("CREATE TABLE t(a);"));
  std::atomic<bool> published{false};
  std::atomic<int> saw_new{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([&] {
      SqlAnalyzer analyzer(source, PolicyConfig{});  // one per thread
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < deadline) {
        bool after = published.load();
        auto got = format_analysis(*analyzer.analyze("SELECT b FROM t"));
        if (got == "data_read:t") {
          saw_new++;
          break;
        }
        if (after && got != "data_read:t") wrong++;
        if (got != "parse_error" && got != "data_read:t") wrong++;
      }
    });
  }
  source.publish(build("CREATE TABLE t(a, b);"));
  published = true;
  for (auto& t : workers) t.join();
  CHECK(saw_new == 2);
  CHECK(wrong == 0);
}
