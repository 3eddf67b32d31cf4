// Hrana over HTTP in protobuf through the real binary (SPEC §3: /v3-protobuf):
// the stock @libsql/hrana-client negotiates protobuf through the gate and gets
// the same authorization as JSON clients; raw bodies check what the client
// library does not show (malformed input, base_url, foreign batons).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as hrana from "@libsql/hrana-client";
import { startUpstream } from "../upstream/server.mjs";
import { postProtobuf } from "../upstream/test_support.mjs";
import { Writer } from "../upstream/protobuf_wire.mjs";
import { startGate, gateConfig, waitForReadiness, devIssuer, notesDatabase } from "./gate_process.mjs";

const PUBLIC_URL = "https://gate.example";
let dir;
let upstream;
let gate;
let publicGate;  // the same, with public_url set
const tokens = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "libsql-gate-protobuf-"));
  const issuer = devIssuer(dir);
  const { schema, seed } = notesDatabase(dir);
  // The upstream advertises an internal base_url: the gate must never pass it on.
  upstream = await startUpstream({ schema, seed, baseUrl: "http://10.9.8.7:8080" });
  const config = (publicUrl) => gateConfig({ upstreamUrl: upstream.url, publicUrl })
    .replace("jwks_file: jwks.json", `jwks_file: ${JSON.stringify(issuer.jwksFile)}`);
  gate = await startGate(config(null));
  publicGate = await startGate(config(PUBLIC_URL));
  await waitForReadiness(gate);
  await waitForReadiness(publicGate);
  tokens.alice = issuer.mint("alice", ["notes:data_read,data_add,data_update,data_delete"]);
  tokens.bob = issuer.mint("bob", ["notes:data_read"]);
});

