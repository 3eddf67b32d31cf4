// Hrana over WebSocket below the stock clients: subprotocol negotiation, what
// closes the socket (code 1002 and a reason), what only fails a request, the
// hello/JWT check, request ids, back-pressure and connection accounting.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { startUpstream } from "./server.mjs";
import { Writer, decodeMessage, schema } from "./protobuf_wire.mjs";
import { openWs, hello, request, pipeline, exec, jwtKeys } from "./test_support.mjs";

const ALL = ["hrana1", "hrana2", "hrana3", "hrana3-protobuf"];
// A broken upstream tends to leave a socket open rather than fail: each suite
// gets a bound so such a test fails instead of hanging.
const BOUND = { timeout: 30_000 };
const openStream = (id) => ({ type: "open_stream", stream_id: id });
const execute = (streamId, sql) => ({ type: "execute", stream_id: streamId, stmt: { sql } });

// Whether a table exists, asked over HTTP.
async function tableExists(upstream, name, headers) {
  const res = await pipeline(upstream.url, {
    baton: null,
    requests: [exec(`SELECT count(*) FROM sqlite_schema WHERE name = '${name}'`), { type: "close" }],
  }, { headers });
  return res.json.results[0].response.result.rows[0][0].value === "1";
}

// Waits (by turns of the event loop, not by time) until the upstream has seen
// the socket close.
async function upstreamSawClose(upstream, id) {
  for (let i = 0; i < 10_000; i++) {
    if (upstream.ws.stats().connections.find((c) => c.id === id)?.open === false) return;
    await nextTurn();
  }
  throw new Error(`connection ${id} still open upstream`);
}

// ServerMsg in protobuf, as far as these tests read it.
const HranaError = schema(() => ({}), {
  1: ["string", (m, v) => { m.message = v; }],
  2: ["string", (m, v) => { m.code = v; }],
});
const ServerMsg = schema(() => ({}), {
  1: [schema(() => ({})), (m) => { m.type = "hello_ok"; }],
  2: [schema(() => ({}), { 1: [HranaError, (m, v) => { m.error = v; }] }), (m, v) => { Object.assign(m, { type: "hello_error" }, v); }],
  3: [schema(() => ({ request_id: 0 }), {
    1: ["int32", (m, v) => { m.request_id = v; }],
    2: [schema(() => ({})), (m) => { m.response = "open_stream"; }],
    13: [schema(() => ({ is_autocommit: false }), { 1: ["bool", (m, v) => { m.is_autocommit = v; }] }),
      (m, v) => { m.response = "get_autocommit"; m.is_autocommit = v.is_autocommit; }],
  }), (m, v) => { Object.assign(m, { type: "response_ok" }, v); }],
  4: [schema(() => ({ request_id: 0 }), {
    1: ["int32", (m, v) => { m.request_id = v; }],
    2: [HranaError, (m, v) => { m.error = v; }],
  }), (m, v) => { Object.assign(m, { type: "response_error" }, v); }],
});
const decodeServerMsg = (buf) => decodeMessage(buf, ServerMsg);

const pbHello = (jwt) => new Writer().message(1, (h) => { if (jwt) h.string(1, jwt); }).finish();
const pbRequest = (id, fieldNo, fill) => new Writer().message(2, (r) => { r.int32(1, id); r.message(fieldNo, fill); }).finish();
const pbOpenStream = (id, streamId) => pbRequest(id, 2, (o) => o.int32(1, streamId));

