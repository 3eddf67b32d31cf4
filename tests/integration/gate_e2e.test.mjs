// Allowed and denied traffic end to end (SPEC §3, §4, §6): real tokens from
// `libsql-gate keygen`/`mint`, the real binary, the test upstream.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { startUpstream } from "../upstream/server.mjs";
import { pipeline, cursor, exec } from "../upstream/test_support.mjs";
import { startGate, gateConfig, gateBinary, waitForReadiness, devIssuer, notesDatabase } from "./gate_process.mjs";

const ISSUER = "https://dev.example";
let dir;
let upstream;
let gate;
const tokens = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "libsql-gate-e2e-"));
  const issuer = devIssuer(dir, ISSUER);
  const { schema, seed } = notesDatabase(dir);
  // The upstream advertises an internal base_url: the gate must never pass it on.
  upstream = await startUpstream({ schema, seed, baseUrl: "http://10.9.8.7:8080" });
  const config = gateConfig({ upstreamUrl: upstream.url })
    .replace("jwks_file: jwks.json", `jwks_file: ${JSON.stringify(issuer.jwksFile)}`);
  gate = await startGate(config);
  // Ready once the keys (a file: at start) and the upstream's schema are loaded.
  await waitForReadiness(gate);
  tokens.alice = issuer.mint("alice", ["notes:data_read,data_add,data_update,data_delete"]);
  tokens.bob = issuer.mint("bob", ["notes:data_read"]);
  tokens.carol = issuer.mint("carol", ["all:data_read,data_add,data_update,data_delete,schema_add,schema_update,schema_delete"]);
});

