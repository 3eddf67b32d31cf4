#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "proxy/hrana_json.hpp"

using namespace gate::proxy::hrana;
using nlohmann::json;

namespace {

PipelineRequest decode_ok(const std::string& body) {
  auto decoded = decode_pipeline(body);
  REQUIRE_MESSAGE(decoded.request.has_value(), (decoded.error ? decoded.error->message : ""));
  return *decoded.request;
}

std::string decode_error(const std::string& body) {
  auto decoded = decode_pipeline(body);
  REQUIRE_FALSE(decoded.request.has_value());
  REQUIRE(decoded.error.has_value());
  return decoded.error->message;
}

}  // namespace

TEST_CASE("pipeline: every stream request type decodes") {
  const auto pipeline = decode_ok(R"J({"baton": "b1", "requests": [
    {"type": "execute", "stmt": {"sql": "SELECT 1", "args": [], "named_args": [{"name": ":a", "value": {"type": "null"}}], "want_rows": true}},
    {"type": "batch", "batch": {"steps": [
       {"stmt": {"sql": "INSERT INTO t VALUES (1)"}},
       {"condition": {"type": "and", "conds": [{"type": "ok", "step": 0}, {"type": "not", "cond": {"type": "is_autocommit"}}]},
        "stmt": {"sql_id": 7}}]}},
    {"type": "sequence", "sql": "BEGIN; SELECT 2"},
    {"type": "describe", "sql_id": 7},
    {"type": "store_sql", "sql_id": 7, "sql": "DELETE FROM t"},
    {"type": "close_sql", "sql_id": 7},
    {"type": "get_autocommit"},
    {"type": "close"}
  ]})J");
  CHECK(pipeline.baton == "b1");
  REQUIRE(pipeline.requests.size() == 8);
  CHECK(pipeline.requests[0].kind == RequestKind::execute);
  CHECK(pipeline.requests[0].statements.at(0).sql == "SELECT 1");
  CHECK(pipeline.requests[1].kind == RequestKind::batch);
  CHECK(pipeline.requests[1].statements.size() == 2);
  CHECK(pipeline.requests[1].statements[1].sql_id == 7);
  CHECK(pipeline.requests[2].kind == RequestKind::sequence);
  CHECK(pipeline.requests[3].kind == RequestKind::describe);
  CHECK(pipeline.requests[4].kind == RequestKind::store_sql);
  CHECK(pipeline.requests[4].stored_sql == "DELETE FROM t");
  CHECK(pipeline.requests[5].kind == RequestKind::close_sql);
  CHECK(pipeline.requests[6].kind == RequestKind::get_autocommit);
  CHECK(pipeline.requests[7].kind == RequestKind::close);
}

TEST_CASE("pipeline: null baton is a new stream, absent baton too") {
  CHECK_FALSE(decode_ok(R"({"baton": null, "requests": []})").baton.has_value());
  CHECK_FALSE(decode_ok(R"({"requests": []})").baton.has_value());
}

TEST_CASE("pipeline: malformed bodies are refused with a path") {
  CHECK(decode_error("not json") == "body is not valid JSON");
  CHECK(decode_error("[]") == "body: expected an object");
  CHECK(decode_error(R"({"baton": 5, "requests": []})") == "baton: expected a string or null");
  CHECK(decode_error(R"({"baton": null})") == "requests: expected an array");
  CHECK(decode_error(R"({"requests": [{"type": "exec"}]})").find("unknown request type") != std::string::npos);
  CHECK(decode_error(R"({"requests": [{"type": "execute"}]})") == "requests[0].stmt: missing");
  CHECK(decode_error(R"({"requests": [{"type": "execute", "stmt": {}}]})") ==
        "requests[0].stmt: exactly one of sql and sql_id is required");
  CHECK(decode_error(R"({"requests": [{"type": "execute", "stmt": {"sql": "x", "sql_id": 1}}]})") ==
        "requests[0].stmt: exactly one of sql and sql_id is required");
  CHECK(decode_error(R"({"requests": [{"type": "execute", "stmt": {"sql": 1}}]})") ==
        "requests[0].stmt.sql: expected a string or null");
  CHECK(decode_error(R"({"requests": [{"type": "execute", "stmt": {"sql_id": 1.5}}]})") ==
        "requests[0].stmt.sql_id: expected a 32-bit integer");
  CHECK(decode_error(R"({"requests": [{"type": "execute", "stmt": {"sql_id": 4294967296}}]})") ==
        "requests[0].stmt.sql_id: expected a 32-bit integer");
  CHECK(decode_error(R"({"requests": [{"type": "execute", "stmt": {"sql": "x", "args": {}}}]})") ==
        "requests[0].stmt.args: expected an array");
  CHECK(decode_error(R"({"requests": [{"type": "execute", "stmt": {"sql": "x", "want_rows": 1}}]})") ==
        "requests[0].stmt.want_rows: expected a boolean");
  CHECK(decode_error(R"({"requests": [{"type": "batch", "batch": {"steps": [{"condition": {"type": "maybe"}, "stmt": {"sql": "x"}}]}}]})")
            .find("unknown condition") != std::string::npos);
  CHECK(decode_error(R"({"requests": [{"type": "store_sql", "sql_id": 1}]})") == "requests[0].sql: expected a string");
  CHECK(decode_error(R"({"requests": [{"type": "close_sql"}]})") == "requests[0].sql_id: missing");
}

