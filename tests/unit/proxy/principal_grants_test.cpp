#include <doctest/doctest.h>

#include <memory>

#include "proxy/principal_grants.hpp"

using gate::jwks::VerifiedToken;
using gate::proxy::GrantsCache;
using gate::proxy::PrincipalGrants;

TEST_CASE("grants cache: found for the same token object while it lives") {
  GrantsCache cache;
  auto token = std::make_shared<const VerifiedToken>();
  CHECK(cache.find(token) == nullptr);
  auto grants = std::make_shared<const PrincipalGrants>();
  cache.insert(token, grants);
  CHECK(cache.find(token) == grants);
  // Another token with equal contents is another entry: the key is the object.
  auto other = std::make_shared<const VerifiedToken>();
  CHECK(cache.find(other) == nullptr);
}

TEST_CASE("grants cache: an evicted token's entry is never returned for a new token at its address") {
  GrantsCache cache;
  auto grants = std::make_shared<const PrincipalGrants>();
  const VerifiedToken* address = nullptr;
  {
    auto token = std::make_shared<const VerifiedToken>();
    address = token.get();
    cache.insert(token, grants);
  }
  // Whether or not the allocator reuses the address, a fresh token misses.
  for (int i = 0; i < 8; ++i) {
    auto fresh = std::make_shared<const VerifiedToken>();
    if (fresh.get() == address) CHECK(cache.find(fresh) == nullptr);
    CHECK(cache.find(fresh) == nullptr);
  }
}

TEST_CASE("grants cache: bounded, live entries survive pruning of dead ones") {
  GrantsCache cache(2);
  auto live = std::make_shared<const VerifiedToken>();
  auto grants = std::make_shared<const PrincipalGrants>();
  cache.insert(live, grants);
  cache.insert(std::make_shared<const VerifiedToken>(), grants);  // dies at once
  cache.insert(std::make_shared<const VerifiedToken>(), grants);  // full: the dead entry goes
  CHECK(cache.find(live) == grants);
}
