#include "policy/claim_path.hpp"

#include <string>

namespace gate::policy {

namespace {

// Backtracking is bounded by the configured path (a handful of dots), never by
// anything in the token: the token only decides which keys exist.
constexpr int kMaxDepth = 32;

const nlohmann::json* find_from(const nlohmann::json& node, std::string_view rest, int depth) {
  if (depth > kMaxDepth || !node.is_object()) return nullptr;
  std::size_t end = rest.size();
  while (true) {
    auto it = node.find(std::string(rest.substr(0, end)));
    if (it != node.end()) {
      if (end == rest.size()) return &*it;
      if (const auto* found = find_from(*it, rest.substr(end + 1), depth + 1)) return found;
    }
    if (end == 0) return nullptr;
    end = rest.rfind('.', end - 1);
    if (end == std::string_view::npos) return nullptr;
  }
}

}  // namespace

const nlohmann::json* find_claim(const nlohmann::json& claims, std::string_view path) {
  if (path.empty()) return nullptr;
  return find_from(claims, path, 0);
}

}  // namespace gate::policy
