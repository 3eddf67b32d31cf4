// Authenticator end to end against a local HTTPS JWKS server: cache, rotation,
// outage, fail-closed, unknown-kid storms.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include "jwks/authenticator.hpp"
#include "jwks/base64url.hpp"
#include "jwks_test_support.hpp"
#include "test_jwks_server.hpp"
#include "test_jwks_server_keys.hpp"
#include "test_jwks_server_observer.hpp"

namespace gate::jwks {
namespace {

using namespace std::chrono_literals;
using namespace testing;  // the test equipment in test_jwks_server*.hpp

nlohmann::json claims(std::int64_t exp, const std::string& issuer = test::kIssuer) {
  return {{"iss", issuer}, {"sub", "user-1"}, {"exp", exp}};
}

// A token naming `kid` with a signature that is never looked at: the kid is
// unknown, which is decided before any signature work.
std::string token_with_kid(const std::string& kid, std::int64_t exp) {
  const nlohmann::json header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", kid}};
  return base64url_encode(header.dump()) + "." + base64url_encode(claims(exp).dump()) + "." +
         base64url_encode(std::string(64, '\x01'));
}

// One issuer at a local JWKS server, with an Authenticator running on a client loop.
struct Gate {
  explicit Gate(std::int64_t min_refresh_interval_s = 0, AuthenticatorOptions options = {}) {
    server.set_json("/jwks", test::jwks_of({key_a().jwk}).dump());
    config = test::issuer_config({Algorithm::ES256});
    config.key_source = KeySourceKind::jwks_uri;
    config.key_location = server.url("/jwks");
    config.ca_file = server.ca_file();
    config.min_refresh_interval_s = min_refresh_interval_s;
    config.max_stale_s = 3600;
    auth = std::make_unique<Authenticator>(std::vector<IssuerConfig>{config}, options, &observer);
  }

  void start_and_wait_ready() {
    auth->start(loop.context());
    REQUIRE(eventually([&] { return auth->readiness(unix_now()).ready; }));
  }

  AuthResult authenticate(const std::string& token, std::int64_t now) {
    return loop.run(auth->authenticate(token, now));
  }

  IssuerKeys& keys() { return auth->issuer_keys(0); }

