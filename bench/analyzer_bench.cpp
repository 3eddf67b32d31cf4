// Analyses per second of the SqlAnalyzer (DESIGN.md: "SQL is analysed by SQLite's
// own compiler"), uncached (a prepare with the recording authorizer) and cached
// (per-thread LRU hit), with 1 and 2 threads, each thread owning its analyzer as
// the proxy's workers do. Targets (issue 4): uncached >= 50k/s per core for typical
// statements, cached >= 2M/s.
//
//   cmake -S . -B build-bench -DLIBSQL_GATE_BENCH=ON -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-bench --target analyzer_bench && build-bench/bench/analyzer_bench
#include <benchmark/benchmark.h>

#include <array>
#include <mutex>
#include <string_view>

#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "tests/unit/policy/analyzer_test_support.hpp"

using namespace gate::policy;

namespace {

// What an application typically sends.
constexpr std::array<std::string_view, 6> kTypical{
    "SELECT id, name, email FROM users WHERE id = ?",
    "SELECT c.id, c.body, u.name FROM comments c JOIN users u ON u.id = c.user_id WHERE c.post_id = ? "
    "ORDER BY c.id DESC LIMIT 20",
    "INSERT INTO comments(user_id, post_id, body) VALUES (?, ?, ?)",
    "UPDATE posts SET title = ? WHERE id = ?",
    "DELETE FROM secrets WHERE id = ?",
    "SELECT count(*) FROM posts WHERE user_id = ?",
};

SchemaSource& shared_schema() {
  static SchemaSource source(gate::policy::testing::fixture_snapshot());
  return source;
}

void run(benchmark::State& state, std::size_t cache_capacity) {
  SqlAnalyzer analyzer(shared_schema(), PolicyConfig{}, AnalyzerOptions{.cache_capacity = cache_capacity});
  for (auto sql : kTypical) benchmark::DoNotOptimize(analyzer.analyze(sql));  // clone + warm outside timing
  std::size_t i = 0;
  for (auto _ : state) {
    auto analysis = analyzer.analyze(kTypical[i]);
    benchmark::DoNotOptimize(analysis);
    i = (i + 1) % kTypical.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_AnalyzeUncached(benchmark::State& state) {
  run(state, 0);
}
void BM_AnalyzeCached(benchmark::State& state) {
  run(state, 4096);
}

// The alternative to a per-thread cache: one shared cache behind a mutex (what a
// sharded cache costs per shard). Compare with BM_AnalyzeCached at 2 threads.
void BM_SharedCacheBehindMutex(benchmark::State& state) {
  static std::mutex mutex;
  static AnalysisCache& cache = *[] {
    auto* c = new AnalysisCache(4096);
    for (auto sql : kTypical) c->insert(1, sql, std::make_shared<const Analysis>());
    return c;
  }();
  std::size_t i = 0;
  for (auto _ : state) {
    std::lock_guard lock(mutex);
    auto hit = cache.find(1, kTypical[i]);
    benchmark::DoNotOptimize(hit);
    i = (i + 1) % kTypical.size();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CloneSchemaCopy(benchmark::State& state) {
  auto snapshot = shared_schema().current();
  for (auto _ : state) {
    std::string error;
    auto db = snapshot->open_copy(error);
    benchmark::DoNotOptimize(db.get());
  }
}

}  // namespace

BENCHMARK(BM_AnalyzeUncached)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_AnalyzeCached)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_SharedCacheBehindMutex)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_CloneSchemaCopy);

int main(int argc, char** argv) {
  initialize_sqlite();  // SQLITE_CONFIG_MEMSTATUS off before anything touches SQLite
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
