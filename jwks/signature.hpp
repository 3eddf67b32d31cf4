#pragma once
// The signature primitive alone, without any JOSE parsing: exposed so the Wycheproof
// vectors can exercise it directly. The verifier calls it only after it has checked
// that `alg` is allowed and fits `key`.
#include <string_view>

#include "jwks/algorithm.hpp"
#include "jwks/key.hpp"

namespace gate::jwks {

// RS*: RSASSA-PKCS1-v1_5. PS*: RSASSA-PSS, MGF1 with the same hash, salt length =
// hash length (RFC 7518 §3.5), verified with exactly that salt length. ES*: the JOSE
// signature is R‖S, each exactly the curve's byte size; any other length is false.
// EdDSA: Ed25519 over the message. Returns false on any mismatch, never throws.
bool verify_signature(Algorithm alg, const Key& key, std::string_view signing_input,
                      std::string_view signature);

}  // namespace gate::jwks
