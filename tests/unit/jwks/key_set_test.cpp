#include <doctest/doctest.h>

#include "jwks/key_set.hpp"
#include "jwks_test_support.hpp"

using namespace gate::jwks;
using namespace gate::jwks::test;

TEST_CASE("key set: a JWKS document becomes an immutable snapshot, find by kid") {
  auto parsed = KeySet::from_jwks_json(jwks_of({rsa_key().jwk, p256_key().jwk, ed_key().jwk}).dump());
  REQUIRE(parsed.set);
  CHECK_FALSE(parsed.error);
  CHECK(parsed.skipped.empty());
  CHECK(parsed.set->size() == 3);
  CHECK(parsed.set->usable_count() == 3);
  REQUIRE(parsed.set->find("ec-1"));
  CHECK(parsed.set->find("ec-1")->crv == Curve::p256);
  CHECK(parsed.set->find("nope") == nullptr);
  CHECK(parsed.set->sole_usable_key() == nullptr);
  CHECK(parsed.set->contains_fingerprint(parsed.set->find("rsa-1")->fingerprint));
  CHECK_FALSE(parsed.set->contains_fingerprint("00"));
  CHECK(parsed.set->keys().size() == 3);
}

TEST_CASE("key set: unusable keys are skipped with their reason, the rest still serve") {
  nlohmann::json small = make_key(Algorithm::RS256, "small", 1024).jwk;
  nlohmann::json enc = rsa_key_2().jwk;
  enc["use"] = "enc";
  nlohmann::json oct{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}};
  nlohmann::json dup = rsa_key_2().jwk;
  dup["kid"] = "rsa-1";
  auto parsed = KeySet::from_jwks_json(jwks_of({rsa_key().jwk, small, enc, oct, dup, "junk"}).dump());
  REQUIRE(parsed.set);
  CHECK(parsed.set->size() == 2);  // rsa-1 and the enc key (kept so its kid is not "unknown")
  CHECK(parsed.set->usable_count() == 1);
  CHECK(parsed.set->sole_usable_key() == parsed.set->find("rsa-1"));
  REQUIRE(parsed.skipped.size() == 5);
  CHECK(parsed.skipped[0].reason == KeyError::rsa_too_small);
  CHECK(parsed.skipped[0].kid == "small");
  CHECK(parsed.skipped[1].reason == KeyError::use_not_sig);
  CHECK(parsed.skipped[2].reason == KeyError::kty_unsupported);
  CHECK(parsed.skipped[3].reason == KeyError::duplicate_kid);
  CHECK(parsed.skipped[4].reason == KeyError::not_object);
  CHECK(parsed.skipped[4].index == 5);
}

TEST_CASE("key set: malformed documents and documents without a usable key fail") {
  CHECK(KeySet::from_jwks_json("not json").error == KeySetError::not_json);
  CHECK(KeySet::from_jwks_json(R"({"keys":[],"keys":[]})").error == KeySetError::not_json);
  CHECK(KeySet::from_jwks_json("[]").error == KeySetError::not_object);
  CHECK(KeySet::from_jwks_json("{}").error == KeySetError::keys_missing);
  CHECK(KeySet::from_jwks_json(R"({"keys":{}})").error == KeySetError::keys_not_array);
  CHECK(KeySet::from_jwks_json(R"({"keys":[]})").error == KeySetError::no_usable_key);
  nlohmann::json enc = rsa_key().jwk;
  enc["use"] = "enc";
  auto only_enc = KeySet::from_jwks_json(jwks_of({enc}).dump());
  CHECK(only_enc.error == KeySetError::no_usable_key);
  CHECK_FALSE(only_enc.set);
  REQUIRE(only_enc.skipped.size() == 1);
  nlohmann::json many{{"keys", nlohmann::json::array()}};
  for (std::size_t i = 0; i <= kMaxKeysPerSet; ++i) many["keys"].push_back(rsa_key().jwk);
  CHECK(KeySet::from_jwks_json(many.dump()).error == KeySetError::too_many_keys);
}

TEST_CASE("key set: PEM files with one or several public keys, kid-less") {
  auto one = KeySet::from_pem(rsa_key().public_pem);
  REQUIRE(one.set);
  CHECK(one.set->size() == 1);
  CHECK_FALSE(one.set->keys()[0].kid);
  CHECK(one.set->sole_usable_key() != nullptr);
  auto two = KeySet::from_pem(rsa_key().public_pem + "\n" + p256_key().public_pem);
  REQUIRE(two.set);
  CHECK(two.set->size() == 2);
  CHECK(KeySet::from_pem("").error == KeySetError::pem_invalid);
  auto with_private = KeySet::from_pem(rsa_key().public_pem + rsa_key().private_pem);
  CHECK(with_private.error == KeySetError::pem_invalid);
  REQUIRE(with_private.skipped.size() == 1);
  CHECK(with_private.skipped[0].reason == KeyError::private_key_material);
  CHECK(to_string(KeySetError::no_usable_key) == "no_usable_key");
  CHECK(to_string(KeyError::rsa_too_small) == "rsa_too_small");
}
