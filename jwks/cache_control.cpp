#include "jwks/cache_control.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace gate::jwks {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

// delta-seconds is digits only (RFC 9111 §1.2.2); the quoted form is tolerated.
// Values too large saturate, as the RFC asks, rather than failing.
std::optional<std::int64_t> parse_delta_seconds(std::string_view value) {
  value = trim(value);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (value.empty()) return std::nullopt;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec == std::errc::result_out_of_range) return std::numeric_limits<std::int64_t>::max();
  if (ec != std::errc() || ptr != value.data() + value.size()) return std::nullopt;
  return n;
}

}  // namespace

CacheDirectives parse_cache_control(std::string_view header) {
  CacheDirectives out;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    auto eq = item.find('=');
    std::string_view name = trim(item.substr(0, eq));
    if (iequals(name, "no-store")) {
      out.no_store = true;
    } else if (iequals(name, "no-cache")) {
      out.no_cache = true;
    } else if (iequals(name, "max-age") && eq != std::string_view::npos) {
      // Conflicting duplicates: the smallest is the safe reading.
      if (auto n = parse_delta_seconds(item.substr(eq + 1))) {
        out.max_age_s = out.max_age_s ? std::min(*out.max_age_s, *n) : *n;
      }
    }
  }
  return out;
}

std::int64_t refresh_after_s(const CacheDirectives& directives, const IssuerConfig& issuer) {
  const std::int64_t floor = std::max<std::int64_t>(issuer.min_refresh_interval_s, 0);
  const std::int64_t ceiling = std::max(issuer.refresh_interval_s, floor);
  if (directives.no_store || directives.no_cache) return floor;
  if (!directives.max_age_s) return ceiling;
  return std::clamp(*directives.max_age_s, floor, ceiling);
}

}  // namespace gate::jwks
