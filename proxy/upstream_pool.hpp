#pragma once
// Keep-alive HTTP/1.1 connections to the upstream (sqld / Turso), http or https.
// One pool per worker io_context (connections never cross threads), each holding
// at most its share of upstream.max_connections. A request is sent once: the only
// retry is onto another connection when a pooled one was found closed before any
// byte was written, since Hrana POSTs are not idempotent.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"
#include "proxy/connection_deadlines.hpp"
#include "proxy/config.hpp"
#include "proxy/upstream_endpoint.hpp"

namespace gate::proxy {

enum class UpstreamFailure {
  timeout,      // 504 UPSTREAM_TIMEOUT
  unavailable,  // 502 UPSTREAM_UNAVAILABLE (connect refused, reset, TLS failure)
  protocol,     // 502 UPSTREAM_UNAVAILABLE (not HTTP/1.1 as expected)
};

std::string_view to_string(UpstreamFailure failure);

struct UpstreamError {
  UpstreamFailure failure = UpstreamFailure::unavailable;
  std::string message;  // for the log; clients get a fixed message
};

// A failed socket operation `during` ("connect", ...): timeout or unavailable.
// `expired`: the connection's deadline that closed the socket, if one did (then
// `ec` is only the consequence).
UpstreamError upstream_error(const boost::system::error_code& ec, std::string_view during,
                             std::optional<Deadline> expired = std::nullopt);

struct UpstreamRequest {
  bool post = true;     // POST or GET
  std::string target;   // "/v3/pipeline"
  std::string body;     // forwarded as is
  std::string content_type = "application/json";
  // Overrides upstream.timeout_ms for this request (readiness probes must answer fast).
  std::optional<std::chrono::milliseconds> timeout;
};

// Receives a response as it arrives (cursor streaming).
class UpstreamSink {
 public:
  virtual ~UpstreamSink() = default;
  // false: the client went away; the pool drops the connection.
  virtual asio::awaitable<bool> head(unsigned status, std::string_view content_type) = 0;
  virtual asio::awaitable<bool> data(std::string_view bytes) = 0;
};

struct UpstreamResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

struct UpstreamOutcome {
  std::optional<UpstreamError> error;
  bool head_delivered = false;  // the sink saw head(): an error after it leaves the client response unfinished
};

class UpstreamPool {
 public:
  // `max_connections`: this pool's share. `executor`: the worker's.
  UpstreamPool(asio::any_io_executor executor, UpstreamEndpoint endpoint, const UpstreamConfig& config,
               std::size_t max_connections);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // Coroutine parameters are references on purpose: g++ 12 mishandles by-value
  // class parameters of coroutines (double destruction); callers keep them alive.
  // `request.body` is moved out.
  // Buffers the whole response (pipeline, /health, /version).
  asio::awaitable<UpstreamOutcome> send(UpstreamRequest& request, UpstreamResponse& response);
  // Streams the response into `sink`.
  asio::awaitable<UpstreamOutcome> stream(UpstreamRequest& request, UpstreamSink& sink);

  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gate::proxy
