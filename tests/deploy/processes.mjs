// Child processes for the deploy tests: reading their output line by line,
// stopping them the way Kubernetes does (SIGTERM, then SIGKILL after a grace),
// and a gate to point probes and scrapes at.
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

// Collects a stream's lines; waitFor(pattern) resolves with the first matching
// line at or after index `from` (default: any line seen so far).
export function outputLines(stream) {
  const seen = [];
  const waiters = [];
  createInterface({ input: stream }).on("line", (line) => {
    seen.push(line);
    for (const w of [...waiters]) if (w.test(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
  });
  const waitFor = (pattern, timeoutMs = 15000, from = 0) => {
    const found = seen.slice(from).find((l) => pattern.test(l));
    if (found) return Promise.resolve(found);
    return new Promise((res, rej) => {
      const w = { test: (l) => pattern.test(l), resolve: (l) => { clearTimeout(timer); res(l); } };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        rej(new Error(`no line matching ${pattern}; last lines: ${seen.slice(-5).join(" | ")}`));
      }, timeoutMs);
      waiters.push(w);
    });
  };
  return { waitFor, count: () => seen.length };
}

export async function stopProcess(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((res) => child.once("exit", res));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((res) => setTimeout(res, graceMs))]);
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
}

// `libsql-gate serve` with the smallest config that starts: loopback, ports
// picked by the OS, a static JWKS file, an upstream nobody listens on. Resolves
// with { child, admin: "host:port", stop() }, or with { error } when serve did
// not report its addresses (the callers skip by name then).
export async function startMinimalGate(binary, jwksFile) {
  const dir = mkdtempSync(join(tmpdir(), "libsql-gate-deploy-"));
  copyFileSync(jwksFile, join(dir, "jwks.json"));
  writeFileSync(join(dir, "gate.yaml"), [
    'listen: "127.0.0.1:0"', 'admin_listen: "127.0.0.1:0"',
    "upstream:", '  url: "http://127.0.0.1:9"',
    "issuers:", "  - name: dev", '    issuer: "http://localhost/dev"', "    jwks_file: jwks.json", "    algorithms: [EdDSA]",
    "limits:", "  drain_timeout_ms: 500",
  ].join("\n") + "\n");
  const child = spawn(binary, ["serve", "--config", join(dir, "gate.yaml")], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const exited = new Promise((res) => child.once("exit", () => res(null)));
  const line = await Promise.race([outputLines(child.stdout).waitFor(/"msg":"listening"/, 5000).catch(() => null), exited]);
  const admin = line && JSON.parse(line).admin;
  if (!admin) {
    await stop();
    return { error: `serve did not report its admin address: ${stderr.trim().slice(0, 200)}` };
  }
  return { child, admin, stop };
}