describe("WebSocket subprotocol negotiation", BOUND, () => {
  let upstream;
  let restricted;
  before(async () => {
    upstream = await startUpstream();
    restricted = await startUpstream({ wsProtocols: ["hrana3", "hrana2"] });
  });
  after(async () => {
    await upstream?.close();
    await restricted?.close();
  });

  const negotiated = async (target, offer) => {
    const c = await openWs(target.wsUrl, offer);
    c.close();
    await c.closed;
    return c.protocol;
  };

  it("picks in sqld's order of preference, whatever the client's order", async () => {
    assert.equal(await negotiated(upstream, ALL), "hrana3-protobuf");
    assert.equal(await negotiated(upstream, ["hrana1", "hrana3", "hrana2"]), "hrana3");
    assert.equal(await negotiated(upstream, ["hrana1", "hrana2"]), "hrana2");
    assert.equal(await negotiated(upstream, ["hrana1"]), "hrana1");
  });

  it("treats no subprotocol header as hrana1, as sqld", async () => {
    upstream.reset();
    assert.equal(await negotiated(upstream, undefined), "");
    assert.equal(upstream.ws.stats().connections[0].protocol, "hrana1");
  });

  it("honours the wsProtocols restriction", async () => {
    assert.equal(await negotiated(restricted, ALL), "hrana3");
    assert.equal(await negotiated(restricted, ["hrana2", "hrana1"]), "hrana2");
    await assert.rejects(openWs(restricted.wsUrl, ["hrana1", "hrana3-protobuf"]), (err) => err.status === 400);
    await assert.rejects(openWs(restricted.wsUrl, undefined), (err) => err.status === 400, "no header means hrana1");
  });

  it("refuses an offer it does not speak with 400, and /_test/ paths with 404", async () => {
    upstream.reset();
    await assert.rejects(openWs(upstream.wsUrl, ["hrana9", "graphql-ws"]), (err) => err.status === 400);
    await assert.rejects(openWs(upstream.wsUrl + "/_test/received", ALL), (err) => err.status === 404);
    assert.deepEqual(upstream.ws.stats(), { opened: 0, current: 0, connections: [] });
  });
});

