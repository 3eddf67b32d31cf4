// IssuerKeys: sources, background refresh, stale-on-error, single-flight refetch.
#include <doctest/doctest.h>

#include "jwks/issuer_keys.hpp"
#include "jwks/issuer_keys_backoff.hpp"
#include "jwks_test_support.hpp"
#include "test_jwks_server.hpp"
#include "test_jwks_server_keys.hpp"
#include "test_jwks_server_observer.hpp"

namespace gate::jwks {
namespace {

using namespace std::chrono_literals;
using namespace testing;  // the test equipment in test_jwks_server*.hpp

IssuerConfig url_issuer(const TestJwksServer& server, const std::string& path = "/jwks") {
  IssuerConfig config = test::issuer_config({Algorithm::ES256});
  config.key_source = KeySourceKind::jwks_uri;
  config.key_location = server.url(path);
  config.ca_file = server.ca_file();
  config.min_refresh_interval_s = 0;
  config.refresh_interval_s = 600;
  config.max_stale_s = 3600;
  return config;
}

// Starts the refresh loop and waits for the first fetch to finish, however it ends.
void start_and_wait_first_refresh(IssuerKeys& keys, ClientLoop& loop) {
  keys.start(loop.executor());
  REQUIRE(eventually([&] { return keys.refresh_count() == 1; }));
}

// Asks for a refetch now (min_refresh_interval_s 0) and waits until it completed.
void refresh_now(IssuerKeys& keys) {
  const auto before = keys.refresh_count();
  REQUIRE(keys.request_refresh_for_unknown_kid().awaitable());
  REQUIRE(eventually([&] { return keys.refresh_count() > before; }));
}

TEST_CASE("issuer_keys: the first fetch publishes the key set") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/jwks", test::jwks_of({key_a().jwk, key_b().jwk}).dump());
  RecordingObserver observer;
  IssuerKeys keys(url_issuer(server), observer);
  CHECK_FALSE(keys.usable(unix_now()));  // nothing before start
  CHECK(keys.usable_keys(unix_now()) == nullptr);

  start_and_wait_first_refresh(keys, loop);
  const auto now = unix_now();
  auto set = keys.usable_keys(now);
  REQUIRE(set);
  CHECK(set->usable_count() == 2);
  CHECK(set->find("key-a") != nullptr);
  CHECK(keys.last_outcome() == RefreshOutcome::ok);
  CHECK(keys.last_success_unix() >= now - 5);
  CHECK(server.hits("/jwks") == 1);
  CHECK(observer.fetches("test", "ok") == 1);
  CHECK(observer.keys("test") == 2);
  CHECK(observer.last_success("test") == keys.last_success_unix());
}

TEST_CASE("issuer_keys: OpenID Connect discovery") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/keys", test::jwks_of({key_a().jwk}).dump());
  IssuerConfig config = url_issuer(server);
  config.key_source = KeySourceKind::discovery;
  config.key_location = "";  // derived: issuer + /.well-known/openid-configuration
  config.issuer = server.url("");
  const std::string discovery = "/.well-known/openid-configuration";
  RecordingObserver observer;

  SUBCASE("issuer matches: jwks_uri is fetched") {
    server.set_json(discovery, nlohmann::json{{"issuer", config.issuer},
                                              {"jwks_uri", server.url("/keys")}}.dump());
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    CHECK(keys.last_outcome() == RefreshOutcome::ok);
    CHECK(keys.usable(unix_now()));
    CHECK(server.hits(discovery) == 1);
    CHECK(server.hits("/keys") == 1);

    refresh_now(keys);  // the discovered jwks_uri is remembered
    CHECK(server.hits(discovery) == 1);
    CHECK(server.hits("/keys") == 2);
  }
  SUBCASE("a trailing slash on the issuer is dropped before the well-known path") {
    config.issuer += "/";
    server.set_json(discovery, nlohmann::json{{"issuer", config.issuer},
                                              {"jwks_uri", server.url("/keys")}}.dump());
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    CHECK(keys.last_outcome() == RefreshOutcome::ok);
  }
  SUBCASE("the document names another issuer") {
    server.set_json(discovery, nlohmann::json{{"issuer", config.issuer + "/evil"},
                                              {"jwks_uri", server.url("/keys")}}.dump());
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    CHECK(keys.last_outcome() == RefreshOutcome::discovery_issuer_mismatch);
    CHECK_FALSE(keys.usable(unix_now()));
    CHECK(server.hits("/keys") == 0);
    CHECK(observer.fetches("test", "discovery_issuer_mismatch") == 1);
  }
  SUBCASE("jwks_uri over plain http to a remote host") {
    server.set_json(discovery, nlohmann::json{{"issuer", config.issuer},
                                              {"jwks_uri", "http://keys.example/jwks"}}.dump());
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    CHECK(keys.last_outcome() == RefreshOutcome::discovery_jwks_uri_insecure);
  }
  SUBCASE("jwks_uri over plain http on loopback is allowed") {
    TestJwksServer plain(TestJwksServer::Options::plain_http());
    plain.set_json("/keys", test::jwks_of({key_a().jwk}).dump());
    server.set_json(discovery, nlohmann::json{{"issuer", config.issuer},
                                              {"jwks_uri", plain.url("/keys")}}.dump());
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    CHECK(keys.last_outcome() == RefreshOutcome::ok);
  }
  SUBCASE("not a discovery document") {
    server.set_json(discovery, R"({"issuer": 5})");
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    CHECK(keys.last_outcome() == RefreshOutcome::discovery_invalid);
  }
}

