#include <doctest/doctest.h>

#include <set>
#include <string>

#include "jwks/verify_status.hpp"

using namespace gate::jwks;

TEST_CASE("verify status: every reason has a unique snake_case label, a SPEC §4 code and a message") {
  std::set<std::string_view> labels;
  for (int i = 0; i <= static_cast<int>(VerifyStatus::keys_unavailable); ++i) {
    auto status = static_cast<VerifyStatus>(i);
    std::string_view label = to_string(status);
    CAPTURE(label);
    CHECK(labels.insert(label).second);
    for (char c : label) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'));
    CHECK_FALSE(describe(status).empty());
    if (status != VerifyStatus::ok) {
      std::set<std::string_view> codes{"AUTH_HEADER_MALFORMED", "AUTH_JWT_INVALID", "AUTH_JWT_EXPIRED",
                                        "AUTH_JWT_IMMATURE", "AUTH_KEYS_UNAVAILABLE", "PROTO_ERROR"};
      CHECK(codes.count(error_code(status)) == 1);
    }
  }
}

TEST_CASE("verify status: codes and HTTP statuses of SPEC §4") {
  CHECK(error_code(VerifyStatus::ok).empty());
  CHECK(error_code(VerifyStatus::token_malformed) == "AUTH_HEADER_MALFORMED");
  CHECK(error_code(VerifyStatus::base64url_invalid) == "AUTH_HEADER_MALFORMED");
  CHECK(error_code(VerifyStatus::json_duplicate_member) == "AUTH_HEADER_MALFORMED");
  CHECK(error_code(VerifyStatus::signature_invalid) == "AUTH_JWT_INVALID");
  CHECK(error_code(VerifyStatus::alg_none) == "AUTH_JWT_INVALID");
  CHECK(error_code(VerifyStatus::aud_mismatch) == "AUTH_JWT_INVALID");
  CHECK(error_code(VerifyStatus::expired) == "AUTH_JWT_EXPIRED");
  CHECK(error_code(VerifyStatus::nbf_in_future) == "AUTH_JWT_IMMATURE");
  CHECK(error_code(VerifyStatus::iat_in_future) == "AUTH_JWT_IMMATURE");
  CHECK(error_code(VerifyStatus::keys_unavailable) == "AUTH_KEYS_UNAVAILABLE");
  CHECK(http_status(VerifyStatus::keys_unavailable) == 503);
  CHECK(error_code(VerifyStatus::token_too_large) == "PROTO_ERROR");
  CHECK(http_status(VerifyStatus::token_too_large) == 413);
  CHECK(http_status(VerifyStatus::kid_unknown) == 401);
  CHECK(to_string(VerifyStatus::kid_unknown) == "kid_unknown");
}
