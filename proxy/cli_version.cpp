#include <cstdio>

#include "proxy/cli_commands.hpp"
#include "proxy/version.hpp"

namespace gate::proxy {

int run_version(std::span<char* const> args) {
  if (!args.empty()) {
    std::fprintf(stderr, "libsql-gate version: takes no arguments\n");
    return 2;
  }
  std::printf("libsql-gate %s\n", kVersion);
  return 0;
}

}  // namespace gate::proxy
