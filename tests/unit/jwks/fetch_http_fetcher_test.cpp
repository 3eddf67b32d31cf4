// HttpFetcher against a local HTTPS server with a test-time CA.
#include <doctest/doctest.h>

#include "jwks/http_fetcher.hpp"
#include "test_jwks_server.hpp"

namespace gate::jwks {
namespace {

using testing::ClientLoop;
using testing::Route;
using testing::TestJwksServer;
using namespace std::chrono_literals;

FetchResult fetch(ClientLoop& loop, const HttpFetcher& fetcher, const std::string& url,
                  FetchLimits limits = {}) {
  return loop.run(fetcher.get(url, limits));
}

FetchLimits short_limits() {
  FetchLimits limits;
  limits.total_timeout = 200ms;
  return limits;
}

TEST_CASE("fetch: a JWKS over https with the test CA as ca_file") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/jwks", R"({"keys":[]})", "public, max-age=300");
  HttpFetcher fetcher(server.ca_file());

  FetchResult result = fetch(loop, fetcher, server.url("/jwks"));
  CHECK(result.error == FetchError::none);
  CHECK(result.status == 200);
  CHECK(result.body == R"({"keys":[]})");
  CHECK(result.cache_control == "public, max-age=300");
  CHECK(server.hits("/jwks") == 1);

