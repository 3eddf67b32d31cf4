#include "proxy/hrana_ws_protobuf.hpp"

#include "proxy/hrana_protobuf_shared.hpp"

namespace gate::proxy::hrana::ws {

namespace {

using namespace protobuf_shared;

// RequestMsg's and ResponseOkMsg's oneofs number their members 2..13 in the
// order of RequestType.
constexpr std::uint32_t kFirstRequestField = 2;

std::uint32_t field_of(RequestType type) { return kFirstRequestField + static_cast<std::uint32_t>(type); }
RequestType type_of(std::uint32_t field) { return static_cast<RequestType>(field - kFirstRequestField); }

// Every member of the request / response oneof, all length-delimited.
constexpr std::initializer_list<std::uint32_t> kRequestFields{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};

// Plain proto3 int32 fields: absent reads as 0, as upstream reads it.
std::int32_t int32_or_zero(const Message& message, std::uint32_t number, const std::string& path) {
  return protobuf_shared::int32_of(message.find(number), path).value_or(0);
}

Request request(const Field& member, const std::string& outer_path) {
  Request out;
  out.type = type_of(member.number);
  const std::string path = outer_path + "." + std::string(to_string(out.type));
  Message m;
  switch (out.type) {
    case RequestType::open_stream:
    case RequestType::close_stream:
    case RequestType::get_autocommit:
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}}, path);
      out.stream_id = int32_or_zero(m, 1, path + ".stream_id");
      break;
    case RequestType::execute: {
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}, {2, kBytes}}, path);
      out.stream_id = int32_or_zero(m, 1, path + ".stream_id");
      const Field* stmt = m.find(2);
      if (stmt == nullptr) throw Malformed{path + ".stmt: missing"};
      out.statements.push_back(protobuf_shared::stmt(stmt->bytes, path + ".stmt"));
      break;
    }
    case RequestType::batch: {
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}, {2, kBytes}}, path);
      out.stream_id = int32_or_zero(m, 1, path + ".stream_id");
      // An absent Batch is proto3's empty one, as upstream reads it.
      if (const Field* batch = m.find(2)) out.statements = protobuf_shared::batch(batch->bytes, path + ".batch");
      break;
    }
    case RequestType::open_cursor: {
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}, {2, kVarint}, {3, kBytes}}, path);
      out.stream_id = int32_or_zero(m, 1, path + ".stream_id");
      out.cursor_id = int32_or_zero(m, 2, path + ".cursor_id");
      if (const Field* batch = m.find(3)) out.statements = protobuf_shared::batch(batch->bytes, path + ".batch");
      break;
    }
    case RequestType::close_cursor:
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}}, path);
      out.cursor_id = int32_or_zero(m, 1, path + ".cursor_id");
      break;
    case RequestType::fetch_cursor:
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}, {2, kVarint}}, path);
      out.cursor_id = int32_or_zero(m, 1, path + ".cursor_id");
      if (const Field* max_count = m.find(2); max_count && !protobuf::to_uint32(max_count->value)) {
        throw Malformed{path + ".max_count: expected a 32-bit unsigned integer"};
      }
      break;
    case RequestType::sequence:
    case RequestType::describe:
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}, {2, kBytes}, {3, kVarint}}, path);
      out.stream_id = int32_or_zero(m, 1, path + ".stream_id");
      out.statements.push_back(protobuf_shared::sql_ref(m, 2, 3, path));
      break;
    case RequestType::store_sql:
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}, {2, kBytes}}, path);
      out.sql_id = int32_or_zero(m, 1, path + ".sql_id");
      out.stored_sql = protobuf_shared::string_of(m.find(2), path + ".sql").value_or("");
      break;
    case RequestType::close_sql:
      protobuf_shared::parse(m, member.bytes, {{1, kVarint}}, path);
      out.sql_id = int32_or_zero(m, 1, path + ".sql_id");
      break;
  }
  return out;
}

// RequestMsg and ResponseOkMsg: request_id, then the oneof.
constexpr protobuf::KnownField kRequestMsgFields[] = {
    {1, kVarint}, {2, kBytes}, {3, kBytes},  {4, kBytes},  {5, kBytes},  {6, kBytes}, {7, kBytes},
    {8, kBytes},  {9, kBytes}, {10, kBytes}, {11, kBytes}, {12, kBytes}, {13, kBytes},
};

}  // namespace

