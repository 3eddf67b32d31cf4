// Hrana over WebSocket on the upstream's HTTP port: subprotocols hrana1,
// hrana2, hrana3 (JSON, text frames) and hrana3-protobuf (binary frames).
// Requests run on the same executor as Hrana over HTTP; each stream is its own
// database connection. Protobuf frames are decoded into the JSON shape first,
// so both encodings take one path.
//
// Processing: frames are decoded and checked when they arrive (so a reused
// request id is seen while the first is still outstanding), then queued and
// handled one per turn of the event loop, in arrival order (so requests on a
// stream run in order, and a request queued behind `hello` waits for it).
// At `maxOutstanding` requests received but not yet answered the socket stops
// reading (TCP back-pressure, as the spec asks); the queue also stops while
// the client is not reading our responses.

import { setImmediate as nextTurn } from "node:timers/promises";
import { WebSocketServer } from "ws";
import { ProtocolError, StmtError } from "./errors.mjs";
import { ProtobufError } from "./protobuf_wire.mjs";
import { parseClientMsg, REQUEST_MIN_VERSION } from "./protocol_ws.mjs";
import { decodeClientMsg, encodeServerMsg } from "./hrana_protobuf_ws.mjs";
import {
  storeSql, resolveSql, executeStmt, executeBatch, executeSequence, describeSql, compileBatch, batchEntries,
} from "./executor.mjs";
import { sqlTexts, wsRequestTypes } from "./recording.mjs";

// In the server's order of preference, as sqld.
export const WS_SUBPROTOCOLS = ["hrana3-protobuf", "hrana3", "hrana2", "hrana1"];
const SUBPROTOCOL = {
  "hrana1": { version: 1, encoding: "json" },
  "hrana2": { version: 2, encoding: "json" },
  "hrana3": { version: 3, encoding: "json" },
  "hrana3-protobuf": { version: 3, encoding: "protobuf" },
};

// sqld's limit of SQL texts per WebSocket connection (no size limit there).
const STORED_SQL_LIMITS = { maxCount: 150, maxBytes: Infinity };
// The most cursor entries one fetch_cursor returns, whatever max_count asks.
const MAX_FETCH_ENTRIES = 10_000;
// WebSocket close codes.
const CLOSE_NORMAL = 1000;
const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_INTERNAL_ERROR = 1011;

// A close reason must fit in 123 bytes.
function closeReason(text) {
  let reason = text;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -2) + "…";
  return reason;
}

function drained(socket) {
  return new Promise((resolve) => {
    const done = () => {
      socket.off("drain", done);
      socket.off("close", done);
      resolve();
    };
    socket.once("drain", done);
    socket.once("close", done);
  });
}

class WsConnection {
  constructor(hub, ws, record, request) {
    this.hub = hub;
    this.ws = ws;
    this.record = record;
    this.path = record.path;
    this.headers = { ...request.headers };
    const { version, encoding } = SUBPROTOCOL[record.protocol];
    this.version = version;
    this.encoding = encoding;
    this.authenticated = false;
    this.closing = false;
    this.streams = new Map();
    this.cursors = new Map();
    this.sqls = new Map();
    this.queue = [];
    this.outstanding = new Set();
    this.pumping = false;

    ws.on("message", (data, isBinary) => this.receive(data, isBinary));
    ws.on("error", () => { /* ws closes the socket itself (bad frame, too large...) */ });
    ws.on("close", (code, reason) => this.closed(code, reason.toString()));
  }

  // --- receiving ---

  receive(data, isBinary) {
    const record = {
      transport: "ws",
      method: "WS",
      path: this.path,
      connection: this.record.id,
      protocol: this.record.protocol,
      encoding: this.encoding,
      authorization: false,
      headers: this.headers,
      body: null,
      message: null,
      requests: [],
      sql: [],
    };
    this.hub.server.received.push(record);
    if (this.closing) {
      // After hello_error or a protocol error, further messages are ignored.
      record.ignored = true;
      record.body = isBinary ? Buffer.from(data).toString("base64") : data.toString("utf8");
      return;
    }
    this.queue.push(this.decode(data, isBinary, record));
    if (this.outstanding.size >= this.hub.maxOutstanding && !this.ws.isPaused) {
      this.ws.pause();
      this.record.pauses++;
    }
    this.pump();
  }

