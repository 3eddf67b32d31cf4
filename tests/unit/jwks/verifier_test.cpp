// One test per rejection reason of the verifier (issue 3 item 2), each with the
// token that must fail, plus the accepted shapes.
#include <doctest/doctest.h>

#include <openssl/evp.h>

#include "jwks/verifier.hpp"
#include "jwks_test_support.hpp"

using namespace gate::jwks;
using namespace gate::jwks::test;

namespace {

std::shared_ptr<const KeySet> all_keys() {
  static const auto set = key_set({rsa_key().jwk, rsa_key_2().jwk, ps_key().jwk, p256_key().jwk, p384_key().jwk,
                                   p521_key().jwk, ed_key().jwk});
  return set;
}

VerifyStatus check(const std::string& tok, const IssuerConfig& cfg = issuer_config(),
                   std::size_t max_bytes = kMaxTokenBytes) {
  return verify(tok, *all_keys(), cfg, kNow, max_bytes).status;
}

VerifyStatus check_claims(const nlohmann::json& claims, const IssuerConfig& cfg = issuer_config()) {
  return check(token(rsa_key(), claims), cfg);
}

std::string header_of(const TestKey& key, const char* alg_json) {
  return std::string(R"({"alg":)") + alg_json + R"(,"kid":")" + key.jwk["kid"].get<std::string>() + R"("})";
}

// Replaces segment `index` of a compact token.
std::string with_segment(const std::string& tok, int index, const std::string& segment) {
  auto first = tok.find('.');
  auto second = tok.find('.', first + 1);
  std::string parts[3] = {tok.substr(0, first), tok.substr(first + 1, second - first - 1), tok.substr(second + 1)};
  parts[index] = segment;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

}  // namespace

TEST_CASE("verifier: accepts every supported algorithm with its key") {
  for (const TestKey* key : {&rsa_key(), &ps_key(), &p256_key(), &p384_key(), &p521_key(), &ed_key()}) {
    CAPTURE(to_string(key->alg));
    auto result = verify(token(*key), *all_keys(), issuer_config(), kNow, kMaxTokenBytes);
    REQUIRE(result.status == VerifyStatus::ok);
    REQUIRE(result.token);
    CHECK(result.token->issuer == kIssuer);
    CHECK(result.token->subject == "user-1");
    CHECK(result.token->exp == doctest::Approx(static_cast<double>(kNow + 600)));
    CHECK(result.token->kid == key->jwk["kid"].get<std::string>());
    CHECK(result.token->alg == key->alg);
    CHECK(result.token->key_fingerprint.size() == 64);
    CHECK(result.token->claims["sub"] == "user-1");
  }
}

TEST_CASE("verifier: RS384, RS512, PS384, PS512 with an RSA key that has no own alg") {
  nlohmann::json jwk = rsa_key().jwk;
  jwk.erase("alg");
  auto set = key_set({jwk});
  for (Algorithm alg : {Algorithm::RS384, Algorithm::RS512, Algorithm::PS384, Algorithm::PS512}) {
    CAPTURE(to_string(alg));
    nlohmann::json header{{"alg", to_string(alg)}, {"kid", "rsa-1"}};
    std::string tok = token_from_texts(header.dump(), default_claims().dump(), rsa_key(), alg);
    CHECK(verify(tok, *set, issuer_config(), kNow, kMaxTokenBytes).status == VerifyStatus::ok);
  }
}

TEST_CASE("verifier: token_too_large") {
  CHECK(check(token(rsa_key()), issuer_config(), 100) == VerifyStatus::token_too_large);
}

TEST_CASE("verifier: token_malformed — not three segments") {
  std::string tok = token(rsa_key());
  CHECK(check(tok + ".x") == VerifyStatus::token_malformed);               // 4 segments
  CHECK(check(tok.substr(0, tok.rfind('.'))) == VerifyStatus::token_malformed);  // 2 segments
  CHECK(check("") == VerifyStatus::token_malformed);
  CHECK(check(with_segment(tok, 0, "")) == VerifyStatus::token_malformed);  // empty header
  CHECK(check(with_segment(tok, 1, "")) == VerifyStatus::token_malformed);  // detached payload
}

TEST_CASE("verifier: base64url_invalid — padding, + and /, trailing bits, foreign bytes") {
  std::string tok = token(rsa_key());
  auto first = tok.find('.');
  std::string header = tok.substr(0, first);
  CHECK(check(with_segment(tok, 0, header + "=")) == VerifyStatus::base64url_invalid);
  CHECK(check(with_segment(tok, 0, header + " ")) == VerifyStatus::base64url_invalid);
  std::string sig = tok.substr(tok.rfind('.') + 1);
  std::string plus = sig, slash = sig;
  plus[5] = '+';
  slash[5] = '/';
  CHECK(check(with_segment(tok, 2, plus)) == VerifyStatus::base64url_invalid);
  CHECK(check(with_segment(tok, 2, slash)) == VerifyStatus::base64url_invalid);
  CHECK(check(with_segment(tok, 2, sig + "==")) == VerifyStatus::base64url_invalid);
  // RSA-2048 signature: 256 bytes = 341 chars + 1 carrying 4 unused bits. Setting
  // one of them gives another text for the same bytes: must not verify.
  REQUIRE(sig.size() == 342);
  std::string noncanonical = sig;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  noncanonical.back() = alphabet[alphabet.find(sig.back()) | 1];
  REQUIRE(noncanonical != sig);
  CHECK(check(with_segment(tok, 2, noncanonical)) == VerifyStatus::base64url_invalid);
}

TEST_CASE("verifier: header_not_json / header_not_object") {
  CHECK(check(token_from_texts("{\"alg\":\"RS256\"", default_claims().dump(), rsa_key())) ==
        VerifyStatus::header_not_json);
  CHECK(check(token_from_texts("[\"RS256\"]", default_claims().dump(), rsa_key())) ==
        VerifyStatus::header_not_object);
}

TEST_CASE("verifier: payload_not_json / payload_not_object (checked after the signature)") {
  std::string header = default_header(rsa_key()).dump();
  CHECK(check(token_from_texts(header, "{\"exp\":", rsa_key())) == VerifyStatus::payload_not_json);
  CHECK(check(token_from_texts(header, "[1,2]", rsa_key())) == VerifyStatus::payload_not_object);
  // Unsigned garbage payload: the signature fails first.
  std::string forged = with_segment(token(rsa_key()), 1, base64url_encode("not json"));
  CHECK(check(forged) == VerifyStatus::signature_invalid);
}

TEST_CASE("verifier: json_duplicate_member — a second exp in the payload, a second alg in the header") {
  std::string header = default_header(rsa_key()).dump();
  std::string payload = R"({"iss":"https://issuer.test","exp":1800000600,"exp":4000000000})";
  CHECK(check(token_from_texts(header, payload, rsa_key())) == VerifyStatus::json_duplicate_member);
  std::string two_algs = R"({"alg":"RS256","kid":"rsa-1","alg":"none"})";
  CHECK(check(token_from_texts(two_algs, default_claims().dump(), rsa_key())) ==
        VerifyStatus::json_duplicate_member);
}

TEST_CASE("verifier: json_duplicate_member behind escapes, a NUL after the JSON is not JSON") {
  // The same name once escaped: the gate and a laxer parser downstream must not
  // read different values.
  std::string escaped_alg = R"({"alg":"RS256","kid":"rsa-1","\u0061lg":"none"})";
  CHECK(check(token_from_texts(escaped_alg, default_claims().dump(), rsa_key())) ==
        VerifyStatus::json_duplicate_member);
  std::string header = default_header(rsa_key()).dump();
  std::string escaped_exp = R"({"iss":"https://issuer.test","exp":1800000600,"\u0065xp":4000000000})";
  CHECK(check(token_from_texts(header, escaped_exp, rsa_key())) == VerifyStatus::json_duplicate_member);
  // nlohmann's parser stopped at a NUL byte; ours refuses whatever follows the value.
  CHECK(check(token_from_texts(header + std::string("\0", 1) + "{}", default_claims().dump(), rsa_key())) ==
        VerifyStatus::header_not_json);
  CHECK(check(token_from_texts(header, default_claims().dump() + std::string("\0", 1), rsa_key())) ==
        VerifyStatus::payload_not_json);
}

TEST_CASE("verifier: json_too_deep — 10,000 nested arrays do not reach the parser") {
  std::string deep = R"({"iss":"https://issuer.test","exp":1800000600,"x":)" + std::string(10000, '[') +
                     std::string(10000, ']') + "}";
  std::string tok = token_from_texts(default_header(rsa_key()).dump(), deep, rsa_key());
  CHECK(check(tok, issuer_config(), 1 << 20) == VerifyStatus::json_too_deep);
  std::string deep_header = R"({"alg":"RS256","x":)" + std::string(10000, '{') ;
  CHECK(check(token_from_texts(deep_header, "{}", rsa_key()), issuer_config(), 1 << 20) == VerifyStatus::json_too_deep);
}

TEST_CASE("verifier: alg_missing") {
  CHECK(check(token_from_texts(R"({"kid":"rsa-1"})", default_claims().dump(), rsa_key())) ==
        VerifyStatus::alg_missing);
}

TEST_CASE("verifier: alg_not_string — alg as a number") {
  CHECK(check(token_from_texts(header_of(rsa_key(), "256"), default_claims().dump(), rsa_key())) ==
        VerifyStatus::alg_not_string);
  CHECK(check(token_from_texts(header_of(rsa_key(), "[\"RS256\"]"), default_claims().dump(), rsa_key())) ==
        VerifyStatus::alg_not_string);
}

TEST_CASE("verifier: alg_none — none, None, NONE, with or without a signature") {
  for (const char* alg : {"\"none\"", "\"None\"", "\"NONE\""}) {
    CAPTURE(alg);
    std::string input = base64url_encode(header_of(rsa_key(), alg)) + "." + base64url_encode(default_claims().dump());
    CHECK(check(input + ".") == VerifyStatus::alg_none);
    CHECK(check(token_from_texts(header_of(rsa_key(), alg), default_claims().dump(), rsa_key())) ==
          VerifyStatus::alg_none);
  }
}

TEST_CASE("verifier: alg_unknown — case, embedded NUL, HS256 alg confusion with the public key as secret") {
  for (const char* alg : {"\"rs256\"", "\"RS256\\u0000\"", "\"RS256\\u0000x\"", "\"RS256 \"", "\"ES256K\""}) {
    CAPTURE(alg);
    CHECK(check(token_from_texts(header_of(rsa_key(), alg), default_claims().dump(), rsa_key())) ==
          VerifyStatus::alg_unknown);
  }
  // The classic confusion attack: HMAC keyed with the RSA public key the attacker knows.
  std::string input = base64url_encode(header_of(rsa_key(), "\"HS256\"")) + "." +
                      base64url_encode(default_claims().dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  std::size_t mac_len = 0;
  REQUIRE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, rsa_key().public_pem.data(),
                    rsa_key().public_pem.size(), reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                    mac, sizeof mac, &mac_len) != nullptr);
  std::string forged = input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), mac_len));
  CHECK(check(forged) == VerifyStatus::alg_unknown);
  CHECK(check(forged, issuer_config({Algorithm::RS256})) == VerifyStatus::alg_unknown);
}

