// Hrana over WebSocket through the real gate (SPEC §3 WebSocket row, §4; Hrana 3
// spec "Hrana over WebSocket"): negotiation, hello/JWT, authorization of every
// request (nothing denied reaches upstream), stored SQL and cursors per
// connection, protocol errors, back-pressure, one upstream WebSocket per client
// connection. Raw `ws` clients (tests/upstream/test_support.mjs openWs) and
// @libsql/hrana-client; the upstream is the Node test upstream, which requires
// the gate's own credential in its hello.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { WebSocketServer } from "ws";
import { SignJWT, importPKCS8, generateKeyPair } from "jose";
import * as hrana from "@libsql/hrana-client";
import { startUpstream } from "../upstream/server.mjs";
import { openWs, hello, request, jwtKeys } from "../upstream/test_support.mjs";
import { Writer, decodeMessage, schema } from "../upstream/protobuf_wire.mjs";
import { startGate, gateBinary, waitForReadiness, freePort, upstreamTokenConfig } from "./gate_process.mjs";
import { createServerTls } from "../issuer/tls.mjs";

const ISSUER = "https://dev.example";
const MAX_BODY = 65536;
let dir;
let upstreamKeys;
let upstream;
let gate;
let wsUrl;
const tokens = {};

function mint(sub, perms, ttl = "15m") {
  const args = ["mint", "--key", join(dir, "keys", "private.pem"), "--kid", "k1", "--iss", ISSUER, "--sub", sub, "--ttl", ttl];
  for (const p of perms) args.push("--perm", p);
  return execFileSync(gateBinary, args, { encoding: "utf8" }).trim();
}

// A token signed with the issuer's key but claims of the test's choosing (e.g. a past exp).
async function signWithIssuerKey(claims) {
  const key = await importPKCS8(readFileSync(join(dir, "keys", "private.pem"), "utf8"), "EdDSA");
  return new SignJWT({ iss: ISSUER, sub: "alice", perm: ["notes:data_read"], ...claims })
    .setProtectedHeader({ alg: "EdDSA", kid: "k1" }).sign(key);
}

export function wsConfig(upstreamUrl, upstreamToken, extra = {}) {
  return upstreamTokenConfig({
    upstreamUrl, upstreamToken, jwksFile: join(dir, "keys", "jwks.json"), upstreamTimeoutMs: extra.upstreamTimeoutMs,
    limits: { max_body_bytes: MAX_BODY, ...(extra.limits ?? {}) }, audit: extra.audit,
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "libsql-gate-ws-"));
  execFileSync(gateBinary, ["keygen", "--alg", "EdDSA", "--kid", "k1", "--out", join(dir, "keys")]);
  writeFileSync(join(dir, "schema.sql"),
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nCREATE TABLE secrets (id INTEGER PRIMARY KEY, value TEXT);\n");
  writeFileSync(join(dir, "seed.sql"), "INSERT INTO notes (body) VALUES ('hello');\nINSERT INTO secrets (value) VALUES ('s3cr3t');\n");
  upstreamKeys = await jwtKeys();
  upstream = await startUpstream({ schema: join(dir, "schema.sql"), seed: join(dir, "seed.sql"), jwtKeyFile: upstreamKeys.pem });
  tokens.gate = await upstreamKeys.sign(upstreamKeys.privateKey, { sub: "libsql-gate" }, (jwt) => jwt.setIssuedAt().setExpirationTime("1h"));
  gate = await startGate(wsConfig(upstream.url, tokens.gate));
  await waitForReadiness(gate);
  wsUrl = gate.url.replace(/^http/, "ws");
  tokens.alice = mint("alice", ["notes:data_read,data_add,data_update,data_delete"]);
  tokens.alice2 = mint("alice", ["notes:data_read"]);
  tokens.bob = mint("bob", ["notes:data_read"]);
  tokens.carol = mint("carol", ["all:data_read,data_add,data_update,data_delete,schema_add,schema_update,schema_delete"]);
});

