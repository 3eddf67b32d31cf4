#pragma once
// How long an issuer waits before retrying after failed key refreshes.
#include <chrono>
#include <cstdint>

#include "jwks/issuer_config.hpp"

namespace gate::jwks {

// Exponential from the fetch floor (min_refresh_interval_s, at least 1 s), doubling
// per consecutive failure, capped at refresh_interval_s; "equal jitter" (half fixed,
// half from `random`) so that many gates restarted together spread out; never below
// the floor. failures >= 1.
std::chrono::milliseconds refresh_backoff(int failures, const IssuerConfig& config,
                                          std::uint64_t random);

}  // namespace gate::jwks
