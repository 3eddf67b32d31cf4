#include <cstdio>
#include <filesystem>
#include <string>

#include "proxy/cli_args.hpp"
#include "proxy/cli_commands.hpp"
#include "proxy/config.hpp"
#include "proxy/config_file_argument.hpp"
#include "proxy/config_summary.hpp"

namespace gate::proxy {

// Exit codes: 0 valid, 1 the config has problems, 2 no usable config file was
// named (bad flags, no --config, a path that is not a readable file).
int run_check(std::span<char* const> args) {
  static constexpr FlagSpec kFlags[] = {{"config"}};
  auto parsed = CliArgs::parse(args, kFlags);
  if (!parsed.args) {
    std::fprintf(stderr, "libsql-gate check: %s\n", parsed.error.c_str());
    print_usage();
    return 2;
  }
  std::optional<std::string> path = config_file_argument(*parsed.args);
  if (!path) {
    std::fprintf(stderr, "libsql-gate check: no config given: pass --config FILE or set LIBSQL_GATE_CONFIG\n");
    return 2;
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(*path, ec)) {
    std::fprintf(stderr, "libsql-gate check: config file %s does not exist or is not a regular file\n",
                 path->c_str());
    return 2;
  }

  ConfigLoad load = load_config_file(*path);
  if (!load.config) {
    for (const auto& problem : load.problems) {
      std::fprintf(stderr, "%s\n", format_problem(problem, *path).c_str());
    }
    std::fprintf(stderr, "libsql-gate check: %s: %zu problem%s\n", path->c_str(), load.problems.size(),
                 load.problems.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("%s: OK\n%s", path->c_str(), describe_config(*load.config).c_str());
  return 0;
}

}  // namespace gate::proxy
