#include <doctest/doctest.h>

#include <sstream>

#include "proxy/hrana_protobuf.hpp"
#include "protobuf_test_support.hpp"

using namespace gate::proxy::hrana;
using namespace std::string_literals;
using pbtest::Msg;

namespace {

PipelineRequest decode_ok(const Msg& body) {
  auto decoded = decode_pipeline_protobuf(body.bytes);
  REQUIRE_MESSAGE(decoded.request.has_value(), (decoded.error ? decoded.error->message : ""));
  return *decoded.request;
}

std::string decode_error(const Msg& body) {
  auto decoded = decode_pipeline_protobuf(body.bytes);
  REQUIRE_FALSE(decoded.request.has_value());
  REQUIRE(decoded.error.has_value());
  return decoded.error->message;
}

PipelineRequest decode_json_ok(const std::string& body) {
  auto decoded = decode_pipeline(body);
  REQUIRE_MESSAGE(decoded.request.has_value(), (decoded.error ? decoded.error->message : ""));
  return *decoded.request;
}

std::string describe(const std::vector<SqlRef>& refs) {
  std::ostringstream out;
  for (const SqlRef& ref : refs) {
    out << "[" << (ref.sql ? "sql:" + *ref.sql : "") << (ref.sql_id ? "id:" + std::to_string(*ref.sql_id) : "") << "]";
  }
  return out.str();
}

// Everything the gate reads of a pipeline, as text, to compare two decodes.
std::string describe(const PipelineRequest& pipeline) {
  std::ostringstream out;
  out << "baton=" << pipeline.baton.value_or("<none>") << ";";
  for (const StreamRequest& r : pipeline.requests) {
    out << to_string(r.kind) << describe(r.statements) << (r.sql_id ? " id=" + std::to_string(*r.sql_id) : "")
        << (r.kind == RequestKind::store_sql ? " text=" + r.stored_sql : "") << ";";
  }
  return out.str();
}

// PipelineReqBody with one StreamRequest.
Msg one(const Msg& stream_request) { return Msg{}.msg(2, stream_request); }

}  // namespace

TEST_CASE("protobuf pipeline: every stream request type decodes like its JSON twin") {
  // or(error(1), not(is_autocommit))
  Msg cond_or = Msg{}.msg(5, Msg{}.msg(1, Msg{}.num(2, 1)).msg(1, Msg{}.msg(3, Msg{}.msg(6, Msg{}))));
  Msg batch = Msg{}
                  .msg(1, Msg{}.msg(2, pbtest::stmt_sql("UPDATE t SET a = ?").msg(3, Msg{}.num(2, 4))))
                  .msg(1, Msg{}.msg(1, cond_or).msg(2, pbtest::stmt_id(9)));
  Msg body = Msg{}
                 .str(1, "baton-2")
                 .msg(2, pbtest::request(1, Msg{}))
                 .msg(2, pbtest::request(8, Msg{}))
                 .msg(2, pbtest::request(7, Msg{}.num(1, 9)))
                 .msg(2, pbtest::request(6, Msg{}.num(1, 9).str(2, "INSERT INTO t VALUES (2)")))
                 .msg(2, pbtest::request(5, Msg{}.str(1, "SELECT * FROM t")))
                 .msg(2, pbtest::request(4, Msg{}.num(2, 9)))
                 .msg(2, pbtest::request(3, Msg{}.msg(1, batch)))
                 .msg(2, pbtest::execute(pbtest::stmt_sql("SELECT :b")
                                             .msg(4, Msg{}.str(1, ":b").msg(2, Msg{}.str(4, "text")))
                                             .num(5, 0)));
  const auto json = decode_json_ok(R"J({"baton": "baton-2", "requests": [{"type": "close"},
    {"type": "get_autocommit"}, {"type": "close_sql", "sql_id": 9},
    {"type": "store_sql", "sql_id": 9, "sql": "INSERT INTO t VALUES (2)"},
    {"type": "describe", "sql": "SELECT * FROM t"}, {"type": "sequence", "sql_id": 9},
    {"type": "batch", "batch": {"steps": [{"stmt": {"sql": "UPDATE t SET a = ?", "args": [{"type": "integer", "value": "2"}]}},
      {"condition": {"type": "or", "conds": [{"type": "error", "step": 1}, {"type": "not", "cond": {"type": "is_autocommit"}}]},
       "stmt": {"sql_id": 9}}]}},
    {"type": "execute", "stmt": {"sql": "SELECT :b", "named_args": [{"name": ":b", "value": {"type": "text", "value": "text"}}],
     "want_rows": false}}]})J");
  const auto pipeline = decode_ok(body);
  CHECK(describe(pipeline) == describe(json));
  CHECK(describe(pipeline) ==
        "baton=baton-2;close;get_autocommit;close_sql id=9;store_sql id=9 text=INSERT INTO t VALUES (2);"
        "describe[sql:SELECT * FROM t];sequence[id:9];batch[sql:UPDATE t SET a = ?][id:9];execute[sql:SELECT :b];");
}

