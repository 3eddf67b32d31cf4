// The scenario suite of issue 6: stock clients (@libsql/client over HTTP and
// @tursodatabase/serverless) pointed at the real gate, with Clerk-, Auth0- and
// Turso-shaped tokens from the development issuer, in front of the test upstream
// loaded with deploy/dev/schema.sql and seed.sql. Every scenario runs with both
// clients and asserts exactly what the application sees.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient, LibsqlError } from "@libsql/client";
import { connect, DatabaseError } from "@tursodatabase/serverless";
import { permClaim } from "../issuer/profiles.mjs";
import { startScenario, TURSO_ISS, until } from "./scenario_setup.mjs";

let s;
before(async () => {
  s = await startScenario();
});
after(async () => {
  await s?.stop();
});

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

// The two stock clients behind one small interface: `all` gives plain row
// objects, `run` the number of changed rows, `batch` runs statements atomically.
const CLIENTS = [
  {
    name: "@libsql/client",
    errorClass: LibsqlError,
    errorName: "LibsqlError",
    open(token) {
      const c = createClient({ url: s.gate.url, authToken: token });
      const plain = (r) => r.rows.map((row) => Object.fromEntries(r.columns.map((col, i) => [col, row[i]])));
      return {
        raw: c,
        all: async (sql, args) => plain(await c.execute(args === undefined ? sql : { sql, args })),
        run: async (sql, args) => (await c.execute(args === undefined ? sql : { sql, args })).rowsAffected,
        batch: async (stmts) => (await c.batch(stmts, "write")).map((r) => r.rowsAffected),
        close: async () => c.close(),
      };
    },
  },
  {
    name: "@tursodatabase/serverless",
    errorClass: DatabaseError,
    errorName: "DatabaseError",
    open(token) {
      const conn = connect({ url: s.gate.url, authToken: token });
      return {
        raw: conn,
        all: (sql, args) => (args === undefined ? conn.all(sql) : conn.all(sql, args)),
        run: async (sql, args) => (args === undefined ? await conn.run(sql) : await conn.run(sql, args)).changes,
        batch: async (stmts) => (await conn.batch(stmts, "write")).map((r) => r.rowsAffected),
        close: () => conn.close(),
      };
    },
  },
];

// What each client surfaces for an error the gate answers with `code` and
// `message`. @libsql/client: LibsqlError, `code`, message "CODE: message", for
// statement results and HTTP errors alike. @tursodatabase/serverless:
// DatabaseError with the code for statement results; for HTTP errors (401, 403,
// 503) it reads only `message` from the body, so `code` is undefined.
function surfaced(client, { code, message, http = false }) {
  return (err) => {
    assert.ok(err instanceof client.errorClass, `${client.name}: ${err?.stack}`);
    assert.equal(err.name, client.errorName);
    if (client.errorClass === LibsqlError) {
      assert.equal(err.code, code);
      assert.equal(err.message, `${code}: ${message}`);
    } else {
      assert.equal(err.code, http ? undefined : code);
      assert.equal(err.message, message);
    }
    return true;
  };
}

const denied = (client, action, table) =>
  surfaced(client, { code: "SQLITE_AUTH", message: `permission denied: ${action} on table "${table}"` });

