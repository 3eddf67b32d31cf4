#include <doctest/doctest.h>

#include "proxy/stream_registry.hpp"

using namespace gate::proxy;
using namespace std::chrono_literals;

TEST_CASE("streams: a baton belongs to the principal whose request produced it") {
  StreamRegistry streams(10s);
  const auto t0 = StreamRegistry::Clock::now();
  const StreamOwner alice{"https://issuer", "alice"};
  const StreamOwner mallory{"https://issuer", "mallory"};
  const StreamOwner alice_elsewhere{"https://other-issuer", "alice"};

  REQUIRE(streams.advance(std::nullopt, std::string("b1"), alice, {{1, "SELECT 1"}}, t0));
  auto mine = streams.lookup("b1", alice, t0 + 1s);
  CHECK(mine.status == BatonStatus::current);
  CHECK(mine.stored == hrana::StoredSql{{1, "SELECT 1"}});
  CHECK(streams.lookup("b1", mallory, t0 + 1s).status == BatonStatus::foreign);
  CHECK(streams.lookup("b1", alice_elsewhere, t0 + 1s).status == BatonStatus::foreign);
  CHECK(streams.lookup("forged", alice, t0 + 1s).status == BatonStatus::unknown);
}

TEST_CASE("streams: each answer spends the previous baton") {
  StreamRegistry streams(10s);
  const auto t0 = StreamRegistry::Clock::now();
  const StreamOwner alice{"iss", "alice"};
  streams.advance(std::nullopt, std::string("b1"), alice, {}, t0);
  streams.advance(std::string("b1"), std::string("b2"), alice, {{3, "x"}}, t0 + 1s);
  CHECK(streams.lookup("b1", alice, t0 + 1s).status == BatonStatus::unknown);
  CHECK(streams.lookup("b2", alice, t0 + 1s).stored.size() == 1);
  // Upstream closed the stream: nothing is current any more.
  streams.advance(std::string("b2"), std::nullopt, alice, {}, t0 + 2s);
  CHECK(streams.lookup("b2", alice, t0 + 2s).status == BatonStatus::unknown);
  CHECK(streams.size() == 0);
}

TEST_CASE("streams: idle streams expire and lookups do not extend them") {
  StreamRegistry streams(10s);
  const auto t0 = StreamRegistry::Clock::now();
  const StreamOwner alice{"iss", "alice"};
  streams.advance(std::nullopt, std::string("b1"), alice, {}, t0);
  CHECK(streams.lookup("b1", alice, t0 + 9s).status == BatonStatus::current);
  CHECK(streams.lookup("b1", alice, t0 + 10s).status == BatonStatus::expired);
  // A later registration sweeps it away.
  streams.advance(std::nullopt, std::string("b2"), alice, {}, t0 + 12s);
  CHECK(streams.lookup("b1", alice, t0 + 12s).status == BatonStatus::unknown);
}

TEST_CASE("streams: the default lifetime follows sqld's 10 s stream expiry") {
  CHECK(StreamRegistry::kSqldStreamLifetime >= 10s);
  CHECK(StreamRegistry::kSqldStreamLifetime <= 11s);
}

TEST_CASE("streams: bounded size and stored texts") {
  StreamRegistry streams(10s, 2, 1);
  const StreamOwner alice{"iss", "alice"};
  CHECK(streams.advance(std::nullopt, std::string("a"), alice, {}));
  CHECK(streams.advance(std::nullopt, std::string("b"), alice, {}));
  CHECK_FALSE(streams.advance(std::nullopt, std::string("c"), alice, {}));
  streams.forget("a");
  CHECK_FALSE(streams.advance(std::nullopt, std::string("d"), alice, {{1, "x"}, {2, "y"}}));
  CHECK(streams.advance(std::nullopt, std::string("d"), alice, {{1, "x"}}));
}
