#pragma once
// One public verification key, built once (EVP_PKEY_fromdata) when a JWKS or PEM is
// loaded and shared read-only by every verification after that.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>
#include <openssl/types.h>

#include "jwks/algorithm.hpp"

namespace gate::jwks {

enum class KeyType : std::uint8_t { rsa, ec, okp };
enum class Curve : std::uint8_t { none, p256, p384, p521, ed25519 };

// Why a JWK or PEM could not become a Key, or why a Key may not verify.
enum class KeyError : std::uint8_t {
  not_object,
  member_not_string,      // a required member (kty, n, e, crv, x, y) missing, or any not a string
  kty_missing,
  kty_unsupported,        // "oct" and anything else
  base64url_invalid,
  rsa_too_small,          // modulus < 2048 bits
  rsa_too_large,          // modulus > 8192 bits (verification cost is a DoS lever)
  rsa_modulus_invalid,    // even modulus
  rsa_exponent_invalid,   // even, < 3, or 2^32 and above
  rsa_roca_vulnerable,    // CVE-2017-15361 (Infineon) modulus: factorable
  ec_curve_unsupported,
  ec_coordinate_length,   // x / y not exactly the curve's field size
  ec_point_invalid,       // not on the curve (EVP_PKEY_public_check)
  okp_curve_unsupported,  // only Ed25519
  okp_x_length,
  private_key_material,   // "d" (or RSA private members) present: refuse to hold secrets
  pem_invalid,
  key_build_failed,
  // The key is well formed but not for verifying signatures (kept, not usable):
  use_not_sig,
  key_ops_without_verify,
  alg_unsupported,        // the JWK's own alg is not one we verify (e.g. RSA-OAEP, HS256)
  alg_kty_mismatch,       // the JWK's own alg contradicts its kty/crv (ES256 on P-384)
  duplicate_kid,
};

std::string_view to_string(KeyError error);

class VerifyContextPool;  // jwks/verify_context_pool.hpp (internal)

struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const;
};

struct Key {
  std::optional<std::string> kid;  // PEM keys have none
  KeyType kty = KeyType::rsa;
  Curve crv = Curve::none;
  std::optional<Algorithm> alg;    // the JWK's own "alg", if it had one
  std::size_t bits = 0;            // RSA modulus size; curve size for EC/OKP
  // Empty when usable; otherwise why this key may not verify (use=enc, key_ops...).
  std::optional<KeyError> unusable;
  // Lower-case hex SHA-256 of the SubjectPublicKeyInfo DER: identifies the key
  // material across JWKS refreshes (the token cache drops entries whose key left).
  std::string fingerprint;
  std::shared_ptr<EVP_PKEY> pkey;  // ready for EVP_DigestVerify; never mutated
  // Reusable verification contexts for pkey (RS*/PS*/ES*), shared by copies of this Key.
  std::shared_ptr<VerifyContextPool> contexts;

  bool usable_for_verify() const { return !unusable.has_value(); }
};

struct KeyParse {
  std::optional<Key> key;
  std::optional<KeyError> error;  // set exactly when key is empty
};

// One JWK object (RFC 7517/7518/8037). x5c / x5t / x5u are ignored: trust comes
// from where the JWKS was fetched, not from certificates inside it.
KeyParse parse_jwk(const nlohmann::json& jwk);

// One PEM "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" block; same
// strength rules as JWKs. The key has no kid.
KeyParse parse_public_key_pem(std::string_view pem);

// Whether `alg` may be verified with `key`: kty and curve fit (ES256 only with
// P-256 ...), and the key's own alg, if any, is exactly `alg`.
bool key_fits_algorithm(const Key& key, Algorithm alg);

}  // namespace gate::jwks
