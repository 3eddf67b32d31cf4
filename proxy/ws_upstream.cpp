#include "proxy/ws_upstream.hpp"

#include <algorithm>
#include <chrono>

#include "proxy/deadline_timer.hpp"
#include "proxy/hrana_ws.hpp"

namespace gate::proxy {

namespace {

namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

template <class Ws>
asio::awaitable<boost::system::error_code> read_on(Ws& ws, beast::flat_buffer& buffer, bool& binary) {
  boost::system::error_code ec;
  buffer.clear();
  co_await ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
  binary = ws.got_binary();
  co_return ec;
}

template <class Ws>
asio::awaitable<boost::system::error_code> write_on(Ws& ws, std::string_view payload, bool binary) {
  boost::system::error_code ec;
  ws.binary(binary);
  co_await ws.async_write(asio::buffer(payload.data(), payload.size()), asio::redirect_error(use_awaitable, ec));
  co_return ec;
}

template <class Ws>
asio::awaitable<void> close_on(Ws& ws, websocket::close_code code) {
  boost::system::error_code ec;
  if (ws.is_open()) co_await ws.async_close(code, asio::redirect_error(use_awaitable, ec));
  beast::get_lowest_layer(ws).close();
}

}  // namespace

struct WsUpstream::Impl {
  std::optional<PlainWs> plain;
  std::optional<TlsWs> tls;
  std::string subprotocol;
  std::chrono::milliseconds timeout;
  // Every deadline of this connection (connect, each write, each exchange). The
  // stream's own deadlines stay off: a write's deadline left on a concurrent
  // read closed healthy connections (connection_deadlines.hpp). Expiry closes
  // the socket, failing whatever is pending.
  std::optional<DeadlineTimer> deadlines;

  beast::tcp_stream& lowest() { return plain ? beast::get_lowest_layer(*plain) : beast::get_lowest_layer(*tls); }

  // The failure of an operation: a deadline that closed the socket, or `ec`.
  UpstreamError failure(const boost::system::error_code& ec, std::string_view during) const {
    return upstream_error(ec, during, deadlines->expired());
  }
};

WsUpstream::WsUpstream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsUpstream::~WsUpstream() = default;

const std::string& WsUpstream::subprotocol() const { return impl_->subprotocol; }

asio::awaitable<boost::system::error_code> WsUpstream::read(beast::flat_buffer& buffer, bool& binary) {
  if (impl_->plain) co_return co_await read_on(*impl_->plain, buffer, binary);
  co_return co_await read_on(*impl_->tls, buffer, binary);
}

asio::awaitable<boost::system::error_code> WsUpstream::write(std::string_view payload, bool binary) {
  // An upstream that stops reading cannot hold a write forever.
  DeadlineTimer::Wait wait(*impl_->deadlines, Deadline::write, impl_->timeout);
  if (impl_->plain) co_return co_await write_on(*impl_->plain, payload, binary);
  co_return co_await write_on(*impl_->tls, payload, binary);
}

WsUpstream::Exchange WsUpstream::expect_answer() {
  return impl_->deadlines->start(Deadline::exchange, impl_->timeout);
}

void WsUpstream::answered(Exchange exchange) { impl_->deadlines->end(exchange); }

std::optional<Deadline> WsUpstream::timed_out() const { return impl_->deadlines->expired(); }

asio::awaitable<void> WsUpstream::close(websocket::close_code code) {
  if (impl_->plain) {
    co_await close_on(*impl_->plain, code);
  } else {
    co_await close_on(*impl_->tls, code);
  }
}

websocket::close_reason WsUpstream::close_reason() const {
  return impl_->plain ? impl_->plain->reason() : impl_->tls->reason();
}

struct WsUpstreamConnector::Impl {
  asio::any_io_executor executor;
  UpstreamEndpoint endpoint;
  std::optional<std::string> credential;
  std::chrono::milliseconds timeout;
  std::string host_header;
  std::optional<asio::ssl::context> tls_context;

