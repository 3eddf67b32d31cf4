// The gate's RequestGuard: make_request_guard is where main's wiring plugs in
// jwks/ and policy/ (gate_guard.cpp). The fail-closed guard below admits nobody; it
// serves until the real one is set, and whenever the real one cannot be built.
#include "proxy/request_guard.hpp"

#include "proxy/gate_guard.hpp"

namespace gate::proxy {

namespace {

class FailClosedGuard final : public RequestGuard {
 public:
  asio::awaitable<Authentication> authenticate(const std::string&) override {
    co_return Authentication{
        std::nullopt,
        AuthRejection{AuthFailure::not_configured, "gate not ready: authentication not configured", "unknown",
                      "not_configured"}};
  }

  asio::awaitable<Verdict> authorize(const Principal&, const std::vector<hrana::RequestStatements>&,
                                     std::size_t) override {
    Verdict verdict;
    verdict.denial = Denial{0, {"permission denied: authorization not configured", "SQLITE_AUTH"}, "forbidden"};
    co_return verdict;
  }

  std::vector<std::string> not_ready() const override { return {"authentication not configured"}; }
};

}  // namespace

AuthRejection rejection_of(const Authentication& auth) {
  return auth.rejection.value_or(AuthRejection{AuthFailure::token_invalid, "token rejected", "unknown", "unknown"});
}

nlohmann::json touched_json(const std::vector<TouchedTable>& touched) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : touched) out.push_back({{"table", t.table}, {"action", t.action}});
  return out;
}

std::string_view error_code(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::header_missing: return "AUTH_HEADER_NOT_FOUND";
    case AuthFailure::header_malformed: return "AUTH_HEADER_MALFORMED";
    case AuthFailure::token_invalid: return "AUTH_JWT_INVALID";
    case AuthFailure::token_expired: return "AUTH_JWT_EXPIRED";
    case AuthFailure::token_immature: return "AUTH_JWT_IMMATURE";
    case AuthFailure::keys_unavailable:
    case AuthFailure::not_configured: return "AUTH_KEYS_UNAVAILABLE";
    case AuthFailure::database_scope: return "AUTH_DATABASE_SCOPE";
  }
  return "AUTH_JWT_INVALID";
}

std::shared_ptr<RequestGuard> make_fail_closed_guard() { return std::make_shared<FailClosedGuard>(); }

std::shared_ptr<RequestGuard> make_request_guard(const GuardContext& context) {
  // Without an upstream pool to load the schema through, nothing could be analysed.
  if (context.upstream == nullptr || context.contexts.empty()) return make_fail_closed_guard();
  return make_gate_guard(context);
}

}  // namespace gate::proxy
