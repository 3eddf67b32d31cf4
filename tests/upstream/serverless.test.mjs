// The stock @tursodatabase/serverless driver against the test upstream. It
// reads through POST /v3/cursor and keeps one stream (baton) per connection,
// so this also holds the cursor framing and baton chaining to sqld's.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@tursodatabase/serverless";
import { startUpstream } from "./server.mjs";

describe("@tursodatabase/serverless", () => {
  let upstream;
  let conn;

  before(async () => {
    upstream = await startUpstream();
    conn = connect({ url: upstream.url });
    await conn.exec(`
      CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL);
      CREATE TABLE vals (k TEXT PRIMARY KEY, v);
      CREATE TABLE big (n INTEGER);
    `);
  });

  after(async () => {
    await conn?.close();
    await upstream?.close();
  });

  it("runs statements with positional args", async () => {
    const r1 = await conn.run("INSERT INTO users (name, score) VALUES (?, ?)", ["ada", 9.5]);
    assert.deepEqual(r1, { changes: 1, lastInsertRowid: 1 });
    const r2 = await conn.run("INSERT INTO users (name, score) VALUES (?, ?)", "bob", 7.25);
    assert.deepEqual(r2, { changes: 1, lastInsertRowid: 2 });
    const row = await conn.get("SELECT id, name, score FROM users WHERE name = ?", ["ada"]);
    assert.deepEqual(row, { id: 1, name: "ada", score: 9.5 });
    const rows = await conn.all("SELECT name FROM users ORDER BY id");
    assert.deepEqual(rows, [{ name: "ada" }, { name: "bob" }]);
  });

  it("runs statements with named args", async () => {
    const row = await conn.get("SELECT :a AS a, @b AS b, $c AS c", { a: 1, b: "two", c: null });
    assert.deepEqual(row, { a: 1, b: "two", c: null });
  });

  it("prepares statements with column metadata from describe", async () => {
    const stmt = await conn.prepare("SELECT id, name, score, 1 + 1 AS two FROM users WHERE id = ?");
    assert.equal(stmt.reader, true);
    assert.deepEqual(stmt.columns(), [
      { name: "id", type: "INTEGER" },
      { name: "name", type: "TEXT" },
      { name: "score", type: "REAL" },
      { name: "two", type: null },
    ]);
    assert.deepEqual(await stmt.raw().get([2]), [2, "bob", 7.25, 2]);
    const insert = await conn.prepare("INSERT INTO users (name) VALUES (?)");
    assert.equal(insert.reader, false);
  });

  it("surfaces SQLite errors with their codes", async () => {
    await assert.rejects(conn.run("INSERT INTO users (name) VALUES (?)", ["ada"]), (err) => {
      assert.equal(err.name, "DatabaseError");
      assert.equal(err.code, "SQLITE_CONSTRAINT");
      assert.match(err.message, /UNIQUE constraint failed: users.name/);
      return true;
    });
    await assert.rejects(conn.all("SELECT * FROM missing"), (err) => {
      assert.equal(err.code, "SQLITE_UNKNOWN");
      return true;
    });
  });

  it("round-trips every value type exactly with safe integers", async () => {
    conn.defaultSafeIntegers(true);
    try {
      const cases = [
        ["null", null, null, "null"],
        ["zero", 0n, 0n, "integer"],
        ["minus one", -1n, -1n, "integer"],
        ["2^53+1", 2n ** 53n + 1n, 2n ** 53n + 1n, "integer"],
        ["max int64", 2n ** 63n - 1n, 2n ** 63n - 1n, "integer"],
        ["-(2^63-1)", -(2n ** 63n - 1n), -(2n ** 63n - 1n), "integer"],
        ["min int64", -(2n ** 63n), -(2n ** 63n), "integer"],
        ["float", 0.1, 0.1, "real"],
        ["negative float", -1e-300, -1e-300, "real"],
        ["text", "héllo ✓ 𝄞 😀", "héllo ✓ 𝄞 😀", "text"],
        ["empty text", "", "", "text"],
        ["blob", new Uint8Array([0, 255, 16, 32]), Buffer.from([0, 255, 16, 32]), "blob"],
        ["empty blob", new Uint8Array([]), Buffer.alloc(0), "blob"],
        ["two-byte blob", new Uint8Array([7, 8]), Buffer.from([7, 8]), "blob"],
      ];
      for (const [key, input] of cases) {
        await conn.run("INSERT INTO vals (k, v) VALUES (?, ?)", [key, input]);
      }
      for (const [key, , expected, type] of cases) {
        const row = await conn.get("SELECT v, typeof(v) AS t FROM vals WHERE k = ?", [key]);
        assert.equal(row.t, type, key);
        assert.deepEqual(row.v, expected, key);
      }
    } finally {
      conn.defaultSafeIntegers(false);
    }
  });

  it("runs an atomic batch, and rolls it back when a statement fails", async () => {
    const ok = await conn.batch([
      { sql: "INSERT INTO users (name) VALUES (?)", args: ["cy"] },
      "SELECT count(*) AS n FROM users",
    ], "write");
    assert.equal(ok.length, 2);
    assert.equal(ok[0].rowsAffected, 1);
    assert.deepEqual(ok[1].rows, [{ n: 3 }]);

    await assert.rejects(conn.batch([
      { sql: "INSERT INTO users (name) VALUES (?)", args: ["dee"] },
      { sql: "INSERT INTO users (name) VALUES (?)", args: ["ada"] },
    ], "write"), (err) => {
      assert.equal(err.code, "SQLITE_CONSTRAINT");
      return true;
    });
    assert.equal(conn.inTransaction, false);
    assert.deepEqual(await conn.get("SELECT count(*) AS n FROM users WHERE name = 'dee'"), { n: 0 });
  });

  it("commits and rolls back interactive transactions", async () => {
    const addTwo = conn.transactionAsync(async (tx, a, b) => {
      await tx.run("INSERT INTO users (name) VALUES (?)", [a]);
      await tx.run("INSERT INTO users (name) VALUES (?)", [b]);
    });
    await addTwo.immediate("eve", "fay");
    assert.deepEqual(await conn.get("SELECT count(*) AS n FROM users WHERE name IN ('eve', 'fay')"), { n: 2 });

    await assert.rejects(addTwo.immediate("gus", "ada"), (err) => err.code === "SQLITE_CONSTRAINT");
    assert.deepEqual(await conn.get("SELECT count(*) AS n FROM users WHERE name = 'gus'"), { n: 0 });
  });

  it("tracks a transaction opened with BEGIN on the connection's stream", async () => {
    await conn.exec("BEGIN");
    assert.equal(conn.inTransaction, true);
    await conn.run("INSERT INTO users (name) VALUES (?)", ["hal"]);
    assert.equal(conn.inTransaction, true);
    await conn.exec("ROLLBACK");
    assert.equal(conn.inTransaction, false);
    assert.deepEqual(await conn.get("SELECT count(*) AS n FROM users WHERE name = 'hal'"), { n: 0 });
  });

  it("streams many rows through a cursor", async () => {
    await conn.exec(`
      WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 5000)
      INSERT INTO big SELECT i FROM c;
    `);
    const stmt = await conn.prepare("SELECT n FROM big ORDER BY n");
    let count = 0;
    let sum = 0;
    for await (const row of stmt.iterate()) {
      count++;
      sum += row.n;
    }
    assert.equal(count, 5000);
    assert.equal(sum, (5000 * 5001) / 2);
  });

  it("uses /v3/cursor for reads and writes, /v3/pipeline for the rest, chaining one baton", async () => {
    const fresh = connect({ url: upstream.url });
    upstream.reset();
    await fresh.get("SELECT 1 AS one");
    await fresh.prepare("SELECT 2");
    await fresh.exec("SELECT 3");
    await fresh.close();
    const seen = upstream.received.map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(seen, ["POST /v3/cursor", "POST /v3/pipeline", "POST /v3/pipeline", "POST /v3/pipeline"]);
    const batons = upstream.received.map((r) => r.body.baton);
    assert.equal(batons[0], null);
    assert.equal(new Set(batons).size, 4, "each request presents the baton of the previous response");
    assert.deepEqual(upstream.received.at(-1).body.requests, [{ type: "close" }]);
  });
});
