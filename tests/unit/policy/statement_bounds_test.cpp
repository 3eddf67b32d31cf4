// SPEC §6 "analysis is bounded" (#14 class 3, in part): a text over
// policy.max_statement_bytes is refused with SQL_TOO_COMPLEX without being
// analysed; one at the bound is analysed as usual.
#include <doctest/doctest.h>

#include <string>

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
