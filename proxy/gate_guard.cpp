#include "proxy/gate_guard.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jwks/authenticator.hpp"
#include "policy/decision.hpp"
#include "policy/sql_analyzer.hpp"
#include "proxy/authenticator_settings.hpp"
#include "proxy/config.hpp"
#include "proxy/jwks_metrics.hpp"
#include "proxy/log.hpp"
#include "proxy/metrics.hpp"
#include "proxy/principal_grants.hpp"
#include "proxy/schema_loader.hpp"

namespace gate::proxy {

namespace {

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// How long a reloaded verifier may take to fetch keys before it takes over anyway.
constexpr std::chrono::seconds kReloadKeyWait{10};

AuthFailure failure_of(jwks::VerifyStatus status) {
  const std::string_view code = jwks::error_code(status);
  if (code == "AUTH_HEADER_MALFORMED") return AuthFailure::header_malformed;
  if (code == "AUTH_JWT_EXPIRED") return AuthFailure::token_expired;
  if (code == "AUTH_JWT_IMMATURE") return AuthFailure::token_immature;
  if (code == "AUTH_KEYS_UNAVAILABLE") return AuthFailure::keys_unavailable;
  return AuthFailure::token_invalid;
}

Authentication rejected(AuthFailure reason, std::string message, std::string_view issuer_name, std::string_view check) {
  return Authentication{std::nullopt, AuthRejection{reason, std::move(message),
                                                    issuer_name.empty() ? "unknown" : std::string(issuer_name),
                                                    std::string(check)}};
}

// What the request path needs from the config; replaced as a whole on SIGHUP (the
// grants cache with it: grants depend on the claim mapping and database identity).
struct Settings {
  Settings(Config config_, std::uint64_t epoch_) : config(std::move(config_)), epoch(epoch_) {}
  Config config;
  std::uint64_t epoch = 0;  // bumped per reload: workers rebuild their analyzers
  GrantsCache grants;
};

// The flattened statements of one pipeline or cursor batch, analysed.
struct Analysed {
  std::vector<policy::SharedAnalysis> texts;  // one per SQL text, in request order
  std::vector<std::size_t> request_of;        // texts[i] came from requests[request_of[i]]
  std::uint64_t generation = 0;               // the schema generation analysed against
  bool parse_error = false;
};

bool has_parse_error(const policy::SharedAnalysis& analysis) {
  return !analysis || std::any_of(analysis->begin(), analysis->end(),
                                  [](const policy::StatementRequirements& s) { return s.parse_error.has_value(); });
}

class GateGuard final : public RequestGuard {
 public:
  explicit GateGuard(const GuardContext& context)
      : logger_(context.logger),
        jwks_metrics_(context.metrics),
        home_(*context.contexts.at(0)),
        authenticator_(start_authenticator(context.config)),
        loader_(*context.contexts.at(0), *context.upstream, context.logger, context.metrics),
        settings_(std::make_shared<Settings>(context.config, 0)),
        sql_cache_hit_(context.metrics.sql_cache_lookups().Add({{"result", "hit"}})),
        sql_cache_miss_(context.metrics.sql_cache_lookups().Add({{"result", "miss"}})),
        workers_(std::max<std::size_t>(context.workers, 1)) {
    loader_.start();
  }

  ~GateGuard() override { stop(); }

  asio::awaitable<Authentication> authenticate(const std::string& token) override {
    // A named copy: g++ 12 mishandles temporaries bound to by-value coroutine parameters.
    std::string bearer = token;
    // Held for the whole check: a reload may swap in another one meanwhile.
    const std::shared_ptr<jwks::Authenticator> authenticator = authenticator_.load(std::memory_order_acquire);
    jwks::AuthResult result = co_await authenticator->authenticate(bearer, now_unix());
    if (!result.ok()) {
      co_return rejected(failure_of(result.status), std::string(jwks::describe(result.status)), result.issuer_name,
                         result.reason);
    }
    const std::shared_ptr<Settings> settings = settings_.load(std::memory_order_acquire);
    std::shared_ptr<const PrincipalGrants> grants = settings->grants.find(result.token);
    if (!grants) {
      const IssuerEntry* issuer = find_issuer(settings->config, result.issuer_name);
      if (!issuer) co_return rejected(AuthFailure::token_invalid, "token issuer is not configured", {}, "issuer_unknown");
      auto computed = std::make_shared<const PrincipalGrants>(
          principal_grants(*issuer, settings->config.database, result.token->claims));
      if (computed->unknown_actions > 0) {
        logger_.debug("token names unknown actions (ignored)",
                      {{"issuer", result.issuer_name}, {"count", computed->unknown_actions}});
      }
      settings->grants.insert(result.token, computed);
      grants = std::move(computed);
    }
    if (grants->scope_error) {
      co_return rejected(AuthFailure::database_scope, *grants->scope_error, result.issuer_name, "database_scope");
    }
    Principal principal;
    principal.issuer = result.token->issuer;
    principal.subject = result.token->subject;
    principal.issuer_name = std::string(result.issuer_name);
    // Aliases the cached token: the claims are never copied.
    principal.claims = std::shared_ptr<const nlohmann::json>(result.token, &result.token->claims);
    principal.grants = std::move(grants);
    co_return Authentication{std::move(principal), std::nullopt};
  }

