#pragma once
// Finds a claim by the path an operator configured (`perm`, `o.rol`,
// `public_metadata.role`, `https://example.com/roles`).
#include <string_view>

#include <nlohmann/json.hpp>

namespace gate::policy {

// Dots separate levels, but Auth0 namespaced claims are URLs whose key itself
// contains dots. So at each level the longest run of segments that is an existing
// key wins; if what follows it does not resolve, shorter runs are tried. Returns
// nullptr when nothing matches, the path is empty, or a level is not an object.
// Never throws: only objects are indexed, and only with find().
const nlohmann::json* find_claim(const nlohmann::json& claims, std::string_view path);

}  // namespace gate::policy
