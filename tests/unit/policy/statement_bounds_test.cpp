// SPEC §6 "analysis is bounded" (#14 class 3, in part): a text over
// policy.max_statement_bytes is refused with SQL_TOO_COMPLEX without being
// analysed; one at the bound is analysed as usual.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "policy/decision.hpp"
#include "policy/grants.hpp"
#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;
using gate::policy::testing::fixture_snapshot;
using gate::policy::testing::format_analysis;

TEST_CASE("statement bounds: a text over policy.max_statement_bytes is SQL_TOO_COMPLEX, unanalysed") {
  SchemaSource source(fixture_snapshot());
  PolicyConfig config;
  config.max_statement_bytes = 2048;
  SqlAnalyzer analyzer(source, config);
  // Padding in a comment: the same statement at and over the bound.
  const std::string head = "SELECT name FROM users /*";
  const std::string at_bound = head + std::string(2048 - head.size() - 2, 'x') + "*/";
  REQUIRE(at_bound.size() == 2048);
  CHECK(format_analysis(*analyzer.analyze(at_bound)) == "data_read:users");
  const std::string over = head + std::string(2048 - head.size() - 1, 'x') + "*/";
  const auto analysis = analyzer.analyze(over);
  CHECK(format_analysis(*analysis) == "forbidden:too_complex");
  Grants everything;
  everything.add(std::nullopt, kAllActionsMask);
  const Decision decision = decide(everything, *analysis);
  CHECK_FALSE(decision.allowed);
  CHECK(decision.code == kCodeSqlTooComplex);
  CHECK(decision.message.find("policy.max_statement_bytes (2048)") != std::string::npos);
  // Several statements in one text count together: the text is what is bounded.
  const std::string many = std::string(200, ' ') + [] {
    std::string s;
    for (int i = 0; i < 300; ++i) s += "SELECT 1;";
    return s;
  }();
  CHECK(format_analysis(*analyzer.analyze(many)) == "forbidden:too_complex");
}

TEST_CASE("statement bounds: the default bound is SPEC's 1 MiB") {
  CHECK(PolicyConfig{}.max_statement_bytes == 1048576);
}

namespace {

// n CTEs, each using the previous one twice in scalar sub-queries: SQLite's
// program doubles with each (16: ~100 MB to prepare unbounded, 20: ~1.6 GB).
std::string doubling_ctes(int n) {
  std::string sql = "WITH c1 AS (SELECT id AS x FROM users)";
  for (int i = 2; i <= n; ++i) {
    const std::string prev = "c" + std::to_string(i - 1);
    sql += ", c" + std::to_string(i) + " AS (SELECT (SELECT x FROM " + prev + ") + (SELECT x FROM " + prev + ") AS x)";
  }
  return sql + " SELECT * FROM c" + std::to_string(n);
}

}  // namespace

TEST_CASE("statement bounds: an analysis that needs more memory than its bound is SQL_TOO_COMPLEX") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  CHECK(format_analysis(*analyzer.analyze(doubling_ctes(8))) == "data_read:users");
  const auto refused = analyzer.analyze(doubling_ctes(22));
  CHECK(format_analysis(*refused) == "forbidden:too_complex");
  Grants everything;
  everything.add(std::nullopt, kAllActionsMask);
  CHECK(decide(everything, *refused).code == kCodeSqlTooComplex);
  // SQLite recovered: the same analyzer goes on answering exactly.
  CHECK(format_analysis(*analyzer.analyze("SELECT name FROM users")) == "data_read:users");
  CHECK(format_analysis(*analyzer.analyze(doubling_ctes(8))) == "data_read:users");
}

TEST_CASE("statement bounds: the memory bound is per analyzer option and per text") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer small(source, PolicyConfig{},
                    AnalyzerOptions{.cache_capacity = 0, .max_analysis_bytes = 2 * 1024 * 1024});
  CHECK(format_analysis(*small.analyze(doubling_ctes(14))) == "forbidden:too_complex");
  // A batch: the refused text is refused, the others are analysed.
  const std::string heavy = doubling_ctes(14);
  const std::string_view texts[] = {"SELECT name FROM users", heavy, "SELECT body FROM comments"};
  std::vector<std::string> got;
  for (const auto& a : small.analyze_batch(texts)) got.push_back(format_analysis(*a));
  CHECK(got == std::vector<std::string>{"data_read:users", "forbidden:too_complex", "data_read:comments"});
}