TEST_CASE("verifier: alg_not_allowed — a valid ES256 token for an RS256-only issuer") {
  CHECK(check(token(p256_key()), issuer_config({Algorithm::RS256})) == VerifyStatus::alg_not_allowed);
  CHECK(check(token(rsa_key()), issuer_config({Algorithm::RS256})) == VerifyStatus::ok);
}

TEST_CASE("verifier: alg_key_mismatch — ES256 with a P-384 key, RS256 naming an EC key, PS256 vs key alg RS256") {
  // Signed correctly for P-384 but claiming ES256 (cpp-jwt accepts this).
  nlohmann::json header{{"alg", "ES256"}, {"kid", "ec-384"}};
  CHECK(check(token_from_texts(header.dump(), default_claims().dump(), p384_key(), Algorithm::ES384)) ==
        VerifyStatus::alg_key_mismatch);
  nlohmann::json rs_on_ec{{"alg", "RS256"}, {"kid", "ec-1"}};
  CHECK(check(token_from_texts(rs_on_ec.dump(), default_claims().dump(), rsa_key())) ==
        VerifyStatus::alg_key_mismatch);
  // The RSA JWK says alg RS256: a PS256 token naming it is refused even if validly signed.
  nlohmann::json ps_on_rs{{"alg", "PS256"}, {"kid", "rsa-1"}};
  CHECK(check(token_from_texts(ps_on_rs.dump(), default_claims().dump(), rsa_key(), Algorithm::PS256)) ==
        VerifyStatus::alg_key_mismatch);
}

