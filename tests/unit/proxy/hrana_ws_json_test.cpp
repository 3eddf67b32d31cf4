#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "proxy/hrana_ws.hpp"

using namespace gate::proxy::hrana;
using namespace gate::proxy::hrana::ws;
using nlohmann::json;

namespace {

ClientMessage decode_ok(const std::string& payload) {
  auto decoded = decode_client_message(Encoding::json, payload);
  REQUIRE_MESSAGE(decoded.message.has_value(), (decoded.error ? decoded.error->message : ""));
  return *decoded.message;
}

std::string decode_error(const std::string& payload) {
  auto decoded = decode_client_message(Encoding::json, payload);
  REQUIRE_FALSE(decoded.message.has_value());
  REQUIRE(decoded.error.has_value());
  return decoded.error->message;
}

Request request_ok(const std::string& request) {
  const auto message = decode_ok(R"({"type": "request", "request_id": 7, "request": )" + request + "}");
  CHECK(message.type == ClientMessage::Type::request);
  CHECK(message.request_id == 7);
  return message.request;
}

std::string request_error(const std::string& request) {
  return decode_error(R"({"type": "request", "request_id": 7, "request": )" + request + "}");
}

}  // namespace

TEST_CASE("ws subprotocols: names, encodings and versions") {
  CHECK(subprotocol_from("hrana3-protobuf") == Subprotocol::hrana3_protobuf);
  CHECK(subprotocol_from("hrana3") == Subprotocol::hrana3);
  CHECK(subprotocol_from("hrana2") == Subprotocol::hrana2);
  CHECK(subprotocol_from("hrana1") == Subprotocol::hrana1);
  CHECK_FALSE(subprotocol_from("hrana4").has_value());
  CHECK_FALSE(subprotocol_from("HRANA3").has_value());
  CHECK_FALSE(subprotocol_from("").has_value());
  CHECK(to_string(Subprotocol::hrana3_protobuf) == "hrana3-protobuf");
  CHECK(encoding_of(Subprotocol::hrana3_protobuf) == Encoding::protobuf);
  CHECK(encoding_of(Subprotocol::hrana3) == Encoding::json);
  CHECK(encoding_of(Subprotocol::hrana1) == Encoding::json);
  CHECK(version_of(Subprotocol::hrana3_protobuf) == 3);
  CHECK(version_of(Subprotocol::hrana2) == 2);
  CHECK(version_of(Subprotocol::hrana1) == 1);
}

TEST_CASE("ws request types: names and the version that introduced them") {
  CHECK(min_version(RequestType::execute) == 1);
  CHECK(min_version(RequestType::open_stream) == 1);
  CHECK(min_version(RequestType::store_sql) == 2);
  CHECK(min_version(RequestType::sequence) == 2);
  CHECK(min_version(RequestType::describe) == 2);
  CHECK(min_version(RequestType::open_cursor) == 3);
  CHECK(min_version(RequestType::fetch_cursor) == 3);
  CHECK(min_version(RequestType::get_autocommit) == 3);
  CHECK(to_string(RequestType::open_cursor) == "open_cursor");
}

TEST_CASE("ws json: hello with a token, with null and without jwt") {
  auto hello = decode_ok(R"({"type": "hello", "jwt": "a.b.c"})");
  CHECK(hello.type == ClientMessage::Type::hello);
  CHECK(hello.jwt == "a.b.c");
  CHECK_FALSE(decode_ok(R"({"type": "hello", "jwt": null})").jwt.has_value());
  CHECK_FALSE(decode_ok(R"({"type": "hello"})").jwt.has_value());
  CHECK(decode_error(R"({"type": "hello", "jwt": 5})").find("jwt") != std::string::npos);
}

