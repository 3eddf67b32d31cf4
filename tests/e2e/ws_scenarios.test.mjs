// The scenario suite of issue 6 over Hrana WebSocket (issue 7): stock clients
// pointed at the real gate's ws:// URL, in front of the test upstream loaded with
// deploy/dev/schema.sql and seed.sql, with Clerk-, Auth0- and Turso-shaped tokens.
//
// Which subprotocol each client gets (the gate passes the client's offer
// upstream and answers with upstream's choice):
// - @libsql/client 0.18 with a ws:// URL (both `@libsql/client` and
//   `@libsql/client/ws`) calls hrana-client's openWs with protocol version 2,
//   so it offers only hrana2/hrana1 and speaks hrana2 JSON, with every SQL text
//   stored by store_sql and run by sql_id (its SQL cache);
// - @libsql/hrana-client openWs(url, jwt, 3) offers hrana3-protobuf first and
//   gets it; against an upstream restricted to JSON subprotocols it gets hrana3;
// - openWs(url, jwt, 2) gets hrana2.
// So hrana3 JSON and hrana3-protobuf are covered by hrana-client, hrana2 by both.
// @libsql/client cannot send a second hello (its token is fixed per client; it
// only reconnects, with the same token, after 60 s), and hrana-client treats a
// second hello answer as a protocol error: re-hello is driven with a raw `ws` client.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient, LibsqlError } from "@libsql/client/ws";
import { createClient as createDefaultClient } from "@libsql/client";
import * as hrana from "@libsql/hrana-client";
import WebSocket from "ws";
import { permClaim } from "../issuer/profiles.mjs";
import { startScenario, TURSO_ISS, until, plainRows, upstreamRows } from "./scenario_setup.mjs";

let s;
before(async () => {
  s = await startScenario();
});
after(async () => {
  await s?.stop();
});