TEST_CASE("verifier: crit_present") {
  nlohmann::json header = default_header(rsa_key());
  header["crit"] = {"exp"};
  CHECK(check(token_with_header(rsa_key(), header)) == VerifyStatus::crit_present);
  header["crit"] = nlohmann::json::array();
  CHECK(check(token_with_header(rsa_key(), header)) == VerifyStatus::crit_present);
}

TEST_CASE("verifier: typ_not_allowed — JWE, a number, JWT, at+jwt and application/ forms pass") {
  for (nlohmann::json typ : {nlohmann::json("JWE"), nlohmann::json(1), nlohmann::json("JOSE+JSON"), nlohmann::json("")}) {
    nlohmann::json header = default_header(rsa_key());
    header["typ"] = typ;
    CAPTURE(typ.dump());
    CHECK(check(token_with_header(rsa_key(), header)) == VerifyStatus::typ_not_allowed);
  }
  for (const char* typ : {"JWT", "jwt", "at+jwt", "AT+JWT", "application/jwt", "application/at+jwt"}) {
    nlohmann::json header = default_header(rsa_key());
    header["typ"] = typ;
    CAPTURE(typ);
    CHECK(check(token_with_header(rsa_key(), header)) == VerifyStatus::ok);
  }
  nlohmann::json no_typ = default_header(rsa_key());
  no_typ.erase("typ");
  CHECK(check(token_with_header(rsa_key(), no_typ)) == VerifyStatus::ok);
}

