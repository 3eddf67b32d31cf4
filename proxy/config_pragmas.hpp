#pragma once
// Which pragma names `policy.allowed_pragmas` may list. Only pragmas whose query
// form (no assignment) reads and has no side effect are allowed; SPEC §6 denies
// every pragma assignment regardless of this list.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gate::proxy {

// The allow-list, in a fixed order (for messages and docs).
std::span<const std::string_view> reading_pragma_names();

// nullopt when `name` (lower case) may be allowed; otherwise why not.
std::optional<std::string> pragma_rejection(std::string_view name);

}  // namespace gate::proxy
