#pragma once
// The JWS algorithms the verifier accepts. "none" and HMAC are deliberately absent:
// a gate that trusts public keys has no business with shared secrets.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gate::jwks {

enum class Algorithm : std::uint8_t {
  RS256, RS384, RS512,
  PS256, PS384, PS512,
  ES256, ES384, ES512,
  EdDSA,
};

inline constexpr std::array<Algorithm, 10> kAllAlgorithms{
    Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384,
    Algorithm::PS512, Algorithm::ES256, Algorithm::ES384, Algorithm::ES512, Algorithm::EdDSA,
};

std::string_view to_string(Algorithm alg);

// Exact, case-sensitive comparison (RFC 7515 §4.1.1); "rs256", "RS256\0x" are unknown.
std::optional<Algorithm> parse_algorithm(std::string_view name);

}  // namespace gate::jwks
