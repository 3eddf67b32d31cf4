#include "jwks/authenticator.hpp"

#include <optional>

#include "common/asio.hpp"

namespace gate::jwks {
namespace {

// Stateless, so sharing one instance is not shared mutable state.
JwksObserver& noop_observer() {
  static NoopJwksObserver observer;
  return observer;
}

}  // namespace

// What can be decided without waiting; `done` is empty when an unknown kid's
// refetch has started or is in flight and is worth awaiting.
struct Authenticator::Pass {
  std::optional<AuthResult> done;
  std::size_t issuer_index = 0;
  TokenDigest digest{};
  RefreshTicket ticket;
};

Authenticator::Authenticator(std::vector<IssuerConfig> issuers, AuthenticatorOptions options,
                             JwksObserver* observer)
    : options_(options),
      observer_(observer ? *observer : noop_observer()),
      cache_(options.token_cache_capacity, options.token_cache_shards) {
  issuers_.reserve(issuers.size());
  for (auto& issuer : issuers) {
    issuers_.push_back(
        std::make_unique<IssuerKeys>(std::move(issuer), observer_, options_.fetch_limits));
  }
}

Authenticator::~Authenticator() { stop(); }

void Authenticator::start(asio::io_context& context) { start(context.get_executor()); }

void Authenticator::start(asio::any_io_executor executor) {
  for (auto& issuer : issuers_) issuer->start(executor);
}

void Authenticator::stop() {
  for (auto& issuer : issuers_) issuer->stop();
}

AuthResult Authenticator::failure(VerifyStatus status, std::string_view issuer_name,
                                  std::string_view reason) {
  AuthResult result;
  result.status = status;
  result.reason = reason.empty() ? to_string(status) : reason;
  result.issuer_name = issuer_name;
  return result;
}

AuthResult Authenticator::finish(AuthResult result) {
  if (!result.ok()) observer_.on_auth_failure(result.issuer_name, result.reason);
  return result;
}

AuthResult Authenticator::verify_with_current_keys(DecodedToken&& token,
                                                   std::size_t issuer_index,
                                                   const TokenDigest& digest,
                                                   std::int64_t now_unix) {
  IssuerKeys& keys = *issuers_[issuer_index];
  const std::string_view name = keys.config().name;
  // The epoch is read before the keys: if a removal lands in between, the entry is
  // merely re-checked on its next hit. The other order could stamp a verification
  // made with a removed key as current.
  const std::uint64_t epoch = keys.removal_epoch();
  auto set = keys.usable_keys(now_unix);
  if (!set) return failure(VerifyStatus::keys_unavailable, name);

  VerifyResult verified = verify(std::move(token), *set, keys.config(), now_unix);
  if (!verified.ok()) return failure(verified.status, name);

  auto shared = std::make_shared<const VerifiedToken>(std::move(*verified.token));
  if (static_cast<double>(now_unix) < shared->exp) {
    cache_.insert(digest, std::make_shared<const CachedToken>(CachedToken{shared, issuer_index, epoch}));
  }
  AuthResult result;
  result.status = VerifyStatus::ok;
  result.reason = to_string(VerifyStatus::ok);
  result.issuer_name = name;
  result.token = std::move(shared);
  return result;
}

Authenticator::Pass Authenticator::first_pass(std::string_view token, std::int64_t now_unix) {
  Pass pass;
  if (token.size() > options_.max_token_bytes) {
    pass.done = finish(failure(VerifyStatus::token_too_large, ""));
    return pass;
  }

  pass.digest = cache_.digest(token);
  if (auto hit = cache_.find(pass.digest, now_unix)) {
    IssuerKeys& keys = *issuers_[hit->issuer_index];
    const std::string_view name = keys.config().name;
    // Keys stale beyond max_stale_s: we can no longer tell whether the key was
    // withdrawn, so a cached verification is no better than a fresh one.
    if (!keys.usable(now_unix)) {
      observer_.on_token_cache(CacheLookup::hit);
      pass.done = finish(failure(VerifyStatus::keys_unavailable, name));
      return pass;
    }
    const std::uint64_t epoch = keys.removal_epoch();
    bool still_backed = hit->removal_epoch == epoch;
    if (!still_backed && keys.can_verify_with(hit->token->key_fingerprint, now_unix)) {
      cache_.insert(pass.digest, std::make_shared<const CachedToken>(
                                     CachedToken{hit->token, hit->issuer_index, epoch}));
      still_backed = true;
    }
    if (still_backed) {
      observer_.on_token_cache(CacheLookup::hit);
      AuthResult result;
      result.status = VerifyStatus::ok;
      result.reason = to_string(VerifyStatus::ok);
      result.issuer_name = name;
      result.token = hit->token;
      result.from_cache = true;
      pass.done = std::move(result);
      return pass;
    }
    cache_.erase(pass.digest);  // its key left the JWKS: verify afresh (and fail)
  }
  observer_.on_token_cache(CacheLookup::miss);

  // Decoded once, strictly: the unverified iss picks the issuer, and verify() goes
  // on from the same parse.
  DecodedToken decoded = decode_token(token, options_.max_token_bytes);
  if (decoded.status != VerifyStatus::ok) {
    pass.done = finish(failure(decoded.status, ""));
    return pass;
  }
  const std::string* iss = unverified_issuer(decoded);
  if (iss == nullptr) {
    pass.done = finish(failure(VerifyStatus::iss_mismatch, ""));
    return pass;
  }
  bool found = false;
  for (std::size_t i = 0; i < issuers_.size(); ++i) {
    if (issuers_[i]->config().issuer == *iss) {
      pass.issuer_index = i;
      found = true;
      break;
    }
  }
  if (!found) {
    pass.done = finish(failure(VerifyStatus::iss_mismatch, "", kIssuerUnknown));
    return pass;
  }

  AuthResult result = verify_with_current_keys(std::move(decoded), pass.issuer_index, pass.digest, now_unix);
  if (result.status == VerifyStatus::kid_unknown) {
    pass.ticket = issuers_[pass.issuer_index]->request_refresh_for_unknown_kid();
    if (pass.ticket.awaitable()) return pass;
  }
  pass.done = finish(std::move(result));
  return pass;
}

asio::awaitable<AuthResult> Authenticator::authenticate(std::string token, std::int64_t now_unix) {
  Pass pass = first_pass(token, now_unix);
  if (pass.done) co_return std::move(*pass.done);
  // Whether the refetch finished in time or not, verify once more with whatever
  // keys are current now: a bounded wait, then a definite answer.
  co_await issuers_[pass.issuer_index]->wait_for_refresh(pass.ticket, options_.unknown_kid_wait);
  DecodedToken again = decode_token(token, options_.max_token_bytes);
  co_return finish(verify_with_current_keys(std::move(again), pass.issuer_index, pass.digest, now_unix));
}

AuthResult Authenticator::authenticate_without_waiting(std::string_view token,
                                                       std::int64_t now_unix) {
  Pass pass = first_pass(token, now_unix);
  if (pass.done) return std::move(*pass.done);
  return finish(failure(VerifyStatus::kid_unknown, issuers_[pass.issuer_index]->config().name));
}

Readiness Authenticator::readiness(std::int64_t now_unix) const {
  Readiness readiness;
  for (const auto& issuer : issuers_) {
    if (!issuer->usable(now_unix)) readiness.issuers_without_keys.push_back(issuer->config().name);
  }
  readiness.ready = readiness.issuers_without_keys.empty();
  return readiness;
}

}  // namespace gate::jwks
