#pragma once
// The protobuf half of the Hrana-over-WebSocket codec (subprotocol
// hrana3-protobuf; Hrana 3 spec, "Protobuf schema", package hrana.ws). Each
// function has exactly the semantics of its namesake in hrana_ws.hpp for
// Encoding::protobuf; hrana_ws.cpp dispatches to these.
//
// Decoding is strict in the same ways as the HTTP protobuf codec (see
// protobuf_wire.hpp): a field the gate authorizes on (the request oneof, a
// statement's sql / sql_id, a batch's steps, a step's stmt, store_sql's text)
// present twice is refused, because the gate would check one value while upstream
// (last value wins, messages merge) runs another; two members of one oneof are
// refused likewise.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/hrana_ws.hpp"

namespace gate::proxy::hrana::ws {

ClientDecode decode_client_message_protobuf(std::string_view payload);
std::optional<ServerMessage> inspect_server_message_protobuf(std::string_view payload);

std::string encode_hello_protobuf(const std::optional<std::string>& jwt);
std::string encode_hello_ok_protobuf();
std::string encode_hello_error_protobuf(const Error& error);
std::string encode_response_error_protobuf(std::int32_t request_id, const Error& error);
std::string encode_empty_response_ok_protobuf(std::int32_t request_id, RequestType type);

}  // namespace gate::proxy::hrana::ws
