#include "proxy/error_body.hpp"

#include <nlohmann/json.hpp>

namespace gate::proxy {

std::string error_body(std::string_view message, std::string_view code) {
  const nlohmann::json body{{"message", message}, {"code", code}, {"error", message}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gate::proxy
