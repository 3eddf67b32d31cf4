// `libsql-gate explain` (SPEC §1): what the gate would decide for one principal and
// one SQL text, as JSON on stdout — the principal, its grants and where they came
// from, what each statement needs, and the decision with its reasons.
//
// Exit codes: 0 allowed, 1 denied (or the config / schema / token is unusable),
// 2 usage error.
#include <utility>  // before Asio (see common/asio.hpp)

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "jwks/authenticator.hpp"
#include "jwks/strict_json.hpp"
#include "policy/claims_to_grants.hpp"
#include "policy/decision.hpp"
#include "policy/schema_snapshot.hpp"
#include "policy/schema_source.hpp"
#include "policy/sql_analyzer.hpp"
#include "proxy/authenticator_settings.hpp"
#include "proxy/cli_args.hpp"
#include "proxy/cli_commands.hpp"
#include "proxy/config.hpp"
#include "proxy/config_file_argument.hpp"
#include "proxy/principal_grants.hpp"

namespace gate::proxy {

namespace {

using nlohmann::json;
// Output keeps the order it is written in: principal, scope, grants, statements, decision.
using ojson = nlohmann::ordered_json;

// How long explain waits for an issuer's keys to be fetched from its URL.
constexpr auto kKeyFetchWait = std::chrono::seconds(10);

int usage_error(const std::string& message) {
  std::fprintf(stderr, "libsql-gate explain: %s\n", message.c_str());
  print_usage();
  return 2;
}

int failure(const std::string& message) {
  std::fprintf(stderr, "libsql-gate explain: %s\n", message.c_str());
  return 1;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

std::int64_t now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Who the claims belong to, and which issuer's claim mapping applies.
struct Principal {
  const IssuerEntry* issuer = nullptr;
  json claims;
  ojson description;  // the "principal" member of the output
};

struct PrincipalLoad {
  std::optional<Principal> principal;
  std::string error;
};

std::string claim_string(const json& claims, const char* name) {
  auto it = claims.find(name);
  return it != claims.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// --claims: the issuer is the one whose `issuer` equals the claims' `iss`; claims
// without `iss` may use the only configured issuer.
PrincipalLoad principal_from_claims(const Config& config, const std::string& text) {
  auto parsed = jwks::parse_strict_json(text);
  if (!parsed.value) return {std::nullopt, "--claims is not valid JSON (or has a duplicate member)"};
  if (!parsed.value->is_object()) return {std::nullopt, "--claims must be a JSON object"};
  Principal principal;
  principal.claims = std::move(*parsed.value);
  std::string iss = claim_string(principal.claims, "iss");
  for (const IssuerEntry& entry : config.issuers) {
    if (!iss.empty() ? entry.verification.issuer == iss : config.issuers.size() == 1) {
      principal.issuer = &entry;
    }
  }
  if (!principal.issuer) {
    return {std::nullopt, iss.empty() ? "--claims has no 'iss' and the config has several issuers"
                                      : "--claims 'iss' matches no configured issuer"};
  }
  principal.description = {{"source", "claims"},
                           {"verified", false},
                           {"issuer", principal.issuer->verification.name},
                           {"iss", principal.issuer->verification.issuer},
                           {"sub", claim_string(principal.claims, "sub")}};
  return {std::move(principal), {}};
}

// --token: verified exactly as `serve` would, with the issuers' real keys (files
// are read at start; URLs are fetched, waiting up to kKeyFetchWait).
PrincipalLoad principal_from_token(const Config& config, const std::string& token) {
  boost::asio::io_context context;
  jwks::Authenticator authenticator(issuer_verification(config), authenticator_options(config));
  authenticator.start(context);

  jwks::AuthResult result = authenticator.authenticate_without_waiting(token, now_unix());
  const auto deadline = std::chrono::steady_clock::now() + kKeyFetchWait;
  while (result.status == jwks::VerifyStatus::keys_unavailable &&
         std::chrono::steady_clock::now() < deadline) {
    if (context.stopped()) context.restart();
    if (context.run_for(std::chrono::milliseconds(200)) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    result = authenticator.authenticate_without_waiting(token, now_unix());
  }
  authenticator.stop();

  if (!result.ok()) {
    return {std::nullopt, "token rejected: " + std::string(jwks::error_code(result.status)) + " (" +
                              std::string(result.reason) + "): " +
                              std::string(jwks::describe(result.status))};
  }
  Principal principal;
  principal.issuer = find_issuer(config, result.issuer_name);
  if (!principal.issuer) return {std::nullopt, "token verified by an issuer missing from the config"};
  principal.claims = result.token->claims;
  principal.description = {{"source", "token"},
                           {"verified", true},
                           {"issuer", principal.issuer->verification.name},
                           {"iss", result.token->issuer},
                           {"sub", result.token->subject},
                           {"alg", std::string(jwks::to_string(result.token->alg))}};
  if (result.token->kid) principal.description["kid"] = *result.token->kid;
  return {std::move(principal), {}};
}

ojson requirement_json(const policy::Requirement& requirement) {
  return {{"table", requirement.table ? ojson(*requirement.table) : ojson(nullptr)},
          {"action", std::string(policy::to_string(requirement.action))}};
}

ojson requirements_json(const std::vector<policy::Requirement>& requirements) {
  ojson out = ojson::array();
  for (const auto& requirement : requirements) out.push_back(requirement_json(requirement));
  return out;
}

// SPEC §6 "two witnesses": what the authorizer reported, what the compiled
// program opens, and which requirements only the program showed (an authorizer gap).
ojson witnesses_json(const policy::StatementRequirements& statement) {
  std::size_t split = std::min(statement.from_authorizer, statement.requirements.size());
  auto first = statement.requirements.begin();
  auto middle = first + static_cast<std::ptrdiff_t>(split);
  ojson opened = ojson::array();
  for (const auto& object : statement.opened) {
    ojson entry = {{"kind", std::string(policy::to_string(object.kind))},
                   {"table", object.table.empty() ? ojson(nullptr) : ojson(object.table)},
                   {"access", object.write ? "write" : "read"}};
    if (!object.via.empty()) entry["index"] = object.via;
    if (object.temp) entry["temp"] = true;
    opened.push_back(std::move(entry));
  }
  return {{"authorizer", requirements_json({first, middle})},
          {"program", {{"opened", std::move(opened)}, {"added", requirements_json({middle, statement.requirements.end()})}}}};
}

ojson statement_json(const policy::StatementRequirements& statement,
                    const policy::StatementVerdict& verdict) {
  ojson out = {{"sql", statement.sql},
              {"requirements", requirements_json(statement.requirements)},
              {"witnesses", witnesses_json(statement)},
              {"transaction_control", statement.transaction_control},
              {"changes_schema", statement.changes_schema}};
  if (statement.forbidden) {
    out["forbidden"] = {{"reason", statement.forbidden->reason}, {"detail", statement.forbidden->detail}};
  }
  if (statement.parse_error) out["parse_error"] = statement.parse_error->message;
  ojson judged = {{"allowed", verdict.allowed()}, {"kind", std::string(policy::to_string(verdict.kind))}};
  if (!verdict.allowed()) {
    judged["code"] = std::string(verdict.code);
    judged["message"] = verdict.message;
    if (!verdict.missing.empty()) judged["missing"] = requirements_json(verdict.missing);
  }
  out["verdict"] = std::move(judged);
  return out;
}

ojson grants_json(const policy::GrantsResult& grants) {
  return {{"access_level", std::string(policy::to_string(grants.access_level))},
          {"read_only", grants.read_only},
          {"grants", policy::grant_specs(grants.grants)},
          {"unknown_actions", grants.unknown_actions},
          {"reasons", grants.reasons},
          {"note", "data_read on sqlite_schema / sqlite_master is always allowed"}};
}

}  // namespace

int run_explain(std::span<char* const> args) {
  static constexpr FlagSpec kFlags[] = {{"config"}, {"token"}, {"claims"}, {"sql"}, {"schema"}};
  auto parsed = CliArgs::parse(args, kFlags);
  if (!parsed.args) return usage_error(parsed.error);
  const CliArgs& flags = *parsed.args;
  if (flags.has("token") == flags.has("claims")) return usage_error("pass exactly one of --token JWT or --claims JSON");
  if (!flags.has("sql")) return usage_error("--sql SQL is required");
  std::optional<std::string> config_path = config_file_argument(flags);
  if (!config_path) return usage_error("no config given: pass --config FILE or set LIBSQL_GATE_CONFIG");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(*config_path, ec)) {
    return usage_error("config file " + *config_path + " does not exist or is not a regular file");
  }

  ConfigLoad load = load_config_file(*config_path);
  if (!load.config) {
    for (const auto& problem : load.problems) {
      std::fprintf(stderr, "%s: %s\n", problem.path.c_str(), problem.reason.c_str());
    }
    return failure(*config_path + ": invalid config (run `libsql-gate check`)");
  }
  const Config& config = *load.config;

  // The schema copy: from --schema, else empty (every table is then unknown).
  std::string schema_sql;
  if (auto schema_path = flags.get("schema")) {
    auto text = read_file(*schema_path);
    if (!text) return failure("cannot read --schema " + *schema_path);
    schema_sql = std::move(*text);
  }
  auto built = policy::SchemaSnapshot::build_from_sql(schema_sql);
  if (!built.snapshot) return failure("cannot build the schema copy: " + built.error);

  PrincipalLoad principal = flags.has("claims") ? principal_from_claims(config, *flags.get("claims"))
                                                : principal_from_token(config, *flags.get("token"));
  if (!principal.principal) return failure(principal.error);

  policy::GrantsResult grants = policy::grants_from_claims(
      principal.principal->claims, principal.principal->issuer->claims, config.database);

  policy::SchemaSource schema(built.snapshot);
  policy::SqlAnalyzer analyzer(schema, config.policy);
  policy::SharedAnalysis analysis = analyzer.analyze(*flags.get("sql"));
  std::span<const policy::StatementRequirements> statements;
  if (analysis) statements = *analysis;
  policy::Decision decision = policy::decide(grants.grants, statements);

  ojson out;
  out["principal"] = principal.principal->description;
  out["scope"] = {{"ok", grants.scope.ok()}, {"status", std::string(policy::to_string(grants.scope.status))}};
  if (!grants.scope.ok()) out["scope"]["message"] = grants.scope.message;
  out["grants"] = grants_json(grants);
  ojson schema_problems = ojson::array();
  for (const auto& problem : built.snapshot->problems()) {
    schema_problems.push_back({{"name", problem.name},
                               {"handling", std::string(policy::to_string(problem.handling))},
                               {"message", problem.message}});
  }
  if (!schema_problems.empty()) out["schema_problems"] = std::move(schema_problems);
  out["statements"] = ojson::array();
  for (std::size_t i = 0; i < statements.size(); ++i) {
    out["statements"].push_back(statement_json(statements[i], decision.statements[i]));
  }

  // A scope failure is answered before any statement is looked at (403).
  ojson reasons = ojson::array();
  bool allowed = grants.scope.ok() && decision.allowed;
  ojson verdict = {{"allowed", allowed}, {"mode", config.policy.mode == policy::Mode::audit ? "audit" : "enforce"}};
  if (!grants.scope.ok()) {
    verdict["code"] = "AUTH_DATABASE_SCOPE";
    verdict["message"] = grants.scope.message;
    reasons.push_back(grants.scope.message);
  } else if (!decision.allowed) {
    verdict["code"] = std::string(decision.code);
    verdict["message"] = decision.message;
    verdict["failed_statement"] = *decision.failed_statement;
    for (std::size_t i = 0; i < decision.statements.size(); ++i) {
      if (decision.statements[i].allowed()) continue;
      reasons.push_back("statement " + std::to_string(i) + ": " + decision.statements[i].message);
    }
    if (statements.size() > 1) {
      reasons.push_back("nothing of the request is forwarded when one statement is denied");
    }
  } else {
    reasons.push_back(statements.empty() ? "no statements" : "every requirement is granted");
  }
  verdict["reasons"] = std::move(reasons);
  out["decision"] = std::move(verdict);

  std::printf("%s\n", out.dump(2, ' ', false, ojson::error_handler_t::replace).c_str());
  return allowed ? 0 : 1;
}

}  // namespace gate::proxy