TEST_CASE("protobuf pipeline: absent baton is a new stream, proto3 defaults read as upstream reads them") {
  CHECK_FALSE(decode_ok(Msg{}).baton.has_value());
  CHECK(decode_ok(Msg{}).requests.empty());
  // store_sql without sql_id / sql: 0 and "" (plain proto3 scalars).
  const auto store = decode_ok(one(pbtest::request(6, Msg{})));
  CHECK(store.requests.at(0).sql_id == 0);
  CHECK(store.requests.at(0).stored_sql.empty());
  // An absent Batch is the empty batch.
  CHECK(decode_ok(one(pbtest::request(3, Msg{}))).requests.at(0).statements.empty());
  // Negative ids in both encodings int32 can take on the wire.
  CHECK(decode_ok(one(pbtest::execute(Msg{}.num(2, 0xffffffffu)))).requests.at(0).statements.at(0).sql_id == -1);
  CHECK(decode_ok(one(pbtest::execute(Msg{}.num(2, 0xfffffffffffffffeu)))).requests.at(0).statements.at(0).sql_id ==
        -2);
  // Empty text is a text.
  CHECK(decode_ok(one(pbtest::execute(pbtest::stmt_sql("")))).requests.at(0).statements.at(0).sql == "");
}

TEST_CASE("protobuf pipeline: unknown fields are skipped at every level") {
  const std::string unknown = "\x98\x06\x01"s + "\xa2\x06\x02xx"s + "\xfd\x06\x01\x02\x03\x04"s +
                              "\xf9\x06" + std::string(8, '\x01');
  Msg stmt = pbtest::stmt_sql("SELECT 1").raw(unknown);
  Msg step = Msg{}.raw(unknown).msg(2, stmt);
  Msg body = Msg{}
                 .raw(unknown)
                 .msg(2, Msg{}.raw(unknown).msg(2, Msg{}.raw(unknown).msg(1, stmt)))
                 .msg(2, pbtest::request(3, Msg{}.msg(1, Msg{}.raw(unknown).msg(1, step))));
  const auto pipeline = decode_ok(body);
  CHECK(describe(pipeline) == "baton=<none>;execute[sql:SELECT 1];batch[sql:SELECT 1];");
}

TEST_CASE("protobuf pipeline: wire-format violations are refused") {
  CHECK(decode_error(Msg{}.raw("\x12")) == "body field 2: message truncated");
  CHECK(decode_error(Msg{}.raw("\x12\x05\x12\x03")) == "body field 2: message truncated");  // length beyond body
  CHECK(decode_error(Msg{}.raw("\x08\x80\x80")) == "body field 1: message truncated");      // truncated varint
  CHECK(decode_error(Msg{}.raw("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f")) ==
        "body field 1: varint longer than 10 bytes or beyond 64 bits");
  CHECK(decode_error(Msg{}.raw("\x1b\x1c")) == "body field 3: groups are not supported");
  CHECK(decode_error(Msg{}.raw("\x0e")) == "body field 1: invalid wire type");
  CHECK(decode_error(Msg{}.num(1, 5)) == "body field 1: wrong wire type for this field");  // baton as varint
  CHECK(decode_error(Msg{}.num(2, 5)) == "body field 2: wrong wire type for this field");
  // The same inside a nested message: the path says where.
  CHECK(decode_error(one(pbtest::execute(Msg{}.raw("\x0a\x09SELECT")))) ==
        "requests[0].execute.stmt field 1: message truncated");
  CHECK(decode_error(one(pbtest::request(2, Msg{}.num(1, 1)))) ==
        "requests[0].execute field 1: wrong wire type for this field");
}

