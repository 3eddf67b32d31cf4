// Development issuer: a loopback stand-in for Clerk, Auth0 or Turso that
// serves JWKS and OIDC discovery over HTTP or HTTPS and mints tokens shaped
// like the real providers' (profiles.mjs), with controls for tests. Test
// equipment, not product; see tests/issuer/README.md.
//
//   node tests/issuer/issuer.mjs --port 0 --profile clerk|auth0|turso [--https]
//     [--out DIR] [--host 127.0.0.1] [--issuer ISS] [--database-id UUID] [--group-id UUID]
//
// When ready it prints one JSON line on stdout:
//   {"issuer":"...","jwks_uri":"...","ca_file":"..."|null, ...}

import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { getProfile } from "./profiles.mjs";
import { KeyRing } from "./keys.mjs";
import { createServerTls } from "./tls.mjs";
import { encodeJws, overlay } from "./jws.mjs";
import { checkFailureMode, fail } from "./failure_modes.mjs";
import { handleControl } from "./control.mjs";
import { uuid } from "./ids.mjs";

const JWKS_PATH = "/.well-known/jwks.json";
const DISCOVERY_PATH = "/.well-known/openid-configuration";
const CONTROL_PREFIX = "/_control/";

const nowSeconds = () => Math.floor(Date.now() / 1000);

function listen(server, port, host) {
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolvePromise();
    });
  });
}