TEST_CASE("pipeline: a duplicated key is refused (gate and upstream must read the same SQL)") {
  CHECK(decode_error(R"({"requests": [{"type": "execute", "stmt": {"sql": "SELECT 1", "sql": "DROP TABLE t"}}]})") ==
        "duplicate key \"sql\"");
}

TEST_CASE("pipeline: deeply nested conditions are bounded") {
  std::string cond = R"({"type": "is_autocommit"})";
  for (int i = 0; i < 100; ++i) cond = R"({"type": "not", "cond": )" + cond + "}";
  const std::string body = R"({"requests": [{"type": "batch", "batch": {"steps": [{"condition": )" + cond +
                           R"(, "stmt": {"sql": "x"}}]}}]})";
  CHECK(decode_error(body).find("nested too deeply") != std::string::npos);
}

TEST_CASE("resolve: sql_id uses stream texts and texts stored earlier in the pipeline") {
  const auto pipeline = decode_ok(R"({"requests": [
    {"type": "execute", "stmt": {"sql_id": 1}},
    {"type": "store_sql", "sql_id": 2, "sql": "DELETE FROM secrets"},
    {"type": "batch", "batch": {"steps": [{"stmt": {"sql_id": 2}}, {"stmt": {"sql": "SELECT 3"}}]}},
    {"type": "close_sql", "sql_id": 2},
    {"type": "sequence", "sql_id": 2}
  ]})");
  const auto resolved = resolve(pipeline, StoredSql{{1, "SELECT * FROM a"}});
  REQUIRE(resolved.size() == 5);
  CHECK(resolved[0].sqls == std::vector<std::string>{"SELECT * FROM a"});
  CHECK(resolved[1].sqls.empty());
  CHECK(resolved[2].sqls == std::vector<std::string>{"DELETE FROM secrets", "SELECT 3"});
  CHECK_FALSE(resolved[2].unresolved.has_value());
  CHECK(resolved[3].sqls.empty());
  REQUIRE(resolved[4].unresolved.has_value());
  CHECK(resolved[4].unresolved->code == "SQL_NOT_FOUND");
}

TEST_CASE("resolve: cursor steps") {
  auto decoded = decode_cursor(R"({"baton": null, "batch": {"steps": [{"stmt": {"sql": "SELECT 1"}}, {"stmt": {"sql_id": 9}}]}})");
  REQUIRE(decoded.request.has_value());
  const auto resolved = resolve(*decoded.request, StoredSql{{9, "UPDATE t SET x = 1"}});
  REQUIRE(resolved.size() == 2);
  CHECK(resolved[1].index == 1);
  CHECK(resolved[1].sqls == std::vector<std::string>{"UPDATE t SET x = 1"});
  CHECK_FALSE(decode_cursor(R"({"baton": null})").request.has_value());
  CHECK_FALSE(decode_cursor(R"({"batch": {"steps": {}}})").request.has_value());
}

TEST_CASE("stored texts follow only the requests that succeeded upstream") {
  const auto pipeline = decode_ok(R"({"requests": [
    {"type": "store_sql", "sql_id": 1, "sql": "SELECT 1"},
    {"type": "store_sql", "sql_id": 2, "sql": "SELECT 2"},
    {"type": "close_sql", "sql_id": 5}
  ]})");
  const auto stored = apply_stored_sql(pipeline, {true, false, true}, StoredSql{{5, "x"}});
  CHECK(stored == StoredSql{{1, "SELECT 1"}});
}

TEST_CASE("denial: one error per request, the client's baton kept, base_url set") {
  const auto body = json::parse(pipeline_denial_body(3, 1, Error{"permission denied: data_add on table \"comments\"", "SQLITE_AUTH"},
                                                     std::string("baton-1"), std::nullopt));
  CHECK(body["baton"] == "baton-1");
  CHECK(body["base_url"].is_null());
  REQUIRE(body["results"].size() == 3);
  for (const auto& result : body["results"]) CHECK(result["type"] == "error");
  CHECK(body["results"][1]["error"]["message"] == "permission denied: data_add on table \"comments\"");
  CHECK(body["results"][1]["error"]["code"] == "SQLITE_AUTH");
  CHECK(body["results"][0]["error"]["message"] == "not executed: request 1 was denied");
  CHECK(body["results"][2]["error"]["message"] == "not executed: request 1 was denied");

  const auto fresh = json::parse(pipeline_denial_body(1, 0, Error{"x", "SQLITE_AUTH"}, std::nullopt, "https://gate.example"));
  CHECK(fresh["baton"].is_null());
  CHECK(fresh["base_url"] == "https://gate.example");
}

