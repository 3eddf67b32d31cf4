#include "proxy/gate_server.hpp"

#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include "proxy/deadline_timer.hpp"
#include "proxy/error_body.hpp"
#include "proxy/hrana_http.hpp"
#include "proxy/log.hpp"
#include "proxy/metrics.hpp"
#include "proxy/request_guard.hpp"
#include "proxy/stream_registry.hpp"
#include "proxy/ws_session.hpp"

namespace gate::proxy {

namespace {

using tcp = asio::ip::tcp;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

// Reading a request's headers must finish within this (and within idle_timeout_ms)
// once its first byte arrived: a client trickling headers cannot hold a worker.
constexpr std::chrono::milliseconds kMaxHeaderReadTime{10000};
// Headers besides the token: generous for proxies' additions, small against abuse.
constexpr std::size_t kHeaderAllowance = 16384;

constexpr const char* kRealmChallenge = "Bearer realm=\"libsql-gate\"";
constexpr const char* kInvalidTokenChallenge = "Bearer error=\"invalid_token\"";

// A response the gate writes itself.
struct Reply {
  http::status status = http::status::ok;
  std::string body;
  std::string content_type = "application/json";
  std::optional<std::string> www_authenticate;
  bool close = false;  // the request could not be fully read: end the connection
};

Reply make_reply(http::status status, std::string body, std::string content_type = "application/json") {
  Reply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.content_type = std::move(content_type);
  return reply;
}

Reply error_reply(http::status status, std::string_view code, std::string_view message) {
  return make_reply(status, error_body(message, code));
}

// The HTTP side of a refusal; its code is error_code(failure), shared with WebSocket.
struct AuthReply {
  http::status status;
  const char* challenge;
};

AuthReply auth_reply(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::header_missing: return {http::status::unauthorized, kRealmChallenge};
    case AuthFailure::header_malformed:
    case AuthFailure::token_invalid:
    case AuthFailure::token_expired:
    case AuthFailure::token_immature: return {http::status::unauthorized, kInvalidTokenChallenge};
    case AuthFailure::keys_unavailable:
    case AuthFailure::not_configured: return {http::status::service_unavailable, nullptr};
    case AuthFailure::database_scope: return {http::status::forbidden, nullptr};
  }
  return {http::status::unauthorized, kInvalidTokenChallenge};
}

Reply rejection_reply(const AuthRejection& rejection) {
  const AuthReply mapped = auth_reply(rejection.reason);
  Reply reply = error_reply(mapped.status, error_code(rejection.reason), rejection.message);
  if (mapped.challenge) reply.www_authenticate = mapped.challenge;
  return reply;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char a = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
    if (a != prefix[i]) return false;
  }
  return true;
}

// The token of `Authorization: Bearer <token>` (RFC 6750 §2.1: one token68).
struct BearerToken {
  std::optional<std::string> token;
  std::optional<AuthRejection> rejection;
};

BearerToken bearer_token(const http::request_header<>& header) {
  auto it = header.find(http::field::authorization);
  if (it == header.end()) {
    return {std::nullopt, AuthRejection{AuthFailure::header_missing,
                                        "missing Authorization header: send `Authorization: Bearer <JWT>`",
                                        "unknown", "header_missing"}};
  }
  std::string_view value = it->value();
  auto malformed = [](std::string message) {
    return BearerToken{std::nullopt, AuthRejection{AuthFailure::header_malformed, std::move(message), "unknown",
                                                   "header_malformed"}};
  };
  if (!iequals_prefix(value, "bearer ")) return malformed("Authorization header is not `Bearer <JWT>`");
  value.remove_prefix(7);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return malformed("Authorization header carries an empty bearer token");
  for (char c : value) {
    const bool token68 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                         c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
    if (!token68) return malformed("bearer token contains characters a JWT cannot contain");
  }
  return {std::string(value), std::nullopt};
}

std::string hrana_name(hrana::Encoding encoding) {
  return encoding == hrana::Encoding::json ? "Hrana JSON" : "Hrana protobuf";
}

std::string_view path_of(std::string_view target) {
  const auto query = target.find('?');
  return query == std::string_view::npos ? target : target.substr(0, query);
}

// The Hrana routes that need a token: a pipeline or a cursor, in the encoding its
// path implies. One table for the early token check and for dispatch.
struct HranaRoute {
  bool cursor = false;
  hrana::Encoding encoding = hrana::Encoding::json;
};

std::optional<HranaRoute> hrana_route(http::verb method, std::string_view path) {
  if (method != http::verb::post) return std::nullopt;
  if (path == "/v2/pipeline" || path == "/v3/pipeline") return HranaRoute{false, hrana::Encoding::json};
  if (path == "/v3-protobuf/pipeline") return HranaRoute{false, hrana::Encoding::protobuf};
  if (path == "/v3/cursor") return HranaRoute{true, hrana::Encoding::json};
  if (path == "/v3-protobuf/cursor") return HranaRoute{true, hrana::Encoding::protobuf};
  return std::nullopt;
}

}  // namespace

