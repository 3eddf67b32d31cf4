// Hrana over WebSocket with the stock clients: @libsql/hrana-client's openWs
// in each subprotocol, and @libsql/client with ws:// URLs (both entry points).

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as hrana from "@libsql/hrana-client";
import { createClient } from "@libsql/client";
import { createClient as createWsClient } from "@libsql/client/ws";
import { startUpstream } from "./server.mjs";
import { hranaClientCases } from "./hrana_client_cases.mjs";

const wsCases = (title, { upstreamOptions = {}, version, expectProtocol, encoding }) => {
  describe(title, () => {
    let upstream;
    before(async () => { upstream = await startUpstream(upstreamOptions); });
    after(async () => { await upstream?.close(); });

    hranaClientCases({
      open: () => hrana.openWs(upstream.wsUrl, undefined, version),
      version,
      encoding,
      storeSql: (client, _stream, sql) => client.storeSql(sql),
    });

    it(`used one ${expectProtocol} connection and only ${encoding} frames`, () => {
      const { connections } = upstream.ws.stats();
      assert.deepEqual(connections.map((c) => c.protocol), [expectProtocol]);
      const frames = upstream.received.filter((r) => r.transport === "ws");
      assert.ok(frames.length > 10);
      for (const r of frames) {
        assert.equal(r.encoding, encoding);
        assert.equal(r.protocol, expectProtocol);
        assert.equal(r.connection, connections[0].id);
        assert.notEqual(r.message, null, "every frame decoded");
      }
      assert.equal(frames[0].message, "hello");
      assert.ok(upstream.receivedSql().includes("SELECT * FROM nowhere"));
    });
  });
};

wsCases("@libsql/hrana-client over WebSocket, protocol 3 (hrana3-protobuf)",
  { version: 3, expectProtocol: "hrana3-protobuf", encoding: "protobuf" });
wsCases("@libsql/hrana-client over WebSocket, protocol 3 with an upstream restricted to JSON (hrana3)",
  { upstreamOptions: { wsProtocols: ["hrana3", "hrana2", "hrana1"] }, version: 3, expectProtocol: "hrana3", encoding: "json" });
wsCases("@libsql/hrana-client over WebSocket, protocol 2 (hrana2)",
  { version: 2, expectProtocol: "hrana2", encoding: "json" });
wsCases("@libsql/hrana-client over WebSocket with an upstream restricted to hrana1",
  { upstreamOptions: { wsProtocols: ["hrana1"] }, version: 1, expectProtocol: "hrana1", encoding: "json" });

for (const [entry, create] of [["@libsql/client", createClient], ["@libsql/client/ws", createWsClient]]) {
  describe(`${entry} with a ws:// URL`, () => {
    let upstream;
    let client;

    before(async () => {
      upstream = await startUpstream();
      client = create({ url: upstream.wsUrl, intMode: "bigint" });
      await client.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, price REAL)");
    });

    after(async () => {
      client?.close();
      await upstream?.close();
    });

    it("speaks WebSocket (it offers hrana2 and hrana1, so it gets hrana2)", () => {
      assert.equal(client.protocol, "ws");
      const { connections, current } = upstream.ws.stats();
      assert.deepEqual(connections.map((c) => c.protocol), ["hrana2"]);
      assert.equal(current, 1);
    });

    it("executes with arguments and reports changes and rowids", async () => {
      const ins = await client.execute({ sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["apple", 1.25] });
      assert.equal(ins.rowsAffected, 1);
      assert.equal(ins.lastInsertRowid, 1n);
      const rs = await client.execute({ sql: "SELECT id, name, price FROM items WHERE name = :n", args: { n: "apple" } });
      assert.deepEqual(rs.columns, ["id", "name", "price"]);
      assert.deepEqual(rs.columnTypes, ["INTEGER", "TEXT", "REAL"]);
      assert.deepEqual(Array.from(rs.rows[0]), [1n, "apple", 1.25]);
    });

    it("surfaces errors like sqld's", async () => {
      await assert.rejects(client.execute("SELECT * FROM no_such_table"),
        (err) => err.code === "SQLITE_UNKNOWN" && /no such table: no_such_table/.test(err.message));
      await assert.rejects(client.execute({ sql: "INSERT INTO items (name) VALUES (?)", args: ["apple"] }),
        (err) => err.code === "SQLITE_CONSTRAINT" && /UNIQUE constraint failed: items.name/.test(err.message));
      await assert.rejects(client.execute("SELEC 1"), (err) => err.code === "SQL_PARSE_ERROR");
    });

    it("runs a batch in a transaction, all or nothing", async () => {
      const results = await client.batch([
        { sql: "INSERT INTO items (name) VALUES (?)", args: ["pear"] },
        "SELECT count(*) AS n FROM items",
      ], "write");
      assert.equal(results[0].rowsAffected, 1);
      assert.equal(results[1].rows[0].n, 2n);
      await assert.rejects(client.batch([
        { sql: "INSERT INTO items (name) VALUES (?)", args: ["plum"] },
        { sql: "INSERT INTO items (name) VALUES (?)", args: ["pear"] },
      ], "write"), (err) => err.code === "SQLITE_CONSTRAINT");
      const plum = await client.execute("SELECT count(*) AS n FROM items WHERE name = 'plum'");
      assert.equal(plum.rows[0].n, 0n, "the failed batch was rolled back");
    });

    it("commits and rolls back interactive transactions", async () => {
      const tx = await client.transaction("write");
      await tx.execute({ sql: "INSERT INTO items (name) VALUES (?)", args: ["kiwi"] });
      assert.equal((await tx.execute("SELECT count(*) AS n FROM items WHERE name = 'kiwi'")).rows[0].n, 1n);
      await tx.rollback();
      assert.equal((await client.execute("SELECT count(*) AS n FROM items WHERE name = 'kiwi'")).rows[0].n, 0n);

      const tx2 = await client.transaction("write");
      await tx2.execute({ sql: "INSERT INTO items (name) VALUES (?)", args: ["fig"] });
      await tx2.commit();
      assert.equal((await client.execute("SELECT count(*) AS n FROM items WHERE name = 'fig'")).rows[0].n, 1n);
    });

    it("reads many rows", async () => {
      await client.execute("CREATE TABLE many AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2500) SELECT x FROM c");
      const rs = await client.execute("SELECT x FROM many ORDER BY x");
      assert.equal(rs.rows.length, 2500);
      assert.equal(rs.rows[2499].x, 2500n);
    });

    it("runs executeMultiple as a sequence", async () => {
      await client.executeMultiple("CREATE TABLE seq_a (x); INSERT INTO seq_a VALUES (1); INSERT INTO seq_a VALUES (2);");
      assert.equal((await client.execute("SELECT sum(x) AS s FROM seq_a")).rows[0].s, 3n);
    });

    it("kept one upstream WebSocket connection for all of it", () => {
      const { opened, current } = upstream.ws.stats();
      assert.equal(opened, 1);
      assert.equal(current, 1);
    });
  });
}
