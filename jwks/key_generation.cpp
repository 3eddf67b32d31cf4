// Development keys: `libsql-gate keygen` and the public JWK of a PEM key.
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "jwks/base64url.hpp"
#include "jwks/private_key.hpp"
#include "jwks/signer.hpp"

namespace gate::jwks {

namespace {

std::optional<std::string> bn_param(EVP_PKEY* pkey, const char* name, int pad_to = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return std::nullopt;
  ossl::Bignum bn(raw);
  int len = pad_to > 0 ? pad_to : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(len), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), len) != len) return std::nullopt;
  return out;
}

}  // namespace

std::optional<nlohmann::json> public_jwk_for_pem(std::string_view pem, std::string_view kid, Algorithm alg) {
  ossl::Pkey key = read_pem_key(pem, /*allow_public=*/true);
  if (!key) return std::nullopt;
  nlohmann::json jwk;
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    auto n = bn_param(key.get(), OSSL_PKEY_PARAM_RSA_N);
    auto e = bn_param(key.get(), OSSL_PKEY_PARAM_RSA_E);
    if (!n || !e) return std::nullopt;
    jwk = {{"kty", "RSA"}, {"n", base64url_encode(*n)}, {"e", base64url_encode(*e)}};
  } else if (EVP_PKEY_is_a(key.get(), "EC")) {
    auto def = default_algorithm(key.get());
    if (!def) return std::nullopt;
    int size = *def == Algorithm::ES256 ? 32 : *def == Algorithm::ES384 ? 48 : 66;
    const char* crv = *def == Algorithm::ES256 ? "P-256" : *def == Algorithm::ES384 ? "P-384" : "P-521";
    auto x = bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, size);
    auto y = bn_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, size);
    if (!x || !y) return std::nullopt;
    jwk = {{"kty", "EC"}, {"crv", crv}, {"x", base64url_encode(*x)}, {"y", base64url_encode(*y)}};
  } else if (EVP_PKEY_is_a(key.get(), "ED25519")) {
    std::string x(32, '\0');
    std::size_t len = x.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(x.data()), &len) != 1 || len != 32) {
      return std::nullopt;
    }
    jwk = {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(x)}};
  } else {
    return std::nullopt;
  }
  jwk["kid"] = std::string(kid);
  jwk["alg"] = std::string(to_string(alg));
  jwk["use"] = "sig";
  return jwk;
}

std::optional<GeneratedKey> generate_key(Algorithm alg, std::string_view kid) {
  ossl::Pkey key;
  switch (alg) {
    case Algorithm::RS256: key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(2048))); break;
    case Algorithm::ES256: key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); break;
    case Algorithm::EdDSA: key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); break;
    default: return std::nullopt;
  }
  if (!key) return std::nullopt;
  ossl::Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return std::nullopt;
  }
  GeneratedKey out;
  out.private_pem = ossl::bio_contents(bio.get());
  auto jwk = public_jwk_for_pem(out.private_pem, kid, alg);
  if (!jwk) return std::nullopt;
  out.jwks_json = nlohmann::json{{"keys", nlohmann::json::array({*jwk})}}.dump(2) + "\n";
  return out;
}

}  // namespace gate::jwks
