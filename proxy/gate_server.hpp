#pragma once
// The client-facing listener (SPEC §3, HTTP part): one io_context per worker
// thread, connections accepted on one acceptor and handed round-robin to the
// workers (a session then lives on its worker), HTTP/1.1 keep-alive, the limits of
// SPEC §2 enforced, every Hrana request authenticated, authorized and forwarded.
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.hpp"
#include "proxy/config.hpp"
#include "proxy/upstream_pool.hpp"

namespace gate::proxy {

class Logger;
class Metrics;
class RequestGuard;
class StreamRegistry;

// Opens, binds and listens `acceptor` on `address`. Returns an error naming the
// config key `key`, or empty on success. (Shared with the admin listener.)
std::string listen_on(asio::ip::tcp::acceptor& acceptor, const ListenAddress& address, std::string_view key);
// "host:port" an acceptor is bound to (IPv6 in brackets).
std::string local_address_text(const asio::ip::tcp::acceptor& acceptor);

class GateServer {
 public:
  struct Parts {
    Metrics& metrics;
    Logger& logger;
    StreamRegistry& streams;
  };

  // `workers`: number of io_context threads (0: hardware_concurrency).
  GateServer(std::shared_ptr<const Config> config, Parts parts, std::size_t workers = 0);
  ~GateServer();
  GateServer(const GateServer&) = delete;
  GateServer& operator=(const GateServer&) = delete;

  // Must be called before start(); until then the server refuses (fails closed).
  void set_guard(std::shared_ptr<RequestGuard> guard);
  std::shared_ptr<RequestGuard> guard() const;

  // Binds config.listen. Returns an error message, or empty on success.
  std::string bind();
  // "host:port" actually bound (port 0 resolved).
  std::string bound_address() const;

  std::vector<asio::io_context*> contexts();
  asio::io_context& context(std::size_t worker);
  std::size_t workers() const;
  UpstreamPool& upstream(std::size_t worker);

  // Starts accepting and runs the worker threads; returns immediately.
  void start();
  // Stops accepting; sessions finish their current request and close.
  void drain();
  bool draining() const;
  // Requests read but not yet answered.
  std::size_t in_flight() const;
  // Stops every worker and joins the threads.
  void stop();

  // SIGHUP: limits, public_url, logging and policy mode apply to the next request.
  void update_config(std::shared_ptr<const Config> config);
  std::shared_ptr<const Config> config() const;

  struct Impl;  // defined in gate_server.cpp only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gate::proxy
