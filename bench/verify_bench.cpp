// Cold verification throughput (no token cache): the whole jwks::verify() — split,
// strict base64url/JSON, header and key checks, signature, claims — per algorithm,
// and the bare signature primitive for comparison with `openssl speed`.
// bench/verify_vs_openssl.sh runs this next to openssl speed and prints the ratios.
// Rates are per CPU second, as `openssl speed` counts them (user time), so a busy
// shared machine skews both sides alike.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <unistd.h>

#include "jwks/authenticator.hpp"
#include "jwks/base64url.hpp"
#include "jwks/key_set.hpp"
#include "jwks/signature.hpp"
#include "jwks/signer.hpp"
#include "jwks/strict_json.hpp"
#include "jwks/verifier.hpp"

namespace {

using namespace gate::jwks;

struct Fixture {
  std::shared_ptr<const KeySet> keys;
  std::string token;
  IssuerConfig issuer;
  std::int64_t now = 0;
  std::string jwks_json;
};

const Fixture& fixture(Algorithm alg) {
  static const auto make = [](Algorithm a) {
    Fixture f;
    auto key = generate_key(a, "bench");
    if (!key) std::abort();
    f.keys = KeySet::from_jwks_json(key->jwks_json).set;
    f.jwks_json = key->jwks_json;
    f.now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    // A realistic Clerk-sized payload.
    nlohmann::json claims{{"iss", "https://example.clerk.accounts.dev"},
                          {"sub", "user_2abcdefghijklmnopqrstuvwxyz"},
                          {"azp", "https://app.example.com"},
                          {"sid", "sess_2abcdefghijklmnopqrstuvwxyz"},
                          {"iat", f.now},
                          {"nbf", f.now - 5},
                          {"exp", f.now + 3600},
                          {"perm", {{{"t", {"comments"}}, {"a", {"data_read", "data_add"}}}}}};
    f.token = *sign_token(claims, key->private_pem, "bench", a).token;
    f.issuer.issuer = "https://example.clerk.accounts.dev";
    f.issuer.algorithms = {a};
    f.issuer.authorized_parties = {"https://app.example.com"};
    return f;
  };
  static const Fixture rs = make(Algorithm::RS256);
  static const Fixture es = make(Algorithm::ES256);
  static const Fixture ed = make(Algorithm::EdDSA);
  return alg == Algorithm::RS256 ? rs : alg == Algorithm::ES256 ? es : ed;
}

void verify_token(benchmark::State& state, Algorithm alg) {
  const Fixture& f = fixture(alg);
  if (!verify(f.token, *f.keys, f.issuer, f.now, 8192).ok()) state.SkipWithError("token does not verify");
  for (auto _ : state) {
    auto result = verify(f.token, *f.keys, f.issuer, f.now, 8192);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void verify_signature_only(benchmark::State& state, Algorithm alg) {
  const Fixture& f = fixture(alg);
  std::string_view tok = f.token;
  auto dot = tok.rfind('.');
  std::string_view input = tok.substr(0, dot);
  std::string sig = *base64url_decode(tok.substr(dot + 1));
  const Key& key = f.keys->keys()[0];
  for (auto _ : state) {
    bool ok = verify_signature(alg, key, input, sig);
    benchmark::DoNotOptimize(ok);
  }
  state.SetItemsProcessed(state.iterations());
}

// The JSON share of a cold verification: the RS256 fixture's decoded header or
// payload through jwks' strict parser, and through plain nlohmann::json::parse
// (no duplicate or depth check) for scale. Not part of verify_vs_openssl.sh.
std::string decoded_segment(int index) {
  std::string_view tok = fixture(Algorithm::RS256).token;
  for (int i = 0; i < index; ++i) tok.remove_prefix(tok.find('.') + 1);
  return *base64url_decode(tok.substr(0, tok.find('.')));
}

void parse_strict(benchmark::State& state, int segment) {
  const std::string text = decoded_segment(segment);
  for (auto _ : state) {
    auto parsed = parse_strict_json(text);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["text_bytes"] = static_cast<double>(text.size());
}

void parse_nlohmann(benchmark::State& state, int segment) {
  const std::string text = decoded_segment(segment);
  for (auto _ : state) {
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["text_bytes"] = static_cast<double>(text.size());
}

// The gate's own cold path for the RS256 fixture: Authenticator with the token cache
// off — size check, cache key digest, unverified-iss peek, then verify(). Not part of
// verify_vs_openssl.sh (the goal is stated for verify()).
void authenticate_cold(benchmark::State& state) {
  const Fixture& f = fixture(Algorithm::RS256);
  char path[] = "/tmp/verify-bench-jwks-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) std::abort();
  close(fd);
  std::ofstream(path) << f.jwks_json;
  IssuerConfig issuer = f.issuer;
  issuer.name = "bench";
  issuer.key_source = KeySourceKind::jwks_file;
  issuer.key_location = path;
  AuthenticatorOptions options;
  options.token_cache_capacity = 0;
  boost::asio::io_context context;
  Authenticator auth({issuer}, options);
  auth.start(context);
  if (!auth.authenticate_without_waiting(f.token, f.now).ok()) state.SkipWithError("token does not verify");
  for (auto _ : state) {
    AuthResult result = auth.authenticate_without_waiting(f.token, f.now);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  auth.stop();
  std::remove(path);
}

}  // namespace

BENCHMARK(authenticate_cold);
BENCHMARK_CAPTURE(parse_strict, header, 0);
BENCHMARK_CAPTURE(parse_strict, payload, 1);
BENCHMARK_CAPTURE(parse_nlohmann, header, 0);
BENCHMARK_CAPTURE(parse_nlohmann, payload, 1);
BENCHMARK_CAPTURE(verify_token, RS256, Algorithm::RS256);
BENCHMARK_CAPTURE(verify_token, ES256, Algorithm::ES256);
BENCHMARK_CAPTURE(verify_token, EdDSA, Algorithm::EdDSA);
BENCHMARK_CAPTURE(verify_signature_only, RS256, Algorithm::RS256);
BENCHMARK_CAPTURE(verify_signature_only, ES256, Algorithm::ES256);
BENCHMARK_CAPTURE(verify_signature_only, EdDSA, Algorithm::EdDSA);

BENCHMARK_MAIN();
