#pragma once
// Analyses already made, per (schema version, SQL text): a bounded LRU. Owned by
// one SqlAnalyzer, so by one thread: no locks on the hot path (a per-thread cache
// costs memory per thread but never contends; measured in bench/analyzer_bench).
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy/requirement.hpp"

namespace gate::policy {

class AnalysisCache {
 public:
  // capacity 0 disables caching. Texts longer than max_sql_bytes are not cached
  // (they are rare and would let one client evict everyone's entries).
  explicit AnalysisCache(std::size_t capacity, std::size_t max_sql_bytes = 16 * 1024);
  AnalysisCache(const AnalysisCache&) = delete;
  AnalysisCache& operator=(const AnalysisCache&) = delete;

  SharedAnalysis find(std::uint64_t schema_version, std::string_view sql);
  void insert(std::uint64_t schema_version, std::string_view sql, SharedAnalysis analysis);
  void clear();

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }
  std::uint64_t hits() const { return hits_; }
  std::uint64_t misses() const { return misses_; }

 private:
  struct Entry {
    std::uint64_t version;
    std::string sql;
    SharedAnalysis analysis;
  };
  // Views into the list's own strings (list nodes never move).
  struct KeyView {
    std::uint64_t version;
    std::string_view sql;
    friend bool operator==(const KeyView&, const KeyView&) = default;
  };
  struct KeyHash {
    std::size_t operator()(const KeyView& key) const noexcept {
      return std::hash<std::string_view>{}(key.sql) ^ (key.version * 0x9e3779b97f4a7c15ull);
    }
  };

  std::size_t capacity_;
  std::size_t max_sql_bytes_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<KeyView, std::list<Entry>::iterator, KeyHash> index_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

}  // namespace gate::policy
