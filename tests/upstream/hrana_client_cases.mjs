// One set of checks with the stock @libsql/hrana-client, run over every
// transport and encoding the upstream speaks (HTTP protobuf, WebSocket JSON
// and protobuf): the same answers whatever carries them.

import { it, before, after } from "node:test";
import assert from "node:assert/strict";
import * as hrana from "@libsql/hrana-client";

// open() returns a connected hrana client; storeSql(client, stream, sql) is
// where the transport keeps SQL texts (stream for HTTP, client for WebSocket).
export function hranaClientCases({ open, version, encoding, storeSql }) {
  let client;

  before(async () => {
    client = await open();
    client.intMode = "bigint";
    // Over WebSocket the version is known once the handshake is done.
    await client.getVersion();
    const stream = client.openStream();
    await stream.run("DROP TABLE IF EXISTS cases");
    await stream.run("CREATE TABLE cases (id INTEGER PRIMARY KEY, name TEXT UNIQUE, v)");
    stream.close();
  });

  after(() => {
    client?.close();
  });

  it(`negotiates protocol version ${version}`, async () => {
    assert.equal(await client.getVersion(), version);
  });

  it("round-trips every value type exactly", async () => {
    const stream = client.openStream();
    try {
      const blob = new Uint8Array([0, 1, 254, 255, 61]);
      const row = await stream.queryRow(["SELECT ?, ?, ?, ?, ?, ?, ?, ?",
        [null, 9007199254740993n, -9223372036854775808n, 9223372036854775807n, -1.5, "héllo ✓", blob, 0n]]);
      assert.deepEqual(Array.from(row.row).slice(0, 6),
        [null, 9007199254740993n, -9223372036854775808n, 9223372036854775807n, -1.5, "héllo ✓"]);
      assert.deepEqual(new Uint8Array(row.row[6]), blob);
      assert.equal(row.row[7], 0n);
      assert.deepEqual(row.columnNames, ["?", "?", "?", "?", "?", "?", "?", "?"]);
      if (encoding === "protobuf") {
        // JSON cannot carry an infinite float (sqld's serde_json writes null); protobuf's double can.
        assert.equal((await stream.queryValue("SELECT 1e999")).value, Infinity);
      }
    } finally {
      stream.close();
    }
  });

  it("reports changes, rowids, columns and decltypes", async () => {
    const stream = client.openStream();
    try {
      const ins = await stream.run(["INSERT INTO cases (name, v) VALUES (?, ?)", ["a", 1n]]);
      assert.equal(ins.affectedRowCount, 1);
      assert.equal(typeof ins.lastInsertRowid, "bigint");
      const id = ins.lastInsertRowid;
      const rows = await stream.query(["SELECT id, name, v FROM cases WHERE id = ?", [id]]);
      assert.deepEqual(rows.columnNames, ["id", "name", "v"]);
      assert.deepEqual(rows.columnDecltypes, ["INTEGER", "TEXT", undefined]);
      assert.deepEqual(Array.from(rows.rows[0]), [id, "a", 1n]);
      const sel = await stream.run("SELECT 1");
      assert.equal(sel.affectedRowCount, 0);
      const upd = await stream.run(["UPDATE cases SET v = v + 1 WHERE id = ?", [id]]);
      assert.equal(upd.affectedRowCount, 1);
    } finally {
      stream.close();
    }
  });

  it("surfaces statement errors with sqld's codes and keeps the stream usable", async () => {
    const stream = client.openStream();
    try {
      await assert.rejects(stream.query("SELECT * FROM no_such_table"), (err) => {
        assert.ok(err instanceof hrana.ResponseError);
        assert.equal(err.code, "SQLITE_UNKNOWN");
        assert.match(err.message, /no such table: no_such_table/);
        return true;
      });
      await stream.run(["INSERT OR IGNORE INTO cases (name) VALUES (?)", ["dup"]]);
      await assert.rejects(stream.run(["INSERT INTO cases (name) VALUES (?)", ["dup"]]),
        (err) => err.code === "SQLITE_CONSTRAINT" && /UNIQUE constraint failed: cases.name/.test(err.message));
      await assert.rejects(stream.run("SELEC 1"), (err) => err.code === "SQL_PARSE_ERROR");
      await assert.rejects(stream.run(["SELECT ?, ?", [1n]]), (err) => err.code === "ARGS_INVALID");
      assert.equal((await stream.queryValue("SELECT 'still here'")).value, "still here");
    } finally {
      stream.close();
    }
  });

  it("keeps an interactive transaction on its stream: commit and rollback", async () => {
    const stream = client.openStream();
    const other = client.openStream();
    try {
      await stream.run("BEGIN");
      await stream.run(["INSERT INTO cases (name) VALUES (?)", ["tx-rolled-back"]]);
      assert.equal((await stream.queryValue("SELECT count(*) FROM cases WHERE name = 'tx-rolled-back'")).value, 1n);
      assert.equal((await other.queryValue("SELECT count(*) FROM cases WHERE name = 'tx-rolled-back'")).value, 0n,
        "another stream must not see the open transaction");
      await stream.run("ROLLBACK");
      assert.equal((await stream.queryValue("SELECT count(*) FROM cases WHERE name = 'tx-rolled-back'")).value, 0n);

      await stream.run("BEGIN");
      await stream.run(["INSERT INTO cases (name) VALUES (?)", ["tx-committed"]]);
      await stream.run("COMMIT");
      assert.equal((await other.queryValue("SELECT count(*) FROM cases WHERE name = 'tx-committed'")).value, 1n);
    } finally {
      stream.close();
      other.close();
    }
  });

  for (const useCursor of version >= 3 ? [false, true] : [false]) {
    it(`runs a batch with conditions${useCursor ? " through a cursor" : ""}`, async () => {
      const stream = client.openStream();
      try {
        const batch = stream.batch(useCursor);
        const first = batch.step().query("SELECT 1 AS a UNION ALL SELECT 2");
        const failingStep = batch.step();
        const failing = failingStep.run("SELECT * FROM nowhere");
        const onError = batch.step().condition(hrana.BatchCond.error(failingStep)).queryValue("SELECT 'recovered'");
        const onOk = batch.step().condition(hrana.BatchCond.ok(failingStep)).queryValue("SELECT 'never'");
        const failed = assert.rejects(failing, (err) => err.code === "SQLITE_UNKNOWN" && /no such table: nowhere/.test(err.message));
        await batch.execute();
        await failed;
        const rows = await first;
        assert.deepEqual(rows.columnNames, ["a"]);
        assert.deepEqual(rows.rows.map((r) => r[0]), [1n, 2n]);
        assert.equal((await onError).value, "recovered");
        assert.equal(await onOk, undefined);
      } finally {
        stream.close();
      }
    });
  }

  if (version >= 2) {
    it("describes a statement", async () => {
      const stream = client.openStream();
      try {
        const d = await stream.describe("SELECT id, name FROM cases WHERE id = :id AND name = ?2");
        assert.deepEqual(d.paramNames, [":id", "?2"]);
        assert.deepEqual(d.columns, [{ name: "id", decltype: "INTEGER" }, { name: "name", decltype: "TEXT" }]);
        assert.equal(d.isExplain, false);
        assert.equal(d.isReadonly, true);
        const w = await stream.describe("EXPLAIN DELETE FROM cases");
        assert.equal(w.isExplain, true);
      } finally {
        stream.close();
      }
    });

    it("runs stored SQL texts by id", async () => {
      const stream = client.openStream();
      try {
        const sql = storeSql(client, stream, "SELECT ? * 2 AS doubled");
        assert.equal((await stream.queryValue([sql, [21n]])).value, 42n);
        assert.equal((await stream.queryValue([sql, [5n]])).value, 10n);
        sql.close();
      } finally {
        stream.close();
      }
    });
  }

  if (version >= 3) {
    it("reports the autocommit state", async () => {
      const stream = client.openStream();
      try {
        assert.equal(await stream.getAutocommit(), true);
        await stream.run("BEGIN");
        assert.equal(await stream.getAutocommit(), false);
        await stream.run("ROLLBACK");
        assert.equal(await stream.getAutocommit(), true);
      } finally {
        stream.close();
      }
    });
  }
}
