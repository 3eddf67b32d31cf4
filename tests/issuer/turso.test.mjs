// The turso profile: an Ed25519 key served as a JWKS and exportable as the
// PEM a `keys_file` config (or sqld's --auth-jwt-key-file) reads; database and
// group tokens with Turso's claims.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { startIssuer } from "./issuer.mjs";
import { permClaim } from "./profiles.mjs";
import { fetchJwks, request, verifyWithJwks } from "./test_client.mjs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

for (const https of [false, true]) {
  const scheme = https ? "https" : "http";

  test(`turso over ${scheme}: JWKS holds one Ed25519 key; a database token verifies with it`, async (t) => {
    const issuer = await startIssuer({ profile: "turso", https });
    t.after(() => issuer.close());
    const jwks = await fetchJwks(issuer);
    assert.equal(jwks.keys.length, 1);
    assert.deepEqual(Object.keys(jwks.keys[0]), ["kty", "crv", "x", "kid", "use", "alg"]);
    assert.equal(jwks.keys[0].kty, "OKP");
    assert.equal(jwks.keys[0].crv, "Ed25519");
    assert.equal(jwks.keys[0].alg, "EdDSA");
    const { payload } = await verifyWithJwks(await issuer.mint(), jwks);
    assert.equal(payload.id, issuer.databaseId);
    const discovery = await request(issuer.discoveryUrl, { ca: issuer.caPem });
    assert.equal(discovery.json.jwks_uri, issuer.jwksUrl);
  });
}

test("turso: header is {alg: EdDSA, typ: JWT} without kid, as Turso's own tokens", async (t) => {
  const issuer = await startIssuer({ profile: "turso" });
  t.after(() => issuer.close());
  assert.deepEqual(decodeProtectedHeader(await issuer.mint()), { alg: "EdDSA", typ: "JWT" });
});

test("turso: the PEM export verifies tokens and is the JWKS key", async (t) => {
  const issuer = await startIssuer({ profile: "turso" });
  t.after(() => issuer.close());
  const pem = issuer.publicKeyPem();
  assert.match(pem, /^-----BEGIN PUBLIC KEY-----\n/);
  const [jwk] = (await fetchJwks(issuer)).keys;
  assert.ok(createPublicKey(pem).equals(createPublicKey({ key: jwk, format: "jwk" })));
  const { payload } = await jwtVerify(await issuer.mint(), await importSPKI(pem, "EdDSA"), { algorithms: ["EdDSA"] });
  assert.equal(payload.a, "rw");
});

test("turso: a database token has a, exp, id, iat, rid and no iss", async (t) => {
  const issuer = await startIssuer({ profile: "turso", databaseId: "11111111-2222-4333-8444-555555555555" });
  t.after(() => issuer.close());
  const { payload } = await verifyWithJwks(await issuer.mint(), await fetchJwks(issuer));
  assert.deepEqual(Object.keys(payload), ["a", "exp", "iat", "id", "rid"]);
  assert.equal(payload.id, "11111111-2222-4333-8444-555555555555");
  assert.match(payload.rid, UUID);
  assert.equal(payload.exp - payload.iat, 3600);
});

test("turso: a group token names the group in gid instead of a database id", async (t) => {
  const issuer = await startIssuer({ profile: "turso" });
  t.after(() => issuer.close());
  const { payload } = await verifyWithJwks(await issuer.mint({}, { kind: "group" }), await fetchJwks(issuer));
  assert.deepEqual(Object.keys(payload), ["a", "exp", "gid", "iat", "rid"]);
  assert.equal(payload.gid, issuer.groupId);
  assert.match(payload.gid, UUID);
});

test("turso: never-expiring, read-only, p-scoped and fine-grained shapes", async (t) => {
  const issuer = await startIssuer({ profile: "turso" });
  t.after(() => issuer.close());
  const jwks = await fetchJwks(issuer);
  const forever = (await verifyWithJwks(await issuer.mint({}, { ttl: null }), jwks)).payload;
  assert.equal(forever.exp, undefined);
  const claims = {
    a: "ro",
    p: { ro: { ns: ["mydb"], tags: [issuer.groupId] } },
    perm: permClaim(["all:data_read", "comments:data_add,data_update"]),
  };
  const scoped = (await verifyWithJwks(await issuer.mint(claims), jwks)).payload;
  assert.equal(scoped.a, "ro");
  assert.deepEqual(scoped.p, claims.p);
  assert.deepEqual(scoped.perm, [
    { t: null, a: ["data_read"] },
    { t: ["comments"], a: ["data_add", "data_update"] },
  ]);
});

test("turso: permClaim refuses a spec without a table", () => {
  assert.throws(() => permClaim([":data_read"]), /TABLE:ACTION/);
  assert.throws(() => permClaim(["data_read"]), /TABLE:ACTION/);
});
