// `libsql-gate serve` (SPEC §1, §8): load the config, start the client and admin
// listeners, reload on SIGHUP, drain and exit 0 on SIGTERM.
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "common/asio.hpp"
#include "proxy/admin_server.hpp"
#include "proxy/cli_args.hpp"
#include "proxy/cli_commands.hpp"
#include "proxy/config_file_argument.hpp"
#include "proxy/config.hpp"
#include "proxy/gate_server.hpp"
#include "proxy/log.hpp"
#include "proxy/metrics.hpp"
#include "proxy/request_guard.hpp"
#include "proxy/stream_registry.hpp"
#include "proxy/upstream_pool.hpp"

namespace gate::proxy {

namespace {

using asio::use_awaitable;

void print_problems(const ConfigLoad& load) {
  for (const auto& problem : load.problems) {
    std::fprintf(stderr, "%s: %s\n", problem.path.empty() ? "config" : problem.path.c_str(), problem.reason.c_str());
  }
}

nlohmann::json problems_json(const ConfigLoad& load) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& problem : load.problems) out.push_back(problem.path + ": " + problem.reason);
  return out;
}

std::string address_text(const ListenAddress& address) {
  return address.host + ":" + std::to_string(address.port);
}

// Settings a running process cannot change: a reload that alters them keeps the
// old values for them and says so.
void warn_restart_needed(const Config& old_config, const Config& new_config, Logger& logger) {
  nlohmann::json keys = nlohmann::json::array();
  if (address_text(old_config.listen) != address_text(new_config.listen)) keys.push_back("listen");
  if (address_text(old_config.admin_listen) != address_text(new_config.admin_listen)) keys.push_back("admin_listen");
  if (old_config.upstream.url != new_config.upstream.url ||
      old_config.upstream.auth_token != new_config.upstream.auth_token ||
      old_config.upstream.timeout_ms != new_config.upstream.timeout_ms ||
      old_config.upstream.max_connections != new_config.upstream.max_connections) {
    keys.push_back("upstream");
  }
  if (!keys.empty()) logger.warn("config reload: these settings take effect only after a restart", {{"keys", keys}});
}

// Waits for signals on the first worker; `done` is called when the process may exit.
class SignalHandler {
 public:
  SignalHandler(asio::io_context& context, std::string config_path, GateServer& gate, AdminServer& admin,
                Logger& logger)
      : signals_(context, SIGTERM, SIGINT, SIGHUP),
        config_path_(std::move(config_path)),
        gate_(gate),
        admin_(admin),
        logger_(logger) {}

  void start() { asio::co_spawn(signals_.get_executor(), loop(), asio::detached); }

  void wait_until_done() {
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [this] { return done_; });
  }

 private:
  asio::awaitable<void> loop() {
    for (;;) {
      boost::system::error_code ec;
      const int signal = co_await signals_.async_wait(asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      if (signal == SIGHUP) {
        reload();
        continue;
      }
      co_await drain();
      co_return;
    }
  }

  void reload() {
    ConfigLoad load = load_config_file(config_path_);
    if (!load.config) {
      logger_.error("config reload rejected; the previous config keeps serving",
                    {{"config", config_path_}, {"problems", problems_json(load)}});
      return;
    }
    auto config = std::make_shared<const Config>(std::move(*load.config));
    warn_restart_needed(*gate_.config(), *config, logger_);
    logger_.configure(config->logging);
    gate_.update_config(config);
    gate_.guard()->reconfigure(*config);
    logger_.info("config reloaded", {{"config", config_path_}});
  }

  // SIGTERM: stop accepting, report not ready, let in-flight requests finish for
  // up to drain_timeout_ms.
  asio::awaitable<void> drain() {
    const auto timeout = std::chrono::milliseconds(gate_.config()->limits.drain_timeout_ms);
    logger_.info("draining", {{"in_flight", gate_.in_flight()}, {"drain_timeout_ms", timeout.count()}});
    gate_.drain();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::steady_timer tick(signals_.get_executor());
    while (gate_.in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      tick.expires_after(std::chrono::milliseconds(20));
      co_await tick.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    logger_.info("drained", {{"abandoned", gate_.in_flight()}});
    admin_.stop();
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
  }

  asio::signal_set signals_;
  std::string config_path_;
  GateServer& gate_;
  AdminServer& admin_;
  Logger& logger_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
};

}  // namespace

int run_serve(std::span<char* const> args) {
  static constexpr FlagSpec kFlags[] = {{"config"}};
  auto parsed = CliArgs::parse(args, kFlags);
  if (!parsed.args) {
    std::fprintf(stderr, "libsql-gate serve: %s\n", parsed.error.c_str());
    print_usage();
    return 2;
  }
  std::optional<std::string> path = config_file_argument(*parsed.args);
  if (!path) {
    std::fprintf(stderr, "libsql-gate serve: no config given: pass --config FILE or set LIBSQL_GATE_CONFIG\n");
    return 2;
  }

  ConfigLoad load = load_config_file(*path);
  if (!load.config) {
    print_problems(load);
    return 1;
  }
  if (!parse_upstream_url(load.config->upstream.url)) {
    std::fprintf(stderr, "upstream.url: expected http://host[:port] or https://host[:port] without a path\n");
    return 1;
  }
  auto config = std::make_shared<const Config>(std::move(*load.config));

  // A client that hangs up mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  Logger logger;
  logger.configure(config->logging);
  Metrics metrics;
  {
    std::vector<std::string> issuer_names;
    for (const auto& issuer : config->issuers) issuer_names.push_back(issuer.verification.name);
    metrics.register_issuers(issuer_names);
  }
  StreamRegistry streams;
  GateServer gate(config, GateServer::Parts{metrics, logger, streams});
  gate.set_guard(
      make_request_guard(GuardContext{*config, metrics, logger, gate.workers(), gate.contexts(), &gate.upstream(0)}));
  AdminServer admin(AdminServer::Parts{metrics, logger, gate});

  if (std::string error = gate.bind(); !error.empty()) {
    logger.error("cannot start", {{"error", error}});
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  if (std::string error = admin.bind(config->admin_listen); !error.empty()) {
    logger.error("cannot start", {{"error", error}});
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }

  SignalHandler signals(gate.context(0), *path, gate, admin, logger);
  signals.start();
  admin.start();
  gate.start();
  logger.info("listening", {{"listen", gate.bound_address()},
                            {"admin", admin.bound_address()},
                            {"workers", gate.workers()},
                            {"upstream", config->upstream.url}});

  signals.wait_until_done();
  gate.stop();
  logger.info("stopped");
  return 0;
}

}  // namespace gate::proxy