TEST_CASE("ws json: every request type decodes with what the gate acts on") {
  auto r = request_ok(R"({"type": "open_stream", "stream_id": 1})");
  CHECK(r.type == RequestType::open_stream);
  CHECK(r.stream_id == 1);

  r = request_ok(R"({"type": "close_stream", "stream_id": -2})");
  CHECK(r.type == RequestType::close_stream);
  CHECK(r.stream_id == -2);

  r = request_ok(R"({"type": "execute", "stream_id": 1, "stmt": {"sql": "SELECT 1", "args": [], "want_rows": true}})");
  CHECK(r.type == RequestType::execute);
  REQUIRE(r.statements.size() == 1);
  CHECK(r.statements[0].sql == "SELECT 1");

  r = request_ok(R"({"type": "execute", "stream_id": 1, "stmt": {"sql_id": 4}})");
  REQUIRE(r.statements.size() == 1);
  CHECK_FALSE(r.statements[0].sql.has_value());
  CHECK(r.statements[0].sql_id == 4);

  r = request_ok(R"J({"type": "batch", "stream_id": 1, "batch": {"steps": [
      {"stmt": {"sql": "INSERT INTO t VALUES (1)"}},
      {"condition": {"type": "ok", "step": 0}, "stmt": {"sql_id": 9}}]}})J");
  CHECK(r.type == RequestType::batch);
  REQUIRE(r.statements.size() == 2);
  CHECK(r.statements[0].sql == "INSERT INTO t VALUES (1)");
  CHECK(r.statements[1].sql_id == 9);

  r = request_ok(R"({"type": "open_cursor", "stream_id": 1, "cursor_id": 3, "batch": {"steps": [{"stmt": {"sql": "SELECT 2"}}]}})");
  CHECK(r.type == RequestType::open_cursor);
  CHECK(r.stream_id == 1);
  CHECK(r.cursor_id == 3);
  REQUIRE(r.statements.size() == 1);
  CHECK(r.statements[0].sql == "SELECT 2");

  r = request_ok(R"({"type": "close_cursor", "cursor_id": 3})");
  CHECK(r.type == RequestType::close_cursor);
  CHECK(r.cursor_id == 3);
  CHECK_FALSE(r.stream_id.has_value());

  r = request_ok(R"({"type": "fetch_cursor", "cursor_id": 3, "max_count": 4294967295})");
  CHECK(r.type == RequestType::fetch_cursor);
  CHECK(r.cursor_id == 3);

  r = request_ok(R"({"type": "sequence", "stream_id": 1, "sql": "BEGIN; SELECT 1"})");
  CHECK(r.type == RequestType::sequence);
  REQUIRE(r.statements.size() == 1);
  CHECK(r.statements[0].sql == "BEGIN; SELECT 1");

  r = request_ok(R"({"type": "describe", "stream_id": 1, "sql_id": 5, "sql": null})");
  CHECK(r.type == RequestType::describe);
  REQUIRE(r.statements.size() == 1);
  CHECK(r.statements[0].sql_id == 5);

  r = request_ok(R"({"type": "store_sql", "sql_id": 5, "sql": "DELETE FROM t"})");
  CHECK(r.type == RequestType::store_sql);
  CHECK(r.sql_id == 5);
  CHECK(r.stored_sql == "DELETE FROM t");
  CHECK(r.statements.empty());

  r = request_ok(R"({"type": "close_sql", "sql_id": 5})");
  CHECK(r.type == RequestType::close_sql);
  CHECK(r.sql_id == 5);

  r = request_ok(R"({"type": "get_autocommit", "stream_id": 1})");
  CHECK(r.type == RequestType::get_autocommit);
  CHECK(r.stream_id == 1);
}