TEST_CASE("issuer_keys: Cache-Control max-age schedules the background refresh") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/jwks", test::jwks_of({key_a().jwk}).dump(), "max-age=1");
  IssuerConfig config = url_issuer(server);
  config.min_refresh_interval_s = 1;
  RecordingObserver observer;
  IssuerKeys keys(config, observer);
  start_and_wait_first_refresh(keys, loop);
  // Rotation on the IdP: the background refresh picks it up with no request asking.
  server.set_json("/jwks", test::jwks_of({key_b().jwk}).dump(), "max-age=600");
  REQUIRE(eventually([&] { return keys.refresh_count() == 2; }));
  auto set = keys.usable_keys(unix_now());
  REQUIRE(set);
  CHECK(set->find("key-b") != nullptr);
  CHECK(set->find("key-a") == nullptr);
  CHECK(server.hits("/jwks") == 2);
}

TEST_CASE("issuer_keys: failed refreshes keep the last good keys until max_stale_s") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/jwks", test::jwks_of({key_a().jwk}).dump());
  FetchLimits limits;
  limits.max_body_bytes = 4096;
  limits.total_timeout = 400ms;
  RecordingObserver observer;
  IssuerConfig config = url_issuer(server);
  IssuerKeys keys(config, observer, limits);
  start_and_wait_first_refresh(keys, loop);
  const auto good = keys.usable_keys(unix_now());
  REQUIRE(good);

  nlohmann::json enc_only = key_b().jwk;
  enc_only["use"] = "enc";
  struct Bad {
    const char* name;
    Route route;
    RefreshOutcome outcome;
    FetchError error;
  };
  const std::vector<Bad> outage{
      {"503", Route().with_status(503).with_body("down"), RefreshOutcome::fetch_failed, FetchError::http_status},
      {"garbage", Route().with_raw(std::string("\x01\x02 not http")), RefreshOutcome::fetch_failed,
       FetchError::http_malformed},
      {"non-JSON", Route().with_body("<<not json>>"), RefreshOutcome::jwks_invalid, FetchError::none},
      {"JSON but not a JWKS", Route().with_body(R"({"kids":[]})"), RefreshOutcome::jwks_invalid,
       FetchError::none},
      {"no usable key", Route().with_body(test::jwks_of({enc_only}).dump()),
       RefreshOutcome::jwks_no_usable_key, FetchError::none},
      {"wrong content type", Route().with_body("<html/>").with_content_type("text/html"),
       RefreshOutcome::fetch_failed, FetchError::content_type_invalid},
      {"oversized", Route().with_body(std::string(8192, ' ')), RefreshOutcome::fetch_failed,
       FetchError::body_too_large},
      {"hanging", Route().hanging(), RefreshOutcome::fetch_failed, FetchError::timeout},
  };
  int failures = 0;
  for (const Bad& bad : outage) {
    CAPTURE(bad.name);
    server.set_route("/jwks", bad.route);
    refresh_now(keys);
    ++failures;
    CHECK(keys.last_outcome() == bad.outcome);
    CHECK(keys.last_fetch_error() == bad.error);
    CHECK(keys.consecutive_failures() == failures);
    CHECK_FALSE(keys.last_failure_detail().empty());
    CHECK(keys.usable_keys(unix_now()) == good);  // still serving the last good set
  }
  CHECK(observer.fetches("test", "http_status") == 1);
  CHECK(observer.fetches("test", "jwks_no_usable_key") == 1);
  CHECK(observer.fetches("test", "timeout") == 1);

  // Within max_stale_s of the last success: usable. Beyond: fail closed.
  const auto last = keys.last_success_unix();
  CHECK(keys.usable(last + config.max_stale_s));
  CHECK_FALSE(keys.usable(last + config.max_stale_s + 1));
  CHECK(keys.usable_keys(last + config.max_stale_s + 1) == nullptr);

  // The IdP comes back.
  server.set_json("/jwks", test::jwks_of({key_a().jwk}).dump());
  refresh_now(keys);
  CHECK(keys.last_outcome() == RefreshOutcome::ok);
  CHECK(keys.consecutive_failures() == 0);
  CHECK(keys.last_failure_detail().empty());
}

