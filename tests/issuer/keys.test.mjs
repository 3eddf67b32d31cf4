// KeyRing on its own: which keys are published, which one signs, and how
// add / promote / rotate / remove move them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { KeyRing, makeSigningKey } from "./keys.mjs";

// Ed25519 keys: cheap to make, and the ring does not care about the kind.
let counter = 0;
const makeKey = () => {
  const kid = `k${++counter}`;
  return makeSigningKey("EdDSA", kid, (members) => ({ ...members, kid }));
};
const kids = (ring) => ring.jwks().keys.map((k) => k.kid);

test("a new ring publishes one key and signs with it", async () => {
  const ring = await KeyRing.create(makeKey);
  assert.equal(kids(ring).length, 1);
  assert.equal(ring.signing.kid, kids(ring)[0]);
  assert.deepEqual(Object.keys(ring.jwks().keys[0]).sort(), ["crv", "kid", "kty", "x"]);
});

test("added keys wait in order; promote takes the oldest waiting one", async () => {
  const ring = await KeyRing.create(makeKey);
  const first = ring.signing.kid;
  const a = await ring.addKey();
  const b = await ring.addKey();
  assert.deepEqual(kids(ring), [first, a, b]);
  assert.equal(ring.signing.kid, first);
  assert.equal(ring.promote(), a);
  assert.equal(ring.promote(), b);
  assert.throws(() => ring.promote(), /no published key waiting/);
});

test("rotate promotes the key it adds, even with others waiting", async () => {
  const ring = await KeyRing.create(makeKey);
  const waiting = await ring.addKey();
  const { kid, previousKid } = await ring.rotate();
  assert.notEqual(kid, waiting);
  assert.equal(ring.signing.kid, kid);
  assert.equal(ring.promote(), waiting, "the earlier key still waits");
  assert.equal(previousKid, kids(ring)[0]);
});

test("removeKey unpublishes (a waiting key stops waiting); the signing key keeps signing", async () => {
  const ring = await KeyRing.create(makeKey);
  const first = ring.signing.kid;
  const waiting = await ring.addKey();
  assert.equal(ring.removeKey(waiting), true);
  assert.throws(() => ring.promote(), /no published key waiting/);
  assert.equal(ring.removeKey(first), true);
  assert.deepEqual(kids(ring), []);
  assert.equal(ring.signing.kid, first);
  assert.equal(ring.find(first), null);
});

test("jwks() returns copies: changing them does not change the ring", async () => {
  const ring = await KeyRing.create(makeKey);
  ring.jwks().keys[0].kid = "changed";
  assert.notEqual(kids(ring)[0], "changed");
});

test("unpublished() makes a key the ring never serves", async () => {
  const ring = await KeyRing.create(makeKey);
  const foreign = await ring.unpublished();
  assert.equal(ring.find(foreign.kid), null);
  assert.equal(kids(ring).length, 1);
});
