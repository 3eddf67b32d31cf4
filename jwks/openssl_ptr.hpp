#pragma once
// Owning handles for the OpenSSL objects jwks/ creates, so every early return frees.
// Internal to jwks/ (and its tests); not part of the room's public surface.
#include <memory>
#include <string>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

namespace gate::jwks::ossl {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;

// Builds a public key of `type` ("RSA", "EC", "ED25519") from an OSSL_PARAM list;
// null on failure.
Pkey public_key_from_params(const char* type, const OSSL_PARAM* params);

// Everything written to `bio` so far.
std::string bio_contents(BIO* bio);

}  // namespace gate::jwks::ossl
