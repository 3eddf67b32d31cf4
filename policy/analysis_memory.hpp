#pragma once
// A bound on the memory one analysis may take (SPEC §6: "each statement's
// analysis ≤ … a bounded amount of memory"). A short text can make SQLite's
// compiler build an exponential program: 16 CTEs each using the previous one
// twice in scalar sub-queries take 100 MB and 0.3 s to prepare, 20 take 1.6 GB.
//
// SQLite's allocations go through a counting wrapper around its default
// allocator (installed by initialize_sqlite, before sqlite3_initialize). While an
// AnalysisMemoryBound lives on a thread, that thread's allocations beyond its
// limit fail, so SQLite stops with SQLITE_NOMEM and the analysis reports
// SQL_TOO_COMPLEX. The count is per thread and only kept while a bound is alive:
// no lock and no global counter (SQLITE_CONFIG_MEMSTATUS stays off, DESIGN.md).
#include <cstddef>
#include <cstdint>

namespace gate::policy {

// Wraps SQLite's default allocator; false if SQLite was already initialised.
bool install_counting_allocator();

class AnalysisMemoryBound {
 public:
  explicit AnalysisMemoryBound(std::int64_t limit_bytes);
  ~AnalysisMemoryBound();
  AnalysisMemoryBound(const AnalysisMemoryBound&) = delete;
  AnalysisMemoryBound& operator=(const AnalysisMemoryBound&) = delete;

  // An allocation was refused while this bound was alive.
  bool exceeded() const;
};

}  // namespace gate::policy
