// Raw POST /v2|v3/pipeline: every stream request, result shapes, value
// encoding and error handling, checked field by field against sqld's.

import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { startUpstream } from "./server.mjs";
import { pipeline, postJson, stable, exec, int, float, text, blob, NULL } from "./test_support.mjs";

describe("pipeline requests", () => {
  let upstream;
  let url;

  // One pipeline on a fresh stream, closed at the end; returns the results
  // of `requests` (without the trailing close).
  async function run(requests, version = 3) {
    const res = await pipeline(url, { baton: null, requests: [...requests, { type: "close" }] }, { version });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.baton, null);
    assert.equal(res.json.base_url, null);
    assert.deepEqual(res.json.results.at(-1), { type: "ok", response: { type: "close" } });
    return res.json.results.slice(0, -1);
  }

  before(async () => {
    upstream = await startUpstream();
    url = upstream.url;
    await run([
      exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER, f REAL, b BLOB)"),
      exec("INSERT INTO t (name, n, f, b) VALUES ('one', 1, 1.5, x'0102'), ('two', 2, 2.5, NULL)"),
    ]);
  });

  after(async () => {
    await upstream?.close();
  });

  it("answers the version probes and health checks", async () => {
    for (const path of ["/v2", "/v3", "/v3-protobuf", "/health", "/version"]) {
      const res = await fetch(url + path);
      assert.equal(res.status, 200, path);
      await res.arrayBuffer();
    }
    for (const [method, path, status] of [["GET", "/v3-protobuf/pipeline", 405], ["POST", "/v3-protobuf", 405],
                                          ["POST", "/v3-protobuf/other", 404], ["GET", "/nope", 404]]) {
      const res = await fetch(url + path, { method });
      assert.equal(res.status, status, `${method} ${path}`);
      await res.arrayBuffer();
    }
  });

  it("returns an execute result with sqld's fields", async () => {
    const [res] = await run([exec("SELECT id, name, n, f, b FROM t ORDER BY id")]);
    assert.equal(res.type, "ok");
    assert.equal(res.response.type, "execute");
    assert.deepEqual(stable(res.response.result), {
      cols: [
        { name: "id", decltype: "INTEGER" },
        { name: "name", decltype: "TEXT" },
        { name: "n", decltype: "INTEGER" },
        { name: "f", decltype: "REAL" },
        { name: "b", decltype: "BLOB" },
      ],
      rows: [
        [int(1), text("one"), int(1), float(1.5), blob([1, 2])],
        [int(2), text("two"), int(2), float(2.5), NULL],
      ],
      affected_row_count: 0,
      last_insert_rowid: null,
      replication_index: null,
      rows_read: 2,
      rows_written: 0,
    });
  });

  it("reports changes and the rowid of writes, and honours want_rows", async () => {
    const [ins, upd, ret, noRows] = await run([
      exec("INSERT INTO t (name) VALUES ('three')"),
      exec("UPDATE t SET n = n + 10 WHERE n IS NOT NULL"),
      exec("UPDATE t SET n = n - 10 WHERE n IS NOT NULL RETURNING id"),
      exec("SELECT id FROM t", undefined, { want_rows: false }),
    ]);
    assert.equal(ins.response.result.affected_row_count, 1);
    assert.equal(ins.response.result.last_insert_rowid, "3");
    assert.equal(upd.response.result.affected_row_count, 2);
    assert.deepEqual(ret.response.result.rows, [[int(1)], [int(2)]]);
    assert.equal(ret.response.result.affected_row_count, 2);
    assert.deepEqual(noRows.response.result.cols, [{ name: "id", decltype: "INTEGER" }]);
    assert.deepEqual(noRows.response.result.rows, []);
    await run([exec("DELETE FROM t WHERE name = 'three'")]);
  });

  it("encodes and decodes every value type exactly", async () => {
    const values = [
      NULL, int(0), int(-1), int("9007199254740993"), int("9223372036854775807"), int("-9223372036854775808"),
      float(0.1), float(-2.5e-300), float(1e300), text(""), text("ünï ✓ 𝄞 😀"), blob([]), blob([0]), blob([0, 1]),
      blob([255, 254, 253]),
    ];
    const placeholders = values.map(() => "?").join(", ");
    const [res] = await run([exec(`SELECT ${placeholders}`, values)]);
    assert.deepEqual(res.response.result.rows, [values]);
    // Blobs come back without base64 padding, as sqld sends them; padded input is accepted.
    const [padded] = await run([exec("SELECT ?", [{ type: "blob", base64: "AAE=" }])]);
    assert.deepEqual(padded.response.result.rows, [[{ type: "blob", base64: "AAE" }]]);
    const [typed] = await run([exec("SELECT typeof(?), typeof(?), typeof(?)", [int(1), float(1), blob([])])]);
    assert.deepEqual(typed.response.result.rows, [[text("integer"), text("real"), text("blob")]]);
  });

  it("binds arguments by sqld's rules", async () => {
    const [named, numbered, both, tooMany, missing, positionalForNamed] = await run([
      { type: "execute", stmt: { sql: "SELECT :a, @b, $c, :a", named_args: [
        { name: "a", value: int(1) }, { name: "@b", value: int(2) }, { name: "$c", value: int(3) }] } },
      exec("SELECT ?2, ?1, ?", [int(1), int(2), int(3)]),
      { type: "execute", stmt: { sql: "SELECT ?", args: [int(1)], named_args: [{ name: "a", value: int(1) }] } },
      exec("SELECT ?", [int(1), int(2)]),
      exec("SELECT ?, ?", [int(1)]),
      exec("SELECT :a", [int(1)]),
    ]);
    assert.deepEqual(named.response.result.rows, [[int(1), int(2), int(3), int(1)]]);
    assert.deepEqual(numbered.response.result.rows, [[int(2), int(1), int(3)]]);
    assert.deepEqual(both, { type: "error", error: {
      message: "Specifying both positional and named arguments is not supported",
      code: "ARGS_BOTH_POSITIONAL_AND_NAMED" } });
    assert.deepEqual(tooMany, { type: "error", error: {
      message: "Arguments do not match SQL parameters: too many parameters, expected 1 found 2", code: "ARGS_INVALID" } });
    assert.deepEqual(missing, { type: "error", error: {
      message: "Arguments do not match SQL parameters: value for parameter 2 not found", code: "ARGS_INVALID" } });
    assert.deepEqual(positionalForNamed, { type: "error", error: {
      message: "Arguments do not match SQL parameters: value for parameter :a not found", code: "ARGS_INVALID" } });
  });

  it("reports statement errors as results and keeps executing the pipeline", async () => {
    const results = await run([
      exec("SELECT * FROM missing"),
      exec("INSERT INTO t (name) VALUES ('one')"),
      exec("SELEKT 1"),
      exec("SELECT 1; SELECT 2"),
      exec("  -- nothing\n"),
      exec("SELECT 'still running'"),
    ]);
    assert.deepEqual(results.slice(0, 5), [
      { type: "error", error: { message: "SQLite error: no such table: missing", code: "SQLITE_UNKNOWN" } },
      { type: "error", error: { message: "SQLite error: UNIQUE constraint failed: t.name", code: "SQLITE_CONSTRAINT" } },
      { type: "error", error: { message: 'SQL string could not be parsed: near "SELEKT": syntax error', code: "SQL_PARSE_ERROR" } },
      { type: "error", error: { message: "SQL string contains more than one statement", code: "SQL_MANY_STATEMENTS" } },
      { type: "error", error: { message: "SQL string does not contain any statement", code: "SQL_NO_STATEMENT" } },
    ]);
    assert.deepEqual(results[5].response.result.rows, [[text("still running")]]);
  });

  it("evaluates batch conditions", async () => {
    const steps = [
      { stmt: { sql: "SELECT 'a'" } },                                                            // 0 ok
      { stmt: { sql: "SELECT * FROM missing" } },                                                 // 1 error
      { condition: { type: "ok", step: 0 }, stmt: { sql: "SELECT 'ok0'" } },                        // 2 runs
      { condition: { type: "ok", step: 1 }, stmt: { sql: "SELECT 'ok1'" } },                        // 3 skipped
      { condition: { type: "error", step: 1 }, stmt: { sql: "SELECT 'err1'" } },                    // 4 runs
      { condition: { type: "not", cond: { type: "ok", step: 3 } }, stmt: { sql: "SELECT 'not3'" } }, // 5 runs: skipped is not ok
      { condition: { type: "error", step: 3 }, stmt: { sql: "SELECT 'err3'" } },                    // 6 skipped: skipped is not error
      { condition: { type: "and", conds: [{ type: "ok", step: 0 }, { type: "error", step: 1 }] }, stmt: { sql: "SELECT 'and'" } }, // 7
      { condition: { type: "or", conds: [{ type: "ok", step: 1 }, { type: "ok", step: 3 }] }, stmt: { sql: "SELECT 'or'" } },     // 8 skipped
      { condition: { type: "and", conds: [] }, stmt: { sql: "SELECT 'empty and'" } },               // 9 runs
      { condition: { type: "or", conds: [] }, stmt: { sql: "SELECT 'empty or'" } },                 // 10 skipped
      { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 'auto'" } },                    // 11 runs
    ];
    const [res] = await run([{ type: "batch", batch: { steps } }]);
    assert.equal(res.response.type, "batch");
    const { step_results: results, step_errors: errors } = res.response.result;
    const ran = results.map((r) => (r === null ? null : r.rows[0][0].value));
    assert.deepEqual(ran, ["a", null, "ok0", null, "err1", "not3", null, "and", null, "empty and", null, "auto"]);
    assert.deepEqual(errors.map((e) => e?.code ?? null),
      [null, "SQLITE_UNKNOWN", null, null, null, null, null, null, null, null, null, null]);
    assert.deepEqual(stable(results[0]), {
      cols: [{ name: "'a'", decltype: null }], rows: [[text("a")]], affected_row_count: 0,
      last_insert_rowid: null, replication_index: null, rows_read: 1, rows_written: 0,
    });
    assert.equal(res.response.result.replication_index, null);
  });

  it("runs a transactional batch: the failed step rolls everything back", async () => {
    const steps = [
      { stmt: { sql: "BEGIN" } },
      { condition: { type: "ok", step: 0 }, stmt: { sql: "INSERT INTO t (name) VALUES ('four')" } },
      { condition: { type: "ok", step: 1 }, stmt: { sql: "INSERT INTO t (name) VALUES ('one')" } },
      { condition: { type: "ok", step: 2 }, stmt: { sql: "COMMIT" } },
      { condition: { type: "not", cond: { type: "ok", step: 3 } }, stmt: { sql: "ROLLBACK" } },
      { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT count(*) FROM t WHERE name = 'four'" } },
    ];
    const [res] = await run([{ type: "batch", batch: { steps } }]);
    const { step_results: results, step_errors: errors } = res.response.result;
    assert.equal(errors[2].code, "SQLITE_CONSTRAINT");
    assert.equal(results[3], null);
    assert.notEqual(results[4], null);
    assert.deepEqual(results[5].rows, [[int(0)]]);
  });

  it("lets later batch steps use tables created by earlier ones", async () => {
    const [res] = await run([{ type: "batch", batch: { steps: [
      { stmt: { sql: "CREATE TABLE batch_made (x)" } },
      { stmt: { sql: "INSERT INTO batch_made VALUES (?)", args: [int(42)] } },
      { stmt: { sql: "SELECT x FROM batch_made" } },
      { stmt: { sql: "DROP TABLE batch_made" } },
    ] } }]);
    assert.deepEqual(res.response.result.step_errors, [null, null, null, null]);
    assert.deepEqual(res.response.result.step_results[2].rows, [[int(42)]]);
  });

  it("fails a whole batch request on text sqld cannot parse, running none of it", async () => {
    const [res, check] = await run([
      { type: "batch", batch: { steps: [
        { stmt: { sql: "INSERT INTO t (name) VALUES ('five')" } },
        { stmt: { sql: "INSERT INTO t (name) VALUES (" } },
      ] } },
      exec("SELECT count(*) FROM t WHERE name = 'five'"),
    ]);
    assert.equal(res.type, "error");
    assert.equal(res.error.code, "SQL_PARSE_ERROR");
    assert.deepEqual(check.response.result.rows, [[int(0)]]);
  });

  it("runs a sequence and stops at its first failing statement", async () => {
    const [ok, failed, check] = await run([
      { type: "sequence", sql: "CREATE TABLE seq (x); INSERT INTO seq VALUES (1); INSERT INTO seq VALUES (2);" },
      { type: "sequence", sql: "INSERT INTO seq VALUES (3); INSERT INTO nope VALUES (4); INSERT INTO seq VALUES (5);" },
      exec("SELECT group_concat(x) FROM seq"),
    ]);
    assert.deepEqual(ok, { type: "ok", response: { type: "sequence" } });
    assert.deepEqual(failed, { type: "error", error: { message: "SQLite error: no such table: nope", code: "SQLITE_UNKNOWN" } });
    assert.deepEqual(check.response.result.rows, [[text("1,2,3")]]);
  });

  it("describes statements", async () => {
    const [sel, ins, explain, bad] = await run([
      { type: "describe", sql: "SELECT id, name AS label, n + 1 FROM t WHERE id = ? AND name = :name OR n = ?3" },
      { type: "describe", sql: "INSERT INTO t (name) VALUES (@v)" },
      { type: "describe", sql: "EXPLAIN SELECT 1" },
      { type: "describe", sql: "SELECT * FROM missing" },
    ]);
    assert.deepEqual(sel.response, { type: "describe", result: {
      params: [{ name: null }, { name: ":name" }, { name: "?3" }],
      cols: [{ name: "id", decltype: "INTEGER" }, { name: "label", decltype: "TEXT" }, { name: "n + 1", decltype: null }],
      is_explain: false,
      is_readonly: true,
    } });
    assert.deepEqual(ins.response.result, { params: [{ name: "@v" }], cols: [], is_explain: false, is_readonly: false });
    assert.equal(explain.response.result.is_explain, true);
    const [explained] = await run([exec("EXPLAIN QUERY PLAN SELECT * FROM t WHERE id = :id")]);
    assert.equal(explained.type, "ok", "EXPLAIN runs without values for its parameters");
    assert.equal(bad.error.code, "SQLITE_UNKNOWN");
  });

  it("stores SQL texts per stream and runs them by id", async () => {
    const first = await pipeline(url, { baton: null, requests: [
      { type: "store_sql", sql_id: 1, sql: "SELECT name FROM t WHERE id = ?" },
      { type: "execute", stmt: { sql_id: 1, args: [int(2)] } },
      { type: "batch", batch: { steps: [{ stmt: { sql_id: 1, args: [int(1)] } }] } },
      { type: "describe", sql_id: 1 },
      { type: "close_sql", sql_id: 1 },
      { type: "close_sql", sql_id: 99 },
    ] });
    assert.equal(first.status, 200);
    const [stored, execd, batched, described, closed, closedUnknown] = first.json.results;
    assert.deepEqual(stored, { type: "ok", response: { type: "store_sql" } });
    assert.deepEqual(execd.response.result.rows, [[text("two")]]);
    assert.deepEqual(batched.response.result.step_results[0].rows, [[text("one")]]);
    assert.deepEqual(described.response.result.params, [{ name: null }]);
    assert.deepEqual(closed, { type: "ok", response: { type: "close_sql" } });
    assert.deepEqual(closedUnknown, { type: "ok", response: { type: "close_sql" } });

    // A closed id is gone: using it is a protocol error that fails the request.
    const again = await pipeline(url, { baton: first.json.baton, requests: [{ type: "execute", stmt: { sql_id: 1 } }] });
    assert.equal(again.status, 400);
    assert.equal(again.json.code, "SQL_NOT_FOUND");

    // Ids are scoped to their stream.
    const a = await pipeline(url, { baton: null, requests: [{ type: "store_sql", sql_id: 7, sql: "SELECT 7" }] });
    const b = await pipeline(url, { baton: null, requests: [{ type: "execute", stmt: { sql_id: 7 } }] });
    assert.equal(a.status, 200);
    assert.equal(b.status, 400);
    assert.equal(b.json.message, "SQL text 7 not found");
    await pipeline(url, { baton: a.json.baton, requests: [{ type: "close" }] });
  });

  it("rejects a duplicate SQL id and both sql and sql_id", async () => {
    const dup = await pipeline(url, { baton: null, requests: [
      { type: "store_sql", sql_id: 1, sql: "SELECT 1" }, { type: "store_sql", sql_id: 1, sql: "SELECT 2" }] });
    assert.equal(dup.status, 400);
    assert.equal(dup.json.message, "SQL text 1 already exists");
    const both = await pipeline(url, { baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT 1", sql_id: 1 } }] });
    assert.equal(both.status, 400);
    assert.equal(both.json.message, "Either `sql` or `sql_id` are required, but not both");
  });

  it("limits stored SQL as sqld does", async () => {
    const many = Array.from({ length: 51 }, (_, i) => ({ type: "store_sql", sql_id: i, sql: "SELECT 1" }));
    const res = await pipeline(url, { baton: null, requests: [...many,
      { type: "store_sql", sql_id: 100, sql: `SELECT '${"x".repeat(5000)}'` }, { type: "close" }] });
    assert.equal(res.status, 200);
    assert.equal(res.json.results[49].type, "ok");
    assert.deepEqual(res.json.results[50].error,
      { message: "The server already stores 50 SQL texts, it cannot store more", code: "SQL_STORE_TOO_MANY" });
    assert.equal(res.json.results[51].error.code, "SQL_STORE_TOO_MANY");
  });

  it("reports the autocommit state on v3 only", async () => {
    const res = await pipeline(url, { baton: null, requests: [
      { type: "get_autocommit" }, exec("BEGIN"), { type: "get_autocommit" }, exec("ROLLBACK"),
      { type: "get_autocommit" }, { type: "close" }] });
    assert.deepEqual(res.json.results.filter((r) => r.response.type === "get_autocommit")
      .map((r) => r.response.is_autocommit), [true, false, true]);

    const v2 = await pipeline(url, { baton: null, requests: [{ type: "get_autocommit" }] }, { version: 2 });
    assert.equal(v2.status, 400);
    const v2cond = await pipeline(url, { baton: null, requests: [{ type: "batch", batch: { steps: [
      { condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 1" } }] } }] }, { version: 2 });
    assert.equal(v2cond.status, 400);
  });

  it("executes the same requests on v2", async () => {
    const [res] = await run([exec("SELECT ?", [int(5)])], 2);
    assert.deepEqual(res.response.result.rows, [[int(5)]]);
  });

  it("rejects malformed bodies with 400 and a JSON error, executing nothing", async () => {
    const bodies = [
      "{not json",
      "[]",
      "null",
      JSON.stringify({ baton: null }),
      JSON.stringify({ baton: 5, requests: [] }),
      JSON.stringify({ baton: null, requests: [exec("CREATE TABLE never (x)"), { type: "frobnicate" }] }),
      JSON.stringify({ baton: null, requests: [exec("CREATE TABLE never (x)"), exec("SELECT ?", [{ type: "integer", value: 5 }])] }),
      JSON.stringify({ baton: null, requests: [exec("CREATE TABLE never (x)"), exec("SELECT ?", [int("9223372036854775808")])] }),
      JSON.stringify({ baton: null, requests: [exec("CREATE TABLE never (x)"), exec("SELECT ?", [{ type: "blob", base64: "!!" }])] }),
      JSON.stringify({ baton: null, requests: [{ type: "execute" }] }),
      JSON.stringify({ baton: null, requests: [{ type: "batch", batch: { steps: [{ condition: { type: "ok", step: 0 }, stmt: { sql: "SELECT 1" } }] } }] }),
    ];
    for (const body of bodies) {
      const res = await postJson(url, "/v3/pipeline", body);
      assert.equal(res.status, 400, body);
      assert.equal(typeof res.json.message, "string", body);
      assert.equal(res.json.error, res.json.message, body);
      assert.equal(typeof res.json.code, "string", body);
    }
    const [check] = await run([exec("SELECT count(*) FROM sqlite_schema WHERE name = 'never'")]);
    assert.deepEqual(check.response.result.rows, [[int(0)]]);
    assert.equal(upstream.registry.size, 0, "failed requests leave no stream behind");
  });

  it("survives hostile bodies and keeps serving", async () => {
    const hostile = [
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      "[".repeat(100000),
      JSON.stringify({ baton: null, requests: [null, 5, "x", []] }),
      JSON.stringify({ baton: null, requests: [{ type: "execute", stmt: { sql: 5 } }] }),
      JSON.stringify({ baton: null, requests: [{ type: "execute", stmt: { sql: "SELECT ?", args: [null] } }] }),
      JSON.stringify({ baton: null, requests: [{ type: "batch", batch: { steps: [{ condition: { type: "and" }, stmt: { sql: "SELECT 1" } }] } }] }),
      JSON.stringify({ baton: null, requests: [{ type: "store_sql", sql_id: 1.5, sql: "SELECT 1" }] }),
      JSON.stringify({ ["__proto__"]: { polluted: true }, baton: null, requests: [] }),
    ];
    for (const body of hostile) {
      const res = await fetch(url + "/v3/pipeline", { method: "POST", body });
      assert.ok([200, 400].includes(res.status), String(body).slice(0, 40));
      await res.arrayBuffer();
    }
    assert.equal({}.polluted, undefined);
    const [still] = await run([exec("SELECT 'alive'")]);
    assert.deepEqual(still.response.result.rows, [[text("alive")]]);
  });

  it("refuses an oversized body with 413", async (t) => {
    const small = await startUpstream({ maxBodyBytes: 1024 });
    t.after(() => small.close());
    const res = await pipeline(small.url, { baton: null, requests: [exec(`SELECT '${"x".repeat(2000)}'`)] });
    assert.equal(res.status, 413);
    assert.equal(res.json.code, "PROTO_ERROR");
    const ok = await pipeline(small.url, { baton: null, requests: [exec("SELECT 1"), { type: "close" }] });
    assert.equal(ok.status, 200);
  });

  it("refuses other methods on Hrana paths", async () => {
    const res = await fetch(url + "/v3/pipeline");
    assert.equal(res.status, 405);
    await res.arrayBuffer();
  });
});
