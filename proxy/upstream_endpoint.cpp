#include "proxy/upstream_endpoint.hpp"

namespace gate::proxy {

std::optional<UpstreamEndpoint> parse_upstream_url(std::string_view url) {
  UpstreamEndpoint endpoint;
  if (url.starts_with("http://")) {
    url.remove_prefix(7);
    endpoint.port = "80";
  } else if (url.starts_with("https://")) {
    url.remove_prefix(8);
    endpoint.tls = true;
    endpoint.port = "443";
  } else {
    return std::nullopt;
  }
  if (url.ends_with('/')) url.remove_suffix(1);
  if (url.empty() || url.find_first_of("/?#@") != std::string_view::npos) return std::nullopt;
  if (url.front() == '[') {  // IPv6 literal
    const auto close = url.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    endpoint.host = std::string(url.substr(1, close - 1));
    url.remove_prefix(close + 1);
    if (!url.empty()) {
      if (url.front() != ':' || url.size() < 2) return std::nullopt;
      endpoint.port = std::string(url.substr(1));
    }
  } else if (const auto colon = url.rfind(':'); colon != std::string_view::npos) {
    endpoint.host = std::string(url.substr(0, colon));
    endpoint.port = std::string(url.substr(colon + 1));
    if (endpoint.port.empty()) return std::nullopt;
  } else {
    endpoint.host = std::string(url);
  }
  if (endpoint.host.empty()) return std::nullopt;
  for (char c : endpoint.port) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return endpoint;
}

std::string host_header(const UpstreamEndpoint& endpoint) {
  std::string out = endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
  if (endpoint.port != (endpoint.tls ? "443" : "80")) out += ":" + endpoint.port;
  return out;
}

}  // namespace gate::proxy
