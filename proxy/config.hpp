#pragma once
// The gate's configuration (SPEC §2): the parsed, validated, defaulted form of the
// YAML file. Parsing never throws; every problem is reported as `path.to.key: reason`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jwks/issuer_config.hpp"
#include "proxy/config_env_expand.hpp"
#include "policy/policy_config.hpp"

namespace gate::proxy {

struct ListenAddress {
  std::string host;  // IPv4/IPv6 literal or "localhost"
  std::uint16_t port = 0;
};

struct UpstreamConfig {
  std::string url;  // http://host:port or https://host:port, no path
  // The credential the gate presents upstream, resolved at load from exactly one
  // of auth_token_file / auth_token_env / auth_token (or none).
  std::optional<std::string> auth_token;
  // Where auth_token came from, for summaries and logs (never the token itself):
  // "auth_token_file /path", "auth_token_env NAME" or "auth_token".
  std::optional<std::string> auth_token_origin;
  std::int64_t timeout_ms = 30000;
  std::int64_t max_connections = 64;
};

struct IssuerEntry {
  jwks::IssuerConfig verification;
  policy::ClaimMapping claims;
};

struct LimitsConfig {
  std::int64_t max_body_bytes = 10 * 1024 * 1024;
  std::int64_t max_token_bytes = 8192;
  std::int64_t max_connections = 10000;
  std::int64_t idle_timeout_ms = 60000;
  std::int64_t drain_timeout_ms = 20000;
};

enum class LogLevel { debug, info, warn, error };
enum class LogFormat { json, text };

struct LoggingConfig {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::json;
  bool access_log = true;
};

struct Config {
  ListenAddress listen{"0.0.0.0", 8080};
  ListenAddress admin_listen{"0.0.0.0", 9090};
  std::optional<std::string> public_url;
  UpstreamConfig upstream;
  policy::DatabaseIdentity database;
  std::vector<IssuerEntry> issuers;
  policy::PolicyConfig policy;
  LimitsConfig limits;
  LoggingConfig logging;
};

struct ConfigProblem {
  std::string path;    // e.g. "issuers[0].algorithms[1]"
  std::string reason;  // e.g. "unknown algorithm 'HS256'"
};

struct ConfigLoad {
  std::optional<Config> config;         // set only when problems is empty
  std::vector<ConfigProblem> problems;  // every problem found, not just the first
};

// `base_dir` resolves relative file paths in the config (jwks_file, keys_file,
// ca_file, auth_token_file) against the config file's directory.
ConfigLoad parse_config(std::string_view yaml_text, const std::string& base_dir);
// The same, with `${NAME}` looked up through `env` instead of the process
// environment (tests; embedding).
ConfigLoad parse_config(std::string_view yaml_text, const std::string& base_dir, const EnvLookup& env);
ConfigLoad load_config_file(const std::string& path);

}  // namespace gate::proxy
