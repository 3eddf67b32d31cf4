// SIGHUP (SPEC §8) with issuers and claims: a reload applies the database identity
// at once, adds a new issuer, and valid tokens of an unchanged URL issuer keep
// working throughout (the old verifier serves until the new one has keys).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { startUpstream } from "../upstream/server.mjs";
import { startIssuer } from "../issuer/issuer.mjs";
import { pipeline, exec } from "../upstream/test_support.mjs";
import { startGate, gateBinary, issuersConfig, waitForReadiness } from "./gate_process.mjs";

const LOCAL_ISSUER = "https://local.example";
let dir;
let upstream;
let issuer;
let gate;

function config({ databaseId, withLocal }) {
  const issuers = [{ name: "clerk", algorithms: ["RS256"], issuer: issuer.issuerUrl, jwks_uri: issuer.jwksUrl }];
  if (withLocal) {
    issuers.push({ name: "local", algorithms: ["EdDSA"], issuer: LOCAL_ISSUER, jwks_file: join(dir, "keys", "jwks.json") });
  }
  return issuersConfig({ upstreamUrl: upstream.url, databaseId, issuers });
}

async function reload(text, waitFor) {
  const seen = gate.logs.length;
  gate.writeConfig(text);
  gate.child.kill("SIGHUP");
  await gate.waitForLog((r) => gate.logs.indexOf(r) >= seen && waitFor(r), 15000);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "libsql-gate-reload-"));
  execFileSync(gateBinary, ["keygen", "--alg", "EdDSA", "--kid", "k1", "--out", join(dir, "keys")]);
  upstream = await startUpstream({});
  issuer = await startIssuer({ profile: "clerk" });
  gate = await startGate(config({ databaseId: issuer.databaseId, withLocal: false }));
  await waitForReadiness(gate);
});

after(async () => {
  await gate?.stop();
  await issuer?.close();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const body = { baton: null, requests: [exec("SELECT 1")] };
const send = async (token) => pipeline(gate.url, body, { headers: { authorization: `Bearer ${token}` } });

test("a reload changes the database identity at once and adds an issuer without a gap", async () => {
  const clerkToken = await issuer.mint({}, { kind: "template" });
  const localToken = execFileSync(gateBinary, ["mint", "--key", join(dir, "keys", "private.pem"), "--kid", "k1",
                                               "--iss", LOCAL_ISSUER, "--sub", "svc", "--perm", "all:data_read"],
                                  { encoding: "utf8" }).trim();
  assert.equal((await send(clerkToken)).status, 200);
  const before = await send(localToken);
  assert.equal(before.status, 401);
  assert.equal(before.json.code, "AUTH_JWT_INVALID");

  // Another database: the same token is now out of scope.
  await reload(config({ databaseId: "00000000-0000-4000-8000-000000000000", withLocal: false }),
               (r) => r.msg === "config reloaded");
  const outOfScope = await send(clerkToken);
  assert.equal(outOfScope.status, 403);
  assert.equal(outOfScope.json.code, "AUTH_DATABASE_SCOPE");

  // Back, plus a new issuer. Right after the signal the clerk token still works.
  await reload(config({ databaseId: issuer.databaseId, withLocal: true }), (r) => r.msg === "config reloaded");
  assert.equal((await send(clerkToken)).status, 200);
  await gate.waitForLog((r) => r.msg === "issuers reloaded" && r.issuers === 2, 15000);
  const local = await send(localToken);
  assert.equal(local.status, 200, JSON.stringify(local.json));
  assert.equal(local.json.results[0].type, "ok");
  assert.equal((await send(clerkToken)).status, 200);
});
