// Test upstream: a Hrana 3 server (HTTP and WebSocket) on better-sqlite3 (or libSQL's engine) that stands in for
// sqld in every test (no sqld binary can be installed here). Test equipment,
// not product; see tests/upstream/README.md.
//
//   node tests/upstream/server.mjs --port 0 [--host 127.0.0.1] [--db PATH|:memory:]
//     [--schema FILE.sql] [--seed FILE.sql] [--jwt-key-file ed25519-public.pem]
//     [--stream-idle-ms 10000] [--base-url URL]
//     [--ws-protocols hrana3-protobuf,hrana3,hrana2,hrana1] [--ws-max-outstanding 64]
//     [--engine better-sqlite3|libsql]
//
// When ready it prints exactly one line to stdout: {"listening":"http://127.0.0.1:PORT"}

import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { SqlConnection } from "./connection.mjs";
import { openDatabase, checkEngine } from "./engine.mjs";
import { StreamRegistry } from "./streams.mjs";
import { loadJwtVerifier } from "./auth.mjs";
import { handlePipeline, handleCursor, HTTP_ENCODINGS } from "./hrana_http.mjs";
import { sqlTexts, httpRequestTypes } from "./recording.mjs";
import { HranaWsHub, WS_SUBPROTOCOLS } from "./hrana_ws.mjs";
import { ProtocolError, StreamExpiredError } from "./errors.mjs";

const TEST_PREFIX = "/_test/";

function sendJson(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

function sendBody(res, status, contentType, data) {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(data) });
  res.end(data);
}

function sendText(res, status, text) {
  res.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

// `message` and `code` form the Hrana Error clients parse; `error` is the
// field sqld's own HTTP errors carry.
function sendError(res, status, message, code) {
  sendJson(res, status, { error: message, message, code });
}

// Reads the whole body; one over `limit` is drained and refused (413) so the
// client still gets an answer.
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > limit) reject(new ProtocolError(`Request body is over ${limit} bytes`, "PROTO_ERROR", 413));
      else resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

function sqliteVersion(engine) {
  const db = openDatabase(":memory:", engine);
  try {
    return db.prepare("SELECT sqlite_version()").pluck().get();
  } finally {
    db.close();
  }
}

const HRANA_POST = new Map([
  ["/v2/pipeline", { endpoint: "pipeline", version: 2, encoding: HTTP_ENCODINGS.json }],
  ["/v3/pipeline", { endpoint: "pipeline", version: 3, encoding: HTTP_ENCODINGS.json }],
  ["/v3/cursor", { endpoint: "cursor", version: 3, encoding: HTTP_ENCODINGS.json }],
  ["/v3-protobuf/pipeline", { endpoint: "pipeline", version: 3, encoding: HTTP_ENCODINGS.protobuf }],
  ["/v3-protobuf/cursor", { endpoint: "cursor", version: 3, encoding: HTTP_ENCODINGS.protobuf }],
]);

const PROBES = ["/v2", "/v3", "/v3-protobuf", "/health", "/version"];

