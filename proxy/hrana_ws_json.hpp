#pragma once
// The JSON half of the Hrana-over-WebSocket codec (subprotocols hrana1, hrana2,
// hrana3; Hrana 3 spec, "Hrana over WebSocket"). Each function has exactly the
// semantics of its namesake in hrana_ws.hpp for Encoding::json; hrana_ws.cpp
// dispatches to these.
//
// Decoding is strict like the HTTP JSON codec (it shares its readers,
// hrana_json_reader.hpp): a key repeated anywhere in a client frame is refused,
// because the gate would authorize one value while upstream (last key wins) might
// run the other; a Stmt or Batch is accepted exactly when the HTTP codec accepts it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/hrana_ws.hpp"

namespace gate::proxy::hrana::ws {

ClientDecode decode_client_message_json(std::string_view payload);
std::optional<ServerMessage> inspect_server_message_json(std::string_view payload);

std::string encode_hello_json(const std::optional<std::string>& jwt);
std::string encode_hello_ok_json();
std::string encode_hello_error_json(const Error& error);
std::string encode_response_error_json(std::int32_t request_id, const Error& error);
std::string encode_empty_response_ok_json(std::int32_t request_id, RequestType type);

}  // namespace gate::proxy::hrana::ws
