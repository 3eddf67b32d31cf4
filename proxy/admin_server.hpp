#pragma once
// The admin listener (SPEC §7, `admin_listen`, never the client port): /metrics,
// /healthz, /readyz. Runs on the first worker's io_context.
#include <memory>
#include <string>

#include "common/asio.hpp"
#include "proxy/config.hpp"

namespace gate::proxy {

class GateServer;
class Logger;
class Metrics;

class AdminServer {
 public:
  struct Parts {
    Metrics& metrics;
    Logger& logger;
    GateServer& gate;  // readiness: guard, upstream, draining
  };

  explicit AdminServer(Parts parts);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Returns an error message, or empty on success.
  std::string bind(const ListenAddress& address);
  std::string bound_address() const;
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gate::proxy
