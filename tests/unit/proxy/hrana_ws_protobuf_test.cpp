#include <doctest/doctest.h>

#include <sstream>

#include "proxy/hrana_ws_json.hpp"
#include "proxy/hrana_ws_protobuf.hpp"
#include "protobuf_test_support.hpp"

using namespace gate::proxy::hrana;
using namespace gate::proxy::hrana::ws;
using namespace std::string_literals;
using pbtest::Msg;

namespace {

ClientMessage decode_ok(const Msg& frame) {
  auto decoded = decode_client_message_protobuf(frame.bytes);
  REQUIRE_MESSAGE(decoded.message.has_value(), (decoded.error ? decoded.error->message : ""));
  return *decoded.message;
}

std::string decode_error(const Msg& frame) {
  auto decoded = decode_client_message_protobuf(frame.bytes);
  REQUIRE_FALSE(decoded.message.has_value());
  REQUIRE(decoded.error.has_value());
  return decoded.error->message;
}

// ClientMsg{request: RequestMsg{request_id, <member>: inner}}.
Msg request_msg(std::int32_t id, std::uint32_t member, const Msg& inner) {
  return Msg{}.msg(2, Msg{}.num(1, static_cast<std::uint32_t>(id)).msg(member, inner));
}

// Everything the gate reads of a request, as text, to compare two decodes.
std::string describe(const ClientMessage& m) {
  std::ostringstream out;
  if (m.type == ClientMessage::Type::hello) return "hello jwt=" + m.jwt.value_or("<none>");
  const Request& r = m.request;
  out << "request " << m.request_id << " " << to_string(r.type);
  if (r.stream_id) out << " stream=" << *r.stream_id;
  if (r.cursor_id) out << " cursor=" << *r.cursor_id;
  if (r.sql_id) out << " sql_id=" << *r.sql_id;
  if (r.type == RequestType::store_sql) out << " text=" << r.stored_sql;
  for (const SqlRef& s : r.statements) out << " [" << (s.sql ? *s.sql : "id:" + std::to_string(*s.sql_id)) << "]";
  return out.str();
}

std::string describe_json(const std::string& frame) {
  auto decoded = decode_client_message_json(frame);
  REQUIRE_MESSAGE(decoded.message.has_value(), (decoded.error ? decoded.error->message : ""));
  return describe(*decoded.message);
}

}  // namespace

TEST_CASE("ws protobuf: hello with and without a token") {
  CHECK(describe(decode_ok(Msg{}.msg(1, Msg{}.str(1, "a.b.c")))) == "hello jwt=a.b.c");
  CHECK(describe(decode_ok(Msg{}.msg(1, Msg{}))) == "hello jwt=<none>");
  CHECK(decode_error(Msg{}.msg(1, Msg{}.str(1, "\xff"))) == "hello.jwt: invalid UTF-8");
  CHECK(decode_error(Msg{}.msg(1, Msg{}.str(1, "a").str(1, "b"))) == "hello field 1: field appears more than once");
}

