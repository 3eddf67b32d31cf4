// Issue 14 class 1: SQLite 3.40.1's authorizer under-reports NATURAL/USING joins
// with FULL/RIGHT JOIN (`SELECT * FROM secrets a NATURAL FULL JOIN secrets b`
// reports no read of secrets). The second witness (the program's own opens) must
// close every such shape: join kind × constraint × pairing × placement, with a
// token that may read only posts (and the scratch tables it writes).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "policy/decision.hpp"
#include "policy/grants.hpp"
#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;

namespace {

constexpr std::array<std::string_view, 5> kJoinKinds{"JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN"};
constexpr std::array<std::string_view, 3> kConstraints{"natural", "using", "on"};

// (left table, right table); the first is the legitimate self join.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kPairings{{
    {"posts", "posts"},
    {"secrets", "secrets"},
    {"posts", "secrets"},
    {"secrets", "posts"},
}};

std::string join_source(std::string_view kind, std::string_view constraint, std::string_view left,
                        std::string_view right) {
  std::string out = std::string(left) + " a ";
  if (constraint == "natural") out += "NATURAL ";
  out += std::string(kind) + " " + std::string(right) + " b";
  if (constraint == "using") out += " USING (id, user_id)";
  if (constraint == "on") out += " ON a.id = b.id AND a.user_id = b.user_id";
  return out;
}

struct Shape {
  std::size_t index;
  std::string source;  // the FROM clause
  bool touches_secrets;
};

std::vector<Shape> shapes() {
  std::vector<Shape> out;
  for (auto kind : kJoinKinds) {
    for (auto constraint : kConstraints) {
      for (auto [left, right] : kPairings) {
        bool secrets = left == "secrets" || right == "secrets";
        out.push_back(Shape{out.size(), join_source(kind, constraint, left, right), secrets});
      }
    }
  }
  return out;
}

// One view, one trigger (on its own host table, so that firing it fires nothing
// else) per shape, on top of the fixture schema; `sink` is a scratch table.
std::string schema_sql(const std::vector<Shape>& all) {
  std::string sql(testing::kFixtureSchema);
  sql += "CREATE TABLE sink(v);\n";
  for (const auto& shape : all) {
    std::string n = std::to_string(shape.index);
    sql += "CREATE VIEW v_" + n + " AS SELECT * FROM " + shape.source + ";\n";
    sql += "CREATE TABLE host_" + n + "(x);\n";
    sql += "CREATE TRIGGER trg_" + n + " AFTER INSERT ON host_" + n +
           " BEGIN INSERT INTO sink(v) SELECT count(*) FROM " + shape.source + "; END;\n";
  }
  return sql;
}

// Reads (and updates) posts, and the views, which hold no rows of their own:
// reading one needs its tables' grants too. Adds rows to sink and the trigger
// hosts. Nothing of secrets.
Grants posts_reader(const std::vector<Shape>& all) {
  Grants grants;
  grants.add(std::string_view("posts"), action_bit(Action::data_read) | action_bit(Action::data_update));
  grants.add(std::string_view("sink"), action_bit(Action::data_add));
  for (const auto& shape : all) {
    std::string n = std::to_string(shape.index);
    grants.add(std::string_view("v_" + n), action_bit(Action::data_read));
    grants.add(std::string_view("host_" + n), action_bit(Action::data_add));
  }
  return grants;
}

struct Placement {
  std::string_view name;
  std::string (*sql)(const Shape&);
};

const std::array<Placement, 8> kPlacements{{
    {"top level", [](const Shape& s) { return "SELECT * FROM " + s.source; }},
    {"sub-query", [](const Shape& s) { return "SELECT * FROM posts WHERE EXISTS (SELECT * FROM " + s.source + ")"; }},
    {"CTE", [](const Shape& s) { return "WITH c AS (SELECT * FROM " + s.source + ") SELECT * FROM c"; }},
    {"view body", [](const Shape& s) { return "SELECT * FROM v_" + std::to_string(s.index); }},
    {"trigger body",
     [](const Shape& s) { return "INSERT INTO host_" + std::to_string(s.index) + "(x) VALUES (1)"; }},
    {"INSERT ... SELECT", [](const Shape& s) { return "INSERT INTO sink(v) SELECT count(*) FROM " + s.source; }},
    // UPDATE … FROM reads its target (the authorizer reports its rowid): posts.
    {"UPDATE ... FROM", [](const Shape& s) { return "UPDATE posts SET title = 'x' FROM " + s.source; }},
    {"RETURNING",
     [](const Shape& s) {
       return "INSERT INTO sink(v) VALUES (1) RETURNING (SELECT count(*) FROM " + s.source + ")";
     }},
}};

}  // namespace

