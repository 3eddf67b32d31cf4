// The client-facing HTTP surface of the real binary (SPEC §3, §4 rows that need
// no token, limits of §2) against the test upstream. Tokens here never verify
// (gate_auth and gate_e2e use real ones): nothing is ever forwarded.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startUpstream } from "../upstream/server.mjs";
import { startGate, gateConfig, waitForReadiness } from "./gate_process.mjs";

let upstream;
let gate;

before(async () => {
  upstream = await startUpstream({});
  gate = await startGate(gateConfig({ upstreamUrl: upstream.url, limits: { max_body_bytes: 4096, max_token_bytes: 1024 } }));
  // Ready once the issuer's keys and the upstream's schema are loaded; after that
  // the gate itself sends upstream nothing the tests below do not cause.
  await waitForReadiness(gate);
});

after(async () => {
  await gate?.stop();
  await upstream?.close();
});

const pipelineBody = { baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] };

async function post(path, body, headers = {}) {
  const res = await fetch(gate.url + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

function assertErrorBody(json, code) {
  assert.equal(json.code, code);
  assert.equal(typeof json.message, "string");
  assert.ok(json.message.length > 0);
  assert.equal(json.error, json.message);
}

function receivedOutsideProbes() {
  return upstream.received.filter((r) => r.path !== "/health" && r.path !== "/version");
}

test("version probes answer 200 without a token and are not forwarded", async () => {
  upstream.reset();
  for (const path of ["/v2", "/v3"]) {
    const res = await fetch(gate.url + path);
    assert.equal(res.status, 200, path);
    await res.text();
  }
  assert.deepEqual(upstream.received, []);
});

test("unknown routes are 404 JSON errors and never forwarded", async () => {
  upstream.reset();
  for (const [method, path] of [["GET", "/"], ["GET", "/v1"], ["GET", "/v3-protobuf/pipeline"], ["POST", "/v1/execute"],
                                ["GET", "/v3/pipeline"], ["DELETE", "/v2"], ["GET", "/_test/received"]]) {
    const res = await fetch(gate.url + path, { method, headers: { authorization: "Bearer a.b.c" } });
    assert.equal(res.status, 404, `${method} ${path}`);
    assertErrorBody(await res.json(), "NOT_FOUND");
  }
  assert.deepEqual(upstream.received, []);
});

test("/health and /version are forwarded without the client's Authorization", async () => {
  upstream.reset();
  for (const path of ["/health", "/version"]) {
    const direct = await fetch(upstream.url + path);
    const directBody = await direct.text();
    upstream.reset();
    const viaGate = await fetch(gate.url + path, { headers: { authorization: "Bearer secret.token.value" } });
    assert.equal(viaGate.status, direct.status, path);
    assert.equal(await viaGate.text(), directBody, path);
    assert.equal(upstream.received.length, 1);
    assert.equal(upstream.received[0].path, path);
    assert.equal(upstream.received[0].authorization, false, "client Authorization must not be forwarded");
  }
});

test("no bearer: 401 AUTH_HEADER_NOT_FOUND with the realm challenge", async () => {
  for (const path of ["/v2/pipeline", "/v3/pipeline", "/v3/cursor"]) {
    const res = await post(path, pipelineBody);
    assert.equal(res.status, 401, path);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="libsql-gate"');
    assertErrorBody(res.json, "AUTH_HEADER_NOT_FOUND");
  }
});

test("malformed Authorization: 401 AUTH_HEADER_MALFORMED with invalid_token", async () => {
  for (const value of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Token abc"]) {
    const res = await post("/v3/pipeline", pipelineBody, { authorization: value });
    assert.equal(res.status, 401, value);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
    assertErrorBody(res.json, "AUTH_HEADER_MALFORMED");
  }
});

test("a token that does not verify: 401 AUTH_JWT_INVALID on every route, nothing forwarded", async () => {
  upstream.reset();
  for (const path of ["/v2/pipeline", "/v3/pipeline", "/v3/cursor"]) {
    const body = path === "/v3/cursor" ? { baton: null, batch: { steps: [{ stmt: { sql: "SELECT 1" } }] } } : pipelineBody;
    const res = await post(path, body, { authorization: "Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln" });
    assert.equal(res.status, 401, path);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
    assertErrorBody(res.json, "AUTH_JWT_INVALID");
  }
  assert.deepEqual(receivedOutsideProbes(), []);
});

test("body over limits.max_body_bytes: 413 PROTO_ERROR", async () => {
  upstream.reset();
  const big = JSON.stringify({ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT '" + "x".repeat(8000) + "'" } }] });
  const res = await post("/v3/pipeline", big, { authorization: "Bearer a.b.c" });
  assert.equal(res.status, 413);
  assertErrorBody(res.json, "PROTO_ERROR");
  assert.deepEqual(receivedOutsideProbes(), []);
});

test("token over limits.max_token_bytes: 413 PROTO_ERROR", async () => {
  const res = await post("/v3/pipeline", pipelineBody, { authorization: "Bearer " + "a".repeat(2000) });
  assert.equal(res.status, 413);
  assertErrorBody(res.json, "PROTO_ERROR");
});

test("headers over the header limit: 413 PROTO_ERROR", async () => {
  const res = await post("/v3/pipeline", pipelineBody, { authorization: "Bearer a.b.c", "x-padding": "p".repeat(40000) });
  assert.equal(res.status, 413);
  assertErrorBody(res.json, "PROTO_ERROR");
});

test("keep-alive: several requests on one connection", async () => {
  const replies = await new Promise((resolve, reject) => {
    const socket = net.connect(new URL(gate.url).port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => {
      data += d;
      if ((data.match(/HTTP\/1\.1 200/g) ?? []).length === 3) {
        socket.end();
        resolve(data);
      }
    });
    socket.on("error", reject);
    socket.write("GET /v2 HTTP/1.1\r\nHost: x\r\n\r\nGET /v3 HTTP/1.1\r\nHost: x\r\n\r\nGET /v2 HTTP/1.1\r\nHost: x\r\n\r\n");
  });
  assert.equal((replies.match(/HTTP\/1\.1 200/g) ?? []).length, 3);
});

test("slow headers: a client trickling its request is cut off", async () => {
  const started = Date.now();
  const closedAfter = await new Promise((resolve, reject) => {
    const socket = net.connect(new URL(gate.url).port, "127.0.0.1");
    socket.on("connect", () => socket.write("POST /v3/pipeline HTTP/1.1\r\nHost: x\r\n"));
    const trickle = setInterval(() => socket.writable && socket.write("X-Slow: y\r\n"), 200);
    socket.on("close", () => { clearInterval(trickle); resolve(Date.now() - started); });
    socket.on("error", () => {});
    setTimeout(() => { clearInterval(trickle); socket.destroy(); reject(new Error("not closed within 6 s")); }, 6000);
  });
  // idle_timeout_ms is 2000 in this config: the header deadline is absolute.
  assert.ok(closedAfter < 4000, `closed after ${closedAfter} ms`);
});

test("admin: /healthz 200, /readyz 200 once the issuer's keys and the upstream's schema are loaded", async () => {
  const health = await fetch(gate.admin + "/healthz");
  assert.equal(health.status, 200);
  await health.text();
  const ready = await fetch(gate.admin + "/readyz");
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { ready: true });
});

test("admin: /metrics is Prometheus text with every SPEC §7 name, counting what happened", async () => {
  const res = await fetch(gate.admin + "/metrics");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/plain/);
  const text = await res.text();
  const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?([0-9.e+-]+|\+Inf|NaN)$/;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    assert.match(line, sample);
  }
  for (const name of ["requests_total", "request_duration_seconds", "auth_failures_total", "denials_total",
                      "jwks_fetches_total", "jwks_keys", "jwks_last_success_timestamp_seconds",
                      "token_cache_lookups_total", "sql_cache_lookups_total", "upstream_request_duration_seconds",
                      "upstream_errors_total", "open_connections", "schema_fetches_total", "schema_version"]) {
    assert.match(text, new RegExp(`^# TYPE libsql_gate_${name} `, "m"), name);
  }
  const missing = text.match(/^libsql_gate_auth_failures_total\{issuer="unknown",reason="header_missing"\} (\d+)/m);
  assert.ok(missing && Number(missing[1]) >= 3, "401s are counted");
  assert.match(text, /^libsql_gate_requests_total\{outcome="not_found",protocol="http"\} [1-9]/m);
});

test("the access log has no tokens", async () => {
  await post("/v3/pipeline", pipelineBody, { authorization: "Bearer SECRET-TOKEN-abc.def.ghi" });
  await gate.waitForLog((r) => r.msg === "access" && r.path === "/v3/pipeline" && r.status === 401);
  const all = JSON.stringify(gate.logs);
  assert.ok(!all.includes("SECRET-TOKEN"), "token leaked into the log");
  for (const record of gate.logs) {
    assert.equal(typeof record.time, "string");
    assert.equal(typeof record.level, "string");
    assert.equal(typeof record.msg, "string");
  }
});
