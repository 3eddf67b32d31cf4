#include "jwks/signature.hpp"

#include <openssl/ec.h>

#include "jwks/algorithm_params.hpp"
#include "jwks/openssl_ptr.hpp"

namespace gate::jwks {

namespace {

// JOSE R‖S (RFC 7518 §3.4) → the DER ECDSA-Sig-Value OpenSSL verifies. Only the
// exact length is accepted; OpenSSL then rejects r or s of 0 or ≥ n.
std::optional<std::string> jose_to_der(std::string_view sig, std::size_t component) {
  if (sig.size() != 2 * component) return std::nullopt;
  auto bytes = reinterpret_cast<const unsigned char*>(sig.data());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(component), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + component, static_cast<int>(component), nullptr);
  ECDSA_SIG* ecdsa = ECDSA_SIG_new();
  if (r == nullptr || s == nullptr || ecdsa == nullptr || ECDSA_SIG_set0(ecdsa, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(ecdsa);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(ecdsa, &der);
  ECDSA_SIG_free(ecdsa);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

bool verify_signature(Algorithm alg, const Key& key, std::string_view signing_input, std::string_view signature) {
  if (!key.pkey || !key_fits_algorithm(key, alg)) return false;

  std::string der;
  if (std::size_t component = ec_component_bytes(alg)) {
    auto converted = jose_to_der(signature, component);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  } else if (alg == Algorithm::EdDSA) {
    if (signature.size() != 64) return false;
  } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey.get()))) {
    return false;  // RSA: exactly the modulus length (RFC 8017 §8.2.2 step 1)
  }

  ossl::MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, digest_for(alg), nullptr, key.pkey.get()) != 1) return false;
  if (!set_rsa_padding(pctx, alg)) return false;
  return EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
}

}  // namespace gate::jwks
