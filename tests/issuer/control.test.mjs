// The /_control/ HTTP API: every programmatic control reachable with JSON, for
// the local run and tests not written in Node.

import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { startIssuer } from "./issuer.mjs";
import { control, fetchJwks, request, verifyWithJwks } from "./test_client.mjs";

test("state names the issuer, keys, failure mode, counters and Turso ids", async (t) => {
  const issuer = await startIssuer({ profile: "auth0", https: true });
  t.after(() => issuer.close());
  const res = await control(issuer, "state");
  assert.equal(res.status, 200);
  assert.deepEqual(res.json, {
    profile: "auth0",
    issuer: issuer.issuerUrl,
    jwks_uri: issuer.jwksUrl,
    discovery_url: issuer.discoveryUrl,
    signing_kid: issuer.signingKid(),
    kids: [issuer.signingKid()],
    failure: "none",
    counts: { jwks: 0, discovery: 0 },
    database_id: issuer.databaseId,
    group_id: issuer.groupId,
  });
});

test("mint takes claims and the mint options by the same names", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const res = await control(issuer, "mint", {
    claims: { perm: [{ t: null, a: ["data_read"] }] },
    kind: "template",
    ttl: 600,
    omit: ["azp"],
    header: { typ: "JWT+test" },
  });
  assert.equal(res.status, 200);
  const { payload, protectedHeader } = await verifyWithJwks(res.json.token, await fetchJwks(issuer));
  assert.deepEqual(payload.perm, [{ t: null, a: ["data_read"] }]);
  assert.equal(payload.exp - payload.iat, 600);
  assert.equal(payload.azp, undefined);
  assert.equal(protectedHeader.typ, "JWT+test");
});

test("mint with ttl null, a past now, or an unpublished key", async (t) => {
  const issuer = await startIssuer({ profile: "turso" });
  t.after(() => issuer.close());
  const forever = (await control(issuer, "mint", { ttl: null })).json.token;
  assert.equal(decodeJwt(forever).exp, undefined);
  const old = (await control(issuer, "mint", { now: 1000000000 })).json.token;
  assert.equal(decodeJwt(old).iat, 1000000000);
  const foreign = (await control(issuer, "mint", { key: "unpublished", header: { kid: "x" } })).json.token;
  assert.equal(decodeProtectedHeader(foreign).kid, "x");
});

test("add-key, promote, rotate and remove change the served JWKS", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const first = issuer.signingKid();
  const { kid: next } = (await control(issuer, "add-key", {})).json;
  assert.deepEqual((await fetchJwks(issuer)).keys.map((k) => k.kid), [first, next]);
  assert.deepEqual((await control(issuer, "promote", {})).json, { kid: next });
  const rotated = (await control(issuer, "rotate", {})).json;
  assert.equal(rotated.previous_kid, next);
  assert.equal(issuer.signingKid(), rotated.kid);
  assert.deepEqual((await control(issuer, "remove", { kid: first })).json, { removed: true });
  assert.deepEqual((await control(issuer, "remove", { kid: first })).json, { removed: false });
  assert.deepEqual((await fetchJwks(issuer)).keys.map((k) => k.kid), [next, rotated.kid]);
});

test("fail sets the failure mode; count and count/reset report the counters", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  assert.deepEqual((await control(issuer, "fail", { mode: "500" })).json, { mode: "500" });
  assert.equal((await request(issuer.jwksUrl)).status, 500);
  assert.deepEqual((await control(issuer, "count")).json, { jwks: 1, discovery: 0 });
  assert.deepEqual((await control(issuer, "fail", {})).json, { mode: "none" });
  assert.equal((await request(issuer.jwksUrl)).status, 200);
  assert.deepEqual((await control(issuer, "count/reset", {})).json, { jwks: 0, discovery: 0 });
});

test("bad requests get 400 with a message; unknown endpoints 404, wrong methods 405", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const bad = await control(issuer, "fail", { mode: "explode" });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error, /unknown failure mode/);
  assert.equal((await control(issuer, "remove", {})).status, 400);
  assert.match((await control(issuer, "mint", { kind: "nope" })).json.error, /no token kind "nope"/);
  assert.match((await control(issuer, "mint", { key: "ins_gone" })).json.error, /no published key ins_gone/);
  const notJson = await request(`${issuer.controlUrl}/mint`, { method: "POST", body: [1] });
  assert.equal(notJson.status, 400);
  assert.equal((await control(issuer, "nothing")).status, 404);
  assert.equal((await control(issuer, "mint")).status, 405); // GET
});
