#include <cstdio>

#include "proxy/cli_commands.hpp"

namespace gate::proxy {

// Placeholder until its issue lands; exit 2 so scripts cannot mistake it for success.
int run_keygen(std::span<char* const>) {
  std::fprintf(stderr, "libsql-gate keygen: not yet implemented\n");
  return 2;
}

}  // namespace gate::proxy
