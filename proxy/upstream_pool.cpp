#include "proxy/upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <deque>
#include <limits>
#include <vector>

#include "proxy/deadline_timer.hpp"

namespace gate::proxy {

namespace {

using tcp = asio::ip::tcp;
using asio::use_awaitable;

}  // namespace

UpstreamError upstream_error(const boost::system::error_code& ec, std::string_view during,
                             std::optional<Deadline> expired) {
  if (expired) {
    return {UpstreamFailure::timeout, std::string(during) + ": no answer within upstream.timeout_ms (" +
                                          std::string(to_string(*expired)) + ")"};
  }
  const bool timeout = ec == beast::error::timeout || ec == asio::error::timed_out;
  return {timeout ? UpstreamFailure::timeout : UpstreamFailure::unavailable, std::string(during) + ": " + ec.message()};
}

std::string_view to_string(UpstreamFailure failure) {
  switch (failure) {
    case UpstreamFailure::timeout: return "timeout";
    case UpstreamFailure::unavailable: return "unavailable";
    case UpstreamFailure::protocol: return "protocol";
  }
  return "unavailable";
}

namespace {

struct Connection {
  explicit Connection(const asio::any_io_executor& executor)
      : deadlines(executor, [this](Deadline) { lowest().close(); }) {}

  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  // Each connect, write and read is bounded by upstream.timeout_ms through the
  // connection's one deadline owner (connection_deadlines.hpp), never through the
  // stream's own timers.
  DeadlineTimer deadlines;
  bool reused = false;  // it served a request before

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*tls); }

  UpstreamError failure(const boost::system::error_code& ec, std::string_view during) const {
    return upstream_error(ec, during, deadlines.expired());
  }

  // A pooled connection the upstream closed (or that holds unexpected bytes) is
  // useless; finding out costs one non-blocking peek and sends nothing.
  bool still_open() {
    auto& socket = lowest().socket();
    if (!socket.is_open()) return false;
    char byte;
    const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

// The peer closed the connection (FIN or RST) — not a timeout, not a TLS or
// protocol failure.
bool closed_before_answer(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::ssl::error::stream_truncated;
}

}  // namespace

struct UpstreamPool::Impl {
  asio::any_io_executor executor;
  UpstreamEndpoint endpoint;
  std::optional<std::string> authorization;
  std::chrono::milliseconds timeout;
  std::size_t max_connections;
  std::string host_header;
  std::optional<asio::ssl::context> tls_context;

  std::vector<std::unique_ptr<Connection>> idle;
  std::size_t open = 0;
  std::deque<asio::steady_timer*> waiters;  // requests waiting for a connection slot

  Impl(asio::any_io_executor ex, UpstreamEndpoint ep, const UpstreamConfig& config, std::size_t max)
      : executor(std::move(ex)),
        endpoint(std::move(ep)),
        timeout(config.timeout_ms),
        max_connections(max == 0 ? 1 : max) {
    if (config.auth_token) authorization = "Bearer " + *config.auth_token;
    host_header = proxy::host_header(endpoint);
    if (endpoint.tls) {
      tls_context.emplace(asio::ssl::context::tls_client);
      tls_context->set_default_verify_paths();
      tls_context->set_verify_mode(asio::ssl::verify_peer);
    }
  }

