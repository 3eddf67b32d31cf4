// The verified-token cache on its own: digest, hit/miss, expiry, LRU bound.
#include <doctest/doctest.h>

#include <thread>

#include "jwks/token_cache.hpp"

namespace gate::jwks {
namespace {

std::shared_ptr<const CachedToken> entry(double exp, std::string subject = "s",
                                         std::size_t issuer_index = 0) {
  auto token = std::make_shared<VerifiedToken>();
  token->exp = exp;
  token->subject = std::move(subject);
  token->key_fingerprint = "fp";
  return std::make_shared<const CachedToken>(CachedToken{token, issuer_index, 0});
}

TEST_CASE("token_cache: the key is SHA-256 of the token bytes") {
  TokenCache cache(10);
  const TokenDigest abc = cache.digest("abc");
  // FIPS 180-2 test vector.
  const TokenDigest expected{0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                             0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                             0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  CHECK(abc == expected);
  CHECK(cache.digest("abd") != abc);
}

TEST_CASE("token_cache: hit, miss, replace, erase") {
  TokenCache cache(10);
  const auto a = cache.digest("token-a");
  const auto b = cache.digest("token-b");
  CHECK(cache.find(a, 1000) == nullptr);
  cache.insert(a, entry(2000, "alice"));
  auto hit = cache.find(a, 1000);
  REQUIRE(hit);
  CHECK(hit->token->subject == "alice");
  CHECK(cache.find(b, 1000) == nullptr);

  cache.insert(a, entry(2000, "alice-2"));
  CHECK(cache.find(a, 1000)->token->subject == "alice-2");
  CHECK(cache.size() == 1);

  cache.erase(a);
  CHECK(cache.find(a, 1000) == nullptr);
  CHECK(cache.size() == 0);
}

TEST_CASE("token_cache: an entry lives until the token's exp, not a second longer") {
  TokenCache cache(10);
  const auto d = cache.digest("t");
  cache.insert(d, entry(2000));
  CHECK(cache.find(d, 1999) != nullptr);
  CHECK(cache.find(d, 2000) == nullptr);  // exp is exclusive
  CHECK(cache.size() == 0);               // and the dead entry is gone
  CHECK(cache.find(d, 1999) == nullptr);

  cache.insert(d, entry(2000.5));  // fractional exp
  CHECK(cache.find(d, 2000) != nullptr);
  CHECK(cache.find(d, 2001) == nullptr);
}

TEST_CASE("token_cache: least recently used entries are evicted at capacity") {
  TokenCache cache(3, 1);  // one shard: a strict LRU of 3
  const auto d1 = cache.digest("1");
  const auto d2 = cache.digest("2");
  const auto d3 = cache.digest("3");
  const auto d4 = cache.digest("4");
  cache.insert(d1, entry(9999));
  cache.insert(d2, entry(9999));
  cache.insert(d3, entry(9999));
  CHECK(cache.find(d1, 0) != nullptr);  // 1 is now the most recent; 2 the least
  cache.insert(d4, entry(9999));
  CHECK(cache.size() == 3);
  CHECK(cache.find(d2, 0) == nullptr);
  CHECK(cache.find(d1, 0) != nullptr);
  CHECK(cache.find(d3, 0) != nullptr);
  CHECK(cache.find(d4, 0) != nullptr);
}

TEST_CASE("token_cache: the total never exceeds the capacity, whatever the sharding") {
  for (std::size_t capacity : {1u, 5u, 100u, 1000u}) {
    TokenCache cache(capacity, 16);
    for (int i = 0; i < 5000; ++i) cache.insert(cache.digest(std::to_string(i)), entry(9999));
    CAPTURE(capacity);
    CHECK(cache.size() <= capacity);
    CHECK(cache.size() >= capacity * 3 / 4);  // and the shards are reasonably used
  }
  TokenCache disabled(0);
  disabled.insert(disabled.digest("x"), entry(9999));
  CHECK(disabled.find(disabled.digest("x"), 0) == nullptr);
}

TEST_CASE("token_cache: concurrent use from two threads") {
  TokenCache cache(1000, 16);
  std::vector<TokenDigest> digests;
  for (int i = 0; i < 2000; ++i) digests.push_back(cache.digest("tok" + std::to_string(i)));
  auto work = [&](int offset) {
    for (int round = 0; round < 20; ++round) {
      for (std::size_t i = static_cast<std::size_t>(offset); i < digests.size(); i += 2) {
        if (!cache.find(digests[i], 0)) cache.insert(digests[i], entry(9999));
      }
    }
  };
  std::thread other(work, 1);
  work(0);
  other.join();
  CHECK(cache.size() <= 1000);
}

}  // namespace
}  // namespace gate::jwks
