#pragma once
// ConnectionDeadlines on a clock: one Asio timer per connection, armed for the
// earliest deadline of the waits in progress. When a wait outlives its deadline
// the timer calls `on_expiry` once with its kind; that closes the connection, so
// every pending operation on it fails, and whoever sees the failure asks
// expired() whether a deadline was the cause.
//
// Operations never touch the stream's own deadlines (beast::tcp_stream's
// expires_after): see connection_deadlines.hpp for why. Used on the
// connection's thread only.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "common/asio.hpp"
#include "proxy/connection_deadlines.hpp"

namespace gate::proxy {

class DeadlineTimer {
 public:
  using Ticket = ConnectionDeadlines::Ticket;

  DeadlineTimer(const asio::any_io_executor& executor, std::function<void(Deadline)> on_expiry);
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // A wait of `kind` begins now and may last `limit`; end() it however it ends.
  Ticket start(Deadline kind, std::chrono::steady_clock::duration limit);
  void end(Ticket ticket);
  // The deadline that closed the connection, if one did.
  std::optional<Deadline> expired() const;

  // A wait that ends with the scope (one operation's deadline).
  class Wait {
   public:
    Wait(DeadlineTimer& timer, Deadline kind, std::chrono::steady_clock::duration limit)
        : timer_(timer), ticket_(timer.start(kind, limit)) {}
    ~Wait() { timer_.end(ticket_); }
    Wait(const Wait&) = delete;
    Wait& operator=(const Wait&) = delete;

   private:
    DeadlineTimer& timer_;
    Ticket ticket_;
  };

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the timer's pending handler
};

}  // namespace gate::proxy