TEST_CASE("ws protobuf: every request type decodes like its JSON twin") {
  Msg batch = pbtest::batch_of({pbtest::stmt_sql("SELECT 1"), pbtest::stmt_id(4)});
  const std::vector<std::pair<Msg, std::string>> cases = {
      {request_msg(1, 2, Msg{}.num(1, 3)), R"({"type":"request","request_id":1,"request":{"type":"open_stream","stream_id":3}})"},
      {request_msg(2, 3, Msg{}.num(1, 3)), R"({"type":"request","request_id":2,"request":{"type":"close_stream","stream_id":3}})"},
      {request_msg(3, 4, Msg{}.num(1, 3).msg(2, pbtest::stmt_sql("SELECT x FROM t"))),
       R"({"type":"request","request_id":3,"request":{"type":"execute","stream_id":3,"stmt":{"sql":"SELECT x FROM t"}}})"},
      {request_msg(4, 5, Msg{}.num(1, 3).msg(2, batch)),
       R"({"type":"request","request_id":4,"request":{"type":"batch","stream_id":3,"batch":{"steps":[{"stmt":{"sql":"SELECT 1"}},{"stmt":{"sql_id":4}}]}}})"},
      {request_msg(5, 6, Msg{}.num(1, 3).num(2, 8).msg(3, batch)),
       R"({"type":"request","request_id":5,"request":{"type":"open_cursor","stream_id":3,"cursor_id":8,"batch":{"steps":[{"stmt":{"sql":"SELECT 1"}},{"stmt":{"sql_id":4}}]}}})"},
      {request_msg(6, 7, Msg{}.num(1, 8)), R"({"type":"request","request_id":6,"request":{"type":"close_cursor","cursor_id":8}})"},
      {request_msg(7, 8, Msg{}.num(1, 8).num(2, 100)),
       R"({"type":"request","request_id":7,"request":{"type":"fetch_cursor","cursor_id":8,"max_count":100}})"},
      {request_msg(8, 9, Msg{}.num(1, 3).str(2, "BEGIN; DELETE FROM t")),
       R"({"type":"request","request_id":8,"request":{"type":"sequence","stream_id":3,"sql":"BEGIN; DELETE FROM t"}})"},
      {request_msg(9, 10, Msg{}.num(1, 3).num(3, 4)),
       R"({"type":"request","request_id":9,"request":{"type":"describe","stream_id":3,"sql_id":4}})"},
      {request_msg(10, 11, Msg{}.num(1, 4).str(2, "SELECT 2")),
       R"({"type":"request","request_id":10,"request":{"type":"store_sql","sql_id":4,"sql":"SELECT 2"}})"},
      {request_msg(11, 12, Msg{}.num(1, 4)), R"({"type":"request","request_id":11,"request":{"type":"close_sql","sql_id":4}})"},
      {request_msg(-5, 13, Msg{}.num(1, 3)),
       R"({"type":"request","request_id":-5,"request":{"type":"get_autocommit","stream_id":3}})"},
  };
  for (const auto& [frame, json] : cases) {
    CAPTURE(json);
    CHECK(describe(decode_ok(frame)) == describe_json(json));
  }
  CHECK(describe(decode_ok(cases[4].first)) == "request 5 open_cursor stream=3 cursor=8 [SELECT 1] [id:4]");
}

TEST_CASE("ws protobuf: proto3 defaults read as upstream reads them") {
  // request_id, stream_id absent: 0.
  CHECK(describe(decode_ok(Msg{}.msg(2, Msg{}.msg(2, Msg{})))) == "request 0 open_stream stream=0");
  CHECK(describe(decode_ok(request_msg(1, 11, Msg{}))) == "request 1 store_sql sql_id=0 text=");
  CHECK(describe(decode_ok(request_msg(1, 5, Msg{}))) == "request 1 batch stream=0");
  CHECK(describe(decode_ok(request_msg(0x7fffffff, 2, Msg{}.num(1, 0xffffffffffffffffu)))) ==
        "request 2147483647 open_stream stream=-1");
}

