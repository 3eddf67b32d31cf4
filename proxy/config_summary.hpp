#pragma once
// Human-readable renderings of a config load for `libsql-gate check` and the logs.
#include <string>
#include <string_view>

#include "proxy/config.hpp"

namespace gate::proxy {

// A multi-line summary: addresses, upstream (whether a credential is set and where
// from — never the token), database identity, policy, limits, logging, issuers.
std::string describe_config(const Config& config);

// "path.to.key: reason"; problems about the whole document are named by `source`
// (the config file's path).
std::string format_problem(const ConfigProblem& problem, std::string_view source);

}  // namespace gate::proxy
