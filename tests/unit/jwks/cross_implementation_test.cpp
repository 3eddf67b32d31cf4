// Tokens from independent implementations verify with ours: cpp-jwt (RS*, ES*),
// Node's jose (RS256, PS256, ES256, EdDSA), our OpenSSL signer (EdDSA, PS*), and the
// real `libsql-gate keygen` + `mint` binary.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <jwt/jwt.hpp>

#include "jwks/verifier.hpp"
#include "jwks_test_support.hpp"
#include "tests/unit/support/process_run.hpp"

using namespace gate::jwks;
using namespace gate::jwks::test;

namespace {

using Run = gate::test::ProcessRun;

// Runs a shell command, capturing stdout (stderr goes to the test log).
Run run(const std::string& command) { return gate::test::run_command(command); }

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("jwks-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string cpp_jwt_token(const TestKey& key, const char* alg) {
  jwt::jwt_object obj{jwt::params::algorithm(alg), jwt::params::secret(key.private_pem)};
  obj.header().add_header("kid", key.jwk["kid"].get<std::string>());
  obj.add_claim("iss", kIssuer).add_claim("sub", "user-1").add_claim("exp", kNow + 600).add_claim("iat", kNow);
  return obj.signature();
}

}  // namespace

TEST_CASE("cross: cpp-jwt RS256 and ES256 tokens verify, tampering them fails") {
  auto set = key_set({rsa_key().jwk, p256_key().jwk});
  for (auto [key, alg] : {std::pair{&rsa_key(), "RS256"}, std::pair{&p256_key(), "ES256"}}) {
    std::string alg_name = alg;
    CAPTURE(alg_name);
    std::string tok = cpp_jwt_token(*key, alg);
    auto result = verify(tok, *set, issuer_config(), kNow, kMaxTokenBytes);
    CHECK(result.status == VerifyStatus::ok);
    std::string tampered = tok;
    tampered[tampered.find('.') + 3] ^= 1;
    CHECK_FALSE(verify(tampered, *set, issuer_config(), kNow, kMaxTokenBytes).ok());
  }
}

TEST_CASE("cross: sign_token (cpp-jwt for RS/ES, OpenSSL for PS/EdDSA) verifies for every algorithm") {
  nlohmann::json rsa_any = rsa_key().jwk;
  rsa_any.erase("alg");
  auto set = key_set({rsa_any, p256_key().jwk, p384_key().jwk, p521_key().jwk, ed_key().jwk});
  struct Case {
    const TestKey* key;
    Algorithm alg;
  };
  for (Case c : {Case{&rsa_key(), Algorithm::RS256}, Case{&rsa_key(), Algorithm::RS384},
                 Case{&rsa_key(), Algorithm::RS512}, Case{&rsa_key(), Algorithm::PS256},
                 Case{&rsa_key(), Algorithm::PS512}, Case{&p256_key(), Algorithm::ES256},
                 Case{&p384_key(), Algorithm::ES384}, Case{&p521_key(), Algorithm::ES512},
                 Case{&ed_key(), Algorithm::EdDSA}}) {
    CAPTURE(to_string(c.alg));
    auto signed_token = sign_token(default_claims(), c.key->private_pem, c.key->jwk["kid"].get<std::string>(), c.alg);
    REQUIRE(signed_token.token);
    auto result = verify(*signed_token.token, *set, issuer_config(), kNow, kMaxTokenBytes);
    CHECK(result.status == VerifyStatus::ok);
    if (result.ok()) CHECK(result.token->alg == c.alg);
  }
  CHECK(algorithm_for_private_key(ed_key().private_pem) == Algorithm::EdDSA);
  CHECK(algorithm_for_private_key(p384_key().private_pem) == Algorithm::ES384);
  CHECK_FALSE(sign_token(nlohmann::json::array(), ed_key().private_pem, std::nullopt).token);
  CHECK_FALSE(sign_token(default_claims(), "not a key", std::nullopt).token);
}

