#include "jwks/http_fetcher_url.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace gate::jwks {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(),
                    [](char a, char b) { return lower(a) == lower(b); });
}

bool has_forbidden_byte(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || u >= 0x80 || c == '\\';
  });
}

bool valid_reg_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

bool valid_ipv6_literal(std::string_view host) {
  if (host.size() < 2) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
  });
}

std::string strip_fragment(std::string_view s) {
  return std::string(s.substr(0, s.find('#')));
}

}  // namespace

std::string HttpUrl::host_header() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (https ? "443" : "80")) out += ":" + port;
  return out;
}

std::string HttpUrl::to_string() const {
  return std::string(https ? "https://" : "http://") + host_header() + target;
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  if (has_forbidden_byte(url)) return std::nullopt;
  HttpUrl out;
  if (starts_with_ci(url, "https://")) {
    out.https = true;
    url.remove_prefix(8);
  } else if (starts_with_ci(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const auto authority_end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, authority_end);
  std::string_view rest = authority_end == std::string_view::npos ? "" : url.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
    out.host.assign(host);
    std::transform(out.host.begin(), out.host.end(), out.host.begin(), lower);
    if (!valid_ipv6_literal(out.host)) return std::nullopt;
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    out.host.assign(host);
    std::transform(out.host.begin(), out.host.end(), out.host.begin(), lower);
    if (!valid_reg_name(out.host)) return std::nullopt;
  }
  if (port.empty()) {
    out.port = out.https ? "443" : "80";
  } else {
    std::uint32_t n = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || ptr != port.data() + port.size() || n == 0 || n > 65535 ||
        port.size() > 5) {
      return std::nullopt;
    }
    out.port = std::to_string(n);
  }
  std::string target = strip_fragment(rest);
  if (target.empty() || target.front() == '?') target.insert(0, "/");
  out.target = std::move(target);
  return out;
}

std::optional<HttpUrl> resolve_redirect(const HttpUrl& base, std::string_view location) {
  if (location.empty() || has_forbidden_byte(location)) return std::nullopt;
  if (starts_with_ci(location, "http://") || starts_with_ci(location, "https://")) {
    return parse_http_url(location);
  }
  if (location.starts_with("//")) {
    return parse_http_url(std::string(base.https ? "https:" : "http:") + std::string(location));
  }
  // Any other scheme ("ftp:", "file:", "javascript:") is refused, not treated as a path.
  const auto first_delim = location.find_first_of("/?#");
  if (location.find(':') < first_delim) return std::nullopt;
  HttpUrl out = base;
  if (location.front() == '/') {
    out.target = strip_fragment(location);
  } else if (location.front() == '?') {
    out.target = base.target.substr(0, base.target.find('?')) + strip_fragment(location);
  } else {
    std::string path = base.target.substr(0, base.target.find('?'));
    path.erase(path.rfind('/') + 1);
    out.target = path + strip_fragment(location);
  }
  if (out.target.empty()) out.target = "/";
  return out;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8 in dotted-quad form only.
  if (!host.starts_with("127.")) return false;
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

}  // namespace gate::jwks
