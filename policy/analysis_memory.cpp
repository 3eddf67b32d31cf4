#include "policy/analysis_memory.hpp"

#include <sqlite3.h>

namespace gate::policy {

namespace {

sqlite3_mem_methods system_methods{};

// This thread's allocations while a bound is alive. Memory allocated before the
// bound and freed during it lowers the count (the bound is then looser, never
// stricter, than the analysis's own use).
struct ThreadCount {
  bool active = false;
  bool exceeded = false;
  std::int64_t used = 0;
  std::int64_t limit = 0;
};
thread_local ThreadCount count;

void* counting_malloc(int bytes) {
  if (count.active && count.used + bytes > count.limit) {
    count.exceeded = true;
    return nullptr;
  }
  void* p = system_methods.xMalloc(bytes);
  if (p && count.active) count.used += system_methods.xSize(p);
  return p;
}

void counting_free(void* p) {
  if (p && count.active) count.used -= system_methods.xSize(p);
  system_methods.xFree(p);
}

void* counting_realloc(void* p, int bytes) {
  if (!count.active) return system_methods.xRealloc(p, bytes);
  const std::int64_t before = p ? system_methods.xSize(p) : 0;
  if (count.used - before + bytes > count.limit) {
    count.exceeded = true;
    return nullptr;
  }
  void* q = system_methods.xRealloc(p, bytes);
  if (q) count.used += system_methods.xSize(q) - before;
  return q;
}

int counting_size(void* p) { return system_methods.xSize(p); }
int counting_roundup(int bytes) { return system_methods.xRoundup(bytes); }
int counting_init(void* data) { return system_methods.xInit(data); }
void counting_shutdown(void* data) { system_methods.xShutdown(data); }

}  // namespace

bool install_counting_allocator() {
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &system_methods) != SQLITE_OK) return false;
  sqlite3_mem_methods counting = system_methods;
  counting.xMalloc = counting_malloc;
  counting.xFree = counting_free;
  counting.xRealloc = counting_realloc;
  counting.xSize = counting_size;
  counting.xRoundup = counting_roundup;
  counting.xInit = counting_init;
  counting.xShutdown = counting_shutdown;
  return sqlite3_config(SQLITE_CONFIG_MALLOC, &counting) == SQLITE_OK;
}

AnalysisMemoryBound::AnalysisMemoryBound(std::int64_t limit_bytes) {
  count = ThreadCount{true, false, 0, limit_bytes};
}

AnalysisMemoryBound::~AnalysisMemoryBound() { count.active = false; }

bool AnalysisMemoryBound::exceeded() const { return count.exceeded; }

}  // namespace gate::policy
