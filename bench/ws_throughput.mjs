#!/usr/bin/env node
// bench/ws_throughput.mjs — Hrana over WebSocket request throughput through the
// gate against the same upstream directly, side by side in one run (issue 7).
// Not a test: no thresholds. Writes a Markdown section to stdout; with
// `--json FILE` also one JSON line per measured run.
//
//   LIBSQL_GATE_BIN=build/proxy/libsql-gate node bench/ws_throughput.mjs
//
// Knobs (environment): BENCH_DURATION (s measured per run, 5), BENCH_ROUNDS (3),
// WS_BENCH_CONNECTIONS (N, 8), WS_BENCH_OUTSTANDING (K requests kept in flight
// per connection, 16), WS_BENCH_WARMUP (s before measuring, 1),
// WS_BENCH_ENCODINGS (json,protobuf), WS_BENCH_UPSTREAMS (node,fixed).
//
// Setup, once per upstream kind: the upstream in its own process — the Node
// test upstream (tests/upstream/server.mjs, deploy/dev schema and seed), then
// a fixed-answer one (bench/tools/ws_fixed_upstream.mjs) that isolates the
// gate's own cost from the test upstream's slowness — the gate in its own
// process in front of it (static-key RS256 issuer, access log off), and this
// process as the client.
// Each run opens N raw `ws` connections with subprotocol hrana3 (JSON) or
// hrana3-protobuf, says hello (the gate: one warm token for all; direct: no
// token, the upstream has no auth), opens one stream, and then keeps K
// `execute` requests of `SELECT name FROM users WHERE id = ?` outstanding on
// it: every response sends the next request. Frames are prebuilt and responses
// only read as far as the request id, so the client stays cheap. Per round and
// encoding, direct and gate run back to back, the order alternating per round.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, appendFileSync, readFileSync } from "node:fs";
import { tmpdir, loadavg, availableParallelism } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import WebSocket from "ws";
import { Writer } from "../tests/upstream/protobuf_wire.mjs";
import { varint, readVarint } from "./tools/fast_varint.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
process.env.LIBSQL_GATE_BIN = resolve(root, process.env.LIBSQL_GATE_BIN ?? "build/proxy/libsql-gate");
const { startGate, waitForReadiness, gateBinary } = await import("../tests/integration/gate_process.mjs");

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const DURATION_S = num("BENCH_DURATION", 5);
const ROUNDS = num("BENCH_ROUNDS", 3);
const CONNECTIONS = num("WS_BENCH_CONNECTIONS", 8);
const OUTSTANDING = num("WS_BENCH_OUTSTANDING", 16);
const WARMUP_S = num("WS_BENCH_WARMUP", 1);
const ENCODINGS = (process.env.WS_BENCH_ENCODINGS ?? "json,protobuf").split(",");
const jsonOut = process.argv.includes("--json") ? process.argv[process.argv.indexOf("--json") + 1] : undefined;

const SQL = "SELECT name FROM users WHERE id = ?";
const SUBPROTOCOL = { json: "hrana3", protobuf: "hrana3-protobuf" };
const log = (msg) => process.stderr.write(`[ws_throughput] ${msg}\n`);

