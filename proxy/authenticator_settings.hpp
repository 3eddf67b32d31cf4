#pragma once
// What jwks::Authenticator is built from, read off the gate's config: the same for
// `serve` and `explain --token`, so both verify a token identically.
#include <vector>

#include "jwks/authenticator.hpp"
#include "proxy/config.hpp"

namespace gate::proxy {

// issuers[].verification, in config order.
std::vector<jwks::IssuerConfig> issuer_verification(const Config& config);
// limits.max_token_bytes; the rest at jwks/'s defaults.
jwks::AuthenticatorOptions authenticator_options(const Config& config);

}  // namespace gate::proxy
