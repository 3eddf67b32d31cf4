#pragma once
// Why a client's WebSocket session (and with it the gate's upstream WebSocket)
// ended: the label of libsql_gate_upstream_websocket_closes_total{reason}. An
// operator tells a timeout (upstream too slow) from upstream closing from a
// silent peer from a client simply leaving.
#include <array>
#include <string_view>

namespace gate::proxy {

enum class WsCloseReason {
  client,           // the client closed, went away, broke the protocol or was refused at hello
  client_idle,      // the client sent nothing (not even a pong) or took nothing for idle_timeout_ms
  upstream_closed,  // upstream sent a close frame
  upstream_idle,    // upstream sent nothing (not even a pong) for idle_timeout_ms
  timeout,          // an answer or a write upstream took longer than upstream.timeout_ms
  upstream_failed,  // upstream's connection failed (reset) or it broke the Hrana protocol
  shutdown,         // the gate drained (SIGTERM)
  internal_error,   // the gate failed
};

inline constexpr std::array kWsCloseReasons = {
    WsCloseReason::client,  WsCloseReason::client_idle,     WsCloseReason::upstream_closed,
    WsCloseReason::upstream_idle, WsCloseReason::timeout,   WsCloseReason::upstream_failed,
    WsCloseReason::shutdown, WsCloseReason::internal_error,
};

constexpr std::string_view to_string(WsCloseReason reason) {
  switch (reason) {
    case WsCloseReason::client: return "client";
    case WsCloseReason::client_idle: return "client_idle";
    case WsCloseReason::upstream_closed: return "upstream_closed";
    case WsCloseReason::upstream_idle: return "upstream_idle";
    case WsCloseReason::timeout: return "timeout";
    case WsCloseReason::upstream_failed: return "upstream_failed";
    case WsCloseReason::shutdown: return "shutdown";
    case WsCloseReason::internal_error: return "internal_error";
  }
  return "internal_error";
}

}  // namespace gate::proxy
