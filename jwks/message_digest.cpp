#include "jwks/message_digest.hpp"

#include "jwks/openssl_ptr.hpp"

namespace gate::jwks {

bool message_digest(const EVP_MD* md, std::string_view data, unsigned char* out, unsigned int& length) {
  // Init_ex2 resets whatever the previous digest (or a failed one) left behind.
  // Created on first use and again after a failed allocation, so one failure does
  // not leave the thread without a context for good.
  thread_local ossl::MdCtx ctx;
  if (!ctx) ctx.reset(EVP_MD_CTX_new());
  return ctx && EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1 &&
         EVP_DigestUpdate(ctx.get(), data.data(), data.size()) == 1 &&
         EVP_DigestFinal_ex(ctx.get(), out, &length) == 1;
}

}  // namespace gate::jwks
