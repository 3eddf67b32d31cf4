// One PEM public key → Key (static issuer keys: `keys_file`, Turso platform keys).
#include <openssl/decoder.h>

#include "jwks/key.hpp"
#include "jwks/key_build.hpp"

namespace gate::jwks {

KeyParse parse_public_key_pem(std::string_view pem) {
  // A private key in a keys_file is a mistake worth naming, not just "invalid".
  if (pem.find("PRIVATE KEY-----") != std::string_view::npos) return {std::nullopt, KeyError::private_key_material};
  EVP_PKEY* raw = nullptr;
  OSSL_DECODER_CTX* dctx = OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr,
                                                         EVP_PKEY_PUBLIC_KEY, nullptr, nullptr);
  if (dctx == nullptr) return {std::nullopt, KeyError::key_build_failed};
  auto data = reinterpret_cast<const unsigned char*>(pem.data());
  std::size_t len = pem.size();
  int ok = OSSL_DECODER_from_data(dctx, &data, &len);
  OSSL_DECODER_CTX_free(dctx);
  if (ok != 1 || raw == nullptr) {
    EVP_PKEY_free(raw);
    return {std::nullopt, KeyError::pem_invalid};
  }
  return key_from_public_pkey(ossl::Pkey(raw));
}

}  // namespace gate::jwks
