#pragma once
// What each JWS algorithm means to OpenSSL; shared by the verifier's signature
// primitive and the development signer so the two cannot drift. Internal to jwks/.
#include <cstddef>

#include <openssl/evp.h>

#include "jwks/algorithm.hpp"

namespace gate::jwks {

// SHA-256/384/512 for RS*/PS*/ES*; null for EdDSA (Ed25519 hashes internally).
const EVP_MD* digest_for(Algorithm alg);

bool is_pss(Algorithm alg);

// Bytes of R and of S in a JOSE ECDSA signature (32/48/66); 0 for non-ES algorithms.
std::size_t ec_component_bytes(Algorithm alg);

// RSA-PSS per RFC 7518 §3.5 on a DigestSign/DigestVerify context: salt length =
// hash length, MGF1 with the same hash. PKCS#1 v1.5 padding for RS*. No-op otherwise.
bool set_rsa_padding(EVP_PKEY_CTX* pctx, Algorithm alg);

}  // namespace gate::jwks