  // Returns the queue item: {msg} or {violation}.
  decode(data, isBinary, record) {
    let shape;
    if (this.encoding === "json") {
      if (isBinary) {
        record.body = Buffer.from(data).toString("base64");
        return { violation: "Received a binary WebSocket message, but the negotiated encoding is JSON" };
      }
      const text = data.toString("utf8");
      record.body = text;
      try {
        shape = JSON.parse(text);
      } catch (err) {
        return { violation: `Cannot deserialize client message from JSON: ${err.message}` };
      }
    } else {
      const bytes = Buffer.from(data);
      record.body = bytes.toString("base64");
      if (!isBinary) return { violation: "Received a text WebSocket message, but the negotiated encoding is protobuf" };
      try {
        shape = decodeClientMsg(bytes);
      } catch (err) {
        if (!(err instanceof ProtobufError)) throw err;
        return { violation: `Cannot decode client message from protobuf: ${err.message}` };
      }
    }
    record.body = shape;
    record.message = typeof shape?.type === "string" ? shape.type : null;
    record.requests = wsRequestTypes(shape);
    record.sql = sqlTexts(shape);
    record.authorization = shape?.type === "hello" && typeof shape.jwt === "string";

    let msg;
    try {
      msg = parseClientMsg(shape);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return { violation: err.message };
    }
    if (msg.type === "request") {
      if (this.outstanding.has(msg.requestId)) {
        return { violation: `Request id ${msg.requestId} is already used by an outstanding request` };
      }
      this.outstanding.add(msg.requestId);
    }
    return { msg };
  }

  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    // A busy server's answers leave in one TCP write (hub option coalesceAnswers):
    // the peer then reads many messages from one read.
    const corked = this.hub.coalesceAnswers ? this.ws._socket : null;
    corked?.cork();
    try {
      while (this.queue.length > 0 && !this.closing) {
        await nextTurn();
        const socket = this.ws._socket;
        if (socket?.writableNeedDrain) await drained(socket);
        if (this.closing) break;
        const item = this.queue.shift();
        if (item.violation !== undefined) this.violate(item.violation);
        else await this.handle(item.msg);
      }
    } catch (err) {
      process.stderr.write(`test upstream: WebSocket internal error: ${err?.stack ?? err}\n`);
      this.close(CLOSE_INTERNAL_ERROR, "Internal server error");
    } finally {
      corked?.uncork();
      this.pumping = false;
    }
  }

  // --- handling ---

  async handle(msg) {
    if (msg.type === "hello") return this.hello(msg.jwt);
    if (!this.authenticated) return this.violate("Received a request before hello");
    const { request, requestId } = msg;
    const minVersion = REQUEST_MIN_VERSION[request.type];
    if (minVersion > this.version) {
      return this.violate(`The \`${request.type}\` request is only supported in protocol version hrana${minVersion} and higher`);
    }
    let reply;
    try {
      reply = { type: "response_ok", request_id: requestId, response: this.run(request) };
    } catch (err) {
      if (err instanceof ProtocolError) return this.violate(err.message);
      if (!(err instanceof StmtError)) throw err;
      reply = { type: "response_error", request_id: requestId, error: err.toHrana() };
    }
    this.send(reply);
    this.outstanding.delete(requestId);
    if (this.ws.isPaused && this.outstanding.size < this.hub.maxOutstanding) this.ws.resume();
  }

  async hello(jwt) {
    if (this.authenticated && this.version < 2) {
      return this.violate("Repeated hello message is only supported in protocol version hrana2 and higher");
    }
    const verify = this.hub.server.verifyJwt;
    const failure = verify ? await verify.token(jwt) : null;
    if (this.closing) return;
    if (failure) {
      this.send({ type: "hello_error", error: { message: `Authentication failed: ${failure.reason}`, code: failure.code } });
      this.close(CLOSE_NORMAL, "Authentication failed");
      return;
    }
    this.authenticated = true;
    this.record.hellos++;
    this.send({ type: "hello_ok" });
  }

  stream(streamId) {
    const stream = this.streams.get(streamId);
    if (stream === undefined) throw new ProtocolError(`Stream ${streamId} not found`);
    return stream;
  }

  cursor(cursorId) {
    const cursor = this.cursors.get(cursorId);
    if (cursor === undefined) throw new ProtocolError(`Cursor ${cursorId} not found`);
    return cursor;
  }

  run(request) {
    const { type } = request;
    switch (type) {
      case "open_stream":
        if (this.streams.has(request.streamId)) {
          throw new ProtocolError(`Stream ${request.streamId} already exists`);
        }
        this.streams.set(request.streamId, { conn: this.hub.server.openConnection(), cursorId: null });
        return { type };
      case "close_stream": {
        const stream = this.stream(request.streamId);
        this.closeStream(request.streamId, stream);
        return { type };
      }
      case "execute":
        return { type, result: executeStmt(this.stream(request.streamId).conn, request.stmt, this.sqls) };
      case "batch":
        return { type, result: executeBatch(this.stream(request.streamId).conn, request.batch, this.sqls, this.version) };
      case "sequence": {
        const { conn } = this.stream(request.streamId);
        executeSequence(conn, resolveSql(request.sql, request.sqlId, this.sqls));
        return { type };
      }
      case "describe": {
        const { conn } = this.stream(request.streamId);
        return { type, result: describeSql(conn, resolveSql(request.sql, request.sqlId, this.sqls)) };
      }
      case "store_sql":
        storeSql(this.sqls, request.sqlId, request.sql, STORED_SQL_LIMITS);
        return { type };
      case "close_sql":
        this.sqls.delete(request.sqlId);
        return { type };
      case "open_cursor":
        this.openCursor(request);
        return { type };
      case "fetch_cursor":
        return { type, ...this.fetchCursor(request.cursorId, request.maxCount) };
      case "close_cursor":
        this.closeCursor(request.cursorId, this.cursor(request.cursorId));
        return { type };
      case "get_autocommit":
        return { type, is_autocommit: this.stream(request.streamId).conn.isAutocommit };
    }
    throw new ProtocolError(`Request type ${type} not recognized`);
  }

  // Even if opening fails, the cursor id stays in use until close_cursor.
  openCursor({ streamId, cursorId, batch }) {
    const stream = this.stream(streamId);
    if (stream.cursorId !== null) throw new ProtocolError(`Stream ${streamId} already has an open cursor`);
    if (this.cursors.has(cursorId)) throw new ProtocolError(`Cursor ${cursorId} already exists`);
    const cursor = { streamId, entries: null, done: false };
    this.cursors.set(cursorId, cursor);
    stream.cursorId = cursorId;
    const steps = compileBatch(stream.conn, batch, this.sqls, this.version);
    cursor.entries = batchEntries(stream.conn, steps);
  }

  fetchCursor(cursorId, maxCount) {
    const cursor = this.cursor(cursorId);
    if (cursor.entries === null) throw new StmtError(`Cursor ${cursorId} has failed to open`, "CURSOR_NOT_OPEN");
    const entries = [];
    while (!cursor.done && entries.length < Math.min(maxCount, MAX_FETCH_ENTRIES)) {
      let next;
      try {
        next = cursor.entries.next();
      } catch (err) {
        entries.push({ type: "error", error: { message: String(err?.message ?? err), code: "INTERNAL" } });
        cursor.done = true;
        break;
      }
      if (next.done) cursor.done = true;
      else entries.push(next.value);
    }
    return { entries, done: cursor.done };
  }

  closeCursor(cursorId, cursor) {
    cursor.entries?.return();
    this.cursors.delete(cursorId);
    const stream = this.streams.get(cursor.streamId);
    if (stream?.cursorId === cursorId) stream.cursorId = null;
  }

  // Closing the connection rolls back an open transaction, as sqld does.
  closeStream(streamId, stream) {
    if (stream.cursorId !== null) this.closeCursor(stream.cursorId, this.cursors.get(stream.cursorId));
    stream.conn.close();
    this.streams.delete(streamId);
  }

  // --- sending and closing ---

  send(msg) {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.encoding === "protobuf") this.ws.send(encodeServerMsg(msg), { binary: true });
    else this.ws.send(JSON.stringify(msg), { binary: false });
  }

  violate(reason) {
    this.record.violation = reason;
    this.close(CLOSE_PROTOCOL_ERROR, reason);
  }

  close(code, reason) {
    if (this.closing) return;
    this.closing = true;
    this.queue.length = 0;
    if (this.ws.isPaused) this.ws.resume();
    this.ws.close(code, closeReason(reason));
  }

  closed(code, reason) {
    this.closing = true;
    this.queue.length = 0;
    for (const [streamId, stream] of [...this.streams]) this.closeStream(streamId, stream);
    this.record.open = false;
    this.record.closeCode = code;
    this.record.closeReason = reason;
    this.hub.live.delete(this);
  }

  terminate() {
    this.ws.terminate();
  }
}

