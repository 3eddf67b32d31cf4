// The README's first command (scripts/run-local → deploy/dev/run-local.mjs) run
// once against the built binary: it must bring up upstream, issuer and gate and
// show one allowed and one denied query. Keeps the README honest.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { freePort, gateBinary } from "./gate_process.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

test("run-local shows an allowed and a denied query, then stops cleanly", async () => {
  const env = {
    ...process.env,
    LIBSQL_GATE_BIN: gateBinary,
    LIBSQL_GATE_PORT: String(await freePort()),
    LIBSQL_GATE_ADMIN_PORT: String(await freePort()),
    LIBSQL_GATE_RUN_LOCAL_ONCE: "1",
  };
  const child = spawn(process.execPath, [resolve(root, "deploy/dev/run-local.mjs")], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const code = await new Promise((res) => child.on("exit", res));

  assert.equal(code, 0, `run-local failed: ${err}\n${out}`);
  assert.match(out, new RegExp(`libsql-gate is running at http://127\\.0\\.0\\.1:${env.LIBSQL_GATE_PORT}`));
  assert.match(out, /allowed {2}\(editor inserts a comment\): new comment id \d+/);
  assert.match(out, /denied {3}\(viewer inserts a comment\): LibsqlError code=SQLITE_AUTH/);
  assert.match(out, /permission denied: data_add on table "comments"/);
  // Two ready-made tokens are printed for copy-paste.
  assert.equal((out.match(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/gm) ?? []).length, 2);
});