after(async () => {
  await gate?.stop();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const auth = (who) => ({ authorization: `Bearer ${tokens[who]}` });
// What clients sent through the gate (the gate's own schema queries left out).
const pipelinesReceived = () => upstream.received.filter(
  (r) => (r.path.endsWith("/pipeline") || r.path.endsWith("/cursor")) && !JSON.stringify(r.body).includes("sqlite_schema"));
const withoutTiming = (results) => JSON.parse(JSON.stringify(results, (k, v) => (k === "query_duration_ms" ? undefined : v)));

test("an allowed pipeline answers exactly as upstream does, base_url withheld", async () => {
  const body = { baton: null, requests: [exec("SELECT id, body FROM notes ORDER BY id"), { type: "close" }] };
  const direct = await pipeline(upstream.url, body);
  const viaGate = await pipeline(gate.url, body, { headers: auth("alice") });
  assert.equal(viaGate.status, 200);
  assert.deepEqual(withoutTiming(viaGate.json.results), withoutTiming(direct.json.results));
  assert.equal(viaGate.json.base_url, null);
  assert.ok(!viaGate.text.includes("10.9.8.7"));
});

test("a denied statement: nothing reaches upstream, every result is an error", async () => {
  upstream.reset();
  const res = await pipeline(gate.url, {
    baton: null, requests: [exec("SELECT 1"), exec("SELECT value FROM secrets"), exec("SELECT 2")],
  }, { headers: auth("alice") });
  assert.equal(res.status, 200);
  assert.deepEqual(pipelinesReceived(), []);
  assert.equal(res.json.results.length, 3);
  for (const r of res.json.results) assert.equal(r.type, "error");
  assert.equal(res.json.results[1].error.code, "SQLITE_AUTH");
  assert.match(res.json.results[1].error.message, /secrets/);
  assert.match(res.json.results[0].error.message, /not executed: request 1 was denied/);
});

test("a statement over policy.max_statement_bytes (1 MiB): SQL_TOO_COMPLEX, nothing reaches upstream", async () => {
  upstream.reset();
  const long = `SELECT body FROM notes /* ${"x".repeat(1024 * 1024)} */`;
  const res = await pipeline(gate.url, { baton: null, requests: [exec("SELECT 1"), exec(long)] }, { headers: auth("alice") });
  assert.equal(res.status, 200);
  assert.deepEqual(pipelinesReceived(), []);
  assert.equal(res.json.results[1].error.code, "SQL_TOO_COMPLEX");
  assert.match(res.json.results[1].error.message, /policy\.max_statement_bytes \(1048576\)/);
  // Just under the bound it is analysed and runs.
  const fits = `SELECT body FROM notes /* ${"x".repeat(1024 * 1024 - 40)} */`;
  const ok = await pipeline(gate.url, { baton: null, requests: [exec(fits)] }, { headers: auth("alice") });
  assert.equal(ok.json.results[0].type, "ok", JSON.stringify(ok.json).slice(0, 300));
});

test("denied inside a transaction: the stream stays usable and the client rolls back", async () => {
  const opened = await pipeline(gate.url, { baton: null, requests: [exec("BEGIN"), exec("INSERT INTO notes (body) VALUES ('tx')")] },
                                { headers: auth("alice") });
  assert.equal(opened.status, 200);
  const baton = opened.json.baton;
  assert.equal(typeof baton, "string");
  upstream.reset();
  const denied = await pipeline(gate.url, { baton, requests: [exec("DELETE FROM secrets")] }, { headers: auth("alice") });
  assert.equal(denied.status, 200);
  assert.equal(denied.json.baton, baton, "nothing went upstream: the client's baton is still current");
  assert.deepEqual(pipelinesReceived(), []);
  const rolledBack = await pipeline(gate.url, { baton, requests: [exec("ROLLBACK"), { type: "close" }] }, { headers: auth("alice") });
  assert.equal(rolledBack.status, 200);
  assert.deepEqual(rolledBack.json.results.map((r) => r.type), ["ok", "ok"]);
  const count = await pipeline(gate.url, { baton: null, requests: [exec("SELECT count(*) FROM notes WHERE body = 'tx'")] },
                               { headers: auth("alice") });
  assert.equal(count.json.results[0].response.result.rows[0][0].value, "0");
});

test("another principal's baton and forged batons are STREAM_EXPIRED before upstream", async () => {
  const opened = await pipeline(gate.url, { baton: null, requests: [exec("SELECT 1")] }, { headers: auth("alice") });
  const baton = opened.json.baton;
  upstream.reset();
  for (const [who, b] of [["bob", baton], ["alice", "Zm9yZ2Vk"], ["alice", baton + "x"]]) {
    const res = await pipeline(gate.url, { baton: b, requests: [exec("SELECT 1")] }, { headers: auth(who) });
    assert.equal(res.status, 400, `${who} ${b}`);
    assert.equal(res.json.code, "STREAM_EXPIRED");
  }
  assert.deepEqual(pipelinesReceived(), []);
  // The owner can still use it.
  const mine = await pipeline(gate.url, { baton, requests: [{ type: "close" }] }, { headers: auth("alice") });
  assert.equal(mine.status, 200);
});

test("store_sql texts are authorized when executed by sql_id", async () => {
  const stored = await pipeline(gate.url, {
    baton: null,
    requests: [{ type: "store_sql", sql_id: 1, sql: "SELECT body FROM notes" }, { type: "store_sql", sql_id: 2, sql: "SELECT value FROM secrets" }],
  }, { headers: auth("alice") });
  assert.equal(stored.status, 200);
  const baton = stored.json.baton;
  const allowed = await pipeline(gate.url, { baton, requests: [{ type: "execute", stmt: { sql_id: 1 } }] }, { headers: auth("alice") });
  assert.equal(allowed.json.results[0].type, "ok");
  const denied = await pipeline(gate.url, { baton: allowed.json.baton, requests: [{ type: "execute", stmt: { sql_id: 2 } }] },
                                { headers: auth("alice") });
  assert.equal(denied.json.results[0].type, "error");
  assert.equal(denied.json.results[0].error.code, "SQLITE_AUTH");
});

test("cursor: allowed lines match upstream; denied is a head line and an error entry", async () => {
  const body = { baton: null, batch: { steps: [{ stmt: { sql: "SELECT id, body FROM notes ORDER BY id" } }] } };
  const direct = await cursor(upstream.url, body);
  const viaGate = await cursor(gate.url, body, auth("alice"));
  assert.equal(viaGate.status, 200);
  assert.equal(viaGate.lines[0].base_url, null);
  assert.deepEqual(withoutTiming(viaGate.lines.slice(1)), withoutTiming(direct.lines.slice(1)));
  upstream.reset();
  const denied = await cursor(gate.url, { baton: null, batch: { steps: [{ stmt: { sql: "SELECT * FROM secrets" } }] } }, auth("alice"));
  assert.equal(denied.status, 200);
  assert.deepEqual(pipelinesReceived(), []);
  assert.equal(denied.lines.length, 2);
  assert.equal(denied.lines[1].type, "error");
  assert.equal(denied.lines[1].error.code, "SQLITE_AUTH");
});

test("a token signed by another key is 401 AUTH_JWT_INVALID", async () => {
  const other = mkdtempSync(join(tmpdir(), "libsql-gate-e2e-other-"));
  try {
    execFileSync(gateBinary, ["keygen", "--alg", "EdDSA", "--kid", "k1", "--out", other]);
    const forged = execFileSync(gateBinary, ["mint", "--key", join(other, "private.pem"), "--kid", "k1", "--iss", ISSUER, "--sub", "mallory",
                                             "--perm", "all:data_read"], { encoding: "utf8" }).trim();
    const res = await pipeline(gate.url, { baton: null, requests: [exec("SELECT 1")] }, { headers: { authorization: `Bearer ${forged}` } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
    assert.equal(res.json.code, "AUTH_JWT_INVALID");
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

test("the denial message names the action and the table (SPEC §4)", async () => {
  const res = await pipeline(gate.url, { baton: null, requests: [exec("INSERT INTO secrets (value) VALUES ('x')")] },
                             { headers: auth("bob") });
  assert.equal(res.json.results[0].error.code, "SQLITE_AUTH");
  assert.equal(res.json.results[0].error.message, 'permission denied: data_add on table "secrets"');
});

test("a statement on an unknown table is SQL_PARSE_ERROR with SQLite's message, not forwarded", async () => {
  upstream.reset();
  const res = await pipeline(gate.url, { baton: null, requests: [exec("SELECT * FROM no_such_table")] }, { headers: auth("alice") });
  assert.equal(res.status, 200);
  assert.equal(res.json.results[0].type, "error");
  assert.equal(res.json.results[0].error.code, "SQL_PARSE_ERROR");
  assert.match(res.json.results[0].error.message, /no such table: no_such_table/);
  assert.deepEqual(pipelinesReceived(), []);
});

test("DDL through the gate, then statements on the new table are analysed against it", async () => {
  const created = await pipeline(gate.url, {
    baton: null,
    // DDL earlier in a pipeline is visible to later requests of the same pipeline.
    requests: [exec("CREATE TABLE widgets (id INTEGER PRIMARY KEY, name TEXT)"), exec("INSERT INTO widgets (name) VALUES ('w1')")],
  }, { headers: auth("carol") });
  assert.equal(created.status, 200);
  assert.deepEqual(created.json.results.map((r) => r.type), ["ok", "ok"], JSON.stringify(created.json));
  // A later pipeline: the gate's schema copy now knows widgets.
  const read = await pipeline(gate.url, { baton: null, requests: [exec("SELECT name FROM widgets")] }, { headers: auth("carol") });
  assert.equal(read.json.results[0].type, "ok", JSON.stringify(read.json));
  assert.equal(read.json.results[0].response.result.rows[0][0].value, "w1");
  // Someone without grants on it is denied by name, not told the table is unknown.
  const denied = await pipeline(gate.url, { baton: null, requests: [exec("SELECT name FROM widgets")] }, { headers: auth("alice") });
  assert.equal(denied.json.results[0].error.code, "SQLITE_AUTH");
  assert.equal(denied.json.results[0].error.message, 'permission denied: data_read on table "widgets"');
});

test("a table created directly upstream is picked up by one refresh after the parse error", async () => {
  const direct = await pipeline(upstream.url, { baton: null, requests: [exec("CREATE TABLE gadgets (id INTEGER PRIMARY KEY)")] });
  assert.equal(direct.json.results[0].type, "ok");
  // Wait out the refresh rate limit of a parse error right after another refresh.
  await new Promise((res) => setTimeout(res, 1100));
  const res = await pipeline(gate.url, { baton: null, requests: [exec("SELECT count(*) FROM gadgets")] }, { headers: auth("carol") });
  assert.equal(res.json.results[0].type, "ok", JSON.stringify(res.json));
});

test("/metrics counts denials by action and analysis cache lookups", async () => {
  const text = await (await fetch(gate.admin + "/metrics")).text();
  const value = (re) => Number((text.match(re) ?? [])[1] ?? 0);
  assert.ok(value(/^libsql_gate_denials_total\{action="data_read"\} (\d+)/m) >= 2, text);
  assert.ok(value(/^libsql_gate_denials_total\{action="data_add"\} (\d+)/m) >= 1);
  assert.ok(value(/^libsql_gate_denials_total\{action="parse_error"\} (\d+)/m) >= 1);
  assert.ok(value(/^libsql_gate_sql_cache_lookups_total\{result="miss"\} (\d+)/m) >= 1);
  assert.ok(value(/^libsql_gate_requests_total\{outcome="allowed",protocol="http"\} (\d+)/m) >= 1);
  // The first load and the refresh after the earlier CREATE TABLE, each a new copy.
  assert.ok(value(/^libsql_gate_schema_fetches_total\{result="ok"\} (\d+)/m) >= 2);
  assert.ok(value(/^libsql_gate_schema_version (\d+)/m) >= 2);
});

test("an allowed batch answers exactly as upstream does; a denied step refuses the whole pipeline", async () => {
  const batch = (steps) => ({ type: "batch", batch: { steps } });
  const steps = [
    { stmt: { sql: "SELECT count(*) FROM notes" } },
    { stmt: { sql: "SELECT body FROM notes ORDER BY id LIMIT 1" }, condition: { type: "ok", step: 0 } },
  ];
  const body = { baton: null, requests: [batch(steps), { type: "close" }] };
  const direct = await pipeline(upstream.url, body);
  const viaGate = await pipeline(gate.url, body, { headers: auth("alice") });
  assert.equal(viaGate.status, 200);
  assert.deepEqual(withoutTiming(viaGate.json.results), withoutTiming(direct.json.results));

  upstream.reset();
  const denied = await pipeline(gate.url, {
    baton: null, requests: [batch([...steps, { stmt: { sql: "UPDATE secrets SET value = 'x'" } }])],
  }, { headers: auth("alice") });
  assert.equal(denied.json.results[0].type, "error");
  assert.equal(denied.json.results[0].error.message, 'permission denied: data_update on table "secrets"');
  assert.deepEqual(pipelinesReceived(), []);
});

test("DDL in a cursor batch: later steps see it, and later requests too", async () => {
  const created = await cursor(gate.url, {
    baton: null,
    batch: { steps: [{ stmt: { sql: "CREATE TABLE gizmos (id INTEGER PRIMARY KEY)" } },
                     { stmt: { sql: "INSERT INTO gizmos DEFAULT VALUES" } }] },
  }, auth("carol"));
  assert.equal(created.status, 200);
  assert.ok(!created.lines.some((l) => l.type === "error"), JSON.stringify(created.lines));
  const read = await pipeline(gate.url, { baton: null, requests: [exec("SELECT count(*) FROM gizmos")] }, { headers: auth("carol") });
  assert.equal(read.json.results[0].type, "ok", JSON.stringify(read.json));
  assert.equal(read.json.results[0].response.result.rows[0][0].value, "1");
});
