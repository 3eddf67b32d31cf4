#include "proxy/config_yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace gate::proxy {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return out;
}

std::string range_text(std::int64_t min, std::int64_t max) {
  return "between " + std::to_string(min) + " and " + std::to_string(max);
}

}  // namespace

std::string describe_node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "nothing";
  }
}

std::optional<std::string> read_scalar(const YAML::Node& node, const std::string& path, std::string_view expected,
                                       ConfigReport& report) {
  if (!node.IsScalar()) {
    report.add(path, "expected " + std::string(expected) + ", got " + describe_node_kind(node));
    return std::nullopt;
  }
  auto expanded = expand_env(node.Scalar(), report.env());
  if (!expanded.error.empty()) {
    report.add(path, expanded.error);
    return std::nullopt;
  }
  return std::move(expanded.value);
}

std::optional<std::string_view> closest_match(std::string_view name, std::span<const std::string_view> candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 0;
  std::string folded = lower(name);
  for (auto candidate : candidates) {
    std::size_t distance = edit_distance(folded, lower(candidate));
    if (!best || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  // A third of the name's length, at most 3 edits: "lisen" -> "listen", not "url" -> "name".
  std::size_t tolerance = std::clamp<std::size_t>(name.size() / 3, 1, 3);
  if (best && best_distance <= tolerance && *best != name) return best;
  return std::nullopt;
}

std::string with_suggestion(std::string reason, std::string_view name, std::span<const std::string_view> candidates) {
  if (auto match = closest_match(name, candidates)) reason += "; did you mean '" + std::string(*match) + "'?";
  return reason;
}

std::vector<std::pair<std::string, YAML::Node>> mapping_entries(const YAML::Node& node, const std::string& path,
                                                                ConfigReport& report) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsMap()) {
    report.add(path, "expected a mapping, got " + describe_node_kind(node));
    return out;
  }
  std::set<std::string, std::less<>> seen;
  auto child_path = [&](const std::string& key) { return path.empty() ? key : path + "." + key; };
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      report.add(path, "keys must be strings, got " + describe_node_kind(entry.first));
      continue;
    }
    const std::string& key = entry.first.Scalar();
    // yaml-cpp keeps both entries of a repeated key; which one wins would be a guess.
    if (!seen.insert(key).second) {
      report.add(child_path(key), "duplicate key");
      continue;
    }
    out.emplace_back(key, entry.second);
  }
  return out;
}

YamlSection::YamlSection(const YAML::Node& node, std::string path,
                         std::initializer_list<std::string_view> allowed_keys, ConfigReport& report)
    : path_(std::move(path)), report_(report) {
  std::vector<std::string_view> allowed(allowed_keys);
  for (auto& [key, value] : mapping_entries(node, path_, report)) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      report.add(path_of(key), with_suggestion("unknown key", key, allowed));
      continue;
    }
    entries_.emplace(key, value);
  }
}

std::string YamlSection::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

bool YamlSection::has(std::string_view key) const {
  auto it = entries_.find(key);
  return it != entries_.end() && !it->second.IsNull();
}

YAML::Node YamlSection::node(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? YAML::Node(YAML::NodeType::Undefined) : it->second;
}

std::optional<std::string> YamlSection::read_non_empty(std::string_view key, std::string_view expected,
                                                       std::string_view when_empty) const {
  if (!has(key)) return std::nullopt;
  auto text = read_scalar(node(key), path_of(key), expected, report_);
  if (text && text->empty()) {
    report_.add(path_of(key), std::string(when_empty));
    return std::nullopt;
  }
  return text;
}

void YamlSection::read_string(std::string_view key, std::string& out) const {
  if (auto text = read_non_empty(key, "a string", "must not be empty")) out = std::move(*text);
}

void YamlSection::read_optional_string(std::string_view key, std::optional<std::string>& out) const {
  if (auto text = read_non_empty(key, "a string or null", "must not be empty (write null to leave it unset)")) {
    out = std::move(*text);
  }
}

void YamlSection::read_integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max) const {
  if (!has(key)) return;
  auto text = read_scalar(node(key), path_of(key), "an integer", report_);
  if (!text) return;
  std::int64_t value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  auto [stop, ec] = std::from_chars(begin, end, value);
  if (text->empty() || stop != end || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    report_.add(path_of(key), "expected an integer, got '" + *text + "'");
    return;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    report_.add(path_of(key), *text + " is out of range (must be " + range_text(min, max) + ")");
    return;
  }
  out = value;
}

void YamlSection::read_bool(std::string_view key, bool& out) const {
  if (!has(key)) return;
  auto text = read_scalar(node(key), path_of(key), "true or false", report_);
  if (!text) return;
  if (*text == "true" || *text == "True" || *text == "TRUE") {
    out = true;
  } else if (*text == "false" || *text == "False" || *text == "FALSE") {
    out = false;
  } else {
    report_.add(path_of(key), "expected true or false, got '" + *text + "'");
  }
}

void YamlSection::read_string_list(std::string_view key, std::vector<std::string>& out) const {
  if (!has(key)) return;
  std::vector<std::string> values;
  bool ok = true;
  for (auto& [element, element_path] : list_elements(node(key), path_of(key), report_)) {
    auto text = read_scalar(element, element_path, "a string", report_);
    if (!text) {
      ok = false;
    } else if (text->empty()) {
      report_.add(element_path, "must not be empty");
      ok = false;
    } else {
      values.push_back(std::move(*text));
    }
  }
  if (ok && node(key).IsSequence()) out = std::move(values);
}

std::vector<std::pair<YAML::Node, std::string>> list_elements(const YAML::Node& node, const std::string& path,
                                                              ConfigReport& report) {
  std::vector<std::pair<YAML::Node, std::string>> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) {
    report.add(path, "expected a list, got " + describe_node_kind(node));
    return out;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    out.emplace_back(node[i], path + "[" + std::to_string(i) + "]");
  }
  return out;
}

}  // namespace gate::proxy
