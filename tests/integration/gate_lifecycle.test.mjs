// Lifecycle of the real binary (SPEC §1, §8): bad configs never start a server,
// SIGHUP reloads (or keeps the old config), SIGTERM drains and exits 0, the
// connection limit refuses extra clients.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startUpstream } from "../upstream/server.mjs";
import { startGate, gateConfig, runGate } from "./gate_process.mjs";

test("serve without a config exits 2; with a broken config exits 1 naming the key", async () => {
  const none = await runGate(["serve"], { LIBSQL_GATE_CONFIG: "" });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /config/);
  const bad = await runGate(["serve", "--config", "/nonexistent/gate.yaml"]);
  assert.equal(bad.code, 1);
  assert.notEqual(bad.stderr, "");
});

test("SIGTERM: not ready, then exit 0", async () => {
  const upstream = await startUpstream({});
  const gate = await startGate(gateConfig({ upstreamUrl: upstream.url }));
  try {
    const res = await fetch(gate.url + "/v2");
    assert.equal(res.status, 200);
    await res.text();
    gate.child.kill("SIGTERM");
    const { code } = await gate.exited;
    assert.equal(code, 0);
    assert.ok(gate.logs.some((r) => r.msg === "draining"));
  } finally {
    await gate.stop();
    await upstream.close();
  }
});

test("SIGTERM lets an in-flight request finish", async () => {
  // An upstream that answers /health slowly keeps one request in flight.
  const { createServer } = await import("node:http");
  const slow = createServer((req, res) => setTimeout(() => res.end("slow ok"), 700));
  await new Promise((r) => slow.listen(0, "127.0.0.1", r));
  const gate = await startGate(gateConfig({ upstreamUrl: `http://127.0.0.1:${slow.address().port}` }));
  try {
    const pending = fetch(gate.url + "/health").then(async (r) => ({ status: r.status, body: await r.text() }));
    await new Promise((r) => setTimeout(r, 200));
    gate.child.kill("SIGTERM");
    const result = await pending;
    assert.equal(result.status, 200);
    assert.equal(result.body, "slow ok");
    assert.equal((await gate.exited).code, 0);
  } finally {
    await gate.stop();
    slow.close();
  }
});

test("SIGHUP with a valid config applies it; with an invalid one keeps the old", async () => {
  const upstream = await startUpstream({});
  const small = gateConfig({ upstreamUrl: upstream.url, limits: { max_body_bytes: 2048 } });
  const gate = await startGate(small);
  const body = JSON.stringify({ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT '" + "x".repeat(3000) + "'" } }] });
  const send = async () => {
    const res = await fetch(gate.url + "/v3/pipeline", {
      method: "POST", headers: { authorization: "Bearer a.b.c", "content-type": "application/json" }, body,
    });
    await res.text();
    return res.status;
  };
  try {
    assert.equal(await send(), 413);
    gate.writeConfig(gateConfig({ upstreamUrl: upstream.url, limits: { max_body_bytes: 65536 } }));
    gate.child.kill("SIGHUP");
    await gate.waitForLog((r) => r.msg === "config reloaded");
    assert.equal(await send(), 401, "bigger limit applies (then the token is refused)");

    gate.writeConfig("listen: [this is not\n  valid: yaml");
    gate.child.kill("SIGHUP");
    const rejected = await gate.waitForLog((r) => /config reload rejected/.test(r.msg));
    assert.equal(rejected.level, "error");
    assert.ok(Array.isArray(rejected.problems) && rejected.problems.length > 0);
    assert.equal(await send(), 401, "old config keeps serving");
    const probe = await fetch(gate.url + "/v3");
    assert.equal(probe.status, 200);
    await probe.text();
  } finally {
    await gate.stop();
    await upstream.close();
  }
});

test("connections beyond limits.max_connections are refused", async () => {
  const upstream = await startUpstream({});
  const gate = await startGate(gateConfig({ upstreamUrl: upstream.url, limits: { max_connections: 2 } }));
  const port = new URL(gate.url).port;
  const open = () => new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
    s.on("error", reject);
  });
  try {
    const a = await open();
    const b = await open();
    // Let the gate register both before the third arrives.
    await new Promise((r) => setTimeout(r, 200));
    const c = await open();
    const closed = await new Promise((resolve) => {
      c.on("close", () => resolve(true));
      c.on("error", () => {});
      setTimeout(() => resolve(false), 2000);
    });
    assert.equal(closed, true, "third connection closed by the gate");
    // The two admitted ones still work.
    const reply = await new Promise((resolve) => {
      let data = "";
      a.on("data", (d) => { data += d; if (data.includes("\r\n\r\n")) resolve(data); });
      a.write("GET /v2 HTTP/1.1\r\nHost: x\r\n\r\n");
    });
    assert.match(reply, /^HTTP\/1\.1 200/);
    a.destroy();
    b.destroy();
  } finally {
    await gate.stop();
    await upstream.close();
  }
});
