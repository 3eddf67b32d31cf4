// The stock @libsql/client (HTTP) against the test upstream: if it works here
// exactly as against sqld, the upstream can stand in for sqld in gate tests.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "@libsql/client";
import { startUpstream } from "./server.mjs";

const bytes = (...b) => new Uint8Array(b).buffer;

describe("@libsql/client over HTTP", () => {
  let upstream;
  let client;
  let bigClient;

  before(async () => {
    upstream = await startUpstream();
    client = createClient({ url: upstream.url });
    bigClient = createClient({ url: upstream.url, intMode: "bigint" });
    await client.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, price REAL)");
    await client.execute("CREATE TABLE vals (k TEXT PRIMARY KEY, v)");
  });

  after(async () => {
    client?.close();
    bigClient?.close();
    await upstream?.close();
  });

  it("executes with positional args and reports changes and rowid", async () => {
    const ins = await client.execute({ sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["apple", 1.25] });
    assert.equal(ins.rowsAffected, 1);
    assert.equal(ins.lastInsertRowid, 1n);
    assert.deepEqual(ins.columns, []);

    const rs = await client.execute({ sql: "SELECT id, name, price FROM items WHERE name = ?", args: ["apple"] });
    assert.deepEqual(rs.columns, ["id", "name", "price"]);
    assert.deepEqual(rs.columnTypes, ["INTEGER", "TEXT", "REAL"]);
    assert.equal(rs.rows.length, 1);
    assert.deepEqual(Array.from(rs.rows[0]), [1, "apple", 1.25]);
    assert.equal(rs.rows[0].name, "apple");
    assert.equal(rs.rowsAffected, 0);
    assert.equal(rs.lastInsertRowid, undefined);
  });

  it("executes with named args, with and without their prefix", async () => {
    const rs = await client.execute({
      sql: "SELECT :a AS a, @b AS b, $c AS c, :a || 'x' AS d",
      args: { a: "one", "@b": 2n, $c: null },
    });
    assert.deepEqual(rs.columns, ["a", "b", "c", "d"]);
    assert.deepEqual(Array.from(rs.rows[0]), ["one", 2, null, "onex"]);
  });

  it("rejects a missing argument with ARGS_INVALID", async () => {
    await assert.rejects(client.execute({ sql: "SELECT ?, ?", args: [1] }), (err) => {
      assert.equal(err.code, "ARGS_INVALID");
      assert.match(err.message, /value for parameter 2 not found/);
      return true;
    });
  });

  it("reports SQLite errors with sqld's codes", async () => {
    await assert.rejects(client.execute("SELECT * FROM no_such_table"), (err) => {
      assert.equal(err.code, "SQLITE_UNKNOWN");
      assert.match(err.message, /no such table: no_such_table/);
      return true;
    });
    await assert.rejects(client.execute({ sql: "INSERT INTO items (name) VALUES (?)", args: ["apple"] }), (err) => {
      assert.equal(err.code, "SQLITE_CONSTRAINT");
      assert.match(err.message, /UNIQUE constraint failed: items.name/);
      return true;
    });
    await assert.rejects(client.execute("SELEC 1"), (err) => {
      assert.equal(err.code, "SQL_PARSE_ERROR");
      return true;
    });
  });

  it("round-trips every value type exactly (intMode bigint)", async () => {
    const cases = [
      ["null", null, null, "null"],
      ["zero", 0n, 0n, "integer"],
      ["minus one", -1n, -1n, "integer"],
      ["2^53+1", 2n ** 53n + 1n, 2n ** 53n + 1n, "integer"],
      ["max int64", 2n ** 63n - 1n, 2n ** 63n - 1n, "integer"],
      ["-(2^63-1)", -(2n ** 63n - 1n), -(2n ** 63n - 1n), "integer"],
      ["min int64", -(2n ** 63n), -(2n ** 63n), "integer"],
      ["float", 3.141592653589793, 3.141592653589793, "real"],
      ["negative float", -0.5, -0.5, "real"],
      ["huge float", 1.7976931348623157e308, 1.7976931348623157e308, "real"],
      ["integral float", 2.0, 2.0, "real"],
      ["text", "plain", "plain", "text"],
      ["unicode", "héllo wörld ✓ 𝄞 😀 中文", "héllo wörld ✓ 𝄞 😀 中文", "text"],
      ["empty text", "", "", "text"],
      ["blob", new Uint8Array([0, 1, 2, 127, 128, 254, 255]), bytes(0, 1, 2, 127, 128, 254, 255), "blob"],
      ["empty blob", new Uint8Array([]), bytes(), "blob"],
      ["odd blob", new Uint8Array([1]), bytes(1), "blob"],
      ["true", true, 1n, "integer"],
    ];
    for (const [key, input] of cases) {
      await bigClient.execute({ sql: "INSERT INTO vals (k, v) VALUES (?, ?)", args: [key, input] });
    }
    for (const [key, , expected, type] of cases) {
      const rs = await bigClient.execute({ sql: "SELECT v, typeof(v) AS t FROM vals WHERE k = ?", args: [key] });
      assert.equal(rs.rows[0].t, type, key);
      assert.deepEqual(rs.rows[0].v, expected, key);
    }
    // The same through bound arguments that never touch a table.
    const rs = await bigClient.execute({ sql: "SELECT ?, ?, ?", args: [2n ** 63n - 1n, "𝄞", new Uint8Array([9])] });
    assert.deepEqual(Array.from(rs.rows[0]), [2n ** 63n - 1n, "𝄞", bytes(9)]);
  });

  it("returns integers as numbers by default and refuses unsafe ones", async () => {
    const rs = await client.execute("SELECT 9007199254740991 AS ok");
    assert.equal(rs.rows[0].ok, 9007199254740991);
    await assert.rejects(client.execute("SELECT 9007199254740993"), RangeError);
  });

  it("runs a successful write batch atomically", async () => {
    const results = await client.batch([
      { sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["pear", 2] },
      { sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["plum", 3] },
      "SELECT count(*) AS n FROM items WHERE name IN ('pear', 'plum')",
    ], "write");
    assert.equal(results.length, 3);
    assert.equal(results[0].rowsAffected, 1);
    assert.equal(results[1].rowsAffected, 1);
    assert.equal(results[2].rows[0].n, 2);
  });

  it("rolls back a batch in which one statement fails", async () => {
    await assert.rejects(
      client.batch([
        { sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["kiwi", 4] },
        { sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["apple", 5] },
      ], "write"),
      (err) => {
        assert.equal(err.code, "SQLITE_CONSTRAINT");
        return true;
      },
    );
    const rs = await client.execute("SELECT count(*) AS n FROM items WHERE name = 'kiwi'");
    assert.equal(rs.rows[0].n, 0);
  });

  it("commits an interactive transaction", async (t) => {
    const tx = await client.transaction("write");
    t.after(() => tx.close());
    await tx.execute({ sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["fig", 6] });
    const inside = await tx.execute("SELECT price FROM items WHERE name = 'fig'");
    assert.deepEqual(Array.from(inside.rows[0]), [6]);
    // Another stream does not see the uncommitted row.
    const outside = await client.execute("SELECT count(*) AS n FROM items WHERE name = 'fig'");
    assert.equal(outside.rows[0].n, 0);
    await tx.commit();
    assert.equal(tx.closed, true);
    const committed = await client.execute("SELECT count(*) AS n FROM items WHERE name = 'fig'");
    assert.equal(committed.rows[0].n, 1);
  });

  it("rolls back an interactive transaction", async (t) => {
    const tx = await client.transaction("write");
    t.after(() => tx.close());
    await tx.execute({ sql: "UPDATE items SET price = ? WHERE name = ?", args: [99, "apple"] });
    await tx.execute({ sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["lime", 7] });
    await tx.rollback();
    const rs = await client.execute("SELECT price, (SELECT count(*) FROM items WHERE name = 'lime') AS n FROM items WHERE name = 'apple'");
    assert.deepEqual(Array.from(rs.rows[0]), [1.25, 0]);
  });

  it("runs a transaction batch and sees its own writes", async (t) => {
    const tx = await client.transaction("write");
    t.after(() => tx.close());
    const results = await tx.batch([
      { sql: "INSERT INTO items (name, price) VALUES (?, ?)", args: ["date", 8] },
      "SELECT price FROM items WHERE name = 'date'",
    ]);
    assert.deepEqual(Array.from(results[1].rows[0]), [8]);
    await tx.rollback();
    const rs = await client.execute("SELECT count(*) AS n FROM items WHERE name = 'date'");
    assert.equal(rs.rows[0].n, 0);
  });

  it("runs several statements with executeMultiple (sequence)", async () => {
    await client.executeMultiple(`
      CREATE TABLE seq_a (x INTEGER);
      INSERT INTO seq_a VALUES (1);
      INSERT INTO seq_a VALUES (2);
    `);
    const rs = await client.execute("SELECT sum(x) AS s FROM seq_a");
    assert.equal(rs.rows[0].s, 3);
  });

  it("uses only POST /v2/pipeline, closing each stream", async () => {
    upstream.reset();
    await client.execute("SELECT 1");
    const tx = await client.transaction("read");
    await tx.execute("SELECT 2");
    await tx.commit();
    const paths = new Set(upstream.received.map((r) => `${r.method} ${r.path}`));
    assert.deepEqual([...paths], ["POST /v2/pipeline"]);
    const last = upstream.received.at(-1).body;
    assert.equal(last.requests.at(-1).type, "close");
    assert.equal(upstream.registry.size, 0);
  });
});
