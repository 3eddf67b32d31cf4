// Key rotation as the served JWKS shows it: Auth0's staged rotation (publish
// the next key, sign with it later, retire the old one), one-step rotation,
// and removal of a key that tokens were signed with.

import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeProtectedHeader } from "jose";
import { startIssuer } from "./issuer.mjs";
import { fetchJwks, verifyWithJwks } from "./test_client.mjs";

const kidsOf = (jwks) => jwks.keys.map((k) => k.kid);
const kidOf = (token) => decodeProtectedHeader(token).kid;

test("auth0 staged rotation: next key published before it signs, old key retired after", async (t) => {
  const issuer = await startIssuer({ profile: "auth0" });
  t.after(() => issuer.close());
  const first = issuer.signingKid();
  const oldToken = await issuer.mint();

  const next = await issuer.addKey();
  assert.deepEqual(kidsOf(await fetchJwks(issuer)), [first, next]);
  assert.equal(kidOf(await issuer.mint()), first, "publishing does not switch signing");

  assert.equal(issuer.promoteNext(), next);
  const newToken = await issuer.mint();
  assert.equal(kidOf(newToken), next);
  const both = await fetchJwks(issuer);
  await verifyWithJwks(oldToken, both);
  await verifyWithJwks(newToken, both);

  assert.equal(issuer.removeKey(first), true);
  const after = await fetchJwks(issuer);
  assert.deepEqual(kidsOf(after), [next]);
  await verifyWithJwks(newToken, after);
  await assert.rejects(verifyWithJwks(oldToken, after), /no single key/);
});

test("every published key carries its own certificate", async (t) => {
  const issuer = await startIssuer({ profile: "auth0" });
  t.after(() => issuer.close());
  await issuer.addKey();
  const [a, b] = (await fetchJwks(issuer)).keys;
  assert.notEqual(a.x5t, b.x5t);
  assert.notEqual(a.x5c[0], b.x5c[0]);
});

test("rotate(): the new key is published and signs at once; the previous key stays published", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const before = issuer.signingKid();
  const { kid, previousKid } = await issuer.rotate();
  assert.equal(previousKid, before);
  assert.notEqual(kid, before);
  assert.match(kid, /^ins_/);
  assert.equal(issuer.signingKid(), kid);
  assert.deepEqual(kidsOf(await fetchJwks(issuer)), [before, kid]);
  assert.equal(kidOf(await issuer.mint()), kid);
});

test("promoteNext(kid) picks a given published key; unknown kids and an empty queue are errors", async (t) => {
  const issuer = await startIssuer({ profile: "turso" });
  t.after(() => issuer.close());
  const first = issuer.signingKid();
  assert.throws(() => issuer.promoteNext(), /no published key waiting/);
  const second = await issuer.addKey();
  await issuer.addKey();
  assert.equal(issuer.promoteNext(second), second);
  assert.equal(issuer.promoteNext(first), first, "an older key can sign again");
  assert.throws(() => issuer.promoteNext("nope"), /no published key nope/);
});

test("removing the signing key leaves later tokens signed by a key the JWKS no longer has", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const kid = issuer.signingKid();
  await issuer.addKey();
  assert.equal(issuer.removeKey(kid), true);
  assert.equal(issuer.removeKey(kid), false, "already gone");
  const token = await issuer.mint();
  assert.equal(kidOf(token), kid);
  assert.ok(!kidsOf(await fetchJwks(issuer)).includes(kid));
  await assert.rejects(verifyWithJwks(token, await fetchJwks(issuer)), /no single key/);
});

test("mint with a published kid signs with that key", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const next = await issuer.addKey();
  const token = await issuer.mint({}, { key: next });
  assert.equal(kidOf(token), next);
  await verifyWithJwks(token, await fetchJwks(issuer));
  await assert.rejects(issuer.mint({}, { key: "ins_missing" }), /no published key ins_missing/);
});
