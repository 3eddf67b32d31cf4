#include "jwks/http_fetcher.hpp"

#include <algorithm>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/asio.hpp"
#include "jwks/http_fetcher_url.hpp"

namespace gate::jwks {
namespace {

using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace ssl = asio::ssl;

// One request/response over one connection.
struct Hop {
  FetchError error = FetchError::none;
  std::string detail;
  http::response<http::string_body> response;
};

bool past(Clock::time_point deadline) { return Clock::now() >= deadline; }

// After the deadline every failure is the deadline's doing (Beast closes the socket
// on expiry, which surfaces as various I/O errors depending on the layer).
FetchError io_failure(const beast::error_code& ec, Clock::time_point deadline, FetchError otherwise) {
  if (ec == beast::error::timeout || past(deadline)) return FetchError::timeout;
  return otherwise;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// JSON (application/json, application/jwk-set+json, ...) or a type that says nothing
// (text/plain, octet-stream, absent: static hosting often serves these). Refused:
// HTML and anything else, typically an error page or a captive portal.
bool acceptable_content_type(std::string_view value) {
  value = value.substr(0, value.find(';'));
  std::string media;
  for (char c : value) {
    if (c == ' ' || c == '\t') continue;
    media.push_back((c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c);
  }
  if (media.empty() || media == "application/json" || media == "text/plain" ||
      media == "application/octet-stream") {
    return true;
  }
  return media.starts_with("application/") && media.ends_with("+json");
}

template <class Stream>
asio::awaitable<void> exchange(Stream& stream, const HttpUrl& url, const FetchLimits& limits,
                               Clock::time_point deadline, Hop& hop) {
  http::request<http::empty_body> request{http::verb::get, url.target, 11};
  request.set(http::field::host, url.host_header());
  request.set(http::field::user_agent, "libsql-gate");
  request.set(http::field::accept, "application/jwk-set+json, application/json");
  request.set(http::field::connection, "close");

  beast::error_code ec;
  co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    hop.error = io_failure(ec, deadline, FetchError::io_error);
    hop.detail = ec.message();
    co_return;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(limits.max_body_bytes);
  // Header first, and the length checked here: Boost 1.74's parser loses its own
  // body_limit error when header and body arrive in one read (eager parsing).
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && parser.content_length().value_or(0) > limits.max_body_bytes) ec = http::error::body_limit;
  if (!ec && !parser.is_done()) {
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    // A TLS peer that closes without close_notify after a complete message is
    // common and harmless: the parser knows the message is whole.
    if (ec == ssl::error::stream_truncated && parser.is_done()) ec = {};
  }
  if (!ec && parser.get().body().size() > limits.max_body_bytes) ec = http::error::body_limit;
  if (ec) {
    if (ec == http::error::body_limit) {
      hop.error = FetchError::body_too_large;
    } else if (ec.category() == beast::error_code(http::error::end_of_stream).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      hop.error = FetchError::http_malformed;
    } else {
      hop.error = io_failure(ec, deadline, FetchError::io_error);
    }
    hop.detail = ec.message();
    co_return;
  }
  hop.response = parser.release();
}

}  // namespace

struct HttpFetcher::Tls {
  ssl::context context{ssl::context::tls_client};
  std::optional<std::string> ca_error;
};

HttpFetcher::HttpFetcher(std::optional<std::string> ca_file) : tls_(std::make_unique<Tls>()) {
  SSL_CTX_set_min_proto_version(tls_->context.native_handle(), TLS1_2_VERSION);
  tls_->context.set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  tls_->context.set_default_verify_paths(ec);  // no system store is not fatal with a ca_file
  if (ca_file) {
    tls_->context.load_verify_file(*ca_file, ec);
    if (ec) tls_->ca_error = "cannot load ca_file " + *ca_file + ": " + ec.message();
  }
}

HttpFetcher::~HttpFetcher() = default;

namespace {

asio::awaitable<Hop> fetch_hop(ssl::context& context, const HttpUrl& url, const FetchLimits& limits,
                               Clock::time_point deadline) {
  Hop hop;
  auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;

  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(url.host, url.port,
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec || past(deadline)) {
    hop.error = ec ? FetchError::resolve_failed : FetchError::timeout;
    hop.detail = ec.message();
    co_return hop;
  }

  if (!url.https) {
    beast::tcp_stream stream(executor);
    stream.expires_at(deadline);  // bounds every operation below, together
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      hop.error = io_failure(ec, deadline, FetchError::connect_failed);
      hop.detail = ec.message();
      co_return hop;
    }
    co_await exchange(stream, url, limits, deadline, hop);
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return hop;
  }

