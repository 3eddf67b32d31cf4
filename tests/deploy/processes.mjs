// Child processes for the deploy tests: reading their output line by line, and
// stopping them the way Kubernetes does (SIGTERM, then SIGKILL after a grace).
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