TEST_CASE("verifier: kid_not_string") {
  nlohmann::json header{{"alg", "RS256"}, {"kid", 1}};
  CHECK(check(token_with_header(rsa_key(), header)) == VerifyStatus::kid_not_string);
}

TEST_CASE("verifier: kid_missing — several keys and no kid, one key and no kid is fine") {
  nlohmann::json header{{"alg", "RS256"}};
  CHECK(check(token_with_header(rsa_key(), header)) == VerifyStatus::kid_missing);
  auto single = key_set({rsa_key().jwk});
  CHECK(verify(token_with_header(rsa_key(), header), *single, issuer_config(), kNow, kMaxTokenBytes).status ==
        VerifyStatus::ok);
}

TEST_CASE("verifier: kid_unknown") {
  nlohmann::json header{{"alg", "RS256"}, {"kid", "not-there"}};
  CHECK(check(token_with_header(rsa_key(), header)) == VerifyStatus::kid_unknown);
}

TEST_CASE("verifier: kid of another key of the same type — signature_invalid") {
  nlohmann::json header{{"alg", "RS256"}, {"kid", "rsa-2"}};
  CHECK(check(token_with_header(rsa_key(), header)) == VerifyStatus::signature_invalid);
}

TEST_CASE("verifier: key_not_for_signing — use=enc, key_ops without verify") {
  nlohmann::json enc = rsa_key_2().jwk;
  enc["use"] = "enc";
  nlohmann::json ops = p256_key().jwk;
  ops["key_ops"] = {"sign"};
  auto set = key_set({rsa_key().jwk, enc, ops});
  REQUIRE(set);
  nlohmann::json to_enc{{"alg", "RS256"}, {"kid", "rsa-2"}};
  CHECK(verify(token_with_header(rsa_key_2(), to_enc), *set, issuer_config(), kNow, kMaxTokenBytes).status ==
        VerifyStatus::key_not_for_signing);
  CHECK(verify(token(p256_key()), *set, issuer_config(), kNow, kMaxTokenBytes).status ==
        VerifyStatus::key_not_for_signing);
}