TEST_CASE("ws json: request ids are any 32-bit signed integer, nothing else") {
  CHECK(decode_ok(R"({"type": "request", "request_id": -2147483648, "request": {"type": "open_stream", "stream_id": 0}})")
            .request_id == INT32_MIN);
  CHECK(decode_ok(R"({"type": "request", "request_id": 2147483647, "request": {"type": "open_stream", "stream_id": 0}})")
            .request_id == INT32_MAX);
  for (const char* id : {"2147483648", "-2147483649", "1.5", "\"1\"", "null", "true"}) {
    CAPTURE(id);
    const auto error = decode_error(std::string(R"({"type": "request", "request_id": )") + id +
                                    R"(, "request": {"type": "open_stream", "stream_id": 0}})");
    CHECK(error.find("request_id") != std::string::npos);
  }
  CHECK(decode_error(R"({"type": "request", "request": {"type": "open_stream", "stream_id": 0}})")
            .find("request_id: missing") != std::string::npos);
}

TEST_CASE("ws json: missing or mistyped fields are refused with their path") {
  CHECK(request_error(R"({"type": "open_stream"})").find("stream_id: missing") != std::string::npos);
  CHECK(request_error(R"({"type": "execute", "stream_id": 1})").find("stmt: missing") != std::string::npos);
  CHECK(request_error(R"({"type": "execute", "stream_id": 1, "stmt": {}})").find("exactly one of sql and sql_id") !=
        std::string::npos);
  CHECK(request_error(R"({"type": "execute", "stream_id": 1, "stmt": {"sql": "SELECT 1", "sql_id": 1}})")
            .find("exactly one") != std::string::npos);
  CHECK(request_error(R"({"type": "execute", "stream_id": 1, "stmt": {"sql": 1}})").find("sql") != std::string::npos);
  CHECK(request_error(R"({"type": "execute", "stream_id": 1, "stmt": {"sql": "SELECT 1", "args": {}}})")
            .find("args") != std::string::npos);
  CHECK(request_error(R"({"type": "batch", "stream_id": 1})").find("batch: missing") != std::string::npos);
  CHECK(request_error(R"({"type": "batch", "stream_id": 1, "batch": {"steps": {}}})").find("steps") !=
        std::string::npos);
  CHECK(request_error(R"({"type": "open_cursor", "stream_id": 1, "batch": {"steps": []}})")
            .find("cursor_id: missing") != std::string::npos);
  CHECK(request_error(R"({"type": "fetch_cursor", "cursor_id": 1})").find("max_count: missing") != std::string::npos);
  CHECK(request_error(R"({"type": "fetch_cursor", "cursor_id": 1, "max_count": -1})").find("max_count") !=
        std::string::npos);
  CHECK(request_error(R"({"type": "sequence", "stream_id": 1})").find("exactly one") != std::string::npos);
  CHECK(request_error(R"({"type": "store_sql", "sql_id": 1})").find("sql: expected a string") != std::string::npos);
  CHECK(request_error(R"({"type": "store_sql", "sql": "SELECT 1"})").find("sql_id: missing") != std::string::npos);
  CHECK(request_error(R"({"type": "close_sql"})").find("sql_id: missing") != std::string::npos);
  CHECK(request_error(R"({"type": "stream_id"})").find("unknown request type") != std::string::npos);
  CHECK(request_error(R"({"stream_id": 1})").find("type") != std::string::npos);
  CHECK(request_error(R"([])").find("expected an object") != std::string::npos);
}

TEST_CASE("ws json: unknown or missing message types and non-messages are protocol errors") {
  CHECK(decode_error(R"({"type": "hello_ok"})").find("unknown message type") != std::string::npos);
  CHECK(decode_error(R"({"type": "response_ok", "request_id": 1})").find("unknown message type") != std::string::npos);
  CHECK(decode_error(R"({"jwt": "x"})").find("type") != std::string::npos);
  CHECK(decode_error(R"({"type": null})").find("type") != std::string::npos);
  CHECK(decode_error(R"("hello")").find("expected an object") != std::string::npos);
  CHECK(decode_error("[1,2]").find("expected an object") != std::string::npos);
  CHECK(decode_error("").find("not valid JSON") != std::string::npos);
  CHECK(decode_error(R"({"type": "hello")").find("not valid JSON") != std::string::npos);
  CHECK(decode_error("{\"type\": \"hello\"} trailing").find("not valid JSON") != std::string::npos);
  CHECK(decode_error(R"({"type": "request", "request_id": 1})").find("request: missing") != std::string::npos);
}

