#include "proxy/deadline_timer.hpp"

namespace gate::proxy {

struct DeadlineTimer::State : std::enable_shared_from_this<State> {
  using Clock = ConnectionDeadlines::Clock;

  State(const asio::any_io_executor& executor, std::function<void(Deadline)> expiry)
      : timer(executor), on_expiry(std::move(expiry)) {}

  asio::steady_timer timer;
  std::function<void(Deadline)> on_expiry;
  ConnectionDeadlines deadlines;
  std::optional<Clock::time_point> armed_for;  // the deadline the timer waits for
  // Bumped whenever the pending wait is superseded: a completion that was
  // already queued when the timer was re-armed or cancelled is ignored.
  std::uint64_t generation = 0;
  bool stopped = false;

  // Waits for the earliest deadline. The timer is moved only when a deadline
  // earlier than the one it waits for appears; a wait that ended early leaves it
  // armed, and its firing finds nothing expired and re-arms (cheaper than
  // re-arming on every end, which is the common case).
  void arm() {
    const auto next = deadlines.next();
    if (!next || stopped) return;
    if (armed_for && *armed_for <= *next) return;
    armed_for = *next;
    const std::uint64_t mine = ++generation;
    timer.expires_at(*next);
    timer.async_wait([self = shared_from_this(), mine](const boost::system::error_code& ec) {
      if (ec == asio::error::operation_aborted || mine != self->generation || self->stopped) return;
      self->armed_for.reset();
      if (const auto kind = self->deadlines.expire(Clock::now())) {
        self->on_expiry(*kind);
        return;
      }
      self->arm();
    });
  }
};

DeadlineTimer::DeadlineTimer(const asio::any_io_executor& executor, std::function<void(Deadline)> on_expiry)
    : state_(std::make_shared<State>(executor, std::move(on_expiry))) {}

DeadlineTimer::~DeadlineTimer() {
  state_->stopped = true;
  ++state_->generation;
  state_->timer.cancel();
}

DeadlineTimer::Ticket DeadlineTimer::start(Deadline kind, std::chrono::steady_clock::duration limit) {
  const Ticket ticket = state_->deadlines.start(kind, State::Clock::now(), limit);
  state_->arm();
  return ticket;
}

void DeadlineTimer::end(Ticket ticket) { state_->deadlines.end(ticket); }

std::optional<Deadline> DeadlineTimer::expired() const { return state_->deadlines.expired(); }

}  // namespace gate::proxy