TEST_CASE("verifier: signature_invalid — tampered payload, other signer, wrong lengths, empty") {
  std::string tok = token(rsa_key());
  nlohmann::json more = default_claims();
  more["sub"] = "admin";
  CHECK(check(with_segment(tok, 1, base64url_encode(more.dump()))) == VerifyStatus::signature_invalid);
  CHECK(check(with_segment(tok, 2, "")) == VerifyStatus::signature_invalid);
  // Signed by rsa-2 but naming rsa-1.
  std::string other = token_from_texts(default_header(rsa_key()).dump(), default_claims().dump(), rsa_key_2());
  CHECK(check(other) == VerifyStatus::signature_invalid);
  // ES256: a DER signature (what OpenSSL produces natively) is not JOSE R‖S.
  std::string es = token(p256_key());
  auto raw = base64url_decode(es.substr(es.rfind('.') + 1));
  REQUIRE(raw);
  REQUIRE(raw->size() == 64);
  CHECK(check(with_segment(es, 2, base64url_encode(*raw + std::string(1, '\0')))) == VerifyStatus::signature_invalid);
  CHECK(check(with_segment(es, 2, base64url_encode(raw->substr(0, 63)))) == VerifyStatus::signature_invalid);
  CHECK(check(with_segment(es, 2, base64url_encode(std::string(64, '\0')))) == VerifyStatus::signature_invalid);
  // EdDSA with a truncated signature.
  std::string ed = token(ed_key());
  auto ed_raw = base64url_decode(ed.substr(ed.rfind('.') + 1));
  CHECK(check(with_segment(ed, 2, base64url_encode(ed_raw->substr(0, 63)))) == VerifyStatus::signature_invalid);
}

TEST_CASE("verifier: forged and expired is signature_invalid, not expired") {
  nlohmann::json expired = default_claims();
  expired["exp"] = kNow - 3600;
  std::string forged = token(rsa_key_2(), expired);  // signed by rsa-2 ...
  forged = token_from_texts(default_header(rsa_key()).dump(), expired.dump(), rsa_key_2());  // ... naming rsa-1
  auto result = verify(forged, *all_keys(), issuer_config(), kNow, kMaxTokenBytes);
  CHECK(result.status == VerifyStatus::signature_invalid);
  CHECK(error_code(result.status) == "AUTH_JWT_INVALID");
  CHECK_FALSE(result.token);
  // The same token honestly signed is reported as expired.
  CHECK(check(token(rsa_key(), expired)) == VerifyStatus::expired);
}

TEST_CASE("verifier: jku, x5u, jwk and x5c headers are never used") {
  // An attacker's own key, embedded and linked, signing a token that names it.
  const TestKey attacker = make_key(Algorithm::ES256, "attacker");
  nlohmann::json header{{"alg", "ES256"},
                        {"kid", "attacker"},
                        {"jku", "https://attacker.example/jwks.json"},
                        {"x5u", "https://attacker.example/cert.pem"},
                        {"jwk", attacker.jwk},
                        {"x5c", {"MIIB"}}};
  CHECK(check(token_with_header(attacker, header)) == VerifyStatus::kid_unknown);
  // Naming a configured kid: still verified only with the configured key.
  header["kid"] = "ec-1";
  CHECK(check(token_with_header(attacker, header)) == VerifyStatus::signature_invalid);
  // A genuine token carrying the same headers verifies: they are ignored, not fetched.
  CHECK(check(token_with_header(p256_key(), header)) == VerifyStatus::ok);
}

