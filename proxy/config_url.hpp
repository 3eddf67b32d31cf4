#pragma once
// http(s) URLs named in the config: upstream.url, public_url, jwks_uri and
// discovery issuers. Strict on purpose: no credentials in the URL, no fragment.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gate::proxy {

struct HttpUrl {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // IPv6 literals without brackets
  std::optional<std::uint16_t> port;
  std::string path;    // "" or starting with '/'
  std::string query;   // without the '?'
};

struct HttpUrlParse {
  HttpUrl url;
  std::string error;  // set when the text is not an acceptable http(s) URL
};

HttpUrlParse parse_http_url(std::string_view text);

// The hosts a key fetch may reach over plain http: 127.0.0.1, ::1 and localhost.
bool is_loopback_host(std::string_view host);

}  // namespace gate::proxy
