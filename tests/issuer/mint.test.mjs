// mint()'s controls for adversarial tests: overriding and removing claims and
// header members, time travel, foreign keys, broken signatures and raw
// payload text. Each is checked by what a strict verifier then sees.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader, errors } from "jose";
import { startIssuer } from "./issuer.mjs";
import { decodeJws } from "./jws.mjs";
import { fetchJwks, nowSeconds, verifyWithJwks } from "./test_client.mjs";

let issuer;
let jwks;
before(async () => {
  issuer = await startIssuer({ profile: "clerk" });
  jwks = await fetchJwks(issuer);
});
after(() => issuer.close());

test("a claim set to undefined, or named in omit, is left out", async () => {
  const payload = decodeJwt(await issuer.mint({ sid: undefined, o: undefined }, { omit: ["nbf", "azp"] }));
  for (const name of ["sid", "o", "nbf", "azp"]) assert.equal(name in payload, false, name);
  assert.equal(typeof payload.sub, "string");
});

test("ttl null leaves exp out; the token still verifies with jose", async () => {
  const token = await issuer.mint({}, { ttl: null });
  assert.equal(decodeJwt(token).exp, undefined);
  await verifyWithJwks(token, jwks);
});

test("now in the past gives an expired token; in the future an immature one", async () => {
  const expired = await issuer.mint({}, { now: nowSeconds() - 3600 });
  await assert.rejects(verifyWithJwks(expired, jwks), errors.JWTExpired);
  const future = await issuer.mint({}, { now: nowSeconds() + 3600 });
  const payload = decodeJwt(future);
  assert.equal(payload.iat - payload.nbf, 5, "times move together");
  await assert.rejects(verifyWithJwks(future, jwks), (err) => err instanceof errors.JWTClaimValidationFailed && err.claim === "nbf");
});

test("header members can be replaced or removed: alg, kid, typ", async () => {
  const lying = await issuer.mint({}, { header: { alg: "HS256", typ: "at+jwt" } });
  assert.deepEqual(decodeProtectedHeader(lying), { alg: "HS256", kid: issuer.signingKid(), typ: "at+jwt" });
  await assert.rejects(verifyWithJwks(lying, jwks), /token alg HS256 is not the key's RS256/);
  const none = await issuer.mint({}, { header: { alg: "none" }, signature: "empty" });
  assert.match(none, /\.$/);
  assert.equal(decodeProtectedHeader(none).alg, "none");
  const kidless = await issuer.mint({}, { omitHeader: ["kid", "typ"] });
  assert.deepEqual(decodeProtectedHeader(kidless), { alg: "RS256" });
  const extra = await issuer.mint({}, { header: { crit: ["exp"], kid: "ins_other" } });
  assert.deepEqual(decodeProtectedHeader(extra).crit, ["exp"]);
  assert.equal(decodeProtectedHeader(extra).kid, "ins_other");
});

test("key 'unpublished' signs with a fresh key under a new kid the JWKS lacks", async () => {
  const token = await issuer.mint({}, { key: "unpublished" });
  const { kid } = decodeProtectedHeader(token);
  assert.match(kid, /^ins_/);
  assert.notEqual(kid, issuer.signingKid());
  await assert.rejects(verifyWithJwks(token, jwks), /no single key/);
  // The same foreign key under the published kid fails on the signature.
  const spoofed = await issuer.mint({}, { key: "unpublished", header: { kid: issuer.signingKid() } });
  await assert.rejects(verifyWithJwks(spoofed, jwks), errors.JWSSignatureVerificationFailed);
});

test("signature 'corrupt' flips one bit; the token no longer verifies", async () => {
  const good = await issuer.mint();
  const bad = await issuer.mint({}, { signature: "corrupt" });
  assert.equal(bad.split(".")[2].length, good.split(".")[2].length);
  await assert.rejects(verifyWithJwks(bad, jwks), errors.JWSSignatureVerificationFailed);
  await assert.rejects(issuer.mint({}, { signature: "bogus" }), /unknown signature mode/);
});

test("payloadText is signed verbatim, duplicate members included", async () => {
  const text = '{"sub":"user_a","sub":"user_b","exp":4102444800}';
  const token = await issuer.mint({}, { payloadText: text });
  assert.equal(Buffer.from(token.split(".")[1], "base64url").toString("utf8"), text);
  // Signed by the real key: only a strict JSON parser can object to it.
  const { payload } = await verifyWithJwks(token, jwks);
  assert.equal(payload.sub, "user_b");
});

test("an unknown token kind is refused", async () => {
  await assert.rejects(issuer.mint({}, { kind: "group" }), /profile clerk has no token kind "group"/);
});

test("decodeJws reads back header and payload", async () => {
  const { header, payload } = decodeJws(await issuer.mint({ extra: 1 }));
  assert.equal(header.kid, issuer.signingKid());
  assert.equal(payload.extra, 1);
});
