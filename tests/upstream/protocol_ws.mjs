// Shape checks for Hrana-over-WebSocket client messages (in their JSON shape;
// protobuf frames are decoded into it first). Statements and batches are
// checked by the same code as over HTTP.

import { fail, isObject, optString, int32, optInt32, uint32, parseStmt, parseBatch } from "./protocol.mjs";

// The protocol version that introduced each request (spec: "This request was
// introduced in Hrana N"); one above the negotiated version is a protocol error.
export const REQUEST_MIN_VERSION = {
  open_stream: 1, close_stream: 1, execute: 1, batch: 1,
  sequence: 2, describe: 2, store_sql: 2, close_sql: 2,
  open_cursor: 3, close_cursor: 3, fetch_cursor: 3, get_autocommit: 3,
};

function parseRequest(raw) {
  if (!isObject(raw)) throw fail("request must be an object");
  const type = raw.type;
  const streamId = () => int32(raw.stream_id, "stream_id");
  switch (type) {
    case "open_stream":
    case "close_stream":
    case "get_autocommit":
      return { type, streamId: streamId() };
    case "execute":
      return { type, streamId: streamId(), stmt: parseStmt(raw.stmt) };
    case "batch":
      return { type, streamId: streamId(), batch: parseBatch(raw.batch) };
    case "open_cursor":
      return { type, streamId: streamId(), cursorId: int32(raw.cursor_id, "cursor_id"), batch: parseBatch(raw.batch) };
    case "close_cursor":
      return { type, cursorId: int32(raw.cursor_id, "cursor_id") };
    case "fetch_cursor":
      return { type, cursorId: int32(raw.cursor_id, "cursor_id"), maxCount: uint32(raw.max_count, "max_count") };
    case "sequence":
    case "describe":
      return { type, streamId: streamId(), sql: optString(raw.sql, "sql"), sqlId: optInt32(raw.sql_id, "sql_id") };
    case "store_sql":
      if (typeof raw.sql !== "string") throw fail("store_sql needs a string sql");
      return { type, sqlId: int32(raw.sql_id, "sql_id"), sql: raw.sql };
    case "close_sql":
      return { type, sqlId: int32(raw.sql_id, "sql_id") };
    default:
      throw fail(`unknown variant \`${String(type)}\` of Request`);
  }
}

// Returns {type: "hello", jwt} or {type: "request", requestId, request}.
export function parseClientMsg(raw) {
  if (!isObject(raw)) throw fail("message must be an object");
  switch (raw.type) {
    case "hello":
      return { type: "hello", jwt: optString(raw.jwt, "jwt") };
    case "request":
      return { type: "request", requestId: int32(raw.request_id, "request_id"), request: parseRequest(raw.request) };
    default:
      throw fail(`unknown variant \`${String(raw.type)}\` of ClientMsg`);
  }
}
