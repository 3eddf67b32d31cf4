#pragma once
// The gate's own WebSocket connection to upstream (sqld / Turso) for one client
// WebSocket: ws:// or wss:// after upstream.url (the peer verified like the
// HTTP pool does: system CAs, host name, SNI), upgraded at "/" with the client's
// acceptable subprotocols, and authenticated with the gate's own credential
// (upstream.auth_token) in a hello before the client's upgrade is answered.
// sqld reads the credential of a WebSocket only from hello's jwt (its handshake
// ignores Authorization), so no header carries it.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.hpp"
#include "proxy/config.hpp"
#include "proxy/connection_deadlines.hpp"
#include "proxy/upstream_endpoint.hpp"
#include "proxy/upstream_pool.hpp"  // UpstreamError

namespace gate::proxy {

class WsUpstream {
 public:
  struct Impl;
  explicit WsUpstream(std::unique_ptr<Impl> impl);
  ~WsUpstream();
  WsUpstream(const WsUpstream&) = delete;
  WsUpstream& operator=(const WsUpstream&) = delete;

  // The subprotocol upstream chose ("" when none was offered: Hrana 1).
  const std::string& subprotocol() const;

  // One message into `buffer` (cleared first); `binary` tells its frame type.
  // An error ends the connection (beast::websocket::error::closed: upstream
  // closed it, close_reason() says how).
  asio::awaitable<boost::system::error_code> read(beast::flat_buffer& buffer, bool& binary);
  // One message; at most one write at a time. Fails if it cannot be written
  // within upstream.timeout_ms (upstream stopped reading).
  asio::awaitable<boost::system::error_code> write(std::string_view payload, bool binary);
  // A request went upstream: its answer is due within upstream.timeout_ms, or the
  // connection is closed (read() fails, timed_out() says so). answered() ends
  // the wait, whatever the answer was.
  using Exchange = ConnectionDeadlines::Ticket;
  Exchange expect_answer();
  void answered(Exchange exchange);
  // The deadline (a write, an exchange) that closed this connection, if one did.
  std::optional<Deadline> timed_out() const;
  // The closing handshake (bounded by upstream.timeout_ms), then the socket is closed.
  asio::awaitable<void> close(beast::websocket::close_code code);
  beast::websocket::close_reason close_reason() const;

 private:
  std::unique_ptr<Impl> impl_;
};

// Opens WsUpstreams; one per worker, used on that worker's thread.
class WsUpstreamConnector {
 public:
  WsUpstreamConnector(asio::any_io_executor executor, UpstreamEndpoint endpoint, const UpstreamConfig& config);
  ~WsUpstreamConnector();
  WsUpstreamConnector(const WsUpstreamConnector&) = delete;
  WsUpstreamConnector& operator=(const WsUpstreamConnector&) = delete;

  // Connects, upgrades offering `subprotocols` (in that order; none: no header),
  // sends hello with the gate's credential and waits for hello_ok. nullptr with
  // `error` set on failure (unreachable, refused upgrade, a subprotocol it was
  // not offered, hello refused), all within upstream.timeout_ms. Once open, an
  // upstream silent (no pong either) for `idle_timeout` is closed.
  asio::awaitable<std::unique_ptr<WsUpstream>> connect(const std::vector<std::string>& subprotocols,
                                                       std::int64_t max_message_bytes,
                                                       std::chrono::milliseconds idle_timeout, UpstreamError& error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gate::proxy
