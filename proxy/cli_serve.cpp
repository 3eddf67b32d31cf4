#include <cstdio>

#include "proxy/cli_commands.hpp"

namespace gate::proxy {

int run_serve(std::span<char* const>) {
  std::fprintf(stderr, "libsql-gate serve: not yet implemented\n");
  return 2;
}

}  // namespace gate::proxy
