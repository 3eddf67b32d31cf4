#include "proxy/jwks_metrics.hpp"

#include <string>

#include "proxy/metrics.hpp"

namespace gate::proxy {

JwksMetrics::JwksMetrics(Metrics& metrics)
    : metrics_(metrics),
      cache_hit_(metrics.token_cache_lookups().Add({{"result", "hit"}})),
      cache_miss_(metrics.token_cache_lookups().Add({{"result", "miss"}})) {}

void JwksMetrics::on_fetch(std::string_view issuer, std::string_view result) {
  metrics_.jwks_fetches().Add({{"issuer", std::string(issuer)}, {"result", std::string(result)}}).Increment();
}

void JwksMetrics::on_keys(std::string_view issuer, std::size_t count) {
  metrics_.jwks_keys().Add({{"issuer", std::string(issuer)}}).Set(static_cast<double>(count));
}

void JwksMetrics::on_last_success(std::string_view issuer, std::int64_t unix_time) {
  metrics_.jwks_last_success().Add({{"issuer", std::string(issuer)}}).Set(static_cast<double>(unix_time));
}

void JwksMetrics::on_token_cache(jwks::CacheLookup lookup) {
  (lookup == jwks::CacheLookup::hit ? cache_hit_ : cache_miss_).Increment();
}

}  // namespace gate::proxy
