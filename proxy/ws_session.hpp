#pragma once
// Hrana over WebSocket through the gate (SPEC §3 WebSocket row; Hrana 3 spec,
// "Hrana over WebSocket"). The HTTP session hands an upgrade request here; the
// WebSocket session then owns the connection until it closes:
//
// - negotiation: the client's offered subprotocols that the gate speaks go
//   upstream in the client's order on one upstream WebSocket per client
//   connection (authenticated with the gate's credential, ws_upstream.hpp);
//   the client gets exactly the subprotocol upstream chose, or an HTTP error
//   (400 PROTO_ERROR: nothing acceptable; 502/504: upstream unreachable);
// - hello: the client's jwt is verified like a bearer token; the connection
//   belongs to the first principal that said hello (ws_connection_state.hpp);
// - every request is checked and authorized in arrival order before it goes
//   upstream (denials answered with response_error, nothing forwarded), the
//   upstream link stays pipelined, and upstream's responses are relayed as
//   received; at most kMaxOutstanding requests are unanswered before the gate
//   stops reading the client (back-pressure).
#include <cstddef>
#include <functional>
#include <memory>
#include <set>

#include "common/asio.hpp"
#include "proxy/config.hpp"
#include "proxy/ws_upstream.hpp"

namespace gate::proxy {

class Logger;
class Metrics;
class RequestGuard;

// Something that can be asked to close gracefully (SIGTERM drain).
class WsDrainable {
 public:
  virtual ~WsDrainable() = default;
  virtual void drain() = 0;
};

// What the WebSocket sessions of one worker share: the upstream connector and
// the live sessions, so a drain reaches each of them. Used on that worker's
// thread only.
class WsWorker {
 public:
  WsWorker(asio::any_io_executor executor, const UpstreamEndpoint& endpoint, const UpstreamConfig& config)
      : connector_(std::move(executor), endpoint, config) {}

  WsUpstreamConnector& connector() { return connector_; }

  // Every session, present and future, closes with 1001 once its in-flight
  // requests are answered.
  void drain();
  bool draining() const { return draining_; }
  void add(WsDrainable* session) { sessions_.insert(session); }
  void remove(WsDrainable* session) { sessions_.erase(session); }

 private:
  WsUpstreamConnector connector_;
  std::set<WsDrainable*> sessions_;
  bool draining_ = false;
};

struct WsSessionContext {
  Metrics& metrics;
  Logger& logger;
  std::function<std::shared_ptr<const Config>()> config;
  std::function<std::shared_ptr<RequestGuard>()> guard;
  WsWorker& ws;
  std::size_t worker;  // index of this io_context thread, for the guard
};

// GET with `Upgrade: websocket` (and the other RFC 6455 handshake headers).
bool is_websocket_upgrade(const http::request<http::string_body>& request);

// Serves one upgraded connection until it closes. `stream` is moved from. The
// caller keeps the upgrade request counted in flight meanwhile, so a drain waits
// for the closing handshake.
asio::awaitable<void> serve_websocket(const WsSessionContext& context, beast::tcp_stream& stream,
                                      const http::request<http::string_body>& upgrade);

}  // namespace gate::proxy
