// The rules of a connection's deadlines (connection_deadlines.hpp), with a clock
// the test moves: no sockets, no sleeping.
#include <doctest/doctest.h>

#include <chrono>

#include "proxy/connection_deadlines.hpp"
#include "proxy/deadline_timer.hpp"

using gate::proxy::ConnectionDeadlines;
using gate::proxy::Deadline;
using gate::proxy::DeadlineTimer;
using namespace std::chrono_literals;

namespace {
const ConnectionDeadlines::Clock::time_point t0{std::chrono::hours(1000)};
}

TEST_CASE("deadlines: a write's deadline never lands on a read that overlaps it") {
  // The #23 shape: a read begins after the write's deadline was set and is still
  // pending when the write ends. Only the read's own deadline may close it.
  ConnectionDeadlines deadlines;
  const auto write = deadlines.start(Deadline::write, t0, 30s);
  const auto read = deadlines.start(Deadline::read, t0 + 1s, 60s);
  deadlines.end(write);
  CHECK_FALSE(deadlines.expire(t0 + 31s));
  CHECK_FALSE(deadlines.expire(t0 + 60s));
  CHECK(deadlines.next() == t0 + 61s);
  CHECK(deadlines.expire(t0 + 61s) == Deadline::read);
  deadlines.end(read);  // after expiry: nothing changes
  CHECK(deadlines.expired() == Deadline::read);
}

TEST_CASE("deadlines: no wait, nothing expires however late") {
  ConnectionDeadlines deadlines;
  CHECK_FALSE(deadlines.next());
  CHECK_FALSE(deadlines.expire(t0 + 1000h));
  const auto wait = deadlines.start(Deadline::exchange, t0, 1s);
  deadlines.end(wait);
  deadlines.end(wait);  // twice: harmless
  CHECK_FALSE(deadlines.next());
  CHECK_FALSE(deadlines.expire(t0 + 1000h));
  CHECK(deadlines.waiting() == 0);
}

TEST_CASE("deadlines: each exchange in flight has its own deadline, answered ones drop out") {
  ConnectionDeadlines deadlines;
  const auto first = deadlines.start(Deadline::exchange, t0, 30s);
  const auto second = deadlines.start(Deadline::exchange, t0 + 10s, 30s);
  const auto third = deadlines.start(Deadline::exchange, t0 + 20s, 30s);
  CHECK(deadlines.next() == t0 + 30s);
  deadlines.end(first);
  CHECK(deadlines.next() == t0 + 40s);
  CHECK_FALSE(deadlines.expire(t0 + 39s));
  deadlines.end(third);
  CHECK(deadlines.waiting() == 1);
  CHECK(deadlines.expire(t0 + 40s) == Deadline::exchange);
  (void)second;
}

TEST_CASE("deadlines: a busy connection is not idle and an idle one is not busy") {
  // Traffic that keeps flowing (many short waits) never adds up to a timeout:
  // only one wait outliving its own limit does.
  ConnectionDeadlines deadlines;
  auto now = t0;
  for (int i = 0; i < 1000; ++i) {
    const auto exchange = deadlines.start(Deadline::exchange, now, 30s);
    const auto write = deadlines.start(Deadline::write, now, 30s);
    now += 20s;
    deadlines.end(write);
    CHECK_FALSE(deadlines.expire(now));
    deadlines.end(exchange);
  }
  CHECK_FALSE(deadlines.expired());
  CHECK_FALSE(deadlines.next());
}

TEST_CASE("deadlines: the earliest deadline decides the kind, once") {
  ConnectionDeadlines deadlines;
  deadlines.start(Deadline::idle, t0, 60s);
  deadlines.start(Deadline::exchange, t0 + 5s, 30s);
  deadlines.start(Deadline::write, t0 + 1s, 45s);
  // At t0 + 100 s all three are past; the exchange's (t0 + 35 s) came first.
  CHECK(deadlines.expire(t0 + 100s) == Deadline::exchange);
  CHECK_FALSE(deadlines.next());
  // A wait begun after expiry does not revive the connection.
  deadlines.start(Deadline::write, t0 + 101s, 1s);
  CHECK_FALSE(deadlines.next());
  CHECK(deadlines.expire(t0 + 200s) == Deadline::exchange);
}

TEST_CASE("deadlines: a limit too large to add to now never wraps into the past") {
  ConnectionDeadlines deadlines;
  deadlines.start(Deadline::idle, t0, ConnectionDeadlines::Clock::duration::max());
  CHECK(deadlines.next() == ConnectionDeadlines::Clock::time_point::max());
  CHECK_FALSE(deadlines.expire(t0 + 1000000h));
}

TEST_CASE("deadline timer: an ended wait never fires, the one left does, with its kind") {
  boost::asio::io_context io;
  std::optional<Deadline> fired;
  int calls = 0;
  DeadlineTimer timer(io.get_executor(), [&](Deadline kind) {
    fired = kind;
    ++calls;
  });
  {
    // Ends before anything runs: its (earlier) deadline must not close anything.
    DeadlineTimer::Wait write(timer, Deadline::write, 1ms);
  }
  timer.start(Deadline::exchange, 20ms);
  io.run();
  CHECK(calls == 1);
  CHECK(fired == Deadline::exchange);
  CHECK(timer.expired() == Deadline::exchange);
}

TEST_CASE("deadline timer: destroyed with waits pending, it calls nothing") {
  boost::asio::io_context io;
  int calls = 0;
  {
    DeadlineTimer timer(io.get_executor(), [&](Deadline) { ++calls; });
    timer.start(Deadline::idle, 1ms);
  }
  io.run();
  CHECK(calls == 0);
}
