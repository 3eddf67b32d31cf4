#include "jwks/issuer_keys.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "jwks/cache_control.hpp"
#include "jwks/http_fetcher_url.hpp"
#include "jwks/issuer_keys_backoff.hpp"
#include "jwks/strict_json.hpp"

namespace gate::jwks {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Key files are small; a bigger one is a mistake (a wrong path), not a key set.
constexpr std::size_t kMaxKeyFileBytes = std::size_t{1} << 20;

struct Waiter {
  explicit Waiter(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;  // cancelled (posted to its executor) when the refresh ends
};

bool is_url_source(KeySourceKind kind) {
  return kind == KeySourceKind::jwks_uri || kind == KeySourceKind::discovery;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool has_usable_fingerprint(const KeySet& set, std::string_view fingerprint) {
  const auto keys = set.keys();
  return std::any_of(keys.begin(), keys.end(), [&](const Key& key) {
    return key.usable_for_verify() && key.fingerprint == fingerprint;
  });
}

std::string discovery_url(const IssuerConfig& config) {
  if (!config.key_location.empty()) return config.key_location;
  // OpenID Connect Discovery 1.0 §4: drop a terminating '/' before appending.
  std::string base = config.issuer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/.well-known/openid-configuration";
}

struct Attempt {
  RefreshOutcome outcome = RefreshOutcome::ok;
  FetchError fetch_error = FetchError::none;
  std::int64_t refresh_after_s = 0;  // on success: seconds until the next refresh
  std::string detail;
};

}  // namespace

struct IssuerKeys::State : std::enable_shared_from_this<IssuerKeys::State> {
  State(IssuerConfig issuer_config, JwksObserver& jwks_observer, FetchLimits fetch_limits)
      : config(std::move(issuer_config)),
        observer(jwks_observer),
        limits(fetch_limits),
        fetcher(config.ca_file),
        jitter(std::random_device{}()) {}

  const IssuerConfig config;
  JwksObserver& observer;
  const FetchLimits limits;
  const HttpFetcher fetcher;

  // Read path.
  std::atomic<std::shared_ptr<const KeySet>> keys;
  std::atomic<bool> has_keys{false};  // keys is non-null (never reset once set)
  std::atomic<std::int64_t> last_success_unix{0};
  std::atomic<std::uint64_t> removal_epoch{0};
  std::atomic<std::uint64_t> refresh_count{0};  // written under `control`
  std::atomic<RefreshOutcome> last_outcome{RefreshOutcome::ok};
  std::atomic<FetchError> last_fetch_error{FetchError::none};
  std::atomic<int> consecutive_failures{0};

  // Refresh control.
  std::mutex control;
  bool started = false;
  bool stopped = false;
  bool in_flight = false;
  std::optional<Clock::time_point> last_fetch_start;
  std::optional<Clock::time_point> requested_at;  // an unknown-kid refetch, due then
  std::vector<std::shared_ptr<Waiter>> waiters;
  std::optional<asio::strand<asio::any_io_executor>> strand;
  std::string last_failure_detail;

  // Touched only on the strand. The loop owns the timer (it dies with the loop's
  // frame, inside the io_context's lifetime); wake-ups reach it through this.
  std::weak_ptr<asio::steady_timer> loop_timer;
  std::string discovered_jwks_uri;
  std::mt19937_64 jitter;

  // On every cached request: a plain atomic flag rather than loading the
  // shared_ptr (libstdc++'s atomic<shared_ptr> takes a spin lock and bumps a
  // reference count that all threads share).
  bool usable(std::int64_t now_unix) const {
    if (!has_keys.load(std::memory_order_acquire)) return false;
    if (!is_url_source(config.key_source)) return true;
    return now_unix - last_success_unix.load(std::memory_order_acquire) <= config.max_stale_s;
  }

  void wake_loop() {
    if (!strand) return;
    asio::post(*strand, [self = shared_from_this()] {
      if (auto timer = self->loop_timer.lock()) timer->cancel();
    });
  }

  static void wake(std::vector<std::shared_ptr<Waiter>> waiters) {
    for (auto& waiter : waiters) {
      asio::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
    }
  }

