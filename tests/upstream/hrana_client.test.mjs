// @libsql/hrana-client directly: how it negotiates the HTTP endpoint. The
// gate sees the same probes, so they are pinned down here.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as hrana from "@libsql/hrana-client";
import { startUpstream } from "./server.mjs";

describe("@libsql/hrana-client over HTTP", () => {
  let upstream;

  before(async () => {
    upstream = await startUpstream();
  });

  after(async () => {
    await upstream?.close();
  });

  it("asks for protocol 3 by probing GET /v3-protobuf, then falls back to v2 JSON", async () => {
    upstream.reset();
    const client = hrana.openHttp(upstream.url, undefined, undefined, undefined, 3);
    try {
      assert.equal(await client.getVersion(), 2);
      const stream = client.openStream();
      const row = await stream.queryRow("SELECT 1 AS one, 'x' AS two");
      assert.equal(row.row.one, 1);
      assert.equal(row.row.two, "x");
      stream.close();
    } finally {
      client.close();
    }
    const seen = upstream.received.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(seen, ["GET /v3-protobuf", "POST /v2/pipeline"]);
  });

  it("stores SQL and runs batches with conditions through its own API", async () => {
    const client = hrana.openHttp(upstream.url);
    try {
      const stream = client.openStream();
      const sql = stream.storeSql("SELECT ? * 2 AS doubled");
      const result = await stream.queryValue([sql, [21]]);
      assert.equal(result.value, 42);
      const batch = stream.batch(false);
      const first = batch.step().queryValue("SELECT 'first'");
      const failingStep = batch.step();
      const failing = failingStep.run("SELECT * FROM nowhere");
      const onError = batch.step().condition(hrana.BatchCond.error(failingStep)).queryValue("SELECT 'recovered'");
      const onOk = batch.step().condition(hrana.BatchCond.ok(failingStep)).queryValue("SELECT 'never'");
      const failed = assert.rejects(failing, (err) => err.code === "SQLITE_UNKNOWN");
      await batch.execute();
      await failed;
      assert.equal((await first).value, "first");
      assert.equal((await onError).value, "recovered");
      assert.equal(await onOk, undefined);
      sql.close();
      stream.close();
    } finally {
      client.close();
    }
  });
});