TEST_CASE("protobuf pipeline: a statement field given twice is refused, not last-wins") {
  // Upstream's decoder would run the last sql; the gate refuses rather than guess.
  CHECK(decode_error(one(pbtest::execute(pbtest::stmt_sql("SELECT 1").str(1, "DELETE FROM t")))) ==
        "requests[0].execute.stmt field 1: field appears more than once");
  CHECK(decode_error(one(pbtest::execute(pbtest::stmt_id(1).num(2, 2)))) ==
        "requests[0].execute.stmt field 2: field appears more than once");
  // Two stmt messages would merge upstream: SELECT's sql with DELETE's... refused.
  CHECK(decode_error(one(pbtest::request(2, Msg{}.msg(1, pbtest::stmt_sql("SELECT 1")).msg(1, pbtest::stmt_sql("x"))))) ==
        "requests[0].execute field 1: field appears more than once");
  CHECK(decode_error(one(pbtest::request(4, Msg{}.str(1, "SELECT 1").str(1, "DROP TABLE t")))) ==
        "requests[0].sequence field 1: field appears more than once");
  CHECK(decode_error(one(pbtest::request(6, Msg{}.num(1, 1).str(2, "SELECT 1").str(2, "DELETE FROM t")))) ==
        "requests[0].store_sql field 2: field appears more than once");
  CHECK(decode_error(one(pbtest::request(6, Msg{}.num(1, 1).num(1, 2).str(2, "x")))) ==
        "requests[0].store_sql field 1: field appears more than once");
  // A batch step's stmt twice.
  Msg step = Msg{}.msg(2, pbtest::stmt_sql("SELECT 1")).msg(2, pbtest::stmt_sql("DELETE FROM t"));
  CHECK(decode_error(one(pbtest::request(3, Msg{}.msg(1, Msg{}.msg(1, step))))) ==
        "requests[0].batch.batch.steps[0] field 2: field appears more than once");
  // A BatchStreamReq's batch twice (would merge: steps appended).
  Msg batch = pbtest::batch_of({pbtest::stmt_sql("SELECT 1")});
  CHECK(decode_error(one(pbtest::request(3, Msg{}.msg(1, batch).msg(1, batch)))) ==
        "requests[0].batch field 1: field appears more than once");
  // The baton twice.
  CHECK(decode_error(Msg{}.str(1, "a").str(1, "b")) == "body field 1: field appears more than once");
}

TEST_CASE("protobuf pipeline: the request oneof must have exactly one member") {
  CHECK(decode_error(one(Msg{})) == "requests[0]: no member of the oneof is set");
  CHECK(decode_error(one(Msg{}.raw("\x98\x06\x01"))) == "requests[0]: no member of the oneof is set");
  // execute and sequence in one StreamRequest: upstream would take the last.
  Msg both = Msg{}.msg(2, Msg{}.msg(1, pbtest::stmt_sql("SELECT 1"))).msg(4, Msg{}.str(1, "DROP TABLE t"));
  CHECK(decode_error(one(both)) == "requests[0]: more than one member of the oneof is set");
  // The same member twice (would merge).
  Msg twice = Msg{}.msg(2, Msg{}.msg(1, pbtest::stmt_sql("SELECT 1"))).msg(2, Msg{});
  CHECK(decode_error(one(twice)) == "requests[0] field 2: field appears more than once");
}

TEST_CASE("protobuf pipeline: sql and sql_id, exactly one") {
  CHECK(decode_error(one(pbtest::execute(Msg{}))) == "requests[0].execute.stmt: exactly one of sql and sql_id is required");
  CHECK(decode_error(one(pbtest::execute(pbtest::stmt_sql("x").num(2, 1)))) ==
        "requests[0].execute.stmt: exactly one of sql and sql_id is required");
  CHECK(decode_error(one(pbtest::request(5, Msg{}))) == "requests[0].describe: exactly one of sql and sql_id is required");
  CHECK(decode_error(one(pbtest::request(2, Msg{}))) == "requests[0].execute.stmt: missing");
  Msg no_stmt = Msg{}.msg(1, Msg{}.msg(1, Msg{}));
  CHECK(decode_error(one(pbtest::request(3, no_stmt))) == "requests[0].batch.batch.steps[0].stmt: missing");
}

