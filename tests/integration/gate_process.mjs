// Starts the real libsql-gate binary for integration tests: writes a config
// (SPEC §2) into a temporary directory, runs `serve`, and reads the ports from
// its `listening` log line. The binary comes from LIBSQL_GATE_BIN (default
// build/proxy/libsql-gate relative to the repository root).
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import net from "node:net";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const gateBinary = resolve(root, process.env.LIBSQL_GATE_BIN ?? "build/proxy/libsql-gate");

// A static Ed25519 JWKS: enough for the config to name an issuer.
const DEV_JWKS = {
  keys: [{ kty: "OKP", crv: "Ed25519", kid: "k1", alg: "EdDSA", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }],
};

export function gateConfig({ upstreamUrl, limits = {}, logging = {}, publicUrl = null, upstreamTimeoutMs = 5000 }) {
  const lines = [
    'listen: "127.0.0.1:0"',
    'admin_listen: "127.0.0.1:0"',
    `public_url: ${publicUrl === null ? "null" : JSON.stringify(publicUrl)}`,
    "upstream:",
    `  url: ${JSON.stringify(upstreamUrl)}`,
    `  timeout_ms: ${upstreamTimeoutMs}`,
    "issuers:",
    "  - name: dev",
    '    issuer: "https://dev.example"',
    "    jwks_file: jwks.json",
    "    algorithms: [EdDSA]",
    "limits:",
    ...Object.entries({ idle_timeout_ms: 2000, drain_timeout_ms: 3000, ...limits }).map(([k, v]) => `  ${k}: ${v}`),
    "logging:",
    ...Object.entries({ level: "info", ...logging }).map(([k, v]) => `  ${k}: ${v}`),
  ];
  return lines.join("\n") + "\n";
}

// A config for a gate in front of a JWT-protected upstream (the gate presents
// `upstreamToken`), trusting the development issuer's JWKS file with no clock skew.
export function upstreamTokenConfig({ upstreamUrl, upstreamToken, jwksFile, upstreamTimeoutMs = 5000, limits = {},
                                      audit = false }) {
  let text = gateConfig({ upstreamUrl, upstreamTimeoutMs, limits })
    .replace("jwks_file: jwks.json", `jwks_file: ${JSON.stringify(jwksFile)}\n    clock_skew_s: 0`)
    .replace(`  url: ${JSON.stringify(upstreamUrl)}`, `  url: ${JSON.stringify(upstreamUrl)}\n  auth_token: ${JSON.stringify(upstreamToken)}`);
  if (audit) text += "policy:\n  mode: audit\n";
  return text;
}

export async function startGate(configText) {
  const dir = mkdtempSync(join(tmpdir(), "libsql-gate-it-"));
  writeFileSync(join(dir, "jwks.json"), JSON.stringify(DEV_JWKS));
  const configPath = join(dir, "gate.yaml");
  writeFileSync(configPath, configText);
  const child = spawn(gateBinary, ["serve", "--config", configPath], { stdio: ["ignore", "pipe", "pipe"] });
  const logs = [];
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((res) => child.on("exit", (code, signal) => res({ code, signal })));
  const waiters = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    let record;
    try { record = JSON.parse(line); } catch { record = { raw: line }; }
    logs.push(record);
    for (const w of [...waiters]) {
      if (w.predicate(record)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(record);
      }
    }
  });
  const waitForLog = (predicate, timeoutMs = 5000) => {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((res, rej) => {
      const w = { predicate, resolve: (r) => { clearTimeout(timer); res(r); } };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        rej(new Error(`log line not seen; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`));
      }, timeoutMs);
      waiters.push(w);
    });
  };
  const listening = await Promise.race([
    waitForLog((r) => r.msg === "listening"),
    exited.then(({ code }) => { throw new Error(`gate exited ${code} before listening: ${stderr}`); }),
  ]);
  return {
    url: `http://${listening.listen}`,
    admin: `http://${listening.admin}`,
    dir,
    configPath,
    child,
    logs,
    exited,
    waitForLog,
    stderr: () => stderr,
    writeConfig: (text) => writeFileSync(configPath, text),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const result = await exited;
      rmSync(dir, { recursive: true, force: true });
      return result;
    },
  };
}

// Runs `serve` expecting it to refuse to start.
export function runGate(args, env = {}) {
  return new Promise((res) => {
    const child = spawn(gateBinary, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => res({ code, stdout, stderr }));
  });
}

// A loopback port nothing listens on (bound, then released): an unreachable address.
export async function freePort() {
  const server = net.createServer();
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

// A config for tests with real issuers: `issuers` are {name, issuer, jwks_uri |
// jwks_file, algorithms, audiences?}; the database is named "db" with `databaseId`.
export function issuersConfig({ upstreamUrl, databaseId, issuers }) {
  const lines = [
    'listen: "127.0.0.1:0"',
    'admin_listen: "127.0.0.1:0"',
    "upstream:",
    `  url: ${JSON.stringify(upstreamUrl)}`,
    "database:",
    "  name: db",
    `  id: ${JSON.stringify(databaseId)}`,
    "issuers:",
  ];
  for (const { name, algorithms, ...rest } of issuers) {
    lines.push(`  - name: ${name}`, `    algorithms: [${algorithms.join(", ")}]`);
    for (const [key, value] of Object.entries(rest)) lines.push(`    ${key}: ${JSON.stringify(value)}`);
  }
  lines.push("limits:", "  drain_timeout_ms: 2000", "");
  return lines.join("\n");
}

// Polls /readyz until `done(status, body)` holds (default: 200), at most ~10 s;
// returns the last answer. Keys from URLs and the upstream's schema load in the
// background after start.
export async function waitForReadiness(gate, done = (status) => status === 200) {
  let status = 0;
  let body = null;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(gate.admin + "/readyz");
    status = res.status;
    body = await res.json();
    if (done(status, body)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return { status, body };
}

// A development issuer for tests: `libsql-gate keygen` (EdDSA, kid k1) into
// DIR/keys, its JWKS file for the config, and a minter of tokens with --perm grants.
export function devIssuer(dir, iss = "https://dev.example") {
  const privateKey = join(dir, "keys", "private.pem");
  execFileSync(gateBinary, ["keygen", "--alg", "EdDSA", "--kid", "k1", "--out", join(dir, "keys")]);
  return {
    iss,
    privateKey,
    jwksFile: join(dir, "keys", "jwks.json"),
    mint(sub, perms, ttl = "15m") {
      const args = ["mint", "--key", privateKey, "--kid", "k1", "--iss", iss, "--sub", sub, "--ttl", ttl];
      for (const p of perms) args.push("--perm", p);
      return execFileSync(gateBinary, args, { encoding: "utf8" }).trim();
    },
  };
}

// The two-table database (notes readable, secrets not) of the end-to-end tests:
// schema and seed files in DIR for startUpstream.
export function notesDatabase(dir) {
  const schema = join(dir, "schema.sql");
  const seed = join(dir, "seed.sql");
  writeFileSync(schema, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\nCREATE TABLE secrets (id INTEGER PRIMARY KEY, value TEXT);\n");
  writeFileSync(seed, "INSERT INTO notes (body) VALUES ('hello');\nINSERT INTO secrets (value) VALUES ('s3cr3t');\n");
  return { schema, seed };
}
