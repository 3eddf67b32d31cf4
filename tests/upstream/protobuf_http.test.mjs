// Hrana over HTTP in protobuf (/v3-protobuf): the stock @libsql/hrana-client
// (which probes GET /v3-protobuf and then speaks protobuf), and raw bodies for
// what a stock client never sends.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as hrana from "@libsql/hrana-client";
import { startUpstream } from "./server.mjs";
import { hranaClientCases } from "./hrana_client_cases.mjs";
import { Writer, decodeMessage, schema } from "./protobuf_wire.mjs";
import { postProtobuf, pipeline, exec, jwtKeys } from "./test_support.mjs";

describe("@libsql/hrana-client over HTTP with protobuf", () => {
  let upstream;
  before(async () => { upstream = await startUpstream(); });
  after(async () => { await upstream?.close(); });

  hranaClientCases({
    open: () => hrana.openHttp(upstream.url, undefined, undefined, undefined, 3),
    version: 3,
    encoding: "protobuf",
    storeSql: (_client, stream, sql) => stream.storeSql(sql),
  });

  it("sent only protobuf requests, recorded in the JSON shape", () => {
    const hranaPosts = upstream.received.filter((r) => r.method === "POST");
    assert.ok(hranaPosts.length > 0);
    for (const r of hranaPosts) {
      assert.match(r.path, /^\/v3-protobuf\/(pipeline|cursor)$/);
      assert.equal(r.encoding, "protobuf");
      assert.equal(r.transport, "http");
    }
    const cursorPost = hranaPosts.find((r) => r.path === "/v3-protobuf/cursor");
    assert.deepEqual(cursorPost.requests, ["cursor"]);
    assert.ok(cursorPost.sql.includes("SELECT * FROM nowhere"));
    assert.equal(cursorPost.body.batch.steps[2].condition.type, "error");
  });
});

// Raw bodies: PipelineReqBody { baton = 1; repeated StreamRequest requests = 2 },
// StreamRequest.execute = 2 { Stmt stmt = 1 { sql = 1, args = 3 } }.
const executeRequest = (sql, extra = () => {}) => (w) =>
  w.message(2, (exe) => exe.message(1, (stmt) => { stmt.string(1, sql); extra(stmt); }));

function pipelineBody(...requests) {
  const w = new Writer();
  for (const request of requests) w.message(2, request);
  return w.finish();
}

// Enough of PipelineRespBody to read an execute result's first value back.
const Value = schema(() => ({}), {
  2: ["sint64", (m, v) => { m.integer = v; }],
  4: ["string", (m, v) => { m.text = v; }],
});
const Row = schema(() => ({ values: [] }), { 1: [Value, (m, v) => { m.values.push(v); }] });
const StmtResult = schema(() => ({ rows: [] }), { 2: [Row, (m, v) => { m.rows.push(v); }] });
const Execute = schema(() => ({}), { 1: [StmtResult, (m, v) => { m.result = v; }] });
const StreamResponse = schema(() => ({}), { 2: [Execute, (m, v) => { m.execute = v; }] });
const HranaError = schema(() => ({}), { 1: ["string", (m, v) => { m.message = v; }], 2: ["string", (m, v) => { m.code = v; }] });
const StreamResult = schema(() => ({}), {
  1: [StreamResponse, (m, v) => { m.ok = v; }],
  2: [HranaError, (m, v) => { m.error = v; }],
});
const PipelineRespBody = schema(() => ({ results: [] }), {
  1: ["string", (m, v) => { m.baton = v; }],
  3: [StreamResult, (m, v) => { m.results.push(v); }],
});

