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

// A plain upstream whose keep-alive connections it closes by its own rules;
// counts the /version requests it saw and on how many sockets.
async function versionUpstream({ keepAliveMs = 5000, onRequest = null } = {}) {
  const seen = { requests: 0, sockets: new Set() };
  const server = createServer((req, res) => {
    if (req.url !== "/version") {
      // The gate's own schema loads and probes: answered on connections that
      // then close, so only /version requests ever find a pooled connection.
      res.statusCode = 404;
      res.setHeader("connection", "close");
      res.end();
      return;
    }
    seen.requests++;
    seen.sockets.add(req.socket);
    if (onRequest?.(req, res)) return;
    res.setHeader("content-type", "text/plain");
    res.end("v1");
  });
  server.keepAliveTimeout = keepAliveMs;
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    seen,
    close: () => {
      server.closeAllConnections?.();
      return new Promise((r) => server.close(r));
    },
  };
}

test("pooled connections upstream closed are never used: requests just past its keep-alive all answer", async () => {
  const keepAliveMs = 400;
  const upstream = await versionUpstream({ keepAliveMs });
  const gate = await startGate(gateConfig({ upstreamUrl: upstream.url }));
  try {
    for (let i = 0; i < 8; i++) {
      const res = await fetch(gate.url + "/version");
      assert.equal(res.status, 200, `request ${i}: ${res.status} ${await res.clone().text()}`);
      assert.equal(await res.text(), "v1");
      // Just past the keep-alive: upstream has closed (or is closing) the
      // connection the gate pooled after the previous request.
      await new Promise((r) => setTimeout(r, keepAliveMs + (i % 4) * 15));
    }
    assert.equal(upstream.seen.requests, 8, "each request reached upstream once");
  } finally {
    await gate.stop();
    await upstream.close();
  }
});

test("a pooled connection closed as the request crosses it: sent again on a new connection, once", async () => {
  // Upstream drops every connection on its second request without answering —
  // what a keep-alive close racing the request looks like to the gate.
  const perSocket = new Map();
  const upstream = await versionUpstream({
    onRequest: (req) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n < 2) return false;
      req.socket.destroy();
      return true;
    },
  });
  const gate = await startGate(gateConfig({ upstreamUrl: upstream.url }));
  try {
    for (let i = 0; i < 4; i++) {
      const res = await fetch(gate.url + "/version");
      assert.equal(res.status, 200, `request ${i}`);
      assert.equal(await res.text(), "v1");
    }
    // 4 answered + at most one dropped attempt before each of the last 3.
    assert.ok(upstream.seen.requests <= 7, `upstream saw ${upstream.seen.requests} requests`);
  } finally {
    await gate.stop();
    await upstream.close();
  }
});

test("a fresh upstream connection that closes without answering is a 502, not retried", async () => {
  const upstream = await versionUpstream({ onRequest: (req) => (req.socket.destroy(), true) });
  const gate = await startGate(gateConfig({ upstreamUrl: upstream.url }));
  try {
    const res = await fetch(gate.url + "/version");
    assert.equal(res.status, 502);
    assert.equal((await res.json()).code, "UPSTREAM_UNAVAILABLE");
    assert.equal(upstream.seen.requests, 1, "the request was sent once");
  } finally {
    await gate.stop();
    await upstream.close();
  }
});
