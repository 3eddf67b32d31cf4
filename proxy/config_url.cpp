#include "proxy/config_url.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>

namespace gate::proxy {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

bool is_host_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

HttpUrlParse parse_http_url(std::string_view text) {
  auto fail = [](std::string reason) { return HttpUrlParse{{}, std::move(reason)}; };
  HttpUrl url;

  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return fail("expected an http:// or https:// URL");
  url.scheme = lower(text.substr(0, scheme_end));
  if (url.scheme == "libsql" || url.scheme == "ws" || url.scheme == "wss") {
    return fail("scheme '" + url.scheme + "://' is not supported: write the same address as https:// (or http://)");
  }
  if (url.scheme != "http" && url.scheme != "https") {
    return fail("scheme '" + url.scheme + "' is not supported (expected http or https)");
  }
  std::string_view rest = text.substr(scheme_end + 3);

  if (auto hash = rest.find('#'); hash != std::string_view::npos) return fail("a URL fragment ('#...') is not allowed");
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  std::string_view after = rest.substr(authority.size());
  if (authority.find('@') != std::string_view::npos) {
    return fail("credentials in the URL ('user@host') are not allowed");
  }

  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return fail("missing ']' after the IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    in6_addr parsed{};
    if (inet_pton(AF_INET6, url.host.c_str(), &parsed) != 1) return fail("'" + url.host + "' is not an IPv6 address");
    std::string_view tail = authority.substr(close + 1);
    if (!tail.empty()) {
      if (tail.front() != ':') return fail("unexpected text after the IPv6 address");
      has_port = true;
      port_text = tail.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    url.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (url.host.empty()) return fail("the URL has no host");
    if (!std::all_of(url.host.begin(), url.host.end(), is_host_name_char)) {
      return fail("'" + url.host + "' is not a valid host name");
    }
  }
  if (has_port) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return fail("port '" + std::string(port_text) + "' is not a number in 1-65535");
    }
    url.port = static_cast<std::uint16_t>(port);
  }

  auto question = after.find('?');
  url.path = std::string(after.substr(0, question));
  if (question != std::string_view::npos) url.query = std::string(after.substr(question + 1));
  return {std::move(url), {}};
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "127.0.0.1") return true;
  std::string literal(host);
  in6_addr parsed{};
  return inet_pton(AF_INET6, literal.c_str(), &parsed) == 1 && IN6_IS_ADDR_LOOPBACK(&parsed);
}

}  // namespace gate::proxy
