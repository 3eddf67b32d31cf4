#pragma once
// From a verified token to what its holder may do here (SPEC §5), computed once per
// token: the claims go through the issuer's claim mapping and the database scope
// check, and the result is kept as long as the verified token itself is cached, so
// a warm token costs a pointer lookup, not a walk over its claims.
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jwks/verifier.hpp"
#include "policy/grants.hpp"
#include "proxy/config.hpp"

namespace gate::proxy {

// The config entry whose issuers[].name is `name`; nullptr when none.
const IssuerEntry* find_issuer(const Config& config, std::string_view name);

struct PrincipalGrants {
  policy::Grants grants;                    // empty when the scope check failed
  std::optional<std::string> scope_error;   // set: 403 AUTH_DATABASE_SCOPE with this message
  std::size_t unknown_actions = 0;          // ignored action names (logged)
};

// The claims of a token verified by `issuer` against this gate's database.
PrincipalGrants principal_grants(const IssuerEntry& issuer, const policy::DatabaseIdentity& database,
                                 const nlohmann::json& claims);

// PrincipalGrants by verified token. The token cache hands back the same
// VerifiedToken object for every hit, so its address is the key; a weak reference
// tells a live entry from one whose token was evicted (and whose address may have
// been reused). Bounded: when full, entries of evicted tokens are dropped, and if
// none were, everything (recomputing is correct, only slower). Thread-safe.
class GrantsCache {
 public:
  explicit GrantsCache(std::size_t capacity = 100'000) : capacity_(capacity) {}

  std::shared_ptr<const PrincipalGrants> find(const std::shared_ptr<const jwks::VerifiedToken>& token) const;
  void insert(const std::shared_ptr<const jwks::VerifiedToken>& token,
              std::shared_ptr<const PrincipalGrants> grants);

 private:
  struct Entry {
    std::weak_ptr<const jwks::VerifiedToken> token;
    std::shared_ptr<const PrincipalGrants> grants;
  };
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_map<const jwks::VerifiedToken*, Entry> entries_;
};

}  // namespace gate::proxy
