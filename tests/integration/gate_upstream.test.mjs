// Upstream failures (SPEC §4): unreachable → 502 UPSTREAM_UNAVAILABLE, too slow →
// 504 UPSTREAM_TIMEOUT, and /readyz names the upstream while it does not answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { startGate, gateConfig, freePort } from "./gate_process.mjs";

test("unreachable upstream: 502 UPSTREAM_UNAVAILABLE and not ready", async () => {
  const gate = await startGate(gateConfig({ upstreamUrl: `http://127.0.0.1:${await freePort()}` }));
  try {
    const res = await fetch(gate.url + "/health");
    assert.equal(res.status, 502);
    const body = await res.json();
    assert.equal(body.code, "UPSTREAM_UNAVAILABLE");
    assert.ok(!body.message.includes("127.0.0.1"), "the message does not reveal the upstream address");
    const ready = await fetch(gate.admin + "/readyz");
    assert.equal(ready.status, 503);
    assert.ok((await ready.json()).missing.some((m) => /^upstream/.test(m)));
    const metrics = await (await fetch(gate.admin + "/metrics")).text();
    assert.match(metrics, /^libsql_gate_upstream_errors_total\{kind="unavailable"\} [1-9]/m);
  } finally {
    await gate.stop();
  }
});

test("slow upstream: 504 UPSTREAM_TIMEOUT after upstream.timeout_ms", async () => {
  const slow = createServer((req, res) => setTimeout(() => res.end("late"), 2000));
  await new Promise((r) => slow.listen(0, "127.0.0.1", r));
  const gate = await startGate(gateConfig({ upstreamUrl: `http://127.0.0.1:${slow.address().port}`, upstreamTimeoutMs: 300 }));
  try {
    const started = Date.now();
    const res = await fetch(gate.url + "/version");
    assert.equal(res.status, 504);
    assert.equal((await res.json()).code, "UPSTREAM_TIMEOUT");
    assert.ok(Date.now() - started < 1500, "answered at the timeout, not when upstream finally replied");
  } finally {
    await gate.stop();
    slow.closeAllConnections?.();
    slow.close();
  }
});