after(async () => {
  await gate?.stop();
  await upstream?.close();
  upstreamKeys?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const openStream = (id) => ({ type: "open_stream", stream_id: id });
const execute = (streamId, sql) => ({ type: "execute", stream_id: streamId, stmt: { sql, want_rows: true } });
const executeId = (streamId, sqlId) => ({ type: "execute", stream_id: streamId, stmt: { sql_id: sqlId, want_rows: true } });
const batch = (streamId, sqls) => ({ type: "batch", stream_id: streamId, batch: { steps: sqls.map((sql) => ({ stmt: { sql } })) } });
// SQL texts clients sent upstream over WebSocket (the gate's own schema queries go over HTTP).
const wsSqlReceived = () => upstream.received.filter((r) => r.method === "WS").flatMap((r) => r.sql);
const wsRequestsReceived = (connection) =>
  upstream.received.filter((r) => r.method === "WS" && r.message === "request" && (connection === undefined || r.connection === connection));

// A hello'd raw connection (JSON, hrana3 unless told otherwise).
async function connect(token = tokens.alice, protocols = ["hrana3"]) {
  const conn = await openWs(wsUrl, protocols);
  conn.send(hello(token));
  const answer = await conn.next();
  assert.deepEqual(answer, { type: "hello_ok" });
  return conn;
}

async function call(conn, id, req) {
  conn.send(request(id, req));
  const answer = await conn.next();
  assert.ok(answer, "connection closed instead of answering");
  assert.equal(answer.request_id, id);
  return answer;
}

// An upgrade request that is expected to be refused: its HTTP status and JSON body.
function refusedUpgrade(baseUrl, protocols) {
  return new Promise((resolve, reject) => {
    const req = http.get(baseUrl + "/", {
      headers: {
        connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-protocol": protocols.join(", "),
      },
    });
    req.on("upgrade", () => reject(new Error("upgraded")));
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    req.on("error", reject);
  });
}

const rowsOf = (answer) => answer.response.result.rows.map((row) => row.map((v) => v.value ?? null));

test("subprotocols: the client's offer, in the client's order, upstream's choice answered", async () => {
  upstream.reset();
  const v2 = await openWs(wsUrl, ["hrana2"]);
  assert.equal(v2.protocol, "hrana2");
  v2.close();
  await v2.closed;
  const v3 = await openWs(wsUrl, ["hrana2", "hrana3", "unknown"]);
  // Upstream (like sqld) picks the newest it is offered.
  assert.equal(v3.protocol, "hrana3");
  v3.close();
  await v3.closed;
  assert.deepEqual(upstream.ws.stats().connections.map((c) => c.protocol), ["hrana2", "hrana3"]);
});

test("subprotocols: no offer is Hrana 1 (no header either way)", async () => {
  upstream.reset();
  const v1 = await openWs(wsUrl, undefined);
  assert.equal(v1.protocol, "");
  v1.send(hello(tokens.alice));
  assert.deepEqual(await v1.next(), { type: "hello_ok" });
  assert.equal((await call(v1, 1, openStream(1))).type, "response_ok");
  assert.deepEqual(rowsOf(await call(v1, 2, execute(1, "SELECT body FROM notes ORDER BY id LIMIT 1"))), [["hello"]]);
  // store_sql is Hrana 2: a protocol error on hrana1.
  v1.send(request(3, { type: "store_sql", sql_id: 1, sql: "SELECT 1" }));
  const closed = await v1.closed;
  assert.equal(closed.code, 1002);
  assert.match(closed.reason, /store_sql needs Hrana 2/);
  assert.equal(upstream.ws.stats().connections[0].protocol, "hrana1");
});

test("subprotocols: nothing the gate speaks is 400 PROTO_ERROR, and upstream is not contacted", async () => {
  upstream.reset();
  for (const offer of [["graphql-ws"], ["hrana4"]]) {
    const { status, body } = await refusedUpgrade(gate.url, offer);
    assert.equal(status, 400);
    assert.equal(body.code, "PROTO_ERROR");
    assert.match(body.message, /hrana3-protobuf, hrana3, hrana2 or hrana1/);
  }
  await assert.rejects(openWs(wsUrl, ["graphql-ws"]), (e) => e.status === 400);
  assert.equal(upstream.ws.stats().opened, 0);
});

test("one upstream WebSocket per client connection, opened with the gate's credential", async () => {
  upstream.reset();
  const conn = await connect();
  for (let i = 1; i <= 3; i++) assert.equal((await call(conn, i, openStream(i))).type, "response_ok");
  for (let i = 1; i <= 3; i++) assert.deepEqual(rowsOf(await call(conn, 10 + i, execute(i, `SELECT ${i}`))), [[String(i)]]);
  const stats = upstream.ws.stats();
  assert.equal(stats.opened, 1);
  assert.equal(stats.connections[0].hellos, 1, "the gate said hello once, with its own token");
  const hellos = upstream.received.filter((r) => r.method === "WS" && r.message === "hello");
  assert.equal(hellos.length, 1);
  assert.equal(hellos[0].body.jwt, tokens.gate, "upstream gets the gate's credential, never the client's");
  assert.ok(!JSON.stringify(upstream.received).includes(tokens.alice));
  conn.close();
  await conn.closed;
});

test("allowed execute and batch are answered as upstream answers; denied ones never reach upstream", async () => {
  const conn = await connect(tokens.alice);
  await call(conn, 1, openStream(1));
  upstream.reset();
  const ok = await call(conn, 2, execute(1, "SELECT body FROM notes ORDER BY id LIMIT 1"));
  assert.equal(ok.type, "response_ok");
  assert.equal(ok.response.type, "execute");
  assert.deepEqual(rowsOf(ok), [["hello"]]);

  const denied = await call(conn, 3, execute(1, "SELECT value FROM secrets"));
  assert.equal(denied.type, "response_error");
  assert.equal(denied.error.code, "SQLITE_AUTH");
  assert.match(denied.error.message, /permission denied: data_read on table "secrets"/);

  const deniedBatch = await call(conn, 4, batch(1, ["SELECT 1", "DELETE FROM secrets"]));
  assert.equal(deniedBatch.type, "response_error");
  assert.match(deniedBatch.error.message, /data_delete on table "secrets"/);

  const parse = await call(conn, 5, execute(1, "SELEC nonsense"));
  assert.equal(parse.type, "response_error");
  assert.equal(parse.error.code, "SQL_PARSE_ERROR");

  const okBatch = await call(conn, 6, batch(1, ["INSERT INTO notes (body) VALUES ('ws')", "SELECT count(*) FROM notes WHERE body = 'ws'"]));
  assert.equal(okBatch.type, "response_ok");
  assert.equal(okBatch.response.result.step_results[1].rows[0][0].value, "1");

  const sent = wsSqlReceived();
  assert.ok(!sent.some((s) => /secrets|nonsense/.test(s)), `denied SQL reached upstream: ${JSON.stringify(sent)}`);
  assert.ok(sent.includes("SELECT body FROM notes ORDER BY id LIMIT 1"));
  // The stream stays usable after a denial.
  assert.equal((await call(conn, 7, execute(1, "DELETE FROM notes WHERE body = 'ws'"))).type, "response_ok");
  conn.close();
});

test("a denied open_cursor: fetch_cursor is an error, close_cursor ok, neither reaches upstream", async () => {
  const conn = await connect(tokens.alice);
  await call(conn, 1, openStream(1));
  upstream.reset();
  const open = await call(conn, 2, { type: "open_cursor", stream_id: 1, cursor_id: 7, batch: { steps: [{ stmt: { sql: "SELECT * FROM secrets" } }] } });
  assert.equal(open.type, "response_error");
  assert.equal(open.error.code, "SQLITE_AUTH");
  const fetched = await call(conn, 3, { type: "fetch_cursor", cursor_id: 7, max_count: 10 });
  assert.equal(fetched.type, "response_error");
  assert.equal(fetched.error.code, "CURSOR_NOT_OPEN");
  const closed = await call(conn, 4, { type: "close_cursor", cursor_id: 7 });
  assert.deepEqual(closed, { type: "response_ok", request_id: 4, response: { type: "close_cursor" } });
  assert.deepEqual(wsRequestsReceived(), []);

  // An allowed cursor goes through, rows and all; the id is free again.
  const open2 = await call(conn, 5, { type: "open_cursor", stream_id: 1, cursor_id: 7, batch: { steps: [{ stmt: { sql: "SELECT body FROM notes ORDER BY id" } }] } });
  assert.equal(open2.type, "response_ok");
  const rows = await call(conn, 6, { type: "fetch_cursor", cursor_id: 7, max_count: 100 });
  assert.equal(rows.type, "response_ok");
  assert.ok(rows.response.entries.some((e) => e.type === "row" && e.row[0].value === "hello"));
  assert.equal((await call(conn, 7, { type: "close_cursor", cursor_id: 7 })).type, "response_ok");
  assert.deepEqual(wsRequestsReceived().map((r) => r.requests[0]), ["open_cursor", "fetch_cursor", "close_cursor"]);
  conn.close();
});

test("store_sql texts are per connection and authorized when executed by sql_id", async () => {
  const conn = await connect(tokens.alice);
  await call(conn, 1, openStream(1));
  await call(conn, 2, openStream(2));
  assert.equal((await call(conn, 3, { type: "store_sql", sql_id: 1, sql: "SELECT body FROM notes LIMIT 1" })).type, "response_ok");
  assert.equal((await call(conn, 4, { type: "store_sql", sql_id: 2, sql: "SELECT value FROM secrets" })).type, "response_ok");
  upstream.reset();
  // Stored once, usable on every stream of the connection.
  assert.deepEqual(rowsOf(await call(conn, 5, executeId(1, 1))), [["hello"]]);
  assert.deepEqual(rowsOf(await call(conn, 6, executeId(2, 1))), [["hello"]]);
  const denied = await call(conn, 7, executeId(1, 2));
  assert.equal(denied.type, "response_error");
  assert.equal(denied.error.code, "SQLITE_AUTH");
  const unknown = await call(conn, 8, executeId(1, 99));
  assert.equal(unknown.type, "response_error");
  assert.equal(unknown.error.code, "SQL_NOT_FOUND");
  // Closed, then unknown to the gate too.
  assert.equal((await call(conn, 9, { type: "close_sql", sql_id: 1 })).type, "response_ok");
  assert.equal((await call(conn, 10, executeId(1, 1))).error.code, "SQL_NOT_FOUND");
  assert.deepEqual(wsRequestsReceived().map((r) => r.requests[0]), ["execute", "execute", "close_sql"]);
  // Reusing an id still in use is a protocol error.
  conn.send(request(11, { type: "store_sql", sql_id: 2, sql: "SELECT 1" }));
  const closed = await conn.closed;
  assert.equal(closed.code, 1002);
  assert.match(closed.reason, /sql_id 2 is already in use/);
});

test("hello with a bad, expired or forged token: hello_error with the SPEC code, then the socket closes", async () => {
  const other = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const forged = await new SignJWT({ iss: ISSUER, sub: "alice", perm: ["all:data_read"] })
    .setProtectedHeader({ alg: "EdDSA", kid: "k1" }).setIssuedAt().setExpirationTime("10m").sign(other.privateKey);
  const expired = await signWithIssuerKey({ exp: Math.floor(Date.now() / 1000) - 60 });
  const cases = [
    ["not-a-jwt", "AUTH_HEADER_MALFORMED"],
    [forged, "AUTH_JWT_INVALID"],
    [expired, "AUTH_JWT_EXPIRED"],
    [null, "AUTH_HEADER_NOT_FOUND"],
  ];
  for (const [token, code] of cases) {
    upstream.reset();
    const conn = await openWs(wsUrl, ["hrana3"]);
    // Requests sent right behind the hello are ignored.
    conn.sendTogether([hello(token), request(1, openStream(1)), request(2, execute(1, "SELECT 1"))]);
    const answer = await conn.next();
    assert.equal(answer.type, "hello_error", String(token));
    assert.equal(answer.error.code, code);
    if (token) assert.ok(!answer.error.message.includes(token));
    assert.equal(await conn.next(), null);
    const closed = await conn.closed;
    assert.equal(closed.code, 1000);
    assert.deepEqual(wsRequestsReceived(), [], "nothing of a refused connection reaches upstream");
  }
});

test("a hello token over limits.max_token_bytes is refused without verifying it", async () => {
  const conn = await openWs(wsUrl, ["hrana3"]);
  conn.send(hello("a".repeat(9000)));
  const answer = await conn.next();
  assert.equal(answer.type, "hello_error");
  assert.equal(answer.error.code, "PROTO_ERROR");
  assert.match(answer.error.message, /max_token_bytes/);
  assert.equal((await conn.closed).code, 1000);
});

test("upstream closing the connection closes the client with upstream's code and reason", async () => {
  const conn = await connect();
  await call(conn, 1, openStream(1));
  // A second open_stream with the same id passes the gate (it keeps no stream
  // table) and is a protocol error upstream, which closes its socket with 1002.
  conn.send(request(2, openStream(1)));
  assert.equal(await conn.next(), null);
  const closed = await conn.closed;
  assert.equal(closed.code, 1002);
  assert.match(closed.reason, /Stream 1 already exists/);
});

test("a request before hello closes the connection with a protocol error", async () => {
  const conn = await openWs(wsUrl, ["hrana3"]);
  conn.send(request(1, openStream(1)));
  assert.equal(await conn.next(), null);
  const closed = await conn.closed;
  assert.equal(closed.code, 1002);
  assert.match(closed.reason, /before a successful hello/);
});

test("re-hello: a fresh token of the same subject continues; another subject is refused and closes", async () => {
  const conn = await connect(tokens.alice);
  await call(conn, 1, openStream(1));
  conn.send(hello(tokens.alice2));
  assert.deepEqual(await conn.next(), { type: "hello_ok" });
  // The new token's grants apply from now on (alice2 only reads).
  const insert = await call(conn, 2, execute(1, "INSERT INTO notes (body) VALUES ('x')"));
  assert.equal(insert.type, "response_error");
  assert.match(insert.error.message, /data_add on table "notes"/);
  assert.deepEqual(rowsOf(await call(conn, 3, execute(1, "SELECT body FROM notes ORDER BY id LIMIT 1"))), [["hello"]]);

  upstream.reset();
  conn.sendTogether([hello(tokens.bob), request(4, execute(1, "SELECT 2"))]);
  const refused = await conn.next();
  assert.equal(refused.type, "hello_error");
  assert.equal(refused.error.code, "AUTH_PRINCIPAL_MISMATCH");
  assert.equal(await conn.next(), null);
  assert.equal((await conn.closed).code, 1000);
  assert.deepEqual(wsRequestsReceived(), []);
});

test("the token expires mid-connection: requests get AUTH_JWT_EXPIRED until a new hello", async () => {
  const short = mint("alice", ["notes:data_read"], "2s");
  const conn = await connect(short);
  await call(conn, 1, openStream(1));
  assert.equal((await call(conn, 2, execute(1, "SELECT 1"))).type, "response_ok");
  const exp = JSON.parse(Buffer.from(short.split(".")[1], "base64url")).exp;
  await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 300));
  upstream.reset();
  const expired = await call(conn, 3, execute(1, "SELECT 2"));
  assert.equal(expired.type, "response_error");
  assert.equal(expired.error.code, "AUTH_JWT_EXPIRED");
  // An open_cursor refused for the expired token: upstream never sees the cursor,
  // so after a new hello its close_cursor is the gate's to answer (sqld would
  // close the whole connection on a close_cursor for a cursor it does not know).
  const cursor = await call(conn, 5, { type: "open_cursor", stream_id: 1, cursor_id: 9, batch: { steps: [{ stmt: { sql: "SELECT 1" } }] } });
  assert.equal(cursor.error.code, "AUTH_JWT_EXPIRED");
  assert.deepEqual(wsRequestsReceived(), []);
  conn.send(hello(tokens.alice));
  assert.deepEqual(await conn.next(), { type: "hello_ok" });
  assert.deepEqual(await call(conn, 6, { type: "close_cursor", cursor_id: 9 }),
                   { type: "response_ok", request_id: 6, response: { type: "close_cursor" } });
  assert.deepEqual(wsRequestsReceived(), []);
  assert.deepEqual(rowsOf(await call(conn, 4, execute(1, "SELECT 3"))), [["3"]]);
  conn.close();
});

