// Failure modes of the key endpoints (JWKS and discovery) and the fetch
// counters, as a client sees them. Control endpoints keep working throughout.

import { test } from "node:test";
import assert from "node:assert/strict";
import { startIssuer } from "./issuer.mjs";
import { control, fetchJwks, request } from "./test_client.mjs";

for (const https of [false, true]) {
  const scheme = https ? "https" : "http";

  test(`over ${scheme}: '500' answers both key endpoints with 500, 'none' restores them`, async (t) => {
    const issuer = await startIssuer({ profile: "clerk", https });
    t.after(() => issuer.close());
    issuer.setFailure("500");
    assert.equal((await request(issuer.jwksUrl, { ca: issuer.caPem })).status, 500);
    assert.equal((await request(issuer.discoveryUrl, { ca: issuer.caPem })).status, 500);
    issuer.setFailure("none");
    assert.equal((await fetchJwks(issuer)).keys.length, 1);
  });

  test(`over ${scheme}: 'hang' never answers, so the client times out; close() still returns`, async (t) => {
    const issuer = await startIssuer({ profile: "clerk", https });
    issuer.setFailure("hang");
    await assert.rejects(request(issuer.jwksUrl, { ca: issuer.caPem, timeoutMs: 200 }), { code: "CLIENT_TIMEOUT" });
    // A second hanging request is still open when the issuer closes.
    let settled = false;
    const pending = request(issuer.discoveryUrl, { ca: issuer.caPem }).finally(() => { settled = true; });
    pending.catch(() => {});
    while (issuer.fetchCount("discovery") === 0 && !settled) await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, "the request is still waiting for an answer");
    await issuer.close();
    await assert.rejects(pending);
    t.diagnostic("hanging requests ended by close()");
  });

  test(`over ${scheme}: 'close' drops the connection without an answer`, async (t) => {
    const issuer = await startIssuer({ profile: "auth0", https });
    t.after(() => issuer.close());
    issuer.setFailure("close");
    await assert.rejects(request(issuer.jwksUrl, { ca: issuer.caPem }), (err) => ["ECONNRESET", "EPIPE"].includes(err.code) || /socket hang up/.test(err.message));
  });
}

test("'garbage' is a 200 JSON answer whose body does not parse", async (t) => {
  const issuer = await startIssuer({ profile: "turso" });
  t.after(() => issuer.close());
  const good = await request(issuer.jwksUrl);
  issuer.setFailure("garbage");
  const res = await request(issuer.jwksUrl);
  assert.equal(res.status, 200);
  assert.match(res.headers["content-type"], /^application\/json/);
  assert.equal(res.json, null);
  assert.ok(res.text.length > 0 && good.text.startsWith(res.text));
  assert.throws(() => JSON.parse(res.text), SyntaxError);
});

test("other HTTP statuses can be asked for; unknown modes are refused", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  issuer.setFailure("503");
  assert.equal((await request(issuer.jwksUrl)).status, 503);
  assert.throws(() => issuer.setFailure("explode"), /unknown failure mode "explode"/);
  assert.throws(() => issuer.setFailure("200"), /unknown failure mode/);
  assert.equal((await request(issuer.jwksUrl)).status, 503, "a refused mode leaves the old one");
});

test("fetch counters count every JWKS and discovery request, failed ones too, and reset", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  assert.equal(issuer.fetchCount(), 0);
  await request(issuer.jwksUrl);
  await request(issuer.jwksUrl);
  await request(issuer.discoveryUrl);
  issuer.setFailure("500");
  await request(issuer.jwksUrl);
  assert.equal(issuer.fetchCount(), 3);
  assert.equal(issuer.fetchCount("jwks"), 3);
  assert.equal(issuer.fetchCount("discovery"), 1);
  // Control requests and unknown paths are not key fetches and never fail.
  assert.equal((await control(issuer, "count")).status, 200);
  assert.equal((await request(`${issuer.baseUrl}/other`)).status, 404);
  assert.deepEqual(issuer.fetchCounts(), { jwks: 3, discovery: 1 });
  issuer.resetFetchCount();
  assert.deepEqual(issuer.fetchCounts(), { jwks: 0, discovery: 0 });
});

test("the JWKS answer carries Cache-Control only when one is set", async (t) => {
  const issuer = await startIssuer({ profile: "auth0", cacheControl: "public, max-age=15" });
  t.after(() => issuer.close());
  assert.equal((await request(issuer.jwksUrl)).headers["cache-control"], "public, max-age=15");
  assert.equal((await request(issuer.discoveryUrl)).headers["cache-control"], undefined);
  issuer.setCacheControl(null);
  assert.equal((await request(issuer.jwksUrl)).headers["cache-control"], undefined);
});

test("key endpoints answer GET and HEAD only", async (t) => {
  const issuer = await startIssuer({ profile: "clerk" });
  t.after(() => issuer.close());
  const head = await request(issuer.jwksUrl, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.text, "");
  assert.equal((await request(issuer.jwksUrl, { method: "POST", body: {} })).status, 405);
});
