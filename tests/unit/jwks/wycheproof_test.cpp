// Project Wycheproof vectors (../shared/testdata/wycheproof) through the signature
// primitive (every algorithm we accept) and, for the JWS/JWK files, the whole
// verifier. Every `invalid` must be rejected and every `valid` accepted.
//
// `acceptable` (the RSA PKCS#1 files: "Missing NULL" in the DigestInfo, one per
// file) is legal per the standard but not required. We take OpenSSL's strict
// answer and assert it is a rejection: fewer encodings of one signature is better.
#include <doctest/doctest.h>

#include <cstdio>

#include "jwks/signature.hpp"
#include "jwks/verifier.hpp"
#include "jwks_test_support.hpp"

using namespace gate::jwks;
using namespace gate::jwks::test;

namespace {

std::string unhex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

struct Tally {
  int valid_accepted = 0, invalid_rejected = 0, acceptable_rejected = 0, acceptable_accepted = 0;
  int not_applicable = 0;
};

void report(const std::string& file, const Tally& t) {
  std::printf("[wycheproof] %s: valid accepted %d, invalid rejected %d, acceptable rejected %d / accepted %d, "
              "not applicable %d\n",
              file.c_str(), t.valid_accepted, t.invalid_rejected, t.acceptable_rejected, t.acceptable_accepted,
              t.not_applicable);
}

std::optional<Algorithm> algorithm_of(const std::string& file, const std::string& sha) {
  if (file.starts_with("ed25519")) return Algorithm::EdDSA;
  if (file.starts_with("rsa_pss")) return sha == "SHA-256" ? std::optional(Algorithm::PS256) : std::nullopt;
  bool ec = file.starts_with("ecdsa");
  if (sha == "SHA-256") return ec ? Algorithm::ES256 : Algorithm::RS256;
  if (sha == "SHA-384") return ec ? Algorithm::ES384 : Algorithm::RS384;
  if (sha == "SHA-512") return ec ? Algorithm::ES512 : Algorithm::RS512;
  return std::nullopt;
}

void run_signature_file(const std::string& file) {
  auto dir = wycheproof_dir();
  auto doc = nlohmann::json::parse(read_file(*dir / file));
  Tally tally;
  for (const auto& group : doc["testGroups"]) {
    auto alg = algorithm_of(file, group.value("sha", ""));
    REQUIRE(alg);
    if (group.contains("mgfSha")) {
      REQUIRE(group["mgfSha"] == group["sha"]);
      REQUIRE(group["sLen"] == 32);
    }
    KeyParse key = parse_public_key_pem(group["publicKeyPem"].get<std::string>());
    CAPTURE(group["publicKeyPem"].get<std::string>());
    REQUIRE(key.key);
    for (const auto& test : group["tests"]) {
      std::string result = test["result"];
      bool ok = verify_signature(*alg, *key.key, unhex(test["msg"]), unhex(test["sig"]));
      INFO(file, " tcId ", test["tcId"].get<int>(), " ", test["comment"].get<std::string>());
      if (result == "valid") {
        CHECK(ok);
        tally.valid_accepted += ok;
      } else if (result == "invalid") {
        CHECK_FALSE(ok);
        tally.invalid_rejected += !ok;
      } else {
        CHECK_FALSE(ok);  // see the note at the top
        (ok ? tally.acceptable_accepted : tally.acceptable_rejected)++;
      }
    }
  }
  report(file, tally);
}

#define WYCHEPROOF_PRELUDE(name)                                                      \
  if (!wycheproof_dir()) {                                                            \
    MESSAGE("[skipped] " name ": ../shared/testdata not found");                      \
    std::printf("[skipped] %s: ../shared/testdata not found\n", name);                \
    return;                                                                           \
  }

// A JWS / JWK vector's keys: a JWKS, or one JWK to wrap in one.
std::string jwks_text(const nlohmann::json& keys) {
  if (keys.contains("keys")) return keys.dump();
  return nlohmann::json{{"keys", nlohmann::json::array({keys})}}.dump();
}

// HMAC, AES and other symmetric keys: nothing for a public-key verifier to do.
bool has_symmetric_key(const nlohmann::json& keys) {
  const auto& list = keys.contains("keys") ? keys["keys"] : nlohmann::json::array({keys});
  for (const auto& k : list) {
    if (k.value("kty", "") == "oct") return true;
  }
  return false;
}

// Wycheproof JWS payloads are bytes like "foo", not JWT claims. The verifier decodes
// the payload only after the signature verified, so reaching the payload checks
// means header, key and signature were all accepted.
bool signature_accepted(VerifyStatus status) {
  return status == VerifyStatus::ok || status == VerifyStatus::payload_not_json ||
         status == VerifyStatus::payload_not_object;
}

// The valid vectors our key-alg rule refuses (see run_jose_file); exact list, so
// any other valid vector that fails still fails the test.
bool refused_by_key_alg(const std::string& file, int tc_id) {
  return file == "json_web_signature_test.json" && (tc_id == 346 || tc_id == 347 || tc_id == 350 || tc_id == 351);
}

void run_jose_file(const std::string& file) {
  auto dir = wycheproof_dir();
  auto doc = nlohmann::json::parse(read_file(*dir / file));
  Tally tally;
  int symmetric_count = 0, json_serialization = 0, empty_payload = 0, key_alg_policy = 0;
  for (const auto& group : doc["testGroups"]) {
    const nlohmann::json& keys = group.contains("public") ? group["public"] : group["private"];
    auto set = KeySet::from_jwks_json(jwks_text(keys));
    // Only symmetric keys (no key set could be built): the group is not applicable.
    bool is_symmetric = !set.set && has_symmetric_key(keys);
    for (const auto& test : group["tests"]) {
      std::string result = test["result"];
      INFO(file, " tcId ", test["tcId"].get<int>(), " ", test["comment"].get<std::string>());
      if (is_symmetric) {
        // Our key set refuses oct keys, so nothing verifies: trivially rejected.
        CHECK_FALSE(set.set);
        ++symmetric_count;
        ++tally.not_applicable;
        continue;
      }
      if (!test["jws"].is_string()) {  // JWS JSON serialization: the gate takes compact tokens only
        ++json_serialization;
        ++tally.not_applicable;
        continue;
      }
      std::string jws = test["jws"];
      VerifyStatus status = set.set ? verify(jws, *set.set, issuer_config(), kNow, 1 << 20).status
                                    : VerifyStatus::keys_unavailable;
      bool accepted = signature_accepted(status);
      CAPTURE(to_string(status));
      if (result == "valid") {
        if (!accepted && status == VerifyStatus::token_malformed && jws.find("..") != std::string::npos) {
          ++empty_payload;  // a valid JWS with an empty payload is no JWT
          ++tally.not_applicable;
          continue;
        }
        if (!accepted && refused_by_key_alg(file, test["tcId"].get<int>())) {
          // The JWK's own alg is binding for us (RFC 7517 §4.4): Wycheproof's RFC 7520
          // figures pair a key marked PS256 with a PS384 token, and mark the P-521 key
          // "ES521" (no such alg). We refuse these on purpose.
          CHECK((status == VerifyStatus::alg_key_mismatch || status == VerifyStatus::keys_unavailable));
          ++key_alg_policy;
          continue;
        }
        CHECK(accepted);
        tally.valid_accepted += accepted;
      } else {
        CHECK_FALSE(accepted);
        tally.invalid_rejected += !accepted;
      }
    }
  }
  report(file, tally);
  std::printf("[wycheproof] %s: not applicable = %d symmetric (HMAC/AES keys), %d JSON serialization, "
              "%d valid with empty payload; %d valid refused by the key-alg policy\n",
              file.c_str(), symmetric_count, json_serialization, empty_payload, key_alg_policy);
}

}  // namespace

