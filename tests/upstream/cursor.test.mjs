// Raw POST /v3/cursor: the framing of its newline-delimited entries, step
// errors and skipped steps, baton chaining, and rows sent as they are produced.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { startUpstream } from "./server.mjs";
import { cursor, pipeline, exec, int, text } from "./test_support.mjs";

describe("cursor", () => {
  let upstream;
  let url;

  before(async () => {
    upstream = await startUpstream();
    url = upstream.url;
    await pipeline(url, { baton: null, requests: [
      exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"),
      exec("INSERT INTO t (name) VALUES ('a'), ('b')"),
      { type: "close" },
    ] });
  });

  after(async () => {
    await upstream?.close();
  });

  it("frames the response as a header line and one entry per line", async () => {
    const res = await cursor(url, { baton: null, batch: { steps: [
      { stmt: { sql: "SELECT id, name FROM t ORDER BY id" } },
      { stmt: { sql: "INSERT INTO t (name) VALUES (?)", args: [text("c")] } },
      { stmt: { sql: "INSERT INTO t (name) VALUES ('a')" } },
      { condition: { type: "ok", step: 2 }, stmt: { sql: "SELECT 'skipped'" } },
      { condition: { type: "error", step: 2 }, stmt: { sql: "SELECT 'ran'" } },
      { stmt: { sql: "SELECT * FROM missing" } },
      { stmt: { sql: "SELECT 1" }, condition: null },
    ] } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain");
    const [head, ...entries] = res.lines;
    assert.deepEqual(Object.keys(head), ["baton", "base_url"]);
    assert.match(head.baton, /^[A-Za-z0-9+/]{64}$/);
    assert.equal(head.base_url, null);
    assert.deepEqual(entries, [
      { type: "step_begin", step: 0, cols: [{ name: "id", decltype: "INTEGER" }, { name: "name", decltype: "TEXT" }] },
      { type: "row", row: [int(1), text("a")] },
      { type: "row", row: [int(2), text("b")] },
      { type: "step_end", affected_row_count: 0, last_insert_rowid: null },
      { type: "step_begin", step: 1, cols: [] },
      { type: "step_end", affected_row_count: 1, last_insert_rowid: "3" },
      { type: "step_begin", step: 2, cols: [] },
      { type: "step_error", step: 2, error: { message: "SQLite error: UNIQUE constraint failed: t.name", code: "SQLITE_CONSTRAINT" } },
      { type: "step_begin", step: 4, cols: [{ name: "'ran'", decltype: null }] },
      { type: "row", row: [text("ran")] },
      { type: "step_end", affected_row_count: 0, last_insert_rowid: null },
      { type: "step_error", step: 5, error: { message: "SQLite error: no such table: missing", code: "SQLITE_UNKNOWN" } },
      { type: "step_begin", step: 6, cols: [{ name: "1", decltype: null }] },
      { type: "row", row: [int(1)] },
      { type: "step_end", affected_row_count: 0, last_insert_rowid: null },
    ]);
    const close = await pipeline(url, { baton: head.baton, requests: [exec("DELETE FROM t WHERE name = 'c'"), { type: "close" }] });
    assert.equal(close.status, 200);
  });

  it("chains batons between cursor and pipeline requests on one stream", async () => {
    const begin = await pipeline(url, { baton: null, requests: [exec("BEGIN"), exec("INSERT INTO t (name) VALUES ('tx')")] });
    const cur = await cursor(url, { baton: begin.json.baton, batch: { steps: [
      { stmt: { sql: "SELECT name FROM t WHERE name = 'tx'" } },
      { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 'autocommit'" } },
    ] } });
    assert.deepEqual(cur.lines.slice(1).map((e) => e.type), ["step_begin", "row", "step_end"]);
    assert.deepEqual(cur.lines[2].row, [text("tx")]);
    const stale = await cursor(url, { baton: begin.json.baton, batch: { steps: [] } });
    assert.equal(stale.status, 400);
    assert.equal(stale.json.code, "BATON_REUSED");
    const rollback = await pipeline(url, { baton: cur.lines[0].baton, requests: [exec("ROLLBACK"), { type: "close" }] });
    assert.equal(rollback.status, 200);
    assert.equal(rollback.json.results[0].type, "ok");
  });

  it("answers an empty batch with the header line alone", async () => {
    const res = await cursor(url, { baton: null, batch: { steps: [] } });
    assert.equal(res.lines.length, 1);
    await pipeline(url, { baton: res.lines[0].baton, requests: [{ type: "close" }] });
  });

  it("fails the request when sqld would fail to build the cursor's program", async () => {
    const parse = await cursor(url, { baton: null, batch: { steps: [{ stmt: { sql: "SELEKT 1" } }] } });
    assert.equal(parse.status, 500);
    assert.equal(parse.json.code, "SQL_PARSE_ERROR");
    const badStep = await cursor(url, { baton: null, batch: { steps: [{ condition: { type: "ok", step: 3 }, stmt: { sql: "SELECT 1" } }] } });
    assert.equal(badStep.status, 400);
    const badBody = await cursor(url, { baton: null });
    assert.equal(badBody.status, 400);
    assert.equal(upstream.registry.size, 0);
  });

  it("writes rows while the statement is still producing them", async () => {
    // When the first bytes reach the client the server must still be working
    // on the statement: a cursor that buffered its whole result could not
    // have sent anything yet.
    const body = JSON.stringify({ baton: null, batch: { steps: [{ stmt: { sql:
      "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000) SELECT i, printf('%040d', i) FROM c" } }] } });
    const streamsBefore = new Set(upstream.registry.streams.keys());
    const { busyAtFirstChunk, text: all } = await new Promise((resolve, reject) => {
      const req = request(url + "/v3/cursor", { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
        const parts = [];
        let busy = null;
        res.on("data", (c) => {
          if (busy === null) {
            const mine = [...upstream.registry.streams.values()].filter((s) => !streamsBefore.has(s.id));
            busy = mine.length === 1 && mine[0].state === "acquired";
          }
          parts.push(c);
        });
        res.on("end", () => resolve({ busyAtFirstChunk: busy, text: Buffer.concat(parts).toString() }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
    assert.equal(busyAtFirstChunk, true);
    const lines = all.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 1 + 1 + 20000 + 1);
    assert.deepEqual(lines.at(-2).row, [int(20000), text("20000".padStart(40, "0"))]);
    assert.equal(lines.at(-1).type, "step_end");
    await pipeline(url, { baton: lines[0].baton, requests: [{ type: "close" }] });
  });
});
