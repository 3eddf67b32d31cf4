#include "jwks/signature.hpp"

#include <openssl/ec.h>
#include <openssl/err.h>

#include "jwks/algorithm_params.hpp"
#include "jwks/message_digest.hpp"
#include "jwks/openssl_ptr.hpp"
#include "jwks/verify_context_pool.hpp"

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

namespace {

// Ed25519 signs the message itself (no prehash), so it takes the one-shot DigestVerify.
bool verify_ed25519(const Key& key, std::string_view signing_input, std::string_view signature) {
  if (signature.size() != 64) return false;
  ossl::MdCtx md(EVP_MD_CTX_new());
  return md && EVP_DigestVerifyInit(md.get(), nullptr, nullptr, nullptr, key.pkey.get()) == 1 &&
         EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
}

// RS*, PS*, ES*: hash once, then EVP_PKEY_verify with a pooled, pre-initialised context.
bool verify_prehashed(Algorithm alg, const Key& key, std::string_view signing_input, std::string_view signature) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (!message_digest(digest_for(alg), signing_input, digest, digest_len)) return false;
  if (!key.contexts) return false;
  ossl::PkeyCtx ctx = key.contexts->acquire(alg);
  if (!ctx) return false;
  bool ok = EVP_PKEY_verify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                            digest, digest_len) == 1;
  key.contexts->release(alg, std::move(ctx));
  return ok;
}

}  // namespace

bool verify_signature(Algorithm alg, const Key& key, std::string_view signing_input, std::string_view signature) {
  if (!key.pkey || !key_fits_algorithm(key, alg)) return false;

  bool ok = false;
  if (alg == Algorithm::EdDSA) {
    ok = verify_ed25519(key, signing_input, signature);
  } else if (std::size_t component = ec_component_bytes(alg)) {
    auto der = jose_to_der(signature, component);
    ok = der && verify_prehashed(alg, key, signing_input, *der);
  } else if (signature.size() == static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey.get()))) {
    // RSA: exactly the modulus length (RFC 8017 §8.2.2 step 1).
    ok = verify_prehashed(alg, key, signing_input, signature);
  }
  // A failed verification leaves entries in this thread's OpenSSL error queue; TLS
  // code on the same thread (the fetcher, the listener) must not mistake them for its own.
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace gate::jwks
