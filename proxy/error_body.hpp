#pragma once
// The JSON error body of SPEC §4: {"message", "code", "error"} — message and code
// are the Hrana Error structure libSQL clients surface, error mirrors sqld's field.
#include <string>
#include <string_view>

namespace gate::proxy {

std::string error_body(std::string_view message, std::string_view code);

}  // namespace gate::proxy
