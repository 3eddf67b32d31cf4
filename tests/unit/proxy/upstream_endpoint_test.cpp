#include <doctest/doctest.h>

#include "proxy/upstream_endpoint.hpp"

using gate::proxy::parse_upstream_url;

TEST_CASE("upstream url: scheme, host and port") {
  auto plain = parse_upstream_url("http://127.0.0.1:8081");
  REQUIRE(plain.has_value());
  CHECK_FALSE(plain->tls);
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == "8081");

  auto tls = parse_upstream_url("https://db-org.turso.io");
  REQUIRE(tls.has_value());
  CHECK(tls->tls);
  CHECK(tls->host == "db-org.turso.io");
  CHECK(tls->port == "443");

  auto v6 = parse_upstream_url("http://[::1]:9000/");
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");
  CHECK(v6->port == "9000");
  CHECK(parse_upstream_url("http://sqld")->port == "80");
}

TEST_CASE("upstream url: anything that could steer requests elsewhere is refused") {
  for (const char* bad : {"", "sqld:8080", "ftp://x", "http://", "http://host/path", "http://user@host",
                          "http://host?x=1", "http://host:", "http://host:80a", "http://[::1", "libsql://db.turso.io"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_upstream_url(bad).has_value());
  }
}

TEST_CASE("upstream url: the Host header names the port only when it is not the scheme's default") {
  CHECK(host_header(*parse_upstream_url("https://db-org.turso.io")) == "db-org.turso.io");
  CHECK(host_header(*parse_upstream_url("https://db-org.turso.io:8443")) == "db-org.turso.io:8443");
  CHECK(host_header(*parse_upstream_url("http://sqld")) == "sqld");
  CHECK(host_header(*parse_upstream_url("http://sqld:443")) == "sqld:443");
  CHECK(host_header(*parse_upstream_url("http://[::1]:9000")) == "[::1]:9000");
  CHECK(host_header(*parse_upstream_url("http://[::1]:80")) == "[::1]");
}
