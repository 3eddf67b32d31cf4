#pragma once
// Which principal owns which Hrana-over-HTTP stream. Every baton upstream returns
// is registered to the principal that caused it; a request naming a baton that is
// unknown (forged, from before a restart), expired, or owned by someone else is
// refused before it reaches upstream (SPEC §3). The texts a stream stored with
// store_sql live here too, so execution by sql_id is authorized on the real text.
// Thread-safe: sessions on every worker share one registry.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxy/hrana_json.hpp"

namespace gate::proxy {

struct StreamOwner {
  std::string issuer;
  std::string subject;
  friend bool operator==(const StreamOwner&, const StreamOwner&) = default;
};

enum class BatonStatus { current, unknown, expired, foreign };

std::string_view to_string(BatonStatus status);

struct BatonLookup {
  BatonStatus status = BatonStatus::unknown;
  hrana::StoredSql stored;  // the stream's stored texts when status is current
};

class StreamRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  // sqld expires a stream after 10 s without a request, rounded up to the next
  // second (libsql-server hrana/http/stream.rs EXPIRATION): 11 s never refuses a
  // baton sqld would still accept.
  static constexpr std::chrono::seconds kSqldStreamLifetime{11};

  explicit StreamRegistry(Clock::duration lifetime = kSqldStreamLifetime, std::size_t max_streams = 100000,
                          std::size_t max_stored_sql_per_stream = 1000)
      : lifetime_(lifetime), max_streams_(max_streams), max_stored_sql_(max_stored_sql_per_stream) {}

  // Looking a baton up does not extend its life: only a request that reached
  // upstream does (as in sqld).
  BatonLookup lookup(std::string_view baton, const StreamOwner& owner, Clock::time_point now = Clock::now()) const;

  // Records the answer upstream gave to a forwarded request: `previous` (the
  // request's baton, nullopt when the request opened a new stream) is spent and
  // `next` (nullopt when upstream closed the stream) becomes the stream's baton.
  // Returns false when the stream could not be registered (registry full, or too
  // many stored texts): its next request will be refused.
  bool advance(const std::optional<std::string>& previous, const std::optional<std::string>& next,
               const StreamOwner& owner, hrana::StoredSql stored, Clock::time_point now = Clock::now());

  // Drops a stream (upstream answered with an HTTP error: the stream is gone).
  void forget(std::string_view baton);

  std::size_t size() const;

 private:
  struct Stream {
    StreamOwner owner;
    Clock::time_point expires_at;
    hrana::StoredSql stored;
  };
  void sweep_locked(Clock::time_point now);

  const Clock::duration lifetime_;
  const std::size_t max_streams_;
  const std::size_t max_stored_sql_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Stream> streams_;  // by current baton
  Clock::time_point last_sweep_{};
};

}  // namespace gate::proxy