// ---------------------------------------------------------------- frames
// One encoding's frames: hello, open_stream, the execute request for an id,
// and the request id (and whether it was ok) of a server message.
const FRAMES = {
  json: {
    hello: (jwt) => JSON.stringify(jwt === undefined ? { type: "hello" } : { type: "hello", jwt }),
    openStream: (id) => JSON.stringify({ type: "request", request_id: id, request: { type: "open_stream", stream_id: 1 } }),
    execute: (() => {
      const tail = `,"request":${JSON.stringify({
        type: "execute", stream_id: 1, stmt: { sql: SQL, args: [{ type: "integer", value: "1" }], want_rows: true },
      })}}`;
      return (id) => `{"type":"request","request_id":${id}${tail}`;
    })(),
    answer(data) {
      const msg = JSON.parse(data);
      return { type: msg.type, id: msg.request_id };
    },
  },
  protobuf: {
    hello: (jwt) => new Writer().message(1, (w) => { if (jwt !== undefined) w.string(1, jwt); }).finish(),
    openStream: (id) => new Writer().message(2, (w) => w.int32(1, id).message(2, (o) => o.int32(1, 1))).finish(),
    execute: (() => {
      // RequestMsg field 4 (execute), prebuilt; only request_id (field 1) changes.
      const execute = new Writer().message(4, (w) => w.int32(1, 1).message(2, (stmt) => stmt
        .string(1, SQL).message(3, (v) => v.sint64(2, 1)).bool(5, true))).finish();
      return (id) => {
        const idBytes = varint(id);
        const innerLength = 1 + idBytes.length + execute.length;
        return Buffer.concat([Buffer.from([0x12, ...varint(innerLength), 0x08, ...idBytes]), execute]);
      };
    })(),
    // ServerMsg: field 1 hello_ok, 2 hello_error, 3 response_ok, 4 response_error;
    // the two responses start with request_id (field 1).
    answer(data) {
      const type = ["?", "hello_ok", "hello_error", "response_ok", "response_error"][data[0] >> 3] ?? "?";
      if (type !== "response_ok" && type !== "response_error") return { type };
      let pos = readVarint(data, 1)[1]; // past the embedded message's length
      let id = 0;
      while (pos < data.length) {
        const [key, next] = readVarint(data, pos);
        if (key === 0x08) {
          id = readVarint(data, next)[0];
          break;
        }
        if ((key & 7) !== 2) throw new Error(`unexpected field ${key} in a response`);
        const [length, body] = readVarint(data, next);
        pos = body + length;
      }
      return { type, id };
    },
  },
};



// ---------------------------------------------------------------- one run
// Opens a connection, says hello, opens stream 1 and checks one execute.
async function openConnection(url, encoding, jwt) {
  const frames = FRAMES[encoding];
  const socket = new WebSocket(url, [SUBPROTOCOL[encoding]], { perMessageDeflate: false });
  await new Promise((res, rej) => {
    socket.once("open", res);
    socket.once("error", rej);
    socket.once("unexpected-response", (_req, response) => rej(new Error(`upgrade answered ${response.statusCode}`)));
  });
  if (socket.protocol !== SUBPROTOCOL[encoding]) throw new Error(`negotiated ${socket.protocol}, wanted ${SUBPROTOCOL[encoding]}`);
  const next = () => new Promise((res, rej) => {
    socket.once("message", (data) => res(frames.answer(data)));
    socket.once("close", (code, reason) => rej(new Error(`closed ${code} ${reason}`)));
  });
  socket.send(frames.hello(jwt));
  const hello = await next();
  if (hello.type !== "hello_ok") throw new Error(`hello answered ${hello.type}`);
  socket.send(frames.openStream(1));
  if ((await next()).type !== "response_ok") throw new Error("open_stream failed");
  socket.send(frames.execute(2));
  const first = await next();
  if (first.type !== "response_ok") throw new Error(`execute answered ${first.type}`);
  socket.removeAllListeners("close");
  return socket;
}

// CPU seconds (user + system) a process has used so far, from /proc.
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime (fields 14, 15)
}

