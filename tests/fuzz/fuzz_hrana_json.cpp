// libFuzzer target for the Hrana JSON codecs: any bytes as an HTTP pipeline
// body, a cursor body, an upstream pipeline response and cursor head, and as a
// WebSocket client frame and upstream frame. Nothing may crash; accepted requests
// name exactly one of sql / sql_id per statement; the storage requests forwarded
// for a denied pipeline decode back to the client's own; a rewritten response
// carries the gate's base_url and rewriting it again changes nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/hrana_ws_json.hpp"
#include "tests/fuzz/hrana_fuzz_checks.hpp"

using namespace gate::proxy::hrana;
using hrana_fuzz::check;
using hrana_fuzz::check_refs;

namespace {

const std::optional<std::string> kBaseUrl = std::string("https://gate.example");

void pipeline(std::string_view input) {
  auto decoded = decode_pipeline(input);
  check(decoded.request.has_value() != decoded.error.has_value());
  if (!decoded.request) return;
  const PipelineRequest& p = *decoded.request;
  for (const StreamRequest& r : p.requests) check_refs(r.statements);
  resolve(p, StoredSql{});
  hrana_fuzz::check_storage_round_trip(p, storage_requests_of(p),
                                       [](std::string_view body) { return decode_pipeline(body); });

  const std::size_t count = p.requests.size();
  auto reread = rewrite_pipeline_response(pipeline_denial_body(count, 0, Error{"denied", "SQLITE_AUTH"}, p.baton, kBaseUrl),
                                          kBaseUrl);
  check(reread && reread->view.ok == std::vector<bool>(count, false));
}

void cursor(std::string_view input) {
  auto decoded = decode_cursor(input);
  check(decoded.request.has_value() != decoded.error.has_value());
  if (decoded.request) check_refs(decoded.request->steps);
}

void upstream(std::string_view input) {
  if (auto rewritten = rewrite_pipeline_response(input, kBaseUrl)) {
    auto again = rewrite_pipeline_response(rewritten->body, kBaseUrl);
    check(again && again->body == rewritten->body && again->view.ok == rewritten->view.ok);
  }
  if (auto head = rewrite_cursor_head(input, kBaseUrl)) {
    auto again = rewrite_cursor_head(head->line, kBaseUrl);
    check(again && again->line == head->line && again->baton == head->baton);
  }
}

void websocket(std::string_view input) {
  auto decoded = ws::decode_client_message_json(input);
  check(decoded.message.has_value() != decoded.error.has_value());
  if (decoded.message && decoded.message->type == ws::ClientMessage::Type::request) {
    check_refs(decoded.message->request.statements);
  }
  ws::inspect_server_message_json(input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  pipeline(input);
  cursor(input);
  upstream(input);
  websocket(input);
  return 0;
}
