#include "proxy/config_file_argument.hpp"

#include <cstdlib>

namespace gate::proxy {

std::optional<std::string> config_file_argument(const CliArgs& args) {
  if (auto flag = args.get("config")) return flag;
  const char* from_env = std::getenv("LIBSQL_GATE_CONFIG");
  if (from_env == nullptr || *from_env == '\0') return std::nullopt;
  return std::string(from_env);
}

}  // namespace gate::proxy
