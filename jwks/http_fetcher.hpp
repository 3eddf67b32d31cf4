#pragma once
// Outbound HTTP(S) GET for key material (JWKS documents, OIDC discovery): bounded
// in time, size and redirects, TLS peers verified against the system CAs plus the
// issuer's ca_file, host name checked. Every outcome is a value; nothing throws out
// of get().
//
// The header deliberately avoids Beast and Asio SSL (only the awaitable type), so
// only http_fetcher.cpp pays their compile cost.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange (see common/asio.hpp)

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gate::jwks {

enum class FetchError : std::uint8_t {
  none,
  url_invalid,                // not http(s)://host[:port]/..., userinfo, bad redirect target
  ca_file_unreadable,         // the configured ca_file could not be loaded
  resolve_failed,
  connect_failed,
  tls_handshake_failed,       // protocol-level failure (no common version, reset...)
  tls_certificate_untrusted,  // the chain does not verify against the trusted CAs
  tls_hostname_mismatch,      // the certificate is not for the host we asked for
  timeout,                    // the total time limit passed
  io_error,                   // the connection broke while writing or reading
  http_malformed,             // not a parseable HTTP/1.1 response
  http_status,                // a final status other than 200 (status is in FetchResult)
  too_many_redirects,
  redirect_downgrade,         // https -> http
  body_too_large,
  content_type_invalid,       // neither JSON nor a plain/octet type (an HTML error page...)
};

// Stable snake_case label (metrics result, logs).
std::string_view to_string(FetchError error);

struct FetchLimits {
  std::size_t max_body_bytes = std::size_t{1} << 20;
  // Covers connect, TLS, request, response and every redirect hop together. DNS
  // resolution runs in the system resolver and is bounded by its own timeouts.
  std::chrono::milliseconds total_timeout{10'000};
  int max_redirects = 3;
};

struct FetchResult {
  FetchError error = FetchError::none;
  int status = 0;             // last HTTP status seen; 0 if no response arrived
  std::string body;           // the 200 body (only when error == none)
  std::string cache_control;  // raw Cache-Control of the 200 response, "" if absent
  std::string final_url;      // the URL that answered last (after redirects)
  std::string detail;         // for logs: OpenSSL / system message, never body bytes

  bool ok() const { return error == FetchError::none; }
};

class HttpFetcher {
 public:
  // ca_file: an extra PEM bundle trusted in addition to the system CAs. If it cannot
  // be read, every get() fails with ca_file_unreadable (so the problem shows up in
  // fetch metrics and readiness rather than as a silently weaker trust store).
  explicit HttpFetcher(std::optional<std::string> ca_file = std::nullopt);
  ~HttpFetcher();
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;

  // Runs on the awaiting coroutine's executor. May be called concurrently; the
  // fetcher must outlive every get() in progress.
  boost::asio::awaitable<FetchResult> get(std::string url, FetchLimits limits = {}) const;

 private:
  struct Tls;
  std::unique_ptr<Tls> tls_;
};

}  // namespace gate::jwks