  SUBCASE("by host name too (DNS SAN)") {
    FetchResult by_name = fetch(loop, fetcher, server.url("/jwks", "localhost"));
    CHECK(by_name.error == FetchError::none);
  }
}

TEST_CASE("fetch: plain http works where configured") {
  ClientLoop loop;
  TestJwksServer server(TestJwksServer::Options::plain_http());
  server.set_json("/jwks", R"({"keys":[]})");
  HttpFetcher fetcher;
  FetchResult result = fetch(loop, fetcher, server.url("/jwks"));
  CHECK(result.error == FetchError::none);
  CHECK(result.body == R"({"keys":[]})");
}

TEST_CASE("fetch: TLS peer verification") {
  ClientLoop loop;
  TestJwksServer server;
  server.set_json("/jwks", R"({"keys":[]})");

  SUBCASE("system CAs only: the test CA is not trusted") {
    HttpFetcher fetcher;
    FetchResult result = fetch(loop, fetcher, server.url("/jwks"));
    CHECK(result.error == FetchError::tls_certificate_untrusted);
  }
  SUBCASE("another CA as ca_file") {
    testing::TempFile other_ca(testing::make_test_pki({"IP:127.0.0.1"}).ca_cert_pem);
    HttpFetcher fetcher(other_ca.path());
    FetchResult result = fetch(loop, fetcher, server.url("/jwks"));
    CHECK(result.error == FetchError::tls_certificate_untrusted);
  }
  SUBCASE("unreadable ca_file fails every fetch, visibly") {
    HttpFetcher fetcher(std::string("/nonexistent/ca.pem"));
    FetchResult result = fetch(loop, fetcher, server.url("/jwks"));
    CHECK(result.error == FetchError::ca_file_unreadable);
  }
  CHECK(server.hits("/jwks") == 0);
}

TEST_CASE("fetch: certificate for another host name") {
  ClientLoop loop;
  TestJwksServer server(TestJwksServer::Options::certificate_for({"DNS:other.example"}));
  server.set_json("/jwks", R"({"keys":[]})");
  HttpFetcher fetcher(server.ca_file());

  SUBCASE("IP literal") {
    CHECK(fetch(loop, fetcher, server.url("/jwks")).error == FetchError::tls_hostname_mismatch);
  }
  SUBCASE("DNS name") {
    CHECK(fetch(loop, fetcher, server.url("/jwks", "localhost")).error ==
          FetchError::tls_hostname_mismatch);
  }
  CHECK(server.hits("/jwks") == 0);
}

TEST_CASE("fetch: redirects are followed, bounded, and never downgrade") {
  ClientLoop loop;
  TestJwksServer server;
  HttpFetcher fetcher(server.ca_file());
  server.set_json("/jwks", R"({"keys":[]})");

  SUBCASE("relative and absolute redirects") {
    server.set_route("/a", Route().with_status(302).with_location("/b"));
    server.set_route("/b", Route().with_status(301).with_location(server.url("/jwks")));
    FetchResult result = fetch(loop, fetcher, server.url("/a"));
    CHECK(result.error == FetchError::none);
    CHECK(result.body == R"({"keys":[]})");
    CHECK(result.final_url == server.url("/jwks"));
  }
  SUBCASE("a redirect loop ends after max_redirects") {
    server.set_route("/loop", Route().with_status(307).with_location("/loop"));
    FetchResult result = fetch(loop, fetcher, server.url("/loop"));
    CHECK(result.error == FetchError::too_many_redirects);
    CHECK(server.hits("/loop") == 4);  // the request and 3 redirects followed
  }
  SUBCASE("https to http is refused") {
    TestJwksServer plain(TestJwksServer::Options::plain_http());
    plain.set_json("/jwks", R"({"keys":[]})");
    server.set_route("/down", Route().with_status(302).with_location(plain.url("/jwks")));
    CHECK(fetch(loop, fetcher, server.url("/down")).error == FetchError::redirect_downgrade);
    CHECK(plain.hits("/jwks") == 0);
  }
  SUBCASE("a redirect to another scheme is refused") {
    server.set_route("/file", Route().with_status(302).with_location("file:///etc/passwd"));
    CHECK(fetch(loop, fetcher, server.url("/file")).error == FetchError::url_invalid);
  }
}

TEST_CASE("fetch: bad answers are named failures") {
  ClientLoop loop;
  TestJwksServer server;
  HttpFetcher fetcher(server.ca_file());

  SUBCASE("HTTP error status") {
    server.set_route("/jwks", Route().with_status(503).with_body("down"));
    FetchResult result = fetch(loop, fetcher, server.url("/jwks"));
    CHECK(result.error == FetchError::http_status);
    CHECK(result.status == 503);
    CHECK(result.body.empty());
  }
  SUBCASE("oversized body") {
    server.set_json("/jwks", std::string(4096, ' ') + "{}");
    FetchLimits limits;
    limits.max_body_bytes = 1024;
    CHECK(fetch(loop, fetcher, server.url("/jwks"), limits).error == FetchError::body_too_large);
  }
  SUBCASE("oversized chunked body") {
    std::string chunked = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    for (int i = 0; i < 8; ++i) chunked += "100\r\n" + std::string(256, ' ') + "\r\n";
    chunked += "0\r\n\r\n";
    server.set_route("/jwks", Route().with_raw(chunked));
    FetchLimits limits;
    limits.max_body_bytes = 1024;
    CHECK(fetch(loop, fetcher, server.url("/jwks"), limits).error == FetchError::body_too_large);
    limits.max_body_bytes = 4096;
    CHECK(fetch(loop, fetcher, server.url("/jwks"), limits).error == FetchError::none);
  }
  SUBCASE("oversized body at the default 1 MiB limit") {
    server.set_json("/jwks", std::string((std::size_t{1} << 20) + 1, ' '));
    CHECK(fetch(loop, fetcher, server.url("/jwks")).error == FetchError::body_too_large);
  }
  SUBCASE("HTML error page") {
    server.set_route("/jwks", Route().with_body("<html>login</html>").with_content_type("text/html"));
    CHECK(fetch(loop, fetcher, server.url("/jwks")).error == FetchError::content_type_invalid);
  }
  SUBCASE("JSON variants are accepted") {
    server.set_route("/jwks", Route().with_body("{}").with_content_type("application/jwk-set+json; charset=utf-8"));
    CHECK(fetch(loop, fetcher, server.url("/jwks")).error == FetchError::none);
  }
  SUBCASE("not HTTP at all") {
    server.set_route("/jwks", Route().with_raw(std::string("\x16\x03garbage\r\n\r\nmore garbage")));
    CHECK(fetch(loop, fetcher, server.url("/jwks")).error == FetchError::http_malformed);
  }
  SUBCASE("connection closed without an answer") {
    server.set_route("/jwks", Route().with_raw(std::string()));
    FetchError error = fetch(loop, fetcher, server.url("/jwks")).error;
    CHECK((error == FetchError::io_error || error == FetchError::http_malformed));
  }
}

TEST_CASE("fetch: slow and hanging servers end at the total time limit") {
  ClientLoop loop;
  TestJwksServer server;
  HttpFetcher fetcher(server.ca_file());

  SUBCASE("hangs after reading the request") {
    server.set_route("/jwks", Route().hanging());
    CHECK(fetch(loop, fetcher, server.url("/jwks"), short_limits()).error == FetchError::timeout);
  }
  SUBCASE("answers after the limit") {
    server.set_route("/jwks", Route().with_body("{}").with_delay(5s));
    CHECK(fetch(loop, fetcher, server.url("/jwks"), short_limits()).error == FetchError::timeout);
  }
  SUBCASE("the limit covers redirect hops together") {
    server.set_route("/a", Route().with_status(302).with_location("/b").with_delay(120ms));
    server.set_route("/b", Route().with_body("{}").with_delay(120ms));
    CHECK(fetch(loop, fetcher, server.url("/a"), short_limits()).error == FetchError::timeout);
  }
  CHECK(server.hits("/jwks") + server.hits("/a") == 1);
}

TEST_CASE("fetch: nothing listening") {
  ClientLoop loop;
  std::string url;
  {
    TestJwksServer gone;
    url = gone.url("/jwks");
  }
  HttpFetcher fetcher;
  CHECK(fetch(loop, fetcher, url).error == FetchError::connect_failed);
}

TEST_CASE("fetch: malformed URLs are refused before any I/O") {
  ClientLoop loop;
  HttpFetcher fetcher;
  for (const char* url : {"ftp://127.0.0.1/jwks", "https://user:pw@127.0.0.1/jwks", "https:///jwks",
                          "https://127.0.0.1:99999/", "https://exa mple.com/"}) {
    CAPTURE(url);
    CHECK(fetch(loop, fetcher, url).error == FetchError::url_invalid);
  }
}

TEST_CASE("fetch: error labels are stable") {
  CHECK(to_string(FetchError::none) == "ok");
  CHECK(to_string(FetchError::tls_hostname_mismatch) == "tls_hostname_mismatch");
  CHECK(to_string(FetchError::body_too_large) == "body_too_large");
}

}  // namespace
}  // namespace gate::jwks