TEST_CASE("join witness: every join shape and placement touching secrets is denied, posts-only ones allowed") {
  auto all = shapes();
  auto built = SchemaSnapshot::build_from_sql(schema_sql(all));
  REQUIRE(built.snapshot);
  REQUIRE(built.snapshot->problems().size() == 0);
  SchemaSource source(built.snapshot);
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  Grants grants = posts_reader(all);

  std::size_t denied = 0, allowed = 0, authorizer_missed = 0;
  for (const auto& placement : kPlacements) {
    for (const auto& shape : all) {
      std::string sql = placement.sql(shape);
      CAPTURE(placement.name);
      CAPTURE(sql);
      auto analysis = analyzer.analyze(sql);
      REQUIRE(analysis->size() == 1);
      const StatementRequirements& statement = analysis->front();
      REQUIRE_FALSE(statement.parse_error);
      Decision decision = decide(grants, *analysis);
      if (shape.touches_secrets) {
        CHECK_FALSE(decision.allowed);
        // Denied for secrets itself, whichever witness saw it.
        bool names_secrets = std::find(statement.requirements.begin(), statement.requirements.end(),
                                       Requirement{"secrets", Action::data_read}) != statement.requirements.end();
        CHECK(names_secrets);
        denied += decision.allowed ? 0 : 1;
        auto authorizer_end =
            statement.requirements.begin() + static_cast<std::ptrdiff_t>(statement.from_authorizer);
        bool authorizer_saw = std::find(statement.requirements.begin(), authorizer_end,
                                        Requirement{"secrets", Action::data_read}) != authorizer_end;
        if (!authorizer_saw && !statement.forbidden) ++authorizer_missed;
      } else {
        CHECK(decision.allowed);
        allowed += decision.allowed ? 1 : 0;
      }
    }
  }
  // On SQLite 3.40.1 the authorizer alone misses secrets in several of these
  // (the landed gate allowed them); informational, a fixed SQLite misses none.
  MESSAGE("statements whose secrets read only the program witness reported: " << authorizer_missed);
  CHECK(denied == 5 * 3 * 3 * kPlacements.size());
  CHECK(allowed == 5 * 3 * 1 * kPlacements.size());
}

TEST_CASE("join witness: the known authorizer gap is closed by the program witness alone") {
  SchemaSource source(testing::fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  for (std::string_view sql : {"SELECT * FROM secrets a NATURAL FULL JOIN secrets b",
                               "SELECT 1 FROM posts NATURAL RIGHT JOIN secrets",
                               "INSERT INTO audit_log(what) SELECT secret FROM secrets a NATURAL FULL JOIN secrets b"}) {
    CAPTURE(sql);
    auto analysis = analyzer.analyze(sql);
    REQUIRE(analysis->size() == 1);
    const StatementRequirements& statement = analysis->front();
    Requirement read_secrets{"secrets", Action::data_read};
    auto authorizer_end = statement.requirements.begin() + static_cast<std::ptrdiff_t>(statement.from_authorizer);
    // SQLite 3.40.1 reports no read of secrets here: if a newer SQLite does,
    // this still passes through the second CHECK.
    if (std::find(statement.requirements.begin(), authorizer_end, read_secrets) == authorizer_end) {
      MESSAGE("authorizer gap present: only the program witness names secrets");
    }
    CHECK(std::find(statement.requirements.begin(), statement.requirements.end(), read_secrets) !=
          statement.requirements.end());
    bool opened_secrets = std::any_of(statement.opened.begin(), statement.opened.end(), [](const OpenedObject& o) {
      return o.kind == OpenedKind::table && o.table == "secrets" && !o.write;
    });
    CHECK(opened_secrets);
  }
}

TEST_CASE("join witness: virtual tables and table-valued pragmas in a NATURAL FULL JOIN") {
  SchemaSource source(testing::fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  CHECK(testing::format_analysis(*analyzer.analyze("SELECT * FROM docs a NATURAL FULL JOIN docs b")) ==
        "data_read:docs");
  CHECK(testing::format_analysis(*analyzer.analyze(
            "SELECT * FROM pragma_table_info('users') a NATURAL FULL JOIN pragma_table_info('secrets') b")) ==
        "forbidden:program_unreported_virtual_table");
  CHECK(testing::format_analysis(*analyzer.analyze("SELECT * FROM json_each('[1]') a NATURAL FULL JOIN "
                                                   "json_each('[2]') b")) == "none");
}

TEST_CASE("join witness: the client's own EXPLAIN and empty statements still get the program read") {
  SchemaSource source(testing::fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  CHECK(testing::format_analysis(*analyzer.analyze("EXPLAIN SELECT * FROM secrets a NATURAL FULL JOIN secrets b")) ==
        "data_read:secrets");
  CHECK(testing::format_analysis(*analyzer.analyze(
            "EXPLAIN QUERY PLAN SELECT * FROM secrets a NATURAL FULL JOIN secrets b")) == "data_read:secrets");
  CHECK(testing::format_analysis(*analyzer.analyze(
            "SELECT 1; /* x */ ; -- y\n ; SELECT * FROM secrets a NATURAL FULL JOIN secrets b")) ==
        "none | data_read:secrets");
  CHECK(testing::format_analysis(*analyzer.analyze("QUERY PLAN SELECT 1")) == "parse_error");
}

TEST_CASE("join witness: opened tables are cached with the analysis") {
  SchemaSource source(testing::fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto first = analyzer.analyze("SELECT * FROM secrets a NATURAL FULL JOIN secrets b");
  auto second = analyzer.analyze("SELECT * FROM secrets a NATURAL FULL JOIN secrets b");
  CHECK(first == second);  // the same shared analysis: nothing recompiled
  CHECK(analyzer.cache().hits() == 1);
  REQUIRE_FALSE(second->front().opened.empty());
}