  asio::awaitable<Verdict> authorize(const Principal& principal, const std::vector<hrana::RequestStatements>& requests,
                                     std::size_t worker) override {
    auto grants = std::static_pointer_cast<const PrincipalGrants>(principal.grants);
    if (!grants || worker >= workers_.size()) {
      Verdict refused;
      refused.denial = Denial{requests.empty() ? 0 : requests.front().index,
                              {"permission denied: no grants for this request", std::string(policy::kCodeSqliteAuth)},
                              "forbidden"};
      co_return refused;
    }
    Analysed analysed = analyse(worker, requests);
    if (analysed.parse_error) {
      // SPEC §6: a statement that does not prepare may name what DDL created since
      // the copy was fetched; refresh once, then analyse again.
      co_await loader_.refresh_for_parse_error(analysed.generation);
      analysed = analyse(worker, requests);
    }
    co_return verdict_of(grants->grants, requests, analysed);
  }

  void schema_changed() override { loader_.request_refresh(); }

  std::vector<std::string> not_ready() const override {
    std::vector<std::string> missing;
    const std::shared_ptr<jwks::Authenticator> authenticator = authenticator_.load(std::memory_order_acquire);
    for (const std::string& issuer : authenticator->readiness(now_unix()).issuers_without_keys) {
      missing.push_back("issuer " + issuer + ": no usable keys");
    }
    if (!loader_.loaded()) missing.push_back("schema: not yet loaded from upstream");
    return missing;
  }

  // SIGHUP: claim mappings, the database identity and the policy apply to the next
  // request. Issuers are re-created from the new config (key files re-read, new
  // issuers and settings in force); the new verifier takes over once it has keys
  // for every issuer the old one had keys for (bounded wait), so a reload never
  // opens a window in which valid tokens get 503.
  void reconfigure(const Config& config) override {
    const std::shared_ptr<Settings> old = settings_.load(std::memory_order_acquire);
    settings_.store(std::make_shared<Settings>(config, old->epoch + 1), std::memory_order_release);
    auto next = std::make_shared<const Config>(config);
    asio::post(home_, [this, next] {
      if (stopped_) return;
      if (pending_) pending_->stop();
      pending_ = start_authenticator(*next);
      asio::co_spawn(home_, take_over_when_ready(++reloads_), asio::detached);
    });
  }

  // After the io_contexts stopped (GateServer::stop): no handler runs concurrently.
  void stop() override {
    stopped_ = true;
    authenticator_.load()->stop();
    if (pending_) pending_->stop();
    loader_.stop();
  }

 private:
  // One worker's analysis state, touched only on that worker's thread.
  struct WorkerState {
    std::unique_ptr<policy::SqlAnalyzer> analyzer;
    std::uint64_t epoch = 0;
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };

  std::shared_ptr<jwks::Authenticator> start_authenticator(const Config& config) {
    auto authenticator = std::make_shared<jwks::Authenticator>(issuer_verification(config),
                                                               authenticator_options(config), &jwks_metrics_);
    authenticator->start(home_);
    return authenticator;
  }

