#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "proxy/ws_connection_state.hpp"

using namespace gate::proxy;
using hrana::ws::Request;
using hrana::ws::RequestType;

namespace {

Principal principal_of(const std::string& subject, std::optional<std::int64_t> exp, const std::string& issuer = "https://iss") {
  Principal p;
  p.issuer = issuer;
  p.subject = subject;
  p.issuer_name = "dev";
  nlohmann::json claims{{"iss", issuer}, {"sub", subject}};
  if (exp) claims["exp"] = *exp;
  p.claims = std::make_shared<const nlohmann::json>(std::move(claims));
  return p;
}

Request store(std::int32_t id, std::string sql) {
  Request r;
  r.type = RequestType::store_sql;
  r.sql_id = id;
  r.stored_sql = std::move(sql);
  return r;
}

Request close_sql(std::int32_t id) {
  Request r;
  r.type = RequestType::close_sql;
  r.sql_id = id;
  return r;
}

Request execute_id(std::int32_t sql_id) {
  Request r;
  r.type = RequestType::execute;
  r.stream_id = 1;
  r.statements.push_back(hrana::SqlRef{std::nullopt, sql_id});
  return r;
}

Request execute_sql(std::string sql) {
  Request r;
  r.type = RequestType::execute;
  r.stream_id = 1;
  r.statements.push_back(hrana::SqlRef{std::move(sql), std::nullopt});
  return r;
}

Request open_cursor(std::int32_t cursor_id) {
  Request r;
  r.type = RequestType::open_cursor;
  r.stream_id = 1;
  r.cursor_id = cursor_id;
  r.statements.push_back(hrana::SqlRef{std::string("SELECT 1"), std::nullopt});
  r.statements.push_back(hrana::SqlRef{std::string("SELECT 2"), std::nullopt});
  return r;
}

WsConnectionState authenticated(int version = 3) {
  WsConnectionState state(version);
  REQUIRE(state.hello(principal_of("alice", 2000), "t1") == WsConnectionState::HelloOutcome::first);
  return state;
}

}  // namespace

TEST_CASE("ws connection: requests before a successful hello are protocol errors") {
  WsConnectionState state(3);
  CHECK_FALSE(state.authenticated());
  const auto violation = state.violation(1, execute_sql("SELECT 1"));
  REQUIRE(violation);
  CHECK(violation->find("before a successful hello") != std::string::npos);
}

TEST_CASE("ws connection: the first principal owns the connection, re-hello renews, another principal is refused") {
  WsConnectionState state(3);
  CHECK(state.hello(principal_of("alice", 1000), "t1") == WsConnectionState::HelloOutcome::first);
  CHECK(state.token() == "t1");
  CHECK(state.hello(principal_of("alice", 5000), "t2") == WsConnectionState::HelloOutcome::renewed);
  CHECK(state.token() == "t2");
  CHECK(state.hello(principal_of("bob", 9000), "t3") == WsConnectionState::HelloOutcome::other_principal);
  // Same subject, other issuer: another principal too.
  CHECK(state.hello(principal_of("alice", 9000, "https://other"), "t4") ==
        WsConnectionState::HelloOutcome::other_principal);
  // The refused hellos changed nothing.
  CHECK(state.token() == "t2");
  CHECK(state.principal().subject == "alice");
}

TEST_CASE("ws connection: hrana1 has no repeated hello") {
  WsConnectionState state(1);
  CHECK(state.hello(principal_of("alice", 1000), "t1") == WsConnectionState::HelloOutcome::first);
  CHECK(state.hello(principal_of("alice", 2000), "t2") == WsConnectionState::HelloOutcome::repeat_unsupported);
  CHECK(state.token() == "t1");
}

TEST_CASE("ws connection: requests newer than the negotiated version are protocol errors") {
  auto v1 = authenticated(1);
  CHECK(v1.violation(1, store(1, "SELECT 1")));
  CHECK(v1.violation(1, open_cursor(1)));
  CHECK_FALSE(v1.violation(1, execute_sql("SELECT 1")));
  auto v2 = authenticated(2);
  CHECK_FALSE(v2.violation(1, store(1, "SELECT 1")));
  const auto cursor = v2.violation(1, open_cursor(1));
  REQUIRE(cursor);
  CHECK(cursor->find("open_cursor needs Hrana 3") != std::string::npos);
  Request autocommit;
  autocommit.type = RequestType::get_autocommit;
  autocommit.stream_id = 1;
  CHECK(v2.violation(1, autocommit));
  CHECK_FALSE(authenticated(3).violation(1, autocommit));
}

