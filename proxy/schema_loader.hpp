#pragma once
// Keeps the analysis copy's schema in step with upstream (SPEC §6, issue 5 item 7):
// fetches `sqlite_schema` with the gate's upstream credential at start (retrying
// with backoff until it succeeds), again after DDL went through, and at most once
// per statement that failed analysis. Publishes each new snapshot to the
// SchemaSource every worker's SqlAnalyzer follows.
//
// Threading: all state lives on one io_context (`home`, worker 0) and is touched
// only there; the public calls below may come from any thread. One refresh runs at
// a time (single flight); requests during one are coalesced into the next.
// Lifetime: stop() after the io_contexts stopped and before they are destroyed.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "common/asio.hpp"
#include "policy/schema_source.hpp"

namespace gate::proxy {

class Logger;
class Metrics;
class UpstreamPool;

class SchemaLoader {
 public:
  // `upstream` must be the pool of `home` (pools never cross threads).
  SchemaLoader(asio::io_context& home, UpstreamPool& upstream, Logger& logger, Metrics& metrics);
  SchemaLoader(const SchemaLoader&) = delete;
  SchemaLoader& operator=(const SchemaLoader&) = delete;

  // Starts the first fetch (retried with backoff until one succeeds).
  void start();
  void stop();

  // Any thread: DDL succeeded upstream; fetch again (coalesced, never skipped).
  void request_refresh();

  // Awaitable on any executor. A statement did not prepare against the schema of
  // generation `seen_generation`: unless a newer schema was published since, fetch
  // once and wait for that fetch. Rate-limited (kParseErrorRefreshInterval) so
  // unparsable SQL cannot make the gate hammer upstream.
  asio::awaitable<void> refresh_for_parse_error(std::uint64_t seen_generation);

  policy::SchemaSource& source() { return source_; }
  // The first fetch succeeded (readiness).
  bool loaded() const { return loaded_.load(std::memory_order_acquire); }

  static constexpr std::chrono::milliseconds kParseErrorRefreshInterval{1000};

 private:
  asio::awaitable<void> run();
  asio::awaitable<bool> fetch_once();
  asio::awaitable<void> join(std::uint64_t seen_generation);
  void ensure_running();

  asio::io_context& home_;
  UpstreamPool& upstream_;
  Logger& logger_;
  Metrics& metrics_;
  policy::SchemaSource source_;
  std::atomic<bool> loaded_{false};

  // request_refresh() calls so far: counted on the caller's thread, so a request
  // arriving right after DDL sees that a refresh is owed even before home ran it.
  std::atomic<std::uint64_t> requested_{0};

  // Home thread only.
  bool running_ = false;     // run() is looping (fetching or backing off)
  bool in_attempt_ = false;  // a fetch is in flight
  bool backing_off_ = false; // waiting before retrying a failed fetch
  bool pending_ = false;     // another fetch is wanted
  bool stopped_ = false;
  std::uint64_t covered_requests_ = 0;  // requested_ when the latest attempt started
  std::uint64_t attempts_started_ = 0;
  std::uint64_t attempts_finished_ = 0;
  std::chrono::steady_clock::time_point last_attempt_end_{};
  // Cancelled at the end of every attempt: wakes whoever waits for it. Reset by
  // stop() so no timer outlives the io_context.
  std::optional<asio::steady_timer> attempt_done_;
  std::optional<asio::steady_timer> backoff_;
};

}  // namespace gate::proxy
