#pragma once
// What the gate remembers about one Hrana WebSocket connection (Hrana 3 spec,
// "Hrana over WebSocket"), apart from its sockets: who authenticated it, the SQL
// texts the client stored (per connection over WebSocket, unlike HTTP's per
// stream), the cursors the gate refused to open, and the requests forwarded
// upstream and not yet answered. Pure bookkeeping, no I/O: the session
// (ws_session.cpp) asks it what a message means and tells it what was sent.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proxy/connection_deadlines.hpp"
#include "proxy/hrana_json.hpp"
#include "proxy/hrana_ws.hpp"
#include "proxy/request_guard.hpp"

namespace gate::proxy {

class WsConnectionState {
 public:
  using Clock = std::chrono::steady_clock;

  // At most this many SQL texts stored at once (sqld allows 150): a store_sql
  // beyond it is answered with an error and not forwarded.
  static constexpr std::size_t kMaxStoredSql = 1000;

  // `version`: the negotiated Hrana version (1, 2 or 3).
  explicit WsConnectionState(int version) : version_(version) {}

  int version() const { return version_; }

  enum class HelloOutcome {
    first,               // the connection is authenticated from now on
    renewed,             // the same principal, with a new token
    other_principal,     // refused: the connection belongs to the first principal
    repeat_unsupported,  // refused: hrana1 has no repeated hello (a protocol error)
  };
  // A hello whose token verified as `principal`. Takes the principal and the
  // token (verified again for every request) when the outcome is first or renewed.
  HelloOutcome hello(const Principal& principal, const std::string& token);
  bool authenticated() const { return principal_.has_value(); }
  const Principal& principal() const { return *principal_; }
  const std::string& token() const { return token_; }

  // Why `request` breaks the protocol (the connection is closed with this reason),
  // or nullopt: a request before hello, a request type newer than the negotiated
  // version, a request id still outstanding, a store_sql id in use, an
  // open_cursor on an id the gate refused and the client did not close yet.
  std::optional<std::string> violation(std::int32_t request_id, const hrana::ws::Request& request) const;

  // The SQL `request` would run with sql_id references resolved against the texts
  // stored so far: one entry (or none, for requests that run no SQL).
  std::vector<hrana::RequestStatements> statements(const hrana::ws::Request& request) const;

  // A store_sql beyond kMaxStoredSql.
  bool storage_full(const hrana::ws::Request& request) const;
  // One store_sql of an id: a close_sql and a new store_sql of the same id may
  // follow before upstream answers the first.
  struct StoreTicket {
    std::int32_t sql_id = 0;
    std::uint64_t generation = 0;
  };
  // `request` goes upstream: store_sql / close_sql change the stored texts now,
  // in the order the client sent them (upstream applies them in that order too).
  // A store_sql returns its ticket.
  std::optional<StoreTicket> sent(const hrana::ws::Request& request);
  // Upstream refused that store_sql: its text is not stored there either. A later
  // store of the same id (after a close_sql) is left alone.
  void store_failed(const StoreTicket& ticket);

  // Cursors whose open_cursor the gate refused: upstream never saw them, so the
  // gate answers their fetch_cursor (error) and close_cursor (ok) itself.
  void cursor_refused(std::int32_t cursor_id) { refused_cursors_.insert(cursor_id); }
  bool refused_cursor(std::int32_t cursor_id) const { return refused_cursors_.count(cursor_id) != 0; }
  void refused_cursor_closed(std::int32_t cursor_id) { refused_cursors_.erase(cursor_id); }

  // A request forwarded upstream and not yet answered.
  struct Pending {
    hrana::ws::RequestType type = hrana::ws::RequestType::open_stream;
    Clock::time_point received;
    Clock::time_point sent;
    bool changes_schema = false;           // DDL allowed: refresh the schema after response_ok
    std::string outcome = "allowed";       // for the access log: "allowed" or "audit_denied"
    std::vector<TouchedTable> touched;     // for the access log
    std::optional<StoreTicket> store;      // store_sql
    ConnectionDeadlines::Ticket exchange = 0;  // the wait for its answer (WsUpstream::expect_answer)
  };
  bool outstanding(std::int32_t request_id) const { return pending_.count(request_id) != 0; }
  void forwarded(std::int32_t request_id, Pending pending) { pending_.emplace(request_id, std::move(pending)); }
  // nullopt when `request_id` is not outstanding (upstream broke the protocol).
  std::optional<Pending> answered(std::int32_t request_id);
  std::size_t pending_count() const { return pending_.size(); }
  std::size_t stored_count() const { return stored_.size(); }

 private:
  int version_;
  std::optional<Principal> principal_;
  std::string token_;
  hrana::StoredSql stored_;
  std::map<std::int32_t, std::uint64_t> store_generation_;  // of each stored id
  std::uint64_t generations_ = 0;
  std::set<std::int32_t> refused_cursors_;
  std::map<std::int32_t, Pending> pending_;
};

}  // namespace gate::proxy
