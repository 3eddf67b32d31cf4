// Batons and stream lifetime over raw HTTP: single use, unforgeable, expiry,
// isolation between streams, and what a failed request does to its stream.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { startUpstream } from "./server.mjs";
import { pipeline, exec, int } from "./test_support.mjs";

// Waits (bounded) until `predicate` holds; the upstream's timers decide when.
async function eventually(predicate, what) {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

function streamState(upstream) {
  return [...upstream.registry.streams.values()].map((s) => s.state);
}

describe("batons and streams", () => {
  let upstream;
  let url;

  before(async () => {
    upstream = await startUpstream();
    url = upstream.url;
    await pipeline(url, { baton: null, requests: [exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v)"), { type: "close" }] });
  });

  after(async () => {
    await upstream?.close();
  });

  it("hands out a new, unguessable baton with every response", async () => {
    const first = await pipeline(url, { baton: null, requests: [exec("SELECT 1")] });
    assert.equal(first.status, 200);
    assert.match(first.json.baton, /^[A-Za-z0-9+/]{64}$/);
    const second = await pipeline(url, { baton: first.json.baton, requests: [exec("SELECT 2")] });
    assert.equal(second.status, 200);
    assert.notEqual(second.json.baton, first.json.baton);
    const other = await pipeline(url, { baton: null, requests: [{ type: "close" }] });
    assert.equal(other.json.baton, null);
    const closed = await pipeline(url, { baton: second.json.baton, requests: [{ type: "close" }] });
    assert.equal(closed.status, 200);
    assert.equal(closed.json.baton, null);
  });

  it("rejects a baton that was already used, and drops nothing else", async () => {
    const first = await pipeline(url, { baton: null, requests: [exec("SELECT 1")] });
    const second = await pipeline(url, { baton: first.json.baton, requests: [exec("SELECT 2")] });
    const reused = await pipeline(url, { baton: first.json.baton, requests: [exec("SELECT 3")] });
    assert.equal(reused.status, 400);
    assert.deepEqual(reused.json, { error: "Received a baton that has already been used",
      message: "Received a baton that has already been used", code: "BATON_REUSED" });
    // sqld rejects the reuse before touching the stream: the latest baton still works.
    const next = await pipeline(url, { baton: second.json.baton, requests: [exec("SELECT 4"), { type: "close" }] });
    assert.equal(next.status, 200);
    assert.equal(next.json.results[0].type, "ok");
  });

  it("rejects forged, tampered and malformed batons", async () => {
    const real = await pipeline(url, { baton: null, requests: [exec("SELECT 1")] });
    const bytes = Buffer.from(real.json.baton, "base64");
    const tampered = Buffer.from(bytes);
    tampered[5] ^= 1;
    const forgedMac = Buffer.from(bytes);
    forgedMac[40] ^= 0x80;
    for (const baton of [
      tampered.toString("base64").replace(/=+$/, ""),
      forgedMac.toString("base64").replace(/=+$/, ""),
      Buffer.alloc(48).toString("base64"),
      "not a baton",
      "",
      "QUJD",
    ]) {
      const res = await pipeline(url, { baton, requests: [exec("SELECT 1")] });
      assert.equal(res.status, 400, baton);
      assert.equal(res.json.code, "BATON_INVALID", baton);
      assert.equal(res.json.message, "Received an invalid baton");
    }
    // None of that disturbed the real stream.
    const ok = await pipeline(url, { baton: real.json.baton, requests: [{ type: "close" }] });
    assert.equal(ok.status, 200);
  });

  it("rejects a baton of a closed stream, and requests after close in the same pipeline", async () => {
    const open = await pipeline(url, { baton: null, requests: [exec("SELECT 1")] });
    const closeThenRun = await pipeline(url, { baton: open.json.baton, requests: [{ type: "close" }, exec("SELECT 2")] });
    assert.equal(closeThenRun.status, 400);
    assert.equal(closeThenRun.json.code, "BATON_STREAM_CLOSED");
    assert.equal(closeThenRun.json.message, "Stream for this baton was closed");
  });

  it("keeps interactive transactions on their own stream", async () => {
    const a = await pipeline(url, { baton: null, requests: [
      exec("BEGIN"), exec("INSERT INTO kv VALUES ('a', 1)"), exec("SELECT v FROM kv WHERE k = 'a'")] });
    assert.deepEqual(a.json.results[2].response.result.rows, [[int(1)]]);
    const b = await pipeline(url, { baton: null, requests: [
      exec("SELECT count(*) FROM kv WHERE k = 'a'"), exec("INSERT INTO kv VALUES ('b', 2)"), { type: "close" }] });
    assert.deepEqual(b.json.results[0].response.result.rows, [[int(0)]]);
    // The other stream holds the write lock; see README for why this is immediate.
    assert.equal(b.json.results[1].error.code, "SQLITE_BUSY");
    const commit = await pipeline(url, { baton: a.json.baton, requests: [exec("COMMIT"), { type: "close" }] });
    assert.equal(commit.json.results[0].type, "ok");
    const c = await pipeline(url, { baton: null, requests: [exec("SELECT v FROM kv WHERE k = 'a'"), { type: "close" }] });
    assert.deepEqual(c.json.results[0].response.result.rows, [[int(1)]]);
  });

  it("rolls back the open transaction of a stream dropped by a failed request", async () => {
    const a = await pipeline(url, { baton: null, requests: [exec("BEGIN"), exec("INSERT INTO kv VALUES ('dropped', 1)")] });
    const failed = await pipeline(url, { baton: a.json.baton, requests: [{ type: "execute", stmt: { sql_id: 404 } }] });
    assert.equal(failed.status, 400);
    const check = await pipeline(url, { baton: null, requests: [exec("SELECT count(*) FROM kv WHERE k = 'dropped'"), { type: "close" }] });
    assert.deepEqual(check.json.results[0].response.result.rows, [[int(0)]]);
  });
});

describe("stream expiry", () => {
  let upstream;

  before(async () => {
    upstream = await startUpstream({ streamIdleMs: 30, expiredRetainMs: 60_000 });
    await pipeline(upstream.url, { baton: null, requests: [exec("CREATE TABLE kv (k, v)"), { type: "close" }] });
  });

  after(async () => {
    await upstream?.close();
  });

  it("expires an idle stream: STREAM_EXPIRED with 500, transaction rolled back", async () => {
    const open = await pipeline(upstream.url, { baton: null, requests: [exec("BEGIN"), exec("INSERT INTO kv VALUES ('x', 1)")] });
    assert.equal(open.status, 200);
    await eventually(() => streamState(upstream).includes("expired"), "the stream to expire");
    const late = await pipeline(upstream.url, { baton: open.json.baton, requests: [exec("COMMIT")] });
    assert.equal(late.status, 500);
    assert.deepEqual(late.json, { error: "The stream has expired due to inactivity",
      message: "The stream has expired due to inactivity", code: "STREAM_EXPIRED" });
    const check = await pipeline(upstream.url, { baton: null, requests: [exec("SELECT count(*) FROM kv"), { type: "close" }] });
    assert.deepEqual(check.json.results[0].response.result.rows, [[int(0)]]);
  });
});

describe("forgetting expired streams", () => {
  it("answers an invalid baton once the expired stream is forgotten", async (t) => {
    const upstream = await startUpstream({ streamIdleMs: 20, expiredRetainMs: 20 });
    t.after(() => upstream.close());
    const open = await pipeline(upstream.url, { baton: null, requests: [exec("SELECT 1")] });
    await eventually(() => upstream.registry.streams.size === 0, "the expired stream to be forgotten");
    const late = await pipeline(upstream.url, { baton: open.json.baton, requests: [exec("SELECT 1")] });
    assert.equal(late.status, 400);
    assert.equal(late.json.code, "BATON_INVALID");
  });
});

describe("base_url", () => {
  it("returns the configured base_url in pipeline and cursor responses", async (t) => {
    const upstream = await startUpstream({ baseUrl: "http://db.example.test:8080" });
    t.after(() => upstream.close());
    const res = await pipeline(upstream.url, { baton: null, requests: [exec("SELECT 1")] });
    assert.equal(res.json.base_url, "http://db.example.test:8080");
    const cur = await fetch(upstream.url + "/v3/cursor", { method: "POST", body: JSON.stringify({
      baton: res.json.baton, batch: { steps: [{ stmt: { sql: "SELECT 1" } }] } }) });
    const first = JSON.parse((await cur.text()).split("\n")[0]);
    assert.equal(first.base_url, "http://db.example.test:8080");
  });
});
