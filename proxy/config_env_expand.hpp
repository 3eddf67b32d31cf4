#pragma once
// `${NAME}` references to the environment inside config values (SPEC §2).
// Expansion happens on each scalar value after YAML parsing, never on the raw text,
// so a variable's value can never add keys or change the document's structure.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gate::proxy {

// Returns the variable's value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Looks names up in the process environment (getenv).
EnvLookup process_environment();

struct EnvExpansion {
  std::string value;   // the expanded text, when error is empty
  std::string error;   // e.g. "environment variable DB_TOKEN is not set"
};

// Replaces each `${NAME}` (NAME = [A-Za-z_][A-Za-z0-9_]*) with the variable's value,
// `${NAME:-text}` with the value or, when unset or empty, `text` (taken literally),
// and `$${` with a literal `${`. A `$` not followed by `{` is kept as is. An unset
// variable without a fallback, an unterminated `${` or an invalid name is an error;
// a variable set to the empty string expands to "".
EnvExpansion expand_env(std::string_view text, const EnvLookup& lookup);

}  // namespace gate::proxy
