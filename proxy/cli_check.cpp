#include <cstdio>

#include "proxy/cli_commands.hpp"

namespace gate::proxy {

int run_check(std::span<char* const>) {
  std::fprintf(stderr, "libsql-gate check: not yet implemented\n");
  return 2;
}

}  // namespace gate::proxy
