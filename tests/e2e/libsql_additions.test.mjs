// libSQL's own SQL end to end (issue 24, SPEC §6 "libSQL's own statements"):
// the stock @libsql/client over HTTP and WebSocket, direct to a test upstream
// running libSQL's engine (`--engine libsql`) and through the real gate. Vector
// search (F32_BLOB, libsql_vector_idx, vector32, vector_top_k,
// vector_distance_cos), ALTER COLUMN and RANDOM ROWID work for a token that may,
// answer exactly what direct answers, and are denied for one that may not.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { startUpstream } from "../upstream/server.mjs";
import { startGate, gateConfig, waitForReadiness, devIssuer } from "../integration/gate_process.mjs";

const ALL = "data_read,data_add,data_update,data_delete,schema_add,schema_update,schema_delete";
let dir;
let upstream;
let gate;
const tokens = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "libsql-gate-libsql-"));
  const issuer = devIssuer(dir);
  const schema = join(dir, "schema.sql");
  // A table no test token may read, with its own vector index and a row.
  writeFileSync(schema, [
    "CREATE TABLE private_docs (id INTEGER PRIMARY KEY, body TEXT, emb F32_BLOB(3));",
    "CREATE INDEX private_docs_idx ON private_docs(libsql_vector_idx(emb));",
    "INSERT INTO private_docs (body, emb) VALUES ('classified', vector32('[1,2,3]'));",
    "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
    "",
  ].join("\n"));
  upstream = await startUpstream({ schema, engine: "libsql" });
  const config = gateConfig({ upstreamUrl: upstream.url })
    .replace("jwks_file: jwks.json", `jwks_file: ${JSON.stringify(issuer.jwksFile)}`);
  gate = await startGate(config);
  await waitForReadiness(gate);
  tokens.admin = issuer.mint("admin", [`all:${ALL}`]);
  tokens.reader = issuer.mint("reader", ["movies_http:data_read", "movies_ws:data_read"]);
  tokens.stranger = issuer.mint("stranger", ["notes:data_read"]);
});

