// scripts/package: the tarball holds a runtime tree that works on its own. It is
// unpacked into a clean directory and run there with an environment that knows
// nothing of the build tree (no LD_LIBRARY_PATH, working directory outside the
// repository), and every library that is not glibc's must come from its lib/.
// The binary comes from LIBSQL_GATE_BIN (default build/proxy/libsql-gate).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const gateBinary = resolve(root, process.env.LIBSQL_GATE_BIN ?? "build/proxy/libsql-gate");

// glibc's own libraries stay with the host (scripts/package says why).
const GLIBC = /^(linux-vdso|linux-gate|ld-linux.*|libc|libm|libmvec|libpthread|libdl|librt|libresolv|libutil|libanl|libnsl)\.so/;
// What a clean machine's environment has: no LD_LIBRARY_PATH, nothing of ours.
const CLEAN_ENV = { PATH: "/usr/bin:/bin", LANG: "C" };

describe("scripts/package tarball", { skip: !existsSync(gateBinary) && `no binary at ${gateBinary}` }, () => {
  let work;
  let tree;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "libsql-gate-package-"));
    const out = join(work, "dist");
    const stdout = execFileSync(join(root, "scripts/package"), ["--bin", gateBinary, "--out", out], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    const tarball = stdout.trim().split("\n").pop();
    assert.match(tarball, /libsql-gate-[0-9][^/]*-linux-[a-z0-9_]+\.tar\.gz$/);
    const unpacked = join(work, "clean");
    execFileSync("mkdir", ["-p", unpacked]);
    execFileSync("tar", ["-xzf", tarball, "-C", unpacked]);
    const entries = readdirSync(unpacked);
    assert.equal(entries.length, 1, `one top-level directory, got ${entries}`);
    tree = realpathSync(join(unpacked, entries[0]));
    // The unpacked copy must be what runs: the staging tree next to the tarball
    // is removed so nothing can fall back to it.
    rmSync(out, { recursive: true, force: true });
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const run = (args) =>
    spawnSync(join(tree, "bin/libsql-gate"), args, { cwd: tree, env: CLEAN_ENV, encoding: "utf8" });

  it("has the runtime layout: bin/, lib/, examples/, README", () => {
    for (const path of ["bin/libsql-gate", "lib", "examples/minimal.yaml", "README.md", "config.md"]) {
      assert.ok(existsSync(join(tree, path)), `${path} is in the tarball`);
    }
    assert.ok(statSync(join(tree, "bin/libsql-gate")).mode & 0o111, "bin/libsql-gate is executable");
    assert.ok(readdirSync(join(tree, "lib")).length > 0, "lib/ holds the bundled libraries");
  });

  it("runs `libsql-gate version` in a clean directory", () => {
    const result = run(["version"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^libsql-gate \S+\n$/);
    assert.ok(tree.includes(result.stdout.trim().split(" ")[1]), "the directory name carries the version");
  });

  it("checks every example config shipped in the tarball", () => {
    const examples = readdirSync(join(tree, "examples")).filter((f) => f.endsWith(".yaml"));
    assert.ok(examples.length >= 1);
    for (const example of examples) {
      const result = run(["check", "--config", `examples/${example}`]);
      assert.equal(result.status, 0, `${example}: ${result.stderr}`);
      assert.match(result.stdout, /OK/);
    }
  });

  it("resolves every non-glibc library from the tarball's lib/", () => {
    const ldd = spawnSync("ldd", [join(tree, "bin/libsql-gate")], { env: CLEAN_ENV, encoding: "utf8" });
    assert.equal(ldd.status, 0, ldd.stderr);
    assert.doesNotMatch(ldd.stdout, /not found/);
    const lib = join(tree, "lib") + "/";
    let bundled = 0;
    for (const line of ldd.stdout.split("\n")) {
      const m = line.trim().match(/^(\S+) => (\S+) \(/);
      if (!m || GLIBC.test(m[1])) continue;
      const path = realpathSync(m[2]);
      assert.ok(path.startsWith(lib), `${m[1]} resolves to ${path}, not to ${lib}`);
      bundled += 1;
    }
    assert.ok(bundled > 0, "at least one library (libssl) comes from lib/");
    assert.deepEqual(
      readdirSync(join(tree, "lib")).filter((f) => GLIBC.test(f)),
      [],
      "no glibc library is bundled",
    );
  });

  it("carries no path of the build machine in the binary's RUNPATH", () => {
    const readelf = spawnSync("readelf", ["-d", join(tree, "bin/libsql-gate")], { encoding: "utf8" });
    if (readelf.error) return; // binutils missing: the ldd check above still holds
    const runpath = readelf.stdout.match(/\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*)\]/);
    assert.ok(runpath, "the binary has a RUNPATH");
    assert.equal(runpath[1], "$ORIGIN/../lib");
  });
});