function sendBody(res, status, body, headers) {
  res.writeHead(status, { "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

// options:
//   profile       "clerk" | "auth0" | "turso" (default clerk)
//   https         serve TLS with a throwaway CA (caPem) instead of plain HTTP
//   port, host    default 0 and 127.0.0.1
//   issuer        iss for tokens and discovery instead of the server's own URL,
//                 e.g. "https://example.clerk.accounts.dev" for a gate config
//                 with that issuer and jwks_uri pointing here
//   databaseId, groupId   Turso ids put in tokens (random UUIDs by default)
//   context       profile defaults to replace: subject, azp, audience, orgId, rolesClaim
//   cacheControl  Cache-Control header of the JWKS answer (none by default)
export async function startIssuer(options = {}) {
  const {
    profile: profileName = "clerk",
    https = false,
    port = 0,
    host = "127.0.0.1",
    issuer: issuerOverride = null,
    databaseId = uuid(),
    groupId = uuid(),
    context: contextOverrides = {},
    cacheControl: initialCacheControl = null,
  } = options;
  const profile = getProfile(profileName);
  const ring = await KeyRing.create(() => profile.makeKey());
  const context = { ...profile.context(), databaseId, groupId, ...contextOverrides };
  const tls = https ? createServerTls() : null;

  let failure = "none";
  let cacheControl = initialCacheControl;
  const counts = { jwks: 0, discovery: 0 };
  const hanging = new Set();

  let baseUrl = null;
  let issuerUrl = null;

  const discovery = () => ({
    issuer: issuerUrl,
    authorization_endpoint: `${baseUrl}/authorize`,
    token_endpoint: `${baseUrl}/oauth/token`,
    userinfo_endpoint: `${baseUrl}/userinfo`,
    jwks_uri: `${baseUrl}${JWKS_PATH}`,
    response_types_supported: ["code"],
    subject_types_supported: ["public"],
    id_token_signing_alg_values_supported: [profile.alg],
  });

  // Serves a key endpoint unless a failure mode is set; every request counts,
  // failed ones included, because the gate's fetch attempts are what tests observe.
  function serveKeyEndpoint(req, res, counter, document) {
    counts[counter] += 1;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendBody(res, 405, "", { allow: "GET, HEAD" });
    }
    const body = JSON.stringify(document);
    if (fail(failure, req, res, body, hanging)) return;
    const headers = { "content-type": "application/json" };
    if (counter === "jwks" && cacheControl !== null) headers["cache-control"] = cacheControl;
    if (req.method === "HEAD") {
      res.writeHead(200, { ...headers, "content-length": Buffer.byteLength(body) });
      return res.end();
    }
    sendBody(res, 200, body, headers);
  }

  const issuer = {
    get profile() { return profile.name; },
    get baseUrl() { return baseUrl; },
    get issuerUrl() { return issuerUrl; },
    get jwksUrl() { return `${baseUrl}${JWKS_PATH}`; },
    get discoveryUrl() { return `${baseUrl}${DISCOVERY_PATH}`; },
    get controlUrl() { return `${baseUrl}${CONTROL_PREFIX.slice(0, -1)}`; },
    caPem: tls ? tls.caPem : null,
    databaseId,
    groupId,
    context,

    // Signs a token: the profile's default claims for `kind`, then `claims`
    // on top (a value of undefined deletes a claim). Options:
    //   kind        clerk: "session" | "template"; auth0: "access"; turso: "database" | "group"
    //   now         issue time in seconds (past for expired tokens, future for immature ones)
    //   ttl         lifetime in seconds (profile default); null = no exp
    //   omit        claim names to delete
    //   header      JOSE header members to set (alg, kid, typ, anything; undefined deletes)
    //   omitHeader  header member names to delete
    //   key         "signing" (default) | a published kid | "unpublished" (a fresh key the JWKS never had)
    //   signature   "valid" | "corrupt" | "empty"
    //   payloadText the payload JSON text verbatim (claims and time options ignored)
    async mint(claims = {}, mintOptions = {}) {
      const kind = mintOptions.kind ?? profile.defaultKind;
      if (!profile.kinds.includes(kind)) {
        throw new Error(`profile ${profile.name} has no token kind ${JSON.stringify(kind)} (${profile.kinds.join(", ")})`);
      }
      const now = mintOptions.now ?? nowSeconds();
      const ttl = mintOptions.ttl === undefined ? profile.lifetime(kind) : mintOptions.ttl;
      const defaults = profile.claims(kind, { iss: issuerUrl, now, ttl, ctx: context });
      const payload = mintOptions.payloadText ?? overlay(defaults, claims, mintOptions.omit);

      let key;
      const which = mintOptions.key ?? "signing";
      if (which === "signing") key = ring.signing;
      else if (which === "unpublished") key = await ring.unpublished();
      else key = ring.find(which) ?? (() => { throw new Error(`no published key ${which}`); })();

      const header = overlay(profile.header(key), mintOptions.header, mintOptions.omitHeader);
      return encodeJws({ header, payload, key, signature: mintOptions.signature });
    },

    addKey: () => ring.addKey(),
    promoteNext: (kid) => ring.promote(kid),
    rotate: () => ring.rotate(),
    removeKey: (kid) => ring.removeKey(kid),
    signingKid: () => ring.signing.kid,
    kids: () => ring.published.map((k) => k.kid),
    jwks: () => ring.jwks(),

    // SPKI PEM of a key (the signing key by default), for `keys_file` configs.
    publicKeyPem(kid) {
      const key = kid === undefined ? ring.signing : ring.find(kid);
      if (!key) throw new Error(`no published key ${kid}`);
      return key.publicKey.export({ type: "spki", format: "pem" });
    },

    setFailure(mode) { failure = checkFailureMode(mode); },
    setCacheControl(value) { cacheControl = value; },
    fetchCount: (endpoint = "jwks") => counts[endpoint],
    fetchCounts: () => ({ ...counts }),
    resetFetchCount() { counts.jwks = 0; counts.discovery = 0; },

    state: () => ({
      profile: profile.name,
      issuer: issuerUrl,
      jwks_uri: issuer.jwksUrl,
      discovery_url: issuer.discoveryUrl,
      signing_kid: ring.signing.kid,
      kids: issuer.kids(),
      failure,
      counts: { ...counts },
      database_id: databaseId,
      group_id: groupId,
    }),

    // Stops listening and ends every connection, hanging requests included.
    close() {
      return new Promise((resolvePromise) => {
        server.close(() => resolvePromise());
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
      });
    },
  };

  async function route(req, res) {
    const path = new URL(req.url, "http://issuer.invalid").pathname;
    if (path.startsWith(CONTROL_PREFIX)) return handleControl(issuer, req, res, path);
    if (path === JWKS_PATH) return serveKeyEndpoint(req, res, "jwks", ring.jwks());
    if (path === DISCOVERY_PATH) return serveKeyEndpoint(req, res, "discovery", discovery());
    sendBody(res, 404, JSON.stringify({ error: "not found" }), { "content-type": "application/json" });
  }

  const handler = (req, res) => {
    route(req, res).catch((err) => {
      if (!res.headersSent) sendBody(res, 500, JSON.stringify({ error: err.message }), { "content-type": "application/json" });
      else res.destroy();
    });
  };
  const server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler) : createHttpServer(handler);
  await listen(server, port, host);
  baseUrl = `${tls ? "https" : "http"}://${host}:${server.address().port}`;
  issuerUrl = issuerOverride ?? profile.issuer(baseUrl);
  return issuer;
}

// ---- command line ----

function usage(message) {
  process.stderr.write(`issuer: ${message}\nusage: node tests/issuer/issuer.mjs --port 0 --profile clerk|auth0|turso ` +
    "[--https] [--out DIR] [--host 127.0.0.1] [--issuer ISS] [--database-id UUID] [--group-id UUID]\n");
  process.exit(2);
}

async function main(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: "string", default: "0" },
        host: { type: "string", default: "127.0.0.1" },
        profile: { type: "string", default: "clerk" },
        https: { type: "boolean", default: false },
        out: { type: "string" },
        issuer: { type: "string" },
        "database-id": { type: "string" },
        "group-id": { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usage(err.message);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) usage(`--port must be 0..65535, got ${JSON.stringify(values.port)}`);
  if (!["clerk", "auth0", "turso"].includes(values.profile)) usage(`--profile must be clerk, auth0 or turso, got ${JSON.stringify(values.profile)}`);

  const issuer = await startIssuer({
    profile: values.profile,
    https: values.https,
    port,
    host: values.host,
    issuer: values.issuer ?? null,
    ...(values["database-id"] ? { databaseId: values["database-id"] } : {}),
    ...(values["group-id"] ? { groupId: values["group-id"] } : {}),
  });

  // Files go to --out, or to a temporary directory removed at exit.
  const outDir = values.out ? resolve(values.out) : mkdtempSync(join(tmpdir(), "libsql-gate-issuer-out-"));
  if (values.out) mkdirSync(outDir, { recursive: true });
  let caFile = null;
  let publicKeyFile = null;
  try {
    if (issuer.caPem) writeFileSync((caFile = join(outDir, "ca.pem")), issuer.caPem);
    if (values.profile === "turso") writeFileSync((publicKeyFile = join(outDir, "turso-public.pem")), issuer.publicKeyPem());
  } catch (err) {
    await issuer.close();
    if (!values.out) rmSync(outDir, { recursive: true, force: true });
    throw err;
  }

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await issuer.close();
    if (!values.out) rmSync(outDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  process.stdout.write(`${JSON.stringify({
    issuer: issuer.issuerUrl,
    jwks_uri: issuer.jwksUrl,
    ca_file: caFile,
    discovery_url: issuer.discoveryUrl,
    control_url: issuer.controlUrl,
    public_key_file: publicKeyFile,
    database_id: issuer.databaseId,
    group_id: issuer.groupId,
  })}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`issuer: ${err.message}\n`);
    process.exit(1);
  });
}