TEST_CASE("issuer_keys: after a failed fetch the loop retries on its own, after the backoff") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_route("/jwks", Route().with_status(503));
  IssuerConfig config = url_issuer(server);
  config.min_refresh_interval_s = 1;  // first retry after exactly the 1 s floor
  RecordingObserver observer;
  IssuerKeys keys(config, observer);
  start_and_wait_first_refresh(keys, loop);
  CHECK(keys.consecutive_failures() == 1);
  CHECK_FALSE(keys.usable(unix_now()));

  server.set_json("/jwks", test::jwks_of({key_a().jwk}).dump());  // the IdP recovers
  REQUIRE(eventually([&] { return keys.usable(unix_now()); }));
  CHECK(keys.refresh_count() == 2);
  CHECK(keys.consecutive_failures() == 0);
  CHECK(observer.fetches("test", "http_status") == 1);
  CHECK(observer.fetches("test", "ok") == 1);
}

TEST_CASE("issuer_keys: a key that leaves the JWKS advances removal_epoch, a new one does not") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/jwks", test::jwks_of({key_a().jwk}).dump());
  RecordingObserver observer;
  IssuerKeys keys(url_issuer(server), observer);
  start_and_wait_first_refresh(keys, loop);
  const std::string fingerprint_a = keys.usable_keys(unix_now())->find("key-a")->fingerprint;
  const auto epoch = keys.removal_epoch();
  CHECK(keys.can_verify_with(fingerprint_a, unix_now()));

  server.set_json("/jwks", test::jwks_of({key_a().jwk, key_b().jwk}).dump());
  refresh_now(keys);
  CHECK(keys.removal_epoch() == epoch);
  CHECK(keys.can_verify_with(fingerprint_a, unix_now()));

  server.set_json("/jwks", test::jwks_of({key_b().jwk}).dump());
  refresh_now(keys);
  CHECK(keys.removal_epoch() > epoch);
  CHECK_FALSE(keys.can_verify_with(fingerprint_a, unix_now()));
  CHECK(keys.usable_keys(unix_now())->find("key-a") == nullptr);
}

TEST_CASE("issuer_keys: unknown-kid refetches are single-flight and rate-limited") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/jwks", test::jwks_of({key_a().jwk}).dump());
  RecordingObserver observer;
  IssuerConfig config = url_issuer(server);

  SUBCASE("within min_refresh_interval_s of the last fetch: deferred, not fetched now") {
    config.min_refresh_interval_s = 3600;
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    for (int i = 0; i < 100; ++i) {
      RefreshTicket ticket = keys.request_refresh_for_unknown_kid();
      CHECK(ticket.request == RefreshRequest::deferred);
      CHECK_FALSE(ticket.awaitable());
    }
    CHECK(server.hits("/jwks") == 1);
    CHECK_FALSE(loop.run(keys.wait_for_refresh(keys.request_refresh_for_unknown_kid(), 5s)));
  }
  SUBCASE("concurrent requests share the one fetch") {
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    server.set_route("/jwks", Route().with_body(test::jwks_of({key_a().jwk}).dump()).with_delay(300ms));
    RefreshTicket first = keys.request_refresh_for_unknown_kid();
    CHECK(first.request == RefreshRequest::started);
    REQUIRE(eventually([&] { return server.hits("/jwks") == 2; }));  // now in flight
    for (int i = 0; i < 100; ++i) {
      RefreshTicket again = keys.request_refresh_for_unknown_kid();
      CHECK(again.request == RefreshRequest::in_flight);
      CHECK(again.completes_at_refresh == first.completes_at_refresh);
    }
    CHECK(loop.run(keys.wait_for_refresh(first, 10s)));
    CHECK(keys.refresh_count() == 2);
    CHECK(server.hits("/jwks") == 2);
  }
  SUBCASE("a deferred request is served once the floor allows") {
    config.min_refresh_interval_s = 1;
    IssuerKeys keys(config, observer);
    start_and_wait_first_refresh(keys, loop);
    CHECK(keys.request_refresh_for_unknown_kid().request == RefreshRequest::deferred);
    CHECK(keys.request_refresh_for_unknown_kid().request == RefreshRequest::deferred);
    REQUIRE(eventually([&] { return keys.refresh_count() == 2; }));
    CHECK(server.hits("/jwks") == 2);
  }
}