struct GateServer::Impl {
  // One io_context and its upstream connections. The pool is declared after the
  // context so it is destroyed first, while its sockets' context still exists.
  struct Worker {
    asio::io_context context{1};
    std::optional<UpstreamPool> upstream;
    std::optional<WsWorker> ws;  // Hrana over WebSocket: upstream connector, live sessions
  };

  Parts parts;
  mutable std::mutex config_mutex;
  std::shared_ptr<const Config> config;
  std::vector<std::unique_ptr<Worker>> workers;
  // After the workers: destroyed before their io_contexts, which the guard's
  // background work (key refresh strands, schema fetches) is bound to.
  std::shared_ptr<RequestGuard> guard;
  std::vector<std::thread> threads;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> worker_work;
  std::optional<tcp::acceptor> acceptor;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::int64_t> connections{0};
  std::size_t next_worker = 0;

  Impl(std::shared_ptr<const Config> cfg, Parts p, std::size_t count) : parts(p), config(std::move(cfg)) {
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    const auto endpoint = parse_upstream_url(config->upstream.url);
    const std::size_t per_worker =
        (static_cast<std::size_t>(std::max<std::int64_t>(1, config->upstream.max_connections)) + count - 1) / count;
    for (std::size_t i = 0; i < count; ++i) {
      auto worker = std::make_unique<Worker>();
      // An unparsable upstream URL is a config error caught at load; the pool then
      // points nowhere and every forward answers 502.
      const UpstreamEndpoint target = endpoint.value_or(UpstreamEndpoint{false, "", "0"});
      worker->upstream.emplace(worker->context.get_executor(), target, config->upstream, per_worker);
      worker->ws.emplace(worker->context.get_executor(), target, config->upstream);
      workers.push_back(std::move(worker));
    }
  }

