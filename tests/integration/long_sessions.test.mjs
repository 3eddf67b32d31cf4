// Long-lived sessions through the gate stay open (#23): SPEC lets only two things
// close a connection — a wait for upstream longer than upstream.timeout_ms, and
// no traffic at all for limits.idle_timeout_ms. Several WebSocket sessions
// (@libsql/client ws:// over hrana2 JSON, @libsql/hrana-client over
// hrana3-protobuf, raw hrana3 frames) and @libsql/client HTTP sessions with
// batons send short bursts — open a stream, BEGIN, read or write, ROLLBACK or
// COMMIT, close — separated by irregular pauses below the idle timeout but often
// longer than upstream.timeout_ms, with writers contending for the same table
// upstream, for several times upstream.timeout_ms. Nothing may be closed.
//
// The raw sessions keep a window of requests in flight (each answer releases the
// next request) and the test upstream sends its answers coalesced, as a busy
// server does: the gate writes upstream while answers are arriving and being
// read from one buffer — the interleaving under which a write's deadline used to
// be left on a read (4 of 4 runs of the gate before #23 closed a session with
// 1011 or 1006 within 12 s).
//
// The gate's closes are counted by libsql_gate_upstream_websocket_closes_total:
// after the run every WebSocket session must have ended exactly once, by its
// client. (@libsql/client reconnects quietly after a close, so the clients'
// own view is not enough.)
//
// LONG_SESSION_MS sets the run's length (default 12 s; the fault soak runs it
// for 10 minutes), LONG_SESSION_SEED its pauses.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import * as hrana from "@libsql/hrana-client";
import { startUpstream } from "../upstream/server.mjs";
import { openWs, hello, request, jwtKeys } from "../upstream/test_support.mjs";
import { startGate, waitForReadiness, devIssuer, notesDatabase, upstreamTokenConfig } from "./gate_process.mjs";

const UPSTREAM_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 4000;
const RUN_MS = Number(process.env.LONG_SESSION_MS ?? 12_000);
const SEED = Number(process.env.LONG_SESSION_SEED ?? 23);

let dir;
let upstreamKeys;
let upstream;
let gate;
let token;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "libsql-gate-long-"));
  const issuer = devIssuer(dir);
  const { schema, seed } = notesDatabase(dir);
  upstreamKeys = await jwtKeys();
  upstream = await startUpstream({ schema, seed, jwtKeyFile: upstreamKeys.pem, wsCoalesceAnswers: true });
  const gateToken = await upstreamKeys.sign(upstreamKeys.privateKey, { sub: "libsql-gate" },
    (jwt) => jwt.setIssuedAt().setExpirationTime("2h"));
  gate = await startGate(upstreamTokenConfig({
    upstreamUrl: upstream.url, upstreamToken: gateToken, jwksFile: issuer.jwksFile,
    upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS, limits: { idle_timeout_ms: IDLE_TIMEOUT_MS },
  }));
  await waitForReadiness(gate);
  token = issuer.mint("worker", ["notes:data_read,data_add,data_update,data_delete"], "2h");
});

