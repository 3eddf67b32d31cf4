// deploy/Dockerfile, checked without a docker engine: the runtime stage installs
// the Debian package of every library the built binary links; the build stage
// installs the build packages scripts/bootstrap names; .dockerignore lets in what
// the build needs; the HEALTHCHECK command, run here against a real gate's admin
// port, says healthy — and unhealthy when nothing listens.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { startMinimalGate } from "./processes.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const gateBinary = resolve(root, process.env.LIBSQL_GATE_BIN ?? "build/proxy/libsql-gate");
const dockerfile = readFileSync(join(root, "deploy/Dockerfile"), "utf8");

// Instructions with their continuation lines joined, comments dropped.
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"))
  .map((l) => ({ op: l.split(/\s+/)[0].toUpperCase(), args: l.slice(l.indexOf(" ") + 1).trim() }));
const stages = [];
for (const ins of instructions) {
  if (ins.op === "FROM") stages.push({ from: ins.args, instructions: [] });
  else stages.at(-1).instructions.push(ins);
}
const runtime = stages.at(-1);
const aptPackages = (stage) =>
  stage.instructions
    .filter((i) => i.op === "RUN")
    .flatMap((i) => [...i.args.matchAll(/apt-get install ([^&]*)/g)].flatMap((m) => m[1].split(/\s+/)))
    .filter((p) => p && !p.startsWith("-"));

// Packages debian:12-slim already has (apt itself depends on them).
const SLIM_BASE = new Set(["libc6", "libstdc++6", "libgcc-s1", "zlib1g"]);
const GLIBC = /^(linux-vdso|ld-linux.*|libc|libm|libmvec|libpthread|libdl|librt|libresolv)\.so/;