TEST_CASE("protobuf pipeline: strings the gate reads must be valid UTF-8") {
  CHECK(decode_error(one(pbtest::execute(pbtest::stmt_sql("SELECT '\xff'")))) ==
        "requests[0].execute.stmt.sql: invalid UTF-8");
  CHECK(decode_error(one(pbtest::execute(pbtest::stmt_sql("SELECT '\xc0\xaf'")))) ==
        "requests[0].execute.stmt.sql: invalid UTF-8");
  CHECK(decode_error(one(pbtest::request(6, Msg{}.num(1, 1).str(2, "\xed\xa0\x80")))) ==
        "requests[0].store_sql.sql: invalid UTF-8");
  CHECK(decode_error(Msg{}.str(1, "\xfe")) == "baton: invalid UTF-8");
  CHECK(decode_error(one(pbtest::execute(pbtest::stmt_sql("SELECT :a").msg(4, Msg{}.str(1, "\xff"))))) ==
        "requests[0].execute.stmt.named_args[0].name: invalid UTF-8");
}

TEST_CASE("protobuf pipeline: int32 values that prost would truncate are refused") {
  CHECK(decode_error(one(pbtest::execute(Msg{}.num(2, 0x100000001u)))) ==
        "requests[0].execute.stmt.sql_id: expected a 32-bit integer");
  CHECK(decode_error(one(pbtest::request(7, Msg{}.num(1, 0x7fffffff00000000u)))) ==
        "requests[0].close_sql.sql_id: expected a 32-bit integer");
  Msg cond = Msg{}.num(1, 0x100000000u);
  Msg step = Msg{}.msg(1, cond).msg(2, pbtest::stmt_sql("SELECT 1"));
  CHECK(decode_error(one(pbtest::request(3, Msg{}.msg(1, Msg{}.msg(1, step))))) ==
        "requests[0].batch.batch.steps[0].condition.step: expected a 32-bit unsigned integer");
}

TEST_CASE("protobuf pipeline: batch conditions are checked and their nesting bounded") {
  auto with_condition = [](const Msg& cond) {
    Msg step = Msg{}.msg(1, cond).msg(2, pbtest::stmt_sql("SELECT 1"));
    return one(pbtest::request(3, Msg{}.msg(1, Msg{}.msg(1, step))));
  };
  auto nested = [](int depth) {
    Msg cond = Msg{}.msg(6, Msg{});
    for (int i = 0; i < depth; ++i) cond = Msg{}.msg(3, cond);
    return cond;
  };
  CHECK(decode_ok(with_condition(nested(64))).requests.at(0).statements.size() == 1);
  CHECK(decode_error(with_condition(nested(65))).find("condition nested too deeply") != std::string::npos);
  // Deep through and/or lists too.
  Msg deep = Msg{}.msg(6, Msg{});
  for (int i = 0; i < 70; ++i) deep = Msg{}.msg(i % 2 ? 4 : 5, Msg{}.msg(1, deep));
  CHECK(decode_error(with_condition(deep)).find("condition nested too deeply") != std::string::npos);
  CHECK(decode_error(with_condition(Msg{})) == "requests[0].batch.batch.steps[0].condition: no member of the oneof is set");
  CHECK(decode_error(with_condition(Msg{}.num(1, 0).num(2, 0))) ==
        "requests[0].batch.batch.steps[0].condition: more than one member of the oneof is set");
  CHECK(decode_error(with_condition(Msg{}.str(1, "x"))) ==
        "requests[0].batch.batch.steps[0].condition field 1: wrong wire type for this field");
}

TEST_CASE("protobuf cursor: the batch decodes like its JSON twin") {
  Msg step = Msg{}.msg(1, Msg{}.num(2, 0)).msg(2, pbtest::stmt_id(3));
  Msg body = Msg{}.str(1, "b").msg(2, Msg{}.msg(1, Msg{}.msg(2, pbtest::stmt_sql("SELECT 1"))).msg(1, step));
  auto decoded = decode_cursor_protobuf(body.bytes);
  REQUIRE(decoded.request);
  auto json = decode_cursor(R"({"baton": "b", "batch": {"steps": [{"stmt": {"sql": "SELECT 1"}},
    {"condition": {"type": "error", "step": 0}, "stmt": {"sql_id": 3}}]}})");
  REQUIRE(json.request);
  CHECK(decoded.request->baton == "b");
  CHECK(describe(decoded.request->steps) == describe(json.request->steps));
  CHECK(describe(decoded.request->steps) == "[sql:SELECT 1][id:3]");

  CHECK(decode_cursor_protobuf(Msg{}.bytes).request->steps.empty());
  auto dup = decode_cursor_protobuf(Msg{}.msg(2, Msg{}).msg(2, Msg{}).bytes);
  REQUIRE(dup.error);
  CHECK(dup.error->message == "body field 2: field appears more than once");
  auto bad = decode_cursor_protobuf(Msg{}.msg(2, Msg{}.msg(1, Msg{}.msg(2, pbtest::stmt_sql("\xff")))).bytes);
  REQUIRE(bad.error);
  CHECK(bad.error->message == "batch.steps[0].stmt.sql: invalid UTF-8");
}