  // Upgrade, then hello with the gate's credential; the stream's lowest layer is
  // connected (and TLS established) already.
  template <class Ws>
  asio::awaitable<std::optional<UpstreamError>> open(Ws& ws, const WsUpstream::Impl& upstream,
                                                     const std::vector<std::string>& subprotocols,
                                                     std::int64_t max_message_bytes,
                                                     std::chrono::milliseconds idle_timeout, std::string& chosen) {
    boost::system::error_code ec;
    const std::string offered = join(subprotocols);
    ws.set_option(websocket::stream_base::decorator([&offered](websocket::request_type& request) {
      request.set(http::field::user_agent, "libsql-gate");
      if (!offered.empty()) request.set(http::field::sec_websocket_protocol, offered);
    }));
    websocket::response_type response;
    co_await ws.async_handshake(response, host_header, "/", asio::redirect_error(use_awaitable, ec));
    if (ec == websocket::error::upgrade_declined) {
      co_return UpstreamError{UpstreamFailure::protocol, "WebSocket upgrade declined with HTTP " +
                                                             std::to_string(response.result_int()) +
                                                             " (offered: " + offered + ")"};
    }
    if (ec) co_return upstream.failure(ec, "WebSocket upgrade");
    chosen = std::string(response[http::field::sec_websocket_protocol]);
    const bool was_offered = chosen.empty() ? subprotocols.empty()
                                            : std::find(subprotocols.begin(), subprotocols.end(), chosen) !=
                                                  subprotocols.end();
    if (!was_offered) {
      co_return UpstreamError{UpstreamFailure::protocol,
                              "upstream chose subprotocol \"" + chosen + "\", offered: " + offered};
    }
    const auto subprotocol = chosen.empty() ? hrana::ws::Subprotocol::hrana1 : *hrana::ws::subprotocol_from(chosen);
    const auto encoding = hrana::ws::encoding_of(subprotocol);
    ws.read_message_max(static_cast<std::uint64_t>(max_message_bytes));
    ws.binary(encoding == hrana::Encoding::protobuf);
    const std::string hello = hrana::ws::encode_hello(encoding, credential);
    co_await ws.async_write(asio::buffer(hello), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return upstream.failure(ec, "hello");
    beast::flat_buffer buffer;
    co_await ws.async_read(buffer, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return upstream.failure(ec, "hello");
    const auto answer = hrana::ws::inspect_server_message(encoding, beast::buffers_to_string(buffer.data()));
    if (!answer || (answer->type != hrana::ws::ServerMessage::Type::hello_ok &&
                    answer->type != hrana::ws::ServerMessage::Type::hello_error)) {
      co_return UpstreamError{UpstreamFailure::protocol, "upstream did not answer hello"};
    }
    if (answer->type == hrana::ws::ServerMessage::Type::hello_error) {
      co_return UpstreamError{UpstreamFailure::unavailable,
                              "upstream refused the gate's credential (upstream.auth_token): " +
                                  (answer->error ? answer->error->message : std::string())};
    }
    // From now on: the closing handshake is bounded by timeout_ms, and an upstream
    // that sends nothing — not even a pong to the gate's pings — for idle_timeout_ms
    // is gone (the websocket's own timer, separate from the stream's deadlines).
    // A wait for an answer is bounded per exchange (WsUpstream::expect_answer).
    websocket::stream_base::timeout options;
    options.handshake_timeout = timeout;
    options.idle_timeout = idle_timeout;
    options.keep_alive_pings = true;
    ws.set_option(options);
    co_return std::nullopt;
  }
};

WsUpstreamConnector::WsUpstreamConnector(asio::any_io_executor executor, UpstreamEndpoint endpoint,
                                         const UpstreamConfig& config)
    : impl_(std::make_unique<Impl>()) {
  impl_->executor = std::move(executor);
  impl_->endpoint = std::move(endpoint);
  impl_->credential = config.auth_token;
  impl_->timeout = std::chrono::milliseconds(config.timeout_ms);
  const auto& ep = impl_->endpoint;
  impl_->host_header = proxy::host_header(ep);
  if (ep.tls) {
    impl_->tls_context.emplace(asio::ssl::context::tls_client);
    impl_->tls_context->set_default_verify_paths();
    impl_->tls_context->set_verify_mode(asio::ssl::verify_peer);
  }
}

WsUpstreamConnector::~WsUpstreamConnector() = default;

asio::awaitable<std::unique_ptr<WsUpstream>> WsUpstreamConnector::connect(const std::vector<std::string>& subprotocols,
                                                                          std::int64_t max_message_bytes,
                                                                          std::chrono::milliseconds idle_timeout,
                                                                          UpstreamError& error) {
  Impl& d = *impl_;
  boost::system::error_code ec;
  tcp::resolver resolver(d.executor);
  auto endpoints =
      co_await resolver.async_resolve(d.endpoint.host, d.endpoint.port, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    error = {UpstreamFailure::unavailable, "resolve " + d.endpoint.host + ": " + ec.message()};
    co_return nullptr;
  }
  auto impl = std::make_unique<WsUpstream::Impl>();
  impl->timeout = d.timeout;
  if (d.endpoint.tls) {
    impl->tls.emplace(d.executor, *d.tls_context);
  } else {
    impl->plain.emplace(d.executor);
  }
  WsUpstream::Impl& upstream = *impl;  // stays put when impl moves into the WsUpstream
  upstream.deadlines.emplace(d.executor, [&upstream](Deadline) { upstream.lowest().close(); });
  beast::tcp_stream& lowest = upstream.lowest();
  // One deadline for connect, TLS, upgrade and hello.
  DeadlineTimer::Wait opening(*upstream.deadlines, Deadline::connect, d.timeout);
  co_await lowest.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
  if (ec) {
    error = upstream.failure(ec, "connect");
    co_return nullptr;
  }
  lowest.socket().set_option(tcp::no_delay(true), ec);
  std::optional<UpstreamError> failed;
  if (impl->tls) {
    auto& tls = impl->tls->next_layer();
    if (!SSL_set_tlsext_host_name(tls.native_handle(), d.endpoint.host.c_str())) {
      error = {UpstreamFailure::unavailable, "TLS: cannot set SNI"};
      co_return nullptr;
    }
    tls.set_verify_callback(asio::ssl::host_name_verification(d.endpoint.host));
    co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      error = upstream.failure(ec, "TLS handshake");
      co_return nullptr;
    }
    failed = co_await d.open(*impl->tls, upstream, subprotocols, max_message_bytes, idle_timeout, impl->subprotocol);
  } else {
    failed = co_await d.open(*impl->plain, upstream, subprotocols, max_message_bytes, idle_timeout, impl->subprotocol);
  }
  if (failed) {
    error = std::move(*failed);
    co_return nullptr;
  }
  co_return std::make_unique<WsUpstream>(std::move(impl));
}

}  // namespace gate::proxy