test("protocol violations close with 1002 (malformed, unknown type, id reuse) or 1003 (frame type)", async () => {
  const violations = [
    [(c) => c.send("{not json"), 1002, /not valid JSON/],
    [(c) => c.send({ type: "shout" }), 1002, /unknown message type/],
    [(c) => c.send(request(1, { type: "drop_everything", stream_id: 1 })), 1002, /unknown request type/],
    [(c) => c.send('{"type":"request","request_id":1,"request_id":2,"request":{"type":"open_stream","stream_id":1}}'), 1002, /duplicate key "request_id"/],
    [(c) => c.send(Buffer.from(JSON.stringify(request(1, openStream(1))))), 1003, /binary frame on a JSON subprotocol/],
    [(c) => c.sendTogether([request(5, openStream(1)), request(5, openStream(2))]), 1002, /request_id 5 is still outstanding/],
  ];
  for (const [act, code, reason] of violations) {
    const conn = await connect();
    act(conn);
    let message;
    while ((message = await conn.next()) !== null) assert.notEqual(message.request_id, undefined);
    const closed = await conn.closed;
    assert.equal(closed.code, code, closed.reason);
    assert.match(closed.reason, reason);
  }
});

test("a frame over limits.max_body_bytes closes with 1009", async () => {
  const conn = await connect();
  conn.send(request(1, execute(1, "SELECT '" + "x".repeat(MAX_BODY) + "'")));
  assert.equal(await conn.next(), null);
  assert.equal((await conn.closed).code, 1009);
});