  beast::ssl_stream<beast::tcp_stream> stream(executor, context);
  SSL* ssl_handle = stream.native_handle();
  beast::error_code not_ip;
  asio::ip::make_address(url.host, not_ip);
  if (not_ip) {
    // SNI and RFC 6125 name check (wildcards in the left-most label only).
    SSL_set_tlsext_host_name(ssl_handle, url.host.c_str());
    SSL_set1_host(ssl_handle, url.host.c_str());
    SSL_set_hostflags(ssl_handle, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  } else {
    // IP literal: match an iPAddress SAN; SNI must not carry an IP (RFC 6066 §3).
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), url.host.c_str());
  }

  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_at(deadline);
  co_await tcp_layer.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    hop.error = io_failure(ec, deadline, FetchError::connect_failed);
    hop.detail = ec.message();
    co_return hop;
  }
  co_await stream.async_handshake(ssl::stream_base::client,
                                  asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    const long verify = SSL_get_verify_result(ssl_handle);
    if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      hop.error = FetchError::tls_hostname_mismatch;
      hop.detail = X509_verify_cert_error_string(verify);
    } else if (verify != X509_V_OK) {
      hop.error = FetchError::tls_certificate_untrusted;
      hop.detail = X509_verify_cert_error_string(verify);
    } else {
      hop.error = io_failure(ec, deadline, FetchError::tls_handshake_failed);
      hop.detail = ec.message();
    }
    co_return hop;
  }
  co_await exchange(stream, url, limits, deadline, hop);
  // No close_notify round trip: the response is complete, and waiting for the peer's
  // reply would only give a slow server another way to hold us.
  tcp_layer.close();
  co_return hop;
}

asio::awaitable<void> follow(ssl::context& context, std::string url, const FetchLimits& limits,
                             FetchResult& result) {
  const auto deadline = Clock::now() + limits.total_timeout;
  auto current = parse_http_url(url);
  if (!current) {
    result.error = FetchError::url_invalid;
    co_return;
  }
  for (int redirects = 0;; ++redirects) {
    result.final_url = current->to_string();
    Hop hop = co_await fetch_hop(context, *current, limits, deadline);
    if (hop.error != FetchError::none) {
      result.error = hop.error;
      result.detail = std::move(hop.detail);
      co_return;
    }
    auto& response = hop.response;
    result.status = static_cast<int>(response.result_int());
    if (is_redirect(result.status)) {
      if (redirects >= limits.max_redirects) {
        result.error = FetchError::too_many_redirects;
        co_return;
      }
      auto next = resolve_redirect(*current, response[http::field::location]);
      if (!next) {
        result.error = FetchError::url_invalid;
        result.detail = "redirect without a usable Location";
        co_return;
      }
      if (current->https && !next->https) {
        result.error = FetchError::redirect_downgrade;
        co_return;
      }
      current = std::move(next);
      continue;
    }
    if (result.status != 200) {
      result.error = FetchError::http_status;
      result.detail = "HTTP " + std::to_string(result.status);
      co_return;
    }
    if (!acceptable_content_type(response[http::field::content_type])) {
      result.error = FetchError::content_type_invalid;
      result.detail = std::string(response[http::field::content_type].substr(0, 100));
      co_return;
    }
    result.cache_control = std::string(response[http::field::cache_control]);
    result.body = std::move(response.body());
    co_return;
  }
}

}  // namespace

asio::awaitable<FetchResult> HttpFetcher::get(std::string url, FetchLimits limits) const {
  FetchResult result;
  if (tls_->ca_error) {
    result.error = FetchError::ca_file_unreadable;
    result.detail = *tls_->ca_error;
    co_return result;
  }
  try {
    co_await follow(tls_->context, std::move(url), limits, result);
  } catch (const std::exception& e) {
    // Nothing above throws by design (redirect_error everywhere); allocation failure
    // or a library surprise still becomes a value, never an escaped exception.
    result = FetchResult{};
    result.error = FetchError::io_error;
    result.detail = e.what();
  }
  co_return result;
}

std::string_view to_string(FetchError error) {
  switch (error) {
    case FetchError::none: return "ok";
    case FetchError::url_invalid: return "url_invalid";
    case FetchError::ca_file_unreadable: return "ca_file_unreadable";
    case FetchError::resolve_failed: return "resolve_failed";
    case FetchError::connect_failed: return "connect_failed";
    case FetchError::tls_handshake_failed: return "tls_handshake_failed";
    case FetchError::tls_certificate_untrusted: return "tls_certificate_untrusted";
    case FetchError::tls_hostname_mismatch: return "tls_hostname_mismatch";
    case FetchError::timeout: return "timeout";
    case FetchError::io_error: return "io_error";
    case FetchError::http_malformed: return "http_malformed";
    case FetchError::http_status: return "http_status";
    case FetchError::too_many_redirects: return "too_many_redirects";
    case FetchError::redirect_downgrade: return "redirect_downgrade";
    case FetchError::body_too_large: return "body_too_large";
    case FetchError::content_type_invalid: return "content_type_invalid";
  }
  return "unknown";
}

}  // namespace gate::jwks
