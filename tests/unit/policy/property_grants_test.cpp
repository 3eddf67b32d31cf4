// Property: for random grant sets, no statement of the corpus is allowed unless
// every one of its requirements is granted (and it is neither forbidden nor a
// parse error); and with every requirement granted it is allowed. Written against
// the real decision function (policy/decision.hpp) with an independent model of
// what a grant set covers.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "policy/decision.hpp"
#include "policy/grants.hpp"
#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"
#include "tests/unit/policy/corpus_cases.hpp"

using namespace gate::policy;
using namespace gate::policy::testing;

namespace {

struct Model {
  ActionMask all = 0;
  std::map<std::string, ActionMask> tables;

  bool covers(const Requirement& r) const {
    ActionMask bit = action_bit(r.action);
    if (all & bit) return true;
    if (!r.table) return false;
    if (r.action == Action::data_read && is_always_readable_table(*r.table)) return true;
    auto it = tables.find(*r.table);
    return it != tables.end() && (it->second & bit);
  }
};

}  // namespace

TEST_CASE("property: random grants x corpus — nothing ungranted is ever allowed") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  std::vector<SharedAnalysis> analyses;
  std::set<std::string> tables;
  for (const auto& c : kCorpus) {
    analyses.push_back(analyzer.analyze(c.sql));
    for (const auto& s : *analyses.back()) {
      for (const auto& r : s.requirements) {
        if (r.table) tables.insert(*r.table);
      }
    }
  }
  std::vector<std::string> table_list(tables.begin(), tables.end());
  table_list.push_back("not_in_any_statement");

  std::mt19937_64 rng(20261128);
  std::size_t allowed = 0, denied = 0;
  for (int round = 0; round < 400; ++round) {
    Model model;
    Grants grants;
    // Mostly sparse grant sets, sometimes dense, sometimes with an "all" part.
    int density = static_cast<int>(rng() % 4);
    if (rng() % 5 == 0) {
      model.all = static_cast<ActionMask>(rng() & kAllActionsMask);
      grants.add(std::nullopt, model.all);
    }
    for (const auto& t : table_list) {
      if (static_cast<int>(rng() % 4) > density) continue;
      auto mask = static_cast<ActionMask>(rng() & kAllActionsMask);
      if (rng() % 3 == 0) mask = kAllActionsMask;
      if (!mask) continue;
      model.tables[t] |= mask;
      grants.add(t, mask);
    }
    for (std::size_t i = 0; i < analyses.size(); ++i) {
      const Analysis& analysis = *analyses[i];
      Decision decision = decide(grants, analysis);
      bool model_allows = true;
      for (const auto& s : analysis) {
        if (s.forbidden || s.parse_error) model_allows = false;
        for (const auto& r : s.requirements) model_allows = model_allows && model.covers(r);
      }
      CAPTURE(kCorpus[i].sql);
      CAPTURE(round);
      if (decision.allowed) {
        ++allowed;
        CHECK(model_allows);
      } else {
        ++denied;
        CHECK_FALSE(model_allows);
      }
    }
  }
  // The generator must exercise both outcomes.
  CHECK(allowed > 1000);
  CHECK(denied > 1000);
}

TEST_CASE("property: forbidden and unparsable statements are denied even with every grant") {
  SchemaSource source(fixture_snapshot());
  SqlAnalyzer analyzer(source, PolicyConfig{});
  Grants everything;
  everything.add(std::nullopt, kAllActionsMask);
  for (const auto& c : kCorpus) {
    auto analysis = analyzer.analyze(c.sql);
    bool bad = false;
    for (const auto& s : *analysis) bad = bad || s.forbidden || s.parse_error;
    CAPTURE(c.sql);
    CHECK(decide(everything, *analysis).allowed == !bad);
  }
}
