#include "policy/action.hpp"

namespace gate::policy {

namespace {
constexpr std::array<std::string_view, kAllActions.size()> kNames{
    "data_read",  "data_add",      "data_update",   "data_delete",
    "schema_add", "schema_update", "schema_delete",
};
}  // namespace

std::string_view to_string(Action action) { return kNames[static_cast<std::size_t>(action)]; }

std::optional<Action> parse_action(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return kAllActions[i];
  }
  return std::nullopt;
}

}  // namespace gate::policy
