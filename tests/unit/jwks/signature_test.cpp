#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include <openssl/err.h>

#include "jwks/signature.hpp"
#include "jwks/verifier.hpp"
#include "jwks_test_support.hpp"

using namespace gate::jwks;
using namespace gate::jwks::test;

TEST_CASE("signature: pooled contexts are safe across threads and a failure does not poison them") {
  auto set = key_set({rsa_key().jwk, p256_key().jwk, ps_key().jwk});
  REQUIRE(set);
  const std::string tokens[] = {token(rsa_key()), token(p256_key()), token(ps_key())};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 150; ++i) {
        const std::string& good = tokens[(t + i) % 3];
        std::string bad = good;
        bad[bad.size() - 5] = bad[bad.size() - 5] == 'A' ? 'B' : 'A';
        if (verify(good, *set, issuer_config(), kNow, kMaxTokenBytes).status != VerifyStatus::ok) ++wrong;
        if (verify(bad, *set, issuer_config(), kNow, kMaxTokenBytes).status != VerifyStatus::signature_invalid) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong.load() == 0);
}

TEST_CASE("signature: a failed verification leaves the OpenSSL error queue empty") {
  ERR_clear_error();
  auto key = parse_jwk(rsa_key().jwk);
  REQUIRE(key.key);
  CHECK_FALSE(verify_signature(Algorithm::RS256, *key.key, "input", std::string(256, 'x')));
  CHECK(ERR_peek_error() == 0);
  CHECK_FALSE(verify_signature(Algorithm::RS256, *key.key, "input", "short"));
  CHECK(ERR_peek_error() == 0);
  // An algorithm that does not fit the key is refused before OpenSSL sees it.
  CHECK_FALSE(verify_signature(Algorithm::ES256, *key.key, "input", std::string(64, 'x')));
}
