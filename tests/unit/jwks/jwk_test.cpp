// One test per way a JWK (or PEM key) is refused or kept unusable (issue 3 item 1).
#include <doctest/doctest.h>

#include "jwks/key.hpp"
#include "jwks_test_support.hpp"

using namespace gate::jwks;
using namespace gate::jwks::test;

namespace {

std::optional<KeyError> error_of(const nlohmann::json& jwk) { return parse_jwk(jwk).error; }

// The same key with one member replaced.
nlohmann::json with(nlohmann::json jwk, const char* name, nlohmann::json value) {
  jwk[name] = std::move(value);
  return jwk;
}

}  // namespace

TEST_CASE("jwk: RSA, EC P-256/384/521 and Ed25519 keys build once into usable keys") {
  for (const TestKey* key : {&rsa_key(), &p256_key(), &p384_key(), &p521_key(), &ed_key()}) {
    CAPTURE(key->jwk.dump());
    KeyParse parsed = parse_jwk(key->jwk);
    REQUIRE(parsed.key);
    CHECK(parsed.key->usable_for_verify());
    CHECK(parsed.key->pkey);
    CHECK(parsed.key->alg == key->alg);
    CHECK(parsed.key->kid == key->jwk["kid"].get<std::string>());
    CHECK(key_fits_algorithm(*parsed.key, key->alg));
  }
  CHECK(parse_jwk(rsa_key().jwk).key->bits == 2048);
  CHECK(parse_jwk(p384_key().jwk).key->crv == Curve::p384);
}

TEST_CASE("jwk: the fingerprint is the same for a JWK and the PEM of the same key, and differs between keys") {
  auto from_jwk = parse_jwk(rsa_key().jwk);
  auto from_pem = parse_public_key_pem(rsa_key().public_pem);
  REQUIRE(from_jwk.key);
  REQUIRE(from_pem.key);
  CHECK(from_jwk.key->fingerprint == from_pem.key->fingerprint);
  CHECK(from_jwk.key->fingerprint != parse_jwk(rsa_key_2().jwk).key->fingerprint);
}

TEST_CASE("jwk: rsa_too_small — a 1024-bit RSA key") {
  TestKey small = make_key(Algorithm::RS256, "small", 1024);
  CHECK(error_of(small.jwk) == KeyError::rsa_too_small);
  CHECK(parse_public_key_pem(small.public_pem).error == KeyError::rsa_too_small);
}

TEST_CASE("jwk: rsa_exponent_invalid — e = 1, e = 2, even e, e ≥ 2^32") {
  CHECK(error_of(with(rsa_key().jwk, "e", "AQ")) == KeyError::rsa_exponent_invalid);        // 1
  CHECK(error_of(with(rsa_key().jwk, "e", "Ag")) == KeyError::rsa_exponent_invalid);        // 2
  CHECK(error_of(with(rsa_key().jwk, "e", "AQAA")) == KeyError::rsa_exponent_invalid);      // 65536
  CHECK(error_of(with(rsa_key().jwk, "e", "AQAAAAE")) == KeyError::rsa_exponent_invalid);   // 2^32 + 1
  CHECK(error_of(with(rsa_key().jwk, "e", "")) == KeyError::rsa_exponent_invalid);
  CHECK_FALSE(error_of(with(rsa_key().jwk, "e", "Aw")));  // 3 is weak-looking but sound
}

TEST_CASE("jwk: rsa_modulus_invalid — an even modulus") {
  auto n = base64url_decode(rsa_key().jwk["n"].get<std::string>());
  n->back() = static_cast<char>(n->back() & ~1);
  CHECK(error_of(with(rsa_key().jwk, "n", base64url_encode(*n))) == KeyError::rsa_modulus_invalid);
}

TEST_CASE("jwk: base64url_invalid — padded, '+' or '/', non-canonical trailing bits in n") {
  std::string n = rsa_key().jwk["n"].get<std::string>();  // 256 bytes: 342 chars, 4 spare bits
  CHECK(error_of(with(rsa_key().jwk, "n", n + "==")) == KeyError::base64url_invalid);
  std::string plus = n;
  plus[10] = '+';
  CHECK(error_of(with(rsa_key().jwk, "n", plus)) == KeyError::base64url_invalid);
  std::string slash = n;
  slash[10] = '/';
  CHECK(error_of(with(rsa_key().jwk, "n", slash)) == KeyError::base64url_invalid);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string noncanonical = n;
  noncanonical.back() = alphabet[alphabet.find(n.back()) | 1];
  CHECK(error_of(with(rsa_key().jwk, "n", noncanonical)) == KeyError::base64url_invalid);
}

TEST_CASE("jwk: ec_point_invalid — a point off the curve") {
  auto y = base64url_decode(p256_key().jwk["y"].get<std::string>());
  y->back() = static_cast<char>(y->back() ^ 1);
  CHECK(error_of(with(p256_key().jwk, "y", base64url_encode(*y))) == KeyError::ec_point_invalid);
  CHECK(error_of(with(with(p256_key().jwk, "x", base64url_encode(std::string(32, '\0'))), "y",
                      base64url_encode(std::string(32, '\0')))) == KeyError::ec_point_invalid);
}

