// Hrana JSON decode of typical pipeline bodies (proxy/hrana_json.hpp): what the gate
// pays per request to find the statements it must authorize.
#include <benchmark/benchmark.h>

#include <string>

#include "proxy/hrana_json.hpp"

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

void decode(benchmark::State& state, const std::string& body) {
  for (auto _ : state) {
    auto decoded = gate::proxy::hrana::decode_pipeline(body);
    if (!decoded.request) state.SkipWithError("body did not decode");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body.size()));
}

void BM_DecodeSelectWithArgs(benchmark::State& state) { decode(state, kSelectWithArgs); }
void BM_DecodeInsert(benchmark::State& state) { decode(state, kInsert); }
void BM_DecodeBatch12Steps(benchmark::State& state) {
  static const std::string body = batch_body();
  decode(state, body);
}

}  // namespace

BENCHMARK(BM_DecodeSelectWithArgs);
BENCHMARK(BM_DecodeInsert);
BENCHMARK(BM_DecodeBatch12Steps);

BENCHMARK_MAIN();