TEST_CASE("ws connection: a request id is outstanding until upstream answers it") {
  auto state = authenticated();
  WsConnectionState::Pending pending;
  pending.type = RequestType::execute;
  pending.changes_schema = true;
  state.forwarded(7, pending);
  CHECK(state.outstanding(7));
  const auto reuse = state.violation(7, execute_sql("SELECT 1"));
  REQUIRE(reuse);
  CHECK(reuse->find("request_id 7 is still outstanding") != std::string::npos);
  CHECK_FALSE(state.answered(8).has_value());
  auto answered = state.answered(7);
  REQUIRE(answered);
  CHECK(answered->type == RequestType::execute);
  CHECK(answered->changes_schema);
  CHECK_FALSE(state.outstanding(7));
  CHECK_FALSE(state.answered(7).has_value());
  CHECK_FALSE(state.violation(7, execute_sql("SELECT 1")));
}

TEST_CASE("ws connection: stored SQL is per connection, applied in the order sent, resolved for authorization") {
  auto state = authenticated();
  auto unresolved = state.statements(execute_id(1));
  REQUIRE(unresolved.size() == 1);
  REQUIRE(unresolved[0].unresolved);
  CHECK(unresolved[0].unresolved->code == "SQL_NOT_FOUND");

  state.sent(store(1, "DELETE FROM t"));
  auto resolved = state.statements(execute_id(1));
  REQUIRE(resolved.size() == 1);
  CHECK_FALSE(resolved[0].unresolved);
  CHECK(resolved[0].kind == hrana::RequestKind::execute);
  CHECK(resolved[0].sqls == std::vector<std::string>{"DELETE FROM t"});

  // An id in use cannot be stored again (a protocol error), until closed.
  const auto reuse = state.violation(2, store(1, "SELECT 1"));
  REQUIRE(reuse);
  CHECK(reuse->find("sql_id 1 is already in use") != std::string::npos);
  state.sent(close_sql(1));
  CHECK_FALSE(state.violation(2, store(1, "SELECT 1")));
  CHECK(state.statements(execute_id(1))[0].unresolved);

  // A store upstream refused is forgotten.
  const auto ticket = state.sent(store(3, "SELECT 3"));
  REQUIRE(ticket);
  state.store_failed(*ticket);
  CHECK(state.statements(execute_id(3))[0].unresolved);
  CHECK(state.stored_count() == 0);

  // A late refusal of an earlier store does not erase a newer store of the same
  // id (store, close, store again, then the first store's error arrives).
  const auto first = state.sent(store(4, "SELECT 4"));
  state.sent(close_sql(4));
  const auto second = state.sent(store(4, "DELETE FROM t"));
  REQUIRE(first);
  REQUIRE(second);
  state.store_failed(*first);
  CHECK(state.statements(execute_id(4))[0].sqls == std::vector<std::string>{"DELETE FROM t"});
  CHECK(state.violation(5, store(4, "SELECT 1")));
  state.store_failed(*second);
  CHECK(state.statements(execute_id(4))[0].unresolved);
}

TEST_CASE("ws connection: statements per request type") {
  auto state = authenticated();
  const auto cursor = state.statements(open_cursor(1));
  REQUIRE(cursor.size() == 1);
  CHECK(cursor[0].kind == hrana::RequestKind::batch);
  CHECK(cursor[0].sqls == std::vector<std::string>{"SELECT 1", "SELECT 2"});
  for (RequestType type : {RequestType::open_stream, RequestType::close_stream, RequestType::close_cursor,
                           RequestType::fetch_cursor, RequestType::store_sql, RequestType::close_sql,
                           RequestType::get_autocommit}) {
    Request r;
    r.type = type;
    CHECK(state.statements(r).empty());
  }
  Request sequence;
  sequence.type = RequestType::sequence;
  sequence.statements.push_back(hrana::SqlRef{std::string("BEGIN; DELETE FROM t"), std::nullopt});
  CHECK(state.statements(sequence)[0].kind == hrana::RequestKind::sequence);
}

TEST_CASE("ws connection: refused cursors until the client closes them, their ids cannot be reopened meanwhile") {
  auto state = authenticated();
  state.cursor_refused(4);
  CHECK(state.refused_cursor(4));
  CHECK_FALSE(state.refused_cursor(5));
  const auto reopen = state.violation(1, open_cursor(4));
  REQUIRE(reopen);
  CHECK(reopen->find("cursor_id 4 is still in use") != std::string::npos);
  state.refused_cursor_closed(4);
  CHECK_FALSE(state.refused_cursor(4));
  CHECK_FALSE(state.violation(1, open_cursor(4)));
}

TEST_CASE("ws connection: stored texts are bounded") {
  auto state = authenticated();
  for (std::int32_t i = 0; i < static_cast<std::int32_t>(WsConnectionState::kMaxStoredSql); ++i) {
    CHECK_FALSE(state.storage_full(store(i, "SELECT 1")));
    state.sent(store(i, "SELECT 1"));
  }
  CHECK(state.storage_full(store(-1, "SELECT 1")));
  CHECK_FALSE(state.storage_full(execute_sql("SELECT 1")));
}
