#include <doctest/doctest.h>

#include "proxy/metrics.hpp"

using gate::proxy::Metrics;

TEST_CASE("metrics: every SPEC §7 name is exposed before any traffic") {
  Metrics metrics;
  metrics.register_issuers({"clerk"});
  const std::string text = metrics.exposition();
  for (const char* name : {
           "libsql_gate_requests_total",
           "libsql_gate_request_duration_seconds",
           "libsql_gate_auth_failures_total",
           "libsql_gate_denials_total",
           "libsql_gate_jwks_fetches_total",
           "libsql_gate_jwks_keys",
           "libsql_gate_jwks_last_success_timestamp_seconds",
           "libsql_gate_token_cache_lookups_total",
           "libsql_gate_sql_cache_lookups_total",
           "libsql_gate_upstream_request_duration_seconds",
           "libsql_gate_upstream_errors_total",
           "libsql_gate_open_connections",
       }) {
    CAPTURE(name);
    CHECK(text.find(std::string("# TYPE ") + name + " ") != std::string::npos);
  }
  // Both client protocols, so alerts on WebSocket traffic have series from the start.
  for (const char* series : {R"(libsql_gate_open_connections{protocol="ws"} 0)",
                             R"(libsql_gate_requests_total{outcome="denied",protocol="ws"} 0)",
                             R"(libsql_gate_request_duration_seconds_count{protocol="ws"} 0)",
                             R"(libsql_gate_open_connections{protocol="http"} 0)"}) {
    CAPTURE(series);
    CHECK(text.find(series) != std::string::npos);
  }
}

TEST_CASE("metrics: counts show up with bounded labels") {
  Metrics metrics;
  metrics.count_request("http", "denied");
  metrics.count_request("http", "denied");
  metrics.count_auth_failure("clerk", "expired");
  metrics.count_denial("data_add");
  metrics.count_upstream_error("timeout");
  metrics.observe_request_duration("http", 0.002);
  const std::string text = metrics.exposition();
  CHECK(text.find(R"(libsql_gate_requests_total{outcome="denied",protocol="http"} 2)") != std::string::npos);
  CHECK(text.find(R"(libsql_gate_auth_failures_total{issuer="clerk",reason="expired"} 1)") != std::string::npos);
  CHECK(text.find(R"(libsql_gate_denials_total{action="data_add"} 1)") != std::string::npos);
  CHECK(text.find(R"(libsql_gate_upstream_errors_total{kind="timeout"} 1)") != std::string::npos);
  CHECK(text.find(R"(libsql_gate_request_duration_seconds_count{protocol="http"} 1)") != std::string::npos);
}