async function route(server, req, res) {
  const url = new URL(req.url, "http://upstream.invalid");
  const path = url.pathname;

  if (path.startsWith(TEST_PREFIX)) return routeTest(server, req, res, path);

  const hrana = HRANA_POST.get(path);
  const record = {
    transport: "http",
    method: req.method,
    path,
    encoding: hrana?.encoding.name ?? null,
    authorization: req.headers.authorization !== undefined,
    headers: { ...req.headers },
    body: null,
    requests: [],
    sql: [],
  };
  server.received.push(record);

  if (req.method === "GET") {
    switch (path) {
      case "/v2":
      case "/v3":
        return sendText(res, 200, "Hello, this is HTTP API v2 (Hrana over HTTP)");
      case "/v3-protobuf":
        return sendText(res, 200, "Hello, this is HTTP API v3 (Hrana over HTTP with Protobuf)");
      case "/health":
        res.writeHead(200);
        return res.end();
      case "/version":
        return sendText(res, 200, server.versionText);
    }
  }
  if (hrana === undefined) {
    res.writeHead(PROBES.includes(path) ? 405 : 404);
    return res.end();
  }
  if (req.method !== "POST") {
    res.writeHead(405);
    return res.end();
  }

  const raw = await readBody(req, server.maxBodyBytes);
  const { encoding } = hrana;
  let body;
  let badBody = null;
  try {
    body = encoding.decode(raw, hrana.endpoint);
    record.body = body;
    record.requests = httpRequestTypes(hrana.endpoint, body);
    record.sql = sqlTexts(body);
  } catch (err) {
    badBody = err;
    record.body = encoding.undecodable(raw);
  }

  // As in sqld, authentication comes before the body is looked at.
  if (server.verifyJwt) {
    const failure = await server.verifyJwt.header(req.headers.authorization);
    if (failure) return sendError(res, failure.status, failure.message, failure.code);
  }
  if (badBody) throw badBody;
  if (hrana.endpoint === "pipeline") {
    const respBody = await handlePipeline(server, body, hrana.version);
    return sendBody(res, 200, encoding.contentType, encoding.encodePipeline(respBody));
  }
  return handleCursor(server, body, res, encoding);
}

function routeTest(server, req, res, path) {
  if (req.method === "GET" && path === "/_test/received") return sendJson(res, 200, server.received);
  if (req.method === "GET" && path === "/_test/ws") return sendJson(res, 200, server.ws.stats());
  if (req.method === "GET" && path === "/_test/streams") return sendJson(res, 200, { open: server.registry.size });
  if (req.method === "POST" && path === "/_test/reset") {
    server.reset();
    return sendJson(res, 200, { ok: true });
  }
  res.writeHead(404);
  res.end();
}

function handleFailure(res, err) {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ProtocolError || err instanceof StreamExpiredError) {
      sendError(res, err.status, err.message, err.code);
      return;
    }
    process.stderr.write(`test upstream: internal error: ${err?.stack ?? err}\n`);
    sendError(res, 500, `Internal Error: \`${err?.message ?? err}\``, "INTERNAL");
  } catch {
    res.destroy();
  }
}

function prepareDatabase({ db, schema, seed, engine }) {
  let dir = null;
  let path = db;
  if (db === ":memory:") {
    // Each stream has its own connection, so "in memory" must still be one
    // file that all of them open.
    dir = mkdtempSync(join(tmpdir(), "libsql-gate-upstream-"));
    path = join(dir, "db.sqlite");
  }
  const setup = openDatabase(path, engine);
  try {
    setup.pragma("journal_mode = WAL");
    if (schema) setup.exec(readFileSync(schema, "utf8"));
    if (seed) setup.exec(readFileSync(seed, "utf8"));
  } finally {
    setup.close();
  }
  return { path, cleanup: () => { if (dir) rmSync(dir, { recursive: true, force: true }); } };
}

