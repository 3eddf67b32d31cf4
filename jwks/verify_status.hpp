#pragma once
// Every way a token or key check can fail, as one enum (after google/jwt_verify_lib's
// status.h). The label is stable: it is the `reason` of auth_failures_total and
// appears in logs; the SPEC §4 code is what the client sees.
#include <cstdint>
#include <string_view>

namespace gate::jwks {

enum class VerifyStatus : std::uint8_t {
  ok,

  // Shape of the compact serialization.
  token_malformed,      // not exactly three non-empty-header segments
  token_too_large,      // over limits.max_token_bytes
  base64url_invalid,    // padding, '+', '/', bytes outside the alphabet, non-canonical tail
  header_not_json,
  header_not_object,
  payload_not_json,
  payload_not_object,
  json_duplicate_member,
  json_too_deep,

  // JOSE header.
  alg_missing,
  alg_not_string,
  alg_none,             // "none" in any case: never accepted
  alg_unknown,          // not one of jwks/algorithm.hpp (HS256, "rs256", "RS256\0"...)
  alg_not_allowed,      // not in the issuer's `algorithms`
  alg_key_mismatch,     // alg does not fit the key's kty / crv / own alg
  crit_present,
  typ_not_allowed,
  kid_not_string,
  kid_missing,          // the issuer has more than one key and the token names none
  kid_unknown,          // no key with this kid: the fetcher may refetch once
  key_not_for_signing,  // the JWK's use / key_ops / alg forbid verification

  // Signature.
  signature_invalid,    // includes a JOSE signature of the wrong length

  // Registered claims (checked only after the signature verified).
  exp_missing,
  exp_not_numeric,
  exp_invalid,          // negative, NaN, beyond year 9999
  expired,
  nbf_invalid,
  nbf_in_future,
  iat_invalid,
  iat_in_future,
  iss_mismatch,         // missing, not a string, or not exactly the issuer
  sub_not_string,
  aud_mismatch,         // missing when audiences are configured, or none of them
  azp_mismatch,

  // Key source.
  keys_unavailable,     // never fetched, or stale beyond max_stale_s
};

// Stable snake_case label, e.g. "alg_not_allowed" (metrics label `reason`).
std::string_view to_string(VerifyStatus status);

// SPEC §4 code: AUTH_HEADER_MALFORMED, AUTH_JWT_INVALID, AUTH_JWT_EXPIRED,
// AUTH_JWT_IMMATURE, AUTH_KEYS_UNAVAILABLE; PROTO_ERROR for token_too_large
// (SPEC §4: "body or token over limit" is 413); "" for ok.
std::string_view error_code(VerifyStatus status);

// SPEC §4 HTTP status: 401, 413 (token_too_large), 503 (keys_unavailable); 200 for ok.
int http_status(VerifyStatus status);

// A short human sentence for the error `message` (never echoes token content).
std::string_view describe(VerifyStatus status);

}  // namespace gate::jwks
