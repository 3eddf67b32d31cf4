#pragma once
// RFC 7515 §2 base64url without padding, decoded strictly: only A-Z a-z 0-9 - _,
// no '=', no whitespace, length mod 4 != 1, and unused trailing bits must be zero,
// so every byte string has exactly one accepted encoding (no token malleability).
#include <optional>
#include <string>
#include <string_view>

namespace gate::jwks {

std::optional<std::string> base64url_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);

}  // namespace gate::jwks
