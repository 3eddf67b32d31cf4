// The auth0 profile: issuer with a trailing slash, RS256 keys published with
// an x5c certificate and x5t thumbprint, access tokens with an aud array,
// scope, RBAC permissions and namespaced custom claims.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import { decodeProtectedHeader } from "jose";
import { startIssuer } from "./issuer.mjs";
import { fetchJwks, request, verifyWithJwks } from "./test_client.mjs";

for (const https of [false, true]) {
  const scheme = https ? "https" : "http";

  test(`auth0 over ${scheme}: issuer ends with a slash; discovery names it and the JWKS`, async (t) => {
    const issuer = await startIssuer({ profile: "auth0", https });
    t.after(() => issuer.close());
    assert.match(issuer.issuerUrl, new RegExp(`^${scheme}://127\\.0\\.0\\.1:\\d+/$`));
    assert.equal(issuer.discoveryUrl, `${issuer.issuerUrl}.well-known/openid-configuration`);
    const res = await request(issuer.discoveryUrl, { ca: issuer.caPem });
    assert.equal(res.status, 200);
    assert.equal(res.json.issuer, issuer.issuerUrl);
    assert.equal(res.json.jwks_uri, issuer.jwksUrl);
  });

  test(`auth0 over ${scheme}: an access token verifies with the served key`, async (t) => {
    const issuer = await startIssuer({ profile: "auth0", https });
    t.after(() => issuer.close());
    const token = await issuer.mint();
    assert.deepEqual(decodeProtectedHeader(token), { alg: "RS256", typ: "JWT", kid: issuer.signingKid() });
    const { payload } = await verifyWithJwks(token, await fetchJwks(issuer), {
      issuer: issuer.issuerUrl,
      audience: "https://api.example.com",
    });
    assert.equal(payload.iss, issuer.issuerUrl);
  });
}

test("auth0: each JWKS key carries x5c (a self-signed cert of that key) and x5t (its SHA-1)", async (t) => {
  const issuer = await startIssuer({ profile: "auth0" });
  t.after(() => issuer.close());
  const [key] = (await fetchJwks(issuer)).keys;
  assert.deepEqual(Object.keys(key), ["kty", "use", "n", "e", "kid", "x5t", "x5c", "alg"]);
  assert.equal(key.x5c.length, 1);
  const der = Buffer.from(key.x5c[0], "base64");
  const cert = new X509Certificate(der);
  const jwkKey = createPublicKey({ key: { kty: key.kty, n: key.n, e: key.e }, format: "jwk" });
  assert.ok(cert.publicKey.equals(jwkKey));
  assert.ok(cert.verify(cert.publicKey)); // self-signed
  assert.equal(key.x5t, createHash("sha1").update(der).digest("base64url"));
});

test("auth0: access token claims: sub auth0|, aud array with userinfo, scope, azp, permissions, namespaced roles", async (t) => {
  const issuer = await startIssuer({ profile: "auth0" });
  t.after(() => issuer.close());
  const { payload } = await verifyWithJwks(await issuer.mint(), await fetchJwks(issuer));
  assert.deepEqual(Object.keys(payload),
    ["https://example.com/roles", "iss", "sub", "aud", "iat", "exp", "scope", "azp", "permissions"]);
  assert.match(payload.sub, /^auth0\|[0-9a-f]{24}$/);
  assert.deepEqual(payload.aud, ["https://api.example.com", `${issuer.issuerUrl}userinfo`]);
  assert.equal(payload.scope, "openid profile email");
  assert.match(payload.azp, /^[0-9A-Za-z]{32}$/);
  assert.deepEqual(payload.permissions, []);
  assert.deepEqual(payload["https://example.com/roles"], []);
  assert.equal(payload.exp - payload.iat, 86400);
  assert.equal(payload.nbf, undefined); // Auth0 access tokens have no nbf
});

test("auth0: RBAC permissions, roles and Turso claims set by an Action come through as given", async (t) => {
  const issuer = await startIssuer({ profile: "auth0", context: { audience: "https://gate.example", rolesClaim: "https://acme.test/roles" } });
  t.after(() => issuer.close());
  const claims = {
    permissions: ["read:comments", "create:comments"],
    "https://acme.test/roles": ["Moderator"],
    "https://acme.test/perm": [{ t: ["comments"], a: ["data_add"] }],
  };
  const { payload } = await verifyWithJwks(await issuer.mint(claims), await fetchJwks(issuer), { audience: "https://gate.example" });
  assert.deepEqual(payload.permissions, claims.permissions);
  assert.deepEqual(payload["https://acme.test/roles"], ["Moderator"]);
  assert.deepEqual(payload["https://acme.test/perm"], claims["https://acme.test/perm"]);
});
