// @libsql/hrana-client directly: how it negotiates the HTTP endpoint. The
// gate sees the same probes, so they are pinned down here.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as hrana from "@libsql/hrana-client";
import { startUpstream } from "./server.mjs";
import { hranaClientCases } from "./hrana_client_cases.mjs";

describe("@libsql/hrana-client over HTTP", () => {
  let upstream;

  before(async () => {
    upstream = await startUpstream();
  });

  after(async () => {
    await upstream?.close();
  });

  it("asks for protocol 3 by probing GET /v3-protobuf, then speaks protobuf", async () => {
    upstream.reset();
    const client = hrana.openHttp(upstream.url, undefined, undefined, undefined, 3);
    try {
      assert.equal(await client.getVersion(), 3);
      const stream = client.openStream();
      const row = await stream.queryRow("SELECT 1 AS one, 'x' AS two");
      assert.equal(row.row.one, 1);
      assert.equal(row.row.two, "x");
      stream.close();
    } finally {
      client.close();
    }
    const seen = upstream.received.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(seen, ["GET /v3-protobuf", "POST /v3-protobuf/pipeline"]);
    const pipeline = upstream.received[1];
    assert.equal(pipeline.encoding, "protobuf");
    assert.equal(pipeline.headers["content-type"], "application/x-protobuf");
    assert.deepEqual(pipeline.sql, ["SELECT 1 AS one, 'x' AS two"]);
    assert.deepEqual(pipeline.requests, ["execute"]);
  });
});

describe("@libsql/hrana-client over HTTP with JSON (protocol 2)", () => {
  let upstream;
  before(async () => { upstream = await startUpstream(); });
  after(async () => { await upstream?.close(); });

  hranaClientCases({
    open: () => hrana.openHttp(upstream.url),
    version: 2,
    encoding: "json",
    storeSql: (_client, stream, sql) => stream.storeSql(sql),
  });
});