test("a flood of requests: every one answered in order of ids, other connections unaffected", async () => {
  upstream.reset();
  const flood = await connect();
  const other = await connect();
  await call(flood, 0, openStream(1));
  await call(other, 0, openStream(1));
  const N = 2000;
  const messages = [];
  for (let i = 1; i <= N; i++) messages.push(request(i, execute(1, `SELECT ${i}`)));
  flood.sendTogether(messages);
  // Meanwhile the other connection is served.
  assert.deepEqual(rowsOf(await call(other, 1, execute(1, "SELECT 'other'"))), [["other"]]);
  const seen = new Set();
  for (let i = 1; i <= N; i++) {
    const answer = await flood.next();
    assert.ok(answer, `closed after ${i - 1} answers`);
    assert.equal(answer.type, "response_ok");
    assert.equal(answer.response.result.rows[0][0].value, String(answer.request_id));
    seen.add(answer.request_id);
  }
  assert.equal(seen.size, N);
  // Still usable afterwards.
  assert.deepEqual(rowsOf(await call(flood, N + 1, execute(1, "SELECT 'after'"))), [["after"]]);
  assert.equal(upstream.ws.stats().opened, 2, "one upstream connection per client connection");
  flood.close();
  other.close();
});

test("a client that stops reading: the gate stops reading it (bounded), then serves everything once it reads", async () => {
  const conn = await connect();
  await call(conn, 0, openStream(1));
  upstream.reset();
  const N = 600;
  // Large answers fill the socket buffers quickly, so the gate's own limit shows.
  const messages = [];
  for (let i = 1; i <= N; i++) messages.push(request(i, execute(1, `SELECT ${i}, hex(zeroblob(32768))`)));
  conn.ws._socket.pause();
  conn.sendTogether(messages);
  // Wait until upstream stops receiving (by polling its record, no fixed sleep).
  let count = -1;
  for (let stable = 0; stable < 5;) {
    await new Promise((r) => setTimeout(r, 100));
    const now = wsRequestsReceived().length;
    stable = now === count ? stable + 1 : 0;
    count = now;
  }
  assert.ok(count < N / 2, `the gate kept reading a client that does not read: ${count} of ${N} forwarded`);
  assert.ok(count >= 128, `forwarded only ${count}`);
  conn.ws._socket.resume();
  for (let i = 1; i <= N; i++) {
    const answer = await conn.next();
    assert.ok(answer, `closed after ${i - 1} answers`);
    assert.equal(answer.type, "response_ok");
    assert.equal(answer.response.result.rows[0][0].value, String(answer.request_id));
  }
  conn.close();
});

