#pragma once
// Typed, path-aware reading of a parsed YAML tree for proxy/config. Every read
// either yields a value or records `path: reason` and leaves the default alone, so
// one pass over the document collects every problem.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/config.hpp"
#include "proxy/config_env_expand.hpp"

namespace gate::proxy {

// Where problems go, and how `${NAME}` is resolved.
class ConfigReport {
 public:
  explicit ConfigReport(EnvLookup env) : env_(std::move(env)) {}

  void add(std::string path, std::string reason) { problems_.push_back({std::move(path), std::move(reason)}); }
  const EnvLookup& env() const { return env_; }
  const std::vector<ConfigProblem>& problems() const { return problems_; }
  std::vector<ConfigProblem> take_problems() { return std::move(problems_); }

 private:
  EnvLookup env_;
  std::vector<ConfigProblem> problems_;
};

// "a list", "a mapping", "null", "a scalar": for "expected X, got Y" messages.
std::string describe_node_kind(const YAML::Node& node);

// The scalar's text with `${NAME}` expanded, or nullopt after reporting why not
// (`expected` names the wanted type, e.g. "a string").
std::optional<std::string> read_scalar(const YAML::Node& node, const std::string& path, std::string_view expected,
                                       ConfigReport& report);

// The candidate closest to `name` by edit distance, if close enough to be a typo.
std::optional<std::string_view> closest_match(std::string_view name, std::span<const std::string_view> candidates);

// Appends "; did you mean 'x'?" when one of `candidates` is close to `name`.
std::string with_suggestion(std::string reason, std::string_view name, std::span<const std::string_view> candidates);

// One YAML mapping whose keys must all come from a fixed list. Constructing it
// reports unknown and duplicate keys; a null or absent node reads as an empty map.
class YamlSection {
 public:
  YamlSection(const YAML::Node& node, std::string path, std::initializer_list<std::string_view> allowed_keys,
              ConfigReport& report);

  // "issuers[0]"; "" at the top level.
  const std::string& path() const { return path_; }
  // "upstream.url", or "listen" at the top level.
  std::string path_of(std::string_view key) const;
  // True when the key is present and not null.
  bool has(std::string_view key) const;
  // The key's node; an invalid (undefined) node when absent.
  YAML::Node node(std::string_view key) const;
  ConfigReport& report() const { return report_; }

  // Absent or null keeps `out` (the default). Wrong types and bad values are reported.
  void read_string(std::string_view key, std::string& out) const;
  void read_optional_string(std::string_view key, std::optional<std::string>& out) const;
  void read_integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) const;
  void read_bool(std::string_view key, bool& out) const;
  void read_string_list(std::string_view key, std::vector<std::string>& out) const;

  template <typename Enum>
  void read_enum(std::string_view key, Enum& out,
                 std::initializer_list<std::pair<std::string_view, Enum>> names) const {
    if (!has(key)) return;
    auto text = read_scalar(node(key), path_of(key), "a string", report_);
    if (!text) return;
    std::string choices;
    for (const auto& [name, value] : names) {
      if (name == *text) {
        out = value;
        return;
      }
      choices += (choices.empty() ? "" : " | ") + std::string(name);
    }
    report_.add(path_of(key), "unknown value '" + *text + "' (expected " + choices + ")");
  }

 private:
  std::optional<std::string> read_non_empty(std::string_view key, std::string_view expected,
                                            std::string_view when_empty) const;

  std::string path_;
  std::map<std::string, YAML::Node, std::less<>> entries_;
  ConfigReport& report_;
};

// The entries of a mapping with arbitrary keys (e.g. role names), in document order.
// Reports a non-mapping, non-string keys and duplicate keys; null or absent yields nothing.
std::vector<std::pair<std::string, YAML::Node>> mapping_entries(const YAML::Node& node, const std::string& path,
                                                                ConfigReport& report);

// Each element of a list-valued key with its path ("issuers[2]"). Reports a
// non-list; null or absent yields nothing.
std::vector<std::pair<YAML::Node, std::string>> list_elements(const YAML::Node& node, const std::string& path,
                                                              ConfigReport& report);

}  // namespace gate::proxy
