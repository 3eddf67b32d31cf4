#include "jwks/token_cache.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>

#include <openssl/evp.h>

#include "jwks/message_digest.hpp"

namespace gate::jwks {
namespace {

// The digest is already uniformly distributed: any 8 of its bytes are a good hash.
struct DigestHash {
  std::size_t operator()(const TokenDigest& digest) const {
    std::size_t h;
    std::memcpy(&h, digest.data() + 8, sizeof h);
    return h;
  }
};

}  // namespace

struct alignas(64) TokenCache::Shard {
  struct Entry {
    TokenDigest digest;
    std::shared_ptr<const CachedToken> value;
  };

  explicit Shard(std::size_t max_entries) : capacity(max_entries) { index.reserve(capacity); }

  void erase(std::unordered_map<TokenDigest, std::list<Entry>::iterator, DigestHash>::iterator it) {
    lru.erase(it->second);
    index.erase(it);
  }

  std::mutex mutex;
  std::list<Entry> lru;  // front: most recently used
  std::unordered_map<TokenDigest, std::list<Entry>::iterator, DigestHash> index;
  const std::size_t capacity;
};

// Fetched once: an implicit fetch per digest (EVP_sha256() in OpenSSL 3) costs more
// than hashing a typical token.
struct TokenCache::Sha256 {
  Sha256() : md(EVP_MD_fetch(nullptr, "SHA256", nullptr)) {}
  ~Sha256() { EVP_MD_free(md); }
  EVP_MD* md;
};

TokenCache::TokenCache(std::size_t capacity, std::size_t shard_count)
    : capacity_(capacity), sha256_(std::make_unique<Sha256>()) {
  const std::size_t shards = std::max<std::size_t>(1, std::min(shard_count, capacity));
  shards_.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i) {
    shards_.push_back(std::make_unique<Shard>(capacity / shards + (i < capacity % shards ? 1 : 0)));
  }
}

TokenCache::~TokenCache() = default;

TokenDigest TokenCache::digest(std::string_view token) const {
  TokenDigest out{};
  unsigned int length = 0;
  unsigned char bytes[EVP_MAX_MD_SIZE];
  if (!message_digest(sha256_->md, token, bytes, length) || length != out.size()) {
    // Cannot happen with a fetched SHA-256; an all-zero digest would alias every
    // token, so make the failure loud instead.
    std::abort();
  }
  std::memcpy(out.data(), bytes, out.size());
  return out;
}

TokenCache::Shard& TokenCache::shard_for(const TokenDigest& digest) const {
  std::size_t h;
  std::memcpy(&h, digest.data(), sizeof h);
  return *shards_[h % shards_.size()];
}

std::shared_ptr<const CachedToken> TokenCache::find(const TokenDigest& digest,
                                                    std::int64_t now_unix) {
  Shard& shard = shard_for(digest);
  std::lock_guard lock(shard.mutex);
  auto it = shard.index.find(digest);
  if (it == shard.index.end()) return nullptr;
  const auto& value = it->second->value;
  if (!(static_cast<double>(now_unix) < value->token->exp)) {
    shard.erase(it);
    return nullptr;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return value;
}

void TokenCache::insert(const TokenDigest& digest, std::shared_ptr<const CachedToken> entry) {
  Shard& shard = shard_for(digest);
  if (shard.capacity == 0 || !entry || !entry->token) return;
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(digest); it != shard.index.end()) {
    it->second->value = std::move(entry);
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return;
  }
  if (shard.index.size() >= shard.capacity) {
    shard.index.erase(shard.lru.back().digest);
    shard.lru.pop_back();
  }
  shard.lru.push_front(Shard::Entry{digest, std::move(entry)});
  shard.index.emplace(digest, shard.lru.begin());
}

void TokenCache::erase(const TokenDigest& digest) {
  Shard& shard = shard_for(digest);
  std::lock_guard lock(shard.mutex);
  if (auto it = shard.index.find(digest); it != shard.index.end()) shard.erase(it);
}

std::size_t TokenCache::size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    total += shard->index.size();
  }
  return total;
}

}  // namespace gate::jwks
