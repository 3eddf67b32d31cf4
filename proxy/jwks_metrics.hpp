#pragma once
// jwks/'s observer reporting into the gate's Prometheus registry (SPEC §7:
// jwks_fetches_total, jwks_keys, jwks_last_success_timestamp_seconds,
// token_cache_lookups_total). Thread-safe: prometheus-cpp families and counters are.
#include "jwks/jwks_observer.hpp"

namespace prometheus {
class Counter;
}

namespace gate::proxy {

class Metrics;

class JwksMetrics final : public jwks::JwksObserver {
 public:
  explicit JwksMetrics(Metrics& metrics);

  void on_fetch(std::string_view issuer, std::string_view result) override;
  void on_keys(std::string_view issuer, std::size_t count) override;
  void on_last_success(std::string_view issuer, std::int64_t unix_time) override;
  void on_token_cache(jwks::CacheLookup lookup) override;
  // Not counted here: the session counts every refused request once, with the
  // issuer and reason the guard hands back (auth_failures_total would double).
  void on_auth_failure(std::string_view, std::string_view) override {}

 private:
  Metrics& metrics_;
  // Resolved once: a token-cache lookup happens on every request.
  prometheus::Counter& cache_hit_;
  prometheus::Counter& cache_miss_;
};

}  // namespace gate::proxy