describe("WebSocket protocol violations close the socket with 1002", BOUND, () => {
  let upstream;
  before(async () => { upstream = await startUpstream(); });
  after(async () => { await upstream?.close(); });

  // Opens a connection, sends `messages` together and expects the close.
  async function expectViolation(protocol, messages, reason, { answers = [] } = {}) {
    upstream.reset();
    const c = await openWs(upstream.wsUrl, [protocol]);
    c.sendTogether(messages);
    for (const expected of answers) assert.deepEqual(await c.next(), expected);
    const closed = await c.closed;
    assert.equal(closed.code, 1002);
    assert.match(closed.reason, reason);
    const [record] = upstream.ws.stats().connections;
    await upstreamSawClose(upstream, record.id);
    assert.match(record.violation, reason);
    return c;
  }

  it("for text that is not JSON", async () => {
    await expectViolation("hrana3", ['{"type": "hello"'], /Cannot deserialize client message from JSON/);
  });

  it("for a binary frame on a JSON subprotocol", async () => {
    await expectViolation("hrana2", [Buffer.from(JSON.stringify(hello()))], /binary WebSocket message.*JSON/);
  });

  it("for a text frame on hrana3-protobuf", async () => {
    await expectViolation("hrana3-protobuf", [JSON.stringify(hello())], /text WebSocket message.*protobuf/);
  });

  it("for bytes that are not protobuf", async () => {
    await expectViolation("hrana3-protobuf", [pbHello(), Buffer.from([0x12, 0x05, 0x08])],
      /Cannot decode client message from protobuf/, { answers: [Buffer.from([0x0a, 0x00])] });
  });

  it("for a protobuf message with no variant set", async () => {
    await expectViolation("hrana3-protobuf", [Buffer.alloc(0)], /unknown variant/);
  });

  it("for an unknown message type", async () => {
    await expectViolation("hrana3", [{ type: "goodbye" }], /unknown variant `goodbye` of ClientMsg/);
  });

  it("for an unknown request type, and runs nothing after it", async () => {
    await expectViolation("hrana3", [
      hello(), request(1, openStream(1)), request(2, { type: "drop_everything", stream_id: 1 }),
      request(3, execute(1, "CREATE TABLE after_unknown (x)")),
    ], /unknown variant `drop_everything` of Request/, {
      answers: [{ type: "hello_ok" }, { type: "response_ok", request_id: 1, response: { type: "open_stream" } }],
    });
    assert.equal(await tableExists(upstream, "after_unknown"), false);
  });

  it("for a request before hello", async () => {
    await expectViolation("hrana3", [request(1, openStream(1)), request(2, execute(1, "CREATE TABLE before_hello (x)")), hello()],
      /request before hello/);
    assert.deepEqual(upstream.receivedSql(), ["CREATE TABLE before_hello (x)"], "received, but never run:");
    assert.equal(await tableExists(upstream, "before_hello"), false);
  });

  it("for a request id still in use by an outstanding request", async () => {
    await expectViolation("hrana3", [
      hello(), request(7, openStream(1)), request(7, execute(1, "CREATE TABLE dup_request_id (x)")),
    ], /Request id 7 is already used/, {
      answers: [{ type: "hello_ok" }, { type: "response_ok", request_id: 7, response: { type: "open_stream" } }],
    });
    assert.equal(await tableExists(upstream, "dup_request_id"), false);
  });

  it("for a store_sql id that is in use", async () => {
    await expectViolation("hrana2", [
      hello(), request(1, { type: "store_sql", sql_id: 5, sql: "SELECT 1" }),
      request(2, { type: "store_sql", sql_id: 5, sql: "SELECT 2" }),
    ], /SQL text 5 already exists/, {
      answers: [{ type: "hello_ok" }, { type: "response_ok", request_id: 1, response: { type: "store_sql" } }],
    });
  });

  const tooNew = [
    ["hrana1", { type: "sequence", stream_id: 1, sql: "SELECT 1" }, /`sequence` request is only supported in protocol version hrana2/],
    ["hrana1", { type: "store_sql", sql_id: 1, sql: "SELECT 1" }, /`store_sql` request .* hrana2/],
    ["hrana2", { type: "get_autocommit", stream_id: 1 }, /`get_autocommit` request .* hrana3/],
    ["hrana2", { type: "open_cursor", stream_id: 1, cursor_id: 1, batch: { steps: [] } }, /`open_cursor` request .* hrana3/],
    ["hrana2", { type: "batch", stream_id: 1, batch: { steps: [{ condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 1" } }] } },
      /is_autocommit.*hrana3/],
  ];
  for (const [protocol, req, reason] of tooNew) {
    it(`for ${req.type}${req.batch?.steps.length ? " with is_autocommit" : ""} on ${protocol}`, async () => {
      await expectViolation(protocol, [hello(), request(1, openStream(1)), request(2, req)], reason, {
        answers: [{ type: "hello_ok" }, { type: "response_ok", request_id: 1, response: { type: "open_stream" } }],
      });
    });
  }

  it("for a repeated hello on hrana1", async () => {
    await expectViolation("hrana1", [hello(), hello()], /Repeated hello/, { answers: [{ type: "hello_ok" }] });
  });

  it("for an unknown stream, a stream opened twice, an unknown cursor", async () => {
    await expectViolation("hrana3", [hello(), request(1, execute(9, "SELECT 1"))], /Stream 9 not found/,
      { answers: [{ type: "hello_ok" }] });
    await expectViolation("hrana3", [hello(), request(1, openStream(4)), request(2, openStream(4))], /Stream 4 already exists/,
      { answers: [{ type: "hello_ok" }, { type: "response_ok", request_id: 1, response: { type: "open_stream" } }] });
    await expectViolation("hrana3", [hello(), request(1, { type: "fetch_cursor", cursor_id: 3, max_count: 10 })],
      /Cursor 3 not found/, { answers: [{ type: "hello_ok" }] });
  });

  it("for an unknown sql_id", async () => {
    await expectViolation("hrana3", [hello(), request(1, openStream(1)), request(2, { type: "execute", stream_id: 1, stmt: { sql_id: 42 } })],
      /SQL text 42 not found/,
      { answers: [{ type: "hello_ok" }, { type: "response_ok", request_id: 1, response: { type: "open_stream" } }] });
  });
});

describe("WebSocket requests that fail without closing", BOUND, () => {
  let upstream;
  before(async () => { upstream = await startUpstream(); });
  after(async () => { await upstream?.close(); });

  it("answers statement errors with response_error and keeps going", async () => {
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    c.sendTogether([hello(), request(1, openStream(1)), request(2, execute(1, "SELECT * FROM nope")),
      request(3, execute(1, "SELEC 1")), request(4, execute(1, "SELECT 'alive'"))]);
    assert.equal((await c.next()).type, "hello_ok");
    assert.equal((await c.next()).type, "response_ok");
    const noTable = await c.next();
    assert.equal(noTable.type, "response_error");
    assert.equal(noTable.request_id, 2);
    assert.equal(noTable.error.code, "SQLITE_UNKNOWN");
    assert.match(noTable.error.message, /no such table: nope/);
    assert.deepEqual((await c.next()).error.code, "SQL_PARSE_ERROR");
    const alive = await c.next();
    assert.equal(alive.request_id, 4);
    assert.deepEqual(alive.response.result.rows, [[{ type: "text", value: "alive" }]]);
    c.close();
    assert.equal((await c.closed).code, 1005);
  });

  it("lets a request id be reused once its response is sent", async () => {
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    c.sendTogether([hello(), request(1, openStream(1))]);
    await c.next();
    assert.equal((await c.next()).request_id, 1);
    c.send(request(1, execute(1, "SELECT 1")));
    const again = await c.next();
    assert.equal(again.type, "response_ok");
    assert.equal(again.request_id, 1);
    c.close();
    await c.closed;
  });

  it("keeps a cursor that failed to open in use until close_cursor", async () => {
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    const badBatch = { steps: [{ stmt: { sql: "SELEC broken" } }] };
    c.sendTogether([hello(), request(1, openStream(1)),
      request(2, { type: "open_cursor", stream_id: 1, cursor_id: 8, batch: badBatch }),
      request(3, { type: "fetch_cursor", cursor_id: 8, max_count: 100 }),
      request(4, { type: "close_cursor", cursor_id: 8 }),
      request(5, { type: "open_cursor", stream_id: 1, cursor_id: 8, batch: { steps: [{ stmt: { sql: "SELECT 1" } }] } }),
      request(6, { type: "fetch_cursor", cursor_id: 8, max_count: 100 })]);
    await c.next();
    await c.next();
    const open = await c.next();
    assert.equal(open.type, "response_error");
    assert.equal(open.error.code, "SQL_PARSE_ERROR");
    assert.deepEqual(await c.next(), {
      type: "response_error", request_id: 3, error: { message: "Cursor 8 has failed to open", code: "CURSOR_NOT_OPEN" },
    });
    assert.equal((await c.next()).response.type, "close_cursor");
    assert.equal((await c.next()).response.type, "open_cursor");
    const fetched = await c.next();
    assert.deepEqual(fetched.response.entries.map((e) => e.type), ["step_begin", "row", "step_end"]);
    assert.equal(fetched.response.done, true);
    c.close();
    await c.closed;
  });

  it("fetches a cursor in chunks of max_count", async () => {
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    const batch = { steps: [{ stmt: { sql: "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5) SELECT x FROM n" } }] };
    c.sendTogether([hello(), request(1, openStream(1)), request(2, { type: "open_cursor", stream_id: 1, cursor_id: 1, batch }),
      request(3, { type: "fetch_cursor", cursor_id: 1, max_count: 4 }),
      request(4, { type: "fetch_cursor", cursor_id: 1, max_count: 4 }),
      request(5, { type: "fetch_cursor", cursor_id: 1, max_count: 4 })]);
    for (let i = 0; i < 3; i++) await c.next();
    const first = (await c.next()).response;
    const second = (await c.next()).response;
    const third = (await c.next()).response;
    assert.deepEqual(first.entries.map((e) => e.type), ["step_begin", "row", "row", "row"]);
    assert.equal(first.done, false);
    assert.deepEqual(second.entries.map((e) => e.type), ["row", "row", "step_end"]);
    assert.deepEqual([third.entries, third.done], [[], true]);
    c.close();
    await c.closed;
  });

  it("re-authenticates on a repeated hello (hrana2 and later)", async () => {
    upstream.reset();
    const c = await openWs(upstream.wsUrl, ["hrana3-protobuf"]);
    c.sendTogether([pbHello(), pbOpenStream(-5, 1), pbHello(),
      pbRequest(9, 13, (g) => g.int32(1, 1))]);
    assert.deepEqual(decodeServerMsg(await c.next()), { type: "hello_ok" });
    assert.deepEqual(decodeServerMsg(await c.next()), { type: "response_ok", request_id: -5, response: "open_stream" });
    assert.deepEqual(decodeServerMsg(await c.next()), { type: "hello_ok" });
    assert.deepEqual(decodeServerMsg(await c.next()),
      { type: "response_ok", request_id: 9, response: "get_autocommit", is_autocommit: true });
    assert.equal(upstream.ws.stats().connections[0].hellos, 2);
    c.close();
    await c.closed;
  });

  it("closes the connection's streams with it, rolling back their transactions", async () => {
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    c.sendTogether([hello(), request(1, openStream(1)), request(2, execute(1, "BEGIN")),
      request(3, execute(1, "CREATE TABLE rolled_back (x)"))]);
    for (let i = 0; i < 4; i++) assert.notEqual((await c.next()).type, "response_error");
    const { id } = upstream.ws.stats().connections.at(-1);
    c.close();
    await c.closed;
    await upstreamSawClose(upstream, id);
    assert.equal(await tableExists(upstream, "rolled_back"), false);
  });
});

describe("WebSocket hello with a JWT-protected upstream", BOUND, () => {
  let keys;
  let upstream;
  let key;
  let otherKey;
  let sign;

  before(async () => {
    keys = await jwtKeys();
    ({ privateKey: key, otherKey } = keys);
    sign = (k, setup) => keys.sign(k, {}, setup);
    upstream = await startUpstream({ jwtKeyFile: keys.pem });
  });

  after(async () => {
    await upstream?.close();
    keys?.cleanup();
  });

  async function expectHelloError(jwt, code) {
    upstream.reset();
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    c.sendTogether([hello(jwt), request(1, openStream(1)), request(2, execute(1, "CREATE TABLE after_bad_hello (x)"))]);
    const answer = await c.next();
    assert.equal(answer.type, "hello_error");
    assert.equal(answer.error.code, code);
    assert.match(answer.error.message, /^Authentication failed: /);
    assert.equal(await c.next(), null, "nothing after hello_error");
    assert.equal((await c.closed).code, 1000);
    const auth = { authorization: `Bearer ${await sign(key)}` };
    assert.equal(await tableExists(upstream, "after_bad_hello", auth), false);
  }

  it("refuses a missing JWT", async () => {
    await expectHelloError(null, "AUTH_JWT_MISSING");
  });

  it("refuses a JWT signed with another key, an expired one and garbage", async () => {
    await expectHelloError(await sign(otherKey), "AUTH_JWT_INVALID");
    await expectHelloError(await sign(key, (jwt) => jwt.setIssuedAt(1_000_000).setExpirationTime(1_000_060)), "AUTH_JWT_EXPIRED");
    await expectHelloError("not.a.jwt", "AUTH_JWT_INVALID");
  });

  it("accepts a valid JWT, then refuses a bad re-hello", async () => {
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    c.sendTogether([hello(await sign(key)), request(1, openStream(1))]);
    assert.deepEqual(await c.next(), { type: "hello_ok" });
    assert.equal((await c.next()).type, "response_ok");
    const helloRecord = upstream.received.find((r) => r.transport === "ws" && r.message === "hello");
    assert.equal(helloRecord.authorization, true);
    c.send(hello(await sign(otherKey)));
    assert.equal((await c.next()).error.code, "AUTH_JWT_INVALID");
    assert.equal((await c.closed).code, 1000);
  });

  it("answers hello_error in protobuf on hrana3-protobuf", async () => {
    const c = await openWs(upstream.wsUrl, ["hrana3-protobuf"]);
    c.send(pbHello("bad"));
    const answer = decodeServerMsg(await c.next());
    assert.equal(answer.type, "hello_error");
    assert.equal(answer.error.code, "AUTH_JWT_INVALID");
    await c.closed;
  });
});

describe("WebSocket back-pressure and accounting", BOUND, () => {
  let upstream;
  before(async () => { upstream = await startUpstream({ wsMaxOutstanding: 2 }); });
  after(async () => { await upstream?.close(); });

  it("stops reading at the outstanding limit and still answers every request, in order", async () => {
    upstream.reset();
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    const requests = [hello(), request(0, openStream(1))];
    for (let i = 1; i <= 40; i++) requests.push(request(i, execute(1, `SELECT ${i}`)));
    c.sendTogether(requests);
    assert.equal((await c.next()).type, "hello_ok");
    for (let i = 0; i <= 40; i++) {
      const answer = await c.next();
      assert.equal(answer.type, "response_ok");
      assert.equal(answer.request_id, i);
      if (i > 0) assert.equal(answer.response.result.rows[0][0].value, String(i));
    }
    assert.ok(upstream.ws.stats().connections[0].pauses >= 1, "the socket was paused");
    c.close();
    await c.closed;
  });

  it("counts connections opened and open now", async () => {
    upstream.reset();
    const a = await openWs(upstream.wsUrl, ALL);
    const b = await openWs(upstream.wsUrl, ["hrana2"]);
    let stats = upstream.ws.stats();
    assert.equal(stats.opened, 2);
    assert.equal(stats.current, 2);
    assert.deepEqual(stats.connections.map((c) => [c.protocol, c.open]), [["hrana3-protobuf", true], ["hrana2", true]]);
    a.close();
    await a.closed;
    await upstreamSawClose(upstream, stats.connections[0].id);
    stats = upstream.ws.stats();
    assert.equal(stats.current, 1);
    assert.equal(stats.opened, 2);
    const res = await fetch(upstream.url + "/_test/ws").then((r) => r.json());
    assert.deepEqual(res, JSON.parse(JSON.stringify(stats)));
    b.close();
    await b.closed;
  });

  it("drops every socket on ws.closeAll(), as if the upstream died", async () => {
    const c = await openWs(upstream.wsUrl, ["hrana3"]);
    upstream.ws.closeAll();
    assert.equal((await c.closed).code, 1006, "no close frame");
    assert.equal(upstream.ws.stats().current, 0);
  });
});