TEST_CASE("protobuf denial bodies read back as PipelineRespBody / cursor items") {
  const Error denial{"permission denied: data_add on table \"t\"", "SQLITE_AUTH"};
  const auto body = pbtest::read(pipeline_denial_body_protobuf(3, 1, denial, "b1", "https://gate"));
  CHECK(pbtest::one_bytes(body, 1) == "b1");
  CHECK(pbtest::one_bytes(body, 2) == "https://gate");
  const auto results = pbtest::all_bytes(body, 3);
  REQUIRE(results.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto result = pbtest::read(results[i]);
    CHECK(result.count(1) == 0);
    const auto error = pbtest::read(pbtest::one_bytes(result, 2));
    CHECK(pbtest::one_bytes(error, 2) == "SQLITE_AUTH");
    CHECK(pbtest::one_bytes(error, 1) ==
          (i == 1 ? denial.message : "not executed: request 1 was denied"));
  }
  // No baton, no base_url: the fields are absent (proto3 optional).
  const auto bare = pbtest::read(pipeline_denial_body_protobuf(1, 0, denial, std::nullopt, std::nullopt));
  CHECK(bare.count(1) == 0);
  CHECK(bare.count(2) == 0);

  const auto items = pbtest::delimited_items(cursor_denial_body_protobuf(denial, "b2", std::nullopt));
  REQUIRE(items.size() == 2);
  const auto head = pbtest::read(items[0]);
  CHECK(pbtest::one_bytes(head, 1) == "b2");
  CHECK(head.count(2) == 0);
  const auto entry = pbtest::read(items[1]);
  REQUIRE(entry.size() == 1);
  const auto error = pbtest::read(pbtest::one_bytes(entry, 5));
  CHECK(pbtest::one_bytes(error, 1) == denial.message);
  CHECK(pbtest::one_bytes(error, 2) == "SQLITE_AUTH");
}

namespace {

Msg ok_result() { return Msg{}.msg(1, Msg{}.msg(4, Msg{})); }
Msg error_result(std::string_view message) { return Msg{}.msg(2, Msg{}.str(1, message).str(2, "SQLITE_ERROR")); }

}  // namespace

TEST_CASE("protobuf upstream pipeline response: base_url replaced, baton and results read") {
  // base_url in the middle, an unknown field kept.
  Msg upstream = Msg{}.str(1, "next").str(2, "http://upstream:8080").msg(3, ok_result()).num(9, 1).msg(3, error_result("boom"));
  auto rewritten = rewrite_pipeline_response_protobuf(upstream.bytes, "https://gate.example");
  REQUIRE(rewritten);
  CHECK(rewritten->view.baton == "next");
  CHECK(rewritten->view.ok == std::vector<bool>{true, false});
  const auto body = pbtest::read(rewritten->body);
  CHECK(pbtest::one_bytes(body, 2) == "https://gate.example");
  CHECK(pbtest::one_bytes(body, 1) == "next");
  CHECK(pbtest::all_bytes(body, 3) == std::vector<std::string>{ok_result().bytes, error_result("boom").bytes});
  CHECK(body.count(9) == 1);
  CHECK(rewritten->body.find("upstream:8080") == std::string::npos);

  // No public_url: upstream's base_url is removed, never passed on.
  auto removed = rewrite_pipeline_response_protobuf(upstream.bytes, std::nullopt);
  REQUIRE(removed);
  CHECK(pbtest::read(removed->body).count(2) == 0);

  CHECK_FALSE(rewrite_pipeline_response_protobuf("\x1a\x05", std::nullopt));          // truncated
  CHECK_FALSE(rewrite_pipeline_response_protobuf(Msg{}.msg(3, Msg{}).bytes, std::nullopt));  // empty StreamResult
  CHECK_FALSE(rewrite_pipeline_response_protobuf(Msg{}.str(2, "a").str(2, "b").bytes, std::nullopt));
}

