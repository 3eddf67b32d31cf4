#include "jwks/algorithm_params.hpp"

#include <openssl/rsa.h>

namespace gate::jwks {

namespace {

// Fetched once per process: passing EVP_sha256() makes OpenSSL 3 look the
// implementation up again on every DigestVerifyInit. Immutable after the
// (thread-safe) static initialisation; deliberately never freed.
const EVP_MD* fetched(const char* name) { return EVP_MD_fetch(nullptr, name, nullptr); }

}  // namespace

const EVP_MD* digest_for(Algorithm alg) {
  static const EVP_MD* const sha256 = fetched("SHA2-256");
  static const EVP_MD* const sha384 = fetched("SHA2-384");
  static const EVP_MD* const sha512 = fetched("SHA2-512");
  switch (alg) {
    case Algorithm::RS256:
    case Algorithm::PS256:
    case Algorithm::ES256: return sha256;
    case Algorithm::RS384:
    case Algorithm::PS384:
    case Algorithm::ES384: return sha384;
    case Algorithm::RS512:
    case Algorithm::PS512:
    case Algorithm::ES512: return sha512;
    case Algorithm::EdDSA: return nullptr;
  }
  return nullptr;
}

bool is_pss(Algorithm alg) { return alg == Algorithm::PS256 || alg == Algorithm::PS384 || alg == Algorithm::PS512; }

std::size_t ec_component_bytes(Algorithm alg) {
  switch (alg) {
    case Algorithm::ES256: return 32;
    case Algorithm::ES384: return 48;
    case Algorithm::ES512: return 66;
    default: return 0;
  }
}

bool set_rsa_padding(EVP_PKEY_CTX* pctx, Algorithm alg) {
  if (is_pss(alg)) {
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digest_for(alg)) == 1;
  }
  switch (alg) {
    case Algorithm::RS256:
    case Algorithm::RS384:
    case Algorithm::RS512: return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    default: return true;
  }
}

}  // namespace gate::jwks
