// libFuzzer target for the Hrana-over-HTTP protobuf codec: any bytes as a
// pipeline body, a cursor body, an upstream pipeline response and the start of an
// upstream cursor response. Nothing may crash, and what the codec accepts must
// hold the invariants the gate relies on:
// - every statement names exactly one of sql / sql_id, and its text is valid
//   UTF-8 (so the gate and upstream read the same SQL);
// - the storage requests forwarded for a denied pipeline decode back to exactly
//   the client's store_sql / close_sql requests, on the client's baton;
// - a denial body reads back as a pipeline response with one error per request;
// - rewriting a response sets base_url to the gate's and is idempotent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/hrana_protobuf.hpp"
#include "proxy/protobuf_wire.hpp"
#include "tests/fuzz/hrana_fuzz_checks.hpp"

using namespace gate::proxy::hrana;
using hrana_fuzz::check;
namespace protobuf = gate::proxy::protobuf;

namespace {

// As hrana_fuzz::check_refs, and every text valid UTF-8.
void check_refs(const std::vector<SqlRef>& refs) {
  hrana_fuzz::check_refs(refs);
  for (const SqlRef& ref : refs) {
    if (ref.sql) check(protobuf::valid_utf8(*ref.sql));
  }
}

const std::optional<std::string> kBaseUrl = std::string("https://gate.example");

void pipeline(std::string_view input) {
  auto decoded = decode_pipeline_protobuf(input);
  check(decoded.request.has_value() != decoded.error.has_value());
  if (!decoded.request) return;
  const PipelineRequest& p = *decoded.request;
  if (p.baton) check(protobuf::valid_utf8(*p.baton));
  for (const StreamRequest& r : p.requests) {
    check_refs(r.statements);
    switch (r.kind) {
      case RequestKind::execute:
      case RequestKind::sequence:
      case RequestKind::describe: check(r.statements.size() == 1); break;
      case RequestKind::batch: break;
      case RequestKind::store_sql:
        check(r.sql_id.has_value() && protobuf::valid_utf8(r.stored_sql));
        check(r.statements.empty());
        break;
      case RequestKind::close_sql: check(r.sql_id.has_value() && r.statements.empty()); break;
      default: check(r.statements.empty()); break;
    }
  }
  resolve(p, StoredSql{});

  hrana_fuzz::check_storage_round_trip(p, storage_requests_of_protobuf(p),
                                       [](std::string_view body) { return decode_pipeline_protobuf(body); });


  const Error denial{"permission denied", "SQLITE_AUTH"};
  const std::size_t count = p.requests.size();
  auto body = pipeline_denial_body_protobuf(count, count / 2, denial, p.baton, kBaseUrl);
  auto reread = rewrite_pipeline_response_protobuf(body, kBaseUrl);
  check(reread.has_value());
  check(reread->view.ok == std::vector<bool>(count, false));
  check(reread->view.baton == p.baton);
}

void cursor(std::string_view input) {
  auto decoded = decode_cursor_protobuf(input);
  check(decoded.request.has_value() != decoded.error.has_value());
  if (!decoded.request) return;
  check_refs(decoded.request->steps);
  check(resolve(*decoded.request, StoredSql{}).size() == decoded.request->steps.size());
}

void upstream_response(std::string_view input) {
  auto rewritten = rewrite_pipeline_response_protobuf(input, kBaseUrl);
  if (!rewritten) return;
  auto again = rewrite_pipeline_response_protobuf(rewritten->body, kBaseUrl);
  check(again.has_value());
  check(again->body == rewritten->body);
  check(again->view.ok == rewritten->view.ok && again->view.baton == rewritten->view.baton);
  protobuf::Message message;
  check(!message.parse(rewritten->body, {{2, protobuf::WireType::length_delimited}}));
  check(message.find(2) && message.find(2)->bytes == *kBaseUrl);
  auto removed = rewrite_pipeline_response_protobuf(input, std::nullopt);
  check(removed.has_value());
  check(!message.parse(removed->body, {{2, protobuf::WireType::length_delimited}}) && message.find(2) == nullptr);
}

void cursor_head(std::string_view input) {
  auto head = rewrite_cursor_head_protobuf(input, kBaseUrl);
  if (head.state != CursorHead::State::complete) return;
  check(head.consumed <= input.size());
  auto again = rewrite_cursor_head_protobuf(head.rewritten, kBaseUrl);
  check(again.state == CursorHead::State::complete);
  check(again.rewritten == head.rewritten && again.consumed == head.rewritten.size() && again.baton == head.baton);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  pipeline(input);
  cursor(input);
  upstream_response(input);
  cursor_head(input);
  return 0;
}
