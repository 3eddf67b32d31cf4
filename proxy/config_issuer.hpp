#pragma once
// One `issuers[i]` entry of the config (SPEC §2): verification settings, key
// source and the claims-to-grants mapping, validated field by field.
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "proxy/config.hpp"
#include "proxy/config_yaml_reader.hpp"

namespace gate::proxy {

// The entry as far as it could be read; its problems are reported under `path`
// (the caller uses the entry only when the whole config has none). nullopt when the
// node is not a mapping at all.
std::optional<IssuerEntry> read_issuer(const YAML::Node& node, const std::string& path, const std::string& base_dir,
                                       ConfigReport& report);

}  // namespace gate::proxy
