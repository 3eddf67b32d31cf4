#pragma once
// Flags of one CLI subcommand: "--name value" or "--name=value"; a flag may be
// repeatable (mint's --perm). Unknown, duplicated or valueless flags are errors,
// which the caller turns into usage + exit 2.
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gate::proxy {

struct FlagSpec {
  std::string_view name;  // without the leading "--"
  bool repeatable = false;
  bool takes_value = true;
};

class CliArgs {
 public:
  struct Parse;
  static Parse parse(std::span<char* const> args, std::span<const FlagSpec> specs);

  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
  bool has(std::string_view name) const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> values_;
};

struct CliArgs::Parse {
  std::optional<CliArgs> args;
  std::string error;  // set when args is empty, e.g. "unknown flag --cofig"
};

}  // namespace gate::proxy