TEST_CASE("cross: our RS256 tokens verify in cpp-jwt too") {
  auto signed_token = sign_token(default_claims(), rsa_key().private_pem, "rsa-1", Algorithm::RS256);
  REQUIRE(signed_token.token);
  std::error_code ec;
  auto decoded = jwt::decode(*signed_token.token, jwt::params::algorithms({"RS256"}), ec,
                             jwt::params::secret(rsa_key().public_pem), jwt::params::verify(true),
                             jwt::params::leeway(1'000'000'000));
  CHECK_FALSE(ec);
  CHECK(decoded.payload().get_claim_value<std::string>("sub") == "user-1");
}

TEST_CASE("cross: Node jose RS256, PS256, ES256 and EdDSA tokens verify") {
  std::filesystem::path source = GATE_SOURCE_DIR;
  if (!std::filesystem::exists(source / "node_modules" / "jose") || run("node --version >/dev/null 2>&1").exit_code != 0) {
    MESSAGE("[skipped] cross: Node jose: node or node_modules/jose not found (run npm ci)");
    std::printf("[skipped] cross: Node jose: node or node_modules/jose not found (run npm ci)\n");
    return;
  }
  auto dir = temp_dir("jose");
  struct Case {
    const TestKey* key;
    const char* alg;
  };
  nlohmann::json ps_any = ps_key().jwk;
  auto set = key_set({rsa_key().jwk, ps_any, p256_key().jwk, ed_key().jwk});
  for (Case c : {Case{&rsa_key(), "RS256"}, Case{&ps_key(), "PS256"}, Case{&p256_key(), "ES256"},
                 Case{&ed_key(), "EdDSA"}}) {
    std::string alg = c.alg;
    CAPTURE(alg);
    write(dir / "key.pem", c.key->private_pem);
    write(dir / "claims.json", default_claims().dump());
    // Evaluated from stdin in the source dir, so `import "jose"` finds node_modules there.
    std::string script =
        "import { importPKCS8, SignJWT } from 'jose'; import { readFileSync } from 'node:fs';"
        "const [keyPath, alg, claimsPath, kid] = process.argv.slice(-4);"
        "const key = await importPKCS8(readFileSync(keyPath, 'utf8'), alg);"
        "const claims = JSON.parse(readFileSync(claimsPath, 'utf8'));"
        "process.stdout.write(await new SignJWT(claims).setProtectedHeader({alg, kid, typ: 'JWT'}).sign(key));";
    write(dir / "sign.mjs", script);
    Run signed_by_jose = run("cd '" + source.string() + "' && node --input-type=module - '" + (dir / "key.pem").string() +
                             "' " + c.alg + " '" + (dir / "claims.json").string() + "' " +
                             c.key->jwk["kid"].get<std::string>() + " < '" + (dir / "sign.mjs").string() + "'");
    REQUIRE(signed_by_jose.exit_code == 0);
    auto result = verify(trim(signed_by_jose.out), *set, issuer_config(), kNow, kMaxTokenBytes);
    CHECK(result.status == VerifyStatus::ok);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("cross: the real binary — keygen, then mint, then verify against the written jwks.json") {
  std::string bin = GATE_BINARY;
  if (!std::filesystem::exists(bin)) {
    FAIL("libsql-gate binary not built: " << bin);
  }
  for (std::string alg : {"RS256", "ES256", "EdDSA"}) {
    CAPTURE(alg);
    auto dir = temp_dir("cli-" + alg);
    Run keygen = run("'" + bin + "' keygen --alg " + alg + " --kid dev-" + alg + " --out '" + (dir / "issuer").string() +
                     "' >/dev/null");
    REQUIRE(keygen.exit_code == 0);
    struct stat st {};
    REQUIRE(::stat((dir / "issuer" / "private.pem").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    Run mint = run("'" + bin + "' mint --key '" + (dir / "issuer" / "private.pem").string() + "' --kid dev-" + alg +
                   " --iss https://dev.test --sub alice --aud gate --ttl 1h --perm comments:data_read,data_add"
                   " --perm all:data_read --claims '{\"a\":\"rw\",\"sub\":\"ignored\"}'");
    REQUIRE(mint.exit_code == 0);
    auto set = KeySet::from_jwks_json(read_file(dir / "issuer" / "jwks.json"));
    REQUIRE(set.set);
    CHECK(set.set->find("dev-" + alg)->alg == parse_algorithm(alg));
    IssuerConfig cfg = issuer_config();
    cfg.issuer = "https://dev.test";
    cfg.audiences = {"gate"};
    auto result = verify(trim(mint.out), *set.set, cfg, unix_now(), kMaxTokenBytes);
    REQUIRE(result.status == VerifyStatus::ok);
    const auto& claims = result.token->claims;
    CHECK(claims["sub"] == "alice");
    CHECK(claims["a"] == "rw");
    CHECK(claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>() == 3600);
    CHECK(claims["perm"] == nlohmann::json::parse(
                                R"([{"t":["comments"],"a":["data_read","data_add"]},{"t":null,"a":["data_read"]}])"));
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("cross: keygen and mint refuse bad flags with usage and exit 2") {
  std::string bin = GATE_BINARY;
  if (!std::filesystem::exists(bin)) FAIL("libsql-gate binary not built: " << bin);
  auto dir = temp_dir("cli-bad");
  CHECK(run("'" + bin + "' keygen --alg HS256 --kid k --out '" + dir.string() + "/x' 2>/dev/null").exit_code == 2);
  CHECK(run("'" + bin + "' keygen --alg RS256 --kid k 2>/dev/null").exit_code == 2);
  CHECK(run("'" + bin + "' keygen --alg RS256 --kid k --out x --bogus 1 2>/dev/null").exit_code == 2);
  REQUIRE(run("'" + bin + "' keygen --alg EdDSA --kid k --out '" + dir.string() + "/i' >/dev/null").exit_code == 0);
  std::string mint = "'" + bin + "' mint --key '" + dir.string() + "/i/private.pem' --kid k --iss i --sub s ";
  CHECK(run(mint + ">/dev/null").exit_code == 0);
  CHECK(run(mint + "--perm comments:fly 2>/dev/null").exit_code == 2);
  CHECK(run(mint + "--perm nocolon 2>/dev/null").exit_code == 2);
  CHECK(run(mint + "--claims '[1]' 2>/dev/null").exit_code == 2);
  CHECK(run(mint + "--claims '{\"a\":1,\"a\":2}' 2>/dev/null").exit_code == 2);
  CHECK(run(mint + "--ttl 5y 2>/dev/null").exit_code == 2);
  CHECK(run(mint + "--ttl 0 2>/dev/null").exit_code == 2);
  CHECK(run(mint + "--frobnicate 2>/dev/null").exit_code == 2);
  CHECK(run("'" + bin + "' mint --key '" + dir.string() + "/none.pem' --kid k --iss i --sub s 2>/dev/null").exit_code == 1);
  std::filesystem::remove_all(dir);
}
