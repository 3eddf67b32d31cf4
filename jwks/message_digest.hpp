#pragma once
// A hash through a per-thread, reused EVP_MD_CTX. EVP_Digest creates and frees a
// context (and the provider's hash state) on every call; the two paths that hash
// every request — the token-cache key and a cold token's signing input — skip that.
// Internal to jwks/.
#include <string_view>

#include <openssl/evp.h>

namespace gate::jwks {

// The digest of `data` under `md` (a fetched EVP_MD) into `out`, which has room for
// EVP_MAX_MD_SIZE bytes; its length into `length`. False if OpenSSL fails.
bool message_digest(const EVP_MD* md, std::string_view data, unsigned char* out, unsigned int& length);

}  // namespace gate::jwks