  // Home thread. Swaps pending_ in once it has keys for every issuer the current one
  // has keys for (URL issuers fetch in the background), or after kReloadKeyWait.
  asio::awaitable<void> take_over_when_ready(std::uint64_t reload) {
    asio::steady_timer tick(home_);
    const auto deadline = std::chrono::steady_clock::now() + kReloadKeyWait;
    while (!stopped_ && reload == reloads_ && std::chrono::steady_clock::now() < deadline &&
           !covers(*pending_, *authenticator_.load(std::memory_order_acquire))) {
      boost::system::error_code ec;
      tick.expires_after(std::chrono::milliseconds(50));
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (stopped_ || reload != reloads_) co_return;  // a later reload took over
    std::shared_ptr<jwks::Authenticator> previous = authenticator_.exchange(std::move(pending_));
    previous->stop();
    logger_.info("issuers reloaded", {{"issuers", authenticator_.load()->issuer_count()}});
  }

  // `next` has usable keys for every issuer name `current` has usable keys for.
  static bool covers(const jwks::Authenticator& next, const jwks::Authenticator& current) {
    const std::int64_t now = now_unix();
    const std::vector<std::string> next_missing = next.readiness(now).issuers_without_keys;
    if (next_missing.empty()) return true;
    const std::vector<std::string> current_missing = current.readiness(now).issuers_without_keys;
    return std::all_of(next_missing.begin(), next_missing.end(), [&](const std::string& name) {
      return std::find(current_missing.begin(), current_missing.end(), name) != current_missing.end();
    });
  }

  policy::SqlAnalyzer& analyzer(std::size_t worker) {
    WorkerState& state = workers_[worker];
    const std::shared_ptr<Settings> settings = settings_.load(std::memory_order_acquire);
    if (!state.analyzer || state.epoch != settings->epoch) {
      state.analyzer = std::make_unique<policy::SqlAnalyzer>(loader_.source(), settings->config.policy);
      state.epoch = settings->epoch;
      state.hits = 0;
      state.misses = 0;
    }
    return *state.analyzer;
  }

  Analysed analyse(std::size_t worker, const std::vector<hrana::RequestStatements>& requests) {
    policy::SqlAnalyzer& sql = analyzer(worker);
    Analysed out;
    std::vector<std::string_view> texts;
    for (std::size_t r = 0; r < requests.size(); ++r) {
      for (const std::string& text : requests[r].sqls) {
        texts.push_back(text);
        out.request_of.push_back(r);
      }
    }
    out.generation = loader_.source().generation();
    out.texts = sql.analyze_batch(texts);
    out.parse_error = std::any_of(out.texts.begin(), out.texts.end(), has_parse_error);
    count_cache_lookups(workers_[worker], sql);
    return out;
  }

  void count_cache_lookups(WorkerState& state, const policy::SqlAnalyzer& sql) {
    const std::uint64_t hits = sql.cache().hits();
    const std::uint64_t misses = sql.cache().misses();
    if (hits > state.hits) sql_cache_hit_.Increment(static_cast<double>(hits - state.hits));
    if (misses > state.misses) sql_cache_miss_.Increment(static_cast<double>(misses - state.misses));
    state.hits = hits;
    state.misses = misses;
  }

  static Verdict verdict_of(const policy::Grants& grants, const std::vector<hrana::RequestStatements>& requests,
                            const Analysed& analysed) {
    Verdict verdict;
    for (std::size_t i = 0; i < analysed.texts.size(); ++i) {
      const policy::SharedAnalysis& analysis = analysed.texts[i];
      const hrana::RequestStatements& request = requests[analysed.request_of[i]];
      if (!analysis) {
        verdict.denial = Denial{request.index,
                                {"the gate could not analyse this statement", std::string(policy::kCodeSqlParseError)},
                                "parse_error"};
        return verdict;
      }
      const policy::Decision decision = policy::decide(grants, *analysis);
      if (!decision.allowed) {
        const policy::StatementVerdict& failed = decision.statements[*decision.failed_statement];
        std::string action = "forbidden";
        if (failed.kind == policy::VerdictKind::parse_error) action = "parse_error";
        if (failed.code == policy::kCodeSqlTooComplex) action = "too_complex";
        if (failed.kind == policy::VerdictKind::missing_grant && !failed.missing.empty()) {
          action = std::string(policy::to_string(failed.missing.front().action));
        }
        verdict.denial = Denial{request.index, {decision.message, std::string(decision.code)}, std::move(action)};
        return verdict;
      }
      for (const policy::StatementRequirements& statement : *analysis) {
        verdict.changes_schema = verdict.changes_schema || statement.changes_schema;
        for (const policy::Requirement& requirement : statement.requirements) {
          TouchedTable touched{requirement.table.value_or("all"), std::string(policy::to_string(requirement.action))};
          const bool seen = std::any_of(verdict.touched.begin(), verdict.touched.end(), [&](const TouchedTable& t) {
            return t.table == touched.table && t.action == touched.action;
          });
          if (!seen) verdict.touched.push_back(std::move(touched));
        }
      }
    }
    return verdict;
  }

  Logger& logger_;
  JwksMetrics jwks_metrics_;  // before the authenticators: they report until stop()
  asio::io_context& home_;    // contexts[0]: key refresh loops, reloads
  std::atomic<std::shared_ptr<jwks::Authenticator>> authenticator_;
  // Home thread only: the reload's verifier until it takes over.
  std::shared_ptr<jwks::Authenticator> pending_;
  std::uint64_t reloads_ = 0;
  bool stopped_ = false;
  SchemaLoader loader_;
  std::atomic<std::shared_ptr<Settings>> settings_;
  prometheus::Counter& sql_cache_hit_;
  prometheus::Counter& sql_cache_miss_;
  std::vector<WorkerState> workers_;
};

}  // namespace

std::shared_ptr<RequestGuard> make_gate_guard(const GuardContext& context) {
  return std::make_shared<GateGuard>(context);
}

}  // namespace gate::proxy
