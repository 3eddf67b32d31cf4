#pragma once
// The one place where a public EVP_PKEY, however it was read (JWK or PEM), is
// checked against the strength rules and turned into a Key. Internal to jwks/.
#include "jwks/key.hpp"
#include "jwks/openssl_ptr.hpp"

namespace gate::jwks {

// kty/crv/bits from the key itself; RSA ≥ 2048 and ≤ 8192 bits, odd n, odd
// 3 ≤ e < 2^32; EC on P-256/384/521 and passing EVP_PKEY_public_check; Ed25519.
// kid, alg and unusable are left for the caller.
KeyParse key_from_public_pkey(ossl::Pkey pkey);

}  // namespace gate::jwks