TEST_CASE("protobuf storage requests of a denied pipeline, and the merged answer") {
  Msg body = Msg{}
                 .str(1, "b1")
                 .msg(2, pbtest::request(6, Msg{}.num(1, 4).str(2, "SELECT secret FROM t")))
                 .msg(2, pbtest::execute(pbtest::stmt_id(4)))
                 .msg(2, pbtest::request(7, Msg{}.num(1, 0xffffffffu)));
  const auto pipeline = decode_ok(body);
  auto storage = storage_requests_of_protobuf(pipeline);
  REQUIRE(storage);
  CHECK(storage->indices == std::vector<std::size_t>{0, 2});
  // What goes upstream decodes as exactly those requests, on the client's stream.
  CHECK(describe(decode_ok(Msg{storage->body})) == "baton=b1;store_sql id=4 text=SELECT secret FROM t;close_sql id=-1;");

  const Error denial{"permission denied: data_read on table \"t\"", "SQLITE_AUTH"};
  Msg upstream = Msg{}.str(1, "b2").msg(3, ok_result()).msg(3, error_result("no such id"));
  auto rewritten = rewrite_pipeline_response_protobuf(upstream.bytes, "https://gate");
  REQUIRE(rewritten);
  auto answer = merge_denied_pipeline_protobuf(*rewritten, *storage, 3, 1, denial);
  REQUIRE(answer);
  CHECK(answer->ok == std::vector<bool>{true, false, false});
  const auto merged = pbtest::read(answer->body);
  CHECK(pbtest::one_bytes(merged, 1) == "b2");
  CHECK(pbtest::one_bytes(merged, 2) == "https://gate");
  const auto results = pbtest::all_bytes(merged, 3);
  REQUIRE(results.size() == 3);
  CHECK(results[0] == ok_result().bytes);
  CHECK(pbtest::one_bytes(pbtest::read(pbtest::one_bytes(pbtest::read(results[1]), 2)), 1) == denial.message);
  CHECK(results[2] == error_result("no such id").bytes);

  // Upstream answering a different number of results is not merged.
  Msg short_answer = Msg{}.str(1, "b2").msg(3, ok_result());
  auto short_rewritten = rewrite_pipeline_response_protobuf(short_answer.bytes, std::nullopt);
  REQUIRE(short_rewritten);
  CHECK_FALSE(merge_denied_pipeline_protobuf(*short_rewritten, *storage, 3, 1, denial));

  CHECK_FALSE(storage_requests_of_protobuf(decode_ok(one(pbtest::execute(pbtest::stmt_sql("x"))))));
}

TEST_CASE("protobuf cursor head: rewritten once its length-delimited item is complete") {
  Msg head = Msg{}.str(1, "b9").str(2, "http://upstream").num(7, 3);
  std::string stream;
  stream += pbtest::varint(head.bytes.size()) + head.bytes;
  Msg entry = Msg{}.msg(1, Msg{}.num(1, 0));
  stream += pbtest::varint(entry.bytes.size()) + entry.bytes;
  const std::size_t head_size = pbtest::varint(head.bytes.size()).size() + head.bytes.size();
  for (std::size_t n = 0; n < head_size; ++n) {
    CHECK(rewrite_cursor_head_protobuf(stream.substr(0, n), "https://gate").state == CursorHead::State::incomplete);
  }
  auto done = rewrite_cursor_head_protobuf(stream, "https://gate");
  REQUIRE(done.state == CursorHead::State::complete);
  CHECK(done.consumed == head_size);
  CHECK(done.baton == "b9");
  const auto items = pbtest::delimited_items(done.rewritten);
  REQUIRE(items.size() == 1);
  const auto fields = pbtest::read(items[0]);
  CHECK(pbtest::one_bytes(fields, 1) == "b9");
  CHECK(pbtest::one_bytes(fields, 2) == "https://gate");
  CHECK(fields.count(7) == 1);

  CHECK(rewrite_cursor_head_protobuf("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"s, std::nullopt).state ==
        CursorHead::State::malformed);
  CHECK(rewrite_cursor_head_protobuf("\x02\x0b\x0c"s, std::nullopt).state == CursorHead::State::malformed);
  // A huge announced length is only ever incomplete (the relay bounds what it buffers).
  CHECK(rewrite_cursor_head_protobuf("\xff\xff\xff\xff\x0f"s, std::nullopt).state == CursorHead::State::incomplete);
}
