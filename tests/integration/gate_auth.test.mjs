// Every authentication row of SPEC §4 produced by the real binary with real tokens
// from the development issuer (Clerk-shaped, RS256 over a loopback JWKS URL), and
// an issuer whose JWKS URL is down from the start (keys unavailable). Nothing that
// fails authentication reaches upstream.
import { test, before, after } from "node:test";
import net from "node:net";
import assert from "node:assert/strict";
import { startUpstream } from "../upstream/server.mjs";
import { startIssuer } from "../issuer/issuer.mjs";
import { pipeline, exec } from "../upstream/test_support.mjs";
import { startGate, freePort, issuersConfig, waitForReadiness } from "./gate_process.mjs";

const AUDIENCE = "libsql-gate-test";
const DOWN_ISSUER = "https://down.example";
let upstream;
let issuer;
let gate;

before(async () => {
  upstream = await startUpstream({});
  issuer = await startIssuer({ profile: "clerk" });
  const down = await freePort();
  const config = issuersConfig({
    upstreamUrl: upstream.url,
    databaseId: issuer.databaseId,
    issuers: [
      { name: "clerk", algorithms: ["RS256"], issuer: issuer.issuerUrl, jwks_uri: issuer.jwksUrl, audiences: [AUDIENCE] },
      { name: "down", algorithms: ["RS256"], issuer: DOWN_ISSUER, jwks_uri: `http://127.0.0.1:${down}/jwks.json` },
    ],
  });
  gate = await startGate(config);
  // The clerk issuer's keys are fetched in the background at start ("down" never has any).
  await waitForReadiness(gate, (status, body) => !(body.missing ?? []).some((m) => /issuer clerk|schema/.test(m)));
});

after(async () => {
  await gate?.stop();
  await issuer?.close();
  await upstream?.close();
});

const body = { baton: null, requests: [exec("SELECT 1")] };
const template = (claims = {}, options = {}) => issuer.mint({ aud: AUDIENCE, ...claims }, { kind: "template", ...options });
const withToken = (token) => ({ headers: { authorization: `Bearer ${token}` } });
const forwarded = () => upstream.received.filter((r) => r.path.endsWith("/pipeline") && !JSON.stringify(r.body).includes("sqlite_schema"));

async function expectRejected(token, status, code, challenge) {
  upstream.reset();
  const res = await pipeline(gate.url, body, withToken(token));
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(res.json.code, code);
  assert.equal(res.json.error, res.json.message);
  assert.ok(!res.text.includes(token), "the message never echoes the token");
  if (challenge !== undefined) assert.equal(res.headers.get("www-authenticate"), challenge);
  assert.deepEqual(forwarded(), [], "nothing reached upstream");
  return res;
}

const INVALID = 'Bearer error="invalid_token"';

test("a valid token: the pipeline is forwarded and answered as upstream does", async () => {
  const res = await pipeline(gate.url, body, withToken(await template()));
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.results[0].type, "ok");
  assert.equal(res.json.results[0].response.result.rows[0][0].value, "1");
});

test("no Authorization header: 401 AUTH_HEADER_NOT_FOUND with the realm challenge", async () => {
  const res = await pipeline(gate.url, body);
  assert.equal(res.status, 401);
  assert.equal(res.json.code, "AUTH_HEADER_NOT_FOUND");
  assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="libsql-gate"');
});

test("a bearer value that is not a JWT: 401 AUTH_HEADER_MALFORMED", async () => {
  await expectRejected("not-a-jwt", 401, "AUTH_HEADER_MALFORMED", INVALID);
});

test("a corrupted signature: 401 AUTH_JWT_INVALID", async () => {
  const res = await expectRejected(await template({}, { signature: "corrupt" }), 401, "AUTH_JWT_INVALID", INVALID);
  assert.match(res.json.message, /signature/);
});

test("an issuer the gate does not trust: 401 AUTH_JWT_INVALID", async () => {
  await expectRejected(await template({ iss: "https://stranger.example" }), 401, "AUTH_JWT_INVALID", INVALID);
});

test("the wrong audience: 401 AUTH_JWT_INVALID naming the audience", async () => {
  const res = await expectRejected(await template({ aud: "someone-else" }), 401, "AUTH_JWT_INVALID", INVALID);
  assert.match(res.json.message, /aud/);
});

test("an expired token: 401 AUTH_JWT_EXPIRED", async () => {
  const now = Math.floor(Date.now() / 1000);
  await expectRejected(await template({}, { now: now - 7200, ttl: 60 }), 401, "AUTH_JWT_EXPIRED", INVALID);
});

test("a token not yet valid: 401 AUTH_JWT_IMMATURE", async () => {
  const now = Math.floor(Date.now() / 1000);
  await expectRejected(await template({}, { now: now + 7200 }), 401, "AUTH_JWT_IMMATURE", INVALID);
});

