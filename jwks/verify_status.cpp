#include "jwks/verify_status.hpp"

namespace gate::jwks {

namespace {

struct StatusInfo {
  std::string_view label;
  std::string_view code;
  int http;
  std::string_view message;
};

constexpr std::string_view kMalformed = "AUTH_HEADER_MALFORMED";
constexpr std::string_view kInvalid = "AUTH_JWT_INVALID";

// Indexed by VerifyStatus; the static_assert below keeps the two in step.
constexpr StatusInfo kInfo[] = {
    {"ok", "", 200, "token verified"},
    {"token_malformed", kMalformed, 401, "the bearer token is not a compact JWS (three base64url segments)"},
    {"token_too_large", "PROTO_ERROR", 413, "the bearer token is larger than limits.max_token_bytes"},
    {"base64url_invalid", kMalformed, 401, "the token contains invalid base64url"},
    {"header_not_json", kMalformed, 401, "the token header is not JSON"},
    {"header_not_object", kMalformed, 401, "the token header is not a JSON object"},
    {"payload_not_json", kMalformed, 401, "the token payload is not JSON"},
    {"payload_not_object", kMalformed, 401, "the token payload is not a JSON object"},
    {"json_duplicate_member", kMalformed, 401, "the token repeats a JSON member name"},
    {"json_too_deep", kMalformed, 401, "the token's JSON is nested too deeply"},
    {"alg_missing", kInvalid, 401, "the token header has no alg"},
    {"alg_not_string", kInvalid, 401, "the token's alg is not a string"},
    {"alg_none", kInvalid, 401, "unsigned tokens (alg none) are never accepted"},
    {"alg_unknown", kInvalid, 401, "the token's alg is not a supported algorithm"},
    {"alg_not_allowed", kInvalid, 401, "the token's alg is not allowed for this issuer"},
    {"alg_key_mismatch", kInvalid, 401, "the token's alg does not match its key"},
    {"crit_present", kInvalid, 401, "the token header has crit extensions, which are not supported"},
    {"typ_not_allowed", kInvalid, 401, "the token's typ is not JWT or at+jwt"},
    {"kid_not_string", kInvalid, 401, "the token's kid is not a string"},
    {"kid_missing", kInvalid, 401, "the token names no kid and the issuer has several keys"},
    {"kid_unknown", kInvalid, 401, "the token's kid is not among the issuer's keys"},
    {"key_not_for_signing", kInvalid, 401, "the token's key is not a signature key"},
    {"signature_invalid", kInvalid, 401, "the token's signature does not verify"},
    {"exp_missing", kInvalid, 401, "the token has no exp claim"},
    {"exp_not_numeric", kInvalid, 401, "the token's exp is not a number"},
    {"exp_invalid", kInvalid, 401, "the token's exp is out of range"},
    {"expired", "AUTH_JWT_EXPIRED", 401, "the token has expired; obtain a new one"},
    {"nbf_invalid", kInvalid, 401, "the token's nbf is not a valid time"},
    {"nbf_in_future", "AUTH_JWT_IMMATURE", 401, "the token is not valid yet (nbf)"},
    {"iat_invalid", kInvalid, 401, "the token's iat is not a valid time"},
    {"iat_in_future", "AUTH_JWT_IMMATURE", 401, "the token was issued in the future (iat); check clocks"},
    {"iss_mismatch", kInvalid, 401, "the token's iss is not the expected issuer"},
    {"sub_not_string", kInvalid, 401, "the token's sub is not a string"},
    {"aud_mismatch", kInvalid, 401, "the token's aud does not name this service"},
    {"azp_mismatch", kInvalid, 401, "the token's azp is not an authorized party"},
    {"keys_unavailable", "AUTH_KEYS_UNAVAILABLE", 503, "the issuer's signing keys are unavailable; retry later"},
};

static_assert(std::size(kInfo) == static_cast<std::size_t>(VerifyStatus::keys_unavailable) + 1,
              "kInfo must have one row per VerifyStatus, in order");

const StatusInfo& info(VerifyStatus status) { return kInfo[static_cast<std::size_t>(status)]; }

}  // namespace

std::string_view to_string(VerifyStatus status) { return info(status).label; }
std::string_view error_code(VerifyStatus status) { return info(status).code; }
int http_status(VerifyStatus status) { return info(status).http; }
std::string_view describe(VerifyStatus status) { return info(status).message; }

}  // namespace gate::jwks
