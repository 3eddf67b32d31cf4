#pragma once
// Token minting and key generation for development and tests (`libsql-gate keygen`,
// `mint`). Never on the request path. RS*/ES* are signed by cpp-jwt (an independent
// implementation, so tests cross-check our verifier); EdDSA and PS* by OpenSSL,
// which cpp-jwt lacks.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "jwks/algorithm.hpp"

namespace gate::jwks {

struct SignResult {
  std::optional<std::string> token;
  std::string error;  // set when token is empty
};

// The algorithm a private key signs with by default: RSA → RS256, P-256 → ES256,
// P-384 → ES384, P-521 → ES512, Ed25519 → EdDSA. nullopt for anything else.
std::optional<Algorithm> algorithm_for_private_key(std::string_view private_pem);

// A compact JWS {"alg", "typ":"JWT", "kid"?} . claims. `alg` defaults to
// algorithm_for_private_key. claims must be a JSON object.
SignResult sign_token(const nlohmann::json& claims, std::string_view private_pem,
                      std::optional<std::string> kid, std::optional<Algorithm> alg = std::nullopt);

// The raw JOSE signature of `signing_input` (R‖S for ES*), with OpenSSL only. Tests
// use it to sign hand-made headers (crit, odd alg values, duplicate members...).
std::optional<std::string> sign_bytes(Algorithm alg, std::string_view private_pem,
                                      std::string_view signing_input);

struct GeneratedKey {
  std::string private_pem;  // PKCS#8
  std::string jwks_json;    // {"keys":[{kty..., "kid", "alg", "use":"sig"}]}
};

// RS256 (RSA 2048, e=65537), ES256 (P-256) or EdDSA (Ed25519); nullopt for others.
std::optional<GeneratedKey> generate_key(Algorithm alg, std::string_view kid);

// The public JWK (with kid, alg, use=sig) of a private or public PEM key.
std::optional<nlohmann::json> public_jwk_for_pem(std::string_view pem, std::string_view kid,
                                                 Algorithm alg);

}  // namespace gate::jwks
