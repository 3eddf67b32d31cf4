#include "jwks/algorithm.hpp"

namespace gate::jwks {

namespace {
constexpr std::array<std::string_view, kAllAlgorithms.size()> kNames{
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
};
}  // namespace

std::string_view to_string(Algorithm alg) { return kNames[static_cast<std::size_t>(alg)]; }

std::optional<Algorithm> parse_algorithm(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return kAllAlgorithms[i];
  }
  return std::nullopt;
}

}  // namespace gate::jwks
