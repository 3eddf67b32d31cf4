#pragma once
// Reading a PEM private key, for the development signer only. Internal to jwks/.
#include <optional>
#include <string_view>

#include "jwks/algorithm.hpp"
#include "jwks/openssl_ptr.hpp"

namespace gate::jwks {

// A PEM private key (PKCS#8 or traditional) or, with allow_public, a public key.
ossl::Pkey read_pem_key(std::string_view pem, bool allow_public);

// RSA → RS256, P-256/384/521 → ES256/384/512, Ed25519 → EdDSA.
std::optional<Algorithm> default_algorithm(EVP_PKEY* pkey);

}  // namespace gate::jwks
