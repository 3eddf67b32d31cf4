#!/usr/bin/env node
// A fixed-answer Hrana upstream for bench/ws_throughput.mjs: the cheapest
// server the gate can stand in front of, so the benchmark can show the gate's
// own cost apart from the Node test upstream's SQLite work and bookkeeping.
// Not a database and not test equipment: it answers
//   GET /health                 200
//   POST /v2/pipeline           the gate's schema query: one `users` table
//   WebSocket hrana3 / hrana3-protobuf
//     hello                     hello_ok (no token check)
//     open_stream, close_stream ok
//     execute                   one fixed row (name: "Ada"), whatever the SQL
//     anything else             response_error
// and prints {"listening":"http://127.0.0.1:PORT"} once ready, like the test
// upstream. SIGTERM/SIGINT stop it.
import http from "node:http";
import { WebSocketServer } from "ws";
import { Writer } from "../../tests/upstream/protobuf_wire.mjs";
import { readVarint } from "./fast_varint.mjs";

const USERS_SQL = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT)";
const text = (value) => ({ type: "text", value });
const executeResult = (cols, rows) => ({
  cols: cols.map((name) => ({ name, decltype: "TEXT" })), rows, affected_row_count: 0, last_insert_rowid: null,
  replication_index: null, rows_read: rows.length, rows_written: 0, query_duration_ms: 0.01,
});
const SCHEMA_BODY = JSON.stringify({ baton: null, base_url: null, results: [
  { type: "ok", response: { type: "execute", result: executeResult(["type", "name", "tbl_name", "sql"],
    [[text("table"), text("users"), text("users"), text(USERS_SQL)]]) } },
  { type: "ok", response: { type: "close" } },
] });

// JSON frames: the fixed part after the request id.
const JSON_TAIL = {
  open_stream: `,"response":{"type":"open_stream"}}`,
  close_stream: `,"response":{"type":"close_stream"}}`,
  execute: `,"response":${JSON.stringify({ type: "execute", result: executeResult(["name"], [[text("Ada")]]) })}}`,
};
function answerJson(data) {
  const msg = JSON.parse(data);
  if (msg.type === "hello") return `{"type":"hello_ok"}`;
  const tail = JSON_TAIL[msg.request?.type];
  if (tail === undefined) {
    return JSON.stringify({ type: "response_error", request_id: msg.request_id,
                            error: { message: "not supported by the fixed upstream", code: "UNSUPPORTED" } });
  }
  return `{"type":"response_ok","request_id":${msg.request_id}${tail}`;
}

// Protobuf: the contents of ResponseOkMsg's response field, by its number
// (the request's): empty OpenStreamResp / CloseStreamResp, or an ExecuteResp.
const PROTOBUF_RESPONSE = {
  2: Buffer.alloc(0),
  3: Buffer.alloc(0),
  4: new Writer().message(1, (result) => result
    .message(1, (col) => col.string(1, "name").string(2, "TEXT"))
    .message(2, (row) => row.message(1, (value) => value.string(4, "Ada")))).finish(),
};
const HELLO_OK = new Writer().message(1, () => {}).finish();


function answerProtobuf(data) {
  if (data[0] === 0x0a) return HELLO_OK;
  // ClientMsg.request (field 2): request_id (field 1) and the request's field.
  let pos = readVarint(data, 1)[1];
  let id = 0;
  let kind = 0;
  while (pos < data.length) {
    const [key, next] = readVarint(data, pos);
    if ((key & 7) === 0) [id, pos] = readVarint(data, next);
    else {
      kind = key >> 3;
      const [length, body] = readVarint(data, next);
      pos = body + length;
    }
  }
  const response = PROTOBUF_RESPONSE[kind];
  if (response === undefined) {
    return new Writer().message(4, (err) => err.int32(1, id)
      .message(2, (e) => e.string(1, "not supported by the fixed upstream").string(2, "UNSUPPORTED"))).finish();
  }
  return new Writer().message(3, (ok) => ok.int32(1, id).bytes(kind, response)).finish();
}

const server = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") return res.end();
  if (req.method === "POST" && req.url === "/v2/pipeline") {
    req.resume();
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      res.end(SCHEMA_BODY);
    });
    return;
  }
  res.statusCode = 404;
  res.end();
});
const OFFERED = ["hrana3-protobuf", "hrana3"];
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (protocols) => [...protocols].find((p) => OFFERED.includes(p)) ?? false,
});
server.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const answer = ws.protocol === "hrana3-protobuf" ? answerProtobuf : answerJson;
    ws.on("message", (data) => ws.send(answer(data)));
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${server.address().port}` })}\n`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    for (const client of wss.clients) client.terminate();
    server.close(() => process.exit(0));
  });
}
