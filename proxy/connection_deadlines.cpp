#include "proxy/connection_deadlines.hpp"

namespace gate::proxy {

std::string_view to_string(Deadline kind) {
  switch (kind) {
    case Deadline::connect: return "connect";
    case Deadline::exchange: return "exchange";
    case Deadline::write: return "write";
    case Deadline::read: return "read";
    case Deadline::idle: return "idle";
  }
  return "unknown";
}

ConnectionDeadlines::Ticket ConnectionDeadlines::start(Deadline kind, Clock::time_point now, Clock::duration limit) {
  const Ticket ticket = next_ticket_++;
  // A limit so large that now + limit would overflow means "no deadline" in
  // practice; saturate instead of wrapping into the past.
  const auto room = Clock::time_point::max() - now;
  const auto deadline = limit >= room ? Clock::time_point::max() : now + limit;
  waits_.push_back(Wait{ticket, kind, deadline});
  return ticket;
}

void ConnectionDeadlines::end(Ticket ticket) {
  std::erase_if(waits_, [ticket](const Wait& wait) { return wait.ticket == ticket; });
}

std::optional<ConnectionDeadlines::Clock::time_point> ConnectionDeadlines::next() const {
  if (expired_) return std::nullopt;
  std::optional<Clock::time_point> earliest;
  for (const auto& wait : waits_) {
    if (!earliest || wait.deadline < *earliest) earliest = wait.deadline;
  }
  return earliest;
}

std::optional<Deadline> ConnectionDeadlines::expire(Clock::time_point now) {
  if (expired_) return expired_;
  const Wait* first = nullptr;
  for (const auto& wait : waits_) {
    if (wait.deadline <= now && (!first || wait.deadline < first->deadline)) first = &wait;
  }
  if (first) {
    expired_ = first->kind;
    waits_.clear();
  }
  return expired_;
}

}  // namespace gate::proxy