TEST_CASE("verifier: exp_missing") {
  nlohmann::json claims = default_claims();
  claims.erase("exp");
  CHECK(check_claims(claims) == VerifyStatus::exp_missing);
}

TEST_CASE("verifier: exp_not_numeric — string, boolean, null") {
  for (nlohmann::json exp : {nlohmann::json("1800000600"), nlohmann::json(true), nlohmann::json(nullptr)}) {
    nlohmann::json claims = default_claims();
    claims["exp"] = exp;
    CAPTURE(exp.dump());
    CHECK(check_claims(claims) == VerifyStatus::exp_not_numeric);
  }
}

TEST_CASE("verifier: exp_invalid — -1 is not 'never', 1e300 and year 10000 are absurd") {
  for (nlohmann::json exp : {nlohmann::json(-1), nlohmann::json(1e300), nlohmann::json(253402300800LL),
                             nlohmann::json(-0.5)}) {
    nlohmann::json claims = default_claims();
    claims["exp"] = exp;
    CAPTURE(exp.dump());
    CHECK(check_claims(claims) == VerifyStatus::exp_invalid);
  }
  // 1e400 overflows a double: the JSON itself is refused.
  std::string payload = R"({"iss":"https://issuer.test","exp":1e400})";
  CHECK(check(token_from_texts(default_header(rsa_key()).dump(), payload, rsa_key())) ==
        VerifyStatus::payload_not_json);
}

TEST_CASE("verifier: expired — at and after exp, fractional exp honoured, no skew on exp") {
  nlohmann::json claims = default_claims();
  claims["exp"] = kNow;
  CHECK(check_claims(claims) == VerifyStatus::expired);
  claims["exp"] = kNow - 1;
  CHECK(check_claims(claims) == VerifyStatus::expired);
  claims["exp"] = static_cast<double>(kNow) + 0.5;
  CHECK(check_claims(claims) == VerifyStatus::ok);
  claims["exp"] = static_cast<double>(kNow) - 0.5;
  CHECK(check_claims(claims) == VerifyStatus::expired);
  CHECK(error_code(VerifyStatus::expired) == "AUTH_JWT_EXPIRED");
}

TEST_CASE("verifier: nbf_in_future beyond clock_skew_s, within skew passes") {
  nlohmann::json claims = default_claims();
  claims["nbf"] = kNow + 31;
  CHECK(check_claims(claims) == VerifyStatus::nbf_in_future);
  CHECK(error_code(VerifyStatus::nbf_in_future) == "AUTH_JWT_IMMATURE");
  claims["nbf"] = kNow + 30;
  CHECK(check_claims(claims) == VerifyStatus::ok);
  IssuerConfig strict = issuer_config();
  strict.clock_skew_s = 0;
  claims["nbf"] = kNow + 1;
  CHECK(check_claims(claims, strict) == VerifyStatus::nbf_in_future);
}

TEST_CASE("verifier: nbf_invalid / iat_invalid") {
  nlohmann::json claims = default_claims();
  claims["nbf"] = "soon";
  CHECK(check_claims(claims) == VerifyStatus::nbf_invalid);
  claims = default_claims();
  claims["iat"] = -5;
  CHECK(check_claims(claims) == VerifyStatus::iat_invalid);
}

TEST_CASE("verifier: iat_in_future") {
  nlohmann::json claims = default_claims();
  claims["iat"] = kNow + 3600;
  CHECK(check_claims(claims) == VerifyStatus::iat_in_future);
  claims["iat"] = kNow + 20;
  CHECK(check_claims(claims) == VerifyStatus::ok);
}

