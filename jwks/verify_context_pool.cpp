#include "jwks/verify_context_pool.hpp"

#include "jwks/algorithm_params.hpp"

namespace gate::jwks {

VerifyContextPool::~VerifyContextPool() {
  for (auto& per_alg : slots_) {
    for (auto& slot : per_alg) EVP_PKEY_CTX_free(slot.exchange(nullptr));
  }
}

ossl::PkeyCtx VerifyContextPool::acquire(Algorithm alg) {
  for (auto& slot : slots_[static_cast<std::size_t>(alg)]) {
    if (EVP_PKEY_CTX* ctx = slot.exchange(nullptr, std::memory_order_acquire)) return ossl::PkeyCtx(ctx);
  }
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey_.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 || !set_rsa_padding(ctx.get(), alg) ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), digest_for(alg)) != 1) {
    return nullptr;
  }
  return ctx;
}

void VerifyContextPool::release(Algorithm alg, ossl::PkeyCtx ctx) {
  for (auto& slot : slots_[static_cast<std::size_t>(alg)]) {
    EVP_PKEY_CTX* expected = nullptr;
    if (slot.compare_exchange_strong(expected, ctx.get(), std::memory_order_release, std::memory_order_relaxed)) {
      ctx.release();
      return;
    }
  }
  // Every slot full: ctx is freed here.
}

}  // namespace gate::jwks
