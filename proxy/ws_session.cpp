#include "proxy/ws_session.hpp"

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "proxy/deadline_timer.hpp"
#include "proxy/error_body.hpp"
#include "proxy/hrana_ws.hpp"
#include "proxy/log.hpp"
#include "proxy/metrics.hpp"
#include "proxy/request_guard.hpp"
#include "proxy/ws_connection_state.hpp"

namespace gate::proxy {

namespace {

namespace websocket = beast::websocket;
namespace ws = hrana::ws;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using hrana::Encoding;
using ws::RequestType;

// Requests (and hellos) read from one client and not yet answered to it, at most:
// beyond it the gate stops reading that client (Hrana: "stop receiving messages"),
// which also bounds the responses queued for a client that does not read.
constexpr std::size_t kMaxOutstanding = 128;
// Upstream messages carry result sets (sqld answers at most ~10 MB by default).
constexpr std::int64_t kMaxUpstreamMessage = 64 * 1024 * 1024;
// Close frames carry at most 123 bytes of reason.
constexpr std::size_t kMaxCloseReason = 123;

// Wakes the coroutines of one session waiting for it. Everything runs on one
// worker thread, so a waiter that checks its condition and then waits cannot
// miss a notify.
class Signal {
 public:
  explicit Signal(const asio::any_io_executor& executor) : timer_(executor, asio::steady_timer::time_point::max()) {}
  void notify() { timer_.cancel(); }
  asio::awaitable<void> wait() {
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
  }