test("idle: a peer that answers nothing, not even pings, is dropped after limits.idle_timeout_ms", async () => {
  const { port } = new URL(gate.url);
  const socket = net.connect(Number(port), "127.0.0.1");
  await new Promise((r) => socket.once("connect", r));
  socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
               "Sec-WebSocket-Protocol: hrana3\r\n\r\n");
  let received = "";
  socket.on("data", (d) => (received += d.toString("latin1")));
  // The gate pings (opcode 0x9) and, with no answer, closes the TCP connection.
  await new Promise((r) => socket.once("close", r));
  assert.match(received, /^HTTP\/1\.1 101/);
  assert.ok(received.includes("\x89"), "the gate pinged before giving up");
});

test("DDL through a WebSocket refreshes the gate's schema copy", async () => {
  const conn = await connect(tokens.carol);
  await call(conn, 1, openStream(1));
  assert.equal((await call(conn, 2, execute(1, "CREATE TABLE ws_made (id INTEGER PRIMARY KEY, v TEXT)"))).type, "response_ok");
  // Known to the analyzer now (a parse error otherwise, after one refresh).
  let answer;
  for (let i = 0; i < 50; i++) {
    answer = await call(conn, 10 + i, execute(1, "INSERT INTO ws_made (v) VALUES ('a')"));
    if (answer.type === "response_ok") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(answer.type, "response_ok", JSON.stringify(answer));
  assert.equal((await call(conn, 99, execute(1, "DROP TABLE ws_made"))).type, "response_ok");
  conn.close();
});

test("@libsql/hrana-client over the gate (JSON, protocol 2): allowed and denied", async () => {
  const client = hrana.openWs(wsUrl, tokens.alice, 2);
  try {
    assert.equal(await client.getVersion(), 2);
    const stream = client.openStream();
    const rows = await stream.query("SELECT body FROM notes ORDER BY id LIMIT 1");
    assert.equal(rows.rows[0].body, "hello");
    await assert.rejects(stream.query("SELECT value FROM secrets"), (e) => {
      assert.equal(e.code, "SQLITE_AUTH");
      assert.match(e.message, /secrets/);
      return true;
    });
    // The stream survives the denial.
    assert.equal((await stream.queryValue("SELECT 42")).value, 42);
    // Stored SQL (hrana-client's client.storeSql) is authorized when used.
    const stored = client.storeSql("SELECT value FROM secrets");
    await assert.rejects(stream.query(stored), (e) => e.code === "SQLITE_AUTH");
    stream.close();
  } finally {
    client.close();
  }
});

test("@libsql/hrana-client with a bad token: the hello error surfaces", async () => {
  const client = hrana.openWs(wsUrl, "not-a-jwt", 2);
  try {
    const stream = client.openStream();
    await assert.rejects(stream.query("SELECT 1"), (e) => /AUTH_JWT_INVALID|JWT|token/i.test(`${e.code} ${e.message}`));
  } finally {
    client.close();
  }
});

test("metrics and access log count WebSocket requests with protocol ws", async () => {
  const conn = await connect();
  await call(conn, 1, openStream(1));
  await call(conn, 2, execute(1, "SELECT value FROM secrets"));
  const metrics = await (await fetch(gate.admin + "/metrics")).text();
  assert.match(metrics, /libsql_gate_open_connections\{protocol="ws"\} [1-9]/);
  assert.match(metrics, /libsql_gate_requests_total\{[^}]*outcome="denied"[^}]*protocol="ws"[^}]*\} [1-9]|libsql_gate_requests_total\{[^}]*protocol="ws"[^}]*outcome="denied"[^}]*\} [1-9]/);
  assert.match(metrics, /libsql_gate_auth_failures_total\{[^}]*\} [1-9]/);
  const line = await gate.waitForLog((r) => r.msg === "access" && r.protocol === "ws" && r.outcome === "denied" && r.subject === "alice");
  assert.equal(line.request, "execute");
  assert.equal(line.issuer, "dev");
  conn.close();
  await conn.closed;
});