// N connections with K requests each in flight for warmup + duration seconds;
// counts and latencies only of responses received in the measured window, and
// the CPU time `gatePid` (if any) used in it.
async function measure(url, encoding, jwt, gatePid) {
  const frames = FRAMES[encoding];
  const sockets = await Promise.all(Array.from({ length: CONNECTIONS }, () => openConnection(url, encoding, jwt)));
  const latencies = [];
  let completed = 0;
  let errors = 0;
  let measuring = false;
  let stopping = false;
  let inFlight = 0;
  let drained;
  const allDrained = new Promise((res) => (drained = res));
  for (const socket of sockets) {
    const sentAt = new Map();
    let nextId = 10;
    const send = () => {
      const id = nextId++;
      sentAt.set(id, performance.now());
      inFlight++;
      socket.send(frames.execute(id));
    };
    socket.on("message", (data) => {
      const now = performance.now();
      const { type, id } = frames.answer(data);
      const t0 = sentAt.get(id);
      if (t0 === undefined) throw new Error(`answer to unknown request ${id} (${type})`);
      sentAt.delete(id);
      inFlight--;
      if (type !== "response_ok") errors++;
      if (measuring) {
        completed++;
        latencies.push(now - t0);
      }
      if (!stopping) send();
      else if (inFlight === 0) drained();
    });
    for (let i = 0; i < OUTSTANDING; i++) send();
  }
  await sleep(WARMUP_S * 1000);
  measuring = true;
  const t0 = performance.now();
  const cpu0 = gatePid === undefined ? 0 : cpuSeconds(gatePid);
  await sleep(DURATION_S * 1000);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const gateCpu = gatePid === undefined ? undefined : cpuSeconds(gatePid) - cpu0;
  stopping = true;
  await Promise.race([allDrained, sleep(5000)]);
  await Promise.all(sockets.map((socket) => new Promise((res) => {
    socket.once("close", res);
    socket.close(1000);
    setTimeout(() => { socket.terminate(); res(); }, 2000).unref();
  })));
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { rps: completed / seconds, completed, errors, p50_ms: pct(0.5), p99_ms: pct(0.99),
           gate_cpu_us_per_request: gateCpu === undefined ? undefined : (gateCpu * 1e6) / completed };
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// ---------------------------------------------------------------- processes
// The upstream kinds: the Node test upstream (SQLite through better-sqlite3,
// every message recorded) and the fixed-answer one (no SQL, no bookkeeping).
const UPSTREAMS = {
  node: {
    title: "Node test upstream (better-sqlite3)",
    args: () => [join(root, "tests/upstream/server.mjs"), "--port", "0",
      "--schema", join(root, "deploy/dev/schema.sql"), "--seed", join(root, "deploy/dev/seed.sql"),
      "--ws-max-outstanding", String(Math.max(64, OUTSTANDING * 2))],
    // It records every message for the tests: cleared after each run.
    afterRun: (url) => fetch(`${url}/_test/reset`, { method: "POST" }).then((r) => r.arrayBuffer()),
  },
  fixed: {
    title: "fixed-answer upstream (bench/tools/ws_fixed_upstream.mjs)",
    args: () => [join(root, "bench/tools/ws_fixed_upstream.mjs")],
    afterRun: async () => {},
  },
};
const UPSTREAM_KINDS = (process.env.WS_BENCH_UPSTREAMS ?? "node,fixed").split(",");

async function startUpstream(kind) {
  const child = spawn(process.execPath, UPSTREAMS[kind].args(), { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise((res, rej) => {
    createInterface({ input: child.stdout }).once("line", res);
    child.once("exit", (code) => rej(new Error(`upstream ${kind} exited ${code}`)));
  });
  const { listening } = JSON.parse(line);
  return {
    url: listening,
    stop: () => new Promise((res) => {
      if (child.exitCode !== null) return res();
      child.once("exit", res);
      child.kill("SIGTERM");
    }),
  };
}

async function startGateFor(upstreamUrl, keysDir) {
  const iss = "https://bench.libsql-gate.invalid";
  const config = [
    'listen: "127.0.0.1:0"',
    'admin_listen: "127.0.0.1:0"',
    "upstream:",
    `  url: ${JSON.stringify(upstreamUrl)}`,
    "issuers:",
    "  - name: bench",
    `    issuer: ${JSON.stringify(iss)}`,
    `    jwks_file: ${JSON.stringify(join(keysDir, "jwks.json"))}`,
    "    algorithms: [RS256]",
    "limits:",
    "  drain_timeout_ms: 1000",
    "logging:",
    "  level: info",  // the "listening" line is info; access_log off keeps it quiet
    "  access_log: false",
    "",
  ].join("\n");
  const gate = await startGate(config);
  const ready = await waitForReadiness(gate).catch((err) => ({ status: 0, body: String(err) }));
  if (ready.status !== 200) {
    await gate.stop();
    throw new Error(`gate not ready: ${JSON.stringify(ready.body)}`);
  }
  const token = execFileSync(gateBinary, ["mint", "--key", join(keysDir, "private.pem"), "--kid", "bench-ws",
    "--iss", iss, "--sub", "bench-ws", "--perm", "users:data_read", "--ttl", "1h"]).toString().trim();
  return { gate, token };
}

// ---------------------------------------------------------------- report
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs, digits) => `${median(xs).toFixed(digits)} [${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}]`;

function report(runs) {
  const lines = [
    "## WebSocket throughput (bench/ws_throughput.mjs)",
    "",
    `${CONNECTIONS} connections × ${OUTSTANDING} outstanding \`execute\` (\`${SQL}\`, one row) on one stream each, ` +
      `${DURATION_S} s measured after ${WARMUP_S} s warm-up, ${ROUNDS} rounds; median [min–max] over rounds; ` +
      "the ratio is computed within each round. Latency is client-side, send to response, with K requests queued per connection. " +
      "Gate CPU: user + system time of the gate process in the measured window (/proc) per completed request.",
    "",
    "| upstream | subprotocol | direct req/s | through gate req/s | gate/direct | direct p50 / p99 ms | gate p50 / p99 ms | gate CPU µs/req | errors |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const kind of UPSTREAM_KINDS) {
    for (const encoding of ENCODINGS) {
      const of = (target) => runs.filter((r) => r.upstream === kind && r.encoding === encoding && r.target === target);
      const direct = of("direct");
      const gate = of("gate");
      const ratios = gate.map((g) => g.rps / direct.find((d) => d.round === g.round).rps);
      const latency = (rs) => `${spread(rs.map((r) => r.p50_ms), 2)} / ${spread(rs.map((r) => r.p99_ms), 2)}`;
      const errors = [...direct, ...gate].reduce((n, r) => n + r.errors, 0);
      lines.push(`| ${kind} | ${SUBPROTOCOL[encoding]} | ${spread(direct.map((r) => r.rps), 0)} | ` +
        `${spread(gate.map((r) => r.rps), 0)} | ${spread(ratios, 2)} | ${latency(direct)} | ${latency(gate)} | ` +
        `${spread(gate.map((r) => r.gate_cpu_us_per_request), 1)} | ${errors} |`);
    }
  }
  lines.push("", ...UPSTREAM_KINDS.map((kind) => `- ${kind}: ${UPSTREAMS[kind].title}`));
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------- main
const work = mkdtempSync(join(tmpdir(), "libsql-gate-ws-bench-"));
let upstream;
let gate;
// Interrupted: stop what this script started, then exit.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, async () => {
    await gate?.stop();
    await upstream?.stop();
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  execFileSync(gateBinary, ["keygen", "--alg", "RS256", "--kid", "bench-ws", "--out", work], { stdio: "ignore" });
  const load = [loadavg()[0]];
  const runs = [];
  for (const kind of UPSTREAM_KINDS) {
    upstream = await startUpstream(kind);
    const started = await startGateFor(upstream.url, work);
    gate = started.gate;
    const targets = {
      direct: { url: upstream.url.replace(/^http:/, "ws:"), jwt: undefined },
      gate: { url: gate.url.replace(/^http:/, "ws:"), jwt: started.token, pid: gate.child.pid },
    };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const encoding of ENCODINGS) {
        const order = round % 2 ? ["direct", "gate"] : ["gate", "direct"];
        for (const target of order) {
          const measured = await measure(targets[target].url, encoding, targets[target].jwt, targets[target].pid);
          await UPSTREAMS[kind].afterRun(upstream.url);
          const result = { upstream: kind, round, encoding, target, ...measured };
          runs.push(result);
          log(`${kind} round ${round} ${encoding} ${target}: ${result.rps.toFixed(0)} req/s, ` +
              `p50 ${result.p50_ms.toFixed(2)} ms, p99 ${result.p99_ms.toFixed(2)} ms, errors ${result.errors}`);
          if (jsonOut) {
            appendFileSync(jsonOut, JSON.stringify({ section: "ws_throughput", connections: CONNECTIONS, outstanding: OUTSTANDING, ...result }) + "\n");
          }
        }
      }
    }
    await gate.stop();
    gate = undefined;
    await upstream.stop();
    upstream = undefined;
  }
  load.push(loadavg()[0]);
  process.stdout.write(report(runs));
  process.stdout.write(`\nLoad average (1 min) at start / end: ${load.map((x) => x.toFixed(2)).join(" / ")} on ` +
    `${availableParallelism()} CPUs. Command: \`BENCH_DURATION=${DURATION_S} BENCH_ROUNDS=${ROUNDS} ` +
    `WS_BENCH_CONNECTIONS=${CONNECTIONS} WS_BENCH_OUTSTANDING=${OUTSTANDING} node bench/ws_throughput.mjs\`\n`);
} finally {
  await gate?.stop();
  await upstream?.stop();
  rmSync(work, { recursive: true, force: true });
}