TEST_CASE("verifier: iss_mismatch — other, missing, not a string, prefix, trailing slash") {
  for (nlohmann::json iss : {nlohmann::json("https://evil.test"), nlohmann::json(1), nlohmann::json("https://issuer.test/"),
                             nlohmann::json("https://issuer.tes")}) {
    nlohmann::json claims = default_claims();
    claims["iss"] = iss;
    CAPTURE(iss.dump());
    CHECK(check_claims(claims) == VerifyStatus::iss_mismatch);
  }
  nlohmann::json claims = default_claims();
  claims.erase("iss");
  CHECK(check_claims(claims) == VerifyStatus::iss_mismatch);
}

TEST_CASE("verifier: sub_not_string, no sub is allowed (Turso platform tokens)") {
  nlohmann::json claims = default_claims();
  claims["sub"] = 42;
  CHECK(check_claims(claims) == VerifyStatus::sub_not_string);
  claims.erase("sub");
  auto result = verify(token(rsa_key(), claims), *all_keys(), issuer_config(), kNow, kMaxTokenBytes);
  REQUIRE(result.ok());
  CHECK(result.token->subject.empty());
}

TEST_CASE("verifier: aud_mismatch — string, array, missing, malformed array") {
  IssuerConfig cfg = issuer_config();
  cfg.audiences = {"gate", "gate-2"};
  nlohmann::json claims = default_claims();
  claims["aud"] = "other";
  CHECK(check_claims(claims, cfg) == VerifyStatus::aud_mismatch);
  claims["aud"] = {"other", "another"};
  CHECK(check_claims(claims, cfg) == VerifyStatus::aud_mismatch);
  claims["aud"] = {"gate", 1};
  CHECK(check_claims(claims, cfg) == VerifyStatus::aud_mismatch);
  claims["aud"] = 1;
  CHECK(check_claims(claims, cfg) == VerifyStatus::aud_mismatch);
  claims.erase("aud");
  CHECK(check_claims(claims, cfg) == VerifyStatus::aud_mismatch);
  claims["aud"] = "gate-2";
  CHECK(check_claims(claims, cfg) == VerifyStatus::ok);
  claims["aud"] = {"other", "gate"};
  CHECK(check_claims(claims, cfg) == VerifyStatus::ok);
  // No audiences configured: aud is not checked.
  claims["aud"] = "anything";
  CHECK(check_claims(claims) == VerifyStatus::ok);
}

TEST_CASE("verifier: azp_mismatch — Clerk's authorized parties") {
  IssuerConfig cfg = issuer_config();
  cfg.authorized_parties = {"https://app.example"};
  nlohmann::json claims = default_claims();
  claims["azp"] = "https://evil.example";
  CHECK(check_claims(claims, cfg) == VerifyStatus::azp_mismatch);
  claims["azp"] = 5;
  CHECK(check_claims(claims, cfg) == VerifyStatus::azp_mismatch);
  claims["azp"] = "https://app.example";
  CHECK(check_claims(claims, cfg) == VerifyStatus::ok);
  claims.erase("azp");
  CHECK(check_claims(claims, cfg) == VerifyStatus::ok);  // azp absent: nothing to check
  claims["azp"] = "https://evil.example";
  CHECK(check_claims(claims) == VerifyStatus::ok);  // none configured
}

TEST_CASE("verifier: a single kid-less PEM key verifies tokens with or without kid") {
  auto pem = KeySet::from_pem(ed_key().public_pem);
  REQUIRE(pem.set);
  nlohmann::json no_kid{{"alg", "EdDSA"}};
  CHECK(verify(token_with_header(ed_key(), no_kid), *pem.set, issuer_config(), kNow, kMaxTokenBytes).status ==
        VerifyStatus::ok);
  CHECK(verify(token(ed_key()), *pem.set, issuer_config(), kNow, kMaxTokenBytes).status == VerifyStatus::ok);
  // Two PEM keys: a token must name one, and PEM keys have no kid to name.
  auto two = KeySet::from_pem(ed_key().public_pem + rsa_key().public_pem);
  REQUIRE(two.set);
  CHECK(verify(token_with_header(ed_key(), no_kid), *two.set, issuer_config(), kNow, kMaxTokenBytes).status ==
        VerifyStatus::kid_missing);
}

