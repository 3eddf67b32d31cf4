#pragma once
// The seam between the request path and authentication/authorization. The
// session calls a RequestGuard for every client request: authenticate() turns
// the bearer token into a Principal (jwks/), authorize() decides the statements
// a pipeline or cursor would run (policy/). main's wiring (make_request_guard in
// request_guard.cpp) supplies the implementation; until jwks/ and policy/
// are wired the gate fails closed and forwards nothing that needs a token.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/asio.hpp"
#include "proxy/hrana_json.hpp"

namespace gate::proxy {

struct Config;
class Metrics;
class Logger;
class UpstreamPool;

// A caller whose token verified.
struct Principal {
  std::string issuer;       // `iss`
  std::string subject;      // `sub`
  std::string issuer_name;  // the config's issuers[].name (bounded: metric label, log field)
  // The verified claims, for policy/ (grants_from_claims). Shared, never copied.
  std::shared_ptr<const nlohmann::json> claims;
  // What the guard derived once per token (e.g. policy grants); opaque to proxy/.
  std::shared_ptr<const void> grants;
};

// Why a request was not admitted (SPEC §4 rows before the statement rows).
enum class AuthFailure {
  header_missing,    // 401 AUTH_HEADER_NOT_FOUND
  header_malformed,  // 401 AUTH_HEADER_MALFORMED
  token_invalid,     // 401 AUTH_JWT_INVALID
  token_expired,     // 401 AUTH_JWT_EXPIRED
  token_immature,    // 401 AUTH_JWT_IMMATURE
  keys_unavailable,  // 503 AUTH_KEYS_UNAVAILABLE
  database_scope,    // 403 AUTH_DATABASE_SCOPE
  not_configured,    // 503 AUTH_KEYS_UNAVAILABLE: no verifier wired (fail closed)
};

// The SPEC §4 code of a failure (AUTH_JWT_EXPIRED...), the same over HTTP and
// WebSocket (hello_error / response_error).
std::string_view error_code(AuthFailure failure);

struct AuthRejection {
  AuthFailure reason = AuthFailure::token_invalid;
  std::string message;      // says which check failed; never echoes the token
  std::string issuer_name;  // metric label; "unknown" when no issuer matched
  std::string check;        // metric reason label, e.g. "signature", "audience"
};

struct Authentication {
  std::optional<Principal> principal;
  std::optional<AuthRejection> rejection;  // set iff principal is empty
};

// Why `auth` (without a principal) was refused; a generic "token rejected" should
// a guard ever leave the reason out (fail closed, never an empty rejection).
AuthRejection rejection_of(const Authentication& auth);

// One (table, action) pair a statement touches, for the access log and metrics.
struct TouchedTable {
  std::string table;  // "all" for the whole database
  std::string action;
};

// The access log's "tables" field: [{"table", "action"}, ...].
nlohmann::json touched_json(const std::vector<TouchedTable>& touched);

// A refused request of a pipeline (or step of a cursor batch).
struct Denial {
  std::size_t index = 0;   // which request (cursor: which step)
  hrana::Error error;      // code SQLITE_AUTH, SQL_PARSE_ERROR, SQL_NOT_FOUND...
  std::string action;      // metric label ("data_add"...), or "forbidden" / "parse_error"
};

struct Verdict {
  std::optional<Denial> denial;       // empty: every statement may run
  std::vector<TouchedTable> touched;  // what the allowed statements do (access log)
  bool changes_schema = false;        // DDL: schema_changed() is called once it ran
};

class RequestGuard {
 public:
  virtual ~RequestGuard() = default;

  // Verifies a bearer token (already size-checked). Runs on the calling session's
  // executor; must not block it. Never throws. (A reference: g++ 12 mishandles
  // by-value class parameters of coroutines; the caller keeps the token alive.)
  virtual asio::awaitable<Authentication> authenticate(const std::string& token) = 0;

  // Decides every statement of one pipeline or cursor batch, in order (DDL earlier
  // in the list is visible to later statements). `worker` is the index of the
  // calling io_context thread (0..workers-1), for per-thread analyzer state.
  // Requests carrying `unresolved` are already refused by the caller.
  // A coroutine because a statement that does not prepare may wait for one schema
  // refresh before it is answered SQL_PARSE_ERROR (SPEC §6). Runs on the worker's
  // io_context; never throws. The caller keeps both references alive.
  virtual asio::awaitable<Verdict> authorize(const Principal& principal,
                                             const std::vector<hrana::RequestStatements>& requests,
                                             std::size_t worker) = 0;

  // A forwarded request whose verdict had changes_schema succeeded upstream.
  virtual void schema_changed() {}

  // What readiness still lacks (SPEC §7 /readyz), e.g. "issuer clerk: no usable keys".
  // Empty when every issuer has usable keys.
  virtual std::vector<std::string> not_ready() const = 0;

  // SIGHUP brought a new valid config.
  virtual void reconfigure(const Config&) {}

  // The worker io_contexts stopped (and are about to be destroyed): end background
  // work that lives on them (key refresh loops, schema fetches).
  virtual void stop() {}
};

// What the wiring gets to build the guard from.
struct GuardContext {
  const Config& config;
  Metrics& metrics;
  Logger& logger;
  std::size_t workers;  // number of io_context threads
  // Worker io_contexts, for guards that run background work (JWKS refresh).
  std::vector<asio::io_context*> contexts;
  // The upstream pool of contexts[0], for the guard's own upstream requests
  // (schema fetches); used only on contexts[0].
  UpstreamPool* upstream = nullptr;
};

// The gate's guard. request_guard.cpp is the one place main's wiring
// changes when jwks/ and policy/ are plugged in.
std::shared_ptr<RequestGuard> make_request_guard(const GuardContext& context);

// The guard used until then: refuses every request with 503 AUTH_KEYS_UNAVAILABLE
// ("gate not ready: authentication not configured") and is never ready.
std::shared_ptr<RequestGuard> make_fail_closed_guard();

}  // namespace gate::proxy
