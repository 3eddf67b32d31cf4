#pragma once
// JSON for security decisions: a duplicate member name is an error (parsers disagree
// on which copy wins, so an attacker could show the gate one `exp` and an upstream
// another), and nesting is bounded. Our own one-pass parser builds the nlohmann tree
// directly (it accepts what nlohmann's parser accepts, except bytes after a NUL,
// which nlohmann takes for the end of input); it is on every cold token's path.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gate::jwks {

inline constexpr std::size_t kMaxJsonDepth = 32;

enum class StrictJsonError : std::uint8_t {
  not_json,          // syntax error, invalid UTF-8, trailing bytes (NUL too), number overflow
  duplicate_member,  // the same name twice in one object
  too_deep,          // more than max_depth nested arrays/objects
};

struct StrictJsonParse {
  std::optional<nlohmann::json> value;
  std::optional<StrictJsonError> error;  // set exactly when value is empty
};

StrictJsonParse parse_strict_json(std::string_view text, std::size_t max_depth = kMaxJsonDepth);

}  // namespace gate::jwks
