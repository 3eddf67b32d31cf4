#include "jwks/private_key.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

namespace gate::jwks {

ossl::Pkey read_pem_key(std::string_view pem, bool allow_public) {
  ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  ossl::Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (key || !allow_public) return key;
  bio.reset(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return ossl::Pkey(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

std::optional<Algorithm> default_algorithm(EVP_PKEY* pkey) {
  if (pkey == nullptr) return std::nullopt;
  if (EVP_PKEY_is_a(pkey, "RSA")) return Algorithm::RS256;
  if (EVP_PKEY_is_a(pkey, "ED25519")) return Algorithm::EdDSA;
  if (EVP_PKEY_is_a(pkey, "EC")) {
    char name[64] = {};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) {
      return std::nullopt;
    }
    std::string_view group(name, len);
    if (group == "prime256v1") return Algorithm::ES256;
    if (group == "secp384r1") return Algorithm::ES384;
    if (group == "secp521r1") return Algorithm::ES512;
  }
  return std::nullopt;
}

}  // namespace gate::jwks
