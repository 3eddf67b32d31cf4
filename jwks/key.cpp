#include "jwks/key.hpp"

#include <array>

#include <openssl/core_names.h>
#include <openssl/x509.h>

#include "jwks/key_build.hpp"
#include "jwks/verify_context_pool.hpp"

namespace gate::jwks {

namespace {

constexpr std::string_view kKeyErrorNames[] = {
    "not_object",          "member_not_string",    "kty_missing",
    "kty_unsupported",     "base64url_invalid",    "rsa_too_small",
    "rsa_too_large",       "rsa_modulus_invalid",  "rsa_exponent_invalid",
    "rsa_roca_vulnerable",
    "ec_curve_unsupported", "ec_coordinate_length", "ec_point_invalid",
    "okp_curve_unsupported", "okp_x_length",       "private_key_material",
    "pem_invalid",         "key_build_failed",     "use_not_sig",
    "key_ops_without_verify", "alg_unsupported",   "alg_kty_mismatch",
    "duplicate_kid",
};
static_assert(std::size(kKeyErrorNames) == static_cast<std::size_t>(KeyError::duplicate_kid) + 1);

std::string hex_sha256(const unsigned char* data, std::size_t len) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_len = 0;
  if (EVP_Digest(data, len, digest.data(), &digest_len, EVP_sha256(), nullptr) != 1) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(digest_len * 2);
  for (unsigned int i = 0; i < digest_len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string spki_fingerprint(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return {};
  std::string fp = hex_sha256(der, static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return fp;
}

// ROCA fingerprint (Nemec et al., CCS 2017): moduli from the flawed Infineon
// generator are, modulo each of these small primes, a power of 65537. A random
// modulus passes all 38 tests with negligible probability.
bool roca_fingerprint(const BIGNUM* n) {
  static constexpr BN_ULONG kPrimes[] = {3,  5,  7,  11, 13, 17, 19, 23,  29,  31,  37,  41,  43,  47,  53,  59,  61,  67,  71,
                                         73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
  for (BN_ULONG p : kPrimes) {
    BN_ULONG residue = BN_mod_word(n, p);
    if (residue == static_cast<BN_ULONG>(-1)) return false;
    bool in_subgroup = false;
    BN_ULONG power = 1;
    do {
      if (power == residue) {
        in_subgroup = true;
        break;
      }
      power = power * (65537 % p) % p;
    } while (power != 1);
    if (!in_subgroup) return false;
  }
  return true;
}

std::optional<KeyError> check_rsa(EVP_PKEY* pkey) {
  int bits = EVP_PKEY_get_bits(pkey);
  if (bits < 2048) return KeyError::rsa_too_small;
  if (bits > 8192) return KeyError::rsa_too_large;
  BIGNUM* n_raw = nullptr;
  BIGNUM* e_raw = nullptr;
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n_raw);
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e_raw);
  ossl::Bignum n(n_raw), e(e_raw);
  if (!n || !e) return KeyError::key_build_failed;
  if (!BN_is_odd(n.get())) return KeyError::rsa_modulus_invalid;
  if (roca_fingerprint(n.get())) return KeyError::rsa_roca_vulnerable;
  // e = 1 makes "signatures" trivial; an even e is not an RSA key; a huge e makes
  // every verification slow for nothing (no real key uses more than 32 bits).
  if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) < 2 || BN_num_bits(e.get()) > 32) {
    return KeyError::rsa_exponent_invalid;
  }
  return std::nullopt;
}

std::optional<Curve> ec_curve(EVP_PKEY* pkey) {
  char name[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) {
    return std::nullopt;
  }
  std::string_view group(name, len);
  if (group == "prime256v1" || group == "P-256") return Curve::p256;
  if (group == "secp384r1" || group == "P-384") return Curve::p384;
  if (group == "secp521r1" || group == "P-521") return Curve::p521;
  return std::nullopt;
}

bool public_check(EVP_PKEY* pkey) {
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

}  // namespace

std::string_view to_string(KeyError error) { return kKeyErrorNames[static_cast<std::size_t>(error)]; }

void EvpPkeyFree::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

KeyParse key_from_public_pkey(ossl::Pkey pkey) {
  if (!pkey) return {std::nullopt, KeyError::key_build_failed};
  Key key;
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    if (auto err = check_rsa(pkey.get())) return {std::nullopt, *err};
    key.kty = KeyType::rsa;
    key.crv = Curve::none;
  } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    auto crv = ec_curve(pkey.get());
    if (!crv) return {std::nullopt, KeyError::ec_curve_unsupported};
    if (!public_check(pkey.get())) return {std::nullopt, KeyError::ec_point_invalid};
    key.kty = KeyType::ec;
    key.crv = *crv;
  } else if (EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    key.kty = KeyType::okp;
    key.crv = Curve::ed25519;
  } else {
    return {std::nullopt, KeyError::kty_unsupported};
  }
  key.bits = static_cast<std::size_t>(EVP_PKEY_get_bits(pkey.get()));
  key.fingerprint = spki_fingerprint(pkey.get());
  if (key.fingerprint.empty()) return {std::nullopt, KeyError::key_build_failed};
  key.pkey = std::shared_ptr<EVP_PKEY>(pkey.release(), EvpPkeyFree{});
  if (key.kty != KeyType::okp) key.contexts = std::make_shared<VerifyContextPool>(key.pkey);
  return {std::move(key), std::nullopt};
}

bool key_fits_algorithm(const Key& key, Algorithm alg) {
  if (key.alg && *key.alg != alg) return false;
  switch (alg) {
    case Algorithm::RS256:
    case Algorithm::RS384:
    case Algorithm::RS512:
    case Algorithm::PS256:
    case Algorithm::PS384:
    case Algorithm::PS512: return key.kty == KeyType::rsa;
    case Algorithm::ES256: return key.kty == KeyType::ec && key.crv == Curve::p256;
    case Algorithm::ES384: return key.kty == KeyType::ec && key.crv == Curve::p384;
    case Algorithm::ES512: return key.kty == KeyType::ec && key.crv == Curve::p521;
    case Algorithm::EdDSA: return key.kty == KeyType::okp && key.crv == Curve::ed25519;
  }
  return false;
}

}  // namespace gate::jwks
