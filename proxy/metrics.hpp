#pragma once
// Every metric of SPEC §7, registered once in one prometheus::Registry (names
// prefixed libsql_gate_). Label values are bounded sets chosen by the code
// (protocol, outcome, reason, kind, action, issuer name from the config) —
// never subjects, SQL or table names.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "proxy/ws_close_reason.hpp"

namespace gate::proxy {

class Metrics {
 public:
  Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Creates the per-issuer series (issuer names come from the config), so they
  // are exposed from the first scrape.
  void register_issuers(const std::vector<std::string>& issuer_names);

  // The Prometheus text exposition of everything registered.
  std::string exposition() const;

  // protocol: "http" | "ws"; outcome: "allowed" | "denied" | "audit_denied" |
  // "auth_failed" | "bad_request" | "upstream_error" | "not_found" | "unavailable".
  void count_request(std::string_view protocol, std::string_view outcome);
  void observe_request_duration(std::string_view protocol, double seconds);
  // issuer: configured issuer name or "unknown"; reason: a stable failure label.
  void count_auth_failure(std::string_view issuer, std::string_view reason);
  void count_denial(std::string_view action);
  void observe_upstream_duration(double seconds);
  // kind: "timeout" | "unavailable" | "protocol" | "status".
  void count_upstream_error(std::string_view kind);
  void add_open_connections(std::string_view protocol, double delta);
  // One fetch of the schema copy from upstream; the copy's generation once published.
  void count_schema_fetch(bool ok);
  void set_schema_version(double generation);
  // One client WebSocket session (and its upstream WebSocket) ended.
  void count_upstream_websocket_close(WsCloseReason reason);

  // Families the jwks/ and policy/ wiring reports into (registered here so the
  // exposition always names them, even before the first event).
  prometheus::Family<prometheus::Counter>& jwks_fetches() { return *jwks_fetches_; }
  prometheus::Family<prometheus::Gauge>& jwks_keys() { return *jwks_keys_; }
  prometheus::Family<prometheus::Gauge>& jwks_last_success() { return *jwks_last_success_; }
  prometheus::Family<prometheus::Counter>& token_cache_lookups() { return *token_cache_lookups_; }
  prometheus::Family<prometheus::Counter>& sql_cache_lookups() { return *sql_cache_lookups_; }
  prometheus::Registry& registry() { return *registry_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* request_duration_;
  prometheus::Family<prometheus::Counter>* auth_failures_;
  prometheus::Family<prometheus::Counter>* denials_;
  prometheus::Family<prometheus::Counter>* jwks_fetches_;
  prometheus::Family<prometheus::Gauge>* jwks_keys_;
  prometheus::Family<prometheus::Counter>* upstream_websocket_closes_;
  prometheus::Family<prometheus::Counter>* schema_fetches_;
  prometheus::Gauge* schema_version_;
  prometheus::Family<prometheus::Gauge>* jwks_last_success_;
  prometheus::Family<prometheus::Counter>* token_cache_lookups_;
  prometheus::Family<prometheus::Counter>* sql_cache_lookups_;
  prometheus::Family<prometheus::Histogram>* upstream_duration_;
  prometheus::Family<prometheus::Counter>* upstream_errors_;
  prometheus::Family<prometheus::Gauge>* open_connections_;
  prometheus::Histogram* upstream_duration_all_;
};

}  // namespace gate::proxy
