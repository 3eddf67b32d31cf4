#pragma once
// What the key-fetching and authentication machinery reports, without tying jwks/
// to a metrics library: the proxy implements this with prometheus-cpp (SPEC §7
// names in the comments). Every label value passed here is bounded: issuer is the
// configured issuer *name*, result/reason come from fixed enums.
//
// Threading: methods are called from any io_context thread, concurrently; an
// implementation must be thread-safe and must not block (it runs on request paths).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gate::jwks {

enum class CacheLookup : std::uint8_t { hit, miss };

std::string_view to_string(CacheLookup lookup);

class JwksObserver {
 public:
  virtual ~JwksObserver() = default;

  // One refresh attempt (discovery + JWKS, or a file read) finished: result is "ok",
  // a FetchError label (e.g. "timeout", "http_status") or a RefreshOutcome label
  // (e.g. "jwks_no_usable_key") (libsql_gate_jwks_fetches_total{issuer,result}).
  virtual void on_fetch(std::string_view issuer, std::string_view result) = 0;
  // A new key set was published with `count` usable keys (libsql_gate_jwks_keys{issuer}).
  virtual void on_keys(std::string_view issuer, std::size_t count) = 0;
  // Keys were (re)loaded successfully at `unix_time`
  // (libsql_gate_jwks_last_success_timestamp_seconds{issuer}).
  virtual void on_last_success(std::string_view issuer, std::int64_t unix_time) = 0;
  // One verified-token cache lookup (libsql_gate_token_cache_lookups_total{result}).
  virtual void on_token_cache(CacheLookup lookup) = 0;
  // A token was refused: reason is a VerifyStatus label or "issuer_unknown"
  // (libsql_gate_auth_failures_total{issuer,reason}; issuer is "" when unknown).
  virtual void on_auth_failure(std::string_view issuer, std::string_view reason) = 0;
};

// Reports nothing: the default when no metrics are wired (tests, CLI commands).
class NoopJwksObserver final : public JwksObserver {
 public:
  void on_fetch(std::string_view, std::string_view) override {}
  void on_keys(std::string_view, std::size_t) override {}
  void on_last_success(std::string_view, std::int64_t) override {}
  void on_token_cache(CacheLookup) override {}
  void on_auth_failure(std::string_view, std::string_view) override {}
};

}  // namespace gate::jwks
