#include <doctest/doctest.h>

#include "policy/analysis_cache.hpp"

using namespace gate::policy;

namespace {
SharedAnalysis analysis_named(const std::string& sql) {
  StatementRequirements s;
  s.sql = sql;
  return std::make_shared<const Analysis>(Analysis{s});
}
}  // namespace

TEST_CASE("analysis cache: keyed by schema version and text") {
  AnalysisCache cache(8);
  cache.insert(1, "SELECT 1", analysis_named("a"));
  CHECK(cache.find(1, "SELECT 1")->front().sql == "a");
  CHECK(cache.find(2, "SELECT 1") == nullptr);
  CHECK(cache.find(1, "SELECT 1 ") == nullptr);
  CHECK(cache.hits() == 1);
  CHECK(cache.misses() == 2);
}

TEST_CASE("analysis cache: bounded, least recently used goes first") {
  AnalysisCache cache(2);
  cache.insert(1, "a", analysis_named("a"));
  cache.insert(1, "b", analysis_named("b"));
  CHECK(cache.find(1, "a"));  // a is now the most recent
  cache.insert(1, "c", analysis_named("c"));
  CHECK(cache.size() == 2);
  CHECK(cache.find(1, "b") == nullptr);
  CHECK(cache.find(1, "a"));
  CHECK(cache.find(1, "c"));
}

TEST_CASE("analysis cache: re-inserting replaces, long texts and capacity 0 are not cached") {
  AnalysisCache cache(4, 8);
  cache.insert(1, "a", analysis_named("first"));
  cache.insert(1, "a", analysis_named("second"));
  CHECK(cache.size() == 1);
  CHECK(cache.find(1, "a")->front().sql == "second");
  cache.insert(1, "123456789", analysis_named("long"));
  CHECK(cache.find(1, "123456789") == nullptr);
  AnalysisCache off(0);
  off.insert(1, "a", analysis_named("a"));
  CHECK(off.find(1, "a") == nullptr);
  CHECK(off.size() == 0);
}
