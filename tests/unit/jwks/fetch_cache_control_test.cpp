// Cache-Control parsing and the refresh-interval clamp; the fetcher's URL rules.
#include <doctest/doctest.h>

#include <limits>

#include "jwks/cache_control.hpp"
#include "jwks/http_fetcher_url.hpp"

namespace gate::jwks {
namespace {

IssuerConfig bounds(std::int64_t min_s, std::int64_t max_s) {
  IssuerConfig config;
  config.min_refresh_interval_s = min_s;
  config.refresh_interval_s = max_s;
  return config;
}

TEST_CASE("fetch: Cache-Control max-age is parsed tolerantly") {
  CHECK(parse_cache_control("max-age=300").max_age_s == 300);
  CHECK(parse_cache_control("public, MAX-AGE=60 , must-revalidate").max_age_s == 60);
  CHECK(parse_cache_control("max-age=\"120\"").max_age_s == 120);
  CHECK(parse_cache_control("max-age=600, max-age=5").max_age_s == 5);  // conflicting: the smaller
  CHECK_FALSE(parse_cache_control("max-age=-1").max_age_s.has_value());
  CHECK_FALSE(parse_cache_control("max-age=12abc").max_age_s.has_value());
  CHECK_FALSE(parse_cache_control("max-age").max_age_s.has_value());
  CHECK_FALSE(parse_cache_control("s-maxage=10").max_age_s.has_value());
  CHECK(parse_cache_control("max-age=99999999999999999999999").max_age_s ==
        std::numeric_limits<std::int64_t>::max());
  CHECK(parse_cache_control("no-store").no_store);
  CHECK(parse_cache_control("private, No-Cache").no_cache);
  CHECK_FALSE(parse_cache_control("").max_age_s.has_value());
}

TEST_CASE("fetch: the refresh interval is clamped to [min_refresh_interval_s, refresh_interval_s]") {
  const IssuerConfig config = bounds(30, 600);
  CHECK(refresh_after_s(parse_cache_control("max-age=300"), config) == 300);
  CHECK(refresh_after_s(parse_cache_control("max-age=5"), config) == 30);
  CHECK(refresh_after_s(parse_cache_control("max-age=0"), config) == 30);
  CHECK(refresh_after_s(parse_cache_control("max-age=86400"), config) == 600);
  CHECK(refresh_after_s(parse_cache_control(""), config) == 600);
  CHECK(refresh_after_s(parse_cache_control("no-store, max-age=300"), config) == 30);
  CHECK(refresh_after_s(parse_cache_control("no-cache"), config) == 30);
  // A floor above the ceiling (a config mistake) still yields the floor.
  CHECK(refresh_after_s(parse_cache_control("max-age=1"), bounds(100, 50)) == 100);
}

TEST_CASE("fetch: URLs the fetcher follows") {
  auto url = parse_http_url("HTTPS://Example.COM:8443/a/b?x=1#frag");
  REQUIRE(url);
  CHECK(url->https);
  CHECK(url->host == "example.com");
  CHECK(url->port == "8443");
  CHECK(url->target == "/a/b?x=1");
  CHECK(url->host_header() == "example.com:8443");

  auto v6 = parse_http_url("http://[::1]/jwks");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "80");
  CHECK(v6->host_header() == "[::1]");

  CHECK(parse_http_url("https://example.com")->target == "/");
  CHECK(parse_http_url("https://example.com?q")->target == "/?q");
  for (const char* bad : {"https://u@example.com/", "https://example.com:0/", "https://example.com:x/",
                          "https://[::1/", "gopher://example.com/", "https://exa\tmple.com/",
                          "https://example.com/\x7f", "https://ex\\ample.com/"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_http_url(bad).has_value());
  }
}

TEST_CASE("fetch: redirect locations resolve against the answering URL") {
  auto base = *parse_http_url("https://idp.example/a/b/jwks?x=1");
  CHECK(resolve_redirect(base, "/keys")->to_string() == "https://idp.example/keys");
  CHECK(resolve_redirect(base, "keys")->to_string() == "https://idp.example/a/b/keys");
  CHECK(resolve_redirect(base, "?y=2")->to_string() == "https://idp.example/a/b/jwks?y=2");
  CHECK(resolve_redirect(base, "//cdn.example/k")->to_string() == "https://cdn.example/k");
  CHECK(resolve_redirect(base, "http://cdn.example/k")->to_string() == "http://cdn.example/k");
  CHECK_FALSE(resolve_redirect(base, "javascript:alert(1)").has_value());
  CHECK_FALSE(resolve_redirect(base, "").has_value());
}

TEST_CASE("fetch: loopback hosts") {
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("127.1.2.3"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("::1"));
  CHECK_FALSE(is_loopback_host("127.0.0.1.evil.example"));
  CHECK_FALSE(is_loopback_host("128.0.0.1"));
  CHECK_FALSE(is_loopback_host("localhost.example"));
}

}  // namespace
}  // namespace gate::jwks
