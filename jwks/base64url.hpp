#pragma once
// RFC 7515 §2 base64url without padding, decoded strictly: only A-Z a-z 0-9 - _,
// no '=', no whitespace, length mod 4 != 1, and unused trailing bits must be zero,
// so every byte string has exactly one accepted encoding (no token malleability).
#include <optional>
#include <string>
#include <string_view>

namespace gate::jwks {

std::optional<std::string> base64url_decode(std::string_view text);

// The same into `out`, reusing its capacity (the verifier's per-thread buffers).
// On failure `out` holds garbage and false is returned.
bool base64url_decode_into(std::string_view text, std::string& out);

std::string base64url_encode(std::string_view bytes);

}  // namespace gate::jwks
