#include "proxy/schema_loader.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "proxy/log.hpp"
#include "proxy/metrics.hpp"
#include "proxy/schema_rows.hpp"
#include "proxy/upstream_pool.hpp"

namespace gate::proxy {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kFirstBackoff{250};
constexpr std::chrono::milliseconds kMaxBackoff{30'000};
// A schema query answers fast; a slow upstream must not hold refreshes for the
// whole upstream.timeout_ms.
constexpr std::chrono::milliseconds kFetchTimeout{10'000};

// Until the first fetch the analyzers see an empty database: every table is
// unknown (SQL_PARSE_ERROR after waiting for a fetch), nothing is over-granted.
std::shared_ptr<const policy::SchemaSnapshot> empty_schema() {
  return policy::SchemaSnapshot::build(std::span<const policy::SchemaRow>{}).snapshot;
}

}  // namespace

SchemaLoader::SchemaLoader(asio::io_context& home, UpstreamPool& upstream, Logger& logger, Metrics& metrics)
    : home_(home), upstream_(upstream), logger_(logger), metrics_(metrics), source_(empty_schema()) {
  attempt_done_.emplace(home_, asio::steady_timer::time_point::max());
  backoff_.emplace(home_);
}

void SchemaLoader::start() { request_refresh(); }

void SchemaLoader::stop() {
  stopped_ = true;
  attempt_done_.reset();
  backoff_.reset();
}

void SchemaLoader::request_refresh() {
  requested_.fetch_add(1, std::memory_order_acq_rel);
  asio::post(home_, [this] {
    pending_ = true;
    ensure_running();
  });
}

void SchemaLoader::ensure_running() {
  if (running_ || stopped_) return;
  running_ = true;
  asio::co_spawn(home_, run(), asio::detached);
}

asio::awaitable<void> SchemaLoader::run() {
  auto backoff = kFirstBackoff;
  while (pending_ && !stopped_) {
    pending_ = false;
    in_attempt_ = true;
    covered_requests_ = requested_.load(std::memory_order_acquire);
    ++attempts_started_;
    const bool ok = co_await fetch_once();
    metrics_.count_schema_fetch(ok);
    in_attempt_ = false;
    if (stopped_) break;
    ++attempts_finished_;
    last_attempt_end_ = Clock::now();
    attempt_done_->cancel();
    if (ok) {
      backoff = kFirstBackoff;
      continue;
    }
    // Failed: try again later (an outdated copy stays in use meanwhile; before the
    // first success nothing but schema-free statements can be analysed).
    pending_ = true;
    boost::system::error_code ec;
    backoff_->expires_after(backoff);
    backing_off_ = true;
    co_await backoff_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backing_off_ = false;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  running_ = false;
}

asio::awaitable<bool> SchemaLoader::fetch_once() {
  UpstreamRequest request{true, "/v2/pipeline", schema_pipeline_body(), "application/json", kFetchTimeout};
  UpstreamResponse response;
  UpstreamOutcome outcome = co_await upstream_.send(request, response);
  if (outcome.error) {
    logger_.warn("schema fetch failed", {{"kind", to_string(outcome.error->failure)},
                                         {"error", outcome.error->message}});
    co_return false;
  }
  if (response.status != 200) {
    logger_.warn("schema fetch failed", {{"status", response.status}});
    co_return false;
  }
  SchemaRowsRead read = schema_rows_from_pipeline(response.body);
  if (!read.rows) {
    logger_.warn("schema fetch failed", {{"error", read.error}});
    co_return false;
  }
  policy::SchemaSnapshot::Built built = policy::SchemaSnapshot::build(*read.rows);
  if (!built.snapshot) {
    logger_.error("schema copy could not be built", {{"error", built.error}});
    co_return false;
  }
  for (const auto& problem : built.snapshot->problems()) {
    logger_.warn("schema object not analysable as written",
                 {{"name", problem.name},
                  {"handling", std::string(policy::to_string(problem.handling))},
                  {"error", problem.message}});
  }
  const auto current = source_.current();
  const bool changed = !current || current->version() != built.snapshot->version() || !loaded();
  // Identical rows: keep the published copy, so the analyzers need not re-clone.
  if (changed) {
    source_.publish(built.snapshot);
    metrics_.set_schema_version(static_cast<double>(source_.generation()));
    logger_.info("schema loaded", {{"objects", read.rows->size()}, {"problems", built.snapshot->problems().size()}});
  }
  loaded_.store(true, std::memory_order_release);
  co_return true;
}

asio::awaitable<void> SchemaLoader::refresh_for_parse_error(std::uint64_t seen_generation) {
  co_await asio::co_spawn(home_, join(seen_generation), asio::use_awaitable);
}

asio::awaitable<void> SchemaLoader::join(std::uint64_t seen_generation) {
  if (stopped_ || source_.generation() != seen_generation) co_return;
  // Backing off after failures: the next attempt is not soon; answer now.
  if (backing_off_) co_return;
  // DDL went through since the attempt in flight (if any) started: only a later
  // attempt can see it, and it is owed anyway, so the rate limit does not apply.
  const bool refresh_owed = requested_.load(std::memory_order_acquire) != covered_requests_;
  std::uint64_t wanted = attempts_started_;  // the attempt in flight
  if (!in_attempt_ || refresh_owed) {
    if (!refresh_owed && attempts_finished_ > 0 && Clock::now() - last_attempt_end_ < kParseErrorRefreshInterval) {
      co_return;
    }
    wanted = attempts_started_ + 1;
    pending_ = true;
    ensure_running();
  }
  while (attempts_finished_ < wanted && !stopped_ && attempt_done_) {
    boost::system::error_code ec;
    co_await attempt_done_->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace gate::proxy
