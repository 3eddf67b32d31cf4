#include "policy/analysis_cache.hpp"

namespace gate::policy {

AnalysisCache::AnalysisCache(std::size_t capacity, std::size_t max_sql_bytes)
    : capacity_(capacity), max_sql_bytes_(max_sql_bytes) {
  index_.reserve(capacity);
}

SharedAnalysis AnalysisCache::find(std::uint64_t schema_version, std::string_view sql) {
  if (capacity_ == 0) return nullptr;
  auto it = index_.find(KeyView{schema_version, sql});
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  entries_.splice(entries_.begin(), entries_, it->second);  // no allocation
  return it->second->analysis;
}

void AnalysisCache::insert(std::uint64_t schema_version, std::string_view sql, SharedAnalysis analysis) {
  if (capacity_ == 0 || sql.size() > max_sql_bytes_ || !analysis) return;
  auto existing = index_.find(KeyView{schema_version, sql});
  if (existing != index_.end()) {
    existing->second->analysis = std::move(analysis);
    entries_.splice(entries_.begin(), entries_, existing->second);
    return;
  }
  if (entries_.size() >= capacity_) {
    const Entry& oldest = entries_.back();
    index_.erase(KeyView{oldest.version, oldest.sql});
    entries_.pop_back();
  }
  entries_.push_front(Entry{schema_version, std::string(sql), std::move(analysis)});
  index_.emplace(KeyView{schema_version, entries_.front().sql}, entries_.begin());
}

void AnalysisCache::clear() {
  index_.clear();
  entries_.clear();
}

}  // namespace gate::policy