  std::shared_ptr<const Config> snapshot() const {
    std::lock_guard lock(config_mutex);
    return config;
  }
  std::shared_ptr<RequestGuard> current_guard() const {
    std::lock_guard lock(config_mutex);
    return guard;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      const std::size_t worker = next_worker;
      next_worker = (next_worker + 1) % workers.size();
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor->async_accept(workers[worker]->context,
                                                           asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) {
        // EMFILE and friends: back off briefly instead of spinning.
        parts.logger.warn("accept failed", {{"error", ec.message()}});
        asio::steady_timer pause(acceptor->get_executor(), std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      const auto limit = snapshot()->limits.max_connections;
      if (connections.load() >= limit) {
        // Over the limit: refuse by closing at once, before reading a byte.
        socket.close(ec);
        continue;
      }
      connections.fetch_add(1);
      asio::co_spawn(workers[worker]->context, session(std::move(socket), worker), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket socket, std::size_t worker);
};

namespace {

// Per-connection state and the request path of one HTTP request.
class Session {
 public:
  Session(GateServer::Impl& server, tcp::socket socket, std::size_t worker)
      : server_(server),
        stream_(std::move(socket)),
        deadlines_(stream_.get_executor(), [this](Deadline) { stream_.close(); }),
        worker_(worker) {}

  asio::awaitable<void> run();

 private:
  using Request = http::request<http::string_body>;

  asio::awaitable<bool> write_reply(const Request& request, Reply& reply);
  asio::awaitable<void> linger(std::int64_t max_bytes);
  asio::awaitable<Reply> handle(Request& request, const Config& config, bool& streamed);
  asio::awaitable<Reply> forward_plain_get(const Request& request, std::string_view path);
  // The encoding of pipeline and cursor bodies comes from the route (/v3-protobuf/...).
  asio::awaitable<Reply> pipeline(Request& request, const Config& config, hrana::Encoding encoding);
  asio::awaitable<Reply> cursor(Request& request, const Config& config, hrana::Encoding encoding, bool& streamed);
  // Sends a pipeline body upstream. On success `response` holds upstream's answer
  // (base_url rewritten); otherwise the reply for the client, the client's baton
  // forgotten (whether upstream ran anything is unknown).
  asio::awaitable<std::optional<Reply>> send_pipeline(const std::string& path, std::string& body,
                                                      const std::optional<std::string>& baton,
                                                      const Config& config, hrana::Encoding encoding,
                                                      hrana::RewrittenResponse& response);
  asio::awaitable<std::optional<Reply>> admit(const http::request_header<>& header, const Config& config,
                                              std::optional<Principal>& principal);
  Reply malformed(std::string_view what, hrana::Encoding encoding, const hrana::DecodeError& error);
  Reply upstream_failure(const UpstreamError& error);
  bool baton_usable(const std::optional<std::string>& baton, const StreamOwner& owner, hrana::StoredSql& stored);
  asio::awaitable<std::optional<Denial>> decide(const Principal& principal,
                                                const std::vector<hrana::RequestStatements>& statements,
                                                const Config& config, Verdict& verdict);
  void access_log(const Request& request, unsigned status, Clock::time_point started);

  GateServer::Impl& server_;
  beast::tcp_stream stream_;
  // Every wait on the client (next request, header, body, reply) is bounded here,
  // never by the stream's own timers (connection_deadlines.hpp says why).
  DeadlineTimer deadlines_;
  beast::flat_buffer buffer_;
  std::size_t worker_;
  // Filled while handling one request, for the access log.
  std::string outcome_;
  // Set by admit() from the request's header, before its body is read; pipeline()
  // and cursor() run only for requests admitted so.
  std::optional<Principal> principal_;
  std::vector<TouchedTable> touched_;
};

}  // namespace

asio::awaitable<void> GateServer::Impl::session(tcp::socket socket, std::size_t worker) {
  parts.metrics.add_open_connections("http", 1);
  {
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    Session s(*this, std::move(socket), worker);
    co_await s.run();
  }
  parts.metrics.add_open_connections("http", -1);
  connections.fetch_sub(1);
}

namespace {

asio::awaitable<void> Session::run() {
  boost::system::error_code ec;
  for (;;) {
    const std::shared_ptr<const Config> config = server_.snapshot();
    const auto idle = std::chrono::milliseconds(config->limits.idle_timeout_ms);

    // Wait for the next request with the idle timeout, then give its headers a
    // bounded time: the deadline is absolute, not per byte.
    if (buffer_.size() == 0) {
      DeadlineTimer::Wait waiting(deadlines_, Deadline::idle, idle);
      const std::size_t n =
          co_await stream_.async_read_some(buffer_.prepare(8192), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      buffer_.commit(n);
    }
    const auto started = Clock::now();
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config->limits.max_token_bytes) + kHeaderAllowance);
    parser.body_limit(static_cast<std::uint64_t>(config->limits.max_body_bytes));
    {
      DeadlineTimer::Wait reading(deadlines_, Deadline::read, std::min<std::chrono::milliseconds>(idle, kMaxHeaderReadTime));
      co_await http::async_read_header(stream_, buffer_, parser, asio::redirect_error(use_awaitable, ec));
    }
    if (ec == http::error::header_limit) {
      Request partial;
      partial.version(11);
      Reply reply = error_reply(http::status::payload_too_large, "PROTO_ERROR",
                                "request headers too large (is the bearer token over limits.max_token_bytes?)");
      reply.close = true;
      outcome_ = "bad_request";
      co_await write_reply(partial, reply);
      co_await linger(config->limits.max_body_bytes);
      access_log(partial, 413, started);
      break;
    }
    // A Content-Length over the limit is refused as soon as the header is read.
    if (ec && ec != http::error::body_limit) break;

    server_.in_flight.fetch_add(1);
    struct InFlight {
      std::atomic<std::size_t>& count;
      ~InFlight() { count.fetch_sub(1); }
    } in_flight{server_.in_flight};

    outcome_.clear();
    principal_.reset();
    touched_.clear();

    // The token is checked as soon as the header is read: a client without a
    // valid one cannot make the gate wait for, read and hold a body of up to
    // limits.max_body_bytes. A refused request whose body has not fully arrived
    // is answered at once and the connection closed (its body is discarded).
    std::optional<Reply> refused;
    if (!ec && hrana_route(parser.get().method(), path_of(parser.get().target()))) {
      refused = co_await admit(parser.get().base(), *config, principal_);
      const auto length = parser.content_length();
      const bool body_arrived = parser.is_done() || (length && *length <= buffer_.size());
      if (refused && !body_arrived) {
        const Request head(parser.get().base());
        const unsigned status = static_cast<unsigned>(refused->status);
        refused->close = true;
        co_await write_reply(head, *refused);
        co_await linger(config->limits.max_body_bytes);
        access_log(head, status, started);
        break;
      }
    }

    if (!ec) {
      DeadlineTimer::Wait reading(deadlines_, Deadline::read, idle);
      co_await http::async_read(stream_, buffer_, parser, asio::redirect_error(use_awaitable, ec));
    }
    Request request = parser.release();
    if (ec == http::error::body_limit) {
      Reply reply = error_reply(http::status::payload_too_large, "PROTO_ERROR",
                                "request body larger than limits.max_body_bytes");
      reply.close = true;
      outcome_ = "bad_request";
      co_await write_reply(request, reply);
      co_await linger(config->limits.max_body_bytes);
      access_log(request, 413, started);
      break;
    }
    if (ec) break;

    if (is_websocket_upgrade(request)) {
      // From here the connection speaks Hrana over WebSocket until it closes.
      const WsSessionContext ws{server_.parts.metrics, server_.parts.logger,
                                [&server = server_] { return server.snapshot(); },
                                [&server = server_] { return server.current_guard(); },
                                *server_.workers[worker_]->ws, worker_};
      co_await serve_websocket(ws, stream_, request);
      break;
    }

    bool streamed = false;
    // An if, not ?: — g++ 12 miscompiles co_await inside a conditional expression.
    Reply reply;
    if (refused) {
      reply = std::move(*refused);
    } else {
      reply = co_await handle(request, *config, streamed);
    }
    unsigned status = static_cast<unsigned>(reply.status);
    bool ok = true;
    if (!streamed) {
      ok = co_await write_reply(request, reply);
    } else {
      ok = reply.close == false;
    }
    access_log(request, status, started);
    server_.parts.metrics.observe_request_duration(
        "http", std::chrono::duration<double>(Clock::now() - started).count());
    if (!ok || !request.keep_alive() || server_.draining.load()) break;
  }
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.close();
}

asio::awaitable<bool> Session::write_reply(const Request& request, Reply& reply) {
  http::response<http::string_body> response{reply.status, request.version() ? request.version() : 11u};
  response.set(http::field::server, "libsql-gate");
  response.set(http::field::content_type, reply.content_type);
  if (reply.www_authenticate) response.set(http::field::www_authenticate, *reply.www_authenticate);
  response.body() = std::move(reply.body);
  response.keep_alive(!reply.close && request.keep_alive() && !server_.draining.load());
  response.prepare_payload();
  boost::system::error_code ec;
  DeadlineTimer::Wait writing(deadlines_, Deadline::write,
                              std::chrono::milliseconds(server_.snapshot()->limits.idle_timeout_ms));
  co_await http::async_write(stream_, response, asio::redirect_error(use_awaitable, ec));
  co_return !ec && !reply.close;
}

// After refusing a request whose body is still arriving: stop sending, then read
// and discard for a short while, so the client reads the error instead of a
// connection reset (closing with unread data makes the kernel send RST).
asio::awaitable<void> Session::linger(std::int64_t max_bytes) {
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  DeadlineTimer::Wait draining(deadlines_, Deadline::read, std::chrono::seconds(2));
  std::int64_t discarded = 0;
  char sink[16384];
  while (!ec && discarded <= max_bytes) {
    discarded += static_cast<std::int64_t>(
        co_await stream_.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec)));
  }
}

void Session::access_log(const Request& request, unsigned status, Clock::time_point started) {
  if (outcome_.empty()) outcome_ = status < 400 ? "allowed" : "bad_request";
  server_.parts.metrics.count_request("http", outcome_);
  Logger& logger = server_.parts.logger;
  if (!logger.access_log()) return;
  nlohmann::json fields{
      {"protocol", "http"},
      {"method", std::string(request.method_string())},
      {"path", std::string(path_of(request.target()))},
      {"status", status},
      {"outcome", outcome_},
      {"latency_ms", std::chrono::duration<double, std::milli>(Clock::now() - started).count()},
  };
  if (principal_) {
    fields["issuer"] = principal_->issuer_name;
    fields["subject"] = principal_->subject;
  }
  if (!touched_.empty()) fields["tables"] = touched_json(touched_);
  logger.info("access", fields);
}

Reply Session::upstream_failure(const UpstreamError& error) {
  server_.parts.metrics.count_upstream_error(to_string(error.failure));
  server_.parts.logger.warn("upstream request failed",
                            {{"kind", to_string(error.failure)}, {"error", error.message}});
  outcome_ = "upstream_error";
  if (error.failure == UpstreamFailure::timeout) {
    return error_reply(http::status::gateway_timeout, "UPSTREAM_TIMEOUT",
                       "the database did not answer in time (upstream.timeout_ms); retry later");
  }
  return error_reply(http::status::bad_gateway, "UPSTREAM_UNAVAILABLE",
                     "the database behind the gate is unreachable; retry later");
}

asio::awaitable<Reply> Session::handle(Request& request, const Config& config, bool& streamed) {
  const std::string_view path = path_of(request.target());
  const bool get = request.method() == http::verb::get;

  if (get && (path == "/v2" || path == "/v3")) co_return make_reply(http::status::ok, "", "text/plain");
  // The protobuf probe is upstream's answer: clients switch to protobuf only when
  // the database behind the gate speaks it too, since the gate forwards the
  // client's bytes as they are and never translates between encodings.
  if (get && (path == "/health" || path == "/version" || path == "/v3-protobuf")) {
    co_return co_await forward_plain_get(request, path);
  }
  if (const auto route = hrana_route(request.method(), path)) {
    // run() admits every Hrana route from its header; without a principal, refuse.
    if (!principal_) {
      outcome_ = "unavailable";
      co_return error_reply(http::status::service_unavailable, "AUTH_KEYS_UNAVAILABLE", "request not authenticated");
    }
    if (route->cursor) co_return co_await cursor(request, config, route->encoding, streamed);
    co_return co_await pipeline(request, config, route->encoding);
  }

  outcome_ = "not_found";
  co_return error_reply(http::status::not_found, "NOT_FOUND",
                        "no such endpoint: the gate serves Hrana over HTTP at /v2, /v3 (JSON) and /v3-protobuf");
}

asio::awaitable<Reply> Session::forward_plain_get(const Request&, std::string_view path) {
  UpstreamResponse response;
  const auto started = Clock::now();
  UpstreamRequest forward{false, std::string(path), "", "", std::nullopt};
  auto outcome = co_await server_.workers[worker_]->upstream->send(forward, response);
  server_.parts.metrics.observe_upstream_duration(std::chrono::duration<double>(Clock::now() - started).count());
  if (outcome.error) co_return upstream_failure(*outcome.error);
  Reply reply = make_reply(static_cast<http::status>(response.status), std::move(response.body),
              response.content_type.empty() ? "text/plain" : response.content_type);
  co_return reply;
}

// Authentication and token checks shared by pipeline and cursor. Returns the reply
// to send instead of proceeding, or nullopt with `principal` set.
asio::awaitable<std::optional<Reply>> Session::admit(const http::request_header<>& header, const Config& config,
                                                     std::optional<Principal>& principal) {
  BearerToken bearer = bearer_token(header);
  if (bearer.token && bearer.token->size() > static_cast<std::size_t>(config.limits.max_token_bytes)) {
    outcome_ = "bad_request";
    co_return error_reply(http::status::payload_too_large, "PROTO_ERROR",
                          "bearer token larger than limits.max_token_bytes");
  }
  AuthRejection rejection;
  if (bearer.rejection) {
    rejection = std::move(*bearer.rejection);
  } else {
    const std::shared_ptr<RequestGuard> guard = server_.current_guard();
    Authentication auth = co_await guard->authenticate(*bearer.token);
    if (auth.principal) {
      principal = std::move(auth.principal);
      co_return std::nullopt;
    }
    rejection = rejection_of(auth);
  }
  server_.parts.metrics.count_auth_failure(rejection.issuer_name.empty() ? "unknown" : rejection.issuer_name,
                                           rejection.check.empty() ? "unknown" : rejection.check);
  outcome_ = rejection.reason == AuthFailure::not_configured || rejection.reason == AuthFailure::keys_unavailable
                 ? "unavailable"
                 : "auth_failed";
  co_return rejection_reply(rejection);
}

Reply Session::malformed(std::string_view what, hrana::Encoding encoding, const hrana::DecodeError& error) {
  outcome_ = "bad_request";
  return error_reply(http::status::bad_request, "PROTO_ERROR",
                     "malformed Hrana " + std::string(what) +
                         (encoding == hrana::Encoding::protobuf ? " (protobuf)" : "") + ": " + error.message);
}

Reply stream_expired() {
  return error_reply(http::status::bad_request, "STREAM_EXPIRED",
                     "stream expired: the baton is unknown, expired or belongs to another principal; "
                     "open a new stream");
}

// A request naming a stream must name one this principal holds (SPEC §3);
// `stored` receives the stream's stored SQL texts.
bool Session::baton_usable(const std::optional<std::string>& baton, const StreamOwner& owner,
                           hrana::StoredSql& stored) {
  if (!baton) return true;
  BatonLookup lookup = server_.parts.streams.lookup(*baton, owner);
  if (lookup.status != BatonStatus::current) {
    outcome_ = "bad_request";
    server_.parts.logger.info("baton refused", {{"status", to_string(lookup.status)}});
    return false;
  }
  stored = std::move(lookup.stored);
  return true;
}

// The denial to answer with instead of forwarding, if any. In audit mode a policy
// denial is logged and counted but forwarded; an unresolvable sql_id never is.
asio::awaitable<std::optional<Denial>> Session::decide(const Principal& principal,
                                      const std::vector<hrana::RequestStatements>& statements, const Config& config,
                                      Verdict& verdict) {
  for (const auto& s : statements) {
    if (s.unresolved) {
      server_.parts.metrics.count_denial("unresolved_sql_id");
      outcome_ = "denied";
      co_return Denial{s.index, *s.unresolved, "unresolved_sql_id"};
    }
  }
  const std::shared_ptr<RequestGuard> guard = server_.current_guard();
  verdict = co_await guard->authorize(principal, statements, worker_);
  touched_ = verdict.touched;
  if (!verdict.denial) co_return std::nullopt;
  const Denial& denial = *verdict.denial;
  server_.parts.metrics.count_denial(denial.action);
  if (config.policy.mode == policy::Mode::enforce) {
    outcome_ = "denied";
    co_return denial;
  }
  outcome_ = "audit_denied";
  server_.parts.logger.warn("audit: would deny",
                            {{"request", denial.index}, {"code", denial.error.code}, {"reason", denial.error.message}});
  co_return std::nullopt;
}

asio::awaitable<Reply> Session::pipeline(Request& request, const Config& config, hrana::Encoding encoding) {
  const Principal& principal = *principal_;

  auto decoded = hrana::decode_pipeline(encoding, request.body());
  if (!decoded.request) {
    co_return malformed("pipeline", encoding, *decoded.error);
  }
  const hrana::PipelineRequest& pipeline = *decoded.request;
  const StreamOwner owner{principal.issuer, principal.subject};
  StreamRegistry& streams = server_.parts.streams;

  hrana::StoredSql stored;
  if (!baton_usable(pipeline.baton, owner, stored)) co_return stream_expired();

  Verdict verdict;
  const std::vector<hrana::RequestStatements> statements = hrana::resolve(pipeline, stored);
  const std::string path(path_of(request.target()));
  hrana::RewrittenResponse rewritten;
  if (auto denial = co_await decide(principal, statements, config, verdict)) {
    const std::size_t count = pipeline.requests.size();
    auto storage = hrana::storage_requests_of(encoding, pipeline);
    if (!storage) {
      co_return make_reply(http::status::ok,
                           hrana::pipeline_denial_body(encoding, count, denial->index, denial->error, pipeline.baton,
                                                       config.public_url),
                           std::string(hrana::content_type(encoding)));
    }
    // Only the SQL storage requests go upstream (see storage_requests_of): the
    // client's stream, and an open transaction on it, stay usable.
    if (auto failure = co_await send_pipeline(path, storage->body, pipeline.baton, config, encoding, rewritten)) {
      co_return std::move(*failure);
    }
    auto answer = hrana::merge_denied_pipeline(encoding, rewritten, *storage, count, denial->index, denial->error);
    if (!answer) {
      if (pipeline.baton) streams.forget(*pipeline.baton);
      co_return upstream_failure({UpstreamFailure::protocol, "upstream pipeline response does not match the request"});
    }
    if (!streams.advance(pipeline.baton, rewritten.view.baton, owner,
                         hrana::apply_stored_sql(pipeline, answer->ok, std::move(stored)))) {
      server_.parts.logger.warn("stream registry full: stream not registered");
    }
    co_return make_reply(http::status::ok, std::move(answer->body), std::string(hrana::content_type(encoding)));
  }

  if (auto failure = co_await send_pipeline(path, request.body(), pipeline.baton, config, encoding, rewritten)) {
    co_return std::move(*failure);
  }
  if (!streams.advance(pipeline.baton, rewritten.view.baton, owner,
                       hrana::apply_stored_sql(pipeline, rewritten.view.ok, std::move(stored)))) {
    server_.parts.logger.warn("stream registry full: stream not registered");
  }
  if (verdict.changes_schema) server_.current_guard()->schema_changed();
  if (outcome_.empty()) outcome_ = "allowed";
  co_return make_reply(http::status::ok, std::move(rewritten.body), std::string(hrana::content_type(encoding)));
}

asio::awaitable<std::optional<Reply>> Session::send_pipeline(const std::string& path, std::string& body,
                                                             const std::optional<std::string>& baton,
                                                             const Config& config, hrana::Encoding encoding,
                                                             hrana::RewrittenResponse& rewritten) {
  StreamRegistry& streams = server_.parts.streams;
  UpstreamResponse response;
  const auto started = Clock::now();
  UpstreamRequest forward{true, path, std::move(body), std::string(hrana::content_type(encoding)), std::nullopt};
  auto outcome = co_await server_.workers[worker_]->upstream->send(forward, response);
  server_.parts.metrics.observe_upstream_duration(std::chrono::duration<double>(Clock::now() - started).count());
  if (outcome.error) {
    // Whether upstream ran the pipeline is unknown: the stream's state is too.
    if (baton) streams.forget(*baton);
    co_return upstream_failure(*outcome.error);
  }
  if (response.status != 200) {
    if (baton) streams.forget(*baton);
    if (outcome_.empty()) outcome_ = "upstream_error";
    co_return make_reply(static_cast<http::status>(response.status), std::move(response.body),
                         response.content_type.empty() ? "application/json" : response.content_type);
  }
  auto parsed = hrana::rewrite_pipeline_response(encoding, response.body, config.public_url);
  if (!parsed) {
    if (baton) streams.forget(*baton);
    co_return upstream_failure({UpstreamFailure::protocol, "upstream pipeline response is not " + hrana_name(encoding)});
  }
  rewritten = std::move(*parsed);
  co_return std::nullopt;
}

// Streams an upstream cursor response to the client as chunks, rewriting its head
// (CursorRespBody: the first line in JSON, the first length-delimited item in
// protobuf) on the way; rows are never buffered as a whole.
class CursorRelay final : public UpstreamSink {
 public:
  CursorRelay(beast::tcp_stream& client, DeadlineTimer& deadlines, unsigned version, bool keep_alive,
              std::chrono::milliseconds timeout, std::optional<std::string> base_url, hrana::Encoding encoding)
      : client_(client),
        deadlines_(deadlines),
        version_(version),
        keep_alive_(keep_alive),
        timeout_(timeout),
        base_url_(std::move(base_url)),
        encoding_(encoding) {}

