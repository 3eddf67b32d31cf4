#pragma once
// Keys, tokens and issuer settings shared by the jwks/ unit tests.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jwks/base64url.hpp"
#include "jwks/issuer_config.hpp"
#include "jwks/key_set.hpp"
#include "jwks/signer.hpp"

namespace gate::jwks::test {

inline constexpr std::int64_t kNow = 1'800'000'000;
inline constexpr std::size_t kMaxTokenBytes = 8192;
inline const std::string kIssuer = "https://issuer.test";

struct TestKey {
  Algorithm alg;
  std::string private_pem;
  std::string public_pem;
  nlohmann::json jwk;  // public, with kid, alg, use=sig
};

inline std::string write_pem(EVP_PKEY* key, bool private_part) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (private_part) {
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PUBKEY(bio, key);
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

// type "RSA" with bits, "EC" with a curve name, or "ED25519".
inline TestKey make_key(Algorithm alg, const std::string& kid, int rsa_bits = 2048) {
  EVP_PKEY* key = nullptr;
  switch (alg) {
    case Algorithm::ES256: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case Algorithm::ES384: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    case Algorithm::ES512: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"); break;
    case Algorithm::EdDSA: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    default: key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits)); break;
  }
  TestKey out{alg, write_pem(key, true), write_pem(key, false), {}};
  EVP_PKEY_free(key);
  out.jwk = *public_jwk_for_pem(out.public_pem, kid, alg);
  return out;
}

// Generated once per test binary: RSA key generation is slow.
inline const TestKey& rsa_key() { static const TestKey k = make_key(Algorithm::RS256, "rsa-1"); return k; }
inline const TestKey& rsa_key_2() { static const TestKey k = make_key(Algorithm::RS256, "rsa-2"); return k; }
inline const TestKey& ps_key() { static const TestKey k = make_key(Algorithm::PS256, "ps-1"); return k; }
inline const TestKey& p256_key() { static const TestKey k = make_key(Algorithm::ES256, "ec-1"); return k; }
inline const TestKey& p384_key() { static const TestKey k = make_key(Algorithm::ES384, "ec-384"); return k; }
inline const TestKey& p521_key() { static const TestKey k = make_key(Algorithm::ES512, "ec-521"); return k; }
inline const TestKey& ed_key() { static const TestKey k = make_key(Algorithm::EdDSA, "ed-1"); return k; }

inline nlohmann::json jwks_of(std::initializer_list<nlohmann::json> jwks) {
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& jwk : jwks) keys.push_back(jwk);
  return nlohmann::json{{"keys", std::move(keys)}};
}

inline std::shared_ptr<const KeySet> key_set(std::initializer_list<nlohmann::json> jwks) {
  auto parsed = KeySet::from_jwks_json(jwks_of(jwks).dump());
  return parsed.set;
}

inline IssuerConfig issuer_config(std::vector<Algorithm> algorithms = {kAllAlgorithms.begin(), kAllAlgorithms.end()}) {
  IssuerConfig cfg;
  cfg.name = "test";
  cfg.issuer = kIssuer;
  cfg.algorithms = std::move(algorithms);
  cfg.clock_skew_s = 30;
  return cfg;
}

inline nlohmann::json default_claims() {
  return {{"iss", kIssuer}, {"sub", "user-1"}, {"exp", kNow + 600}, {"iat", kNow - 10}};
}

inline nlohmann::json default_header(const TestKey& key) {
  return {{"alg", to_string(key.alg)}, {"typ", "JWT"}, {"kid", key.jwk["kid"]}};
}

// header and payload as exact texts (so tests can write duplicate members, odd
// escapes...), signed with `signer` using its own algorithm unless `sign_alg` is set.
inline std::string token_from_texts(const std::string& header, const std::string& payload, const TestKey& signer,
                                    std::optional<Algorithm> sign_alg = std::nullopt) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  auto sig = sign_bytes(sign_alg.value_or(signer.alg), signer.private_pem, input);
  return input + "." + base64url_encode(sig.value_or(""));
}

inline std::string token(const TestKey& signer, const nlohmann::json& claims = default_claims()) {
  return token_from_texts(default_header(signer).dump(), claims.dump(), signer);
}

inline std::string token_with_header(const TestKey& signer, const nlohmann::json& header,
                                     const nlohmann::json& claims = default_claims()) {
  return token_from_texts(header.dump(), claims.dump(), signer);
}

inline std::optional<std::filesystem::path> wycheproof_dir() {
  std::filesystem::path dir = std::filesystem::path(GATE_SHARED_DIR) / "testdata" / "wycheproof";
  if (!std::filesystem::is_directory(dir)) return std::nullopt;
  return dir;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace gate::jwks::test
