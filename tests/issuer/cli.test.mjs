// The command line: one JSON line on stdout when ready, files written to
// --out (CA and Turso public key), temporary files removed on SIGTERM, bad
// flags refused with exit code 2.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { importSPKI, jwtVerify } from "jose";
import { request, verifyWithJwks } from "./test_client.mjs";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "issuer.mjs");

// Starts the CLI and resolves with the child and its parsed ready line.
async function startCli(t, args) {
  const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL"); });
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(([code]) => { throw new Error(`exited ${code}: ${stderr}`); }),
  ]);
  return { child, ready: JSON.parse(line), line };
}

async function stop(child) {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  return code;
}

test("https clerk: the ready line names issuer, jwks_uri and a CA file that lets a client in", async (t) => {
  const { child, ready, line } = await startCli(t, ["--port", "0", "--profile", "clerk", "--https"]);
  assert.deepEqual(Object.keys(ready).slice(0, 3), ["issuer", "jwks_uri", "ca_file"]);
  assert.equal(line, JSON.stringify(ready), "one compact JSON line");
  assert.match(ready.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(ready.jwks_uri, `${ready.issuer}/.well-known/jwks.json`);
  const ca = readFileSync(ready.ca_file, "utf8");
  const jwks = (await request(ready.jwks_uri, { ca })).json;
  const { token } = (await request(`${ready.control_url}/mint`, { method: "POST", body: {}, ca })).json;
  await verifyWithJwks(token, jwks, { issuer: ready.issuer });
  await assert.rejects(request(ready.jwks_uri), /self-signed|unable to verify|certificate/);
  assert.equal(await stop(child), 0);
  assert.equal(existsSync(dirname(ready.ca_file)), false, "temporary files removed");
});

test("http auth0: no CA file; issuer keeps the trailing slash", async (t) => {
  const { child, ready } = await startCli(t, ["--port", "0", "--profile", "auth0"]);
  assert.equal(ready.ca_file, null);
  assert.match(ready.issuer, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.equal((await request(ready.jwks_uri)).json.keys[0].x5c.length, 1);
  assert.equal(await stop(child), 0);
});

test("turso with --out: CA and public key PEM written there and kept; ids as given", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "issuer-cli-test-"));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const dbId = "0a0b0c0d-0000-4000-8000-000000000001";
  const { child, ready } = await startCli(t, ["--port", "0", "--profile", "turso", "--https", "--out", out,
    "--database-id", dbId, "--issuer", "turso-static"]);
  assert.equal(ready.ca_file, join(out, "ca.pem"));
  assert.equal(ready.public_key_file, join(out, "turso-public.pem"));
  assert.equal(ready.database_id, dbId);
  assert.equal(ready.issuer, "turso-static");
  const ca = readFileSync(ready.ca_file, "utf8");
  const { token } = (await request(`${ready.control_url}/mint`, { method: "POST", body: {}, ca })).json;
  const key = await importSPKI(readFileSync(ready.public_key_file, "utf8"), "EdDSA");
  assert.equal((await jwtVerify(token, key)).payload.id, dbId);
  assert.equal(await stop(child), 0);
  assert.ok(existsSync(ready.ca_file) && existsSync(ready.public_key_file));
});

for (const [args, message] of [
  [["--profile", "okta"], /--profile must be clerk, auth0 or turso/],
  [["--port", "http"], /--port must be 0\.\.65535/],
  [["--bogus"], /Unknown option '--bogus'/],
]) {
  test(`bad flags exit 2: ${args.join(" ")}`, async () => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => { stdout += d; });
    child.stderr.on("data", (d) => { stderr += d; });
    const [code] = await once(child, "exit");
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, message);
  });
}
