#pragma once
// Which config file a subcommand was given: `--config FILE`, else the
// LIBSQL_GATE_CONFIG environment variable (SPEC §1). Shared by serve, check and explain.
#include <optional>
#include <string>

#include "proxy/cli_args.hpp"

namespace gate::proxy {

// nullopt when neither is given (or the variable is empty).
std::optional<std::string> config_file_argument(const CliArgs& args);

}  // namespace gate::proxy
