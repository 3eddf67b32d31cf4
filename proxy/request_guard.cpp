// The gate's RequestGuard. make_request_guard is where main's wiring plugs in
// jwks/ and policy/; until then the fail-closed guard below serves, which admits
// nobody, so an unfinished build can never forward unauthenticated traffic.
#include "proxy/request_guard.hpp"

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

  Verdict authorize(const Principal&, const std::vector<hrana::RequestStatements>& requests,
                    std::size_t) override {
    Verdict verdict;
    verdict.denial = Denial{0, {"permission denied: authorization not configured", "SQLITE_AUTH"}, "forbidden"};
    (void)requests;
    return verdict;
  }

  std::vector<std::string> not_ready() const override { return {"authentication not configured"}; }
};

}  // namespace

std::shared_ptr<RequestGuard> make_fail_closed_guard() { return std::make_shared<FailClosedGuard>(); }

std::shared_ptr<RequestGuard> make_request_guard(const GuardContext&) { return make_fail_closed_guard(); }

}  // namespace gate::proxy