  asio::awaitable<bool> head(unsigned status, std::string_view content_type) override {
    status_ = status;
    content_type_ = content_type.empty() ? std::string("text/plain") : std::string(content_type);
    // Non-200 answers (sqld's own errors) are buffered and passed on whole.
    co_return true;
  }

  asio::awaitable<bool> data(std::string_view bytes) override {
    if (status_ != 200) {
      error_body_.append(bytes);
      co_return error_body_.size() < 1 << 20;
    }
    if (!head_line_done_) {
      pending_.append(bytes);
      auto head = hrana::rewrite_cursor_head(encoding_, pending_, base_url_);
      if (head.state == hrana::CursorHead::State::incomplete) co_return pending_.size() < 1 << 20;
      if (head.state == hrana::CursorHead::State::malformed) {
        malformed_ = true;
        co_return false;
      }
      baton_ = std::move(head.baton);
      head_line_done_ = true;
      if (!co_await write_header()) co_return false;
      std::string first = std::move(head.rewritten);
      first.append(pending_, head.consumed);
      pending_.clear();
      co_return co_await write_chunk(first);
    }
    co_return co_await write_chunk(bytes);
  }

  // After upstream finished: the terminating chunk (or the header, if the body
  // never had a first line).
  asio::awaitable<bool> finish() {
    if (!head_line_done_) co_return false;
    boost::system::error_code ec;
    DeadlineTimer::Wait writing(deadlines_, Deadline::write, timeout_);
    co_await asio::async_write(client_, http::make_chunk_last(), asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

  bool started() const { return header_written_; }
  bool malformed() const { return malformed_; }
  unsigned status() const { return status_; }
  const std::string& content_type() const { return content_type_; }
  std::string& error_body() { return error_body_; }
  const std::optional<std::string>& baton() const { return baton_; }
  bool head_line_done() const { return head_line_done_; }

 private:
  asio::awaitable<bool> write_header() {
    http::response<http::empty_body> response{http::status::ok, version_};
    response.set(http::field::server, "libsql-gate");
    response.set(http::field::content_type, content_type_);
    response.chunked(true);
    response.keep_alive(keep_alive_);
    http::response_serializer<http::empty_body> serializer{response};
    boost::system::error_code ec;
    DeadlineTimer::Wait writing(deadlines_, Deadline::write, timeout_);
    co_await http::async_write_header(client_, serializer, asio::redirect_error(use_awaitable, ec));
    header_written_ = !ec;
    co_return !ec;
  }

  asio::awaitable<bool> write_chunk(std::string_view bytes) {
    if (bytes.empty()) co_return true;
    boost::system::error_code ec;
    DeadlineTimer::Wait writing(deadlines_, Deadline::write, timeout_);
    co_await asio::async_write(client_, http::make_chunk(asio::buffer(bytes.data(), bytes.size())),
                               asio::redirect_error(use_awaitable, ec));
    co_return !ec;
  }

  beast::tcp_stream& client_;
  DeadlineTimer& deadlines_;  // the client connection's
  unsigned version_;
  bool keep_alive_;
  std::chrono::milliseconds timeout_;
  std::optional<std::string> base_url_;
  hrana::Encoding encoding_;
  unsigned status_ = 0;
  std::string content_type_;
  std::string pending_;
  std::string error_body_;
  std::optional<std::string> baton_;
  bool head_line_done_ = false;
  bool header_written_ = false;
  bool malformed_ = false;
};

asio::awaitable<Reply> Session::cursor(Request& request, const Config& config, hrana::Encoding encoding,
                                       bool& streamed) {
  const Principal& principal = *principal_;

  auto decoded = hrana::decode_cursor(encoding, request.body());
  if (!decoded.request) {
    co_return malformed("cursor request", encoding, *decoded.error);
  }
  const hrana::CursorRequest& cursor = *decoded.request;
  const StreamOwner owner{principal.issuer, principal.subject};
  StreamRegistry& streams = server_.parts.streams;

  hrana::StoredSql stored;
  if (!baton_usable(cursor.baton, owner, stored)) co_return stream_expired();

  Verdict verdict;
  const std::vector<hrana::RequestStatements> statements = hrana::resolve(cursor, stored);
  if (auto denial = co_await decide(principal, statements, config, verdict)) {
    co_return make_reply(http::status::ok,
                         hrana::cursor_denial_body(encoding, denial->error, cursor.baton, config.public_url),
                         std::string(hrana::cursor_content_type(encoding)));
  }

  CursorRelay relay(stream_, deadlines_, request.version(), request.keep_alive() && !server_.draining.load(),
                    std::chrono::milliseconds(config.limits.idle_timeout_ms), config.public_url, encoding);
  const auto started = Clock::now();
  UpstreamRequest forward{true, std::string(path_of(request.target())), std::move(request.body()),
                          std::string(hrana::content_type(encoding)), std::nullopt};
  auto outcome = co_await server_.workers[worker_]->upstream->stream(forward, relay);
  server_.parts.metrics.observe_upstream_duration(std::chrono::duration<double>(Clock::now() - started).count());

  if (relay.head_line_done()) {
    // The stream moved on upstream as soon as it answered the first line.
    streams.advance(cursor.baton, relay.baton(), owner, std::move(stored));
    if (verdict.changes_schema) server_.current_guard()->schema_changed();
  } else if (cursor.baton) {
    streams.forget(*cursor.baton);
  }

  if (relay.started()) {
    streamed = true;
    const bool finished = !outcome.error && co_await relay.finish();
    if (outcome.error) upstream_failure(*outcome.error);
    if (outcome_.empty()) outcome_ = "allowed";
    // A cursor cut off midway cannot be reported in-band: close the connection.
    Reply reply = make_reply(http::status::ok, "");
    reply.close = !finished;
    co_return reply;
  }
  if (outcome.error) co_return upstream_failure(*outcome.error);
  if (relay.status() != 200) {
    outcome_ = "upstream_error";
    co_return make_reply(static_cast<http::status>(relay.status()), std::move(relay.error_body()), relay.content_type());
  }
  co_return upstream_failure({UpstreamFailure::protocol, relay.malformed() ? "upstream cursor head is not " + hrana_name(encoding)
                                                                         : "upstream cursor response ended early"});
}

}  // namespace

GateServer::GateServer(std::shared_ptr<const Config> config, Parts parts, std::size_t workers)
    : impl_(std::make_unique<Impl>(std::move(config), parts, workers)) {
  impl_->guard = make_fail_closed_guard();
}

GateServer::~GateServer() { stop(); }

void GateServer::set_guard(std::shared_ptr<RequestGuard> guard) {
  std::lock_guard lock(impl_->config_mutex);
  impl_->guard = std::move(guard);
}

std::shared_ptr<RequestGuard> GateServer::guard() const { return impl_->current_guard(); }

std::string listen_on(tcp::acceptor& acceptor, const ListenAddress& address, std::string_view key) {
  boost::system::error_code ec;
  tcp::resolver resolver(acceptor.get_executor());
  auto results = resolver.resolve(address.host, std::to_string(address.port), ec);
  const std::string where = std::string(key) + ": " + address.host + ":" + std::to_string(address.port);
  if (ec || results.empty()) return where + ": cannot resolve: " + ec.message();
  const tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return where + ": cannot listen: " + ec.message();
  return {};
}

std::string local_address_text(const tcp::acceptor& acceptor) {
  boost::system::error_code ec;
  const auto endpoint = acceptor.local_endpoint(ec);
  const auto address = endpoint.address();
  return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
         std::to_string(endpoint.port());
}

std::string GateServer::bind() {
  tcp::acceptor acceptor(impl_->workers[0]->context);
  if (std::string error = listen_on(acceptor, impl_->snapshot()->listen, "listen"); !error.empty()) return error;
  impl_->acceptor.emplace(std::move(acceptor));
  return {};
}

std::string GateServer::bound_address() const {
  return impl_->acceptor ? local_address_text(*impl_->acceptor) : std::string();
}

std::vector<asio::io_context*> GateServer::contexts() {
  std::vector<asio::io_context*> out;
  for (auto& worker : impl_->workers) out.push_back(&worker->context);
  return out;
}

asio::io_context& GateServer::context(std::size_t worker) { return impl_->workers.at(worker)->context; }
std::size_t GateServer::workers() const { return impl_->workers.size(); }
UpstreamPool& GateServer::upstream(std::size_t worker) { return *impl_->workers.at(worker)->upstream; }

void GateServer::start() {
  for (auto& worker : impl_->workers) impl_->worker_work.push_back(asio::make_work_guard(worker->context));
  if (impl_->acceptor) {
    asio::co_spawn(impl_->workers[0]->context, impl_->accept_loop(), asio::detached);
  }
  for (auto& worker : impl_->workers) {
    impl_->threads.emplace_back([context = &worker->context] { context->run(); });
  }
}

void GateServer::drain() {
  impl_->draining.store(true);
  asio::post(impl_->workers[0]->context, [impl = impl_.get()] {
    boost::system::error_code ec;
    if (impl->acceptor) impl->acceptor->close(ec);
  });
  // WebSocket sessions close with 1001 once their in-flight requests are answered.
  for (auto& worker : impl_->workers) {
    asio::post(worker->context, [ws = &*worker->ws] { ws->drain(); });
  }
}

bool GateServer::draining() const { return impl_->draining.load(); }
std::size_t GateServer::in_flight() const { return impl_->in_flight.load(); }

void GateServer::stop() {
  if (!impl_) return;
  impl_->worker_work.clear();
  for (auto& worker : impl_->workers) worker->context.stop();
  for (auto& thread : impl_->threads) {
    if (thread.joinable()) thread.join();
  }
  impl_->threads.clear();
  // Its background work lives on the contexts, which must outlive it (SchemaLoader,
  // Authenticator): end it while they still exist.
  if (auto guard = impl_->current_guard()) guard->stop();
}

void GateServer::update_config(std::shared_ptr<const Config> config) {
  std::lock_guard lock(impl_->config_mutex);
  impl_->config = std::move(config);
}

std::shared_ptr<const Config> GateServer::config() const { return impl_->snapshot(); }

}  // namespace gate::proxy
