#include "proxy/stream_registry.hpp"

namespace gate::proxy {

std::string_view to_string(BatonStatus status) {
  switch (status) {
    case BatonStatus::current: return "current";
    case BatonStatus::unknown: return "unknown";
    case BatonStatus::expired: return "expired";
    case BatonStatus::foreign: return "foreign";
  }
  return "unknown";
}

BatonLookup StreamRegistry::lookup(std::string_view baton, const StreamOwner& owner, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(std::string(baton));
  if (it == streams_.end()) return {BatonStatus::unknown, {}};
  if (it->second.expires_at <= now) return {BatonStatus::expired, {}};
  if (!(it->second.owner == owner)) return {BatonStatus::foreign, {}};
  return {BatonStatus::current, it->second.stored};
}

bool StreamRegistry::advance(const std::optional<std::string>& previous, const std::optional<std::string>& next,
                             const StreamOwner& owner, hrana::StoredSql stored, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (previous) streams_.erase(*previous);
  sweep_locked(now);
  if (!next) return true;
  if (streams_.size() >= max_streams_ || stored.size() > max_stored_sql_) return false;
  streams_[*next] = Stream{owner, now + lifetime_, std::move(stored)};
  return true;
}

void StreamRegistry::forget(std::string_view baton) {
  std::lock_guard lock(mutex_);
  streams_.erase(std::string(baton));
}

std::size_t StreamRegistry::size() const {
  std::lock_guard lock(mutex_);
  return streams_.size();
}

// Expired streams are removed at most once a second, so the cost stays one pass
// per second however busy the gate is.
void StreamRegistry::sweep_locked(Clock::time_point now) {
  if (now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  std::erase_if(streams_, [now](const auto& entry) { return entry.second.expires_at <= now; });
}

}  // namespace gate::proxy
