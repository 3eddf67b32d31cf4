#include "proxy/config_listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace gate::proxy {

namespace {

bool is_ipv4_literal(const std::string& host) {
  in_addr parsed{};
  return inet_pton(AF_INET, host.c_str(), &parsed) == 1;
}

bool is_ipv6_literal(const std::string& host) {
  in6_addr parsed{};
  return inet_pton(AF_INET6, host.c_str(), &parsed) == 1;
}

bool is_wildcard(const std::string& host) {
  if (host == "0.0.0.0") return true;
  in6_addr parsed{};
  return inet_pton(AF_INET6, host.c_str(), &parsed) == 1 && IN6_IS_ADDR_UNSPECIFIED(&parsed);
}

}  // namespace

ListenAddressParse parse_listen_address(std::string_view text) {
  auto fail = [](std::string reason) { return ListenAddressParse{{}, std::move(reason)}; };
  constexpr std::string_view kForm = " (expected \"host:port\", e.g. \"0.0.0.0:8080\" or \"[::1]:8080\")";

  std::string host;
  std::string_view port_text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address" + std::string(kForm));
    host = std::string(text.substr(1, close - 1));
    if (!is_ipv6_literal(host)) return fail("'" + host + "' is not an IPv6 address");
    if (close + 1 >= text.size() || text[close + 1] != ':') return fail("missing ':port'" + std::string(kForm));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("missing ':port'" + std::string(kForm));
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return fail("IPv6 addresses must be written in brackets, e.g. \"[::1]:8080\"");
    }
    if (host.empty()) return fail("missing host" + std::string(kForm));
    if (host != "localhost" && !is_ipv4_literal(host)) {
      return fail("host '" + host + "' must be an IP address or localhost");
    }
  }

  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size()) {
    return fail("port '" + std::string(port_text) + "' is not a number" + std::string(kForm));
  }
  if (port > 65535) return fail("port " + std::to_string(port) + " is out of range (0-65535)");
  return {ListenAddress{std::move(host), static_cast<std::uint16_t>(port)}, {}};
}

std::string to_string(const ListenAddress& address) {
  bool ipv6 = address.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

bool listen_addresses_overlap(const ListenAddress& a, const ListenAddress& b) {
  if (a.port == 0 || a.port != b.port) return false;
  return a.host == b.host || is_wildcard(a.host) || is_wildcard(b.host);
}

}  // namespace gate::proxy
