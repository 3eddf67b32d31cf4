// libsql-gate entry point: dispatches to the subcommands of SPEC §1.
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>

#include "policy/sqlite_connection.hpp"
#include "proxy/cli_commands.hpp"

int main(int argc, char** argv) {
  using namespace gate::proxy;
  // Before any SQLite use (serve's and explain's schema copies). Without it the
  // per-analysis memory bound would not hold: refuse to run rather than serve
  // unbounded.
  if (!gate::policy::initialize_sqlite()) {
    std::fprintf(stderr, "libsql-gate: SQLite could not be configured (allocator, memstatus)\n");
    return 1;
  }
  if (argc < 2) {
    print_usage();
    return 2;
  }
  std::string_view command = argv[1];
  std::span<char* const> rest(argv + 2, static_cast<std::size_t>(argc - 2));

  if (command == "serve") return run_serve(rest);
  if (command == "check") return run_check(rest);
  if (command == "explain") return run_explain(rest);
  if (command == "keygen") return run_keygen(rest);
  if (command == "mint") return run_mint(rest);
  if (command == "version" || command == "--version") return run_version(rest);
  if (command == "help" || command == "--help" || command == "-h") {
    print_usage();
    return 0;
  }
  std::fprintf(stderr, "libsql-gate: unknown command '%s'\n", argv[1]);
  print_usage();
  return 2;
}
