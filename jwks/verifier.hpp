#pragma once
// Strict JWS compact verification (RFC 7515/7519) for one issuer's key set. No I/O,
// no locks, no exceptions: every failure is a VerifyStatus. The signature is checked
// before any claim, so nothing in a forged token is believed or reported.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "jwks/algorithm.hpp"
#include "jwks/issuer_config.hpp"
#include "jwks/key_set.hpp"
#include "jwks/verify_status.hpp"

namespace gate::jwks {

struct VerifiedToken {
  std::string issuer;
  std::string subject;  // "" when the token has no `sub` (Turso platform tokens)
  double exp = 0;       // seconds since the epoch; may have a fraction
  std::optional<std::string> kid;
  std::string key_fingerprint;  // Key::fingerprint of the key that verified it
  Algorithm alg = Algorithm::RS256;
  nlohmann::json claims;  // the whole payload object
};

struct VerifyResult {
  VerifyStatus status = VerifyStatus::token_malformed;
  std::optional<VerifiedToken> token;  // set exactly when status == ok

  bool ok() const { return status == VerifyStatus::ok; }
};

VerifyResult verify(std::string_view token, const KeySet& keys, const IssuerConfig& issuer,
                    std::int64_t now_unix, std::size_t max_token_bytes);

// The unverified `iss`, so the caller can pick that issuer's keys. Parses as strictly
// as verify() (size, segments, base64url, strict JSON); `iss` is checked again,
// exactly, after the signature. status says why there is no issuer.
struct IssuerPeek {
  VerifyStatus status = VerifyStatus::token_malformed;
  std::optional<std::string> issuer;  // set exactly when status == ok
};
IssuerPeek peek_token_issuer(std::string_view token, std::size_t max_token_bytes);

// Shorthand for peek_token_issuer(...).issuer.
std::optional<std::string> peek_issuer(std::string_view token, std::size_t max_token_bytes);

}  // namespace gate::jwks
