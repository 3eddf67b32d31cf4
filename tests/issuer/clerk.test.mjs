// The clerk profile: JWKS and discovery as Clerk serves them, RS256 session
// tokens and JWT-template tokens with Clerk's claim set, over HTTP and HTTPS.

import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeProtectedHeader } from "jose";
import { startIssuer } from "./issuer.mjs";
import { fetchJwks, request, verifyWithJwks } from "./test_client.mjs";

for (const https of [false, true]) {
  const scheme = https ? "https" : "http";

  test(`clerk over ${scheme}: issuer is the base URL, discovery points at the JWKS`, async (t) => {
    const issuer = await startIssuer({ profile: "clerk", https });
    t.after(() => issuer.close());
    assert.match(issuer.issuerUrl, new RegExp(`^${scheme}://127\\.0\\.0\\.1:\\d+$`)); // no trailing slash
    assert.equal(issuer.jwksUrl, `${issuer.issuerUrl}/.well-known/jwks.json`);
    const res = await request(issuer.discoveryUrl, { ca: issuer.caPem });
    assert.equal(res.status, 200);
    assert.match(res.headers["content-type"], /^application\/json/);
    assert.equal(res.json.issuer, issuer.issuerUrl);
    assert.equal(res.json.jwks_uri, issuer.jwksUrl);
    assert.deepEqual(res.json.id_token_signing_alg_values_supported, ["RS256"]);
  });

  test(`clerk over ${scheme}: JWKS holds one RS256 key with an ins_ kid`, async (t) => {
    const issuer = await startIssuer({ profile: "clerk", https });
    t.after(() => issuer.close());
    const jwks = await fetchJwks(issuer);
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.deepEqual(Object.keys(key), ["use", "kty", "kid", "alg", "n", "e"]);
    assert.equal(key.kty, "RSA");
    assert.equal(key.alg, "RS256");
    assert.equal(key.use, "sig");
    assert.match(key.kid, /^ins_[0-9A-Za-z]{27}$/);
    assert.equal(key.kid, issuer.signingKid());
  });

  test(`clerk over ${scheme}: a session token verifies and has Clerk's v2 claims`, async (t) => {
    const issuer = await startIssuer({ profile: "clerk", https });
    t.after(() => issuer.close());
    const token = await issuer.mint();
    assert.deepEqual(decodeProtectedHeader(token), { alg: "RS256", kid: issuer.signingKid(), typ: "JWT" });
    const { payload } = await verifyWithJwks(token, await fetchJwks(issuer), { issuer: issuer.issuerUrl });
    assert.deepEqual(Object.keys(payload), ["azp", "exp", "fva", "iat", "iss", "jti", "nbf", "o", "sid", "sub", "v"]);
    assert.equal(payload.exp - payload.iat, 60);
    assert.equal(payload.iat - payload.nbf, 5);
    assert.equal(payload.v, 2);
    assert.match(payload.sub, /^user_[0-9A-Za-z]{27}$/);
    assert.match(payload.sid, /^sess_[0-9A-Za-z]{27}$/);
    assert.match(payload.jti, /^[0-9a-f]{20}$/);
    assert.equal(payload.azp, "https://example.com");
    assert.match(payload.o.id, /^org_[0-9A-Za-z]{27}$/);
    assert.equal(payload.o.rol, "admin");
    assert.equal(payload.o.slg, "acme");
  });
}

test("clerk: a JWT-template token carries Turso's a, id, perm, rid and no session claims", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const token = await issuer.mint({}, { kind: "template" });
  const { payload } = await verifyWithJwks(token, await fetchJwks(issuer), { issuer: issuer.issuerUrl });
  assert.deepEqual(Object.keys(payload), ["a", "azp", "exp", "iat", "id", "iss", "jti", "nbf", "perm", "rid", "sub"]);
  assert.equal(payload.a, "rw");
  assert.equal(payload.id, issuer.databaseId);
  assert.deepEqual(payload.perm, []);
  assert.match(payload.rid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(payload.exp - payload.iat, 60);
  assert.equal(payload.iat - payload.nbf, 5);
});

test("clerk: one subject for every token of an issuer; fresh jti and sid per token", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const jwks = await fetchJwks(issuer);
  const a = (await verifyWithJwks(await issuer.mint(), jwks)).payload;
  const b = (await verifyWithJwks(await issuer.mint(), jwks)).payload;
  assert.equal(a.sub, b.sub);
  assert.notEqual(a.jti, b.jti);
  assert.notEqual(a.sid, b.sid);
});

test("clerk: an issuer override puts a Clerk-looking iss in tokens while keys stay on loopback", async (t) => {
  const iss = "https://example.clerk.accounts.dev";
  const issuer = await startIssuer({ profile: "clerk", issuer: iss });
  t.after(() => issuer.close());
  assert.equal(issuer.issuerUrl, iss);
  assert.match(issuer.jwksUrl, /^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json$/);
  const { payload } = await verifyWithJwks(await issuer.mint(), await fetchJwks(issuer), { issuer: iss });
  assert.equal(payload.iss, iss);
  assert.equal((await request(issuer.discoveryUrl)).json.issuer, iss);
});

test("clerk: claims given to mint replace the defaults, e.g. a role and fine-grained perm", async (t) => {
  const issuer = await startIssuer({ profile: "clerk", context: { subject: "user_fixed", azp: "http://localhost:3000" } });
  t.after(() => issuer.close());
  const perm = [{ t: ["comments"], a: ["data_add"] }];
  const token = await issuer.mint({ o: { id: "org_1", rol: "moderator", slg: "acme" }, perm }, { kind: "template" });
  const { payload } = await verifyWithJwks(token, await fetchJwks(issuer));
  assert.equal(payload.sub, "user_fixed");
  assert.equal(payload.azp, "http://localhost:3000");
  assert.equal(payload.o.rol, "moderator");
  assert.deepEqual(payload.perm, perm);
});
