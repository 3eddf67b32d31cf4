#include "proxy/authenticator_settings.hpp"

namespace gate::proxy {

std::vector<jwks::IssuerConfig> issuer_verification(const Config& config) {
  std::vector<jwks::IssuerConfig> out;
  out.reserve(config.issuers.size());
  for (const IssuerEntry& entry : config.issuers) out.push_back(entry.verification);
  return out;
}

jwks::AuthenticatorOptions authenticator_options(const Config& config) {
  jwks::AuthenticatorOptions options;
  options.max_token_bytes = static_cast<std::size_t>(config.limits.max_token_bytes);
  return options;
}

}  // namespace gate::proxy
