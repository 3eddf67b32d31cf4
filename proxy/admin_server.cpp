#include "proxy/admin_server.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "proxy/gate_server.hpp"
#include "proxy/log.hpp"
#include "proxy/metrics.hpp"
#include "proxy/request_guard.hpp"

namespace gate::proxy {

namespace {
using tcp = asio::ip::tcp;
using asio::use_awaitable;
}  // namespace

struct AdminServer::Impl {
  Parts parts;
  asio::io_context& context;
  std::optional<tcp::acceptor> acceptor;

  explicit Impl(Parts p) : parts(p), context(p.gate.context(0)) {}

  // Readiness (SPEC §7): issuers have usable keys and upstream answers /health;
  // never while draining.
  asio::awaitable<std::pair<bool, std::string>> readiness() {
    nlohmann::json missing = nlohmann::json::array();
    if (parts.gate.draining()) missing.push_back("draining: shutting down");
    for (const std::string& reason : parts.gate.guard()->not_ready()) missing.push_back(reason);
    UpstreamResponse response;
    // Orchestrators time probes out after a second or so: answer within that.
    UpstreamRequest probe{false, "/health", "", "", std::chrono::milliseconds(1000)};
    auto outcome = co_await parts.gate.upstream(0).send(probe, response);
    if (outcome.error) {
      missing.push_back("upstream: " + std::string(to_string(outcome.error->failure)) + " (" +
                        outcome.error->message + ")");
    } else if (response.status != 200) {
      missing.push_back("upstream: GET /health answered " + std::to_string(response.status));
    }
    const bool ready = missing.empty();
    nlohmann::json body{{"ready", ready}};
    if (!ready) body["missing"] = missing;
    co_return std::pair{ready, body.dump()};
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      http::request<http::empty_body> request;
      stream.expires_after(std::chrono::seconds(30));
      co_await http::async_read(stream, buffer, request, asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      http::response<http::string_body> response{http::status::ok, request.version()};
      response.set(http::field::server, "libsql-gate");
      const std::string_view target = request.target();
      const std::string_view path = target.substr(0, target.find('?'));
      if (request.method() != http::verb::get) {
        response.result(http::status::method_not_allowed);
        response.set(http::field::content_type, "application/json");
        response.body() = R"({"message":"admin endpoints answer GET only","code":"METHOD_NOT_ALLOWED"})";
      } else if (path == "/metrics") {
        response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        response.body() = parts.metrics.exposition();
      } else if (path == "/healthz") {
        response.set(http::field::content_type, "application/json");
        response.body() = R"({"status":"ok"})";
      } else if (path == "/readyz") {
        auto [ready, body] = co_await readiness();
        response.result(ready ? http::status::ok : http::status::service_unavailable);
        response.set(http::field::content_type, "application/json");
        response.body() = std::move(body);
      } else {
        response.result(http::status::not_found);
        response.set(http::field::content_type, "application/json");
        response.body() = R"({"message":"admin endpoints: /metrics /healthz /readyz","code":"NOT_FOUND"})";
      }
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
      if (ec || !request.keep_alive()) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor->async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) continue;
      asio::co_spawn(context, session(std::move(socket)), asio::detached);
    }
  }
};

AdminServer::AdminServer(Parts parts) : impl_(std::make_unique<Impl>(parts)) {}
AdminServer::~AdminServer() = default;

std::string AdminServer::bind(const ListenAddress& address) {
  tcp::acceptor acceptor(impl_->context);
  if (std::string error = listen_on(acceptor, address, "admin_listen"); !error.empty()) return error;
  impl_->acceptor.emplace(std::move(acceptor));
  return {};
}

std::string AdminServer::bound_address() const {
  return impl_->acceptor ? local_address_text(*impl_->acceptor) : std::string();
}

void AdminServer::start() {
  if (impl_->acceptor) asio::co_spawn(impl_->context, impl_->accept_loop(), asio::detached);
}

void AdminServer::stop() {
  asio::post(impl_->context, [impl = impl_.get()] {
    boost::system::error_code ec;
    if (impl->acceptor) impl->acceptor->close(ec);
  });
}

}  // namespace gate::proxy
