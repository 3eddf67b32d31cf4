// libFuzzer target for the SqlAnalyzer: any SQL text against the fixture schema.
// It must never crash, and every statement it returns must be refused
// (parse_error / forbidden), be transaction control, name what it needs, or be a
// genuine no-op — which is checked independently: the same statement prepared on
// a plain copy of the schema must be read-only by SQLite's own account. The
// decision must agree: with no grants only such statements pass, with every
// grant all but the refused ones do. The schema copy must never change.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "policy/decision.hpp"
#include "policy/grants.hpp"
#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;

namespace {

struct Harness {
  std::shared_ptr<const SchemaSnapshot> snapshot = testing::fixture_snapshot();
  SchemaSource source{snapshot};
  SqlAnalyzer analyzer{source, PolicyConfig{}, AnalyzerOptions{.cache_capacity = 0}};
  SqliteDb plain;  // no authorizer: SQLite's own read-only verdict
  Grants none;
  Grants everything;
  std::string canary = "data_read:secret_view,data_read:secrets,data_read:users";
  std::uint64_t runs = 0;

  Harness() {
    std::string error;
    plain = snapshot->open_copy(error);
    if (!plain) std::abort();
    everything.add(std::nullopt, kAllActionsMask);
  }

  bool sqlite_says_readonly(const std::string& sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(plain.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
        SQLITE_OK) {
      return true;  // cannot judge (e.g. depends on DDL earlier in the text)
    }
    SqliteStmt stmt(raw);
    return !stmt || sqlite3_stmt_readonly(stmt.get());
  }
};

[[noreturn]] void fail(const char* what, std::string_view sql) {
  std::fprintf(stderr, "fuzz_sql_analyzer: %s\n  SQL: %.*s\n", what, static_cast<int>(sql.size()),
               sql.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness* h = new Harness();
  std::string_view sql(reinterpret_cast<const char*>(data), size);
  auto analysis = h->analyzer.analyze(sql);
  bool ddl_earlier = false;
  for (const auto& s : *analysis) {
    bool refused = s.parse_error || s.forbidden;
    if (!refused && !s.transaction_control && s.requirements.empty()) {
      // Claims to need nothing: SQLite must agree it writes nothing. (Skipped
      // after DDL earlier in the text: the plain copy does not have it.)
      if (!ddl_earlier && !h->sqlite_says_readonly(s.sql)) fail("a writing statement needs no grant", s.sql);
    }
    if (s.changes_schema && s.requirements.empty() && !refused) fail("DDL with no requirement", s.sql);
    Decision with_none = decide(h->none, std::span<const StatementRequirements>(&s, 1));
    Decision with_all = decide(h->everything, std::span<const StatementRequirements>(&s, 1));
    bool free =
        !refused && std::all_of(s.requirements.begin(), s.requirements.end(), [](const Requirement& r) {
          return r.table && r.action == Action::data_read && is_always_readable_table(*r.table);
        });
    if (with_none.allowed != free) fail("decision with no grants disagrees with the requirements", s.sql);
    if (with_all.allowed == refused) fail("decision with every grant disagrees with the refusal", s.sql);
    ddl_earlier = ddl_earlier || s.changes_schema;
  }
  if (++h->runs % 64 == 0) {
    auto probe = testing::format_analysis(*h->analyzer.analyze("SELECT count(*) FROM secret_view"));
    if (probe != h->canary) fail("the schema copy changed", sql);
  }
  return 0;
}
