#pragma once
// Hrana over WebSocket messages (Hrana 3 spec, "Hrana over WebSocket"): what the
// gate reads from client frames (ClientMsg) and upstream frames (ServerMsg), and
// the frames it builds itself. One model for both encodings: the JSON codec
// (hrana_ws_json.cpp) and the protobuf codec (hrana_ws_protobuf.cpp) implement the
// functions below for Encoding::json and Encoding::protobuf; hrana_ws.cpp
// dispatches. Like the HTTP codec, decoding only extracts what must be authorized:
// the gate forwards the client's original frame on allow, never a re-encoding.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/hrana_encoding.hpp"
#include "proxy/hrana_json.hpp"  // SqlRef, Error, DecodeError

namespace gate::proxy::hrana::ws {

// WebSocket subprotocols, most preferred first in the gate's own order.
enum class Subprotocol { hrana3_protobuf, hrana3, hrana2, hrana1 };

std::string_view to_string(Subprotocol subprotocol);  // "hrana3-protobuf", ...
std::optional<Subprotocol> subprotocol_from(std::string_view name);
Encoding encoding_of(Subprotocol subprotocol);
int version_of(Subprotocol subprotocol);  // 1, 2 or 3

enum class RequestType {
  open_stream,
  close_stream,
  execute,
  batch,
  open_cursor,
  close_cursor,
  fetch_cursor,
  sequence,
  describe,
  store_sql,
  close_sql,
  get_autocommit,
};

std::string_view to_string(RequestType type);  // the spec's "type" value, e.g. "open_cursor"
// The lowest Hrana version that has the request (open_cursor: 3, store_sql: 2...).
int min_version(RequestType type);

// One Request of a RequestMsg, with what the gate acts on.
struct Request {
  RequestType type = RequestType::open_stream;
  // open_stream, close_stream, execute, batch, open_cursor, sequence, describe,
  // get_autocommit.
  std::optional<std::int32_t> stream_id;
  // open_cursor, close_cursor, fetch_cursor.
  std::optional<std::int32_t> cursor_id;
  // What the request would run: execute, sequence, describe: one; batch,
  // open_cursor: one per step (in step order); others: none.
  std::vector<SqlRef> statements;
  std::optional<std::int32_t> sql_id;  // store_sql, close_sql
  std::string stored_sql;              // store_sql
};

struct ClientMessage {
  enum class Type { hello, request };
  Type type = Type::hello;
  std::optional<std::string> jwt;  // hello: null/absent → nullopt
  std::int32_t request_id = 0;     // request
  Request request;                 // request
};

// A frame that is not a valid ClientMsg (a protocol violation: the connection is
// closed with `message` as the close reason, truncated to fit a close frame).
struct ClientDecode {
  std::optional<ClientMessage> message;
  std::optional<DecodeError> error;
};
ClientDecode decode_client_message(Encoding encoding, std::string_view payload);

// What the gate reads of an upstream frame: which message, for which request.
struct ServerMessage {
  enum class Type { hello_ok, hello_error, response_ok, response_error };
  Type type = Type::hello_ok;
  std::int32_t request_id = 0;                // response_ok, response_error
  std::optional<RequestType> response_type;  // response_ok: the response's type
  std::optional<Error> error;                 // hello_error, response_error
};
// nullopt when the frame is not a valid ServerMsg.
std::optional<ServerMessage> inspect_server_message(Encoding encoding, std::string_view payload);

// Frames the gate builds itself.
// The hello the gate sends upstream, carrying its own credential (or null).
std::string encode_hello(Encoding encoding, const std::optional<std::string>& jwt);
std::string encode_hello_ok(Encoding encoding);
std::string encode_hello_error(Encoding encoding, const Error& error);
std::string encode_response_error(Encoding encoding, std::int32_t request_id, const Error& error);
// A response_ok with an empty response of `type` (the gate answers close_cursor of
// a cursor it refused to open itself). Only for types whose response has no
// fields: open_stream, close_stream, open_cursor, close_cursor, sequence,
// store_sql, close_sql.
std::string encode_empty_response_ok(Encoding encoding, std::int32_t request_id, RequestType type);

}  // namespace gate::proxy::hrana::ws