test("upstream unreachable: the upgrade is refused with 502 UPSTREAM_UNAVAILABLE", async () => {
  const port = await freePort();
  const down = await startGate(wsConfig(`http://127.0.0.1:${port}`, tokens.gate));
  try {
    const { status, body } = await refusedUpgrade(down.url, ["hrana3"]);
    assert.equal(status, 502);
    assert.equal(body.code, "UPSTREAM_UNAVAILABLE");
  } finally {
    await down.stop();
  }
});

test("audit mode forwards a would-be denial and logs it", async () => {
  const audit = await startGate(wsConfig(upstream.url, tokens.gate, { audit: true }));
  try {
    await waitForReadiness(audit);
    const conn = await openWs(audit.url.replace(/^http/, "ws"), ["hrana3"]);
    conn.send(hello(tokens.alice));
    assert.deepEqual(await conn.next(), { type: "hello_ok" });
    await call(conn, 1, openStream(1));
    const answer = await call(conn, 2, execute(1, "SELECT value FROM secrets"));
    assert.equal(answer.type, "response_ok");
    assert.deepEqual(rowsOf(answer), [["s3cr3t"]]);
    await audit.waitForLog((r) => r.msg === "audit: would deny" && r.protocol === "ws");
    conn.close();
  } finally {
    await audit.stop();
  }
});

test("SIGTERM: an open WebSocket is closed with 1001 and the gate exits 0", async () => {
  const g = await startGate(wsConfig(upstream.url, tokens.gate));
  await waitForReadiness(g);
  const conn = await openWs(g.url.replace(/^http/, "ws"), ["hrana3"]);
  conn.send(hello(tokens.alice));
  assert.deepEqual(await conn.next(), { type: "hello_ok" });
  await call(conn, 1, openStream(1));
  const result = g.stop();
  const closed = await conn.closed;
  assert.equal(closed.code, 1001);
  assert.equal((await result).code, 0);
});