describe("deploy/Dockerfile", () => {
  it("has a Debian 12 build stage and a debian:12-slim runtime stage", () => {
    assert.equal(stages.length, 2);
    assert.match(stages[0].from, /^debian:12\b.* AS build$/i);
    assert.equal(runtime.from, "debian:12-slim");
  });

  it("runs as uid 65532, with the binary it copies as entrypoint", () => {
    const op = (name) => runtime.instructions.filter((i) => i.op === name);
    assert.equal(op("USER").at(-1)?.args, "65532:65532");
    const copied = op("COPY").map((i) => i.args.split(/\s+/).at(-1));
    const entry = JSON.parse(op("ENTRYPOINT").at(-1).args);
    assert.ok(copied.includes(entry[0]), `ENTRYPOINT ${entry[0]} is a copied file`);
    assert.equal(op("VOLUME").length, 0, "no VOLUME: nothing is written outside /tmp");
  });

  it("the runtime stage installs the package of every library the binary links", { skip: (!existsSync(gateBinary) && `no binary at ${gateBinary}`) || (spawnSync("dpkg", ["--version"]).error && "no dpkg") }, () => {
    const installed = new Set(aptPackages(runtime));
    assert.ok(installed.has("ca-certificates"), "ca-certificates for https");
    const ldd = spawnSync("ldd", [gateBinary], { encoding: "utf8" });
    assert.equal(ldd.status, 0, ldd.stderr);
    for (const line of ldd.stdout.split("\n")) {
      const m = line.trim().match(/^(\S+) => (\S+) \(/);
      if (!m || GLIBC.test(m[1])) continue;
      const owner = spawnSync("dpkg", ["-S", m[2]], { encoding: "utf8" });
      const pkg = owner.status === 0
        ? owner.stdout.split(":")[0]
        : spawnSync("dpkg", ["-S", m[2].replace(/^\/lib\//, "/usr/lib/")], { encoding: "utf8" }).stdout.split(":")[0];
      assert.ok(pkg, `a Debian package owns ${m[2]}`);
      assert.ok(installed.has(pkg) || SLIM_BASE.has(pkg), `${m[1]} comes from ${pkg}: install it in the runtime stage`);
    }
  });

  it("the build stage installs the build packages scripts/bootstrap names", () => {
    const bootstrap = readFileSync(join(root, "scripts/bootstrap"), "utf8");
    const listed = bootstrap.match(/packages=\(([\s\S]*?)\)/)[1].replace(/#.*$/gm, "").split(/\s+/).filter(Boolean);
    const forBuild = listed.filter((p) => (/-dev$/.test(p) || ["g++", "cmake", "make", "pkg-config"].includes(p))
      && !["libbenchmark-dev", "libclang-rt-14-dev"].includes(p));
    const installed = new Set(aptPackages(stages[0]));
    for (const p of forBuild) assert.ok(installed.has(p), `build stage installs ${p}`);
  });

  it(".dockerignore lets in every directory the top-level CMakeLists.txt always builds", () => {
    const allowed = readFileSync(join(root, ".dockerignore"), "utf8")
      .split("\n").map((l) => l.trim()).filter((l) => l.startsWith("!")).map((l) => l.slice(1).replace(/\/$/, ""));
    const cmake = readFileSync(join(root, "CMakeLists.txt"), "utf8").split("\n");
    let depth = 0;
    const dirs = [];
    for (const line of cmake) {
      if (/^\s*if\s*\(/.test(line)) depth += 1;
      else if (/^\s*endif\s*\(/.test(line)) depth -= 1;
      const m = line.match(/^\s*add_subdirectory\((\S+)\)/);
      if (m && depth === 0) dirs.push(m[1]);
    }
    assert.ok(dirs.length > 0);
    for (const d of [...dirs, "CMakeLists.txt"]) assert.ok(allowed.includes(d), `.dockerignore allows ${d}`);
    for (const copy of stages.flatMap((s) => s.instructions).filter((i) => i.op === "COPY" && !i.args.startsWith("--from"))) {
      const source = copy.args.split(/\s+/)[0];
      if (source === ".") continue;
      assert.ok(allowed.some((a) => source === a || source.startsWith(`${a}/`)), `.dockerignore allows COPY ${source}`);
    }
  });
});

describe("deploy/Dockerfile HEALTHCHECK", () => {
  const healthcheck = runtime.instructions.find((i) => i.op === "HEALTHCHECK");
  const command = JSON.parse(healthcheck.args.slice(healthcheck.args.indexOf("CMD") + 3).trim());
  const runCheck = (port) =>
    spawnSync(command[0], command.slice(1), { encoding: "utf8", timeout: 5000, env: { PATH: "/usr/bin:/bin", LIBSQL_GATE_ADMIN_PORT: String(port) } });

  let gate;
  let adminPort = null;
  let skipReason = null;

  before(async () => {
    if (spawnSync("bash", ["--version"]).error) { skipReason = "no bash"; return; }
    if (!existsSync(gateBinary)) { skipReason = `no binary at ${gateBinary}`; return; }
    gate = await startMinimalGate(gateBinary, join(root, "deploy/examples/keys/local-dev.jwks.json"));
    if (gate.error) skipReason = gate.error;
    else adminPort = Number(gate.admin.slice(gate.admin.lastIndexOf(":") + 1));
  });

  after(async () => { if (gate?.stop) await gate.stop(); });

  it("defaults to the SPEC's admin port and asks for /healthz", () => {
    assert.equal(command[0], "bash", "no curl/wget in the slim image: bash /dev/tcp");
    assert.match(command.at(-1), /\$\{LIBSQL_GATE_ADMIN_PORT:-9090\}/);
    assert.match(command.at(-1), /GET \/healthz /);
  });

  it("reports healthy against a running gate's admin port", (t) => {
    if (skipReason) return t.skip(skipReason);
    const result = runCheck(adminPort);
    assert.equal(result.status, 0, result.stderr);
  });

  it("reports unhealthy when nothing listens, and when the answer is not 200", async (t) => {
    if (skipReason) return t.skip(skipReason);
    const closed = createServer();
    await new Promise((res) => closed.listen(0, "127.0.0.1", res));
    const closedPort = closed.address().port;
    await new Promise((res) => closed.close(res));
    assert.notEqual(runCheck(closedPort).status, 0, "connection refused is unhealthy");

    const wrong = createServer((socket) => socket.once("data", () => socket.end("HTTP/1.0 503 Service Unavailable\r\n\r\n")));
    await new Promise((res) => wrong.listen(0, "127.0.0.1", res));
    try {
      const status = await new Promise((res) => {
        const child = spawn(command[0], command.slice(1), { env: { PATH: "/usr/bin:/bin", LIBSQL_GATE_ADMIN_PORT: String(wrong.address().port) } });
        child.once("exit", (code) => res(code));
      });
      assert.notEqual(status, 0, "a 503 is unhealthy");
    } finally {
      await new Promise((res) => wrong.close(res));
    }
  });
});
