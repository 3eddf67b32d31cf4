#include "proxy/cli_args.hpp"

#include <algorithm>

namespace gate::proxy {

CliArgs::Parse CliArgs::parse(std::span<char* const> args, std::span<const FlagSpec> specs) {
  CliArgs out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--") || arg.size() == 2) {
      return {std::nullopt, "unexpected argument '" + std::string(arg) + "'"};
    }
    arg.remove_prefix(2);
    std::optional<std::string_view> inline_value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto spec = std::find_if(specs.begin(), specs.end(), [&](const FlagSpec& s) { return s.name == arg; });
    if (spec == specs.end()) return {std::nullopt, "unknown flag --" + std::string(arg)};

    std::string value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return {std::nullopt, "flag --" + std::string(arg) + " needs a value"};
      }
    } else if (inline_value) {
      return {std::nullopt, "flag --" + std::string(arg) + " takes no value"};
    }

    auto& slot = out.values_[std::string(arg)];
    if (!slot.empty() && !spec->repeatable) {
      return {std::nullopt, "flag --" + std::string(arg) + " given more than once"};
    }
    slot.push_back(std::move(value));
  }
  return {std::move(out), {}};
}

std::optional<std::string> CliArgs::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}

std::vector<std::string> CliArgs::all(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool CliArgs::has(std::string_view name) const { return values_.contains(name); }

}  // namespace gate::proxy
