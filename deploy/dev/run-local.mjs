// The README's first command (via scripts/run-local): a self-contained local
// setup on loopback — the test upstream with a sample schema and data, a
// development issuer shaped like Clerk (RS256 JWKS over HTTPS with its own CA),
// and the gate in front — then one allowed and one denied query through the
// stock @libsql/client. Ctrl-C stops everything.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

import { createClient } from "@libsql/client";

import { startUpstream } from "../../tests/upstream/server.mjs";
import { startIssuer } from "../../tests/issuer/issuer.mjs";
import { permClaim } from "../../tests/issuer/profiles.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const binary = resolve(root, process.env.LIBSQL_GATE_BIN ?? "build/proxy/libsql-gate");
const gatePort = Number(process.env.LIBSQL_GATE_PORT ?? 8080);
const adminPort = Number(process.env.LIBSQL_GATE_ADMIN_PORT ?? 9090);
const tokenTtlSeconds = 12 * 3600;  // long enough to copy-paste and play

const started = Date.now();
const cleanups = [];
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const cleanup of cleanups.reverse()) {
    try { await cleanup(); } catch { /* best effort on the way out */ }
  }
  process.exit(code);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

function say(text = "") { process.stdout.write(text + "\n"); }

async function waitReady(adminUrl, gate) {
  let last = "";
  for (let i = 0; i < 600; i++) {
    if (gate.exitCode !== null) throw new Error(`the gate exited (${gate.exitCode}) before it was ready`);
    try {
      const res = await fetch(`${adminUrl}/readyz`);
      last = await res.text();
      if (res.status === 200) return;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the gate did not become ready within 60 s: ${last}`);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "libsql-gate-local-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

  const upstream = await startUpstream({
    schema: join(root, "deploy/dev/schema.sql"),
    seed: join(root, "deploy/dev/seed.sql"),
  });
  cleanups.push(() => upstream.close());

  const issuer = await startIssuer({ profile: "clerk", https: true });
  cleanups.push(() => issuer.close());
  writeFileSync(join(dir, "issuer-ca.pem"), issuer.caPem);

  const config = `# Written by scripts/run-local; see docs/config.md for every key.
listen: "127.0.0.1:${gatePort}"
admin_listen: "127.0.0.1:${adminPort}"
upstream:
  url: "${upstream.url}"
database:
  name: "local"
  id: "${issuer.databaseId}"
issuers:
  - name: clerk-dev
    issuer: "${issuer.issuerUrl}"
    jwks_uri: "${issuer.jwksUrl}"
    ca_file: issuer-ca.pem
    algorithms: [RS256]
logging:
  level: info
  format: json
`;
  const configPath = join(dir, "gate.yaml");
  writeFileSync(configPath, config);

  const gate = spawn(binary, ["serve", "--config", configPath], { stdio: ["ignore", "pipe", "inherit"] });
  cleanups.push(() => new Promise((res) => {
    if (gate.exitCode !== null) return res();
    gate.once("exit", res);
    gate.kill("SIGTERM");
  }));
  const gateLog = [];
  createInterface({ input: gate.stdout }).on("line", (line) => gateLog.push(line));

  const url = `http://127.0.0.1:${gatePort}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  await waitReady(adminUrl, gate);

  // Clerk JWT-template tokens carrying Turso's claims (tests/issuer/README.md).
  const editor = await issuer.mint(
    { sub: "user_editor", a: "rw", perm: permClaim(["all:data_read", "comments:data_add,data_update"]) },
    { kind: "template", ttl: tokenTtlSeconds });
  const viewer = await issuer.mint(
    { sub: "user_viewer", a: "ro", perm: [] },
    { kind: "template", ttl: tokenTtlSeconds });

  say(`libsql-gate is running at ${url}  (admin: ${adminUrl}/metrics, /readyz)`);
  say(`upstream (test Hrana server): ${upstream.url}   issuer (Clerk-shaped): ${issuer.issuerUrl}`);
  say("");
  say("Editor token (read everything, add and update comments):");
  say(editor);
  say("");
  say("Viewer token (read-only):");
  say(viewer);
  say("");
  say("Try it (from this repository, which has @libsql/client installed):");
  say(`  TOKEN=<a token above> node --input-type=module -e 'import {createClient} from "@libsql/client"; ` +
      `const db = createClient({url: "${url}", authToken: process.env.TOKEN}); ` +
      `console.log((await db.execute("SELECT id, title FROM posts")).rows)'`);
  say("");

  const asEditor = createClient({ url, authToken: editor });
  const allowed = await asEditor.execute({
    sql: "INSERT INTO comments (post_id, author_id, body) VALUES (?, ?, ?) RETURNING id", args: [1, 1, "hello from the editor"],
  });
  say(`allowed  (editor inserts a comment): new comment id ${allowed.rows[0].id}`);
  asEditor.close();

  const asViewer = createClient({ url, authToken: viewer });
  try {
    await asViewer.execute({ sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 2, 'sneaky')" });
    say("UNEXPECTED: the viewer's INSERT was allowed");
    await stop(1);
  } catch (err) {
    say(`denied   (viewer inserts a comment): ${err.constructor.name} code=${err.code}`);
    say(`         message: ${err.message}`);
  } finally {
    asViewer.close();
  }
  say("");
  say(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Press Ctrl-C to stop.`);
  if (process.env.LIBSQL_GATE_RUN_LOCAL_ONCE) await stop(0);
}

main().catch(async (err) => {
  process.stderr.write(`run-local: ${err.message}\n`);
  await stop(1);
});
