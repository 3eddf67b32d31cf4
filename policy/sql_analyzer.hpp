#pragma once
// What SQL needs (SPEC §6), asked of SQLite itself: each statement is prepared —
// never executed — against a private schema-only copy with a recording authorizer.
//
// Threading: one SqlAnalyzer per worker thread. It owns its SQLite connection and
// its cache and is not thread-safe; several analyzers share one SchemaSource and
// pick up a newly published snapshot on their next call (no lock on the hot path).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/analysis_cache.hpp"
#include "policy/authorizer_recorder.hpp"
#include "policy/policy_config.hpp"
#include "policy/requirement.hpp"
#include "policy/schema_source.hpp"

namespace gate::policy {

struct AnalyzerOptions {
  std::size_t cache_capacity = 4096;  // entries; 0 disables the cache
  std::size_t cache_max_sql_bytes = 16 * 1024;
  // Bound on the VM steps spent applying one DDL statement of a batch to the copy
  // (CREATE TABLE AS SELECT over an infinite recursive CTE must not hang a worker).
  int ddl_step_budget = 1'000'000;
  // SQLite memory one text's analysis may take (analysis_memory.hpp); beyond it
  // the text is refused with SQL_TOO_COMPLEX.
  std::int64_t max_analysis_bytes = 64 * 1024 * 1024;
};

class SqlAnalyzer {
 public:
  // `schema` must outlive the analyzer. `config` is copied (a config reload makes
  // new analyzers; results depend on it, so the cache does too).
  SqlAnalyzer(const SchemaSource& schema, PolicyConfig config, AnalyzerOptions options = {});
  ~SqlAnalyzer();
  SqlAnalyzer(const SqlAnalyzer&) = delete;
  SqlAnalyzer& operator=(const SqlAnalyzer&) = delete;

  // One SQL text, possibly several statements: one StatementRequirements per
  // non-empty statement, in order. DDL earlier in the text is applied to the copy
  // so later statements see it. A statement SQLite cannot prepare ends the text:
  // it (with the rest of the text) is reported as parse_error or forbidden.
  SharedAnalysis analyze(std::string_view sql);

  // Several texts in order (a Hrana batch or pipeline): DDL in an earlier text is
  // applied to the copy inside a SAVEPOINT so later texts are analysed against the
  // new schema; the copy is rolled back afterwards.
  std::vector<SharedAnalysis> analyze_batch(std::span<const std::string_view> texts);

  // The schema version the last call analysed against (0 if no copy could be
  // opened). The proxy compares it after a parse error to decide on a refresh.
  std::uint64_t schema_version() const;
  // Why the schema copy could not be opened, "" when fine.
  const std::string& copy_error() const { return copy_error_; }
  const AnalysisCache& cache() const { return cache_; }

 private:
  struct Copy;
  struct BatchState;

  void follow_schema();
  // One text, within options_.max_analysis_bytes of SQLite memory.
  SharedAnalysis analyze_text(std::string_view text, BatchState& batch, bool more_texts_follow);
  SharedAnalysis analyze_text_unbounded(std::string_view text, BatchState& batch, bool more_texts_follow);
  void apply_to_copy(std::string_view statement_sql, BatchState& batch);
  bool learn_eponymous_tables();
  void end_batch(BatchState& batch);

  const SchemaSource& schema_;
  PolicyConfig config_;
  AnalyzerOptions options_;
  AuthorizerRecorder recorder_;  // declared before copy_: outlives the connection
  std::unique_ptr<Copy> copy_;
  std::uint64_t seen_generation_ = 0;
  std::string copy_error_;
  AnalysisCache cache_;
};

}  // namespace gate::policy