TEST_CASE("denial: cursor is a head line then an error entry") {
  const std::string body = cursor_denial_body(Error{"permission denied", "SQLITE_AUTH"}, std::string("b"), std::nullopt);
  REQUIRE(body.back() == '\n');
  const auto newline = body.find('\n');
  const auto head = json::parse(body.substr(0, newline));
  const auto entry = json::parse(body.substr(newline + 1));
  CHECK(head == json{{"baton", "b"}, {"base_url", nullptr}});
  CHECK(entry["type"] == "error");
  CHECK(entry["error"]["code"] == "SQLITE_AUTH");
}

TEST_CASE("upstream responses: base_url replaced, baton and result kinds read") {
  const auto rewritten = rewrite_pipeline_response(
      R"({"baton": "next", "base_url": "http://10.0.0.5:8080", "results": [{"type": "ok", "response": {"type": "close"}}, {"type": "error", "error": {"message": "x"}}]})",
      std::nullopt);
  REQUIRE(rewritten.has_value());
  CHECK(rewritten->view.baton == "next");
  CHECK(rewritten->view.ok == std::vector<bool>{true, false});
  CHECK(rewritten->body.find("10.0.0.5") == std::string::npos);
  CHECK(json::parse(rewritten->body)["base_url"].is_null());

  const auto head = rewrite_cursor_head(R"({"baton": null, "base_url": "http://internal:1"})", "https://gate.example");
  REQUIRE(head.has_value());
  CHECK_FALSE(head->baton.has_value());
  CHECK(json::parse(head->line)["base_url"] == "https://gate.example");
  CHECK_FALSE(rewrite_pipeline_response("<html>", std::nullopt).has_value());
}

TEST_CASE("denied pipeline: only its store_sql/close_sql go upstream, results merged in place") {
  auto pipeline = decode_ok(R"({"baton":"b1","requests":[
      {"type":"store_sql","sql_id":7,"sql":"UPDATE comments SET body = 'x'"},
      {"type":"batch","batch":{"steps":[{"stmt":{"sql_id":7}}]}},
      {"type":"close_sql","sql_id":3},
      {"type":"execute","stmt":{"sql":"SELECT 1"}}]})");
  auto storage = storage_requests_of(pipeline);
  REQUIRE(storage.has_value());
  CHECK(storage->indices == std::vector<std::size_t>{0, 2});
  json forwarded = json::parse(storage->body);
  CHECK(forwarded["baton"] == "b1");
  REQUIRE(forwarded["requests"].size() == 2);
  CHECK(forwarded["requests"][0] == json{{"type", "store_sql"}, {"sql_id", 7}, {"sql", "UPDATE comments SET body = 'x'"}});
  CHECK(forwarded["requests"][1] == json{{"type", "close_sql"}, {"sql_id", 3}});

  auto upstream = rewrite_pipeline_response(
      R"({"baton":"b2","base_url":"http://10.0.0.5:8080","results":[{"type":"ok","response":{"type":"store_sql"}},)"
      R"({"type":"error","error":{"message":"no such sql id","code":"SQL_NOT_FOUND"}}]})",
      std::nullopt);
  REQUIRE(upstream.has_value());
  const Error denial{"permission denied: data_update on table \"comments\"", "SQLITE_AUTH"};
  auto answer = merge_denied_pipeline(*upstream, *storage, 4, 1, denial);
  REQUIRE(answer.has_value());
  CHECK(answer->ok == std::vector<bool>{true, false, false, false});
  json body = json::parse(answer->body);
  CHECK(body["baton"] == "b2");          // upstream's new baton: the old one is spent
  CHECK(body["base_url"].is_null());     // never steered past the gate
  REQUIRE(body["results"].size() == 4);
  CHECK(body["results"][0]["type"] == "ok");
  CHECK(body["results"][1]["error"]["message"] == denial.message);
  CHECK(body["results"][1]["error"]["code"] == "SQLITE_AUTH");
  CHECK(body["results"][2]["error"]["code"] == "SQL_NOT_FOUND");  // upstream's own answer, passed on
  CHECK(body["results"][3]["error"]["message"] == "not executed: request 1 was denied");
}

TEST_CASE("denied pipeline: nothing goes upstream without storage requests, mismatched answers refused") {
  auto plain = decode_ok(R"({"baton":null,"requests":[{"type":"execute","stmt":{"sql":"DELETE FROM t"}},{"type":"close"}]})");
  CHECK_FALSE(storage_requests_of(plain).has_value());

  auto pipeline = decode_ok(R"({"baton":null,"requests":[{"type":"store_sql","sql_id":1,"sql":"DELETE FROM t"},)"
                            R"({"type":"execute","stmt":{"sql_id":1}}]})");
  auto storage = storage_requests_of(pipeline);
  REQUIRE(storage.has_value());
  // Upstream answering with more (or fewer) results than were forwarded is not
  // trusted: the caller answers 502 instead of guessing which result is which.
  auto too_many = rewrite_pipeline_response(R"({"baton":"b","results":[{"type":"ok"},{"type":"ok"}]})", std::nullopt);
  REQUIRE(too_many.has_value());
  CHECK_FALSE(merge_denied_pipeline(*too_many, *storage, 2, 1, Error{"denied", "SQLITE_AUTH"}).has_value());
}