  asio::awaitable<std::unique_ptr<Connection>> connect(std::chrono::milliseconds limit, UpstreamError& error) {
    boost::system::error_code ec;
    tcp::resolver resolver(executor);
    auto endpoints = co_await resolver.async_resolve(endpoint.host, endpoint.port,
                                                      asio::redirect_error(use_awaitable, ec));
    if (ec) {
      error = {UpstreamFailure::unavailable, "resolve " + endpoint.host + ": " + ec.message()};
      co_return nullptr;
    }
    auto connection = std::make_unique<Connection>(executor);
    if (endpoint.tls) {
      connection->tls.emplace(executor, *tls_context);
    } else {
      connection->plain.emplace(executor);
    }
    auto& lowest = connection->lowest();
    DeadlineTimer::Wait opening(connection->deadlines, Deadline::connect, limit);
    co_await lowest.async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      error = connection->failure(ec, "connect");
      co_return nullptr;
    }
    lowest.socket().set_option(tcp::no_delay(true), ec);
    if (endpoint.tls) {
      auto& tls = *connection->tls;
      if (!SSL_set_tlsext_host_name(tls.native_handle(), endpoint.host.c_str())) {
        error = {UpstreamFailure::unavailable, "TLS: cannot set SNI"};
        co_return nullptr;
      }
      tls.set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
      co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        error = connection->failure(ec, "TLS handshake");
        co_return nullptr;
      }
    }
    co_return connection;
  }

  asio::awaitable<std::unique_ptr<Connection>> acquire(std::chrono::milliseconds limit, UpstreamError& error) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      while (!idle.empty()) {
        auto connection = std::move(idle.back());
        idle.pop_back();
        if (connection->still_open()) co_return connection;
        --open;
      }
      if (open < max_connections) {
        ++open;
        auto connection = co_await connect(limit, error);
        if (!connection) release_slot();
        co_return connection;
      }
      // Every connection is busy: wait for one to come back, up to the timeout.
      asio::steady_timer wait(executor);
      wait.expires_at(deadline);
      waiters.push_back(&wait);
      boost::system::error_code ec;
      co_await wait.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!ec) {  // the deadline passed without a wake-up
        std::erase(waiters, &wait);
        error = {UpstreamFailure::timeout, "no upstream connection free within the timeout"};
        co_return nullptr;
      }
    }
  }

  void wake_one() {
    if (waiters.empty()) return;
    asio::steady_timer* waiter = waiters.front();
    waiters.pop_front();
    waiter->cancel();
  }

  void release_slot() {
    --open;
    wake_one();
  }

  void give_back(std::unique_ptr<Connection> connection, bool reusable) {
    if (reusable) {
      idle.push_back(std::move(connection));
      wake_one();
    } else {
      release_slot();
    }
  }

  // One request and its response. `retry` is set when the connection was found
  // closed before upstream took the request (see stream()).
  template <class Stream>
  asio::awaitable<UpstreamOutcome> exchange(Stream& stream, Connection& connection, UpstreamRequest& request,
                                            UpstreamSink& sink, bool& reusable, bool& retry) {
    UpstreamOutcome outcome;
    boost::system::error_code ec;
    const std::chrono::milliseconds limit = request.timeout.value_or(timeout);

    http::request<http::string_body> message{request.post ? http::verb::post : http::verb::get, request.target,
                                             11};
    message.set(http::field::host, host_header);
    message.set(http::field::user_agent, "libsql-gate");
    if (authorization) message.set(http::field::authorization, *authorization);
    if (request.post) {
      message.set(http::field::content_type, request.content_type);
      message.body() = std::move(request.body);
    }
    message.keep_alive(true);
    message.prepare_payload();

    {
      DeadlineTimer::Wait writing(connection.deadlines, Deadline::write, limit);
      co_await http::async_write(stream, message, asio::redirect_error(use_awaitable, ec));
    }
    // Kept for a retry on another connection.
    request.body = std::move(message.body());
    if (ec) {
      retry = connection.reused && closed_before_answer(ec);
      outcome.error = connection.failure(ec, "write request");
      co_return outcome;
    }

    http::response_parser<http::buffer_body> parser;
    // Bodies stream through; the client bounds what it reads. (Not boost::none:
    // Boost 1.74 compares the optional limit so that none refuses every
    // Content-Length body.)
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    {
      DeadlineTimer::Wait answer(connection.deadlines, Deadline::exchange, limit);
      co_await http::async_read_header(stream, connection.buffer, parser, asio::redirect_error(use_awaitable, ec));
    }
    if (ec) {
      retry = connection.reused && !parser.got_some() && closed_before_answer(ec);
      outcome.error = connection.failure(ec, "read response header");
      co_return outcome;
    }
    const auto& head = parser.get();
    outcome.head_delivered = true;
    const std::string content_type(head[http::field::content_type]);
    const bool wanted = co_await sink.head(head.result_int(), content_type);
    if (!wanted) co_return outcome;

    char chunk[16384];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      {
        DeadlineTimer::Wait reading(connection.deadlines, Deadline::exchange, limit);
        co_await http::async_read(stream, connection.buffer, parser, asio::redirect_error(use_awaitable, ec));
      }
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        outcome.error = connection.failure(ec, "read response body");
        co_return outcome;
      }
      const std::size_t n = sizeof chunk - parser.get().body().size;
      if (n > 0) {
        const std::string_view bytes(chunk, n);
        const bool wanted = co_await sink.data(bytes);
        if (!wanted) co_return outcome;
      }
    }
    reusable = parser.get().keep_alive();
    co_return outcome;
  }
};

UpstreamPool::UpstreamPool(asio::any_io_executor executor, UpstreamEndpoint endpoint, const UpstreamConfig& config,
                           std::size_t max_connections)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(endpoint), config, max_connections)) {}

UpstreamPool::~UpstreamPool() = default;

std::size_t UpstreamPool::open_connections() const { return impl_->open; }

// A pooled connection that upstream closed while it sat idle (its keep-alive
// expired) is found by a peek before use (Connection::still_open). The close can
// also cross the request on the wire: then upstream never took the request —
// a server closes a keep-alive connection only between requests, and a request
// it took gets an answer — so it is sent again on another connection. Only a
// reused connection is retried, and only when no byte of an answer came back;
// a fresh connection that fails is a real failure.
asio::awaitable<UpstreamOutcome> UpstreamPool::stream(UpstreamRequest& request, UpstreamSink& sink) {
  for (;;) {
    UpstreamError error;
    auto connection = co_await impl_->acquire(request.timeout.value_or(impl_->timeout), error);
    if (!connection) co_return UpstreamOutcome{error, false};
    bool reusable = false;
    bool retry = false;
    UpstreamOutcome outcome;
    if (connection->tls) {
      outcome = co_await impl_->exchange(*connection->tls, *connection, request, sink, reusable, retry);
    } else {
      outcome = co_await impl_->exchange(*connection->plain, *connection, request, sink, reusable, retry);
    }
    connection->reused = true;
    impl_->give_back(std::move(connection), reusable && !outcome.error);
    if (!retry) co_return outcome;
  }
}

namespace {

class BufferingSink final : public UpstreamSink {
 public:
  explicit BufferingSink(UpstreamResponse& response) : response_(response) {}
  asio::awaitable<bool> head(unsigned status, std::string_view content_type) override {
    response_.status = status;
    response_.content_type = std::string(content_type);
    co_return true;
  }
  asio::awaitable<bool> data(std::string_view bytes) override {
    response_.body.append(bytes);
    co_return true;
  }

 private:
  UpstreamResponse& response_;
};

}  // namespace

asio::awaitable<UpstreamOutcome> UpstreamPool::send(UpstreamRequest& request, UpstreamResponse& response) {
  BufferingSink sink(response);
  auto outcome = co_await stream(request, sink);
  // A buffered response that broke off midway was never shown to the client.
  if (outcome.error) outcome.head_delivered = false;
  co_return outcome;
}

}  // namespace gate::proxy
