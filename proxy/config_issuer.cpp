#include "proxy/config_issuer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "jwks/algorithm.hpp"
#include "policy/grant.hpp"
#include "proxy/config_files.hpp"
#include "proxy/config_url.hpp"

namespace gate::proxy {

namespace {

constexpr std::int64_t kDay = 86400;

bool is_valid_issuer_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Keys are fetched over this URL: plaintext is tolerated only on this machine.
std::optional<std::string> key_fetch_url_problem(const std::string& text) {
  auto parsed = parse_http_url(text);
  if (!parsed.error.empty()) return parsed.error;
  if (parsed.url.scheme != "https" && !is_loopback_host(parsed.url.host)) {
    return "must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)";
  }
  return std::nullopt;
}

std::string algorithm_problem(const std::string& name) {
  if (name == "none") return "'none' is never accepted";
  if (name.starts_with("HS")) return "'" + name + "' is not supported: HMAC needs a shared secret, the gate verifies with public keys only";
  std::vector<std::string_view> known;
  for (auto alg : jwks::kAllAlgorithms) known.push_back(jwks::to_string(alg));
  return with_suggestion("unknown algorithm '" + name + "'", name, known);
}

std::vector<jwks::Algorithm> read_algorithms(const YamlSection& section, std::vector<jwks::Algorithm> defaults) {
  const YAML::Node node = section.node("algorithms");
  if (!node.IsDefined()) return defaults;
  const std::string path = section.path_of("algorithms");
  auto elements = list_elements(node, path, section.report());
  // An empty allow-list would refuse every token: certainly not what was meant.
  if (node.IsNull() || (node.IsSequence() && elements.empty())) {
    section.report().add(path, "must list at least one algorithm");
  }
  std::vector<jwks::Algorithm> algorithms;
  for (auto& [element, element_path] : elements) {
    auto name = read_scalar(element, element_path, "an algorithm name", section.report());
    if (!name) continue;
    auto alg = jwks::parse_algorithm(*name);
    if (!alg) {
      section.report().add(element_path, algorithm_problem(*name));
    } else if (std::find(algorithms.begin(), algorithms.end(), *alg) != algorithms.end()) {
      section.report().add(element_path, "duplicate algorithm '" + *name + "'");
    } else {
      algorithms.push_back(*alg);
    }
  }
  return algorithms.empty() ? defaults : algorithms;
}

std::vector<policy::Grant> read_grant_specs(const YAML::Node& node, const std::string& path, ConfigReport& report) {
  std::vector<policy::Grant> grants;
  for (auto& [element, element_path] : list_elements(node, path, report)) {
    auto spec = read_scalar(element, element_path, "a grant \"table:action[,action...]\"", report);
    if (!spec) continue;
    auto parsed = policy::parse_grant_spec(*spec);
    if (parsed.error) {
      std::string reason = parsed.error->reason;
      if (reason.starts_with("unknown action")) {
        std::string known;
        for (auto action : policy::kAllActions) known += (known.empty() ? "" : ", ") + std::string(policy::to_string(action));
        reason += " (actions: " + known + ")";
      } else {
        reason = "'" + *spec + "': " + reason;
      }
      report.add(element_path, reason);
      continue;
    }
    grants.insert(grants.end(), parsed.grants.begin(), parsed.grants.end());
  }
  return grants;
}

// A PEM file whose key the gate verifies with; a private key here is a leak waiting to happen.
std::optional<std::string> keys_file_problem(const std::string& contents) {
  if (contents.find("PRIVATE KEY-----") != std::string::npos) {
    return "holds a PRIVATE key; give the gate only the public key (openssl pkey -pubout)";
  }
  if (contents.find("-----BEGIN ") == std::string::npos) return "holds no PEM block (expected a PEM public key)";
  return std::nullopt;
}

std::optional<std::string> jwks_file_problem(const std::string& contents) {
  auto document = nlohmann::json::parse(contents, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return "is not valid JSON (expected a JWKS document)";
  if (!document.is_object() || !document.contains("keys") || !document["keys"].is_array()) {
    return "is not a JWKS document (expected a JSON object with a \"keys\" list)";
  }
  if (document["keys"].empty()) return "holds no keys";
  for (const auto& key : document["keys"]) {
    if (key.is_object() && key.contains("d")) {
      return "holds a PRIVATE key (member \"d\"); give the gate only public keys";
    }
  }
  return std::nullopt;
}

// Reads a file-valued key; returns the resolved path when the file is readable.
std::optional<std::string> read_file_key(const YamlSection& section, std::string_view key, const std::string& base_dir,
                                         std::string* contents) {
  std::optional<std::string> given;
  section.read_optional_string(key, given);
  if (!given) return std::nullopt;
  std::string resolved = resolve_config_path(*given, base_dir);
  auto file = read_config_file(resolved);
  if (!file.error.empty()) {
    section.report().add(section.path_of(key), file.error);
    return std::nullopt;
  }
  if (contents) *contents = std::move(file.contents);
  return resolved;
}

void read_key_source(const YamlSection& section, const std::string& base_dir, jwks::IssuerConfig& out) {
  ConfigReport& report = section.report();
  std::vector<std::string> sources;

  if (section.has("jwks_uri")) {
    sources.push_back("jwks_uri");
    std::string uri;
    section.read_string("jwks_uri", uri);
    if (!uri.empty()) {
      if (auto problem = key_fetch_url_problem(uri)) {
        report.add(section.path_of("jwks_uri"), *problem);
      } else {
        out.key_source = jwks::KeySourceKind::jwks_uri;
        out.key_location = uri;
      }
    }
  }

  bool discovery = false;
  section.read_bool("discovery", discovery);
  if (discovery) {
    sources.push_back("discovery");
    if (!out.issuer.empty()) {
      if (auto problem = key_fetch_url_problem(out.issuer)) {
        report.add(section.path_of("discovery"), "needs issuer to be an https URL: issuer " + *problem);
      } else {
        std::string base = out.issuer;
        while (base.ends_with('/')) base.pop_back();
        out.key_source = jwks::KeySourceKind::discovery;
        out.key_location = base + "/.well-known/openid-configuration";
      }
    }
  }

  struct FileSource {
    std::string_view key;
    jwks::KeySourceKind kind;
    std::optional<std::string> (*problem)(const std::string& contents);
  };
  for (const FileSource& source : {FileSource{"jwks_file", jwks::KeySourceKind::jwks_file, jwks_file_problem},
                                   FileSource{"keys_file", jwks::KeySourceKind::keys_file, keys_file_problem}}) {
    if (!section.has(source.key)) continue;
    sources.emplace_back(source.key);
    std::string contents;
    auto path = read_file_key(section, source.key, base_dir, &contents);
    if (!path) continue;
    if (auto problem = source.problem(contents)) {
      report.add(section.path_of(source.key), *path + " " + *problem);
    } else {
      out.key_source = source.kind;
      out.key_location = *path;
    }
  }

  const std::string& entry_path = section.path();
  if (sources.empty()) {
    report.add(entry_path, "needs a key source: one of jwks_uri, discovery: true, jwks_file, keys_file");
  } else if (sources.size() > 1) {
    std::string names;
    for (const auto& name : sources) names += (names.empty() ? "" : ", ") + name;
    report.add(entry_path, "has " + std::to_string(sources.size()) + " key sources (" + names + "); keep exactly one");
  }

  if (section.has("ca_file")) {
    std::string contents;
    out.ca_file = read_file_key(section, "ca_file", base_dir, &contents);
    if (out.ca_file && contents.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      report.add(section.path_of("ca_file"), *out.ca_file + " holds no PEM certificate");
    }
    bool fetched = sources.size() == 1 && (sources[0] == "jwks_uri" || sources[0] == "discovery");
    if (!sources.empty() && !fetched) {
      report.add(section.path_of("ca_file"), "only applies to keys fetched over https (jwks_uri or discovery)");
    }
  }
}

// Dots separate levels (policy/claim_path.hpp), so an empty level is a typo.
std::optional<std::string> claim_path_problem(std::string_view path) {
  if (path.starts_with('.') || path.ends_with('.') || path.find("..") != std::string_view::npos) {
    return "'" + std::string(path) + "' has an empty level (dots separate levels, e.g. \"o.rol\")";
  }
  if (path.find_first_of(" \t\n") != std::string_view::npos) return "'" + std::string(path) + "' contains whitespace";
  return std::nullopt;
}

void read_claim_mapping(const YamlSection& issuer, policy::ClaimMapping& out) {
  ConfigReport& report = issuer.report();
  YamlSection claims(issuer.node("claims"), issuer.path_of("claims"), {"permissions", "roles"}, report);
  if (claims.node("permissions").IsDefined() && claims.node("permissions").IsNull()) {
    report.add(claims.path_of("permissions"), "must name a claim (default \"perm\"); it cannot be switched off");
  }
  claims.read_string("permissions", out.permissions_claim);
  claims.read_optional_string("roles", out.roles_claim);
  if (auto problem = claim_path_problem(out.permissions_claim)) report.add(claims.path_of("permissions"), *problem);
  if (out.roles_claim) {
    if (auto problem = claim_path_problem(*out.roles_claim)) report.add(claims.path_of("roles"), *problem);
  }

  for (auto& [role, grants_node] : mapping_entries(issuer.node("roles"), issuer.path_of("roles"), report)) {
    std::string role_path = issuer.path_of("roles") + "." + role;
    if (!grants_node.IsSequence() && !grants_node.IsNull()) {
      report.add(role_path, "expected a list of grants \"table:action[,action...]\", got " + describe_node_kind(grants_node));
      continue;
    }
    out.roles[role] = read_grant_specs(grants_node, role_path, report);
  }
  if (!out.roles.empty() && !out.roles_claim) {
    report.add(issuer.path_of("roles"), "roles are defined but claims.roles is not set, so no token could use them");
  }
  out.default_grants = read_grant_specs(issuer.node("default_grants"), issuer.path_of("default_grants"), report);
}

}  // namespace

std::optional<IssuerEntry> read_issuer(const YAML::Node& node, const std::string& path, const std::string& base_dir,
                                       ConfigReport& report) {
  if (!node.IsMap()) {
    report.add(path, "expected a mapping (name, issuer, key source...), got " + describe_node_kind(node));
    return std::nullopt;
  }
  YamlSection section(node, path,
                      {"name", "issuer", "jwks_uri", "discovery", "jwks_file", "keys_file", "audiences",
                       "authorized_parties", "algorithms", "clock_skew_s", "refresh_interval_s",
                       "min_refresh_interval_s", "max_stale_s", "ca_file", "claims", "roles", "default_grants"},
                      report);
  IssuerEntry entry;
  jwks::IssuerConfig& verification = entry.verification;

  if (!section.has("name")) {
    report.add(section.path_of("name"), "required (a short label for logs and metrics: [a-z0-9_-])");
  }
  section.read_string("name", verification.name);
  if (!verification.name.empty() && !is_valid_issuer_name(verification.name)) {
    report.add(section.path_of("name"), "'" + verification.name + "' must be 1-64 characters of [a-z0-9_-] (it is a metrics label)");
  }
  if (!section.has("issuer")) report.add(section.path_of("issuer"), "required (the exact `iss` of this issuer's tokens)");
  section.read_string("issuer", verification.issuer);

  read_key_source(section, base_dir, verification);
  verification.algorithms = read_algorithms(section, verification.algorithms);
  section.read_string_list("audiences", verification.audiences);
  section.read_string_list("authorized_parties", verification.authorized_parties);

  section.read_integer("clock_skew_s", verification.clock_skew_s, 0, 300);
  std::size_t before_refresh = report.problems().size();
  section.read_integer("refresh_interval_s", verification.refresh_interval_s, 1, 7 * kDay);
  section.read_integer("min_refresh_interval_s", verification.min_refresh_interval_s, 1, kDay);
  if (report.problems().size() == before_refresh &&
      verification.min_refresh_interval_s > verification.refresh_interval_s) {
    report.add(section.path_of("min_refresh_interval_s"),
               std::to_string(verification.min_refresh_interval_s) + " is greater than refresh_interval_s (" +
                   std::to_string(verification.refresh_interval_s) + ")");
  }
  section.read_integer("max_stale_s", verification.max_stale_s, 0, 30 * kDay);

  read_claim_mapping(section, entry.claims);
  return entry;
}

}  // namespace gate::proxy
