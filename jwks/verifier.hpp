#pragma once
// Strict JWS compact verification (RFC 7515/7519) for one issuer's key set. No I/O,
// no locks, no exceptions: every failure is a VerifyStatus. The signature is checked
// before any claim, so nothing in a forged token is believed or reported.
//
// Order: size → exactly three segments → header (strict base64url, strict JSON
// object) → alg (exact; "none" in any case refused; in issuer.algorithms) → crit
// refused → typ → kid → key (kid lookup; a kid-less token only when one usable key;
// use/key_ops; alg fits kty/crv/the JWK's own alg) → signature → payload (strict) →
// exp, nbf, iat, iss, sub, aud, azp.
// Decisions:
// - typ is a media type: compared case-insensitively, "application/" prefix optional;
//   JWT and at+jwt (RFC 9068) only, or absent.
// - clock_skew_s widens nbf and iat, not exp: the token cache keeps an entry until
//   exactly exp, and the issuer's stated lifetime is honoured.
// - exp/nbf/iat are JSON numbers (fractions allowed) in [0, 253402300799]
//   (year 9999); booleans and strings are not numbers.
// - aud is checked only when issuer.audiences is non-empty; an array with a
//   non-string element is refused as a whole. azp only when authorized_parties is
//   non-empty and azp is present.
// - jku, x5u, jwk, x5c are never read.
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

// A token split and strictly decoded once — size, three segments, base64url and
// strict JSON of header and payload — with nothing in it believed yet. For a caller
// that must read the unverified iss to pick the issuer (the Authenticator): handing
// it to verify() spares parsing the token twice. Views point into the token text,
// which must outlive it.
struct DecodedToken {
  VerifyStatus status = VerifyStatus::token_malformed;  // ok: everything below is set
  std::string_view signing_input;                       // header "." payload, as received
  std::string_view payload_segment;
  std::string_view signature_segment;  // base64url; verify() decodes it
  nlohmann::json header;
  nlohmann::json payload;
  bool payload_decoded = false;
};
DecodedToken decode_token(std::string_view token, std::size_t max_token_bytes);

// The same checks, in the same order, as verify(token, ...) on the token `decoded`
// came from, except that a payload that is not strict JSON was already refused by
// decode_token. Takes the payload tree into VerifiedToken::claims.
VerifyResult verify(DecodedToken&& decoded, const KeySet& keys, const IssuerConfig& issuer,
                    std::int64_t now_unix);

// iss of a decoded token's payload when it is a string, else null: unverified, so the
// caller can pick that issuer's keys; verify() checks it again, exactly, after the
// signature.
const std::string* unverified_issuer(const DecodedToken& token);

}  // namespace gate::jwks
