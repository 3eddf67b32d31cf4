// Hrana decode of typical pipeline bodies, JSON (proxy/hrana_json.hpp) and the same
// requests in protobuf (proxy/hrana_protobuf.hpp): what the gate pays per request
// to find the statements it must authorize.
#include <benchmark/benchmark.h>

#include <string>

#include "proxy/hrana_json.hpp"
#include "proxy/hrana_protobuf.hpp"
#include "proxy/protobuf_wire.hpp"

namespace {

// What @libsql/client sends for `execute("SELECT ... WHERE id = ?", [42])` on a new stream.
const std::string kSelectWithArgs =
    R"j({"baton":null,"requests":[{"type":"execute","stmt":{"sql":"SELECT id, name, email FROM users WHERE id = ?","args":[{"type":"integer","value":"42"}],"want_rows":true}},{"type":"close"}]})j";

// An INSERT with three positional args.
const std::string kInsert =
    R"j({"baton":null,"requests":[{"type":"execute","stmt":{"sql":"INSERT INTO users (id, name, email) VALUES (?, ?, ?)","args":[{"type":"integer","value":"7"},{"type":"text","value":"ada"},{"type":"text","value":"ada@example.com"}],"want_rows":false}},{"type":"close"}]})j";

// A transaction as the client sends it: a batch of BEGIN, 10 INSERTs with named args, COMMIT.
std::string batch_body() {
  std::string steps = R"j({"stmt":{"sql":"BEGIN"}})j";
  for (int i = 0; i < 10; ++i) {
    steps += R"j(,{"condition":{"type":"ok","step":)j" + std::to_string(i) +
             R"j(},"stmt":{"sql":"INSERT INTO users (id, name) VALUES (:id, :name)","named_args":[{"name":":id","value":{"type":"integer","value":")j" +
             std::to_string(i) + R"j("}},{"name":":name","value":{"type":"text","value":"user)j" + std::to_string(i) +
             R"j("}}]}})j";
  }
  steps += R"j(,{"condition":{"type":"ok","step":10},"stmt":{"sql":"COMMIT"}})j";
  return R"j({"baton":null,"requests":[{"type":"batch","batch":{"steps":[)j" + steps + R"j(]}},{"type":"close"}]})j";
}

// The same three requests as @libsql/hrana-client encodes them in protobuf.
namespace pb {
using namespace gate::proxy::protobuf;

std::string message(std::uint32_t field, const std::string& inner) {
  std::string out;
  put_bytes_field(out, field, inner);
  return out;
}
std::string text(std::uint32_t field, std::string_view value) {
  std::string out;
  put_bytes_field(out, field, value);
  return out;
}
std::string integer(std::uint32_t field, std::uint64_t value) {
  std::string out;
  put_varint_field(out, field, value);
  return out;
}
std::string value_integer(std::int64_t v) { return integer(2, static_cast<std::uint64_t>(v) << 1); }  // sint64
std::string value_text(std::string_view v) { return text(4, v); }
// PipelineReqBody{requests: [execute{stmt}, close]}.
std::string execute_and_close(const std::string& stmt) {
  return message(2, message(2, message(1, stmt))) + message(2, message(1, ""));
}

const std::string kSelectWithArgs = execute_and_close(text(1, "SELECT id, name, email FROM users WHERE id = ?") +
                                                      message(3, value_integer(42)) + integer(5, 1));
const std::string kInsert =
    execute_and_close(text(1, "INSERT INTO users (id, name, email) VALUES (?, ?, ?)") + message(3, value_integer(7)) +
                      message(3, value_text("ada")) + message(3, value_text("ada@example.com")) + integer(5, 0));

std::string batch_body() {
  std::string steps = message(1, message(2, text(1, "BEGIN")));
  for (int i = 0; i < 10; ++i) {
    const std::string stmt = text(1, "INSERT INTO users (id, name) VALUES (:id, :name)") +
                             message(4, text(1, ":id") + message(2, value_integer(i))) +
                             message(4, text(1, ":name") + message(2, value_text("user" + std::to_string(i))));
    steps += message(1, message(1, integer(1, static_cast<std::uint64_t>(i))) + message(2, stmt));
  }
  steps += message(1, message(1, integer(1, 10)) + message(2, text(1, "COMMIT")));
  return message(2, message(3, message(1, steps))) + message(2, message(1, ""));
}
}  // namespace pb

// `Decode` is decode_pipeline or decode_pipeline_protobuf.
template <auto Decode>
void decode(benchmark::State& state, const std::string& body) {
  for (auto _ : state) {
    auto decoded = Decode(body);
    if (!decoded.request) state.SkipWithError("body did not decode");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body.size()));
}

constexpr auto json_decode = [](std::string_view body) { return gate::proxy::hrana::decode_pipeline(body); };
constexpr auto protobuf_decode = [](std::string_view body) {
  return gate::proxy::hrana::decode_pipeline_protobuf(body);
};

void BM_DecodeSelectWithArgs(benchmark::State& state) { decode<json_decode>(state, kSelectWithArgs); }
void BM_DecodeInsert(benchmark::State& state) { decode<json_decode>(state, kInsert); }
void BM_DecodeBatch12Steps(benchmark::State& state) {
  static const std::string body = batch_body();
  decode<json_decode>(state, body);
}

void BM_DecodeProtobufSelectWithArgs(benchmark::State& state) { decode<protobuf_decode>(state, pb::kSelectWithArgs); }
void BM_DecodeProtobufInsert(benchmark::State& state) { decode<protobuf_decode>(state, pb::kInsert); }
void BM_DecodeProtobufBatch12Steps(benchmark::State& state) {
  static const std::string body = pb::batch_body();
  decode<protobuf_decode>(state, body);
}

}  // namespace

BENCHMARK(BM_DecodeSelectWithArgs);
BENCHMARK(BM_DecodeInsert);
BENCHMARK(BM_DecodeBatch12Steps);
BENCHMARK(BM_DecodeProtobufSelectWithArgs);
BENCHMARK(BM_DecodeProtobufInsert);
BENCHMARK(BM_DecodeProtobufBatch12Steps);

BENCHMARK_MAIN();
