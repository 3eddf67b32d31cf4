#include "proxy/principal_grants.hpp"

#include "policy/claims_to_grants.hpp"

namespace gate::proxy {

const IssuerEntry* find_issuer(const Config& config, std::string_view name) {
  for (const IssuerEntry& entry : config.issuers) {
    if (entry.verification.name == name) return &entry;
  }
  return nullptr;
}

PrincipalGrants principal_grants(const IssuerEntry& issuer, const policy::DatabaseIdentity& database,
                                 const nlohmann::json& claims) {
  policy::GrantsResult result = policy::grants_from_claims(claims, issuer.claims, database);
  PrincipalGrants out;
  out.unknown_actions = result.unknown_actions;
  if (!result.scope.ok()) {
    out.scope_error = result.scope.message;
    return out;
  }
  out.grants = std::move(result.grants);
  return out;
}

std::shared_ptr<const PrincipalGrants> GrantsCache::find(
    const std::shared_ptr<const jwks::VerifiedToken>& token) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(token.get());
  if (it == entries_.end() || it->second.token.lock() != token) return nullptr;
  return it->second.grants;
}

void GrantsCache::insert(const std::shared_ptr<const jwks::VerifiedToken>& token,
                         std::shared_ptr<const PrincipalGrants> grants) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= capacity_) {
    std::erase_if(entries_, [](const auto& entry) { return entry.second.token.expired(); });
    if (entries_.size() >= capacity_) entries_.clear();
  }
  entries_[token.get()] = Entry{token, std::move(grants)};
}

}  // namespace gate::proxy
