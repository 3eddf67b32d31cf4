#include "proxy/config.hpp"

namespace gate::proxy {

// Placeholder: the real parser lands with the foundation's config work.
ConfigLoad parse_config(std::string_view, const std::string&) {
  return {std::nullopt, {{"", "config parsing not yet implemented"}}};
}

ConfigLoad load_config_file(const std::string& path) { return parse_config({}, path); }

}  // namespace gate::proxy
