#include "jwks/issuer_keys_backoff.hpp"

#include <algorithm>

namespace gate::jwks {

std::chrono::milliseconds refresh_backoff(int failures, const IssuerConfig& config,
                                          std::uint64_t random) {
  using std::chrono::milliseconds;
  const milliseconds floor{std::max<std::int64_t>(config.min_refresh_interval_s, 1) * 1000};
  const milliseconds cap = std::max(milliseconds{config.refresh_interval_s * 1000}, floor);
  milliseconds nominal = floor;
  for (int i = 1; i < failures && nominal < cap; ++i) nominal = std::min(nominal * 2, cap);
  const auto half = nominal.count() / 2;
  const auto spread = static_cast<std::int64_t>(
      random % static_cast<std::uint64_t>(nominal.count() - half + 1));
  return std::max(milliseconds{half + spread}, floor);
}

}  // namespace gate::jwks
