#include "proxy/config.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <map>

#include <yaml-cpp/yaml.h>

#include "policy/table_name.hpp"
#include "policy/virtual_table_sources.hpp"
#include "proxy/config_env_expand.hpp"
#include "proxy/config_files.hpp"
#include "proxy/config_issuer.hpp"
#include "proxy/config_listen_address.hpp"
#include "proxy/config_pragmas.hpp"
#include "proxy/config_url.hpp"
#include "proxy/config_yaml_reader.hpp"

namespace gate::proxy {

namespace {

constexpr std::int64_t kHourMs = 3600 * 1000;
constexpr std::int64_t kGiB = 1024 * 1024 * 1024;

bool is_env_name(const std::string& name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "http://host:port", without a trailing slash.
std::string origin_of(const HttpUrl& url) {
  bool ipv6 = url.host.find(':') != std::string::npos;
  std::string out = url.scheme + "://" + (ipv6 ? "[" + url.host + "]" : url.host);
  if (url.port) out += ":" + std::to_string(*url.port);
  return out;
}

void read_listen_address(const YamlSection& top, std::string_view key, ListenAddress& out) {
  if (!top.has(key)) return;
  auto text = read_scalar(top.node(key), top.path_of(key), "a \"host:port\" string", top.report());
  if (!text) return;
  auto parsed = parse_listen_address(*text);
  if (!parsed.error.empty()) {
    top.report().add(top.path_of(key), parsed.error);
    return;
  }
  out = std::move(parsed.address);
}

void read_public_url(const YamlSection& top, std::optional<std::string>& out) {
  std::optional<std::string> text;
  top.read_optional_string("public_url", text);
  if (!text) return;
  auto parsed = parse_http_url(*text);
  if (parsed.error.empty() && !parsed.url.query.empty()) parsed.error = "a query ('?...') is not allowed";
  if (!parsed.error.empty()) {
    top.report().add(top.path_of("public_url"), parsed.error);
    return;
  }
  out = std::move(text);
}

// Exactly zero or one of the three token keys, resolved to the token text now so a
// missing file or variable fails at load, not at the first upstream request.
void read_upstream_token(const YamlSection& upstream, const std::string& base_dir, UpstreamConfig& out) {
  ConfigReport& report = upstream.report();
  std::vector<std::string_view> given;
  for (std::string_view key : {"auth_token_file", "auth_token_env", "auth_token"}) {
    if (upstream.has(key)) given.push_back(key);
  }
  for (std::size_t i = 1; i < given.size(); ++i) {
    report.add(upstream.path_of(given[i]), "only one of auth_token_file, auth_token_env, auth_token may be set (" +
                                               std::string(given[0]) + " is set too)");
  }
  if (given.size() != 1) return;

  std::string_view key = given[0];
  std::string value;
  upstream.read_string(key, value);
  if (value.empty()) return;  // already reported

  std::string token;
  std::string origin;
  if (key == "auth_token_file") {
    std::string path = resolve_config_path(value, base_dir);
    auto file = read_config_file(path);
    if (!file.error.empty()) {
      report.add(upstream.path_of(key), file.error);
      return;
    }
    token = std::move(file.contents);
    origin = "auth_token_file " + path;
  } else if (key == "auth_token_env") {
    if (!is_env_name(value)) {
      // Never echo the value: it may be the token itself, pasted or expanded by mistake.
      report.add(upstream.path_of(key),
                 "must be the name of an environment variable ([A-Za-z_][A-Za-z0-9_]*), not its value or a ${...} reference");
      return;
    }
    auto env_value = report.env()(value);
    if (!env_value) {
      report.add(upstream.path_of(key), "environment variable " + value + " is not set");
      return;
    }
    token = std::move(*env_value);
    origin = "auth_token_env " + value;
  } else {
    token = std::move(value);
    origin = "auth_token";
  }
  // Files written by `echo` or editors end in a newline that is not part of the token.
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) {
    token.pop_back();
  }
  if (token.empty()) {
    report.add(upstream.path_of(key), "the token is empty");
    return;
  }
  out.auth_token = std::move(token);
  out.auth_token_origin = std::move(origin);
}

void read_upstream(const YamlSection& top, const std::string& base_dir, UpstreamConfig& out) {
  ConfigReport& report = top.report();
  YamlSection upstream(top.node("upstream"), top.path_of("upstream"),
                       {"url", "auth_token_file", "auth_token_env", "auth_token", "timeout_ms", "max_connections"},
                       report);
  if (!upstream.has("url")) {
    report.add(upstream.path_of("url"), "required (the sqld / Turso endpoint, e.g. http://127.0.0.1:8081)");
  }
  std::string url;
  upstream.read_string("url", url);
  if (!url.empty()) {
    auto parsed = parse_http_url(url);
    if (parsed.error.empty() && !parsed.url.path.empty() && parsed.url.path != "/") {
      parsed.error = "must not have a path ('" + parsed.url.path + "'): give the server's origin";
    }
    if (parsed.error.empty() && !parsed.url.query.empty()) parsed.error = "a query ('?...') is not allowed";
    if (parsed.error.empty()) {
      out.url = origin_of(parsed.url);
    } else {
      report.add(upstream.path_of("url"), parsed.error);
    }
  }
  read_upstream_token(upstream, base_dir, out);
  upstream.read_integer("timeout_ms", out.timeout_ms, 1, kHourMs);
  upstream.read_integer("max_connections", out.max_connections, 1, 10000);
}

void read_database(const YamlSection& top, policy::DatabaseIdentity& out) {
  YamlSection database(top.node("database"), top.path_of("database"), {"name", "id", "group_id"}, top.report());
  database.read_string("name", out.name);
  database.read_optional_string("id", out.id);
  database.read_optional_string("group_id", out.group_id);
}

void read_issuers(const YamlSection& top, const std::string& base_dir, std::vector<IssuerEntry>& out) {
  ConfigReport& report = top.report();
  const std::string path = top.path_of("issuers");
  if (!top.has("issuers")) {
    report.add(path, "at least one issuer is required");
    return;
  }
  auto elements = list_elements(top.node("issuers"), path, report);
  if (top.node("issuers").IsSequence() && elements.empty()) report.add(path, "at least one issuer is required");

  std::map<std::string, std::string> path_by_name;
  std::map<std::string, std::string> path_by_issuer;
  for (auto& [element, element_path] : elements) {
    auto entry = read_issuer(element, element_path, base_dir, report);
    if (!entry) continue;
    const auto& verification = entry->verification;
    auto [named, new_name] = path_by_name.emplace(verification.name, element_path);
    if (!verification.name.empty() && !new_name) {
      report.add(element_path + ".name", "duplicate issuer name '" + verification.name + "' (also " + named->second + ")");
    }
    auto [same, new_issuer] = path_by_issuer.emplace(verification.issuer, element_path);
    if (!verification.issuer.empty() && !new_issuer) {
      report.add(element_path + ".issuer", "the same issuer is configured in " + same->second +
                                               "; which entry verifies a token would be ambiguous");
    }
    out.push_back(std::move(*entry));
  }
}

// policy.allowed_virtual_table_modules: the modules CREATE VIRTUAL TABLE may use.
// Only modules whose arguments the analysis understands may be listed (a module
// reading tables the gate cannot name would be a way around SPEC §6).
void read_virtual_table_modules(const YamlSection& policy, policy::PolicyConfig& out) {
  if (!policy.has("allowed_virtual_table_modules")) return;
  ConfigReport& report = policy.report();
  std::vector<std::string> names;
  bool ok = true;
  for (auto& [element, element_path] : list_elements(policy.node("allowed_virtual_table_modules"),
                                                     policy.path_of("allowed_virtual_table_modules"), report)) {
    auto name = read_scalar(element, element_path, "a module name", report);
    if (!name) {
      ok = false;
      continue;
    }
    const std::string canonical = policy::normalize_table_name(*name);
    if (!policy::virtual_table_module_known(canonical)) {
      report.add(element_path, "module '" + canonical +
                                   "' is not one the gate can analyse (fts3, fts4, fts5, fts5vocab, fts4aux, rtree, "
                                   "rtree_i32)");
      ok = false;
    } else if (std::find(names.begin(), names.end(), canonical) != names.end()) {
      report.add(element_path, "duplicate module '" + canonical + "'");
      ok = false;
    } else {
      names.push_back(canonical);
    }
  }
  if (ok && policy.node("allowed_virtual_table_modules").IsSequence()) out.allowed_virtual_table_modules = std::move(names);
}

void read_policy(const YamlSection& top, policy::PolicyConfig& out) {
  ConfigReport& report = top.report();
  YamlSection policy(top.node("policy"), top.path_of("policy"),
                     {"mode", "allow_temp_objects", "allowed_pragmas", "allowed_virtual_table_modules",
                      "max_statement_bytes"},
                     report);
  policy.read_enum("mode", out.mode, {{"enforce", policy::Mode::enforce}, {"audit", policy::Mode::audit}});
  policy.read_bool("allow_temp_objects", out.allow_temp_objects);
  policy.read_integer("max_statement_bytes", out.max_statement_bytes, 1024, kGiB);
  read_virtual_table_modules(policy, out);

  if (!policy.has("allowed_pragmas")) return;
  std::vector<std::string> names;
  bool ok = true;
  for (auto& [element, element_path] : list_elements(policy.node("allowed_pragmas"), policy.path_of("allowed_pragmas"), report)) {
    auto name = read_scalar(element, element_path, "a pragma name", report);
    if (!name) {
      ok = false;
      continue;
    }
    // SQLite matches pragma names case-insensitively; hold them in lower case.
    std::transform(name->begin(), name->end(), name->begin(),
                   [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    if (auto rejection = pragma_rejection(*name)) {
      report.add(element_path, *rejection);
      ok = false;
    } else if (std::find(names.begin(), names.end(), *name) != names.end()) {
      report.add(element_path, "duplicate pragma '" + *name + "'");
      ok = false;
    } else {
      names.push_back(std::move(*name));
    }
  }
  if (ok && policy.node("allowed_pragmas").IsSequence()) out.allowed_pragmas = std::move(names);
}

void read_limits(const YamlSection& top, LimitsConfig& out) {
  YamlSection limits(top.node("limits"), top.path_of("limits"),
                     {"max_body_bytes", "max_token_bytes", "max_connections", "idle_timeout_ms", "drain_timeout_ms"},
                     top.report());
  limits.read_integer("max_body_bytes", out.max_body_bytes, 1024, kGiB);
  limits.read_integer("max_token_bytes", out.max_token_bytes, 256, 1024 * 1024);
  limits.read_integer("max_connections", out.max_connections, 1, 1000000);
  limits.read_integer("idle_timeout_ms", out.idle_timeout_ms, 1, 24 * kHourMs);
  limits.read_integer("drain_timeout_ms", out.drain_timeout_ms, 1, kHourMs);
}

void read_logging(const YamlSection& top, LoggingConfig& out) {
  YamlSection logging(top.node("logging"), top.path_of("logging"), {"level", "format", "access_log"}, top.report());
  logging.read_enum("level", out.level,
                    {{"debug", LogLevel::debug}, {"info", LogLevel::info}, {"warn", LogLevel::warn}, {"error", LogLevel::error}});
  logging.read_enum("format", out.format, {{"json", LogFormat::json}, {"text", LogFormat::text}});
  logging.read_bool("access_log", out.access_log);
}

Config read_document(const YAML::Node& root, const std::string& base_dir, ConfigReport& report) {
  Config config;
  YamlSection top(root, "",
                  {"listen", "admin_listen", "public_url", "upstream", "database", "issuers", "policy", "limits",
                   "logging"},
                  report);
  std::size_t problems_before = report.problems().size();
  read_listen_address(top, "listen", config.listen);
  read_listen_address(top, "admin_listen", config.admin_listen);
  // Compare only addresses that were both read: a default standing in for a bad
  // value would produce a second, misleading problem.
  if (report.problems().size() == problems_before && listen_addresses_overlap(config.listen, config.admin_listen)) {
    report.add("admin_listen", to_string(config.admin_listen) + " collides with listen (" + to_string(config.listen) +
                                   "); the admin endpoints need their own port");
  }
  read_public_url(top, config.public_url);
  read_upstream(top, base_dir, config.upstream);
  read_database(top, config.database);
  read_issuers(top, base_dir, config.issuers);
  read_policy(top, config.policy);
  read_limits(top, config.limits);
  read_logging(top, config.logging);
  return config;
}

}  // namespace

ConfigLoad parse_config(std::string_view yaml_text, const std::string& base_dir, const EnvLookup& env) {
  ConfigReport report(env);
  try {
    std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
    if (documents.empty() || documents.front().IsNull()) {
      report.add("", "the config is empty (it needs at least upstream.url and one issuer)");
    } else if (documents.size() > 1) {
      report.add("", "the file holds " + std::to_string(documents.size()) + " YAML documents; expected one");
    } else if (!documents.front().IsMap()) {
      report.add("", "expected a mapping of keys at the top level, got " + describe_node_kind(documents.front()));
    } else {
      Config config = read_document(documents.front(), base_dir, report);
      if (report.problems().empty()) return {std::move(config), {}};
    }
  } catch (const YAML::ParserException& error) {
    report.add("", "YAML syntax error at line " + std::to_string(error.mark.line + 1) + ", column " +
                       std::to_string(error.mark.column + 1) + ": " + error.msg);
  } catch (const YAML::Exception& error) {
    report.add("", std::string("YAML error: ") + error.msg);
  } catch (const std::exception& error) {
    report.add("", std::string("cannot read the config: ") + error.what());
  }
  return {std::nullopt, report.take_problems()};
}

ConfigLoad parse_config(std::string_view yaml_text, const std::string& base_dir) {
  return parse_config(yaml_text, base_dir, process_environment());
}

ConfigLoad load_config_file(const std::string& path) {
  auto file = read_config_file(path);
  if (!file.error.empty()) return {std::nullopt, {{path, file.error}}};
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  std::string base_dir = ec ? std::filesystem::path(path).parent_path().string() : absolute.parent_path().string();
  return parse_config(file.contents, base_dir);
}

}  // namespace gate::proxy
