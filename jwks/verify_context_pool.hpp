#pragma once
// Ready-to-use OpenSSL verification contexts for one key, reused across requests.
// Creating and initialising an EVP_PKEY_CTX costs about as much as hashing the token
// (measured: 21 µs → 17 µs per RS256 verify when reused). Lock-free: a verifier
// takes a context out of a slot (atomic exchange) and puts it back afterwards; when
// all slots are empty it makes a new one, when all are full it frees the spare.
// Internal to jwks/.
#include <array>
#include <atomic>
#include <memory>

#include <openssl/evp.h>

#include "jwks/algorithm.hpp"
#include "jwks/openssl_ptr.hpp"

namespace gate::jwks {

class VerifyContextPool {
 public:
  explicit VerifyContextPool(std::shared_ptr<EVP_PKEY> pkey) : pkey_(std::move(pkey)) {}
  ~VerifyContextPool();
  VerifyContextPool(const VerifyContextPool&) = delete;
  VerifyContextPool& operator=(const VerifyContextPool&) = delete;

  // A context initialised for EVP_PKEY_verify of `alg` over a digest (RS*, PS*, ES*);
  // null if OpenSSL refuses.
  ossl::PkeyCtx acquire(Algorithm alg);
  void release(Algorithm alg, ossl::PkeyCtx ctx);

 private:
  static constexpr std::size_t kSlotsPerAlgorithm = 4;  // ≥ worker threads that verify at once, typically
  std::shared_ptr<EVP_PKEY> pkey_;
  std::array<std::array<std::atomic<EVP_PKEY_CTX*>, kSlotsPerAlgorithm>, kAllAlgorithms.size()> slots_{};
};

}  // namespace gate::jwks