// The WebSocket side of one upstream. `server` is the upstream's shared state
// (received, verifyJwt, openConnection).
export class HranaWsHub {
  constructor(server, { protocols = WS_SUBPROTOCOLS, maxOutstanding = 64, maxPayload, coalesceAnswers = false } = {}) {
    for (const p of protocols) {
      if (!WS_SUBPROTOCOLS.includes(p)) throw new Error(`--ws-protocols: unknown WebSocket subprotocol ${p}`);
    }
    if (protocols.length === 0) throw new Error("--ws-protocols: no subprotocol given");
    if (!Number.isInteger(maxOutstanding) || maxOutstanding < 1) {
      throw new Error("--ws-max-outstanding: not a positive integer");
    }
    this.server = server;
    this.protocols = WS_SUBPROTOCOLS.filter((p) => protocols.includes(p));
    this.maxOutstanding = maxOutstanding;
    this.coalesceAnswers = coalesceAnswers;
    this.live = new Set();
    this.opened = 0;
    this.nextId = 1;
    this.connections = [];
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload,
      handleProtocols: (_offered, req) => req.hranaSubprotocol,
    });
  }

  // As sqld: the first of our subprotocols (in our order) that the client
  // offers; none offered means hrana1; offers we do not speak are refused (400).
  negotiate(header) {
    if (header === undefined) return this.protocols.includes("hrana1") ? "hrana1" : null;
    const offered = header.split(",").map((p) => p.trim().toLowerCase());
    return this.protocols.find((p) => offered.includes(p)) ?? null;
  }

  handleUpgrade(req, socket, head) {
    const path = new URL(req.url, "http://upstream.invalid").pathname;
    const refuse = (status, text) => {
      socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-type: text/plain\r\n` +
        `content-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
    };
    if (path.startsWith("/_test/")) return refuse("404 Not Found", "");
    const protocol = this.negotiate(req.headers["sec-websocket-protocol"]);
    if (protocol === null) {
      return refuse("400 Bad Request", `Only these WebSocket subprotocols are supported: ${this.protocols.join(" ")}`);
    }
    req.hranaSubprotocol = protocol;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const record = {
        id: this.nextId++, path, protocol, open: true, hellos: 0, pauses: 0,
        violation: null, closeCode: null, closeReason: null,
      };
      this.opened++;
      this.connections.push(record);
      this.live.add(new WsConnection(this, ws, record, req));
    });
  }

  // What GET /_test/ws answers: connections opened since the last reset, and
  // how many are open now.
  stats() {
    return { opened: this.opened, current: this.live.size, connections: this.connections };
  }

  reset() {
    this.opened = 0;
    this.connections.length = 0;
  }

  closeAll() {
    for (const conn of [...this.live]) {
      conn.terminate();
      conn.closed(1006, "upstream stopped");
    }
  }
}