// Starts the upstream in this process. Options: port (0), host ("127.0.0.1"),
// db (":memory:"), schema, seed (SQL file paths), jwtKeyFile (Ed25519 public
// PEM), streamIdleMs (10000), expiredRetainMs (300000), baseUrl (null),
// maxBodyBytes (64 MiB), wsProtocols (all four: the WebSocket subprotocols
// accepted), wsMaxOutstanding (64: requests per WebSocket connection before
// the upstream stops reading), engine ("better-sqlite3", or "libsql" for
// libSQL's own engine: see engine.mjs).
export async function startUpstream(opts = {}) {
  const host = opts.host ?? "127.0.0.1";
  const engine = checkEngine(opts.engine ?? process.env.LIBSQL_GATE_UPSTREAM_ENGINE ?? "better-sqlite3");
  // Options are checked (and the JWT key read) before the database is made,
  // so a bad option leaves no temporary file behind.
  let database = null;
  const openConnection = () => new SqlConnection(database.path, engine);
  const server = {
    baseUrl: opts.baseUrl ?? null,
    maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024 * 1024,
    received: [],
    verifyJwt: opts.jwtKeyFile ? await loadJwtVerifier(opts.jwtKeyFile) : null,
    versionText: `libsql-gate test upstream (${engine}, SQLite ${sqliteVersion(engine)})`,
    openConnection,
    registry: new StreamRegistry({
      openConnection,
      idleMs: opts.streamIdleMs ?? 10_000,
      expiredRetainMs: opts.expiredRetainMs ?? 300_000,
    }),
    reset() {
      server.received.length = 0;
      server.ws.reset();
    },
  };
  server.ws = new HranaWsHub(server, {
    protocols: opts.wsProtocols ?? WS_SUBPROTOCOLS,
    maxOutstanding: opts.wsMaxOutstanding ?? 64,
    maxPayload: server.maxBodyBytes,
    coalesceAnswers: opts.wsCoalesceAnswers ?? false,
  });
  database = prepareDatabase({ db: opts.db ?? ":memory:", schema: opts.schema, seed: opts.seed, engine });

  const http = createServer((req, res) => {
    route(server, req, res).catch((err) => handleFailure(res, err));
  });
  http.on("clientError", (_err, socket) => socket.destroy());
  http.on("upgrade", (req, socket, head) => server.ws.handleUpgrade(req, socket, head));
  // sqld (hyper) keeps idle keep-alive connections open; Node's 5 s default
  // would close pooled upstream connections under the gate mid-test. Tests of
  // the gate's pool set a short one (opts.keepAliveMs) on purpose.
  http.keepAliveTimeout = opts.keepAliveMs ?? 600_000;
  await new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port ?? 0, host, resolve);
  });
  const port = http.address().port;

  let closed = null;
  return {
    url: `http://${host}:${port}`,
    port,
    dbPath: database.path,
    wsUrl: `ws://${host}:${port}`,
    received: server.received,
    registry: server.registry,
    ws: server.ws,
    reset() { server.reset(); },
    // Every SQL text received so far, over any transport and encoding.
    receivedSql() { return server.received.flatMap((r) => r.sql); },
    close() {
      closed ??= new Promise((resolve) => {
        server.ws.closeAll();
        http.close(() => resolve());
        http.closeAllConnections();
      }).then(() => {
        server.registry.closeAll();
        database.cleanup();
      });
      return closed;
    },
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      db: { type: "string", default: ":memory:" },
      schema: { type: "string" },
      seed: { type: "string" },
      "jwt-key-file": { type: "string" },
      "stream-idle-ms": { type: "string", default: "10000" },
      "base-url": { type: "string" },
      "ws-protocols": { type: "string" },
      "ws-max-outstanding": { type: "string", default: "64" },
      engine: { type: "string", default: "better-sqlite3" },
    },
    strict: true,
  });
  const port = Number(values.port);
  const idle = Number(values["stream-idle-ms"]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port: ${values.port}`);
  if (!Number.isInteger(idle) || idle <= 0) throw new Error(`--stream-idle-ms: not a positive integer`);
  if (values.host !== "127.0.0.1" && values.host !== "localhost") {
    throw new Error("--host: the test upstream listens on loopback only");
  }
  const upstream = await startUpstream({
    port,
    host: values.host,
    db: values.db,
    schema: values.schema,
    seed: values.seed,
    jwtKeyFile: values["jwt-key-file"],
    streamIdleMs: idle,
    baseUrl: values["base-url"] ?? null,
    // Checked by the WebSocket hub: an unknown subprotocol or a count that is
    // not a positive integer exits 2 like any bad flag.
    wsProtocols: values["ws-protocols"]?.split(",").map((p) => p.trim()),
    wsMaxOutstanding: Number(values["ws-max-outstanding"]),
    engine: values.engine,
  });
  process.stdout.write(JSON.stringify({ listening: upstream.url }) + "\n");
  const stop = () => upstream.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`test upstream: ${err.message}\n`);
    process.exit(2);
  });
}