TEST_CASE("ws json: a repeated key anywhere is refused (the gate and upstream must read the same SQL)") {
  CHECK(decode_error(R"({"type": "hello", "type": "request", "jwt": null})").find("duplicate key \"type\"") !=
        std::string::npos);
  CHECK(decode_error(R"({"type": "hello", "jwt": "a", "jwt": "b"})").find("duplicate key") != std::string::npos);
  CHECK(request_error(R"({"type": "execute", "stream_id": 1, "stmt": {"sql": "SELECT 1", "sql": "DROP TABLE t"}})")
            .find("duplicate key \"sql\"") != std::string::npos);
  CHECK(request_error(R"({"type": "execute", "stream_id": 1, "stmt": {"sql": "SELECT 1"}, "stmt": {"sql": "DELETE FROM t"}})")
            .find("duplicate key \"stmt\"") != std::string::npos);
  CHECK(request_error(R"({"type": "store_sql", "sql_id": 1, "sql": "SELECT 1", "sql": "DELETE FROM t"})")
            .find("duplicate key") != std::string::npos);
  CHECK(decode_error(R"({"type": "request", "request_id": 1, "request_id": 2, "request": {"type": "open_stream", "stream_id": 1}})")
            .find("duplicate key") != std::string::npos);
  // The same key in sibling objects is not a repetition.
  CHECK(request_ok(R"({"type": "batch", "stream_id": 1, "batch": {"steps": [{"stmt": {"sql": "SELECT 1"}}, {"stmt": {"sql": "SELECT 2"}}]}})")
            .statements.size() == 2);
}

TEST_CASE("ws json: adversarial nesting and sizes stay bounded") {
  std::string deep = R"({"type": "ok", "step": 0})";
  for (int i = 0; i < 100; ++i) deep = R"({"type": "not", "cond": )" + deep + "}";
  CHECK(request_error(R"({"type": "batch", "stream_id": 1, "batch": {"steps": [{"condition": )" + deep +
                      R"(, "stmt": {"sql": "SELECT 1"}}]}})")
            .find("nested too deeply") != std::string::npos);
  // Deep JSON nesting even where no reader looks is refused while parsing (bounded stack).
  std::string arrays(5000, '[');
  arrays += std::string(5000, ']');
  CHECK(decode_error(R"({"type": "hello", "jwt": null, "x": )" + arrays + "}").find("nested too deeply") !=
        std::string::npos);
  // Bytes after a NUL are not the end of the message (upstream would refuse them).
  CHECK(decode_error(std::string("{\"type\": \"hello\", \"jwt\": null}\0{\"type\": \"hello\"}", 48))
            .find("not valid JSON") != std::string::npos);
  // A NUL inside the SQL is kept as is (the analyzer refuses it).
  const auto r = request_ok(std::string(R"({"type": "execute", "stream_id": 1, "stmt": {"sql": "SELECT 1\u0000; DROP TABLE t"}})"));
  REQUIRE(r.statements.size() == 1);
  CHECK(r.statements[0].sql->size() == std::string("SELECT 1").size() + 1 + std::string("; DROP TABLE t").size());
  // Invalid UTF-8 is not JSON.
  CHECK(decode_error(std::string("{\"type\": \"hello\", \"jwt\": \"\xff\"}")).find("not valid JSON") != std::string::npos);
}