TEST_CASE("wycheproof: RSASSA-PKCS1-v1_5 2048 SHA-256 (RS256)") {
  WYCHEPROOF_PRELUDE("wycheproof: RSASSA-PKCS1-v1_5 2048 SHA-256 (RS256)")
  run_signature_file("rsa_signature_2048_sha256_test.json");
}
TEST_CASE("wycheproof: RSASSA-PKCS1-v1_5 2048 SHA-384 (RS384)") {
  WYCHEPROOF_PRELUDE("wycheproof: RSASSA-PKCS1-v1_5 2048 SHA-384 (RS384)")
  run_signature_file("rsa_signature_2048_sha384_test.json");
}
TEST_CASE("wycheproof: RSASSA-PKCS1-v1_5 2048 SHA-512 (RS512)") {
  WYCHEPROOF_PRELUDE("wycheproof: RSASSA-PKCS1-v1_5 2048 SHA-512 (RS512)")
  run_signature_file("rsa_signature_2048_sha512_test.json");
}
TEST_CASE("wycheproof: RSASSA-PKCS1-v1_5 3072 SHA-256 (RS256)") {
  WYCHEPROOF_PRELUDE("wycheproof: RSASSA-PKCS1-v1_5 3072 SHA-256 (RS256)")
  run_signature_file("rsa_signature_3072_sha256_test.json");
}
TEST_CASE("wycheproof: RSASSA-PSS 2048 SHA-256 MGF1 salt 32 (PS256)") {
  WYCHEPROOF_PRELUDE("wycheproof: RSASSA-PSS 2048 SHA-256 MGF1 salt 32 (PS256)")
  run_signature_file("rsa_pss_2048_sha256_mgf1_32_test.json");
}
TEST_CASE("wycheproof: ECDSA P-256 SHA-256 P1363 (ES256)") {
  WYCHEPROOF_PRELUDE("wycheproof: ECDSA P-256 SHA-256 P1363 (ES256)")
  run_signature_file("ecdsa_secp256r1_sha256_p1363_test.json");
}
TEST_CASE("wycheproof: ECDSA P-384 SHA-384 P1363 (ES384)") {
  WYCHEPROOF_PRELUDE("wycheproof: ECDSA P-384 SHA-384 P1363 (ES384)")
  run_signature_file("ecdsa_secp384r1_sha384_p1363_test.json");
}
TEST_CASE("wycheproof: ECDSA P-521 SHA-512 P1363 (ES512)") {
  WYCHEPROOF_PRELUDE("wycheproof: ECDSA P-521 SHA-512 P1363 (ES512)")
  run_signature_file("ecdsa_secp521r1_sha512_p1363_test.json");
}
TEST_CASE("wycheproof: Ed25519 (EdDSA)") {
  WYCHEPROOF_PRELUDE("wycheproof: Ed25519 (EdDSA)")
  run_signature_file("ed25519_test.json");
}
TEST_CASE("wycheproof: JSON Web Signature vectors through the verifier") {
  WYCHEPROOF_PRELUDE("wycheproof: JSON Web Signature vectors through the verifier")
  run_jose_file("json_web_signature_test.json");
}
TEST_CASE("wycheproof: JSON Web Key vectors through the JWK parser and verifier") {
  WYCHEPROOF_PRELUDE("wycheproof: JSON Web Key vectors through the JWK parser and verifier")
  run_jose_file("json_web_key_test.json");
}
