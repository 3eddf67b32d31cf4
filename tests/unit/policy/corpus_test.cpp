#include <doctest/doctest.h>

#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"
#include "tests/unit/policy/corpus_cases.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;

TEST_CASE("corpus: every statement has its exact expected analysis") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  std::size_t failures = 0;
  for (const auto& c : kCorpus) {
    auto analysis = analyzer.analyze(c.sql);
    std::string got = format_analysis(*analysis);
    CAPTURE(c.sql);
    CAPTURE(c.rule);
    CHECK(got == c.expected);
    if (got != c.expected) ++failures;
  }
  CHECK(failures == 0);
  CHECK(std::size(kCorpus) >= 200);
}

TEST_CASE("corpus: the copy is unchanged after every case (run twice, in reverse)") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0});
  for (auto it = std::rbegin(kCorpus); it != std::rend(kCorpus); ++it) {
    CAPTURE(it->sql);
    CHECK(format_analysis(*analyzer.analyze(it->sql)) == it->expected);
  }
}

TEST_CASE("corpus: cached answers equal fresh ones") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  for (int round = 0; round < 2; ++round) {
    for (const auto& c : kCorpus) {
      CAPTURE(c.sql);
      CHECK(format_analysis(*analyzer.analyze(c.sql)) == c.expected);
    }
  }
  CHECK(analyzer.cache().hits() >= std::size(kCorpus) - 5);
}

TEST_CASE("corpus: each statement's text is its own") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  auto analysis = analyzer.analyze("SELECT 1;  /* c */ DELETE FROM secrets ;\n");
  REQUIRE(analysis->size() == 2);
  CHECK((*analysis)[0].sql == "SELECT 1;");
  CHECK((*analysis)[1].sql == "/* c */ DELETE FROM secrets ;");
}
