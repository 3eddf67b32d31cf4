// The command line other test suites (and scripts) use to run the upstream as
// a process: its one stdout line, its flags, and a clean stop on SIGTERM.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { once } from "node:events";
import { pipeline, exec, int, text, openWs, hello, request } from "./test_support.mjs";

const SERVER = join(dirname(fileURLToPath(import.meta.url)), "server.mjs");

// Starts the server process and resolves with it and the parsed first line.
function startProcess(args) {
  const child = spawn(process.execPath, [SERVER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c) => { stderr += c; });
  const ready = new Promise((resolve, reject) => {
    child.stdout.on("data", (c) => {
      stdout += c;
      if (stdout.includes("\n")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening: ${stderr}`)));
  });
  return { child, ready, output: () => ({ stdout, stderr }) };
}

async function stop(child) {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  return code;
}

describe("server.mjs command line", () => {
  const dir = mkdtempSync(join(tmpdir(), "upstream-cli-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints one JSON line with its URL, serves the schema and seed, and stops on SIGTERM", async () => {
    const schema = join(dir, "schema.sql");
    const seed = join(dir, "seed.sql");
    writeFileSync(schema, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n");
    writeFileSync(seed, "INSERT INTO notes (body) VALUES ('first'), ('second');\n");
    const proc = startProcess(["--port", "0", "--schema", schema, "--seed", seed, "--stream-idle-ms", "5000"]);
    try {
      await proc.ready;
      const { stdout } = proc.output();
      assert.match(stdout, /^\{"listening":"http:\/\/127\.0\.0\.1:[0-9]+"\}\n$/);
      const { listening } = JSON.parse(stdout);
      const res = await pipeline(listening, { baton: null, requests: [exec("SELECT id, body FROM notes ORDER BY id"), { type: "close" }] });
      assert.deepEqual(res.json.results[0].response.result.rows, [[int(1), text("first")], [int(2), text("second")]]);
    } finally {
      assert.equal(await stop(proc.child), 0);
    }
    assert.equal(proc.output().stdout.split("\n").filter(Boolean).length, 1, "nothing else on stdout");
  });

  it("keeps a --db file across restarts and leaves it in place", async () => {
    const db = join(dir, "kept.sqlite");
    const first = startProcess(["--port", "0", "--db", db]);
    try {
      await first.ready;
      const { listening } = JSON.parse(first.output().stdout);
      await pipeline(listening, { baton: null, requests: [exec("CREATE TABLE k (v)"), exec("INSERT INTO k VALUES (7)"), { type: "close" }] });
    } finally {
      await stop(first.child);
    }
    assert.equal(existsSync(db), true);
    const second = startProcess(["--port", "0", "--db", db, "--base-url", "http://gate.test"]);
    try {
      await second.ready;
      const { listening } = JSON.parse(second.output().stdout);
      const res = await pipeline(listening, { baton: null, requests: [exec("SELECT v FROM k"), { type: "close" }] });
      assert.deepEqual(res.json.results[0].response.result.rows, [[int(7)]]);
      assert.equal(res.json.base_url, "http://gate.test");
    } finally {
      await stop(second.child);
    }
  });

  it("speaks WebSocket on the same port, restricted by --ws-protocols", async () => {
    const proc = startProcess(["--port", "0", "--ws-protocols", "hrana3,hrana2", "--ws-max-outstanding", "4"]);
    try {
      await proc.ready;
      const { listening } = JSON.parse(proc.output().stdout);
      const ws = await openWs(listening.replace(/^http:/, "ws:"), ["hrana3-protobuf", "hrana3", "hrana2", "hrana1"]);
      assert.equal(ws.protocol, "hrana3");
      ws.sendTogether([hello(), request(1, { type: "open_stream", stream_id: 1 }),
        request(2, { type: "execute", stream_id: 1, stmt: { sql: "SELECT 'over ws'" } })]);
      assert.equal((await ws.next()).type, "hello_ok");
      await ws.next();
      assert.deepEqual((await ws.next()).response.result.rows, [[text("over ws")]]);
      const stats = await fetch(listening + "/_test/ws").then((r) => r.json());
      assert.equal(stats.current, 1);
      // SIGTERM with the socket still open: the upstream closes it and exits.
    } finally {
      assert.equal(await stop(proc.child), 0);
    }
  });

  it("exits 2 naming a bad flag", async () => {
    for (const args of [["--bogus"], ["--port", "http"], ["--host", "0.0.0.0"], ["--stream-idle-ms", "-1"],
                        ["--ws-protocols", "hrana3,hrana9"], ["--ws-protocols", ""], ["--ws-max-outstanding", "0"],
                        ["--ws-max-outstanding", "many"]]) {
      const proc = startProcess(args);
      await assert.rejects(proc.ready);
      assert.equal(proc.child.exitCode, 2, args.join(" "));
      assert.notEqual(proc.output().stderr, "", args.join(" "));
      assert.equal(proc.output().stdout, "", args.join(" "));
    }
  });
});