const wsUrl = (scenario) => scenario.gate.url.replace(/^http:/, "ws:");
const clerkTemplate = (scenario, claims, options = {}) => scenario.clerk.mint(claims, { kind: "template", ...options });
const clerkRole = (rol, claims = {}) => s.clerk.mint({ o: { id: "org_e2e", rol, slg: "acme" }, ...claims });
const turso = (claims, kind = "database") => s.turso.mint({ iss: TURSO_ISS, ...claims }, { kind });
const writer = (scenario = s) => clerkTemplate(scenario, { perm: permClaim(["all:data_read", "comments:data_add"]) });
const countWhere = async (table, where, scenario = s) =>
  (await upstreamRows(scenario, `SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0].n;
const exp = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url")).exp;
// The scenario's Clerk issuer allows 1 s of clock skew: this is when a token is expired for the gate.
const pastExpiry = (token) => until("the token's expiry", () => Date.now() / 1000 > exp(token) + 1 + 0.2, { limitMs: 10000 });

const OTHER_UUID = "00000000-0000-4000-8000-000000000000";
const ALL_POSTS = [{ id: 1, title: "Hello" }, { id: 2, title: "Tables" }];

// Where the upstream's record stands now: `mark`, the index of the next record,
// and the WebSocket connections already known. A closed client's last messages
// (close_stream, sent without waiting) can still arrive after the snapshot, so
// the `*Since` helpers look only at connections opened after it unless
// `includeOpen` (for a connection the test itself keeps open).
const snapshot = (scenario, { includeOpen = false } = {}) => ({
  mark: scenario.upstream.received.length,
  earlier: new Set(includeOpen ? [] : scenario.upstream.ws.stats().connections.map((c) => c.id)),
});
const wsRecordsSince = (scenario, { mark, earlier }) => scenario.upstream.received.slice(mark)
  .filter((r) => r.transport === "ws" && !earlier.has(r.connection));
const wsRequestsSince = (scenario, snap) => wsRecordsSince(scenario, snap).filter((r) => r.message === "request");

// The SQL texts upstream was asked to run over WebSocket since `mark`: the
// statements of execute, batch, open_cursor, sequence and describe requests,
// sql_id references resolved against the connection's store_sql/close_sql
// history. Stored texts themselves run nothing (the gate forwards store_sql
// and authorizes the text when a request runs it), so they are not listed.
function executedSince(scenario, mark) {
  const stored = new Map();
  const executed = [];
  scenario.upstream.received.forEach((r, index) => {
    if (r.transport !== "ws" || r.message !== "request" || r.ignored) return;
    const request = r.body.request;
    const key = (id) => `${r.connection}/${id}`;
    if (request.type === "store_sql") stored.set(key(request.sql_id), request.sql);
    if (request.type === "close_sql") stored.delete(key(request.sql_id));
    if (index < mark) return;
    const text = (x) => x.sql ?? stored.get(key(x.sql_id)) ?? `<unknown sql_id ${x.sql_id}>`;
    if (request.stmt) executed.push(text(request.stmt));
    if (request.batch) for (const step of request.batch.steps) executed.push(text(step.stmt));
    if (request.type === "sequence" || request.type === "describe") executed.push(text(request));
  });
  return executed;
}
const neverRan = (scenario, mark, fragment) =>
  assert.deepEqual(executedSince(scenario, mark).filter((sql) => sql.includes(fragment)), [], `"${fragment}" reached upstream`);

// @libsql/client raises LibsqlError with the gate's code and "CODE: message".
function libsqlError(code, message) {
  return (err) => {
    assert.ok(err instanceof LibsqlError, err?.stack);
    assert.equal(err.code, code);
    assert.equal(err.message, `${code}: ${message}`);
    return true;
  };
}
const denied = (action, table) => libsqlError("SQLITE_AUTH", `permission denied: ${action} on table "${table}"`);

// @libsql/hrana-client raises ResponseError with the gate's code and message.
function responseError(code, message) {
  return (err) => {
    assert.ok(err instanceof hrana.ResponseError, err?.stack);
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    return true;
  };
}
const hranaDenied = (action, table) => responseError("SQLITE_AUTH", `permission denied: ${action} on table "${table}"`);

// Runs `fn(client)` with a @libsql/client WebSocket client and closes it.
async function withClient(token, fn, { scenario = s, create = createClient } = {}) {
  const client = create({ url: wsUrl(scenario), authToken: token });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
const all = async (client, sql, args) => plainRows(await client.execute(args === undefined ? sql : { sql, args }));
const run = async (client, sql, args) => (await client.execute(args === undefined ? sql : { sql, args })).rowsAffected;

describe("@libsql/client over WebSocket (ws:// URL): hrana2 JSON through the gate", () => {
  test("both entry points speak WebSocket; upstream sees hrana2 frames only, statements by sql_id", async () => {
    for (const create of [createClient, createDefaultClient]) {
      const snap = snapshot(s);
      await withClient(await turso({}), async (client) => {
        assert.equal(client.protocol, "ws");
        assert.deepEqual(await all(client, "SELECT id, title FROM posts ORDER BY id"), ALL_POSTS);
      }, { create });
      const records = wsRecordsSince(s, snap);
      assert.ok(records.length >= 3, JSON.stringify(records));
      assert.deepEqual([...new Set(records.map((r) => `${r.protocol}/${r.encoding}`))], ["hrana2/json"]);
      assert.ok(wsRequestsSince(s, snap).some((r) => r.requests[0] === "store_sql"), "the SQL cache stored the text");
      assert.deepEqual(executedSince(s, snap.mark), ["SELECT id, title FROM posts ORDER BY id"]);
      const httpPipelines = s.upstream.received.slice(snap.mark)
        .filter((r) => r.transport === "http" && r.method === "POST" && !JSON.stringify(r.body).includes("sqlite_schema"));
      assert.deepEqual(httpPipelines, []);
    }
  });

  test("read-only token (a: ro): SELECT ok, INSERT denied and never run upstream", async () => {
    const mark = s.upstream.received.length;
    await withClient(await turso({ a: "ro" }), async (client) => {
      assert.deepEqual(await all(client, "SELECT name FROM users WHERE id = 1"), [{ name: "Ada" }]);
      await assert.rejects(run(client, "INSERT INTO users (name, email) VALUES ('ws-ro', 'ws-ro@x')"), denied("data_add", "users"));
      // The connection and its SQL cache stay usable after the denial.
      assert.deepEqual(await all(client, "SELECT name FROM users WHERE id = 2"), [{ name: "Grace" }]);
    });
    // A read-only `p` entry naming this database is read-only too.
    await withClient(await turso({ a: undefined, p: { ro: { ns: ["db"] } } }, "group"), async (client) => {
      await assert.rejects(run(client, "DELETE FROM comments WHERE id = 2"), denied("data_delete", "comments"));
    });
    neverRan(s, mark, "ws-ro");
    neverRan(s, mark, "DELETE FROM comments");
    assert.equal(await countWhere("users", "name = 'ws-ro'"), 0);
    assert.equal(await countWhere("comments", "id = 2"), 1);
  });

  test("perm claim (all:data_read, comments:data_add): allowed and denied statements", async () => {
    const mark = s.upstream.received.length;
    await withClient(await writer(), async (client) => {
      assert.deepEqual(await all(client, "SELECT value FROM secrets"), [{ value: "the launch code" }]);
      assert.equal(await run(client, "INSERT INTO comments (post_id, author_id, body) VALUES (1, 2, ?)", ["ws-perm"]), 1);
      await assert.rejects(run(client, "INSERT INTO posts (author_id, title, body) VALUES (1, 'ws-no', 'no')"), denied("data_add", "posts"));
      await assert.rejects(run(client, "UPDATE comments SET body = 'ws-edited' WHERE id = 1"), denied("data_update", "comments"));
    });
    neverRan(s, mark, "ws-no");
    neverRan(s, mark, "ws-edited");
    assert.equal(await countWhere("comments", "body = 'ws-perm'"), 1);
    assert.equal(await countWhere("posts", "title = 'ws-no'"), 0);
  });

  test("role Admin (Clerk o.rol): everything, DDL included", async () => {
    await withClient(await clerkRole("admin"), async (client) => {
      await run(client, "CREATE TABLE ws_admin (id INTEGER PRIMARY KEY, v TEXT)");
      assert.equal(await run(client, "INSERT INTO ws_admin (v) VALUES ('a')"), 1);
      await run(client, "ALTER TABLE ws_admin ADD COLUMN w TEXT");
      // The gate refreshed its schema copy after the DDL: the new column is known.
      assert.equal(await run(client, "UPDATE ws_admin SET w = 'b'"), 1);
      assert.deepEqual(await all(client, "SELECT v, w FROM ws_admin"), [{ v: "a", w: "b" }]);
      await run(client, "DROP TABLE ws_admin");
    });
    assert.deepEqual(await upstreamRows(s, "SELECT name FROM sqlite_schema WHERE name = 'ws_admin'"), []);
  });

  test("role Moderator: reads all, updates and deletes comments, nothing else", async () => {
    await upstreamRows(s, "INSERT INTO comments (id, post_id, author_id, body) VALUES (201, 1, 1, 'ws-spam')");
    const mark = s.upstream.received.length;
    await withClient(await clerkRole("moderator"), async (client) => {
      assert.deepEqual(await all(client, "SELECT value FROM secrets"), [{ value: "the launch code" }]);
      assert.equal(await run(client, "UPDATE comments SET body = 'hidden' WHERE id = ?", [201]), 1);
      assert.equal(await run(client, "DELETE FROM comments WHERE id = ?", [201]), 1);
      await assert.rejects(run(client, "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, 'ws-mod')"), denied("data_add", "comments"));
      await assert.rejects(run(client, "DELETE FROM posts WHERE id = 2"), denied("data_delete", "posts"));
      await assert.rejects(run(client, "CREATE TABLE ws_mod_t (x)"), denied("schema_add", "ws_mod_t"));
    });
    neverRan(s, mark, "ws-mod");
    neverRan(s, mark, "DELETE FROM posts");
    assert.equal(await countWhere("comments", "id = 201"), 0);
  });

  test("role User: reads all and adds comments, nothing else", async () => {
    await withClient(await clerkRole("user"), async (client) => {
      assert.deepEqual(await all(client, "SELECT name FROM users WHERE id = 2"), [{ name: "Grace" }]);
      assert.equal(await run(client, "INSERT INTO comments (post_id, author_id, body) VALUES (2, 2, 'ws-user')"), 1);
      await assert.rejects(run(client, "UPDATE comments SET body = 'x' WHERE id = 1"), denied("data_update", "comments"));
      await assert.rejects(run(client, "DELETE FROM comments WHERE id = 1"), denied("data_delete", "comments"));
      await assert.rejects(run(client, "UPDATE users SET name = 'x' WHERE id = 1"), denied("data_update", "users"));
    });
    assert.equal(await countWhere("comments", "body = 'ws-user'"), 1);
  });

  test("roles from Auth0's namespaced claim", async () => {
    await withClient(await s.auth0.mint({ "https://example.com/roles": ["moderator"] }), async (client) => {
      assert.equal(await run(client, "UPDATE comments SET body = body WHERE id = 1"), 1);
      await assert.rejects(run(client, "INSERT INTO posts (author_id, title, body) VALUES (1, 'a0', 'b')"), denied("data_add", "posts"));
    });
  });

  test("batch: allowed runs atomically; one denied step refuses the whole batch, nothing runs", async () => {
    await withClient(await writer(), async (client) => {
      const ok = await client.batch([
        { sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", args: ["ws-batch-ok"] },
        { sql: "INSERT INTO comments (post_id, author_id, body) VALUES (2, 1, ?)", args: ["ws-batch-ok"] },
      ], "write");
      assert.deepEqual(ok.map((r) => r.rowsAffected), [1, 1]);
      const snap = snapshot(s, { includeOpen: true });
      await assert.rejects(client.batch([
        { sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, 'ws-batch-denied')", args: [] },
        { sql: "INSERT INTO posts (author_id, title, body) VALUES (1, 'ws-batch-denied', 'b')", args: [] },
      ], "write"), denied("data_add", "posts"));
      neverRan(s, snap.mark, "ws-batch-denied");
      assert.ok(!wsRequestsSince(s, snap).some((r) => r.requests[0] === "batch"), "the batch request was not forwarded");
    });
    assert.equal(await countWhere("comments", "body = 'ws-batch-ok'"), 2);
    assert.equal(await countWhere("comments", "body = 'ws-batch-denied'"), 0);
  });

  test("executeMultiple (a sequence) with a denied statement runs none of it", async () => {
    const mark = s.upstream.received.length;
    await withClient(await writer(), async (client) => {
      await assert.rejects(client.executeMultiple(
        "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, 'ws-seq'); DELETE FROM comments WHERE body = 'ws-seq';"),
      denied("data_delete", "comments"));
      await client.executeMultiple("INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, 'ws-seq-ok');");
    });
    neverRan(s, mark, "'ws-seq'");
    assert.equal(await countWhere("comments", "body = 'ws-seq'"), 0);
    assert.equal(await countWhere("comments", "body = 'ws-seq-ok'"), 1);
  });

  test("interactive transaction: denied inside, still usable, rollback undoes the allowed insert", async () => {
    const mark = s.upstream.received.length;
    await withClient(await writer(), async (client) => {
      const tx = await client.transaction("write");
      try {
        assert.equal((await tx.execute({ sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", args: ["ws-tx"] })).rowsAffected, 1);
        await assert.rejects(tx.execute("UPDATE comments SET body = 'ws-tx-upd' WHERE id = 1"), denied("data_update", "comments"));
        assert.equal(tx.closed, false);
        assert.equal((await tx.execute("SELECT count(*) AS n FROM comments WHERE body = 'ws-tx'")).rows[0].n, 1);
        await tx.rollback();
      } finally {
        tx.close();
      }
    });
    neverRan(s, mark, "ws-tx-upd");
    assert.equal(await countWhere("comments", "body = 'ws-tx'"), 0);
  });

  test("interactive transaction: denied inside, then commit keeps the allowed insert", async () => {
    await withClient(await writer(), async (client) => {
      const tx = await client.transaction("write");
      try {
        await tx.execute({ sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", args: ["ws-tx-commit"] });
        await assert.rejects(tx.execute("DELETE FROM comments WHERE id = 1"), denied("data_delete", "comments"));
        await tx.commit();
      } finally {
        tx.close();
      }
      // The connection goes on after the transaction.
      assert.deepEqual(await all(client, "SELECT count(*) AS n FROM comments WHERE body = 'ws-tx-commit'"), [{ n: 1 }]);
    });
    assert.equal(await countWhere("comments", "body = 'ws-tx-commit'"), 1);
    assert.equal(await countWhere("comments", "id = 1"), 1);
  });

  test("named and positional arguments", async () => {
    await withClient(await writer(), async (client) => {
      assert.equal(await run(client, "INSERT INTO comments (post_id, author_id, body) VALUES (:post, $author, @body)",
                             { post: 2, author: 1, body: "ws-args-named" }), 1);
      assert.equal(await run(client, "INSERT INTO comments (post_id, author_id, body) VALUES (?2, ?1, ?3)", [2, 1, "ws-args-num"]), 1);
      assert.deepEqual(await all(client, "SELECT post_id, author_id FROM comments WHERE body LIKE 'ws-args-%' ORDER BY id"),
                       [{ post_id: 2, author_id: 1 }, { post_id: 1, author_id: 2 }]);
      await assert.rejects(run(client, "DELETE FROM comments WHERE body = ?", ["ws-args-num"]), denied("data_delete", "comments"));
    });
  });

  test("what @libsql/client shows when the hello is refused (nothing runs upstream)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const scope = (claim) => `token claim '${claim}' names a different database or group; get a token for this one`;
    const cases = [
      [undefined, "AUTH_HEADER_NOT_FOUND", "hello carries no jwt: send the token in hello.jwt"],
      ["abc.def.ghi", "AUTH_HEADER_MALFORMED", "the token header is not JSON"],
      [await clerkTemplate(s, {}, { signature: "corrupt" }), "AUTH_JWT_INVALID", "the token's signature does not verify"],
      [await clerkTemplate(s, {}, { now: now - 7200 }), "AUTH_JWT_EXPIRED", "the token has expired; obtain a new one"],
      [await turso({ id: OTHER_UUID }), "AUTH_DATABASE_SCOPE", scope("id")],
    ];
    const snap = snapshot(s);
    for (const [token, code, message] of cases) {
      await withClient(token, (client) => assert.rejects(all(client, "SELECT 1 AS ws_refused"), libsqlError(code, message)));
    }
    assert.deepEqual(wsRequestsSince(s, snap), []);
  });

  test("a token expiring mid-connection: first query ok, then AUTH_JWT_EXPIRED and nothing reaches upstream", async () => {
    const token = await clerkTemplate(s, { perm: permClaim(["posts:data_read"]) }, { ttl: 2 });
    await withClient(token, async (client) => {
      assert.deepEqual(await all(client, "SELECT id, title FROM posts ORDER BY id"), ALL_POSTS);
      await pastExpiry(token);
      const snap = snapshot(s, { includeOpen: true });
      await assert.rejects(all(client, "SELECT id FROM posts WHERE id = 2"), libsqlError("AUTH_JWT_EXPIRED",
        "the token has expired; obtain a new one; send a new hello with a fresh token"));
      assert.deepEqual(wsRequestsSince(s, snap), []);
    });
  });
});

// A raw Hrana-over-WebSocket client (JSON subprotocol) for what no stock client
// does: a second hello on a live connection.
class RawHrana {
  static async open(url, protocol = "hrana3") {
    const socket = new WebSocket(url, [protocol]);
    const raw = new RawHrana(socket);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    assert.equal(socket.protocol, protocol);
    return raw;
  }

  constructor(socket) {
    this.socket = socket;
    this.nextId = 1;
    this.waiters = [];
    this.closed = new Promise((resolve) => socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on("message", (data) => {
      const message = JSON.parse(data.toString());
      const index = this.waiters.findIndex((w) => w.matches(message));
      if (index >= 0) this.waiters.splice(index, 1)[0].resolve(message);
    });
  }

  #expect(matches) {
    return new Promise((resolve) => this.waiters.push({ matches, resolve }));
  }

  hello(jwt) {
    const answer = this.#expect((m) => m.type === "hello_ok" || m.type === "hello_error");
    this.socket.send(JSON.stringify({ type: "hello", jwt }));
    return answer;
  }

  request(request) {
    const id = this.nextId++;
    const answer = this.#expect((m) => m.request_id === id);
    this.socket.send(JSON.stringify({ type: "request", request_id: id, request }));
    return answer;
  }

  execute(streamId, sql) {
    return this.request({ type: "execute", stream_id: streamId, stmt: { sql, want_rows: true } });
  }

  close() {
    this.socket.close();
  }
}

describe("re-hello over WebSocket (raw ws client, hrana3 JSON)", () => {
  const titleOf = (answer) => {
    assert.equal(answer.type, "response_ok", JSON.stringify(answer));
    return answer.response.result.rows[0][0].value;
  };

  test("a fresh token by re-hello keeps a connection going past the first token's expiry; without it requests are refused until one comes", async () => {
    const readPosts = { perm: permClaim(["posts:data_read"]) };
    const shortToken = await clerkTemplate(s, readPosts, { ttl: 2 });
    const renewed = await RawHrana.open(wsUrl(s));
    const lapsed = await RawHrana.open(wsUrl(s));
    try {
      for (const conn of [renewed, lapsed]) {
        assert.equal((await conn.hello(shortToken)).type, "hello_ok");
        assert.equal((await conn.request({ type: "open_stream", stream_id: 1 })).type, "response_ok");
        assert.equal(titleOf(await conn.execute(1, "SELECT title FROM posts WHERE id = 1")), "Hello");
      }
      // Same principal (Clerk sub), a new token with a longer lifetime.
      assert.equal((await renewed.hello(await clerkTemplate(s, readPosts, { ttl: 60 }))).type, "hello_ok");
      await pastExpiry(shortToken);

      const mark = s.upstream.received.length;
      assert.equal(titleOf(await renewed.execute(1, "SELECT title FROM posts WHERE id = 2 -- renewed")), "Tables");
      assert.deepEqual(executedSince(s, mark), ["SELECT title FROM posts WHERE id = 2 -- renewed"]);

      const refused = await lapsed.execute(1, "SELECT title FROM posts WHERE id = 2 -- lapsed");
      assert.equal(refused.type, "response_error");
      assert.equal(refused.error.code, "AUTH_JWT_EXPIRED");
      assert.match(refused.error.message, /the token has expired.*send a new hello with a fresh token/);
      neverRan(s, mark, "-- lapsed");
      // A new hello brings the connection back, with its stream.
      assert.equal((await lapsed.hello(await clerkTemplate(s, readPosts))).type, "hello_ok");
      assert.equal(titleOf(await lapsed.execute(1, "SELECT title FROM posts WHERE id = 2 -- back")), "Tables");
    } finally {
      renewed.close();
      lapsed.close();
    }
  });

  test("a re-hello with another principal's token or a bad token is hello_error and the connection closes", async () => {
    const cases = [
      [await clerkTemplate(s, { sub: "user_someone_else", perm: permClaim(["all:data_read"]) }), "AUTH_PRINCIPAL_MISMATCH"],
      [await clerkTemplate(s, {}, { signature: "corrupt" }), "AUTH_JWT_INVALID"],
    ];
    for (const [token, code] of cases) {
      const conn = await RawHrana.open(wsUrl(s));
      try {
        assert.equal((await conn.hello(await clerkTemplate(s, { perm: permClaim(["posts:data_read"]) }))).type, "hello_ok");
        const answer = await conn.hello(token);
        assert.equal(answer.type, "hello_error");
        assert.equal(answer.error.code, code);
        assert.equal((await conn.closed).code, 1000);
      } finally {
        conn.close();
      }
    }
  });
});

// The hrana-client checks, run against a scenario with a given expectation of
// the negotiated subprotocol.
function hranaClientCases(title, { scenario, version, protocol, encoding }) {
  describe(title, () => {
    let client;
    let snap;
    let mark;
    before(async () => {
      snap = snapshot(scenario());
      mark = snap.mark;
      client = hrana.openWs(wsUrl(scenario()), await writer(scenario()), version);
      assert.equal(await client.getVersion(), version === 3 ? 3 : 2);
    });
    after(() => client?.close());

    test("allowed and denied statements; the stream stays usable", async () => {
      const stream = client.openStream();
      try {
        assert.equal((await stream.queryValue("SELECT title FROM posts WHERE id = 1")).value, "Hello");
        await assert.rejects(stream.run("INSERT INTO posts (author_id, title, body) VALUES (1, 'hc-denied', 'b')"), hranaDenied("data_add", "posts"));
        assert.equal((await stream.run(["INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", [`hc-${protocol}`]])).affectedRowCount, 1);
      } finally {
        stream.close();
      }
      neverRan(scenario(), mark, "hc-denied");
      assert.equal(await countWhere("comments", `body = 'hc-${protocol}'`, scenario()), 1);
    });

    test("a batch with a denied step is refused whole", async () => {
      const stream = client.openStream();
      try {
        // (hrana-client settles no step promise when the whole batch request fails.)
        const batch = stream.batch(false);
        batch.step().run("INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, 'hc-batch')");
        batch.step().run("UPDATE comments SET body = 'hc-batch' WHERE id = 1");
        await assert.rejects(batch.execute(), hranaDenied("data_update", "comments"));
        assert.equal((await stream.queryValue("SELECT count(*) FROM comments WHERE body = 'hc-batch'")).value, 0);
      } finally {
        stream.close();
      }
      neverRan(scenario(), mark, "VALUES (1, 1, 'hc-batch')");
      neverRan(scenario(), mark, "SET body = 'hc-batch'");
    });

    test("a stored SQL text is authorized when run by id", async () => {
      const stream = client.openStream();
      const allowed = client.storeSql("SELECT count(*) FROM users WHERE id = ?");
      const forbidden = client.storeSql("DELETE FROM users WHERE id = ? -- hc-stored");
      try {
        assert.equal((await stream.queryValue([allowed, [1]])).value, 1);
        await assert.rejects(stream.run([forbidden, [1]]), hranaDenied("data_delete", "users"));
        assert.equal((await stream.queryValue([allowed, [1]])).value, 1);
      } finally {
        allowed.close();
        forbidden.close();
        stream.close();
      }
      neverRan(scenario(), mark, "hc-stored");
    });

    test("a transaction: denied inside, rolled back", async () => {
      const stream = client.openStream();
      try {
        await stream.run("BEGIN");
        await stream.run("INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, 'hc-tx')");
        await assert.rejects(stream.run("DELETE FROM comments WHERE body = 'hc-tx'"), hranaDenied("data_delete", "comments"));
        if (version === 3) assert.equal(await stream.getAutocommit(), false);
        await stream.run("ROLLBACK");
      } finally {
        stream.close();
      }
      assert.equal(await countWhere("comments", "body = 'hc-tx'", scenario()), 0);
    });

    if (version === 3) {
      test("cursor reads: rows streamed when allowed, refused when a step is denied", async () => {
        const stream = client.openStream();
        try {
          const batch = stream.batch(true);
          const rows = batch.step().query("SELECT id, title FROM posts ORDER BY id");
          await batch.execute();
          assert.deepEqual((await rows).rows.map((r) => [r.id, r.title]), ALL_POSTS.map((p) => [p.id, p.title]));

          const denyBatch = stream.batch(true);
          denyBatch.step().query("SELECT title FROM posts WHERE id = 1");
          denyBatch.step().run("UPDATE users SET name = name -- hc-cursor");
          await assert.rejects(denyBatch.execute(), (err) => {
            assert.ok(err instanceof hrana.ClientError, err?.stack);
            assert.match(err.message, /permission denied: data_update on table "users"/);
            return true;
          });
          assert.equal((await stream.queryValue("SELECT title FROM posts WHERE id = 2")).value, "Tables");
        } finally {
          stream.close();
        }
        neverRan(scenario(), mark, "hc-cursor");
      });
    }

    test(`upstream saw only ${protocol} (${encoding}) frames from this client`, () => {
      const records = wsRecordsSince(scenario(), snap);
      assert.ok(records.length > 10);
      assert.deepEqual([...new Set(records.map((r) => `${r.protocol}/${r.encoding}`))], [`${protocol}/${encoding}`]);
      assert.ok(records.every((r) => r.message !== null), "every frame decoded");
    });
  });
}

hranaClientCases("@libsql/hrana-client openWs protocol 3 through the gate: hrana3-protobuf",
  { scenario: () => s, version: 3, protocol: "hrana3-protobuf", encoding: "protobuf" });
hranaClientCases("@libsql/hrana-client openWs protocol 2 through the gate: hrana2 JSON",
  { scenario: () => s, version: 2, protocol: "hrana2", encoding: "json" });

describe("an upstream restricted to JSON subprotocols: hrana3 JSON with a stock client", () => {
  let json;
  before(async () => {
    json = await startScenario({ upstream: { wsProtocols: ["hrana3", "hrana2", "hrana1"] } });
  });
  after(async () => {
    await json?.stop();
  });

  hranaClientCases("@libsql/hrana-client openWs protocol 3: hrana3",
    { scenario: () => json, version: 3, protocol: "hrana3", encoding: "json" });

  test("@libsql/client read-only denial and an expiring token behave the same", async () => {
    const mark = json.upstream.received.length;
    await withClient(await json.turso.mint({ iss: TURSO_ISS, a: "ro" }), async (client) => {
      assert.deepEqual(await all(client, "SELECT name FROM users WHERE id = 1"), [{ name: "Ada" }]);
      await assert.rejects(run(client, "INSERT INTO users (name, email) VALUES ('json-ro', 'j@x')"), denied("data_add", "users"));
    }, { scenario: json });
    neverRan(json, mark, "json-ro");
  });
});

// Over HTTP the gate speaks JSON and protobuf; which one a client uses is the
// client's choice. @libsql/client 0.18 opens its HTTP client with protocol
// version 2 (hrana-client's openHttp default), so it never probes
// /v3-protobuf and stays on /v2/pipeline JSON; @libsql/hrana-client's
// openHttp(url, jwt, fetch, key, 3) probes /v3-protobuf first and gets it.
describe("stock HTTP clients: the encoding each uses through the gate", () => {
  // POST requests the client's query produced upstream (the gate's schema reads left out).
  const posts = (mark) => s.upstream.received.slice(mark)
    .filter((r) => r.method === "POST" && !JSON.stringify(r.body).includes("sqlite_schema"));

  test("@libsql/client over HTTP: hrana v2 JSON; allowed and denied as before", async () => {
    const mark = s.upstream.received.length;
    const client = createDefaultClient({ url: s.gate.url, authToken: await turso({ a: "ro" }) });
    try {
      assert.equal(client.protocol, "http");
      assert.deepEqual(plainRows(await client.execute("SELECT name FROM users WHERE id = 1")), [{ name: "Ada" }]);
      await assert.rejects(client.execute("INSERT INTO users (name, email) VALUES ('http-v2', 'h@x')"), denied("data_add", "users"));
    } finally {
      client.close();
    }
    const records = posts(mark);
    assert.deepEqual([...new Set(records.map((r) => `${r.path} ${r.encoding}`))], ["/v2/pipeline json"]);
    assert.deepEqual(records.flatMap((r) => r.sql), ["SELECT name FROM users WHERE id = 1"]);
    assert.equal(await countWhere("users", "name = 'http-v2'"), 0);
  });

  test("@libsql/hrana-client over HTTP, protocol 3: /v3-protobuf pipeline and cursor; allowed and denied", async () => {
    const mark = s.upstream.received.length;
    const client = hrana.openHttp(s.gate.url, await clerkRole("user"), undefined, undefined, 3);
    const stream = client.openStream();
    try {
      assert.equal(await client.getVersion(), 3);
      assert.equal((await stream.queryValue("SELECT title FROM posts WHERE id = 2")).value, "Tables");
      await assert.rejects(stream.run("UPDATE posts SET title = 'http-pb' WHERE id = 1"), hranaDenied("data_update", "posts"));
      const batch = stream.batch(true);
      const rows = batch.step().query("SELECT id FROM posts ORDER BY id");
      await batch.execute();
      assert.deepEqual((await rows).rows.map((r) => r.id), [1, 2]);
    } finally {
      stream.close();
      client.close();
    }
    const records = posts(mark);
    assert.ok(records.length >= 2);
    assert.deepEqual([...new Set(records.map((r) => r.encoding))], ["protobuf"]);
    assert.deepEqual([...new Set(records.map((r) => r.path))].sort(), ["/v3-protobuf/cursor", "/v3-protobuf/pipeline"]);
    assert.ok(!records.flatMap((r) => r.sql).some((sql) => sql.includes("http-pb")));
    assert.equal(await countWhere("posts", "title = 'http-pb'"), 0);
  });
});
