#pragma once
// The gate's RequestGuard: jwks/ verifies the bearer token, the issuer's claim
// mapping turns its claims into grants (once per token), and a per-worker
// SqlAnalyzer over the upstream's schema decides every statement (SPEC §4–§6).
#include <memory>

#include "proxy/request_guard.hpp"

namespace gate::proxy {

// Needs context.upstream (schema fetches) and at least one context. Starts the
// JWKS refresh loops and the first schema fetch on contexts[0].
std::shared_ptr<RequestGuard> make_gate_guard(const GuardContext& context);

}  // namespace gate::proxy