TEST_CASE("ws json: upstream messages are read for type, request id and error") {
  auto m = inspect_server_message(Encoding::json, R"({"type": "hello_ok"})");
  REQUIRE(m);
  CHECK(m->type == ServerMessage::Type::hello_ok);

  m = inspect_server_message(Encoding::json, R"({"type": "hello_error", "error": {"message": "bad jwt", "code": "AUTH"}})");
  REQUIRE(m);
  CHECK(m->type == ServerMessage::Type::hello_error);
  REQUIRE(m->error);
  CHECK(m->error->message == "bad jwt");
  CHECK(m->error->code == "AUTH");

  m = inspect_server_message(Encoding::json,
                             R"({"type": "response_ok", "request_id": -5, "response": {"result": {"rows": [[{"type": "text", "value": "type"}]], "cols": [{"name": "type"}]}, "type": "execute"}})");
  REQUIRE(m);
  CHECK(m->type == ServerMessage::Type::response_ok);
  CHECK(m->request_id == -5);
  CHECK(m->response_type == RequestType::execute);

  m = inspect_server_message(Encoding::json,
                             R"({"request_id": 2147483647, "error": {"message": "no such table", "code": "SQLITE_ERROR"}, "type": "response_error"})");
  REQUIRE(m);
  CHECK(m->type == ServerMessage::Type::response_error);
  CHECK(m->request_id == INT32_MAX);
  CHECK(m->error->message == "no such table");

  m = inspect_server_message(Encoding::json, R"({"type": "response_error", "request_id": 1, "error": {"message": "x"}})");
  REQUIRE(m);
  CHECK(m->error->code.empty());
}

TEST_CASE("ws json: malformed upstream messages are not messages") {
  for (const char* bad : {
           "",
           "[]",
           "1",
           R"({"type": "hello"})",
           R"({"type": "response_ok", "response": {"type": "execute"}})",
           R"({"type": "response_ok", "request_id": 1})",
           R"({"type": "response_ok", "request_id": 1, "response": {"type": "explode"}})",
           R"({"type": "response_ok", "request_id": 2147483648, "response": {"type": "execute"}})",
           R"({"type": "response_ok", "request_id": 1.0, "response": {"type": "execute"}})",
           R"({"type": "response_ok", "request_id": 1, "request_id": 2, "response": {"type": "execute"}})",
           R"({"type": "response_ok", "type": "hello_ok", "request_id": 1, "response": {"type": "execute"}})",
           R"({"type": "response_error", "request_id": 1})",
           R"({"type": "hello_error"})",
           R"({"type": "response_ok", "request_id": 1, "response": {"type": "execute"})",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(inspect_server_message(Encoding::json, bad).has_value());
  }
}

TEST_CASE("ws json: frames the gate builds are what a client decodes") {
  CHECK(json::parse(encode_hello(Encoding::json, std::string("tok"))) == json{{"type", "hello"}, {"jwt", "tok"}});
  CHECK(json::parse(encode_hello(Encoding::json, std::nullopt)) == json{{"type", "hello"}, {"jwt", nullptr}});
  CHECK(json::parse(encode_hello_ok(Encoding::json)) == json{{"type", "hello_ok"}});
  const Error error{"token expired \"x\"", "AUTH_JWT_EXPIRED"};
  CHECK(json::parse(encode_hello_error(Encoding::json, error)) ==
        json{{"type", "hello_error"}, {"error", {{"message", error.message}, {"code", error.code}}}});
  CHECK(json::parse(encode_response_error(Encoding::json, -3, error)) ==
        json{{"type", "response_error"}, {"request_id", -3}, {"error", {{"message", error.message}, {"code", error.code}}}});
  CHECK(json::parse(encode_empty_response_ok(Encoding::json, 9, RequestType::close_cursor)) ==
        json{{"type", "response_ok"}, {"request_id", 9}, {"response", {{"type", "close_cursor"}}}});
  // The gate's own frames read back as the messages they are.
  auto m = inspect_server_message(Encoding::json, encode_response_error(Encoding::json, 4, error));
  REQUIRE(m);
  CHECK(m->type == ServerMessage::Type::response_error);
  CHECK(m->request_id == 4);
  // Invalid UTF-8 in a message never throws.
  CHECK_NOTHROW(encode_hello_error(Encoding::json, Error{"bad \xff byte", "X"}));
}