TEST_CASE("issuer_keys: wait_for_refresh is bounded, and stop() releases it") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/jwks", test::jwks_of({key_a().jwk}).dump());
  RecordingObserver observer;
  FetchLimits limits;
  limits.total_timeout = 60s;
  IssuerKeys keys(url_issuer(server), observer, limits);
  start_and_wait_first_refresh(keys, loop);
  server.set_route("/jwks", Route().hanging());
  RefreshTicket ticket = keys.request_refresh_for_unknown_kid();
  REQUIRE(ticket.awaitable());

  SUBCASE("the bound passes") {
    CHECK_FALSE(loop.run(keys.wait_for_refresh(ticket, 50ms)));
  }
  SUBCASE("stop() wakes the waiter") {
    auto waiting = boost::asio::co_spawn(loop.context(), keys.wait_for_refresh(ticket, 600s),
                                         boost::asio::use_future);
    REQUIRE(eventually([&] { return server.hits("/jwks") == 2; }));
    keys.stop();
    CHECK_FALSE(waiting.get());
    CHECK(keys.request_refresh_for_unknown_kid().request == RefreshRequest::not_refreshable);
  }
  CHECK(keys.usable(unix_now()));  // the hanging fetch took nothing away
}

TEST_CASE("issuer_keys: file sources are read once at start and never go stale") {
  ClientLoop loop;
  RecordingObserver observer;
  IssuerConfig config = test::issuer_config({Algorithm::ES256});
  const auto far_future = unix_now() + 10 * 365 * 86400;

  SUBCASE("jwks_file") {
    testing::TempFile file(test::jwks_of({key_a().jwk, key_b().jwk}).dump());
    config.key_source = KeySourceKind::jwks_file;
    config.key_location = file.path();
    IssuerKeys keys(config, observer);
    keys.start(loop.executor());
    CHECK(keys.refresh_count() == 1);  // synchronously
    REQUIRE(keys.usable_keys(far_future));
    CHECK(keys.usable_keys(far_future)->usable_count() == 2);
    CHECK(keys.request_refresh_for_unknown_kid().request == RefreshRequest::not_refreshable);
    CHECK(observer.fetches("test", "ok") == 1);
  }
  SUBCASE("keys_file (PEM, no kid)") {
    testing::TempFile file(key_a().public_pem);
    config.key_source = KeySourceKind::keys_file;
    config.key_location = file.path();
    IssuerKeys keys(config, observer);
    keys.start(loop.executor());
    REQUIRE(keys.usable_keys(far_future));
    CHECK(keys.usable_keys(far_future)->sole_usable_key() != nullptr);
  }
  SUBCASE("missing file") {
    config.key_source = KeySourceKind::jwks_file;
    config.key_location = "/nonexistent/jwks.json";
    IssuerKeys keys(config, observer);
    keys.start(loop.executor());
    CHECK(keys.last_outcome() == RefreshOutcome::file_unreadable);
    CHECK_FALSE(keys.usable(unix_now()));
    CHECK(observer.fetches("test", "file_unreadable") == 1);
  }
  SUBCASE("a file that is not a JWKS") {
    testing::TempFile file("not json");
    config.key_source = KeySourceKind::jwks_file;
    config.key_location = file.path();
    IssuerKeys keys(config, observer);
    keys.start(loop.executor());
    CHECK(keys.last_outcome() == RefreshOutcome::jwks_invalid);
    CHECK_FALSE(keys.usable(unix_now()));
  }
}

TEST_CASE("issuer_keys: retry backoff grows from the floor to the refresh interval, with jitter") {
  IssuerConfig config;
  config.min_refresh_interval_s = 30;
  config.refresh_interval_s = 600;
  for (std::uint64_t random : {std::uint64_t{0}, std::uint64_t{12345}, ~std::uint64_t{0}}) {
    CAPTURE(random);
    CHECK(refresh_backoff(1, config, random) == 30s);  // never below the floor
    const auto second = refresh_backoff(2, config, random);
    CHECK(second >= 30s);
    CHECK(second <= 60s);
    const auto fourth = refresh_backoff(4, config, random);
    CHECK(fourth >= 120s);
    CHECK(fourth <= 240s);
    const auto many = refresh_backoff(50, config, random);
    CHECK(many >= 300s);
    CHECK(many <= 600s);
  }
  CHECK(refresh_backoff(3, config, 0) != refresh_backoff(3, config, 99999));  // jitter spreads
  config.min_refresh_interval_s = 0;  // a zero floor still never spins
  CHECK(refresh_backoff(1, config, 0) == 1s);
}

TEST_CASE("issuer_keys: outcome labels are stable") {
  CHECK(to_string(RefreshOutcome::ok) == "ok");
  CHECK(to_string(RefreshOutcome::discovery_issuer_mismatch) == "discovery_issuer_mismatch");
  CHECK(to_string(RefreshOutcome::jwks_no_usable_key) == "jwks_no_usable_key");
}

}  // namespace
}  // namespace gate::jwks
