#include "proxy/config_env_expand.hpp"

#include <cstdlib>

namespace gate::proxy {

namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

EnvExpansion expand_env(std::string_view text, const EnvLookup& lookup) {
  EnvExpansion out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i).starts_with("$${")) {
      out.value += "${";
      i += 3;
      continue;
    }
    if (!text.substr(i).starts_with("${")) {
      out.value += text[i++];
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return {{}, "unterminated '${' (write '$${' for a literal '${')"};
    }
    std::string name(text.substr(i + 2, close - i - 2));
    std::optional<std::string> fallback;
    if (auto dash = name.find(":-"); dash != std::string::npos) {
      fallback = name.substr(dash + 2);
      name.resize(dash);
    }
    bool valid = !name.empty() && is_name_start(name.front());
    for (char c : name) valid = valid && is_name_char(c);
    if (!valid) {
      return {{}, "'${" + name + "}' is not a valid environment variable reference (names are [A-Za-z_][A-Za-z0-9_]*)"};
    }
    auto value = lookup(name);
    if (fallback && (!value || value->empty())) value = fallback;
    if (!value) return {{}, "environment variable " + name + " is not set"};
    out.value += *value;
    i = close + 1;
  }
  return out;
}

}  // namespace gate::proxy
