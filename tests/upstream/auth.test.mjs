// The upstream's own JWT check (as sqld's --auth-jwt-key-file) and the
// /_test observation endpoints gate tests use to see what reached upstream.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { connect } from "@tursodatabase/serverless";
import { startUpstream } from "./server.mjs";
import { pipeline, cursor, exec, int, jwtKeys } from "./test_support.mjs";

const ONE_QUERY = { baton: null, requests: [exec("SELECT 1"), { type: "close" }] };

describe("JWT-protected upstream", () => {
  let keys;
  let upstream;
  let privateKey;
  let otherKey;
  let sign;

  const bearer = (token) => ({ authorization: `Bearer ${token}` });

  before(async () => {
    keys = await jwtKeys();
    ({ privateKey, otherKey, sign } = keys);
    upstream = await startUpstream({ jwtKeyFile: keys.pem });
  });

  after(async () => {
    await upstream?.close();
    keys?.cleanup();
  });

  it("refuses Hrana requests without a token: 401 with a JSON error", async () => {
    const res = await pipeline(upstream.url, ONE_QUERY);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(res.json, {
      error: "Unauthorized: `The `Authorization` HTTP header is required but was not specified`",
      message: "Unauthorized: `The `Authorization` HTTP header is required but was not specified`",
      code: "AUTH_HTTP_HEADER_MISSING",
    });
    const cur = await cursor(upstream.url, { baton: null, batch: { steps: [] } });
    assert.equal(cur.status, 401);
    assert.equal(upstream.registry.size, 0);
  });

  it("still answers probes and health checks without a token", async () => {
    for (const path of ["/v2", "/v3", "/health", "/version"]) {
      const res = await fetch(upstream.url + path);
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
    }
  });

  it("names what is wrong with a bad credential", async () => {
    const expired = await sign(privateKey, {}, (jwt) => jwt.setIssuedAt(1_000_000).setExpirationTime(1_000_060));
    const immature = await sign(privateKey, {}, (jwt) => jwt.setNotBefore("1h"));
    const cases = [
      [{ authorization: "Basic dXNlcjpwYXNz" }, "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME"],
      [{ authorization: "Bearer" }, "AUTH_HTTP_HEADER_INVALID"],
      [bearer("not.a.jwt"), "AUTH_JWT_INVALID"],
      [bearer(await sign(otherKey)), "AUTH_JWT_INVALID"],
      [bearer(expired), "AUTH_JWT_EXPIRED"],
      [bearer(immature), "AUTH_JWT_IMMATURE"],
    ];
    for (const [headers, code] of cases) {
      const res = await pipeline(upstream.url, ONE_QUERY, { headers });
      assert.equal(res.status, 401, code);
      assert.equal(res.json.code, code);
    }
  });

  it("serves a request that carries a token signed with the key", async () => {
    const res = await pipeline(upstream.url, ONE_QUERY, { headers: bearer(await sign(privateKey, { a: "rw" })) });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.results[0].response.result.rows, [[int(1)]]);
  });

  it("works with the stock clients given the token", async () => {
    const token = await sign(privateKey);
    const client = createClient({ url: upstream.url, authToken: token });
    try {
      const rs = await client.execute("SELECT 40 + 2 AS answer");
      assert.equal(rs.rows[0].answer, 42);
    } finally {
      client.close();
    }
    const conn = connect({ url: upstream.url, authToken: token });
    try {
      assert.deepEqual(await conn.get("SELECT 6 * 7 AS answer"), { answer: 42 });
    } finally {
      await conn.close();
    }
    const anonymous = createClient({ url: upstream.url });
    try {
      await assert.rejects(anonymous.execute("SELECT 1"), (err) => {
        // @libsql/client reads the Hrana Error ({message, code}) from an HTTP error body.
        assert.equal(err.code, "AUTH_HTTP_HEADER_MISSING");
        return true;
      });
    } finally {
      anonymous.close();
    }
  });

  it("records every request it receives, with the authorization header", async () => {
    await fetch(upstream.url + "/_test/reset", { method: "POST" }).then((r) => r.arrayBuffer());
    const token = await sign(privateKey);
    await pipeline(upstream.url, ONE_QUERY, { headers: bearer(token) });
    await pipeline(upstream.url, ONE_QUERY);
    await fetch(upstream.url + "/v3").then((r) => r.arrayBuffer());
    const received = await fetch(upstream.url + "/_test/received").then((r) => r.json());
    assert.deepEqual(received.map((r) => [r.method, r.path, r.authorization]), [
      ["POST", "/v3/pipeline", true],
      ["POST", "/v3/pipeline", false],
      ["GET", "/v3", false],
    ]);
    assert.equal(received[0].headers.authorization, `Bearer ${token}`);
    assert.deepEqual(received[0].body, ONE_QUERY);
    assert.deepEqual(received[1].body, ONE_QUERY, "refused requests are recorded too");
    assert.equal(received[2].body, null);

    const reset = await fetch(upstream.url + "/_test/reset", { method: "POST" });
    assert.equal(reset.status, 200);
    await reset.arrayBuffer();
    const empty = await fetch(upstream.url + "/_test/received").then((r) => r.json());
    assert.deepEqual(empty, [], "observation requests are not recorded");
  });

  it("reports open streams on /_test/streams", async () => {
    const open = await pipeline(upstream.url, { baton: null, requests: [exec("SELECT 1")] },
      { headers: bearer(await sign(privateKey)) });
    assert.deepEqual(await fetch(upstream.url + "/_test/streams").then((r) => r.json()), { open: 1 });
    await pipeline(upstream.url, { baton: open.json.baton, requests: [{ type: "close" }] },
      { headers: bearer(await sign(privateKey)) });
    assert.deepEqual(await fetch(upstream.url + "/_test/streams").then((r) => r.json()), { open: 0 });
  });
});
