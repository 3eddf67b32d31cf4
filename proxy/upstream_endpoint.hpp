#pragma once
// Where the upstream lives, from upstream.url (SPEC §2).
#include <optional>
#include <string>
#include <string_view>

namespace gate::proxy {

struct UpstreamEndpoint {
  bool tls = false;
  std::string host;  // IPv6 without brackets
  std::string port;
};

// "http://host:port" / "https://host" (no path, query or credentials); nullopt if not.
std::optional<UpstreamEndpoint> parse_upstream_url(std::string_view url);

// The Host header for requests to `endpoint` (IPv6 in brackets, the port only
// when it is not the scheme's default).
std::string host_header(const UpstreamEndpoint& endpoint);

}  // namespace gate::proxy
