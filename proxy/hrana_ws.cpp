#include "proxy/hrana_ws.hpp"

#include "proxy/hrana_ws_json.hpp"
#include "proxy/hrana_ws_protobuf.hpp"

namespace gate::proxy::hrana::ws {

std::string_view to_string(Subprotocol subprotocol) {
  switch (subprotocol) {
    case Subprotocol::hrana3_protobuf: return "hrana3-protobuf";
    case Subprotocol::hrana3: return "hrana3";
    case Subprotocol::hrana2: return "hrana2";
    case Subprotocol::hrana1: return "hrana1";
  }
  return "hrana1";
}

std::optional<Subprotocol> subprotocol_from(std::string_view name) {
  for (Subprotocol s : {Subprotocol::hrana3_protobuf, Subprotocol::hrana3, Subprotocol::hrana2, Subprotocol::hrana1}) {
    // Exact, as the client wrote it: the gate answers with upstream's choice,
    // which the client compares against what it offered.
    if (to_string(s) == name) return s;
  }
  return std::nullopt;
}

Encoding encoding_of(Subprotocol subprotocol) {
  return subprotocol == Subprotocol::hrana3_protobuf ? Encoding::protobuf : Encoding::json;
}

int version_of(Subprotocol subprotocol) {
  switch (subprotocol) {
    case Subprotocol::hrana3_protobuf:
    case Subprotocol::hrana3: return 3;
    case Subprotocol::hrana2: return 2;
    case Subprotocol::hrana1: return 1;
  }
  return 1;
}

std::string_view to_string(RequestType type) {
  switch (type) {
    case RequestType::open_stream: return "open_stream";
    case RequestType::close_stream: return "close_stream";
    case RequestType::execute: return "execute";
    case RequestType::batch: return "batch";
    case RequestType::open_cursor: return "open_cursor";
    case RequestType::close_cursor: return "close_cursor";
    case RequestType::fetch_cursor: return "fetch_cursor";
    case RequestType::sequence: return "sequence";
    case RequestType::describe: return "describe";
    case RequestType::store_sql: return "store_sql";
    case RequestType::close_sql: return "close_sql";
    case RequestType::get_autocommit: return "get_autocommit";
  }
  return "unknown";
}

int min_version(RequestType type) {
  switch (type) {
    case RequestType::open_stream:
    case RequestType::close_stream:
    case RequestType::execute:
    case RequestType::batch: return 1;
    case RequestType::sequence:
    case RequestType::describe:
    case RequestType::store_sql:
    case RequestType::close_sql: return 2;
    case RequestType::open_cursor:
    case RequestType::close_cursor:
    case RequestType::fetch_cursor:
    case RequestType::get_autocommit: return 3;
  }
  return 3;
}

ClientDecode decode_client_message(Encoding encoding, std::string_view payload) {
  return encoding == Encoding::json ? decode_client_message_json(payload) : decode_client_message_protobuf(payload);
}

std::optional<ServerMessage> inspect_server_message(Encoding encoding, std::string_view payload) {
  return encoding == Encoding::json ? inspect_server_message_json(payload) : inspect_server_message_protobuf(payload);
}

std::string encode_hello(Encoding encoding, const std::optional<std::string>& jwt) {
  return encoding == Encoding::json ? encode_hello_json(jwt) : encode_hello_protobuf(jwt);
}

std::string encode_hello_ok(Encoding encoding) {
  return encoding == Encoding::json ? encode_hello_ok_json() : encode_hello_ok_protobuf();
}

std::string encode_hello_error(Encoding encoding, const Error& error) {
  return encoding == Encoding::json ? encode_hello_error_json(error) : encode_hello_error_protobuf(error);
}

std::string encode_response_error(Encoding encoding, std::int32_t request_id, const Error& error) {
  return encoding == Encoding::json ? encode_response_error_json(request_id, error)
                                    : encode_response_error_protobuf(request_id, error);
}

std::string encode_empty_response_ok(Encoding encoding, std::int32_t request_id, RequestType type) {
  return encoding == Encoding::json ? encode_empty_response_ok_json(request_id, type)
                                    : encode_empty_response_ok_protobuf(request_id, type);
}

}  // namespace gate::proxy::hrana::ws