// A misbehaving upstream: HTTP 404 for everything, WebSocket with `choose`
// picking the subprotocol, hello answered by `onHello`, requests by `onRequest`.
async function fakeUpstream({ choose = (offered) => (offered.has("hrana3") ? "hrana3" : false),
                              onHello = (ws) => ws.send(JSON.stringify({ type: "hello_ok" })),
                              onRequest = () => {}, tls = null } = {}) {
  const notFound = (_req, res) => { res.writeHead(404); res.end(); };
  const server = tls ? https.createServer({ cert: tls.certPem, key: tls.keyPem }, notFound) : http.createServer(notFound);
  const wss = new WebSocketServer({ server, handleProtocols: (offered) => choose(offered) });
  wss.on("connection", (ws) => ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type === "hello") onHello(ws, msg);
    else onRequest(ws, msg);
  }));
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${server.address().port}`,
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise((r) => wss.close(r));
      await new Promise((r) => server.close(r));
    },
  };
}

async function withFakeUpstream(options, body) {
  const fake = await fakeUpstream(options);
  const g = await startGate(wsConfig(fake.url, tokens.gate, { upstreamTimeoutMs: 500 }));
  try {
    await body(g, g.url.replace(/^http/, "ws"));
  } finally {
    await g.stop();
    await fake.close();
  }
}

test("upstream never answers a request: the connection closes with 1011 after upstream.timeout_ms", async () => {
  await withFakeUpstream({}, async (_g, url) => {
    const conn = await openWs(url, ["hrana3"]);
    conn.send(hello(tokens.alice));
    assert.deepEqual(await conn.next(), { type: "hello_ok" });
    conn.send(request(1, openStream(1)));
    assert.equal(await conn.next(), null);
    const closed = await conn.closed;
    assert.equal(closed.code, 1011);
    assert.match(closed.reason, /did not answer in time/);
  });
});

test("upstream answering a request id that is not outstanding, or with the wrong type: 1011", async () => {
  const answers = [
    (ws, msg) => ws.send(JSON.stringify({ type: "response_ok", request_id: msg.request_id + 1, response: { type: "open_stream" } })),
    (ws, msg) => ws.send(JSON.stringify({ type: "response_ok", request_id: msg.request_id, response: { type: "execute", result: {} } })),
    (ws) => ws.send("not json"),
    (ws) => ws.send(JSON.stringify({ type: "hello_ok" })),
    (ws, msg) => ws.send(Buffer.from(JSON.stringify({ type: "response_ok", request_id: msg.request_id, response: { type: "open_stream" } }))),
  ];
  for (const onRequest of answers) {
    await withFakeUpstream({ onRequest }, async (_g, url) => {
      const conn = await openWs(url, ["hrana3"]);
      conn.send(hello(tokens.alice));
      assert.deepEqual(await conn.next(), { type: "hello_ok" });
      conn.send(request(1, openStream(1)));
      assert.equal(await conn.next(), null, "nothing of a broken answer is relayed");
      const closed = await conn.closed;
      assert.equal(closed.code, 1011);
      assert.match(closed.reason, /broke the Hrana protocol/);
    });
  }
});

test("upstream refusing the gate's credential or choosing a subprotocol it was not offered: 502", async () => {
  const cases = [
    { onHello: (ws) => ws.send(JSON.stringify({ type: "hello_error", error: { message: "bad jwt", code: "AUTH_JWT_INVALID" } })) },
    { choose: () => "hrana2" },
  ];
  for (const options of cases) {
    await withFakeUpstream(options, async (g) => {
      const { status, body } = await refusedUpgrade(g.url, ["hrana3"]);
      assert.equal(status, 502);
      assert.equal(body.code, "UPSTREAM_UNAVAILABLE");
      assert.ok(!JSON.stringify(body).includes("bad jwt"), "upstream's words are logged, not passed on");
    });
  }
});

// hrana3-protobuf, as far as these tests write and read it (Hrana 3 spec, protobuf appendix).
const PbError = schema(() => ({}), {
  1: ["string", (m, v) => { m.message = v; }],
  2: ["string", (m, v) => { m.code = v; }],
});
const PbServerMsg = schema(() => ({}), {
  1: [schema(() => ({})), (m) => { m.type = "hello_ok"; }],
  2: [schema(() => ({}), { 1: [PbError, (m, v) => { m.error = v; }] }), (m, v) => { Object.assign(m, { type: "hello_error" }, v); }],
  3: [schema(() => ({ request_id: 0 }), { 1: ["int32", (m, v) => { m.request_id = v; }] }),
    (m, v) => { Object.assign(m, { type: "response_ok" }, v); }],
  4: [schema(() => ({ request_id: 0 }), {
    1: ["int32", (m, v) => { m.request_id = v; }],
    2: [PbError, (m, v) => { m.error = v; }],
  }), (m, v) => { Object.assign(m, { type: "response_error" }, v); }],
});
const pbHello = (jwt) => new Writer().message(1, (h) => h.string(1, jwt)).finish();
const pbRequest = (id, fieldNo, fill) => new Writer().message(2, (r) => { r.int32(1, id); r.message(fieldNo, fill); }).finish();
const pbOpenStream = (id, streamId) => pbRequest(id, 2, (o) => o.int32(1, streamId));
const pbExecute = (id, streamId, ...sqls) => pbRequest(id, 4, (e) => {
  e.int32(1, streamId);
  e.message(2, (stmt) => { for (const sql of sqls) stmt.string(1, sql); });
});
const pbNext = async (conn) => {
  const message = await conn.next();
  return message === null ? null : decodeMessage(message, PbServerMsg);
};

test("hrana3-protobuf: negotiated when offered, requests authorized, denials as response_error", async () => {
  upstream.reset();
  const conn = await openWs(wsUrl, ["hrana3-protobuf", "hrana3"]);
  assert.equal(conn.protocol, "hrana3-protobuf");
  conn.send(pbHello(tokens.alice));
  assert.deepEqual(await pbNext(conn), { type: "hello_ok" });
  conn.send(pbOpenStream(1, 1));
  assert.deepEqual(await pbNext(conn), { type: "response_ok", request_id: 1 });
  conn.send(pbExecute(2, 1, "SELECT body FROM notes"));
  assert.deepEqual(await pbNext(conn), { type: "response_ok", request_id: 2 });
  conn.send(pbExecute(3, 1, "SELECT value FROM secrets"));
  const denied = await pbNext(conn);
  assert.equal(denied.type, "response_error");
  assert.equal(denied.request_id, 3);
  assert.equal(denied.error.code, "SQLITE_AUTH");
  assert.match(denied.error.message, /data_read on table "secrets"/);
  assert.ok(!wsSqlReceived().some((sql) => sql.includes("secrets")));
  assert.equal(upstream.ws.stats().connections[0].protocol, "hrana3-protobuf");
  // Two sql fields (upstream would run the last one): a protocol error, never forwarded.
  conn.send(pbExecute(4, 1, "SELECT 1", "DELETE FROM secrets"));
  assert.equal(await pbNext(conn), null);
  assert.equal((await conn.closed).code, 1002);
  assert.ok(!wsSqlReceived().some((sql) => sql.includes("DELETE")));
});

test("hrana3-protobuf: a text frame is refused with 1003, a bad token with hello_error", async () => {
  const conn = await openWs(wsUrl, ["hrana3-protobuf"]);
  conn.send(pbHello(tokens.alice));
  assert.deepEqual(await pbNext(conn), { type: "hello_ok" });
  conn.send(JSON.stringify(request(1, openStream(1))));
  const closed = await conn.closed;
  assert.equal(closed.code, 1003);
  assert.match(closed.reason, /text frame on hrana3-protobuf/);

  const bad = await openWs(wsUrl, ["hrana3-protobuf"]);
  bad.send(pbHello("not-a-jwt"));
  const refused = await pbNext(bad);
  assert.equal(refused.type, "hello_error");
  assert.equal(refused.error.code, "AUTH_HEADER_MALFORMED");
  assert.equal((await bad.closed).code, 1000);
});

test("@libsql/hrana-client protocol 3 over the gate gets hrana3-protobuf: allowed, denied, batch", async () => {
  upstream.reset();
  const client = hrana.openWs(wsUrl, tokens.alice, 3);
  try {
    assert.equal(await client.getVersion(), 3);
    const stream = client.openStream();
    assert.equal((await stream.query("SELECT body FROM notes ORDER BY id LIMIT 1")).rows[0].body, "hello");
    await assert.rejects(stream.query("SELECT value FROM secrets"), (e) => e.code === "SQLITE_AUTH");
    const b = stream.batch(false);
    const step = b.step().query("SELECT count(*) AS n FROM notes");
    await b.execute();
    assert.ok((await step).rows[0].n >= 1);
    const denied = stream.batch(false);
    const deniedStep = denied.step().query("DELETE FROM secrets");
    deniedStep.catch(() => {});
    await assert.rejects(denied.execute(), (e) => e.code === "SQLITE_AUTH");
    stream.close();
    assert.equal(upstream.ws.stats().connections[0].protocol, "hrana3-protobuf");
    assert.ok(!wsSqlReceived().some((sql) => sql.includes("secrets")));
  } finally {
    client.close();
  }
});

test("an https upstream is reached over wss, its certificate verified", async () => {
  const tls = createServerTls();
  const answerOk = (ws, msg) => ws.send(JSON.stringify({ type: "response_ok", request_id: msg.request_id, response: { type: msg.request.type } }));
  const fake = await fakeUpstream({ tls, onRequest: answerOk });
  const caFile = join(dir, "upstream-ca.pem");
  writeFileSync(caFile, tls.caPem);
  const previous = process.env.SSL_CERT_FILE;
  try {
    // Trusted (the gate verifies against the default store, here the test CA).
    process.env.SSL_CERT_FILE = caFile;
    const trusting = await startGate(wsConfig(fake.url, tokens.gate));
    delete process.env.SSL_CERT_FILE;
    const untrusting = await startGate(wsConfig(fake.url, tokens.gate));
    try {
      const conn = await openWs(trusting.url.replace(/^http/, "ws"), ["hrana3"]);
      conn.send(hello(tokens.alice));
      assert.deepEqual(await conn.next(), { type: "hello_ok" });
      assert.deepEqual(await call(conn, 1, openStream(1)), { type: "response_ok", request_id: 1, response: { type: "open_stream" } });
      conn.close();
      // Not trusted: refused at the upgrade, nothing sent.
      const { status, body } = await refusedUpgrade(untrusting.url, ["hrana3"]);
      assert.equal(status, 502);
      assert.equal(body.code, "UPSTREAM_UNAVAILABLE");
      await untrusting.waitForLog((r) => r.msg === "upstream websocket failed" && /TLS handshake/.test(r.error));
    } finally {
      await trusting.stop();
      await untrusting.stop();
    }
  } finally {
    if (previous === undefined) delete process.env.SSL_CERT_FILE;
    else process.env.SSL_CERT_FILE = previous;
    await fake.close();
  }
});

test("SIGTERM with a request in flight: its answer is relayed, then the socket closes with 1001", async () => {
  const held = [];
  await withFakeUpstream({ onRequest: (ws, msg) => held.push(() => ws.send(JSON.stringify(
    { type: "response_ok", request_id: msg.request_id, response: { type: msg.request.type } }))) }, async (g, url) => {
    const conn = await openWs(url, ["hrana3"]);
    conn.send(hello(tokens.alice));
    assert.deepEqual(await conn.next(), { type: "hello_ok" });
    conn.send(request(1, openStream(1)));
    while (held.length === 0) await new Promise((r) => setTimeout(r, 10));
    g.child.kill("SIGTERM");
    await g.waitForLog((r) => r.msg === "draining");
    held[0]();
    assert.deepEqual(await conn.next(), { type: "response_ok", request_id: 1, response: { type: "open_stream" } });
    assert.equal(await conn.next(), null);
    const closed = await conn.closed;
    assert.equal(closed.code, 1001);
    assert.equal((await g.exited).code, 0);
  });
});

test("a reload that puts the token out of scope applies to the next request of an open connection", async () => {
  const DB = "11111111-1111-4111-8111-111111111111";
  const OTHER = "22222222-2222-4222-8222-222222222222";
  const scoped = (id) => wsConfig(upstream.url, tokens.gate) + `database:\n  name: db\n  id: "${id}"\n`;
  const g = await startGate(scoped(DB));
  try {
    await waitForReadiness(g);
    const token = execFileSync(gateBinary, ["mint", "--key", join(dir, "keys", "private.pem"), "--kid", "k1", "--iss", ISSUER,
      "--sub", "alice", "--perm", "notes:data_read", "--claims", JSON.stringify({ id: DB })], { encoding: "utf8" }).trim();
    const conn = await openWs(g.url.replace(/^http/, "ws"), ["hrana3"]);
    conn.send(hello(token));
    assert.deepEqual(await conn.next(), { type: "hello_ok" });
    await call(conn, 1, openStream(1));
    assert.equal((await call(conn, 2, execute(1, "SELECT 1"))).type, "response_ok");
    const seen = g.logs.length;
    g.writeConfig(scoped(OTHER));
    g.child.kill("SIGHUP");
    await g.waitForLog((r) => g.logs.indexOf(r) >= seen && r.msg === "config reloaded");
    const refused = await call(conn, 3, execute(1, "SELECT 2"));
    assert.equal(refused.type, "response_error");
    assert.equal(refused.error.code, "AUTH_DATABASE_SCOPE");
    conn.close();
  } finally {
    await g.stop();
  }
});
