#include "proxy/config_summary.hpp"

#include <sstream>

#include "proxy/config_listen_address.hpp"

namespace gate::proxy {

namespace {

std::string_view key_source_name(jwks::KeySourceKind kind) {
  switch (kind) {
    case jwks::KeySourceKind::jwks_uri: return "jwks_uri";
    case jwks::KeySourceKind::discovery: return "discovery";
    case jwks::KeySourceKind::jwks_file: return "jwks_file";
    case jwks::KeySourceKind::keys_file: return "keys_file";
  }
  return "?";
}

std::string joined(const std::vector<std::string>& items, std::string_view when_empty) {
  if (items.empty()) return std::string(when_empty);
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "?";
}

std::string plural(std::size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

void describe_issuer(std::ostringstream& out, const IssuerEntry& entry) {
  const auto& v = entry.verification;
  const auto& claims = entry.claims;
  std::vector<std::string> algorithms;
  for (auto alg : v.algorithms) algorithms.emplace_back(jwks::to_string(alg));

  out << "  - " << v.name << "\n"
      << "      issuer          " << v.issuer << "\n"
      << "      keys            " << key_source_name(v.key_source) << " " << v.key_location << "\n"
      << "      algorithms      " << joined(algorithms, "-") << "\n"
      << "      audiences       " << joined(v.audiences, "(any)") << "\n"
      << "      azp             " << joined(v.authorized_parties, "(any)") << "\n"
      << "      timing          clock skew " << v.clock_skew_s << " s, refresh " << v.refresh_interval_s
      << " s (at most every " << v.min_refresh_interval_s << " s), serve stale keys up to " << v.max_stale_s << " s\n";
  if (v.ca_file) out << "      ca_file         " << *v.ca_file << "\n";
  out << "      claims          permissions \"" << claims.permissions_claim << "\", roles "
      << (claims.roles_claim ? "\"" + *claims.roles_claim + "\"" : std::string("(none)")) << "\n";
  std::size_t role_grants = 0;
  for (const auto& [role, grants] : claims.roles) role_grants += grants.size();
  out << "      roles           " << plural(claims.roles.size(), "role");
  if (!claims.roles.empty()) {
    out << " (";
    bool first = true;
    for (const auto& [role, grants] : claims.roles) {
      out << (first ? "" : ", ") << role << ": " << plural(grants.size(), "grant");
      first = false;
    }
    out << ")";
  }
  out << "\n"
      << "      default grants  " << claims.default_grants.size()
      << (claims.default_grants.empty() ? " (a token without permission claims can do nothing)" : "") << "\n";
}

}  // namespace

std::string describe_config(const Config& config) {
  std::ostringstream out;
  out << "listen          " << to_string(config.listen) << " (clients: Hrana over HTTP and WebSocket)\n"
      << "admin_listen    " << to_string(config.admin_listen) << " (/metrics /healthz /readyz)\n"
      << "public_url      " << config.public_url.value_or("(none: base_url is returned as null)") << "\n"
      << "upstream        " << config.upstream.url << "\n"
      << "  credential    "
      << (config.upstream.auth_token ? "set, from " + config.upstream.auth_token_origin.value_or("config")
                                     : std::string("none (requests go upstream without Authorization)"))
      << "\n"
      << "  timeout       " << config.upstream.timeout_ms << " ms, pool of " << config.upstream.max_connections
      << " connections\n"
      << "database        name " << config.database.name << ", id " << config.database.id.value_or("(unset)")
      << ", group_id " << config.database.group_id.value_or("(unset)") << "\n"
      << "policy          mode " << (config.policy.mode == policy::Mode::enforce ? "enforce" : "audit (denials are logged, not enforced)")
      << ", temp objects " << (config.policy.allow_temp_objects ? "allowed" : "denied") << "\n"
      << "  pragmas       " << joined(config.policy.allowed_pragmas, "(none)") << "\n"
      << "limits          body " << config.limits.max_body_bytes << " B, token " << config.limits.max_token_bytes
      << " B, " << config.limits.max_connections << " connections, idle " << config.limits.idle_timeout_ms
      << " ms, drain " << config.limits.drain_timeout_ms << " ms\n"
      << "logging         " << log_level_name(config.logging.level) << ", "
      << (config.logging.format == LogFormat::json ? "json" : "text") << ", access log "
      << (config.logging.access_log ? "on" : "off") << "\n"
      << "issuers         " << config.issuers.size() << "\n";
  for (const auto& entry : config.issuers) describe_issuer(out, entry);
  return out.str();
}

std::string format_problem(const ConfigProblem& problem, std::string_view source) {
  return (problem.path.empty() ? std::string(source) : problem.path) + ": " + problem.reason;
}

}  // namespace gate::proxy