 private:
  asio::steady_timer timer_;
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The client's Sec-WebSocket-Protocol offer (every such header, comma-separated),
// or nullopt when it sent none.
std::optional<std::vector<std::string>> offered_subprotocols(const http::request<http::string_body>& request) {
  auto [first, last] = request.equal_range(http::field::sec_websocket_protocol);
  if (first == last) return std::nullopt;
  std::vector<std::string> names;
  for (auto it = first; it != last; ++it) {
    std::string_view value = it->value();
    while (!value.empty()) {
      const auto comma = value.find(',');
      const std::string_view name = trim(value.substr(0, comma));
      if (!name.empty()) names.emplace_back(name);
      value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
  }
  return names;
}

websocket::close_reason close_reason(websocket::close_code code, std::string_view reason) {
  websocket::close_reason out(code);
  out.reason = std::string(reason.substr(0, kMaxCloseReason));
  return out;
}

class WsSession final : public WsDrainable {
 public:
  WsSession(const WsSessionContext& context, std::shared_ptr<const Config> config,
            websocket::stream<beast::tcp_stream>& client, WsUpstream& upstream, ws::Subprotocol subprotocol)
      : context_(context),
        config_(std::move(config)),
        client_(client),
        upstream_(upstream),
        encoding_(ws::encoding_of(subprotocol)),
        subprotocol_(subprotocol),
        state_(ws::version_of(subprotocol)),
        queued_(client.get_executor()),
        room_(client.get_executor()),
        done_(client.get_executor()),
        client_deadlines_(client.get_executor(), [&client](Deadline) { beast::get_lowest_layer(client).close(); }) {}

  asio::awaitable<void> run();
  void drain() override;

 private:
  asio::awaitable<void> read_client();
  asio::awaitable<void> read_upstream();
  asio::awaitable<void> write_client();
  asio::awaitable<bool> on_hello(const ws::ClientMessage& message);
  asio::awaitable<bool> on_request(const ws::ClientMessage& message, std::string_view payload, bool binary);
  asio::awaitable<std::optional<Denial>> decide(const Principal& principal,
                                                const std::vector<hrana::RequestStatements>& statements,
                                                Verdict& verdict, std::string& outcome);

  // Queues the answer to one client message (each counts against kMaxOutstanding
  // until written).
  void send(std::string payload) {
    queue_.push_back(std::move(payload));
    queued_.notify();
  }
  // A helper coroutine ended; one that failed ends the connection.
  void helper_done(bool& done, const std::exception_ptr& failure);
  void answer_error(std::int32_t request_id, const hrana::Error& error) {
    send(ws::encode_response_error(encoding_, request_id, error));
  }
  // A request answered with `error` and not forwarded. A refused open_cursor's id
  // stays the gate's to answer for (upstream never saw it; sqld would close the
  // connection on a close_cursor for a cursor it does not know).
  void refuse(std::int32_t request_id, const ws::Request& request, const hrana::Error& error) {
    if (request.type == RequestType::open_cursor) state_.cursor_refused(*request.cursor_id);
    answer_error(request_id, error);
  }
  // Ends the connection: the client is closed with `code` once the queued
  // messages are written, upstream with `upstream_code`. The first call decides
  // (and `why` is what the close metric counts).
  void finish(WsCloseReason why, websocket::close_code code, std::string_view reason,
              websocket::close_code upstream_code = websocket::close_code::normal);
  void protocol_error(std::string_view reason) {
    finish(WsCloseReason::client, websocket::close_code::protocol_error, reason);
  }
  // The client's read or write failed: a deadline of ours, its idle timeout, or it left.
  void client_gone(const boost::system::error_code& ec) {
    client_closed_ = true;
    const bool idle = client_deadlines_.expired() || ec == beast::error::timeout;
    finish(idle ? WsCloseReason::client_idle : WsCloseReason::client, websocket::close_code::normal, "");
  }
  // The upstream connection failed (`during` a read or a write).
  void upstream_failed(const boost::system::error_code& ec, std::string_view during);
  void access_log(std::string_view type, std::string_view outcome, Clock::time_point started,
                  const std::vector<TouchedTable>& touched = {});
  void auth_failed(const AuthRejection& rejection);

  const WsSessionContext& context_;
  std::shared_ptr<const Config> config_;
  websocket::stream<beast::tcp_stream>& client_;
  WsUpstream& upstream_;
  Encoding encoding_;
  ws::Subprotocol subprotocol_;
  WsConnectionState state_;

  std::deque<std::string> queue_;
  Signal queued_;  // queue_ grew, or finishing
  Signal room_;    // unanswered_ shrank, or finishing
  Signal done_;    // a helper coroutine ended
  // The client connection's deadlines (its writes); upstream's are WsUpstream's.
  DeadlineTimer client_deadlines_;
  std::size_t unanswered_ = 0;
  bool draining_ = false;
  bool finishing_ = false;
  bool client_closed_ = false;  // no close frame to send: the client closed or failed
  websocket::close_reason client_close_;
  websocket::close_code upstream_close_ = websocket::close_code::normal;
  bool upstream_done_ = false;
  bool writer_done_ = false;
  WsCloseReason end_reason_ = WsCloseReason::client;
};

void WsSession::helper_done(bool& done, const std::exception_ptr& failure) {
  done = true;
  done_.notify();
  if (!failure) return;
  std::string what = "unknown";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  context_.logger.error("websocket session failed", {{"error", what}});
  finish(WsCloseReason::internal_error, websocket::close_code::internal_error, "internal error");
  // The failed part may have been the one to close the client: end it here
  // (pending operations complete with an error), so nothing waits forever.
  client_closed_ = true;
  beast::get_lowest_layer(client_).close();
}

void WsSession::finish(WsCloseReason why, websocket::close_code code, std::string_view reason,
                       websocket::close_code upstream_code) {
  if (finishing_) return;
  finishing_ = true;
  end_reason_ = why;
  client_close_ = close_reason(code, reason);
  upstream_close_ = upstream_code;
  queued_.notify();
  room_.notify();
}

void WsSession::upstream_failed(const boost::system::error_code& ec, std::string_view during) {
  if (const auto deadline = upstream_.timed_out()) {
    // The exchange's state upstream is unknown from then on, as over HTTP, and a
    // late answer could not be told from a protocol violation: the connection ends.
    context_.metrics.count_upstream_error("timeout");
    context_.logger.warn("upstream websocket timed out", {{"waiting_for", std::string(to_string(*deadline))},
                                                          {"timeout_ms", config_->upstream.timeout_ms}});
    finish(WsCloseReason::timeout, websocket::close_code::internal_error,
           "the database did not answer in time (upstream.timeout_ms); reconnect");
    return;
  }
  const bool idle = ec == beast::error::timeout;  // the websocket's own idle timer: no pong either
  context_.metrics.count_upstream_error(idle ? "timeout" : "unavailable");
  context_.logger.warn("upstream websocket failed", {{"during", std::string(during)}, {"error", ec.message()}});
  finish(idle ? WsCloseReason::upstream_idle : WsCloseReason::upstream_failed, websocket::close_code::internal_error,
         "the database connection failed");
}

void WsSession::drain() {
  draining_ = true;
  if (unanswered_ == 0) {
    finish(WsCloseReason::shutdown, websocket::close_code::going_away, "the gate is shutting down; reconnect");
  }
}

asio::awaitable<void> WsSession::run() {
  const auto executor = client_.get_executor();
  client_.read_message_max(static_cast<std::uint64_t>(config_->limits.max_body_bytes));
  client_.binary(encoding_ == Encoding::protobuf);
  // Idle: a peer that sends nothing, not even a pong to the gate's pings, for
  // idle_timeout_ms is gone. A live client may stay connected without requests.
  websocket::stream_base::timeout options;
  options.handshake_timeout = std::chrono::milliseconds(config_->limits.idle_timeout_ms);
  options.idle_timeout = std::chrono::milliseconds(config_->limits.idle_timeout_ms);
  options.keep_alive_pings = true;
  client_.set_option(options);

  struct Registration {
    WsWorker& ws;
    WsDrainable* session;
    ~Registration() { ws.remove(session); }
  } registration{context_.ws, this};
  context_.ws.add(this);
  if (context_.ws.draining()) drain();
  // The helpers reference this session: it lives until all of them ended.
  asio::co_spawn(executor, read_upstream(), [this](std::exception_ptr e) { helper_done(upstream_done_, e); });
  asio::co_spawn(executor, write_client(), [this](std::exception_ptr e) { helper_done(writer_done_, e); });
  std::exception_ptr failure;
  try {
    co_await read_client();
  } catch (...) {
    failure = std::current_exception();
  }
  bool reader_done = false;
  if (failure) helper_done(reader_done, failure);
  co_await upstream_.close(upstream_close_);
  while (!upstream_done_ || !writer_done_) co_await done_.wait();
  context_.metrics.count_upstream_websocket_close(end_reason_);
}

asio::awaitable<void> WsSession::read_client() {
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  for (;;) {
    while (unanswered_ >= kMaxOutstanding && !finishing_) co_await room_.wait();
    if (finishing_) break;
    buffer.clear();
    co_await client_.async_read(buffer, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      // Closed by the client, over-long message (Beast closed with 1009), idle
      // timeout, reset: nothing more to say to this client.
      client_gone(ec);
      break;
    }
    if (finishing_) break;
    // After a drain began, the connection only waits for its answers, then closes.
    if (draining_) continue;
    const bool binary = client_.got_binary();
    if (binary != (encoding_ == Encoding::protobuf)) {
      finish(WsCloseReason::client, websocket::close_code::unknown_data,
             binary ? "binary frame on a JSON subprotocol" : "text frame on hrana3-protobuf");
      break;
    }
    const auto data = buffer.data();
    const std::string_view payload(static_cast<const char*>(data.data()), data.size());
    ws::ClientDecode decoded = ws::decode_client_message(encoding_, payload);
    if (!decoded.message) {
      protocol_error("malformed message: " + decoded.error->message);
      break;
    }
    const bool go_on = decoded.message->type == ws::ClientMessage::Type::hello
                           ? co_await on_hello(*decoded.message)
                           : co_await on_request(*decoded.message, payload, binary);
    if (!go_on) break;
  }
}

void WsSession::auth_failed(const AuthRejection& rejection) {
  context_.metrics.count_auth_failure(rejection.issuer_name.empty() ? "unknown" : rejection.issuer_name,
                                      rejection.check.empty() ? "unknown" : rejection.check);
}

asio::awaitable<bool> WsSession::on_hello(const ws::ClientMessage& message) {
  const auto started = Clock::now();
  ++unanswered_;
  auto refuse = [&](const hrana::Error& error, std::string_view outcome) {
    // Hrana: after hello_error the server ignores the client and closes.
    send(ws::encode_hello_error(encoding_, error));
    access_log("hello", outcome, started);
    finish(WsCloseReason::client, websocket::close_code::normal, "hello refused: " + error.code);
    return false;
  };
  if (!message.jwt) {
    const AuthRejection rejection{AuthFailure::header_missing, "hello carries no jwt: send the token in hello.jwt",
                                  "unknown", "header_missing"};
    auth_failed(rejection);
    co_return refuse({rejection.message, std::string(error_code(rejection.reason))}, "auth_failed");
  }
  if (message.jwt->size() > static_cast<std::size_t>(config_->limits.max_token_bytes)) {
    co_return refuse({"hello jwt larger than limits.max_token_bytes", "PROTO_ERROR"}, "bad_request");
  }
  const std::shared_ptr<RequestGuard> guard = context_.guard();
  const Authentication auth = co_await guard->authenticate(*message.jwt);
  if (!auth.principal) {
    const AuthRejection rejection = rejection_of(auth);
    auth_failed(rejection);
    const bool unavailable =
        rejection.reason == AuthFailure::keys_unavailable || rejection.reason == AuthFailure::not_configured;
    co_return refuse({rejection.message, std::string(error_code(rejection.reason))},
                     unavailable ? "unavailable" : "auth_failed");
  }
  switch (state_.hello(*auth.principal, *message.jwt)) {
    case WsConnectionState::HelloOutcome::first:
    case WsConnectionState::HelloOutcome::renewed:
      send(ws::encode_hello_ok(encoding_));
      access_log("hello", "allowed", started);
      co_return true;
    case WsConnectionState::HelloOutcome::other_principal:
      context_.metrics.count_auth_failure(auth.principal->issuer_name, "principal_mismatch");
      co_return refuse({"this connection was opened by another principal (iss, sub); a new principal must open "
                        "its own connection",
                        "AUTH_PRINCIPAL_MISMATCH"},
                       "auth_failed");
    case WsConnectionState::HelloOutcome::repeat_unsupported:
      protocol_error("a repeated hello needs Hrana 2 or later");
      co_return false;
  }
  co_return false;
}

asio::awaitable<std::optional<Denial>> WsSession::decide(const Principal& principal,
                                                         const std::vector<hrana::RequestStatements>& statements,
                                                         Verdict& verdict, std::string& outcome) {
  for (const auto& s : statements) {
    if (s.unresolved) {
      context_.metrics.count_denial("unresolved_sql_id");
      outcome = "denied";
      co_return Denial{s.index, *s.unresolved, "unresolved_sql_id"};
    }
  }
  const std::shared_ptr<RequestGuard> guard = context_.guard();
  verdict = co_await guard->authorize(principal, statements, context_.worker);
  if (!verdict.denial) co_return std::nullopt;
  const Denial& denial = *verdict.denial;
  context_.metrics.count_denial(denial.action);
  if (context_.config()->policy.mode == policy::Mode::enforce) {
    outcome = "denied";
    co_return denial;
  }
  outcome = "audit_denied";
  context_.logger.warn("audit: would deny", {{"protocol", "ws"}, {"code", denial.error.code},
                                             {"reason", denial.error.message}});
  co_return std::nullopt;
}

asio::awaitable<bool> WsSession::on_request(const ws::ClientMessage& message, std::string_view payload, bool binary) {
  const ws::Request& request = message.request;
  const std::int32_t id = message.request_id;
  const std::string_view type = ws::to_string(request.type);
  if (auto violation = state_.violation(id, request)) {
    protocol_error(*violation);
    co_return false;
  }
  const auto started = Clock::now();
  ++unanswered_;

  // The hello's token is verified for every request, exactly as a bearer token
  // over HTTP (from the verified-token cache while it is valid): an expired
  // token, a key removed from the issuer's JWKS or a reload that changed the
  // claim mappings applies to the next request. Refused until a new hello.
  const std::shared_ptr<RequestGuard> guard = context_.guard();
  const Authentication auth = co_await guard->authenticate(state_.token());
  if (!auth.principal) {
    const AuthRejection rejection = rejection_of(auth);
    auth_failed(rejection);
    refuse(id, request, {rejection.message + "; send a new hello with a fresh token",
                         std::string(error_code(rejection.reason))});
    access_log(type, "auth_failed", started);
    co_return true;
  }

  if (request.cursor_id && state_.refused_cursor(*request.cursor_id)) {
    // Upstream never saw this cursor: the gate answers for it.
    if (request.type == RequestType::close_cursor) {
      state_.refused_cursor_closed(*request.cursor_id);
      send(ws::encode_empty_response_ok(encoding_, id, RequestType::close_cursor));
      access_log(type, "allowed", started);
      co_return true;
    }
    if (request.type == RequestType::fetch_cursor) {
      answer_error(id, {"cursor " + std::to_string(*request.cursor_id) + " was not opened: its batch was denied",
                        "CURSOR_NOT_OPEN"});
      access_log(type, "denied", started);
      co_return true;
    }
  }
  if (state_.storage_full(request)) {
    answer_error(id, {"too many SQL texts stored on this connection (" +
                          std::to_string(WsConnectionState::kMaxStoredSql) + "): close_sql some first",
                      "SQL_STORE_FULL"});
    access_log(type, "bad_request", started);
    co_return true;
  }

  WsConnectionState::Pending pending;
  pending.type = request.type;
  pending.received = started;
  const auto statements = state_.statements(request);
  if (!statements.empty()) {
    Verdict verdict;
    auto denial = co_await decide(*auth.principal, statements, verdict, pending.outcome);
    if (finishing_) co_return false;
    pending.touched = verdict.touched;
    pending.changes_schema = verdict.changes_schema;
    if (denial) {
      refuse(id, request, denial->error);
      access_log(type, pending.outcome, started, pending.touched);
      co_return true;
    }
  }

  pending.store = state_.sent(request);
  pending.sent = Clock::now();
  // Its answer is due within upstream.timeout_ms from now: each request waits
  // on its own deadline, which only its answer ends.
  pending.exchange = upstream_.expect_answer();
  state_.forwarded(id, std::move(pending));
  // The client's own bytes go upstream: what was authorized is what runs.
  const auto ec = co_await upstream_.write(payload, binary);
  if (ec) {
    if (!finishing_) upstream_failed(ec, "write");
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> WsSession::read_upstream() {
  beast::flat_buffer buffer;
  bool binary = false;
  auto broken = [&](const std::string& what) {
    context_.metrics.count_upstream_error("protocol");
    context_.logger.warn("upstream websocket protocol violation", {{"error", what}});
    finish(WsCloseReason::upstream_failed, websocket::close_code::internal_error,
           "the database broke the Hrana protocol", websocket::close_code::protocol_error);
  };
  for (;;) {
    const auto ec = co_await upstream_.read(buffer, binary);
    if (ec) {
      if (finishing_) break;
      if (ec == websocket::error::closed) {
        // Upstream closed: the client learns the same code (its requests died with it).
        const auto reason = upstream_.close_reason();
        const auto code = reason.code == websocket::close_code::none ? websocket::close_code::internal_error
                                                                     : static_cast<websocket::close_code>(reason.code);
        context_.logger.info("upstream websocket closed", {{"code", reason.code}, {"reason", reason.reason.c_str()}});
        finish(WsCloseReason::upstream_closed, code, reason.reason.c_str());
      } else {
        upstream_failed(ec, "read");
      }
      break;
    }
    if (binary != (encoding_ == Encoding::protobuf)) {
      broken("frame type does not match the subprotocol");
      break;
    }
    std::string payload = beast::buffers_to_string(buffer.data());
    const auto message = ws::inspect_server_message(encoding_, payload);
    if (!message || message->type == ws::ServerMessage::Type::hello_ok ||
        message->type == ws::ServerMessage::Type::hello_error) {
      broken(message ? "unexpected hello answer" : "malformed message");
      break;
    }
    auto pending = state_.answered(message->request_id);
    if (!pending) {
      broken("a response to request " + std::to_string(message->request_id) + ", which is not outstanding");
      break;
    }
    upstream_.answered(pending->exchange);
    const bool ok = message->type == ws::ServerMessage::Type::response_ok;
    if (ok && message->response_type != pending->type) {
      broken("a " + std::string(ws::to_string(*message->response_type)) + " response to a " +
             std::string(ws::to_string(pending->type)) + " request");
      break;
    }
    context_.metrics.observe_upstream_duration(std::chrono::duration<double>(Clock::now() - pending->sent).count());
    if (ok && pending->changes_schema) context_.guard()->schema_changed();
    if (!ok && pending->store) state_.store_failed(*pending->store);
    access_log(ws::to_string(pending->type), pending->outcome, pending->received, pending->touched);
    send(std::move(payload));
  }
}

asio::awaitable<void> WsSession::write_client() {
  boost::system::error_code ec;
  const auto limit = std::chrono::milliseconds(config_->limits.idle_timeout_ms);
  for (;;) {
    while (!queue_.empty()) {
      const std::string payload = std::move(queue_.front());
      queue_.pop_front();
      if (!client_closed_) {
        // A client that stops reading cannot hold the connection: the write is
        // bounded (the websocket's own timeouts watch reads only).
        DeadlineTimer::Wait wait(client_deadlines_, Deadline::write, limit);
        co_await client_.async_write(asio::buffer(payload), asio::redirect_error(use_awaitable, ec));
        if (ec) client_gone(ec);
      }
      --unanswered_;
      room_.notify();
      if (draining_ && unanswered_ == 0) {
        finish(WsCloseReason::shutdown, websocket::close_code::going_away, "the gate is shutting down; reconnect");
      }
    }
    if (finishing_) break;
    co_await queued_.wait();
  }
  if (!client_closed_ && client_.is_open()) {
    co_await client_.async_close(client_close_, asio::redirect_error(use_awaitable, ec));
  }
  beast::get_lowest_layer(client_).close();
}

void WsSession::access_log(std::string_view type, std::string_view outcome, Clock::time_point started,
                           const std::vector<TouchedTable>& touched) {
  context_.metrics.count_request("ws", outcome);
  context_.metrics.observe_request_duration("ws", std::chrono::duration<double>(Clock::now() - started).count());
  Logger& logger = context_.logger;
  if (!logger.access_log()) return;
  nlohmann::json fields{
      {"protocol", "ws"},
      {"subprotocol", std::string(ws::to_string(subprotocol_))},
      {"request", std::string(type)},
      {"outcome", std::string(outcome)},
      {"latency_ms", std::chrono::duration<double, std::milli>(Clock::now() - started).count()},
  };
  if (state_.authenticated()) {
    fields["issuer"] = state_.principal().issuer_name;
    fields["subject"] = state_.principal().subject;
  }
  if (!touched.empty()) fields["tables"] = touched_json(touched);
  logger.info("access", fields);
}

// Refuses an upgrade with an HTTP error (SPEC §4 body) and logs it.
asio::awaitable<void> refuse_upgrade(const WsSessionContext& context, beast::tcp_stream& stream,
                                     const http::request<http::string_body>& upgrade, http::status status,
                                     std::string_view code, std::string_view message, std::string_view outcome) {
  http::response<http::string_body> response{status, upgrade.version()};
  response.set(http::field::server, "libsql-gate");
  response.set(http::field::content_type, "application/json");
  response.body() = error_body(message, code);
  response.keep_alive(false);
  response.prepare_payload();
  boost::system::error_code ec;
  stream.expires_after(std::chrono::seconds(10));
  co_await http::async_write(stream, response, asio::redirect_error(use_awaitable, ec));
  context.metrics.count_request("ws", outcome);
  if (context.logger.access_log()) {
    context.logger.info("access", {{"protocol", "ws"},
                                   {"request", "upgrade"},
                                   {"status", static_cast<unsigned>(status)},
                                   {"outcome", std::string(outcome)}});
  }
}

}  // namespace

void WsWorker::drain() {
  draining_ = true;
  // A session removes itself only when it ends; copy, as drain() may end one.
  const std::set<WsDrainable*> sessions = sessions_;
  for (WsDrainable* session : sessions) session->drain();
}

bool is_websocket_upgrade(const http::request<http::string_body>& request) { return websocket::is_upgrade(request); }

asio::awaitable<void> serve_websocket(const WsSessionContext& context, beast::tcp_stream& stream,
                                      const http::request<http::string_body>& upgrade) {
  const std::shared_ptr<const Config> config = context.config();
  if (context.ws.draining()) {
    co_await refuse_upgrade(context, stream, upgrade, http::status::service_unavailable, "UPSTREAM_UNAVAILABLE",
                            "the gate is shutting down; reconnect", "unavailable");
    co_return;
  }
  // The subprotocols to offer upstream: the client's, in its order, that the gate
  // speaks. No offer at all means Hrana 1 (the spec, and sqld): none goes upstream.
  const auto offered = offered_subprotocols(upgrade);
  std::vector<std::string> acceptable;
  if (offered) {
    for (const auto& name : *offered) {
      const auto subprotocol = ws::subprotocol_from(name);
      if (subprotocol &&
          std::find(acceptable.begin(), acceptable.end(), name) == acceptable.end()) {
        acceptable.push_back(name);
      }
    }
    if (acceptable.empty()) {
      co_await refuse_upgrade(context, stream, upgrade, http::status::bad_request, "PROTO_ERROR",
                              "no WebSocket subprotocol the gate speaks was offered: offer hrana3-protobuf, "
                              "hrana3, hrana2 or hrana1",
                              "bad_request");
      co_return;
    }
  }

  UpstreamError error;
  const auto started = Clock::now();
  std::unique_ptr<WsUpstream> upstream = co_await context.ws.connector().connect(
      acceptable, kMaxUpstreamMessage, std::chrono::milliseconds(config->limits.idle_timeout_ms), error);
  context.metrics.observe_upstream_duration(std::chrono::duration<double>(Clock::now() - started).count());
  if (!upstream) {
    context.metrics.count_upstream_error(to_string(error.failure));
    context.logger.warn("upstream websocket failed", {{"kind", to_string(error.failure)}, {"error", error.message}});
    if (error.failure == UpstreamFailure::timeout) {
      co_await refuse_upgrade(context, stream, upgrade, http::status::gateway_timeout, "UPSTREAM_TIMEOUT",
                              "the database did not answer in time (upstream.timeout_ms); retry later",
                              "upstream_error");
    } else {
      co_await refuse_upgrade(context, stream, upgrade, http::status::bad_gateway, "UPSTREAM_UNAVAILABLE",
                              "the database behind the gate is unreachable; retry later", "upstream_error");
    }
    co_return;
  }
  const std::string chosen = upstream->subprotocol();
  const ws::Subprotocol subprotocol = chosen.empty() ? ws::Subprotocol::hrana1 : *ws::subprotocol_from(chosen);

  websocket::stream<beast::tcp_stream> client(std::move(stream));
  client.set_option(websocket::stream_base::decorator([&chosen](websocket::response_type& response) {
    response.set(http::field::server, "libsql-gate");
    if (!chosen.empty()) response.set(http::field::sec_websocket_protocol, chosen);
  }));
  boost::system::error_code ec;
  beast::get_lowest_layer(client).expires_after(std::chrono::seconds(10));
  co_await client.async_accept(upgrade, asio::redirect_error(use_awaitable, ec));
  beast::get_lowest_layer(client).expires_never();
  if (ec) {
    co_await upstream->close(websocket::close_code::normal);
    co_return;
  }

  context.metrics.add_open_connections("http", -1);
  context.metrics.add_open_connections("ws", 1);
  {
    WsSession session(context, config, client, *upstream, subprotocol);
    co_await session.run();
  }
  context.metrics.add_open_connections("ws", -1);
  context.metrics.add_open_connections("http", 1);
}

}  // namespace gate::proxy