TEST_CASE("jwk: ec_coordinate_length — x/y not exactly the curve size, P-256 coordinates on P-384") {
  auto x = base64url_decode(p256_key().jwk["x"].get<std::string>());
  CHECK(error_of(with(p256_key().jwk, "x", base64url_encode(x->substr(1)))) == KeyError::ec_coordinate_length);
  CHECK(error_of(with(p256_key().jwk, "x", base64url_encode(std::string(1, '\0') + *x))) ==
        KeyError::ec_coordinate_length);
  nlohmann::json wrong_curve = with(p256_key().jwk, "crv", "P-384");
  wrong_curve.erase("alg");
  CHECK(error_of(wrong_curve) == KeyError::ec_coordinate_length);
}

TEST_CASE("jwk: ec_curve_unsupported / okp_curve_unsupported / okp_x_length") {
  CHECK(error_of(with(p256_key().jwk, "crv", "secp256k1")) == KeyError::ec_curve_unsupported);
  CHECK(error_of(with(ed_key().jwk, "crv", "Ed448")) == KeyError::okp_curve_unsupported);
  CHECK(error_of(with(ed_key().jwk, "crv", "X25519")) == KeyError::okp_curve_unsupported);
  CHECK(error_of(with(ed_key().jwk, "x", base64url_encode(std::string(31, 'a')))) == KeyError::okp_x_length);
}

TEST_CASE("jwk: alg_kty_mismatch — ES256 on a P-384 key, RS256 on an EC key, EdDSA on RSA") {
  CHECK(error_of(with(p384_key().jwk, "alg", "ES256")) == KeyError::alg_kty_mismatch);
  CHECK(error_of(with(p256_key().jwk, "alg", "RS256")) == KeyError::alg_kty_mismatch);
  CHECK(error_of(with(rsa_key().jwk, "alg", "EdDSA")) == KeyError::alg_kty_mismatch);
}

TEST_CASE("jwk: kept but unusable — use=enc, key_ops without verify, an alg we do not verify") {
  auto enc = parse_jwk(with(rsa_key().jwk, "use", "enc"));
  REQUIRE(enc.key);
  CHECK(enc.key->unusable == KeyError::use_not_sig);
  auto ops = parse_jwk(with(rsa_key().jwk, "key_ops", {"encrypt", "sign"}));
  REQUIRE(ops.key);
  CHECK(ops.key->unusable == KeyError::key_ops_without_verify);
  auto oaep = parse_jwk(with(rsa_key().jwk, "alg", "RSA-OAEP"));
  REQUIRE(oaep.key);
  CHECK(oaep.key->unusable == KeyError::alg_unsupported);
  auto verify_ops = parse_jwk(with(rsa_key().jwk, "key_ops", {"verify"}));
  REQUIRE(verify_ops.key);
  CHECK(verify_ops.key->usable_for_verify());
  nlohmann::json no_use = rsa_key().jwk;
  no_use.erase("use");
  CHECK(parse_jwk(no_use).key->usable_for_verify());
}

TEST_CASE("jwk: malformed members — kty missing or unsupported, non-string members, private material") {
  nlohmann::json no_kty = rsa_key().jwk;
  no_kty.erase("kty");
  CHECK(error_of(no_kty) == KeyError::kty_missing);
  CHECK(error_of(nlohmann::json{{"kty", "oct"}, {"k", "c2VjcmV0"}}) == KeyError::kty_unsupported);
  CHECK(error_of(with(rsa_key().jwk, "kty", 1)) == KeyError::member_not_string);
  CHECK(error_of(with(rsa_key().jwk, "kid", 1)) == KeyError::member_not_string);
  CHECK(error_of(with(rsa_key().jwk, "n", 1)) == KeyError::member_not_string);
  CHECK(error_of(with(rsa_key().jwk, "use", nlohmann::json::array())) == KeyError::member_not_string);
  CHECK(error_of(with(rsa_key().jwk, "key_ops", "verify")) == KeyError::member_not_string);
  CHECK(error_of(with(p256_key().jwk, "d", "AAAA")) == KeyError::private_key_material);
  CHECK(error_of(nlohmann::json::array()) == KeyError::not_object);
}

TEST_CASE("jwk: x5c and x5t are ignored, not trusted or parsed") {
  auto parsed = parse_jwk(with(with(rsa_key().jwk, "x5c", {"not a certificate"}), "x5t", 12));
  REQUIRE(parsed.key);
  CHECK(parsed.key->usable_for_verify());
}

TEST_CASE("pem: a private key where a public key belongs is refused, garbage is pem_invalid") {
  CHECK(parse_public_key_pem(rsa_key().private_pem).error == KeyError::private_key_material);
  CHECK(parse_public_key_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").error ==
        KeyError::pem_invalid);
  auto ed = parse_public_key_pem(ed_key().public_pem);
  REQUIRE(ed.key);
  CHECK(ed.key->crv == Curve::ed25519);
  CHECK_FALSE(ed.key->kid);
}
