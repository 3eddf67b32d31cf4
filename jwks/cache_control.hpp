#pragma once
// How long a fetched JWKS may be used before the next background refresh, from its
// Cache-Control header (RFC 9111 §5.2.2) and the issuer's configured bounds.
#include <cstdint>
#include <optional>
#include <string_view>

#include "jwks/issuer_config.hpp"

namespace gate::jwks {

struct CacheDirectives {
  std::optional<std::int64_t> max_age_s;  // smallest valid max-age, if any
  bool no_store = false;
  bool no_cache = false;
};

// Tolerant parse: unknown directives and malformed values are ignored (a bad
// header must not stop keys from loading; the clamp below bounds any value).
CacheDirectives parse_cache_control(std::string_view header);

// Seconds until the next refresh, always within
// [min_refresh_interval_s, refresh_interval_s]:
//   no-store / no-cache -> min_refresh_interval_s (refresh as often as allowed),
//   max-age=N           -> N clamped,
//   nothing             -> refresh_interval_s.
std::int64_t refresh_after_s(const CacheDirectives& directives, const IssuerConfig& issuer);

}  // namespace gate::jwks
