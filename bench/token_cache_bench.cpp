// Cost of a cached token lookup (benchmark, not a test): the digest + sharded LRU
// alone, and the Authenticator's whole cache-hit path (size check, SHA-256, shard
// lookup, removal-epoch and staleness checks), on 1 and 2 threads.
//
//   cmake -S . -B build-bench -DLIBSQL_GATE_BENCH=ON && cmake --build build-bench --target token_cache_bench
//   build-bench/bench/token_cache_bench
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "jwks/authenticator.hpp"
#include "jwks/signer.hpp"
#include "jwks/token_cache.hpp"

namespace gate::jwks {
namespace {

constexpr int kTokens = 1024;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A realistic Clerk-sized token (~800 bytes) signed with ES256.
struct Fixture {
  Fixture() {
    auto key = generate_key(Algorithm::ES256, "bench-key");
    char path[] = "/tmp/token-cache-bench-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    jwks_path = path;
    std::ofstream(jwks_path) << key->jwks_json;

    IssuerConfig issuer;
    issuer.name = "bench";
    issuer.issuer = "https://issuer.bench";
    issuer.key_source = KeySourceKind::jwks_file;
    issuer.key_location = jwks_path;
    issuer.algorithms = {Algorithm::ES256};
    auth = std::make_unique<Authenticator>(std::vector<IssuerConfig>{issuer});
    auth->start(context);

    now = unix_now();
    for (int i = 0; i < kTokens; ++i) {
      nlohmann::json claims{{"iss", issuer.issuer},
                            {"sub", "user_2abcdefghijklmnopqrstuvwxyz" + std::to_string(i)},
                            {"exp", now + 3600},
                            {"iat", now},
                            {"azp", "https://app.example.com"},
                            {"sid", "sess_2abcdefghijklmnopqrstuvwxyz"},
                            {"perm", {{{"t", {"comments", "posts"}}, {"a", {"data_read", "data_add"}}}}},
                            {"metadata", std::string(300, 'm')}};
      tokens.push_back(*sign_token(claims, key->private_pem, std::string("bench-key")).token);
      if (!auth->authenticate_without_waiting(tokens.back(), now).ok()) std::abort();
    }
  }
  ~Fixture() { std::remove(jwks_path.c_str()); }

  std::string jwks_path;
  boost::asio::io_context context;
  std::unique_ptr<Authenticator> auth;
  std::vector<std::string> tokens;
  std::int64_t now = 0;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_TokenCacheDigestAndFind(benchmark::State& state) {
  static TokenCache cache(100'000, 16);
  auto& f = fixture();
  if (state.thread_index() == 0) {
    for (const auto& token : f.tokens) {
      auto verified = std::make_shared<VerifiedToken>();
      verified->exp = static_cast<double>(f.now + 3600);
      cache.insert(cache.digest(token), std::make_shared<const CachedToken>(CachedToken{verified, 0, 0}));
    }
  }
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    const auto& token = f.tokens[i++ % f.tokens.size()];
    benchmark::DoNotOptimize(cache.find(cache.digest(token), f.now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenCacheDigestAndFind)->Threads(1)->Threads(2)->UseRealTime();

void BM_TokenDigestOnly(benchmark::State& state) {
  static TokenCache cache(1, 1);
  auto& f = fixture();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cache.digest(f.tokens[i++ % f.tokens.size()]));
  state.SetItemsProcessed(state.iterations());
  state.counters["token_bytes"] = static_cast<double>(f.tokens[0].size());
}
BENCHMARK(BM_TokenDigestOnly)->Threads(1);

void BM_AuthenticatorCachedLookup(benchmark::State& state) {
  auto& f = fixture();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    AuthResult result = f.auth->authenticate_without_waiting(f.tokens[i++ % f.tokens.size()], f.now);
    if (!result.from_cache) state.SkipWithError("not a cache hit");
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthenticatorCachedLookup)->Threads(1)->Threads(2)->UseRealTime();

// Every thread on the same token: the worst case for shard and refcount sharing.
void BM_AuthenticatorCachedLookupSameToken(benchmark::State& state) {
  auto& f = fixture();
  for (auto _ : state) {
    AuthResult result = f.auth->authenticate_without_waiting(f.tokens[0], f.now);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthenticatorCachedLookupSameToken)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace gate::jwks

BENCHMARK_MAIN();