after(async () => {
  await gate?.stop();
  await upstream?.close();
  upstreamKeys?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// A small deterministic generator (mulberry32), one per session.
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Pauses below the idle timeout, a third of them longer than upstream.timeout_ms:
// the shape under which a deadline left behind on an idle read used to fire.
function pause(rand) {
  const r = rand();
  if (r < 0.4) return Math.floor(rand() * 150);
  if (r < 0.67) return 200 + Math.floor(rand() * (UPSTREAM_TIMEOUT_MS - 200));
  return UPSTREAM_TIMEOUT_MS + Math.floor(rand() * (IDLE_TIMEOUT_MS * 0.6 - UPSTREAM_TIMEOUT_MS));
}

// Writers on several sessions contend for the same rows: the test upstream
// answers a locked database with SQLITE_BUSY, an error result — never a close.
const isContention = (e) => /SQLITE_BUSY|database is locked/i.test(`${e?.code} ${e?.message}`);

async function runUntil(deadline, rand, burst) {
  let bursts = 0;
  while (Date.now() < deadline) {
    await burst(bursts++);
    await sleep(pause(rand));
  }
  return bursts;
}

// @libsql/client over ws:// (hrana2 JSON, SQL stored by sql_id) or http://.
async function libsqlClientSession(url, seed, deadline) {
  const client = createClient({ url, authToken: token });
  const rand = random(seed);
  let busy = 0;
  try {
    const bursts = await runUntil(deadline, rand, async (n) => {
      try {
        const tx = await client.transaction("write");
        try {
          await tx.execute({ sql: "INSERT INTO notes (body) VALUES (?)", args: [`s${seed}-${n}`] });
          const rows = await tx.execute("SELECT count(*) AS n FROM notes");
          assert.ok(Number(rows.rows[0].n) >= 1);
          if (rand() < 0.5) await tx.rollback();
          else await tx.commit();
        } finally {
          tx.close();
        }
      } catch (e) {
        if (!isContention(e)) throw e;
        busy++;
      }
      const read = await client.execute("SELECT body FROM notes WHERE id = 1");
      assert.equal(read.rows[0].body, "hello");
    });
    return { bursts, busy };
  } finally {
    client.close();
  }
}

// @libsql/hrana-client over hrana3-protobuf: its own streams, BEGIN … ROLLBACK.
async function protobufSession(seed, deadline) {
  const client = hrana.openWs(gate.url.replace(/^http/, "ws"), token, 3);
  const rand = random(seed);
  let busy = 0;
  let closed = null;
  try {
    assert.equal(await client.getVersion(), 3);
    const bursts = await runUntil(deadline, rand, async (n) => {
      const stream = client.openStream();
      try {
        await stream.run("BEGIN IMMEDIATE");
        await stream.run(["UPDATE notes SET body = body WHERE id = ?", [n % 3 + 1]]);
        await stream.query("SELECT id FROM notes ORDER BY id LIMIT 2");
        await stream.run("ROLLBACK");
      } catch (e) {
        if (client.closed) closed = e;
        if (!isContention(e)) throw e;
        busy++;
      } finally {
        stream.close();
      }
    });
    return { bursts, busy };
  } catch (e) {
    throw closed ?? e;
  } finally {
    client.close();
  }
}

// Raw hrana3 JSON frames, pipelined: open_stream, BEGIN, read or write, ROLLBACK,
// close_stream sent together, then every answer read. A close shows as null.
async function rawSession(seed, deadline) {
  const conn = await openWs(gate.url.replace(/^http/, "ws"), ["hrana3"]);
  conn.send(hello(token));
  assert.deepEqual(await conn.next(), { type: "hello_ok" });
  const rand = random(seed);
  let id = 0;
  let busy = 0;
  try {
    const bursts = await runUntil(deadline, rand, async (n) => {
      const stream = n + 1;
      const write = rand() < 0.5;
      const steps = [
        { type: "open_stream", stream_id: stream },
        { type: "execute", stream_id: stream, stmt: { sql: write ? "BEGIN IMMEDIATE" : "BEGIN", want_rows: false } },
        { type: "execute", stream_id: stream, stmt: {
          sql: write ? `INSERT INTO notes (body) VALUES ('raw-${seed}-${n}')` : "SELECT count(*) FROM notes",
          want_rows: true } },
        // Reads pipelined behind it: upstream's answers keep arriving while the
        // gate is still writing the next requests upstream.
        ...Array.from({ length: 1 + Math.floor(rand() * 24) }, (_, i) => (
          { type: "execute", stream_id: stream, stmt: { sql: `SELECT ${i}, body FROM notes WHERE id = 1`, want_rows: true } })),
        { type: "execute", stream_id: stream, stmt: { sql: "ROLLBACK", want_rows: false } },
        { type: "close_stream", stream_id: stream },
      ];
      const first = id;
      let burstBusy = false;
      // A window of requests in flight: each answer lets the next request go, so
      // the gate writes upstream while upstream's answers arrive.
      const window = 4;
      let sent = 0;
      const sendNext = (count) => {
        const batch = steps.slice(sent, sent + count);
        sent += batch.length;
        if (batch.length > 0) conn.sendTogether(batch.map((step, i) => request(first + sent - batch.length + i + 1, step)));
      };
      sendNext(window);
      id = first + steps.length;
      for (let expected = first + 1; expected <= id; expected++) {
        const answer = await conn.next();
        sendNext(1);
        if (answer === null) assert.fail(`the gate closed a healthy session (${JSON.stringify(await conn.closed)})`);
        assert.equal(answer.request_id, expected);
        if (answer.type === "response_error") {
          // Once BEGIN lost the race for the lock, ROLLBACK has no transaction to end.
          const afterBusy = burstBusy && /no transaction is active/.test(answer.error.message);
          if (!isContention(answer.error) && !afterBusy) assert.fail(`unexpected error: ${JSON.stringify(answer.error)}`);
          burstBusy = true;
          busy++;
        }
      }
    });
    return { bursts, busy };
  } finally {
    conn.close();
    await conn.closed;
  }
}

async function closesByReason() {
  const text = await (await fetch(gate.admin + "/metrics")).text();
  const counts = {};
  for (const match of text.matchAll(/^libsql_gate_upstream_websocket_closes_total\{reason="([a-z_]+)"\} (\d+)/gm)) {
    counts[match[1]] = Number(match[2]);
  }
  return counts;
}

test(`long sessions: ${RUN_MS} ms of bursts and pauses over WebSocket and HTTP, nothing closed`, { timeout: RUN_MS + 60_000 }, async () => {
  const before = await closesByReason();
  const deadline = Date.now() + RUN_MS;
  const wsUrl = gate.url.replace(/^http/, "ws");
  const sessions = await Promise.all([
    libsqlClientSession(wsUrl, SEED + 1, deadline),
    libsqlClientSession(wsUrl, SEED + 2, deadline),
    protobufSession(SEED + 3, deadline),
    rawSession(SEED + 4, deadline),
    rawSession(SEED + 5, deadline),
    rawSession(SEED + 8, deadline),
    rawSession(SEED + 9, deadline),
    libsqlClientSession(gate.url, SEED + 6, deadline),
    libsqlClientSession(gate.url, SEED + 7, deadline),
  ]);
  const bursts = sessions.reduce((n, s) => n + s.bursts, 0);
  assert.ok(bursts > sessions.length, `only ${bursts} bursts ran`);

  const failures = gate.logs.filter((r) => /upstream websocket (failed|timed out|closed)/.test(r.msg ?? ""));
  assert.deepEqual(failures, [], "the gate logged no upstream WebSocket failure");

  // Every WebSocket session was closed once, by its client, after the run.
  const webSocketSessions = 7;
  let after = {};
  for (let i = 0; i < 50; i++) {
    after = await closesByReason();
    if ((after.client ?? 0) - (before.client ?? 0) >= webSocketSessions) break;
    await sleep(100);
  }
  const delta = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]));
  assert.deepEqual(delta, {
    client: webSocketSessions, client_idle: 0, upstream_closed: 0, upstream_idle: 0, timeout: 0,
    upstream_failed: 0, shutdown: 0, internal_error: 0,
  }, `closes during the run: ${JSON.stringify(delta)}`);
});

test("an upstream that does not answer within upstream.timeout_ms still ends the session (timeout)", async () => {
  const before = await closesByReason();
  const conn = await openWs(gate.url.replace(/^http/, "ws"), ["hrana3"]);
  conn.send(hello(token));
  assert.deepEqual(await conn.next(), { type: "hello_ok" });
  // The test upstream runs SQL synchronously: a long recursive query holds its
  // whole event loop, so this exchange outlives upstream.timeout_ms.
  conn.send(request(1, { type: "open_stream", stream_id: 1 }));
  assert.equal((await conn.next()).type, "response_ok");
  const slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) SELECT count(*) FROM c";
  conn.send(request(2, { type: "execute", stream_id: 1, stmt: { sql: slow, want_rows: true } }));
  const answer = await conn.next();
  const closed = await conn.closed;
  assert.equal(answer, null, "no answer: the connection ended");
  assert.equal(closed.code, 1011);
  assert.match(closed.reason, /upstream\.timeout_ms/);
  let after = {};
  for (let i = 0; i < 50; i++) {
    after = await closesByReason();
    if ((after.timeout ?? 0) > (before.timeout ?? 0)) break;
    await sleep(100);
  }
  assert.equal(after.timeout - (before.timeout ?? 0), 1);
});
