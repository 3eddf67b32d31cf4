// Hrana over WebSocket messages in protobuf ("Hrana over WebSocket" in the
// spec's appendix), to and from the JSON shape of the same messages.

import { schema, decodeMessage, Writer } from "./protobuf_wire.mjs";
import {
  Stmt, Batch, variant, replaceContents, writeError, RESPONSE_BODIES,
} from "./hrana_protobuf_shared.mjs";

const int32Field = (name) => ["int32", (m, v) => { m[name] = v; }];
const streamIdOnly = { 1: int32Field("stream_id") };
const streamDefaults = () => ({ stream_id: 0 });

const sqlOrId = {
  1: int32Field("stream_id"),
  2: ["string", (m, v) => { m.sql = v; }],
  3: int32Field("sql_id"),
};

// RequestMsg: request_id = 1, then the request oneof (fields 2..13).
const RequestMsg = schema(() => ({ type: "request", request_id: 0 }), {
  1: int32Field("request_id"),
});
const Request = schema(() => ({}), {
  2: variant("open_stream", streamIdOnly, streamDefaults),
  3: variant("close_stream", streamIdOnly, streamDefaults),
  4: variant("execute", { ...streamIdOnly, 2: [Stmt, (m, v) => { m.stmt = v; }] },
    () => ({ stream_id: 0, stmt: Stmt.init() })),
  5: variant("batch", { ...streamIdOnly, 2: [Batch, (m, v) => { m.batch = v; }] },
    () => ({ stream_id: 0, batch: Batch.init() })),
  6: variant("open_cursor", {
    ...streamIdOnly,
    2: int32Field("cursor_id"),
    3: [Batch, (m, v) => { m.batch = v; }],
  }, () => ({ stream_id: 0, cursor_id: 0, batch: Batch.init() })),
  7: variant("close_cursor", { 1: int32Field("cursor_id") }, () => ({ cursor_id: 0 })),
  8: variant("fetch_cursor", {
    1: int32Field("cursor_id"),
    2: ["uint32", (m, v) => { m.max_count = v; }],
  }, () => ({ cursor_id: 0, max_count: 0 })),
  9: variant("sequence", sqlOrId, streamDefaults),
  10: variant("describe", sqlOrId, streamDefaults),
  11: variant("store_sql", {
    1: int32Field("sql_id"),
    2: ["string", (m, v) => { m.sql = v; }],
  }, () => ({ sql_id: 0, sql: "" })),
  12: variant("close_sql", { 1: int32Field("sql_id") }, () => ({ sql_id: 0 })),
  13: variant("get_autocommit", streamIdOnly, streamDefaults),
});
// The request oneof sits directly in RequestMsg; an absent one leaves
// `request` undefined, which protocol_ws.mjs refuses.
for (const [fieldNo, [type]] of Object.entries(Request.fields)) {
  RequestMsg.fields[fieldNo] = [type, (m, v) => { m.request = v; }];
}

const ClientMsg = schema(() => ({}), {
  1: variant("hello", { 1: ["string", (m, v) => { m.jwt = v; }] }, () => ({ jwt: null })),
  2: [RequestMsg, replaceContents],
});

export const decodeClientMsg = (bytes) => decodeMessage(bytes, ClientMsg);

// Response oneof field numbers in ResponseOkMsg.
const RESPONSE_FIELDS = {
  open_stream: 2, close_stream: 3, execute: 4, batch: 5, open_cursor: 6, close_cursor: 7,
  fetch_cursor: 8, sequence: 9, describe: 10, store_sql: 11, close_sql: 12, get_autocommit: 13,
};

// Takes a ServerMsg in its JSON shape.
export function encodeServerMsg(msg) {
  const w = new Writer();
  const requestId = (sub) => { if (msg.request_id) sub.int32(1, msg.request_id); };
  switch (msg.type) {
    case "hello_ok":
      w.message(1, () => {});
      break;
    case "hello_error":
      w.message(2, (sub) => sub.message(1, (e) => writeError(e, msg.error)));
      break;
    case "response_ok":
      w.message(3, (sub) => {
        requestId(sub);
        const { type } = msg.response;
        const write = RESPONSE_BODIES[type] ?? (() => {});
        sub.message(RESPONSE_FIELDS[type], (body) => write(body, msg.response));
      });
      break;
    case "response_error":
      w.message(4, (sub) => {
        requestId(sub);
        sub.message(2, (e) => writeError(e, msg.error));
      });
      break;
    default:
      throw new Error(`cannot encode server message of type ${msg.type}`);
  }
  return w.finish();
}