TEST_CASE("ws protobuf: oneofs have exactly one member, authorization fields appear once") {
  CHECK(decode_error(Msg{}) == "ClientMsg: no member of the oneof is set");
  CHECK(decode_error(Msg{}.msg(1, Msg{}).msg(2, Msg{}.msg(2, Msg{}))) ==
        "ClientMsg: more than one member of the oneof is set");
  CHECK(decode_error(Msg{}.msg(2, Msg{}.num(1, 1))) == "request: no member of the oneof is set");
  // execute and sequence in one RequestMsg: upstream would take the last.
  Msg two = Msg{}.num(1, 1).msg(4, Msg{}.msg(2, pbtest::stmt_sql("SELECT 1"))).msg(9, Msg{}.str(2, "DROP TABLE t"));
  CHECK(decode_error(Msg{}.msg(2, two)) == "request: more than one member of the oneof is set");
  CHECK(decode_error(Msg{}.msg(2, Msg{}.num(1, 1).num(1, 2).msg(2, Msg{}))) ==
        "request field 1: field appears more than once");
  CHECK(decode_error(request_msg(1, 4, Msg{}.msg(2, pbtest::stmt_sql("SELECT 1").str(1, "DELETE FROM t")))) ==
        "request.execute.stmt field 1: field appears more than once");
  CHECK(decode_error(request_msg(1, 4, Msg{}.msg(2, pbtest::stmt_sql("SELECT 1")).msg(2, pbtest::stmt_sql("x")))) ==
        "request.execute field 2: field appears more than once");
  CHECK(decode_error(request_msg(1, 9, Msg{}.str(2, "SELECT 1").num(3, 1))) ==
        "request.sequence: exactly one of sql and sql_id is required");
  CHECK(decode_error(request_msg(1, 11, Msg{}.num(1, 1).str(2, "a").str(2, "b"))) ==
        "request.store_sql field 2: field appears more than once");
  CHECK(decode_error(request_msg(1, 4, Msg{})) == "request.execute.stmt: missing");
  // The same member twice would merge upstream.
  CHECK(decode_error(Msg{}.msg(2, Msg{}.msg(6, Msg{}).msg(6, Msg{}))) ==
        "request field 6: field appears more than once");
}

TEST_CASE("ws protobuf: wire-format and range violations are refused") {
  CHECK(decode_error(Msg{}.raw("\x12\x05\x08")) == "ClientMsg field 2: message truncated");
  CHECK(decode_error(Msg{}.raw("\x13\x14")) == "ClientMsg field 2: groups are not supported");
  CHECK(decode_error(Msg{}.num(2, 1)) == "ClientMsg field 2: wrong wire type for this field");
  CHECK(decode_error(request_msg(1, 2, Msg{}.num(1, 0x100000000u))) == "request.open_stream.stream_id: expected a 32-bit integer");
  CHECK(decode_error(Msg{}.msg(2, Msg{}.num(1, 0x1ffffffffu).msg(2, Msg{}))) == "request.request_id: expected a 32-bit integer");
  CHECK(decode_error(request_msg(1, 8, Msg{}.num(1, 1).num(2, 0x100000000u))) ==
        "request.fetch_cursor.max_count: expected a 32-bit unsigned integer");
  CHECK(decode_error(request_msg(1, 4, Msg{}.msg(2, pbtest::stmt_sql("SELECT '\xc3'")))) ==
        "request.execute.stmt.sql: invalid UTF-8");
  Msg deep = Msg{}.msg(6, Msg{});
  for (int i = 0; i < 70; ++i) deep = Msg{}.msg(3, deep);
  Msg batch = Msg{}.msg(1, Msg{}.msg(1, deep).msg(2, pbtest::stmt_sql("SELECT 1")));
  CHECK(decode_error(request_msg(1, 5, Msg{}.msg(2, batch))).find("condition nested too deeply") != std::string::npos);
  // Unknown fields are skipped.
  CHECK(describe(decode_ok(Msg{}.num(15, 1).msg(2, Msg{}.str(99, "x").num(1, 4).msg(3, Msg{}.num(1, 2).num(7, 7))))) ==
        "request 4 close_stream stream=2");
}