ClientDecode decode_client_message_protobuf(std::string_view payload) {
  try {
    Message msg;
    protobuf_shared::parse(msg, payload, {{1, kBytes}, {2, kBytes}}, "ClientMsg");
    const Field& member = protobuf_shared::oneof_member(msg, {1, 2}, "ClientMsg");
    ClientMessage out;
    Message inner;
    if (member.number == 1) {
      protobuf_shared::parse(inner, member.bytes, {{1, kBytes}}, "hello");
      out.type = ClientMessage::Type::hello;
      out.jwt = protobuf_shared::string_of(inner.find(1), "hello.jwt");
      return {std::move(out), std::nullopt};
    }
    protobuf_shared::parse(inner, member.bytes, kRequestMsgFields, "request");
    out.type = ClientMessage::Type::request;
    out.request_id = int32_or_zero(inner, 1, "request.request_id");
    out.request = request(protobuf_shared::oneof_member(inner, kRequestFields, "request"), "request");
    return {std::move(out), std::nullopt};
  } catch (const Malformed& malformed) {
    return {std::nullopt, DecodeError{malformed.message}};
  }
}

std::optional<ServerMessage> inspect_server_message_protobuf(std::string_view payload) {
  try {
    Message msg;
    protobuf_shared::parse(msg, payload, {{1, kBytes}, {2, kBytes}, {3, kBytes}, {4, kBytes}}, "ServerMsg");
    const Field& member = protobuf_shared::oneof_member(msg, {1, 2, 3, 4}, "ServerMsg");
    ServerMessage out;
    Message inner;
    // An absent Error is proto3's default one (empty message and code).
    const auto error_in = [](const Message& m, std::uint32_t number) -> std::optional<Error> {
      const Field* error = m.find(number);
      return error ? protobuf_shared::decode_error(error->bytes) : Error{};
    };
    switch (member.number) {
      case 1: out.type = ServerMessage::Type::hello_ok; break;
      case 2:
        protobuf_shared::parse(inner, member.bytes, {{1, kBytes}}, "hello_error");
        out.type = ServerMessage::Type::hello_error;
        out.error = error_in(inner, 1);
        if (!out.error) return std::nullopt;
        break;
      case 3: {
        protobuf_shared::parse(inner, member.bytes, kRequestMsgFields, "response_ok");
        out.type = ServerMessage::Type::response_ok;
        out.request_id = int32_or_zero(inner, 1, "response_ok.request_id");
        out.response_type = type_of(protobuf_shared::oneof_member(inner, kRequestFields, "response_ok").number);
        break;
      }
      default:
        protobuf_shared::parse(inner, member.bytes, {{1, kVarint}, {2, kBytes}}, "response_error");
        out.type = ServerMessage::Type::response_error;
        out.request_id = int32_or_zero(inner, 1, "response_error.request_id");
        out.error = error_in(inner, 2);
        if (!out.error) return std::nullopt;
        break;
    }
    return out;
  } catch (const Malformed&) {
    return std::nullopt;
  }
}

namespace {

std::string message_with(std::uint32_t number, std::string_view bytes) {
  std::string out;
  protobuf::put_bytes_field(out, number, bytes);
  return out;
}

}  // namespace

std::string encode_hello_protobuf(const std::optional<std::string>& jwt) {
  return message_with(1, jwt ? message_with(1, *jwt) : std::string());
}

std::string encode_hello_ok_protobuf() { return message_with(1, ""); }

std::string encode_hello_error_protobuf(const Error& error) {
  return message_with(2, message_with(1, protobuf_shared::encode_error(error)));
}

std::string encode_response_error_protobuf(std::int32_t request_id, const Error& error) {
  std::string inner;
  protobuf::put_int32_field(inner, 1, request_id);
  protobuf::put_bytes_field(inner, 2, protobuf_shared::encode_error(error));
  return message_with(4, inner);
}

std::string encode_empty_response_ok_protobuf(std::int32_t request_id, RequestType type) {
  std::string inner;
  protobuf::put_int32_field(inner, 1, request_id);
  protobuf::put_bytes_field(inner, field_of(type), "");
  return message_with(3, inner);
}

}  // namespace gate::proxy::hrana::ws