after(async () => {
  await gate?.stop();
  await publicGate?.stop();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const auth = (who) => ({ authorization: `Bearer ${tokens[who]}` });
// What clients sent through the gate: the gate's own schema queries left out, and
// the stream closes hrana-client sends on its own after a test's streams end.
const clientTraffic = () => upstream.received.filter(
  (r) => (r.path.endsWith("/pipeline") || r.path.endsWith("/cursor")) && !r.sql.some((s) => s.includes("sqlite_schema")) &&
    !(r.requests.length > 0 && r.requests.every((t) => t === "close")));

function open(who) {
  const client = hrana.openHttp(gate.url, tokens[who], undefined, undefined, 3);
  client.intMode = "number";
  return client;
}

async function withStream(who, fn) {
  const client = open(who);
  const stream = client.openStream();
  try {
    return await fn(stream, client);
  } finally {
    stream.close();
    client.close();
  }
}

const isAuthDenial = (table) => (err) => {
  assert.ok(err instanceof hrana.ResponseError, String(err));
  assert.equal(err.code, "SQLITE_AUTH");
  assert.match(err.message, new RegExp(table));
  return true;
};

// A minimal protobuf reader for response bodies: field number -> values.
function readVarint(buf, pos) {
  let value = 0n;
  for (let shift = 0n; ; shift += 7n) {
    const byte = buf[pos.at++];
    if (byte === undefined) throw new Error("truncated varint");
    value |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return value;
  }
}
function readFields(buf) {
  const fields = new Map();
  const pos = { at: 0 };
  while (pos.at < buf.length) {
    const tag = readVarint(buf, pos);
    const number = Number(tag >> 3n);
    let value;
    if ((tag & 7n) === 0n) value = readVarint(buf, pos);
    else if ((tag & 7n) === 2n) {
      const length = Number(readVarint(buf, pos));
      value = buf.subarray(pos.at, pos.at + length);
      pos.at += length;
    } else throw new Error(`wire type ${tag & 7n}`);
    if (!fields.has(number)) fields.set(number, []);
    fields.get(number).push(value);
  }
  return fields;
}
function delimitedItems(buf) {
  const items = [];
  const pos = { at: 0 };
  while (pos.at < buf.length) {
    const length = Number(readVarint(buf, pos));
    items.push(buf.subarray(pos.at, pos.at + length));
    pos.at += length;
  }
  return items;
}
const text = (bytes) => Buffer.from(bytes).toString("utf8");

// PipelineReqBody: optional baton, one execute per SQL text.
function pipelineBody(baton, sqls) {
  const w = new Writer();
  if (baton !== null) w.string(1, baton);
  for (const sql of sqls) w.message(2, (req) => req.message(2, (exec) => exec.message(1, (stmt) => stmt.string(1, sql))));
  return w.finish();
}

test("GET /v3-protobuf mirrors upstream, so clients pick protobuf only when upstream speaks it", async () => {
  upstream.reset();
  const res = await fetch(gate.url + "/v3-protobuf");
  assert.equal(res.status, 200);
  await res.arrayBuffer();
  assert.deepEqual(upstream.received.map((r) => `${r.method} ${r.path} ${r.authorization}`), ["GET /v3-protobuf false"]);

  // An upstream without protobuf (answers 404): the gate says 404 too.
  const plain = http.createServer((req, res) => { res.writeHead(req.url === "/v3-protobuf" ? 404 : 200); res.end(); });
  await new Promise((r) => plain.listen(0, "127.0.0.1", r));
  const other = await startGate(gateConfig({ upstreamUrl: `http://127.0.0.1:${plain.address().port}` }));
  try {
    const probe = await fetch(other.url + "/v3-protobuf");
    assert.equal(probe.status, 404);
    await probe.arrayBuffer();
  } finally {
    await other.stop();
    await new Promise((r) => plain.close(r));
  }
});

test("@libsql/hrana-client speaks protobuf through the gate: an allowed read", async () => {
  upstream.reset();
  const rows = await withStream("alice", (stream) => stream.query("SELECT id, body FROM notes ORDER BY id"));
  assert.deepEqual(rows.columnNames, ["id", "body"]);
  assert.deepEqual(rows.rows.map((r) => [r[0], r[1]]), [[1, "hello"]]);
  const sent = clientTraffic();
  assert.ok(sent.length >= 1);
  for (const r of sent) {
    assert.equal(r.path, "/v3-protobuf/pipeline");
    assert.equal(r.encoding, "protobuf");
    assert.equal(r.headers["content-type"], "application/x-protobuf");
    assert.equal(r.headers.authorization, undefined, "the client's token is never forwarded");
  }
});

test("a denied write over protobuf: SQLITE_AUTH, and nothing reaches upstream", async () => {
  upstream.reset();
  await withStream("bob", async (stream) => {
    await assert.rejects(stream.run("INSERT INTO notes (body) VALUES ('bob was here')"), isAuthDenial("notes"));
    // The stream stays usable.
    assert.equal((await stream.queryValue("SELECT count(*) FROM notes")).value, 1);
  });
  assert.ok(!upstream.receivedSql().some((s) => s.includes("bob was here")));
});

test("batch and transaction over protobuf: a denial mid-transaction leaves it to roll back", async () => {
  await withStream("alice", async (stream) => {
    const batch = stream.batch(false);
    const a = batch.step().queryValue("SELECT count(*) FROM notes");
    const b = batch.step().run("INSERT INTO notes (body) VALUES ('batched')");
    await batch.execute();
    assert.equal((await a).value, 1);
    assert.equal((await b).affectedRowCount, 1);

    await stream.run("BEGIN");
    await stream.run("INSERT INTO notes (body) VALUES ('in-tx')");
    upstream.reset();
    await assert.rejects(stream.run("DELETE FROM secrets"), isAuthDenial("secrets"));
    assert.ok(!upstream.receivedSql().some((s) => s.includes("DELETE FROM secrets")));
    await stream.run("ROLLBACK");
    assert.equal((await stream.queryValue("SELECT count(*) FROM notes WHERE body = 'in-tx'")).value, 0);
    await stream.run("DELETE FROM notes WHERE body = 'batched'");
  });
  // A denied step denies the whole batch: nothing of it runs. (hrana-client
  // rejects execute() with the batch's error and leaves its steps' promises
  // pending, as for any failed batch request.)
  upstream.reset();
  await withStream("bob", async (stream) => {
    const batch = stream.batch(false);
    batch.step().queryValue("SELECT count(*) FROM notes").catch(() => {});
    batch.step().run("UPDATE notes SET body = 'x'").catch(() => {});
    await assert.rejects(batch.execute(), isAuthDenial("notes"));
  });
  assert.ok(!upstream.receivedSql().some((s) => s.includes("UPDATE notes")));
});

test("a cursor over protobuf: rows stream through; a denied step refuses the cursor", async () => {
  await withStream("alice", async (stream) => {
    const batch = stream.batch(true);
    const rows = batch.step().query("SELECT body FROM notes UNION ALL SELECT 'two' ORDER BY 1");
    await batch.execute();
    assert.deepEqual((await rows).rows.map((r) => r[0]), ["hello", "two"]);
  });
  assert.ok(upstream.received.some((r) => r.path === "/v3-protobuf/cursor"));
  upstream.reset();
  await withStream("alice", async (stream) => {
    const batch = stream.batch(true);
    batch.step().query("SELECT value FROM secrets").catch(() => {});
    await assert.rejects(batch.execute(), isAuthDenial("secrets"));
    // The stream stays usable.
    assert.equal((await stream.queryValue("SELECT 7")).value, 7);
  });
  assert.ok(!upstream.receivedSql().some((s) => s.includes("secrets")));
});

test("stored SQL over protobuf is authorized when executed by id", async () => {
  upstream.reset();
  await withStream("alice", async (stream) => {
    const notes = stream.storeSql("SELECT body FROM notes ORDER BY id");
    assert.equal((await stream.queryValue(notes)).value, "hello");
    const secret = stream.storeSql("SELECT value FROM secrets");
    await assert.rejects(stream.queryValue(secret), isAuthDenial("secrets"));
    // Still usable, the allowed text still stored.
    assert.equal((await stream.queryValue(notes)).value, "hello");
  });
  // The denied pipeline's store_sql went upstream (it runs nothing), its execute did not.
  const withSecret = clientTraffic().filter((r) => r.body.requests.some((q) => q.type === "store_sql" && q.sql.includes("secrets")));
  assert.equal(withSecret.length, 1);
  assert.deepEqual(withSecret[0].requests, ["store_sql"]);
});

test("malformed protobuf bodies are 400 PROTO_ERROR and never forwarded", async () => {
  upstream.reset();
  const duplicateSql = new Writer()
    .message(2, (req) => req.message(2, (exec) => exec.message(1, (stmt) => stmt.string(1, "SELECT 1").string(1, "DELETE FROM notes"))))
    .finish();
  const invalidUtf8 = new Writer()
    .message(2, (req) => req.message(2, (exec) => exec.message(1, (stmt) => stmt.bytes(1, Buffer.from([0x53, 0xff])))))
    .finish();
  const bodies = [Buffer.from([0x12, 0x05, 0x12]), Buffer.from("{\"requests\": []}"), duplicateSql, invalidUtf8,
                  Buffer.from([0x13, 0x14])];
  for (const body of bodies) {
    const res = await postProtobuf(gate.url, "/v3-protobuf/pipeline", body, auth("alice"));
    assert.equal(res.status, 400, body.toString("hex"));
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.equal(res.json.code, "PROTO_ERROR");
    assert.match(res.json.message, /malformed Hrana pipeline \(protobuf\)/);
  }
  const cursor = await postProtobuf(gate.url, "/v3-protobuf/cursor", Buffer.from([0x12, 0x7f]), auth("alice"));
  assert.equal(cursor.status, 400);
  assert.equal(cursor.json.code, "PROTO_ERROR");
  assert.deepEqual(clientTraffic(), []);
});

test("errors before decoding stay JSON bodies on protobuf routes", async () => {
  for (const path of ["/v3-protobuf/pipeline", "/v3-protobuf/cursor"]) {
    const res = await postProtobuf(gate.url, path, pipelineBody(null, ["SELECT 1"]));
    assert.equal(res.status, 401, path);
    assert.equal(res.json.code, "AUTH_HEADER_NOT_FOUND");
  }
});

test("base_url from upstream is replaced by public_url in pipeline and cursor answers", async () => {
  const res = await postProtobuf(publicGate.url, "/v3-protobuf/pipeline", pipelineBody(null, ["SELECT 1"]), auth("alice"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-protobuf");
  assert.ok(!res.bytes.includes("10.9.8.7"));
  const body = readFields(res.bytes);
  assert.deepEqual(body.get(2).map(text), [PUBLIC_URL]);
  assert.equal(body.get(1).length, 1, "a baton");
  assert.equal(body.get(3).length, 1, "one result");
  assert.ok(readFields(body.get(3)[0]).has(1), "an ok result");

  // Without public_url the field is dropped.
  const plain = await postProtobuf(gate.url, "/v3-protobuf/pipeline", pipelineBody(null, ["SELECT 1"]), auth("alice"));
  assert.equal(readFields(plain.bytes).has(2), false);
  assert.ok(!plain.bytes.includes("10.9.8.7"));

  const cursorBody = new Writer().message(2, (batch) => batch.message(1, (step) => step.message(2, (stmt) => stmt.string(1, "SELECT 1")))).finish();
  const cursor = await postProtobuf(publicGate.url, "/v3-protobuf/cursor", cursorBody, auth("alice"));
  assert.equal(cursor.status, 200);
  assert.ok(!cursor.bytes.includes("10.9.8.7"));
  const items = delimitedItems(cursor.bytes);
  assert.deepEqual(readFields(items[0]).get(2).map(text), [PUBLIC_URL]);
  assert.ok(items.length > 1, "the entries follow the head");
});

test("a denied raw pipeline answers PipelineRespBody errors with the client's baton", async () => {
  const opened = await postProtobuf(gate.url, "/v3-protobuf/pipeline", pipelineBody(null, ["SELECT 1"]), auth("alice"));
  const baton = text(readFields(opened.bytes).get(1)[0]);
  upstream.reset();
  const denied = await postProtobuf(gate.url, "/v3-protobuf/pipeline",
                                    pipelineBody(baton, ["SELECT 1", "SELECT value FROM secrets"]), auth("alice"));
  assert.equal(denied.status, 200);
  const body = readFields(denied.bytes);
  assert.deepEqual(body.get(1).map(text), [baton]);
  const errors = body.get(3).map((r) => readFields(readFields(r).get(2)[0]));
  assert.deepEqual(errors.map((e) => text(e.get(2)[0])), ["SQLITE_AUTH", "SQLITE_AUTH"]);
  assert.match(text(errors[1].get(1)[0]), /secrets/);
  assert.match(text(errors[0].get(1)[0]), /not executed: request 1 was denied/);
  assert.deepEqual(clientTraffic(), []);
});

test("another principal's baton is STREAM_EXPIRED before upstream", async () => {
  const opened = await postProtobuf(gate.url, "/v3-protobuf/pipeline", pipelineBody(null, ["SELECT 1"]), auth("alice"));
  const baton = text(readFields(opened.bytes).get(1)[0]);
  upstream.reset();
  for (const path of ["/v3-protobuf/pipeline", "/v3-protobuf/cursor"]) {
    const body = path.endsWith("pipeline") ? pipelineBody(baton, ["SELECT 1"]) : new Writer().string(1, baton).finish();
    const res = await postProtobuf(gate.url, path, body, auth("bob"));
    assert.equal(res.status, 400, path);
    assert.equal(res.json.code, "STREAM_EXPIRED");
  }
  assert.deepEqual(clientTraffic(), []);
});
