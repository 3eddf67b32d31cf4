#pragma once
// Verified-token cache: a token that verified once is not verified again until it
// expires. Keyed by SHA-256 of the token bytes (the raw token is never stored), a
// bounded LRU split into independently locked shards so that io_context threads
// rarely meet. The cache knows nothing of keys: the Authenticator drops an entry
// whose key has left the issuer's JWKS (CachedToken::removal_epoch).
//
// Thread safety: every member may be called concurrently.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "jwks/verifier.hpp"

namespace gate::jwks {

using TokenDigest = std::array<std::uint8_t, 32>;

struct CachedToken {
  std::shared_ptr<const VerifiedToken> token;  // token->exp bounds the entry's life
  std::size_t issuer_index = 0;                // which configured issuer verified it
  std::uint64_t removal_epoch = 0;             // IssuerKeys::removal_epoch() when last checked
};

class TokenCache {
 public:
  // capacity 0 disables caching. Shards beyond the capacity would never hold
  // anything, so there are at most `capacity` of them; the total never exceeds it.
  explicit TokenCache(std::size_t capacity, std::size_t shard_count = 16);
  ~TokenCache();
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  // SHA-256 of the token bytes.
  TokenDigest digest(std::string_view token) const;

  // The entry, if present and now_unix < token->exp (an expired entry is removed).
  // A hit becomes the shard's most recently used entry.
  std::shared_ptr<const CachedToken> find(const TokenDigest& digest, std::int64_t now_unix);
  // Adds or replaces; evicts the shard's least recently used entry when full.
  void insert(const TokenDigest& digest, std::shared_ptr<const CachedToken> entry);
  void erase(const TokenDigest& digest);

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Shard;
  Shard& shard_for(const TokenDigest& digest) const;

  std::size_t capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
  struct Sha256;
  std::unique_ptr<Sha256> sha256_;
};

}  // namespace gate::jwks