describe("raw protobuf bodies", () => {
  let upstream;
  before(async () => { upstream = await startUpstream(); });
  after(async () => { await upstream?.close(); });

  it("answers GET /v3-protobuf with 200", async () => {
    const res = await fetch(upstream.url + "/v3-protobuf");
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  it("executes a pipeline and answers in protobuf", async () => {
    const res = await postProtobuf(upstream.url, "/v3-protobuf/pipeline",
      pipelineBody(executeRequest("SELECT 'pb', ?", (stmt) => stmt.message(3, (v) => v.sint64(2, -7n)))));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/x-protobuf");
    const body = decodeMessage(res.bytes, PipelineRespBody);
    assert.equal(typeof body.baton, "string");
    assert.deepEqual(body.results[0].ok.execute.result.rows[0].values, [{ text: "pb" }, { integer: -7n }]);
  });

  it("skips unknown fields, as the spec requires", async () => {
    const w = new Writer();
    w.uint64(15, 12345);
    w.string(16, "future field");
    w.message(2, executeRequest("SELECT 'ok'", (stmt) => { stmt.double(20, 1.5); stmt.message(21, () => {}); }));
    const res = await postProtobuf(upstream.url, "/v3-protobuf/pipeline", w.finish());
    assert.equal(res.status, 200);
    const body = decodeMessage(res.bytes, PipelineRespBody);
    assert.deepEqual(body.results[0].ok.execute.result.rows[0].values, [{ text: "ok" }]);
  });

  it("returns statement errors as error results", async () => {
    const res = await postProtobuf(upstream.url, "/v3-protobuf/pipeline",
      pipelineBody(executeRequest("SELECT * FROM missing_table")));
    assert.equal(res.status, 200);
    const body = decodeMessage(res.bytes, PipelineRespBody);
    assert.equal(body.results[0].error.code, "SQLITE_UNKNOWN");
    assert.match(body.results[0].error.message, /no such table: missing_table/);
  });

  const malformed = [
    ["a truncated varint", Buffer.from([0x0a, 0x85])],
    ["a field running past the end", Buffer.from([0x12, 0x05, 0x01])],
    ["a known field with the wrong wire type", Buffer.from([0x10, 0x01])],
    ["field number 0", Buffer.from([0x00, 0x01])],
    ["a group wire type", Buffer.from([0x0b])],
    ["a string that is not UTF-8", (() => { const w = new Writer(); w.bytes(1, Buffer.from([0xff, 0xfe])); return w.finish(); })()],
    ["a request with no type", pipelineBody(() => {})],
    ["a value with no type", pipelineBody(executeRequest("SELECT ?", (stmt) => stmt.message(3, () => {})))],
  ];
  for (const [what, body] of malformed) {
    it(`refuses ${what} with 400 and runs nothing`, async () => {
      upstream.reset();
      const streams = upstream.registry.size;
      const res = await postProtobuf(upstream.url, "/v3-protobuf/pipeline",
        Buffer.concat([pipelineBody(executeRequest("CREATE TABLE never_created (x)")), body]));
      assert.equal(res.status, 400);
      assert.equal(res.json.code, "PROTO_ERROR");
      assert.match(res.json.message, /^Cannot (decode client message from protobuf|deserialize client message)/);
      assert.equal(upstream.registry.size, streams, "no stream is left behind");
      const check = await pipeline(upstream.url, { baton: null, requests: [exec("SELECT name FROM sqlite_schema WHERE name = 'never_created'"), { type: "close" }] });
      assert.deepEqual(check.json.results[0].response.result.rows, [], "nothing ran");
    });
  }

  it("records an undecodable body as base64", async () => {
    upstream.reset();
    await postProtobuf(upstream.url, "/v3-protobuf/cursor", Buffer.from([0x12, 0x7f]));
    const [record] = upstream.received;
    assert.equal(record.body, Buffer.from([0x12, 0x7f]).toString("base64"));
    assert.deepEqual(record.sql, []);
  });

  it("records protobuf and JSON requests in the same shape", async () => {
    upstream.reset();
    await postProtobuf(upstream.url, "/v3-protobuf/pipeline", pipelineBody(executeRequest("SELECT 42"), (w) => w.message(1, () => {})));
    await pipeline(upstream.url, { baton: null, requests: [exec("SELECT 42"), { type: "close" }] });
    const [pb, json] = upstream.received;
    assert.deepEqual(pb.body, {
      baton: null,
      requests: [{ type: "execute", stmt: { sql: "SELECT 42", args: [], named_args: [] } }, { type: "close" }],
    });
    for (const r of [pb, json]) {
      assert.deepEqual(r.requests, ["execute", "close"]);
      assert.deepEqual(r.sql, ["SELECT 42"]);
    }
    assert.equal(pb.encoding, "protobuf");
    assert.equal(json.encoding, "json");
  });
});

describe("protobuf bodies on a JWT-protected upstream", () => {
  let keys;
  let upstream;
  before(async () => {
    keys = await jwtKeys();
    upstream = await startUpstream({ jwtKeyFile: keys.pem });
  });
  after(async () => {
    await upstream?.close();
    keys?.cleanup();
  });

  it("checks the token before it looks at the body, as over JSON", async () => {
    const garbage = Buffer.from([0x12, 0x7f]);
    for (const path of ["/v3-protobuf/pipeline", "/v3-protobuf/cursor"]) {
      const res = await postProtobuf(upstream.url, path, garbage);
      assert.equal(res.status, 401, path);
      assert.equal(res.json.code, "AUTH_HTTP_HEADER_MISSING");
      const wrong = await postProtobuf(upstream.url, path, garbage, { authorization: `Bearer ${await keys.sign(keys.otherKey)}` });
      assert.equal(wrong.json.code, "AUTH_JWT_INVALID");
    }
    const good = { authorization: `Bearer ${await keys.sign(keys.privateKey)}` };
    assert.equal((await postProtobuf(upstream.url, "/v3-protobuf/pipeline", garbage, good)).status, 400);
    const ok = await postProtobuf(upstream.url, "/v3-protobuf/pipeline", pipelineBody(executeRequest("SELECT 'authorized'")), good);
    assert.equal(ok.status, 200);
    assert.deepEqual(decodeMessage(ok.bytes, PipelineRespBody).results[0].ok.execute.result.rows[0].values, [{ text: "authorized" }]);
  });
});
