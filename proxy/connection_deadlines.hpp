#pragma once
// The deadlines of one connection (a client's or an upstream one, HTTP or
// WebSocket) and the rule that says which of them closes it. SPEC: a wait for
// upstream is bounded by upstream.timeout_ms, a connection with no traffic by
// limits.idle_timeout_ms, and nothing else closes a connection.
//
// Why the gate keeps its own: Beast's basic_stream holds one deadline per
// direction and applies expires_after()/expires_never() only to the directions
// that have no operation in flight at that instant. A write that set its
// deadline while no read was pending, and cleared it once a read was, left the
// write's deadline on the read: a healthy WebSocket was closed with 1011 some
// 30 s after an unrelated write (#23). Here every wait holds a ticket of its
// own, so starting or ending one wait can never move another's deadline.
//
// Pure bookkeeping, no sockets and no clock of its own (the caller passes `now`):
// DeadlineTimer turns it into one Asio timer per connection.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace gate::proxy {

// What a connection is waiting for when its deadline passes.
enum class Deadline : std::uint8_t {
  connect,   // connect, TLS handshake, upgrade, hello (upstream.timeout_ms)
  exchange,  // the answer to a request sent upstream (upstream.timeout_ms)
  write,     // the peer to take what is written to it (upstream: timeout_ms; client: idle_timeout_ms)
  read,      // the rest of a message the peer has begun to send (idle_timeout_ms)
  idle,      // any traffic at all (idle_timeout_ms)
};

std::string_view to_string(Deadline kind);

class ConnectionDeadlines {
 public:
  using Clock = std::chrono::steady_clock;
  using Ticket = std::uint64_t;

  // A wait of `kind` begins at `now` and may last `limit`. Waits of any kinds may
  // overlap (a read and a write, many exchanges in flight); each has its own
  // deadline.
  Ticket start(Deadline kind, Clock::time_point now, Clock::duration limit);
  // That wait is over, however it ended. Ending a ticket twice, or one of a
  // connection that already expired, does nothing.
  void end(Ticket ticket);
  // The earliest deadline of the waits in progress; nullopt when none waits (or
  // the connection has expired already: nothing more to watch).
  std::optional<Clock::time_point> next() const;
  // At `now`, has a wait outlived its deadline? The first one found (earliest
  // deadline) decides, once: the connection is over from then on, and every
  // later call answers the same kind.
  std::optional<Deadline> expire(Clock::time_point now);
  // The kind that expired, if one has.
  std::optional<Deadline> expired() const { return expired_; }
  // Waits in progress.
  std::size_t waiting() const { return waits_.size(); }

 private:
  struct Wait {
    Ticket ticket;
    Deadline kind;
    Clock::time_point deadline;
  };
  // A connection has a handful of waits at a time: a flat vector costs no
  // allocation per wait once it has grown (waits start and end per request).
  std::vector<Wait> waits_;
  Ticket next_ticket_ = 1;
  std::optional<Deadline> expired_;
};

}  // namespace gate::proxy
