#include "proxy/metrics.hpp"

#include <prometheus/text_serializer.h>

namespace gate::proxy {

namespace {

// Latency buckets from 0.5 ms to 10 s: the gate adds well under a millisecond,
// upstream queries range up to the upstream timeout.
prometheus::Histogram::BucketBoundaries latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string label(std::string_view value) { return std::string(value); }

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  requests_ = &prometheus::BuildCounter()
                   .Name("libsql_gate_requests_total")
                   .Help("Client requests by protocol and outcome")
                   .Register(r);
  request_duration_ = &prometheus::BuildHistogram()
                           .Name("libsql_gate_request_duration_seconds")
                           .Help("Time from request read to response written")
                           .Register(r);
  auth_failures_ = &prometheus::BuildCounter()
                        .Name("libsql_gate_auth_failures_total")
                        .Help("Rejected tokens by issuer and reason")
                        .Register(r);
  denials_ = &prometheus::BuildCounter()
                  .Name("libsql_gate_denials_total")
                  .Help("Statements denied by policy, by missing action")
                  .Register(r);
  jwks_fetches_ = &prometheus::BuildCounter()
                       .Name("libsql_gate_jwks_fetches_total")
                       .Help("JWKS fetches by issuer and result")
                       .Register(r);
  jwks_keys_ = &prometheus::BuildGauge()
                    .Name("libsql_gate_jwks_keys")
                    .Help("Usable keys per issuer")
                    .Register(r);
  jwks_last_success_ = &prometheus::BuildGauge()
                            .Name("libsql_gate_jwks_last_success_timestamp_seconds")
                            .Help("Unix time of the last successful key fetch per issuer")
                            .Register(r);
  token_cache_lookups_ = &prometheus::BuildCounter()
                              .Name("libsql_gate_token_cache_lookups_total")
                              .Help("Verified-token cache lookups by result")
                              .Register(r);
  sql_cache_lookups_ = &prometheus::BuildCounter()
                            .Name("libsql_gate_sql_cache_lookups_total")
                            .Help("Statement-analysis cache lookups by result")
                            .Register(r);
  upstream_duration_ = &prometheus::BuildHistogram()
                            .Name("libsql_gate_upstream_request_duration_seconds")
                            .Help("Upstream round trips")
                            .Register(r);
  upstream_errors_ = &prometheus::BuildCounter()
                          .Name("libsql_gate_upstream_errors_total")
                          .Help("Upstream failures by kind")
                          .Register(r);
  schema_fetches_ = &prometheus::BuildCounter()
                         .Name("libsql_gate_schema_fetches_total")
                         .Help("Fetches of the schema copy from upstream by result")
                         .Register(r);
  schema_version_ = &prometheus::BuildGauge()
                         .Name("libsql_gate_schema_version")
                         .Help("Generation of the schema copy in use (grows by one per change published)")
                         .Register(r)
                         .Add({});
  upstream_websocket_closes_ = &prometheus::BuildCounter()
                                    .Name("libsql_gate_upstream_websocket_closes_total")
                                    .Help("Upstream WebSocket connections closed, by why their session ended")
                                    .Register(r);
  open_connections_ = &prometheus::BuildGauge()
                           .Name("libsql_gate_open_connections")
                           .Help("Open client connections by protocol")
                           .Register(r);

  // Children with fixed label values exist from the start, so a scrape before the
  // first request already shows every series an alert may be written against.
  upstream_duration_all_ = &upstream_duration_->Add({}, latency_buckets());
  for (const char* protocol : {"http", "ws"}) {
    open_connections_->Add({{"protocol", protocol}});
    for (const char* outcome : {"allowed", "denied", "auth_failed", "bad_request", "upstream_error"}) {
      requests_->Add({{"protocol", protocol}, {"outcome", outcome}});
    }
    request_duration_->Add({{"protocol", protocol}}, latency_buckets());
  }
  for (const char* kind : {"timeout", "unavailable"}) upstream_errors_->Add({{"kind", kind}});
  for (const char* result : {"ok", "error"}) schema_fetches_->Add({{"result", result}});
  for (const WsCloseReason reason : kWsCloseReasons) {
    upstream_websocket_closes_->Add({{"reason", std::string(to_string(reason))}});
  }
  // Header problems are found before any issuer is known.
  for (const char* reason : {"header_missing", "header_malformed"}) {
    auth_failures_->Add({{"issuer", "unknown"}, {"reason", reason}});
  }
  for (const char* action : {"data_read", "data_add", "data_update", "data_delete", "schema_add", "schema_update",
                             "schema_delete"}) {
    denials_->Add({{"action", action}});
  }
  for (const char* result : {"hit", "miss"}) {
    token_cache_lookups_->Add({{"result", result}});
    sql_cache_lookups_->Add({{"result", result}});
  }
}

void Metrics::register_issuers(const std::vector<std::string>& issuer_names) {
  for (const std::string& issuer : issuer_names) {
    for (const char* result : {"ok", "error"}) jwks_fetches_->Add({{"issuer", issuer}, {"result", result}});
    jwks_keys_->Add({{"issuer", issuer}});
    jwks_last_success_->Add({{"issuer", issuer}});
  }
}

std::string Metrics::exposition() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

void Metrics::count_request(std::string_view protocol, std::string_view outcome) {
  requests_->Add({{"protocol", label(protocol)}, {"outcome", label(outcome)}}).Increment();
}

void Metrics::observe_request_duration(std::string_view protocol, double seconds) {
  request_duration_->Add({{"protocol", label(protocol)}}, latency_buckets()).Observe(seconds);
}

void Metrics::count_auth_failure(std::string_view issuer, std::string_view reason) {
  auth_failures_->Add({{"issuer", label(issuer)}, {"reason", label(reason)}}).Increment();
}

void Metrics::count_denial(std::string_view action) {
  denials_->Add({{"action", label(action)}}).Increment();
}

void Metrics::observe_upstream_duration(double seconds) { upstream_duration_all_->Observe(seconds); }

void Metrics::count_upstream_error(std::string_view kind) {
  upstream_errors_->Add({{"kind", label(kind)}}).Increment();
}

void Metrics::count_schema_fetch(bool ok) { schema_fetches_->Add({{"result", ok ? "ok" : "error"}}).Increment(); }

void Metrics::set_schema_version(double generation) { schema_version_->Set(generation); }

void Metrics::count_upstream_websocket_close(WsCloseReason reason) {
  upstream_websocket_closes_->Add({{"reason", std::string(to_string(reason))}}).Increment();
}

void Metrics::add_open_connections(std::string_view protocol, double delta) {
  open_connections_->Add({{"protocol", label(protocol)}}).Increment(delta);
}

}  // namespace gate::proxy