TEST_CASE("verifier: decode_token reads the unverified iss strictly") {
  DecodedToken decoded = decode_token(token(rsa_key()), kMaxTokenBytes);
  REQUIRE(decoded.status == VerifyStatus::ok);
  REQUIRE(unverified_issuer(decoded) != nullptr);
  CHECK(*unverified_issuer(decoded) == kIssuer);
  CHECK(decode_token(token(rsa_key()), 10).status == VerifyStatus::token_too_large);
  CHECK(decode_token("a.b", kMaxTokenBytes).status == VerifyStatus::token_malformed);
  std::string dup = R"({"iss":"https://issuer.test","iss":"https://evil.test"})";
  CHECK(decode_token(token_from_texts(default_header(rsa_key()).dump(), dup, rsa_key()), kMaxTokenBytes).status ==
        VerifyStatus::json_duplicate_member);
  nlohmann::json claims = default_claims();
  claims["iss"] = 7;
  DecodedToken numeric = decode_token(token(rsa_key(), claims), kMaxTokenBytes);
  CHECK(numeric.status == VerifyStatus::ok);
  CHECK(unverified_issuer(numeric) == nullptr);
}

TEST_CASE("verifier: decode_token then verify(decoded) answers as verify(token), parsing once") {
  nlohmann::json expired = default_claims();
  expired["exp"] = kNow - 1;
  nlohmann::json other_issuer = default_claims();
  other_issuer["iss"] = "https://evil.test";
  const std::string good = token(rsa_key());
  const std::string sig = good.substr(good.rfind('.') + 1);
  const std::vector<std::string> tokens = {
      good,
      token(ed_key()),
      token(p256_key()),
      token(rsa_key(), expired),
      token(rsa_key(), other_issuer),
      with_segment(good, 2, sig.substr(0, sig.size() - 4) + "AAAA"),  // signature does not verify
      with_segment(good, 2, sig + "="),                               // signature not base64url
      token_from_texts(R"({"alg":"RS256","kid":"nope"})", default_claims().dump(), rsa_key()),
      token_from_texts(R"({"alg":"none"})", default_claims().dump(), rsa_key()),
      token_from_texts(R"({"alg":"RS256","kid":"rsa-1","\u0061lg":"RS256"})", default_claims().dump(), rsa_key()),
      token_from_texts(default_header(rsa_key()).dump(), R"({"iss":"https://issuer.test","exp":1,"exp":2})",
                       rsa_key()),
      "a.b",
  };
  for (const auto& tok : tokens) {
    CAPTURE(tok);
    VerifyResult direct = verify(tok, *all_keys(), issuer_config(), kNow, kMaxTokenBytes);
    DecodedToken decoded = decode_token(tok, kMaxTokenBytes);
    VerifyResult via = verify(std::move(decoded), *all_keys(), issuer_config(), kNow);
    CHECK(via.status == direct.status);
    REQUIRE(via.ok() == direct.ok());
    if (direct.ok()) {
      CHECK(via.token->claims == direct.token->claims);
      CHECK(via.token->key_fingerprint == direct.token->key_fingerprint);
    }
  }
  // The one difference, by design: decode_token parses the payload before any
  // signature, so a forged token with a garbage payload is payload_not_json there
  // (as the Authenticator's issuer peek always had it) and signature_invalid for
  // verify(token), which parses nothing of an unsigned payload.
  std::string forged = with_segment(good, 1, base64url_encode("not json"));
  CHECK(verify(forged, *all_keys(), issuer_config(), kNow, kMaxTokenBytes).status == VerifyStatus::signature_invalid);
  CHECK(decode_token(forged, kMaxTokenBytes).status == VerifyStatus::payload_not_json);
  CHECK(verify(decode_token(forged, kMaxTokenBytes), *all_keys(), issuer_config(), kNow).status ==
        VerifyStatus::payload_not_json);
}