  ClientLoop loop;
  TestJwksServer server;
  RecordingObserver observer;
  IssuerConfig config;
  std::unique_ptr<Authenticator> auth;
};

TEST_CASE("authenticator: a valid token verifies, then is served from the cache") {
  Gate gate;
  gate.start_and_wait_ready();
  const auto now = unix_now();
  const std::string token = test::token(key_a(), claims(now + 600));

  AuthResult first = gate.authenticate(token, now);
  REQUIRE(first.ok());
  CHECK_FALSE(first.from_cache);
  CHECK(first.reason == "ok");
  CHECK(first.issuer_name == "test");
  CHECK(first.token->subject == "user-1");
  CHECK(first.token->kid == "key-a");

  AuthResult second = gate.authenticate(token, now);
  REQUIRE(second.ok());
  CHECK(second.from_cache);
  CHECK(second.token == first.token);
  CHECK(gate.auth->authenticate_without_waiting(token, now).from_cache);
  CHECK(gate.observer.cache("miss") == 1);
  CHECK(gate.observer.cache("hit") == 2);
  CHECK(gate.server.hits("/jwks") == 1);
}

TEST_CASE("authenticator: refusals carry named reasons and SPEC codes") {
  AuthenticatorOptions options;
  options.max_token_bytes = 2048;
  Gate gate(0, options);
  gate.start_and_wait_ready();
  const auto now = unix_now();

  SUBCASE("token over limits.max_token_bytes") {
    AuthResult r = gate.authenticate(std::string(2049, 'a'), now);
    CHECK(r.status == VerifyStatus::token_too_large);
    CHECK(error_code(r.status) == "PROTO_ERROR");
    CHECK(gate.observer.failures("", "token_too_large") == 1);
  }
  SUBCASE("not a JWS") {
    CHECK(gate.authenticate("not-a-token", now).status == VerifyStatus::token_malformed);
  }
  SUBCASE("an issuer nobody configured") {
    AuthResult r = gate.authenticate(test::token(key_a(), claims(now + 600, "https://evil.test")), now);
    CHECK(r.status == VerifyStatus::iss_mismatch);
    CHECK(r.reason == kIssuerUnknown);
    CHECK(error_code(r.status) == "AUTH_JWT_INVALID");
    CHECK(gate.observer.failures("", "issuer_unknown") == 1);
  }
  SUBCASE("expired") {
    AuthResult r = gate.authenticate(test::token(key_a(), claims(now - 300)), now);
    CHECK(r.status == VerifyStatus::expired);
    CHECK(gate.observer.failures("test", "expired") == 1);
  }
  SUBCASE("signed by a key that is not the kid's") {
    nlohmann::json header{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", "key-a"}};
    AuthResult r = gate.authenticate(test::token_with_header(key_b(), header, claims(now + 600)), now);
    CHECK(r.status == VerifyStatus::signature_invalid);
  }
  CHECK(gate.auth->token_cache().size() == 0);  // nothing refused is cached
}

TEST_CASE("authenticator: keys never fetched fail closed, and readiness says which issuer") {
  Gate gate;
  gate.server.set_route("/jwks", Route().with_status(500));
  gate.auth->start(gate.loop.context());
  REQUIRE(eventually([&] { return gate.keys().refresh_count() >= 1; }));
  const auto now = unix_now();
  Readiness readiness = gate.auth->readiness(now);
  CHECK_FALSE(readiness.ready);
  CHECK(readiness.issuers_without_keys == std::vector<std::string>{"test"});
  AuthResult r = gate.authenticate(test::token(key_a(), claims(now + 600)), now);
  CHECK(r.status == VerifyStatus::keys_unavailable);
  CHECK(error_code(r.status) == "AUTH_KEYS_UNAVAILABLE");
  CHECK(http_status(r.status) == 503);
}

TEST_CASE("authenticator: key rotation") {
  Gate gate;
  gate.start_and_wait_ready();
  const auto now = unix_now();
  const std::string token_a = test::token(key_a(), claims(now + 600));
  const std::string token_b = test::token(key_b(), claims(now + 600));
  REQUIRE(gate.authenticate(token_a, now).ok());

  // The IdP publishes key-b; the first token naming it triggers one refetch and waits.
  gate.server.set_json("/jwks", test::jwks_of({key_a().jwk, key_b().jwk}).dump());
  AuthResult with_b = gate.authenticate(token_b, now);
  CHECK(with_b.ok());
  CHECK(gate.server.hits("/jwks") == 2);
  CHECK(gate.authenticate(token_a, now).from_cache);
  CHECK(gate.auth->token_cache().size() == 2);

  // The IdP withdraws key-a. After the next refresh its tokens stop verifying,
  // cached or not.
  gate.server.set_json("/jwks", test::jwks_of({key_b().jwk}).dump());
  const auto before = gate.keys().refresh_count();
  REQUIRE(gate.keys().request_refresh_for_unknown_kid().awaitable());
  REQUIRE(eventually([&] { return gate.keys().refresh_count() > before; }));

  AuthResult withdrawn = gate.authenticate(token_a, now);
  CHECK(withdrawn.status == VerifyStatus::kid_unknown);
  CHECK_FALSE(withdrawn.from_cache);
  CHECK(gate.auth->token_cache().size() == 1);  // its cache entry died
  CHECK(gate.authenticate(token_b, now).from_cache);
  CHECK(gate.observer.failures("test", "kid_unknown") == 1);
}

TEST_CASE("authenticator: an IdP outage is survived up to max_stale_s, then fails closed") {
  Gate gate;
  gate.start_and_wait_ready();
  const auto now = unix_now();
  const std::string cached = test::token(key_a(), claims(now + 100'000));
  const std::string fresh = test::token(key_a(), claims(now + 100'001));
  REQUIRE(gate.authenticate(cached, now).ok());

  gate.server.set_route("/jwks", Route().with_status(503));
  const auto before = gate.keys().refresh_count();
  REQUIRE(gate.keys().request_refresh_for_unknown_kid().awaitable());
  REQUIRE(eventually([&] { return gate.keys().refresh_count() > before; }));
  REQUIRE(gate.keys().last_fetch_error() == FetchError::http_status);

  const auto last_success = gate.keys().last_success_unix();
  const auto within = last_success + gate.config.max_stale_s;
  const auto beyond = within + 1;
  CHECK(gate.authenticate(cached, within).from_cache);
  CHECK(gate.authenticate(fresh, within).ok());
  CHECK(gate.auth->readiness(within).ready);

  CHECK(gate.authenticate(cached, beyond).status == VerifyStatus::keys_unavailable);
  CHECK(gate.authenticate(fresh, beyond).status == VerifyStatus::keys_unavailable);
  CHECK_FALSE(gate.auth->readiness(beyond).ready);
  CHECK(gate.observer.failures("test", "keys_unavailable") == 2);
}

TEST_CASE("authenticator: a storm of 1,000 random-kid tokens costs at most one fetch per interval") {
  AuthenticatorOptions options;
  options.unknown_kid_wait = 30s;  // generous: the wait must end by the refetch, not the bound
  Gate gate(/*min_refresh_interval_s=*/1, options);
  gate.start_and_wait_ready();
  const auto now = unix_now();
  const std::string valid = test::token(key_a(), claims(now + 600));
  REQUIRE(gate.authenticate(valid, now).ok());
  // Slow IdP, so the storm meets the refetch in flight.
  gate.server.set_route("/jwks", Route().with_body(test::jwks_of({key_a().jwk}).dump()).with_delay(300ms));
  std::this_thread::sleep_for(1100ms);  // let min_refresh_interval_s pass since the first fetch

  auto storm = [&](int round) {
    std::vector<std::future<AuthResult>> results;
    for (int i = 0; i < 1000; ++i) {
      results.push_back(boost::asio::co_spawn(
          gate.loop.context(),
          gate.auth->authenticate(token_with_kid("random-" + std::to_string(round) + "-" + std::to_string(i),
                                                 now + 600),
                                  now),
          boost::asio::use_future));
    }
    // Valid traffic in the middle of the storm is answered (from the cache).
    AuthResult during = gate.authenticate(valid, now);
    CHECK(during.ok());
    CHECK(during.from_cache);
    int unknown = 0;
    for (auto& result : results) unknown += result.get().status == VerifyStatus::kid_unknown;
    CHECK(unknown == 1000);
  };

  storm(1);
  CHECK(gate.server.hits("/jwks") == 2);  // the first fetch and exactly one refetch
  storm(2);  // within min_refresh_interval_s of that refetch: at most one more, later
  CHECK(gate.server.hits("/jwks") <= 3);
  CHECK(gate.observer.failures("test", "kid_unknown") == 2000);
}

TEST_CASE("authenticator: a hanging IdP holds an unknown-kid request only up to unknown_kid_wait") {
  AuthenticatorOptions options;
  options.unknown_kid_wait = 200ms;
  options.fetch_limits.total_timeout = 60s;
  Gate gate(0, options);
  gate.start_and_wait_ready();
  gate.server.set_route("/jwks", Route().hanging());
  const auto now = unix_now();
  AuthResult r = gate.authenticate(token_with_kid("new-kid", now + 600), now);
  CHECK(r.status == VerifyStatus::kid_unknown);
  // And known kids were never affected.
  CHECK(gate.authenticate(test::token(key_a(), claims(now + 600)), now).ok());
}

TEST_CASE("authenticator: authenticate_without_waiting triggers the refetch but does not wait") {
  Gate gate;
  gate.start_and_wait_ready();
  const auto now = unix_now();
  gate.server.set_json("/jwks", test::jwks_of({key_a().jwk, key_b().jwk}).dump());
  const std::string token_b = test::token(key_b(), claims(now + 600));
  // Whether or not the refetch has already landed, the answer is immediate; once it
  // has, the token verifies.
  (void)gate.auth->authenticate_without_waiting(token_b, now);
  REQUIRE(eventually([&] { return gate.keys().refresh_count() == 2; }));
  CHECK(gate.auth->authenticate_without_waiting(token_b, now).ok());
}

TEST_CASE("authenticator: a cached verification ends at the token's exp") {
  Gate gate;
  gate.start_and_wait_ready();
  const auto now = unix_now();
  const std::string token = test::token(key_a(), claims(now + 100));
  REQUIRE(gate.authenticate(token, now).ok());
  CHECK(gate.authenticate(token, now + 99).from_cache);
  // exp is exclusive, for the cache as for the verifier (which allows no skew on exp).
  AuthResult at_exp = gate.authenticate(token, now + 100);
  CHECK(at_exp.status == VerifyStatus::expired);
  CHECK_FALSE(at_exp.from_cache);
  CHECK(gate.auth->token_cache().size() == 0);
}

TEST_CASE("authenticator: several issuers, chosen by exact iss") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/a", test::jwks_of({key_a().jwk}).dump());
  server.set_json("/b", test::jwks_of({key_b().jwk}).dump());
  std::vector<IssuerConfig> issuers;
  for (const char* name : {"a", "b"}) {
    IssuerConfig config = test::issuer_config({Algorithm::ES256});
    config.name = name;
    config.issuer = std::string("https://") + name + ".test";
    config.key_location = server.url(std::string("/") + name);
    config.ca_file = server.ca_file();
    issuers.push_back(config);
  }
  Authenticator auth(issuers);
  CHECK(auth.readiness(unix_now()).issuers_without_keys == std::vector<std::string>{"a", "b"});
  auth.start(loop.context());
  REQUIRE(eventually([&] { return auth.readiness(unix_now()).ready; }));
  const auto now = unix_now();

  AuthResult from_b = loop.run(auth.authenticate(test::token(key_b(), claims(now + 60, "https://b.test")), now));
  CHECK(from_b.ok());
  CHECK(from_b.issuer_name == "b");
  // b's key is not a's: a token claiming a but signed with b's kid fails there.
  AuthResult crossed = loop.run(auth.authenticate(test::token(key_b(), claims(now + 60, "https://a.test")), now));
  CHECK_FALSE(crossed.ok());
  CHECK(crossed.issuer_name == "a");
  CHECK(loop.run(auth.authenticate(test::token(key_a(), claims(now + 60, "https://a.test/")), now)).reason ==
        kIssuerUnknown);
}

}  // namespace
}  // namespace gate::jwks