// Runs `fn(client, db)` with a client opened on `token` and closes it.
async function using(client, token, fn) {
  const db = client.open(token);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

// Reads straight from the upstream (no gate) to check what really happened.
async function upstreamAll(sql) {
  const c = createClient({ url: s.upstream.url });
  try {
    const r = await c.execute(sql);
    return r.rows.map((row) => Object.fromEntries(r.columns.map((col, i) => [col, row[i]])));
  } finally {
    c.close();
  }
}
const countWhere = async (table, where) => (await upstreamAll(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0].n;

// What clients sent upstream through the gate (the gate's own schema reads left out).
const forwardedSql = () => JSON.stringify(s.upstream.received.filter(
  (r) => /\/(pipeline|cursor)$/.test(r.path) && !JSON.stringify(r.body).includes("sqlite_schema")).map((r) => r.body));

const tag = (client) => (client.errorClass === LibsqlError ? "libsql" : "serverless");
const clerkTemplate = (claims, options = {}) => s.clerk.mint(claims, { kind: "template", ...options });
const clerkRole = (rol) => s.clerk.mint({ o: { id: "org_e2e", rol, slg: "acme" } });
const turso = (claims, kind = "database") => s.turso.mint({ iss: TURSO_ISS, ...claims }, { kind });

const OTHER_UUID = "00000000-0000-4000-8000-000000000000";
const ALL_POSTS = [{ id: 1, title: "Hello" }, { id: 2, title: "Tables" }];

describe("scoping levels (Turso platform tokens, EdDSA)", () => {
  for (const client of CLIENTS) {
    test(`${client.name}: group token (gid, p with the group's tag) reads and writes`, async () => {
      const token = await turso({ p: { rw: { ns: [], tags: [s.groupId] } } }, "group");
      await using(client, token, async (db) => {
        assert.deepEqual(await db.all("SELECT id, title FROM posts ORDER BY id"), ALL_POSTS);
        assert.equal(await db.run("INSERT INTO users (name, email) VALUES (?, ?)", [`group-${tag(client)}`, `g-${tag(client)}@x`]), 1);
      });
      assert.equal(await countWhere("users", `name = 'group-${tag(client)}'`), 1);
    });

    test(`${client.name}: database token (id) reads and writes`, async () => {
      await using(client, await turso({}), async (db) => {
        assert.deepEqual(await db.all("SELECT value FROM secrets"), [{ value: "the launch code" }]);
        assert.equal(await db.run("UPDATE users SET email = email WHERE id = 1"), 1);
      });
    });

    test(`${client.name}: read-only token (a: ro): SELECT ok, INSERT denied`, async () => {
      await using(client, await turso({ a: "ro" }), async (db) => {
        assert.deepEqual(await db.all("SELECT name FROM users WHERE id = 1"), [{ name: "Ada" }]);
        await assert.rejects(db.run("INSERT INTO users (name, email) VALUES ('ro', 'ro@x')"), denied(client, "data_add", "users"));
      });
      // A read-only `p` entry naming this database is read-only too.
      await using(client, await turso({ a: undefined, p: { ro: { ns: ["db"] } } }, "group"), async (db) => {
        assert.deepEqual(await db.all("SELECT name FROM users WHERE id = 2"), [{ name: "Grace" }]);
        await assert.rejects(db.run("DELETE FROM comments WHERE id = 2"), denied(client, "data_delete", "comments"));
      });
      assert.equal(await countWhere("users", "name = 'ro'"), 0);
    });

    test(`${client.name}: tokens for another database or group are 403 AUTH_DATABASE_SCOPE`, async () => {
      const other = (claim) => `token claim '${claim}' names a different database or group; get a token for this one`;
      const cases = [
        [await turso({ id: OTHER_UUID }), other("id")],
        [await turso({ gid: OTHER_UUID }, "group"), other("gid")],
        // The right group, but `p` lists neither this database nor its group.
        [await turso({ p: { rw: { ns: ["otherdb"], tags: [OTHER_UUID] } } }, "group"),
         "token claim 'p' does not list this database or its group; get a token for this database"],
      ];
      for (const [token, message] of cases) {
        await using(client, token, (db) => assert.rejects(db.all("SELECT 1"), surfaced(client, {
          code: "AUTH_DATABASE_SCOPE", http: true, message,
        })));
      }
    });
  }
});

describe("table and action permissions", () => {
  const perm = () => clerkTemplate({ perm: permClaim(["all:data_read", "comments:data_add"]) });

  for (const client of CLIENTS) {
    test(`${client.name}: perm -p all:data_read -p comments:data_add`, async () => {
      await using(client, await perm(), async (db) => {
        assert.deepEqual(await db.all("SELECT value FROM secrets"), [{ value: "the launch code" }]);
        assert.deepEqual(await db.all("SELECT id, title FROM posts ORDER BY id"), ALL_POSTS);
        assert.equal(await db.run("INSERT INTO comments (post_id, author_id, body) VALUES (1, 2, ?)", [`perm-${tag(client)}`]), 1);
        await assert.rejects(db.run("INSERT INTO posts (author_id, title, body) VALUES (1, 'no', 'no')"), denied(client, "data_add", "posts"));
        await assert.rejects(db.run("UPDATE comments SET body = 'edited' WHERE id = 1"), denied(client, "data_update", "comments"));
      });
      assert.equal(await countWhere("comments", `body = 'perm-${tag(client)}'`), 1);
      assert.equal(await countWhere("posts", "title = 'no'"), 0);
      assert.equal(await countWhere("comments", "body = 'edited'"), 0);
    });

    test(`${client.name}: role Admin (Clerk o.rol) may do everything, DDL included`, async () => {
      const table = `admin_${tag(client)}`;
      await using(client, await clerkRole("admin"), async (db) => {
        await db.run(`CREATE TABLE ${table} (id INTEGER PRIMARY KEY, v TEXT)`);
        assert.equal(await db.run(`INSERT INTO ${table} (v) VALUES ('a')`), 1);
        assert.deepEqual(await db.all(`SELECT v FROM ${table}`), [{ v: "a" }]);
        await db.run(`ALTER TABLE ${table} ADD COLUMN w TEXT`);
        assert.equal(await db.run("UPDATE posts SET title = title WHERE id = 2"), 1);
        await db.run(`DROP TABLE ${table}`);
      });
      assert.deepEqual(await upstreamAll(`SELECT name FROM sqlite_schema WHERE name = '${table}'`), []);
    });

    test(`${client.name}: role Moderator reads all, updates and deletes comments, nothing else`, async () => {
      const id = client.errorClass === LibsqlError ? 101 : 102;
      await upstreamAll(`INSERT INTO comments (id, post_id, author_id, body) VALUES (${id}, 1, 1, 'spam')`);
      await using(client, await clerkRole("moderator"), async (db) => {
        assert.deepEqual(await db.all("SELECT value FROM secrets"), [{ value: "the launch code" }]);
        assert.equal(await db.run("UPDATE comments SET body = 'hidden' WHERE id = ?", [id]), 1);
        assert.equal(await db.run("DELETE FROM comments WHERE id = ?", [id]), 1);
        await assert.rejects(db.run("INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, 'mod')"), denied(client, "data_add", "comments"));
        await assert.rejects(db.run("DELETE FROM posts WHERE id = 2"), denied(client, "data_delete", "posts"));
        await assert.rejects(db.run("CREATE TABLE mod_t (x)"), denied(client, "schema_add", "mod_t"));
      });
      assert.equal(await countWhere("comments", `id = ${id}`), 0);
    });

    test(`${client.name}: role User reads all and adds comments, nothing else`, async () => {
      await using(client, await clerkRole("user"), async (db) => {
        assert.deepEqual(await db.all("SELECT name FROM users WHERE id = 2"), [{ name: "Grace" }]);
        assert.equal(await db.run("INSERT INTO comments (post_id, author_id, body) VALUES (2, 2, ?)", [`user-${tag(client)}`]), 1);
        await assert.rejects(db.run("UPDATE comments SET body = 'x' WHERE id = 1"), denied(client, "data_update", "comments"));
        await assert.rejects(db.run("DELETE FROM comments WHERE id = 1"), denied(client, "data_delete", "comments"));
        await assert.rejects(db.run("UPDATE users SET name = 'x' WHERE id = 1"), denied(client, "data_update", "users"));
      });
    });

    test(`${client.name}: roles from Auth0's namespaced claim (aud checked)`, async () => {
      const token = await s.auth0.mint({ "https://example.com/roles": ["moderator"] });
      await using(client, token, async (db) => {
        assert.equal(await db.run("UPDATE comments SET body = body WHERE id = 1"), 1);
        await assert.rejects(db.run("INSERT INTO posts (author_id, title, body) VALUES (1, 'a0', 'b')"), denied(client, "data_add", "posts"));
      });
      const noRole = await s.auth0.mint({});
      await using(client, noRole, (db) => assert.rejects(db.all("SELECT id FROM posts"), denied(client, "data_read", "posts")));
    });
  }
});

describe("execute, batch, transactions, migrate, cursors, arguments", () => {
  const writer = () => clerkTemplate({ perm: permClaim(["all:data_read", "comments:data_add"]) });

  for (const client of CLIENTS) {
    test(`${client.name}: an allowed batch runs atomically`, async () => {
      const marker = `batch-ok-${tag(client)}`;
      await using(client, await writer(), async (db) => {
        assert.deepEqual(await db.batch([
          { sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", args: [marker] },
          { sql: "INSERT INTO comments (post_id, author_id, body) VALUES (2, 1, ?)", args: [marker] },
        ]), [1, 1]);
      });
      assert.equal(await countWhere("comments", `body = '${marker}'`), 2);
    });

    test(`${client.name}: a batch with one denied statement executes nothing`, async () => {
      const marker = `batch-denied-${tag(client)}`;
      s.upstream.reset();
      await using(client, await writer(), (db) => assert.rejects(db.batch([
        { sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", args: [marker] },
        { sql: "INSERT INTO posts (author_id, title, body) VALUES (1, ?, 'b')", args: [marker] },
      ]), denied(client, "data_add", "posts")));
      assert.ok(!forwardedSql().includes(marker), "no statement of the batch reached upstream");
      assert.equal(await countWhere("comments", `body = '${marker}'`), 0);
      assert.equal(await countWhere("posts", `title = '${marker}'`), 0);
    });

    test(`${client.name}: interactive transaction: denied inside, rollback undoes the allowed insert`, async () => {
      const marker = `tx-${tag(client)}`;
      const token = await writer();
      if (client.errorClass === LibsqlError) {
        const c = createClient({ url: s.gate.url, authToken: token });
        try {
          const tx = await c.transaction("write");
          assert.equal((await tx.execute({ sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", args: [marker] })).rowsAffected, 1);
          await assert.rejects(tx.execute("UPDATE comments SET body = 'tx' WHERE id = 1"), denied(client, "data_update", "comments"));
          await tx.rollback();
          tx.close();
        } finally {
          c.close();
        }
      } else {
        const conn = connect({ url: s.gate.url, authToken: token });
        try {
          await conn.exec("BEGIN IMMEDIATE");
          assert.equal(conn.inTransaction, true);
          assert.equal((await conn.run("INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", [marker])).changes, 1);
          await assert.rejects(conn.run("UPDATE comments SET body = 'tx' WHERE id = 1"), denied(client, "data_update", "comments"));
          assert.equal(conn.inTransaction, true);
          assert.deepEqual(await conn.get("SELECT count(*) AS n FROM comments WHERE body = ?", [marker]), { n: 1 });
          await conn.exec("ROLLBACK");
          assert.equal(conn.inTransaction, false);
        } finally {
          await conn.close();
        }
      }
      assert.equal(await countWhere("comments", `body = '${marker}'`), 0);
      assert.equal(await countWhere("comments", "body = 'tx'"), 0);
    });

    test(`${client.name}: cursor-style reads, allowed and denied`, async () => {
      const token = await clerkTemplate({ perm: permClaim(["posts:data_read"]) });
      await using(client, token, async (db) => {
        if (client.errorClass === DatabaseError) {
          // The serverless client reads rows as /v3/cursor streams them.
          const rows = [];
          for await (const row of (await db.raw.prepare("SELECT id, title FROM posts ORDER BY id")).iterate()) rows.push(row);
          assert.deepEqual(rows, ALL_POSTS);
          const denyRows = async () => {
            for await (const row of (await db.raw.prepare("SELECT value FROM secrets")).iterate()) void row;
          };
          await assert.rejects(denyRows(), denied(client, "data_read", "secrets"));
        } else {
          assert.deepEqual(await db.all("SELECT id, title FROM posts ORDER BY id"), ALL_POSTS);
          await assert.rejects(db.all("SELECT value FROM secrets"), denied(client, "data_read", "secrets"));
        }
        await assert.rejects(db.all("SELECT p.title, c.body FROM posts p JOIN comments c ON c.post_id = p.id"), denied(client, "data_read", "comments"));
      });
    });

    test(`${client.name}: named (:name, $name, @name) and positional (?, ?NNN) arguments`, async () => {
      const marker = `args-${tag(client)}`;
      await using(client, await writer(), async (db) => {
        assert.equal(await db.run("INSERT INTO comments (post_id, author_id, body) VALUES (:post, $author, @body)",
                                  { post: 2, author: 1, body: `${marker}-named` }), 1);
        assert.equal(await db.run("INSERT INTO comments (post_id, author_id, body) VALUES (?, ?, ?)", [1, 2, `${marker}-pos`]), 1);
        assert.equal(await db.run("INSERT INTO comments (post_id, author_id, body) VALUES (?2, ?1, ?3)", [2, 1, `${marker}-num`]), 1);
        assert.deepEqual(await db.all("SELECT post_id, author_id, body FROM comments WHERE body LIKE ? ORDER BY id", [`${marker}-%`]), [
          { post_id: 2, author_id: 1, body: `${marker}-named` },
          { post_id: 1, author_id: 2, body: `${marker}-pos` },
          { post_id: 1, author_id: 2, body: `${marker}-num` },
        ]);
        assert.deepEqual(await db.all("SELECT title FROM posts WHERE id = :id", { id: 2 }), [{ title: "Tables" }]);
        await assert.rejects(db.run("INSERT INTO posts (author_id, title, body) VALUES (:a, :t, :b)", { a: 1, t: marker, b: "x" }),
                             denied(client, "data_add", "posts"));
        await assert.rejects(db.run("DELETE FROM comments WHERE body = ?", [`${marker}-pos`]), denied(client, "data_delete", "comments"));
      });
      assert.equal(await countWhere("comments", `body LIKE '${marker}-%'`), 3);
    });
  }

  // @libsql/client sends each transaction statement as store_sql + batch in one
  // pipeline, and hrana-client closes its stream (upstream rolls back) when a
  // store_sql fails. So on a denial the gate still forwards the pipeline's
  // store_sql/close_sql (they run nothing) and fails only the rest: the
  // transaction stays usable, as SPEC §4 wants (docs/deviations.md).
  test("@libsql/client: a transaction stays usable after a denied statement (SPEC §4)", async () => {
    const marker = "tx-usable-libsql";
    const c = createClient({ url: s.gate.url, authToken: await writer() });
    try {
      const tx = await c.transaction("write");
      await tx.execute({ sql: "INSERT INTO comments (post_id, author_id, body) VALUES (1, 1, ?)", args: [marker] });
      await assert.rejects(tx.execute("UPDATE comments SET body = 'tx' WHERE id = 1"), denied(CLIENTS[0], "data_update", "comments"));
      try {
        assert.equal((await tx.execute({ sql: "SELECT count(*) AS n FROM comments WHERE body = ?", args: [marker] })).rows[0].n, 1);
        await tx.commit();
        assert.equal(await countWhere("comments", `body = '${marker}'`), 1);
      } finally {
        tx.close();
        await upstreamAll(`DELETE FROM comments WHERE body = '${marker}'`);
      }
    } finally {
      c.close();
    }
  });

  // @tursodatabase/serverless has no migrate(). @libsql/client's wraps the
  // statements in `PRAGMA foreign_keys=off` … `PRAGMA foreign_keys=on`; setting
  // foreign_keys needs schema_update on all (SPEC §6): Admin may migrate, a role
  // that may not change the whole schema is refused and nothing reaches upstream.
  test("@libsql/client: migrate() runs for a token with schema_update on all (PRAGMA foreign_keys)", async () => {
    const c = createClient({ url: s.gate.url, authToken: await clerkRole("admin") });
    try {
      assert.equal(typeof c.migrate, "function");
      await c.migrate(["CREATE TABLE migrated (id INTEGER PRIMARY KEY)", "INSERT INTO migrated VALUES (1)"]);
      assert.deepEqual(await upstreamAll("SELECT id FROM migrated"), [{ id: 1 }]);
      await c.execute("DROP TABLE migrated");
    } finally {
      c.close();
    }
  });

  test("@libsql/client: migrate() without schema_update on all is denied on its PRAGMA, nothing runs", async () => {
    const c = createClient({ url: s.gate.url, authToken: await clerkRole("moderator") });
    try {
      s.upstream.reset();
      await assert.rejects(c.migrate(["CREATE TABLE migrated_mod (id INTEGER PRIMARY KEY)"]),
        surfaced(CLIENTS[0], { code: "SQLITE_AUTH", message: 'permission denied: schema_update on all tables' }));
      assert.ok(!forwardedSql().includes("migrated_mod"));
    } finally {
      c.close();
    }
  });

  // The stock client's own tests and most migrations begin with this (SPEC §6:
  // schema_delete on the name written, even when no such table exists).
  test("@libsql/client: DROP TABLE IF EXISTS of a table that does not exist", async () => {
    const admin = createClient({ url: s.gate.url, authToken: await clerkRole("admin") });
    const user = createClient({ url: s.gate.url, authToken: await clerkRole("user") });
    try {
      const result = await admin.execute("DROP TABLE IF EXISTS never_made");
      assert.equal(result.rowsAffected, 0);
      await assert.rejects(user.execute("DROP TABLE IF EXISTS never_made"), denied(CLIENTS[0], "schema_delete", "never_made"));
    } finally {
      admin.close();
      user.close();
    }
  });

  test("@libsql/client: migrate() of denied DDL (User) is SQLITE_AUTH too", async () => {
    const c = createClient({ url: s.gate.url, authToken: await clerkRole("user") });
    try {
      await assert.rejects(c.migrate(["CREATE TABLE m_user (id INTEGER)"]), (err) => {
        assert.ok(err instanceof LibsqlError);
        assert.equal(err.code, "SQLITE_AUTH");
        return true;
      });
      assert.deepEqual(await upstreamAll("SELECT name FROM sqlite_schema WHERE name = 'm_user'"), []);
    } finally {
      c.close();
    }
  });
});

describe("what the application sees when authentication fails", () => {
  for (const client of CLIENTS) {
    test(`${client.name}: missing, malformed, forged and expired tokens`, async () => {
      const now = Math.floor(Date.now() / 1000);
      const cases = [
        [undefined, "AUTH_HEADER_NOT_FOUND", "missing Authorization header: send `Authorization: Bearer <JWT>`"],
        ["abc.def.ghi", "AUTH_HEADER_MALFORMED", "the token header is not JSON"],
        [await clerkTemplate({}, { signature: "corrupt" }), "AUTH_JWT_INVALID", "the token's signature does not verify"],
        [await clerkTemplate({}, { now: now - 7200 }), "AUTH_JWT_EXPIRED", "the token has expired; obtain a new one"],
      ];
      s.upstream.reset();
      for (const [token, code, message] of cases) {
        await using(client, token, (db) => assert.rejects(db.all("SELECT 1"), surfaced(client, { code, message, http: true })));
      }
      assert.equal(forwardedSql(), "[]");
    });
  }

  test("a time-limited token expires mid-session: first query ok, then AUTH_JWT_EXPIRED", async () => {
    const ttl = 2;
    const sessions = await Promise.all(CLIENTS.map(async (client) => {
      const token = await clerkTemplate({ perm: permClaim(["posts:data_read"]) }, { ttl });
      const exp = JSON.parse(Buffer.from(token.split(".")[1], "base64url")).exp;
      return { client, db: client.open(token), exp };
    }));
    try {
      for (const { db } of sessions) assert.deepEqual(await db.all("SELECT id, title FROM posts ORDER BY id"), ALL_POSTS);
      // exp plus the configured clock skew (1 s) must be in the past.
      const latest = Math.max(...sessions.map((x) => x.exp));
      await until("the tokens' expiry", () => Date.now() / 1000 > latest + 1 + 0.2, { limitMs: 10000 });
      for (const { client, db } of sessions) {
        await assert.rejects(db.all("SELECT id FROM posts"), surfaced(client, {
          code: "AUTH_JWT_EXPIRED", http: true, message: "the token has expired; obtain a new one",
        }));
      }
    } finally {
      for (const { db } of sessions) await db.close();
    }
  });
});

// Reads one sample of the gate's metrics, e.g. libsql_gate_jwks_keys{issuer="auth0"}.
async function metric(series) {
  const text = await (await fetch(s.gate.admin + "/metrics")).text();
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("identity provider key lifecycle", () => {
  test("an unknown kid makes the gate refetch the JWKS once (Clerk rotation, no staging)", async () => {
    // The floor between fetches (min_refresh_interval_s: 1) has passed since start.
    await until("the refetch floor", () => Date.now() - s.readyAt > 1500);
    const before = s.clerk.fetchCount();
    const { kid, previousKid } = await s.clerk.rotate();
    assert.notEqual(kid, previousKid);
    for (const client of CLIENTS) {
      await using(client, await clerkRole("user"), async (db) => {
        assert.deepEqual(await db.all("SELECT name FROM users WHERE id = 1"), [{ name: "Ada" }]);
      });
    }
    assert.equal(s.clerk.fetchCount(), before + 1);
  });

  test("Auth0-style staged key rotation under continuous traffic: zero failed requests", async () => {
    const oldKid = s.auth0.signingKid();
    const fetchesBefore = s.auth0.fetchCount();
    const failures = [];
    const kidsUsed = new Set();
    let done = 0;
    let rotated = false;
    const MIN = 200;
    const MAX = 2000;
    const worker = async (client) => {
      while ((done < MIN || !rotated) && done < MAX) {
        const token = await s.auth0.mint({ "https://example.com/roles": ["user"] });
        kidsUsed.add(JSON.parse(Buffer.from(token.split(".")[0], "base64url")).kid);
        const db = client.open(token);
        try {
          const rows = await db.all("SELECT count(*) AS n FROM users WHERE id = ?", [1]);
          if (rows[0].n !== 1) failures.push(`${client.name}: ${JSON.stringify(rows)}`);
        } catch (err) {
          failures.push(`${client.name}: ${err.code} ${err.message}`);
        } finally {
          await db.close();
        }
        done++;
        await sleep(5);
      }
    };
    const keysAtGate = () => metric('libsql_gate_jwks_keys{issuer="auth0"}');
    const rotation = async () => {
      try {
        await until("traffic", () => done >= 30);
        assert.equal(await keysAtGate(), 1);
        // Published before use, as Auth0 does: the gate's refresh (refresh_interval_s: 1) picks it up.
        const newKid = await s.auth0.addKey();
        await until("the gate to fetch the next key", async () => (await keysAtGate()) === 2);
        let mark = done;
        assert.equal(s.auth0.promoteNext(), newKid);
        await until("traffic with the new key", () => done >= mark + 40);
        assert.equal(s.auth0.removeKey(oldKid), true);
        await until("the gate to drop the old key", async () => (await keysAtGate()) === 1);
        mark = done;
        await until("traffic after the old key is gone", () => done >= mark + 30);
        return newKid;
      } finally {
        rotated = true; // the workers stop after MIN requests even if a step failed
      }
    };
    const [newKid] = await Promise.all([rotation(), ...CLIENTS.map(worker)]);
    assert.deepEqual(failures, []);
    assert.ok(done >= MIN && done < MAX + 2, `${done} requests`);
    assert.deepEqual([...kidsUsed].sort(), [oldKid, newKid].sort());
    assert.ok(s.auth0.fetchCount() > fetchesBefore, "the gate refreshed the JWKS during the rotation");
    assert.deepEqual(s.auth0.kids(), [newKid]);
  });

  test("IdP outage: keys served within max_stale_s, then 503 AUTH_KEYS_UNAVAILABLE, then recovery", async () => {
    const token = () => s.flaky.mint({ perm: permClaim(["posts:data_read"]) }, { kind: "template" });
    const query = async (client) => {
      const db = client.open(await token());
      try {
        return { rows: await db.all("SELECT title FROM posts WHERE id = 1") };
      } catch (error) {
        return { error };
      } finally {
        await db.close();
      }
    };
    for (const client of CLIENTS) assert.deepEqual((await query(client)).rows, [{ title: "Hello" }]);

    s.flaky.setFailure("500");
    s.flaky.resetFetchCount();
    // A refresh has failed (refresh_interval_s: 1): the last good keys still serve.
    await until("a failed JWKS fetch", () => s.flaky.fetchCount() >= 1);
    for (const client of CLIENTS) assert.deepEqual((await query(client)).rows, [{ title: "Hello" }]);

    // Beyond max_stale_s (4 s) the keys are unusable.
    await until("keys to go stale", async () => (await query(CLIENTS[0])).error?.code === "AUTH_KEYS_UNAVAILABLE", { everyMs: 250 });
    for (const client of CLIENTS) {
      const { error } = await query(client);
      surfaced(client, {
        code: "AUTH_KEYS_UNAVAILABLE", http: true,
        message: "the issuer's signing keys are unavailable; retry later",
      })(error);
    }
    const ready = await fetch(s.gate.admin + "/readyz");
    assert.equal(ready.status, 503);
    assert.ok((await ready.json()).missing.some((m) => /issuer flaky/.test(m)));

    s.flaky.setFailure("none");
    await until("recovery", async () => (await query(CLIENTS[0])).rows !== undefined, { everyMs: 250 });
    for (const client of CLIENTS) assert.deepEqual((await query(client)).rows, [{ title: "Hello" }]);
    assert.equal((await fetch(s.gate.admin + "/readyz")).status, 200);
  });
});

