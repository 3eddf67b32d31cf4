#pragma once
// The seven actions a grant or a statement can name (SPEC §5).
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gate::policy {

enum class Action : std::uint8_t {
  data_read,
  data_add,
  data_update,
  data_delete,
  schema_add,
  schema_update,
  schema_delete,
};

inline constexpr std::array<Action, 7> kAllActions{
    Action::data_read,  Action::data_add,      Action::data_update,   Action::data_delete,
    Action::schema_add, Action::schema_update, Action::schema_delete,
};

std::string_view to_string(Action action);

// Exact, case-sensitive match of the names above; anything else is unknown.
std::optional<Action> parse_action(std::string_view name);

}  // namespace gate::policy