after(async () => {
  await gate?.stop();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const TRANSPORTS = [
  { name: "http", url: () => gate.url, direct: () => upstream.url },
  { name: "ws", url: () => gate.url.replace(/^http:/, "ws:"), direct: () => upstream.wsUrl },
];

function client(url, who) {
  return createClient({ url, authToken: who ? tokens[who] : undefined, intMode: "bigint" });
}

// Rows as comparable plain values: blobs (vectors) as hex, integers as text.
function rows(result) {
  return result.rows.map((row) => result.columns.map((_, i) => {
    const v = row[i];
    if (v instanceof ArrayBuffer) return `x'${Buffer.from(v).toString("hex")}'`;
    if (typeof v === "bigint") return v.toString();
    return v;
  }));
}

async function run(url, who, sql) {
  const c = client(url, who);
  try {
    return await c.execute(sql);
  } finally {
    c.close();
  }
}

async function denied(url, who, sql, pattern) {
  await assert.rejects(run(url, who, sql), (err) => {
    assert.equal(err.code, "SQLITE_AUTH", `${sql}: ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

for (const t of TRANSPORTS) {
  const movies = `movies_${t.name}`;
  const topK = `SELECT title, year FROM vector_top_k('${movies}_idx', vector32('[1,2,3]'), 3) AS v ` +
    `JOIN ${movies} ON ${movies}.rowid = v.id ORDER BY title`;
  const distance = `SELECT title, vector_distance_cos(emb, vector32('[1,2,3]')) AS d, emb FROM ${movies} ORDER BY d, title`;

  test(`${t.name}: an admin creates a vector table and index, inserts and searches through the gate`, async () => {
    const c = client(t.url(), "admin");
    try {
      await c.batch([
        `CREATE TABLE ${movies} (title TEXT, year INT, emb F32_BLOB(3))`,
        `CREATE INDEX ${movies}_idx ON ${movies}(libsql_vector_idx(emb))`,
        `INSERT INTO ${movies} (title, year, emb) VALUES ('Napoleon', 2023, vector32('[1,2,3]')), ` +
          `('Black Hawk Down', 2001, vector32('[3,2,1]')), ('Gladiator', 2000, vector32('[1,2,4]'))`,
      ], "write");
      assert.deepEqual(rows(await c.execute(topK)), rows(await run(t.direct(), null, topK)));
      assert.equal((await c.execute(topK)).rows.length, 3);
    } finally {
      c.close();
    }
  });

  test(`${t.name}: a token that may read the table gets exactly what direct gets`, async () => {
    for (const sql of [topK, distance, `SELECT count(*) AS n FROM ${movies}_idx_shadow`]) {
      assert.deepEqual(rows(await run(t.url(), "reader", sql)), rows(await run(t.direct(), null, sql)), sql);
    }
  });

  test(`${t.name}: a token that cannot read the indexed table is denied, whichever way it asks`, async () => {
    await denied(t.url(), "stranger", topK, new RegExp(movies));
    await denied(t.url(), "stranger", `SELECT id FROM vector_top_k('${movies}_idx', vector32('[1,2,3]'), 3)`,
      new RegExp(`data_read on table "${movies}"`));
    await denied(t.url(), "stranger", distance);
    await denied(t.url(), "stranger", `SELECT * FROM ${movies}_idx_shadow`, new RegExp(movies));
    // The reader of movies may not reach private_docs through its index.
    await denied(t.url(), "reader", "SELECT id FROM vector_top_k('private_docs_idx', vector32('[1,2,3]'), 1)",
      /private_docs/);
    await denied(t.url(), "reader",
      `SELECT title FROM ${movies} WHERE rowid IN ` +
      "(SELECT id FROM vector_top_k('private_docs_idx', vector32('[1,2,3]'), 1))", /private_docs/);
  });

  test(`${t.name}: an index named by a parameter needs data_read on every table, an unknown one fails as direct`, async () => {
    const byArg = { sql: "SELECT id FROM vector_top_k(?, vector32('[1,2,3]'), 3) ORDER BY id", args: [`${movies}_idx`] };
    await denied(t.url(), "reader", byArg, /data_read on all tables/);
    assert.deepEqual(rows(await run(t.url(), "admin", byArg)), rows(await run(t.direct(), null, byArg)));
    const unknown = "SELECT id FROM vector_top_k('no_such_idx', vector32('[1,2,3]'), 3)";
    const message = /vector index\(search\): failed to parse vector index parameters/;
    await assert.rejects(run(t.direct(), null, unknown), message);
    await assert.rejects(run(t.url(), "admin", unknown), message);
  });

  test(`${t.name}: shadow tables are never written, not even by an admin`, async () => {
    await assert.rejects(run(t.url(), "admin", `DELETE FROM ${movies}_idx_shadow`), /stores a libSQL vector index/);
    await assert.rejects(run(t.url(), "admin", "DELETE FROM libsql_vector_meta_shadow"), /stores a libSQL vector index/);
    const left = await run(t.direct(), null, `SELECT count(*) AS n FROM ${movies}_idx_shadow`);
    assert.equal(left.rows[0].n, 3n);
  });

  test(`${t.name}: ALTER COLUMN through the gate for a token that may, denied for one that may not`, async () => {
    const alter = `ALTER TABLE ${movies} ALTER COLUMN year TO year INTEGER NOT NULL DEFAULT 0`;
    await denied(t.url(), "reader", alter, new RegExp(`schema_update on table "${movies}"`));
    await run(t.url(), "admin", alter);
    const direct = await run(t.direct(), null, `SELECT sql FROM sqlite_schema WHERE name = '${movies}'`);
    assert.equal(direct.rows[0].sql, `CREATE TABLE ${movies} (title TEXT, year INTEGER NOT NULL DEFAULT 0, emb F32_BLOB(3))`);
    // The gate's copy learned the definition: the default applies, search still works.
    await run(t.url(), "admin", `INSERT INTO ${movies} (title, emb) VALUES ('Alien', vector32('[9,9,9]'))`);
    const year = await run(t.url(), "reader", `SELECT year FROM ${movies} WHERE title = 'Alien'`);
    assert.equal(year.rows[0].year, 0n);
    assert.deepEqual(rows(await run(t.url(), "reader", topK)), rows(await run(t.direct(), null, topK)));
  });

  test(`${t.name}: RANDOM ROWID tables and WebAssembly functions`, async () => {
    const table = `shuffled_${t.name}`;
    await denied(t.url(), "reader", `CREATE TABLE ${table} (item TEXT) RANDOM ROWID`, /schema_add/);
    await run(t.url(), "admin", `CREATE TABLE ${table} (item TEXT) RANDOM ROWID`);
    await run(t.url(), "admin", `INSERT INTO ${table} (item) VALUES ('bread'), ('butter')`);
    const ids = await run(t.direct(), null, `SELECT rowid FROM ${table}`);
    assert.equal(ids.rows.length, 2);
    await assert.rejects(run(t.url(), "admin", "CREATE FUNCTION f LANGUAGE wasm AS 'x'"), /WebAssembly/);
    await assert.rejects(run(t.url(), "admin", "DROP FUNCTION f"), /WebAssembly/);
  });
}