  void publish(std::shared_ptr<const KeySet> set) {
    auto old = keys.load(std::memory_order_acquire);
    const bool removed =
        old && std::any_of(old->keys().begin(), old->keys().end(), [&](const Key& key) {
          return key.usable_for_verify() && !has_usable_fingerprint(*set, key.fingerprint);
        });
    const std::size_t usable_count = set->usable_count();
    keys.store(std::move(set), std::memory_order_release);
    has_keys.store(true, std::memory_order_release);
    // After the store: whoever sees the new epoch also sees the new set.
    if (removed) removal_epoch.fetch_add(1, std::memory_order_acq_rel);
    const std::int64_t now = unix_now();
    last_success_unix.store(now, std::memory_order_release);
    report([&] {
      observer.on_keys(config.name, usable_count);
      observer.on_last_success(config.name, now);
    });
  }

  // Under `control` and only before stop(): once stop() returned, the observer is
  // never called again, so it need not outlive an in-flight fetch.
  template <class Report>
  void report(Report&& call) {
    std::lock_guard lock(control);
    if (!stopped) call();
  }

  void record(const Attempt& attempt) {
    last_outcome.store(attempt.outcome);
    last_fetch_error.store(attempt.fetch_error);
    if (attempt.outcome == RefreshOutcome::ok) {
      consecutive_failures.store(0);
    } else {
      consecutive_failures.fetch_add(1);
    }
    report([&] {
      last_failure_detail = attempt.outcome == RefreshOutcome::ok ? "" : attempt.detail;
      observer.on_fetch(config.name, attempt.outcome == RefreshOutcome::fetch_failed
                                         ? to_string(attempt.fetch_error)
                                         : to_string(attempt.outcome));
    });
  }

  // Accept a parsed key document or say why not; old keys stay otherwise.
  void take_key_set(KeySetParse parse, Attempt& attempt) {
    if (!parse.set) {
      attempt.outcome = parse.error == KeySetError::no_usable_key
                            ? RefreshOutcome::jwks_no_usable_key
                            : RefreshOutcome::jwks_invalid;
      attempt.detail = parse.error ? std::string(to_string(*parse.error)) : "";
      return;
    }
    publish(std::move(parse.set));
  }

