// The config-reloader sidecar's script, taken from the rendered Deployment and run
// against the real gate: directories laid out as kubelet lays out ConfigMap and
// Secret volumes (files behind a `..data` symlink that is swapped atomically on
// update), the script's mount paths pointed at them. A swap of either volume must
// end in the gate's "config reloaded" log line. The gate runs under a unique
// process name so the script's `pidof` can only find this test's gate.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadYamlDocuments } from "./kustomize.mjs";
import { outputLines, stopProcess } from "./processes.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const gateBinary = resolve(root, process.env.LIBSQL_GATE_BIN ?? "build/proxy/libsql-gate");
const CONFIG_MOUNT = "/etc/libsql-gate";
const TOKEN_MOUNT = "/var/run/secrets/libsql-gate/upstream";

// A volume directory as kubelet's atomic writer makes it: DIR/..<version>/FILE,
// DIR/..data -> ..<version>, DIR/FILE -> ..data/FILE. update() swaps ..data.
function atomicVolume(dir, file) {
  mkdirSync(dir, { recursive: true });
  let version = 0;
  const update = (content) => {
    version += 1;
    const versionDir = `..v${version}`;
    mkdirSync(join(dir, versionDir));
    writeFileSync(join(dir, versionDir, file), content);
    symlinkSync(versionDir, join(dir, "..data_tmp"));
    renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  };
  return { update, link: () => symlinkSync(join("..data", file), join(dir, file)) };
}

const gateConfig = (dir, level) => [
  'listen: "127.0.0.1:0"', 'admin_listen: "127.0.0.1:0"',
  "upstream:", '  url: "http://127.0.0.1:9"', `  auth_token_file: ${join(dir, "token/token")}`,
  "issuers:", "  - name: dev", '    issuer: "http://localhost/dev"', `    jwks_file: ${join(dir, "jwks.json")}`, "    algorithms: [EdDSA]",
  "limits:", "  drain_timeout_ms: 500",
  "logging:", `  level: ${level}`,
].join("\n") + "\n";

describe("config-reloader sidecar", { skip: !existsSync(gateBinary) && `no binary at ${gateBinary}` }, () => {
  let dir;
  let gate;
  let reloader;
  let gateOut;
  let reloaderOut;
  let config;
  let token;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "libsql-gate-reloader-"));
    copyFileSync(join(root, "deploy/examples/keys/local-dev.jwks.json"), join(dir, "jwks.json"));
    config = atomicVolume(join(dir, "config"), "gate.yaml");
    config.update(gateConfig(dir, "info"));
    config.link();
    token = atomicVolume(join(dir, "token"), "token");
    token.update("first-token\n");
    token.link();

    const name = `lg-rl-${process.pid % 100000}`;
    mkdirSync(join(dir, "bin"));
    symlinkSync(gateBinary, join(dir, "bin", name));
    gate = spawn(join(dir, "bin", name), ["serve", "--config", join(dir, "config/gate.yaml")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    gateOut = outputLines(gate.stdout);
    await gateOut.waitFor(/"msg":"listening"/, 5000);

    const deployment = loadYamlDocuments(join(root, "deploy/kubernetes/base/deployment.yaml"))[0];
    const container = deployment.spec.template.spec.containers.find((c) => c.name === "config-reloader");
    assert.deepEqual(container.command.slice(0, 2), ["sh", "-c"]);
    const script = container.command[2]
      .replaceAll(CONFIG_MOUNT, join(dir, "config"))
      .replaceAll(TOKEN_MOUNT, join(dir, "token"))
      .replaceAll("pidof libsql-gate", `pidof ${name}`)
      .replace(/sleep 5\b/, "sleep 1");
    assert.ok(script.includes(`pidof ${name}`), "the script finds the gate with pidof libsql-gate");
    reloader = spawn("sh", ["-c", script], { stdio: ["ignore", "pipe", "pipe"] });
    reloaderOut = outputLines(reloader.stdout);
    await reloaderOut.waitFor(/config-reloader: watching/, 5000);
  });

  after(async () => {
    if (reloader && reloader.exitCode === null) reloader.kill("SIGKILL");
    await stopProcess(gate);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a ConfigMap update makes the gate reload its config", async () => {
    const from = gateOut.count();
    config.update(gateConfig(dir, "debug"));
    await reloaderOut.waitFor(/sent SIGHUP/);
    await gateOut.waitFor(/config reloaded/, 15000, from);
    assert.equal(gate.exitCode, null, "the gate is still running");
  });

  it("a Secret (token) update makes the gate reload too", async () => {
    const from = gateOut.count();
    token.update("second-token\n");
    await gateOut.waitFor(/config reloaded/, 15000, from);
    assert.equal(gate.exitCode, null, "the gate is still running");
  });
});
