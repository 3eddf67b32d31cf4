#pragma once
// One function per `libsql-gate` subcommand (SPEC §1), each in its own cli_*.cpp.
// `args` are the words after the subcommand. Exit codes: 0 success, 1 the command
// ran and failed (bad config, denied...), 2 usage error.
#include <span>

namespace gate::proxy {

int run_serve(std::span<char* const> args);
int run_check(std::span<char* const> args);
int run_explain(std::span<char* const> args);
int run_keygen(std::span<char* const> args);
int run_mint(std::span<char* const> args);
int run_version(std::span<char* const> args);

// Prints the whole usage text to stderr.
void print_usage();

}  // namespace gate::proxy