  void load_file() {
    Attempt attempt;
    std::ifstream in(config.key_location, std::ios::binary);
    std::string text;
    if (in) {
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (!in.good() && !in.eof()) {
      attempt.outcome = RefreshOutcome::file_unreadable;
      attempt.detail = "cannot read " + config.key_location;
    } else if (text.size() > kMaxKeyFileBytes) {
      attempt.outcome = RefreshOutcome::file_unreadable;
      attempt.detail = config.key_location + " is larger than 1 MiB";
    } else {
      take_key_set(config.key_source == KeySourceKind::jwks_file ? KeySet::from_jwks_json(text)
                                                                 : KeySet::from_pem(text),
                   attempt);
    }
    record(attempt);
    std::lock_guard lock(control);
    refresh_count.fetch_add(1);
  }

  // Fetches the discovery document and remembers its jwks_uri. False: attempt says why.
  asio::awaitable<bool> discover(Attempt& attempt) {
    FetchResult fetched = co_await fetcher.get(discovery_url(config), limits);
    if (!fetched.ok()) {
      attempt.outcome = RefreshOutcome::fetch_failed;
      attempt.fetch_error = fetched.error;
      attempt.detail = "discovery: " + fetched.detail;
      co_return false;
    }
    auto parsed = parse_strict_json(fetched.body);
    const nlohmann::json* doc = parsed.value ? &*parsed.value : nullptr;
    if (!doc || !doc->is_object() || !doc->contains("issuer") || !(*doc)["issuer"].is_string() ||
        !doc->contains("jwks_uri") || !(*doc)["jwks_uri"].is_string()) {
      attempt.outcome = RefreshOutcome::discovery_invalid;
      co_return false;
    }
    // OIDC Discovery §4.3: the document must name exactly the issuer we trust, or
    // anyone able to serve that URL could vouch for another issuer's keys.
    if ((*doc)["issuer"].get_ref<const std::string&>() != config.issuer) {
      attempt.outcome = RefreshOutcome::discovery_issuer_mismatch;
      co_return false;
    }
    const auto& jwks_uri = (*doc)["jwks_uri"].get_ref<const std::string&>();
    auto url = parse_http_url(jwks_uri);
    if (!url || (!url->https && !is_loopback_host(url->host))) {
      attempt.outcome = RefreshOutcome::discovery_jwks_uri_insecure;
      co_return false;
    }
    discovered_jwks_uri = jwks_uri;
    co_return true;
  }

  asio::awaitable<Attempt> refresh_once() {
    Attempt attempt;
    std::string jwks_url = config.key_location;
    if (config.key_source == KeySourceKind::discovery) {
      if (discovered_jwks_uri.empty() && !co_await discover(attempt)) {
        record(attempt);
        co_return attempt;
      }
      jwks_url = discovered_jwks_uri;
    }
    FetchResult fetched = co_await fetcher.get(jwks_url, limits);
    if (!fetched.ok()) {
      attempt.outcome = RefreshOutcome::fetch_failed;
      attempt.fetch_error = fetched.error;
      attempt.detail = std::move(fetched.detail);
      discovered_jwks_uri.clear();  // the IdP may have moved its keys: rediscover
    } else {
      take_key_set(KeySet::from_jwks_json(fetched.body), attempt);
      attempt.refresh_after_s = refresh_after_s(parse_cache_control(fetched.cache_control), config);
    }
    record(attempt);
    co_return attempt;
  }

  milliseconds backoff(int failures) { return refresh_backoff(failures, config, jitter()); }
};

namespace {

asio::awaitable<void> refresh_loop(std::shared_ptr<IssuerKeys::State> s) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
  s->loop_timer = timer;
  Clock::time_point next = Clock::now();
  for (;;) {
    // Sleep until `next`, or until an unknown-kid refetch falls due.
    for (;;) {
      Clock::time_point wake;
      {
        std::lock_guard lock(s->control);
        if (s->stopped) co_return;
        wake = s->requested_at ? std::min(next, *s->requested_at) : next;
        if (Clock::now() >= wake) {
          s->in_flight = true;
          s->last_fetch_start = Clock::now();
          s->requested_at.reset();
          break;
        }
      }
      timer->expires_at(wake);
      beast::error_code ignored;  // cancelled = woken to recompute
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }

    Attempt attempt = co_await s->refresh_once();

    std::vector<std::shared_ptr<Waiter>> waiting;
    {
      std::lock_guard lock(s->control);
      s->in_flight = false;
      s->refresh_count.fetch_add(1);
      waiting.swap(s->waiters);
    }
    IssuerKeys::State::wake(std::move(waiting));
    // At least a second even when min_refresh_interval_s is 0 and the IdP says
    // no-store: a zero interval would be a busy loop against the IdP.
    next = Clock::now() + (attempt.outcome == RefreshOutcome::ok
                               ? milliseconds{std::max<std::int64_t>(attempt.refresh_after_s, 1) * 1000}
                               : s->backoff(s->consecutive_failures.load()));
  }
}

}  // namespace

IssuerKeys::IssuerKeys(IssuerConfig config, JwksObserver& observer, FetchLimits fetch_limits)
    : state_(std::make_shared<State>(std::move(config), observer, fetch_limits)) {}

IssuerKeys::~IssuerKeys() { stop(); }

const IssuerConfig& IssuerKeys::config() const { return state_->config; }

void IssuerKeys::start(asio::any_io_executor executor) {
  {
    std::lock_guard lock(state_->control);
    if (state_->started || state_->stopped) return;
    state_->started = true;
    if (is_url_source(state_->config.key_source)) state_->strand = asio::make_strand(executor);
  }
  if (!is_url_source(state_->config.key_source)) {
    state_->load_file();
    return;
  }
  asio::co_spawn(*state_->strand, refresh_loop(state_), asio::detached);
}

void IssuerKeys::stop() {
  std::vector<std::shared_ptr<Waiter>> waiting;
  {
    std::lock_guard lock(state_->control);
    if (state_->stopped) return;
    state_->stopped = true;
    waiting.swap(state_->waiters);
  }
  state_->wake_loop();
  State::wake(std::move(waiting));
}

std::shared_ptr<const KeySet> IssuerKeys::usable_keys(std::int64_t now_unix) const {
  if (!state_->usable(now_unix)) return nullptr;
  return state_->keys.load(std::memory_order_acquire);
}

bool IssuerKeys::usable(std::int64_t now_unix) const { return state_->usable(now_unix); }

std::uint64_t IssuerKeys::removal_epoch() const {
  return state_->removal_epoch.load(std::memory_order_acquire);
}

bool IssuerKeys::can_verify_with(std::string_view fingerprint, std::int64_t now_unix) const {
  auto keys = usable_keys(now_unix);
  return keys && has_usable_fingerprint(*keys, fingerprint);
}

std::int64_t IssuerKeys::last_success_unix() const {
  return state_->last_success_unix.load(std::memory_order_acquire);
}

RefreshTicket IssuerKeys::request_refresh_for_unknown_kid() {
  State& s = *state_;
  std::lock_guard lock(s.control);
  if (!s.started || s.stopped || !is_url_source(s.config.key_source)) return {};
  RefreshTicket ticket;
  ticket.completes_at_refresh = s.refresh_count.load() + 1;
  if (s.in_flight) {
    ticket.request = RefreshRequest::in_flight;
    return ticket;
  }
  const auto now = Clock::now();
  if (!s.requested_at) {
    const auto floor = std::chrono::seconds{std::max<std::int64_t>(s.config.min_refresh_interval_s, 0)};
    s.requested_at = s.last_fetch_start ? std::max(now, *s.last_fetch_start + floor) : now;
    s.wake_loop();
  }
  ticket.request = *s.requested_at <= now ? RefreshRequest::started : RefreshRequest::deferred;
  return ticket;
}

asio::awaitable<bool> IssuerKeys::wait_for_refresh(RefreshTicket ticket, milliseconds bound) {
  if (!ticket.awaitable()) co_return false;
  auto s = state_;  // this IssuerKeys may go away while we wait; the state may not
  auto waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  waiter->timer.expires_after(bound);
  bool wait = false;
  {
    std::lock_guard lock(s->control);
    if (!s->stopped && s->refresh_count.load() < ticket.completes_at_refresh) {
      s->waiters.push_back(waiter);
      wait = true;
    }
  }
  if (wait) {
    beast::error_code ignored;  // cancelled = the refresh ended (or we stopped)
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    std::lock_guard lock(s->control);
    std::erase(s->waiters, waiter);
  }
  co_return s->refresh_count.load() >= ticket.completes_at_refresh;
}

std::uint64_t IssuerKeys::refresh_count() const { return state_->refresh_count.load(); }
RefreshOutcome IssuerKeys::last_outcome() const { return state_->last_outcome.load(); }
FetchError IssuerKeys::last_fetch_error() const { return state_->last_fetch_error.load(); }
int IssuerKeys::consecutive_failures() const { return state_->consecutive_failures.load(); }

std::string IssuerKeys::last_failure_detail() const {
  std::lock_guard lock(state_->control);
  return state_->last_failure_detail;
}

std::string_view to_string(RefreshOutcome outcome) {
  switch (outcome) {
    case RefreshOutcome::ok: return "ok";
    case RefreshOutcome::fetch_failed: return "fetch_failed";
    case RefreshOutcome::discovery_invalid: return "discovery_invalid";
    case RefreshOutcome::discovery_issuer_mismatch: return "discovery_issuer_mismatch";
    case RefreshOutcome::discovery_jwks_uri_insecure: return "discovery_jwks_uri_insecure";
    case RefreshOutcome::jwks_invalid: return "jwks_invalid";
    case RefreshOutcome::jwks_no_usable_key: return "jwks_no_usable_key";
    case RefreshOutcome::file_unreadable: return "file_unreadable";
  }
  return "unknown";
}

}  // namespace gate::jwks
