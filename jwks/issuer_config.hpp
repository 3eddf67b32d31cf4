#pragma once
// Plain settings for one trusted issuer's token verification and key source
// (SPEC §2 issuers[]; filled by proxy/config).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "jwks/algorithm.hpp"

namespace gate::jwks {

enum class KeySourceKind {
  jwks_uri,   // location: the JWKS URL (http or https)
  discovery,  // location: issuer + "/.well-known/openid-configuration"
  jwks_file,  // location: path of a JWKS document
  keys_file,  // location: path of a PEM public key (or several, concatenated)
};

struct IssuerConfig {
  std::string name;    // label used in logs and metrics
  std::string issuer;  // exact `iss`
  KeySourceKind key_source = KeySourceKind::jwks_uri;
  std::string key_location;
  std::vector<std::string> audiences;
  std::vector<std::string> authorized_parties;
  std::vector<Algorithm> algorithms{Algorithm::RS256};
  std::int64_t clock_skew_s = 30;
  std::int64_t refresh_interval_s = 600;
  std::int64_t min_refresh_interval_s = 30;
  std::int64_t max_stale_s = 86400;
  std::optional<std::string> ca_file;
};

}  // namespace gate::jwks
