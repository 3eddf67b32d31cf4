#pragma once
// The jwks room's front door: bearer token in, verified token (or a named reason)
// out, for every configured issuer. Owns each issuer's IssuerKeys and the shared
// verified-token cache.
//
// Order of checks: size -> token cache -> unverified `iss` picks the issuer (exact
// match) -> that issuer's current keys (none usable: keys_unavailable, fail closed)
// -> verify. An unknown kid asks the issuer for its single-flight refetch; if one
// starts or is already running, authenticate() waits for it (at most
// unknown_kid_wait) and verifies once more. If the refetch is rate-limited
// (deferred), the token fails at once with kid_unknown: a flood of random kids costs
// the IdP at most one request per min_refresh_interval_s and holds no request back
// for long. Tokens with known kids never wait.
//
// Threading: authenticate*() and readiness() may be called from any thread at once.
// start()/stop() from one thread. authenticate() must be awaited on a
// single-threaded io_context or a strand (see IssuerKeys::wait_for_refresh).
// Lifetime: stop() (or destroy) the Authenticator before destroying the
// io_contexts it was started on or awaited on; its refresh loops and waiters live
// there.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange (see common/asio.hpp)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jwks/http_fetcher.hpp"
#include "jwks/issuer_config.hpp"
#include "jwks/issuer_keys.hpp"
#include "jwks/jwks_observer.hpp"
#include "jwks/token_cache.hpp"
#include "jwks/verifier.hpp"
#include "jwks/verify_status.hpp"

namespace gate::jwks {

struct AuthenticatorOptions {
  std::size_t max_token_bytes = 8192;        // limits.max_token_bytes
  std::size_t token_cache_capacity = 100'000;
  std::size_t token_cache_shards = 16;
  // How long a request whose kid is unknown may wait for the refetch in flight.
  std::chrono::milliseconds unknown_kid_wait{2'000};
  FetchLimits fetch_limits;
};

// The reason label for a token whose `iss` names no configured issuer; its status
// is iss_mismatch (AUTH_JWT_INVALID).
inline constexpr std::string_view kIssuerUnknown = "issuer_unknown";

struct AuthResult {
  VerifyStatus status = VerifyStatus::token_malformed;
  // Stable label for logs and auth_failures_total: to_string(status), or
  // kIssuerUnknown. "ok" on success.
  std::string_view reason = to_string(VerifyStatus::token_malformed);
  std::string_view issuer_name;  // configured name; "" when no issuer was identified
  std::shared_ptr<const VerifiedToken> token;  // set exactly when ok
  bool from_cache = false;

  bool ok() const { return status == VerifyStatus::ok; }
};

struct Readiness {
  bool ready = false;                        // every issuer has usable keys
  std::vector<std::string> issuers_without_keys;  // configured names
};

class Authenticator {
 public:
  // observer must outlive stop() (the refresh loops report until then) and every
  // authenticate call; nullptr reports nothing.
  Authenticator(std::vector<IssuerConfig> issuers, AuthenticatorOptions options = {},
                JwksObserver* observer = nullptr);
  ~Authenticator();  // stop()s
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Loads file-based keys (synchronously) and starts URL refresh loops on `context`.
  void start(boost::asio::io_context& context);
  void start(boost::asio::any_io_executor executor);
  void stop();

  // The full check; waits (bounded) only for an unknown kid's refetch.
  boost::asio::awaitable<AuthResult> authenticate(std::string token, std::int64_t now_unix);
  // Never waits: an unknown kid triggers the refetch and fails with kid_unknown now.
  // For callers outside coroutines (CLI explain) and as a sync fast path.
  AuthResult authenticate_without_waiting(std::string_view token, std::int64_t now_unix);

  Readiness readiness(std::int64_t now_unix) const;

  std::size_t issuer_count() const { return issuers_.size(); }
  const IssuerKeys& issuer_keys(std::size_t index) const { return *issuers_[index]; }
  IssuerKeys& issuer_keys(std::size_t index) { return *issuers_[index]; }
  const TokenCache& token_cache() const { return cache_; }

 private:
  struct Pass;
  Pass first_pass(std::string_view token, std::int64_t now_unix);
  AuthResult verify_with_current_keys(DecodedToken&& token, std::size_t issuer_index,
                                      const TokenDigest& digest, std::int64_t now_unix);
  AuthResult finish(AuthResult result);
  AuthResult failure(VerifyStatus status, std::string_view issuer_name,
                     std::string_view reason = {});

  AuthenticatorOptions options_;
  JwksObserver& observer_;
  std::vector<std::unique_ptr<IssuerKeys>> issuers_;
  TokenCache cache_;
};

}  // namespace gate::jwks