test("an issuer whose keys were never fetched: 503 AUTH_KEYS_UNAVAILABLE", async () => {
  await expectRejected(await template({ iss: DOWN_ISSUER }), 503, "AUTH_KEYS_UNAVAILABLE");
  const ready = await fetch(gate.admin + "/readyz");
  assert.equal(ready.status, 503);
  assert.ok((await ready.json()).missing.some((m) => /issuer down/.test(m)));
});

test("a token for another database: 403 AUTH_DATABASE_SCOPE", async () => {
  const res = await expectRejected(await template({ id: "00000000-0000-4000-8000-000000000000" }), 403,
                                   "AUTH_DATABASE_SCOPE");
  assert.equal(res.headers.get("www-authenticate"), null);
});

test("/metrics counts the refused tokens by issuer and reason", async () => {
  const text = await (await fetch(gate.admin + "/metrics")).text();
  const count = (issuerName, reason) => {
    const m = text.match(new RegExp(`^libsql_gate_auth_failures_total\\{issuer="${issuerName}",reason="${reason}"\\} (\\d+)`, "m"));
    return m ? Number(m[1]) : 0;
  };
  assert.ok(count("clerk", "signature_invalid") >= 1, text);
  assert.ok(count("clerk", "expired") >= 1);
  assert.ok(count("clerk", "database_scope") >= 1);
  assert.ok(count("down", "keys_unavailable") >= 1);
  assert.match(text, /^libsql_gate_jwks_fetches_total\{issuer="clerk",result="ok"\} [1-9]/m);
  assert.match(text, /^libsql_gate_token_cache_lookups_total\{result="miss"\} [1-9]/m);
});

// Raw HTTP on one connection: writes `chunks` (a function may write more later),
// collects everything the gate sends until it closes or `until(data)` holds.
function rawExchange(chunks, until) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(gate.url).port), "127.0.0.1");
    let data = "";
    let closed = false;
    const done = () => { socket.destroy(); resolve({ data, closed }); };
    socket.on("data", (d) => { data += d; if (until && until(data)) done(); });
    socket.on("end", () => { closed = true; done(); });
    socket.on("error", (e) => (data ? done() : reject(e)));
    socket.on("connect", () => { for (const chunk of chunks) typeof chunk === "function" ? chunk(socket) : socket.write(chunk); });
  });
}

const bodyText = JSON.stringify(body);
const head = (authorization, length) =>
  `POST /v3/pipeline HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
  (authorization ? `Authorization: ${authorization}\r\n` : "") + `Content-Length: ${length}\r\n\r\n`;
const statusOf = (data) => Number(data.match(/^HTTP\/1\.1 (\d+)/)?.[1]);
const codeOf = (data) => JSON.parse(data.slice(data.indexOf("\r\n\r\n") + 4)).code;

// The body below is announced as 5 MB and never sent: a gate that read the body
// before the token would wait (here until the test's own timeout fails it).
for (const [name, authorization, code] of [
  ["no Authorization header", null, "AUTH_HEADER_NOT_FOUND"],
  ["a forged token", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "AUTH_JWT_INVALID"],
]) {
  test(`${name} is refused from the header alone, before a large body arrives; the connection closes`, { timeout: 20000 }, async () => {
    upstream.reset();
    const { data, closed } = await rawExchange([head(authorization, 5_000_000), "{\"baton\":null,"]);
    assert.equal(statusOf(data), 401, data);
    assert.equal(codeOf(data), code);
    assert.match(data, /connection: close/i);
    assert.ok(closed, "the gate closes a connection whose body it did not read");
    assert.deepEqual(forwarded(), [], "nothing reached upstream");
  });
}

test("a refused request whose body already arrived keeps the connection: the next request is answered", { timeout: 20000 }, async () => {
  const twoReplies = (data) => (data.match(/HTTP\/1\.1 \d+/g) ?? []).length >= 2;
  const { data } = await rawExchange([head("Bearer not-a-jwt", Buffer.byteLength(bodyText)) + bodyText + "GET /v2 HTTP/1.1\r\nHost: x\r\n\r\n"], twoReplies);
  const statuses = (data.match(/HTTP\/1\.1 (\d+)/g) ?? []).map((s) => Number(s.slice(9)));
  assert.deepEqual(statuses, [401, 200], data);
});

test("a valid token whose body arrives in pieces is served once the body is complete", { timeout: 20000 }, async () => {
  upstream.reset();
  const token = await template();
  const half = Math.floor(bodyText.length / 2);
  const { data } = await rawExchange(
    [head(`Bearer ${token}`, Buffer.byteLength(bodyText)) + bodyText.slice(0, half),
     (socket) => setTimeout(() => socket.write(bodyText.slice(half)), 200)],
    (d) => /\r\n\r\n[\s\S]*"results"[\s\S]*\}$/.test(d));
  assert.equal(statusOf(data), 200, data);
  assert.equal(forwarded().length, 1);
});
