// libFuzzer target for the Hrana-over-WebSocket protobuf codec: any bytes as a
// client frame (ClientMsg) and as an upstream frame (ServerMsg). Nothing may
// crash; an accepted request must carry what the gate authorizes (statements
// with exactly one of sql / sql_id, valid UTF-8 text, the right number of them
// for its type); the frames the gate builds from the input's values must read
// back as themselves.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/hrana_ws_protobuf.hpp"
#include "proxy/protobuf_wire.hpp"

using namespace gate::proxy::hrana;
using namespace gate::proxy::hrana::ws;
namespace protobuf = gate::proxy::protobuf;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void client(std::string_view input) {
  auto decoded = decode_client_message_protobuf(input);
  check(decoded.message.has_value() != decoded.error.has_value());
  if (!decoded.message) return;
  const ClientMessage& m = *decoded.message;
  if (m.type == ClientMessage::Type::hello) {
    if (m.jwt) check(protobuf::valid_utf8(*m.jwt));
    auto again = decode_client_message_protobuf(encode_hello_protobuf(m.jwt));
    check(again.message && again.message->type == ClientMessage::Type::hello && again.message->jwt == m.jwt);
    return;
  }
  const Request& r = m.request;
  for (const SqlRef& ref : r.statements) {
    check(ref.sql.has_value() != ref.sql_id.has_value());
    if (ref.sql) check(protobuf::valid_utf8(*ref.sql));
  }
  switch (r.type) {
    case RequestType::execute:
    case RequestType::sequence:
    case RequestType::describe: check(r.statements.size() == 1 && r.stream_id); break;
    case RequestType::batch: check(r.stream_id.has_value()); break;
    case RequestType::open_cursor: check(r.stream_id && r.cursor_id); break;
    case RequestType::store_sql: check(r.sql_id && r.statements.empty() && protobuf::valid_utf8(r.stored_sql)); break;
    case RequestType::close_sql: check(r.sql_id && r.statements.empty()); break;
    default: check(r.statements.empty()); break;
  }
  // The gate's answers to this request read back as such.
  const Error error{std::string(input.substr(0, 16)), "SQLITE_AUTH"};
  auto refused = inspect_server_message_protobuf(encode_response_error_protobuf(m.request_id, error));
  check(refused && refused->type == ServerMessage::Type::response_error && refused->request_id == m.request_id);
  check(refused->error && refused->error->message == error.message);
  auto empty = inspect_server_message_protobuf(encode_empty_response_ok_protobuf(m.request_id, r.type));
  check(empty && empty->type == ServerMessage::Type::response_ok && empty->response_type == r.type);
}

void server(std::string_view input) {
  auto inspected = inspect_server_message_protobuf(input);
  if (!inspected) return;
  switch (inspected->type) {
    case ServerMessage::Type::hello_ok: check(!inspected->error); break;
    case ServerMessage::Type::hello_error:
    case ServerMessage::Type::response_error: check(inspected->error.has_value()); break;
    case ServerMessage::Type::response_ok: check(inspected->response_type.has_value()); break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  client(input);
  server(input);
  return 0;
}
