#pragma once
// The small subset of URLs the key fetcher follows: http(s)://host[:port]/path?query.
// Userinfo, whitespace and control bytes are refused rather than interpreted, so a
// JWKS or discovery URL cannot smuggle credentials or a second host.
#include <optional>
#include <string>
#include <string_view>

namespace gate::jwks {

struct HttpUrl {
  bool https = false;
  std::string host;    // lower-case; IPv6 without brackets
  std::string port;    // digits; the scheme default when absent
  std::string target;  // path and query, starting with '/'; fragment dropped

  // host[:port] as sent in the Host header (brackets around IPv6, port only if not default).
  std::string host_header() const;
  std::string to_string() const;
};

std::optional<HttpUrl> parse_http_url(std::string_view url);

// A redirect's Location resolved against the URL that answered it (absolute,
// scheme-relative, absolute-path or relative-path references).
std::optional<HttpUrl> resolve_redirect(const HttpUrl& base, std::string_view location);

// 127.0.0.0/8, ::1 and "localhost": where plain http is tolerated for discovered URLs.
bool is_loopback_host(std::string_view host);

}  // namespace gate::jwks