TEST_CASE("ws protobuf: upstream ServerMsg is read for type, request id and error") {
  auto hello_ok = inspect_server_message_protobuf(Msg{}.msg(1, Msg{}).bytes);
  REQUIRE(hello_ok);
  CHECK(hello_ok->type == ServerMessage::Type::hello_ok);

  Msg error = Msg{}.str(1, "bad token").str(2, "AUTH_JWT_INVALID");
  auto hello_error = inspect_server_message_protobuf(Msg{}.msg(2, Msg{}.msg(1, error)).bytes);
  REQUIRE(hello_error);
  CHECK(hello_error->type == ServerMessage::Type::hello_error);
  CHECK(hello_error->error->message == "bad token");
  CHECK(hello_error->error->code == "AUTH_JWT_INVALID");

  for (std::uint32_t member = 2; member <= 13; ++member) {
    // A response with content the gate does not read (e.g. an execute result).
    auto ok = inspect_server_message_protobuf(Msg{}.msg(3, Msg{}.num(1, 42).msg(member, Msg{}.msg(1, Msg{}))).bytes);
    REQUIRE(ok);
    CHECK(ok->type == ServerMessage::Type::response_ok);
    CHECK(ok->request_id == 42);
    CHECK(ok->response_type == static_cast<RequestType>(member - 2));
  }

  auto response_error = inspect_server_message_protobuf(Msg{}.msg(4, Msg{}.num(1, 7).msg(2, error)).bytes);
  REQUIRE(response_error);
  CHECK(response_error->type == ServerMessage::Type::response_error);
  CHECK(response_error->request_id == 7);
  CHECK(response_error->error->code == "AUTH_JWT_INVALID");

  CHECK_FALSE(inspect_server_message_protobuf(""));
  CHECK_FALSE(inspect_server_message_protobuf(Msg{}.msg(1, Msg{}).msg(3, Msg{}).bytes));
  CHECK_FALSE(inspect_server_message_protobuf(Msg{}.msg(3, Msg{}.num(1, 1)).bytes));  // no response member
  CHECK_FALSE(inspect_server_message_protobuf(Msg{}.msg(3, Msg{}.num(1, 1).msg(2, Msg{}).msg(4, Msg{})).bytes));
  CHECK_FALSE(inspect_server_message_protobuf("\x1a\x10"s));
  CHECK_FALSE(inspect_server_message_protobuf(Msg{}.msg(4, Msg{}.num(1, 0x100000000u)).bytes));
}

TEST_CASE("ws protobuf: frames the gate builds read back") {
  const Error error{"permission denied: data_add on table \"t\"", "SQLITE_AUTH"};

  CHECK(describe(decode_ok(Msg{encode_hello_protobuf("tok.en.x")})) == "hello jwt=tok.en.x");
  CHECK(describe(decode_ok(Msg{encode_hello_protobuf(std::nullopt)})) == "hello jwt=<none>");

  CHECK(inspect_server_message_protobuf(encode_hello_ok_protobuf())->type == ServerMessage::Type::hello_ok);

  const auto hello_error = pbtest::read(encode_hello_error_protobuf(error));
  const auto hello_error_fields = pbtest::read(pbtest::one_bytes(pbtest::read(pbtest::one_bytes(hello_error, 2)), 1));
  CHECK(pbtest::one_bytes(hello_error_fields, 1) == error.message);
  CHECK(pbtest::one_bytes(hello_error_fields, 2) == error.code);

  const auto response_error = pbtest::read(pbtest::one_bytes(pbtest::read(encode_response_error_protobuf(-3, error)), 4));
  CHECK(response_error.find(1)->second.number == 0xfffffffffffffffdu);  // -3, sign-extended
  CHECK(pbtest::one_bytes(pbtest::read(pbtest::one_bytes(response_error, 2)), 1) == error.message);
  auto inspected = inspect_server_message_protobuf(encode_response_error_protobuf(-3, error));
  REQUIRE(inspected);
  CHECK(inspected->request_id == -3);
  CHECK(inspected->error->message == error.message);

  for (RequestType type : {RequestType::open_stream, RequestType::close_stream, RequestType::open_cursor,
                           RequestType::close_cursor, RequestType::sequence, RequestType::store_sql,
                           RequestType::close_sql}) {
    const auto ok = pbtest::read(pbtest::one_bytes(pbtest::read(encode_empty_response_ok_protobuf(9, type)), 3));
    CHECK(ok.find(1)->second.number == 9);
    CHECK(pbtest::one_bytes(ok, 2 + static_cast<std::uint32_t>(type)).empty());
    CHECK(inspect_server_message_protobuf(encode_empty_response_ok_protobuf(9, type))->response_type == type);
  }
}
