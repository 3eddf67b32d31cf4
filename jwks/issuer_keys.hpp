#pragma once
// One issuer's verification keys over time: where they come from (JWKS URL, OIDC
// discovery, a JWKS or PEM file), the current immutable KeySet snapshot, when it
// was last refreshed, and the background refresh that keeps it current.
//
// Schedule (URL sources): the first fetch starts at start(). After a success the
// next one is due after refresh_after_s(Cache-Control) (max-age clamped to
// [min_refresh_interval_s, refresh_interval_s], at least 1 s); after a failure,
// after refresh_backoff() (exponential from the floor, jittered, capped at
// refresh_interval_s). A failed refresh keeps the previous snapshot; it stays
// usable until max_stale_s after the last success, then usable_keys() is null
// (fail closed). A fetched JWKS with no verify-capable key is a failure too.
// Discovery fetches the OIDC document once, remembers jwks_uri, and fetches it
// again only after a JWKS fetch fails.
//
// Read path (any thread, no mutex): usable_keys(), usable(), removal_epoch().
// Refresh control (slow path, short mutex): request_refresh_for_unknown_kid(),
// wait_for_refresh(). The refresh loop itself runs on a strand of the executor
// given to start().
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs std::exchange (see common/asio.hpp)

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "jwks/http_fetcher.hpp"
#include "jwks/issuer_config.hpp"
#include "jwks/jwks_observer.hpp"
#include "jwks/key_set.hpp"

namespace gate::jwks {

// How one attempt to (re)load the keys ended. Its label is the `result` of
// jwks_fetches_total; fetch_failed is reported with the FetchError label instead.
enum class RefreshOutcome : std::uint8_t {
  ok,
  fetch_failed,                 // see last_fetch_error()
  discovery_invalid,            // not a JSON object with string `issuer` and `jwks_uri`
  discovery_issuer_mismatch,    // its `issuer` is not exactly the configured one
  discovery_jwks_uri_insecure,  // jwks_uri not https (and not loopback) or not a URL
  jwks_invalid,                 // not a JWKS document (see KeySetError)
  jwks_no_usable_key,           // a JWKS, but not one key can verify: old keys kept
  file_unreadable,
};

std::string_view to_string(RefreshOutcome outcome);

// What request_refresh_for_unknown_kid() arranged.
enum class RefreshRequest : std::uint8_t {
  started,      // a fetch begins now; wait_for_refresh() can await it
  in_flight,    // a fetch was already running; wait_for_refresh() can await it
  deferred,     // the last fetch began less than min_refresh_interval_s ago: one fetch
                // is scheduled for when the floor allows; nothing to await now
  not_refreshable,  // file source, not started, or stopped
};

struct RefreshTicket {
  RefreshRequest request = RefreshRequest::not_refreshable;
  std::uint64_t completes_at_refresh = 0;  // refresh_count() value that answers it

  bool awaitable() const {
    return request == RefreshRequest::started || request == RefreshRequest::in_flight;
  }
};

class IssuerKeys {
 public:
  IssuerKeys(IssuerConfig config, JwksObserver& observer, FetchLimits fetch_limits = {});
  ~IssuerKeys();  // stop()s; an in-flight fetch finishes on its own, then lets go
  IssuerKeys(const IssuerKeys&) = delete;
  IssuerKeys& operator=(const IssuerKeys&) = delete;

  const IssuerConfig& config() const;

  // File sources are read here, synchronously (reloading on SIGHUP is the proxy's
  // job: it builds a new Authenticator). URL sources fetch in the background: the
  // first fetch starts at once, later ones per Cache-Control / backoff.
  void start(boost::asio::any_io_executor executor);
  // Ends the refresh loop (an in-flight fetch completes, bounded by its time limit,
  // and is discarded) and wakes waiters. After stop() returns the observer is not
  // called again.
  void stop();

  // --- read path: lock-free, any thread -------------------------------------------
  // The current keys, or null when there are none usable: never loaded, or the last
  // success is more than max_stale_s before now_unix (URL sources only).
  std::shared_ptr<const KeySet> usable_keys(std::int64_t now_unix) const;
  bool usable(std::int64_t now_unix) const;
  // Increases whenever a refresh publishes a set that lacks a key the previous set
  // could verify with. A verified-token cache entry stamped with the current epoch
  // is still backed by a present key without looking at the set.
  std::uint64_t removal_epoch() const;
  std::int64_t last_success_unix() const;  // 0 = never
  // Whether the usable keys (as above) still hold a verify-capable key with this
  // Key::fingerprint: a cached verification made with it still stands.
  bool can_verify_with(std::string_view fingerprint, std::int64_t now_unix) const;

  // --- unknown kid ------------------------------------------------------------------
  // Single-flight, rate-limited refetch: at most one fetch begins per
  // min_refresh_interval_s (counting every fetch, scheduled or not), and concurrent
  // callers share the one in flight. Never blocks.
  RefreshTicket request_refresh_for_unknown_kid();
  // Waits until the ticket's fetch completed (true) or `bound` passed / stopped
  // (false). Call from a single-threaded executor or a strand (the wake-up is
  // posted to the awaiting coroutine's executor).
  boost::asio::awaitable<bool> wait_for_refresh(RefreshTicket ticket,
                                                std::chrono::milliseconds bound);

  // --- observation (tests, logs) ----------------------------------------------------
  std::uint64_t refresh_count() const;  // completed refresh attempts, success or not
  RefreshOutcome last_outcome() const;
  FetchError last_fetch_error() const;
  int consecutive_failures() const;
  std::string last_failure_detail() const;  // for logs; "" after a success

  struct State;

 private:
  std::shared_ptr<State> state_;  // shared with the refresh loop, which may outlive us
};

}  // namespace gate::jwks
