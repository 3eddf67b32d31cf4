// One gate in front of the test upstream (deploy/dev schema and seed) with the
// issuers the scenario suite needs: a Clerk-shaped one over HTTPS (ca_file), an
// Auth0-shaped one (audience, namespaced roles, staged rotation), a Turso
// platform one (EdDSA, static key file) and a second Clerk-shaped one with short
// refresh and stale bounds for the IdP outage. Reuses the integration helpers.
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import { startUpstream } from "../upstream/server.mjs";
import { startIssuer } from "../issuer/issuer.mjs";
import { startGate, waitForReadiness } from "../integration/gate_process.mjs";
import { createClient } from "@libsql/client";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const AUDIENCE = "https://api.example.com";
export const TURSO_ISS = "https://turso.example";
export const DATABASE_NAME = "db";

// The role table of the issue: Admin everything, Moderator reads and moderates
// comments, User reads and adds comments.
const ALL_ACTIONS = "data_read,data_add,data_update,data_delete,schema_add,schema_update,schema_delete";
export const ROLES = {
  admin: [`all:${ALL_ACTIONS}`],
  moderator: ["all:data_read", "comments:data_update,data_delete"],
  user: ["all:data_read", "comments:data_add"],
};

const yaml = (value) => JSON.stringify(value);

function issuerLines(name, fields, roles) {
  const lines = [`  - name: ${name}`];
  for (const [key, value] of Object.entries(fields)) {
    if (key === "claims") {
      lines.push("    claims:");
      for (const [k, v] of Object.entries(value)) lines.push(`      ${k}: ${yaml(v)}`);
    } else {
      lines.push(`    ${key}: ${Array.isArray(value) ? `[${value.map(yaml).join(", ")}]` : yaml(value)}`);
    }
  }
  if (roles) {
    lines.push("    roles:");
    for (const [role, grants] of Object.entries(roles)) lines.push(`      ${role}: [${grants.map(yaml).join(", ")}]`);
  }
  return lines;
}

// `options.upstream`: extra startUpstream options, e.g. `{ wsProtocols: ["hrana3"] }`
// to restrict the WebSocket subprotocols the upstream accepts.
export async function startScenario(options = {}) {
  const databaseId = randomUUID();
  const groupId = randomUUID();
  const ids = { databaseId, groupId };
  const upstream = await startUpstream({
    schema: join(root, "deploy/dev/schema.sql"),
    seed: join(root, "deploy/dev/seed.sql"),
    ...options.upstream,
  });
  const clerk = await startIssuer({ profile: "clerk", https: true, ...ids });
  const auth0 = await startIssuer({ profile: "auth0", ...ids });
  const turso = await startIssuer({ profile: "turso", ...ids });
  const flaky = await startIssuer({ profile: "clerk", ...ids });

  const lines = [
    'listen: "127.0.0.1:0"',
    'admin_listen: "127.0.0.1:0"',
    "upstream:",
    `  url: ${yaml(upstream.url)}`,
    "database:",
    `  name: ${DATABASE_NAME}`,
    `  id: ${yaml(databaseId)}`,
    `  group_id: ${yaml(groupId)}`,
    "issuers:",
    ...issuerLines("clerk", {
      issuer: clerk.issuerUrl, jwks_uri: clerk.jwksUrl, ca_file: "clerk-ca.pem", algorithms: ["RS256"],
      // Small skew so that the time-limited token expires within the suite.
      clock_skew_s: 1,
      // Unknown kids are refetched at most once a second (refresh otherwise 600 s).
      min_refresh_interval_s: 1,
      claims: { permissions: "perm", roles: "o.rol" },
    }, ROLES),
    ...issuerLines("auth0", {
      issuer: auth0.issuerUrl, jwks_uri: auth0.jwksUrl, algorithms: ["RS256"], audiences: [AUDIENCE],
      refresh_interval_s: 1, min_refresh_interval_s: 1,
      claims: { permissions: "perm", roles: "https://example.com/roles" },
    }, ROLES),
    ...issuerLines("turso", { issuer: TURSO_ISS, keys_file: "turso.pem", algorithms: ["EdDSA"] }),
    ...issuerLines("flaky", {
      issuer: flaky.issuerUrl, jwks_uri: flaky.jwksUrl, algorithms: ["RS256"],
      refresh_interval_s: 1, min_refresh_interval_s: 1, max_stale_s: 4,
    }),
    "limits:",
    "  drain_timeout_ms: 2000",
    "logging:",
    "  level: info",
    "",
  ];
  // startGate writes the config into its own temporary directory; relative
  // paths in it resolve against the config's directory.
  const gate = await startGateWith(lines.join("\n"), {
    "clerk-ca.pem": clerk.caPem,
    "turso.pem": turso.publicKeyPem(),
  });
  const ready = await waitForReadiness(gate);
  if (ready.status !== 200) throw new Error(`gate not ready: ${JSON.stringify(ready.body)}`);
  return {
    readyAt: Date.now(),
    gate, upstream, clerk, auth0, turso, flaky, ...ids,
    async stop() {
      await gate.stop();
      await Promise.all([clerk, auth0, turso, flaky].map((i) => i.close()));
      await upstream.close();
    },
  };
}

// The files the config names (CA bundle, static key) go into a directory of
// their own, named by absolute path in the config.
async function startGateWith(configText, files) {
  const dir = mkdtempSync(join(tmpdir(), "libsql-gate-e2e-"));
  let text = configText;
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), content);
    text = text.replace(`${yaml(name)}`, yaml(join(dir, name)));
  }
  const gate = await startGate(text);
  const stop = gate.stop;
  gate.stop = async () => {
    const result = await stop();
    rmSync(dir, { recursive: true, force: true });
    return result;
  };
  return gate;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// Polls `check` (returns a truthy value when done) every `everyMs`, at most `limitMs`.
export async function until(what, check, { everyMs = 100, limitMs = 15000 } = {}) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}

// A @libsql/client result set as plain row objects.
export const plainRows = (r) => r.rows.map((row) => Object.fromEntries(r.columns.map((col, i) => [col, row[i]])));

// Runs `sql` straight against the scenario's upstream (no gate) to check what
// really happened; plain row objects.
export async function upstreamRows(scenario, sql) {
  const c = createClient({ url: scenario.upstream.url });
  try {
    return plainRows(await c.execute(sql));
  } finally {
    c.close();
  }
}
