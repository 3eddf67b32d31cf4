// Reading deploy/kubernetes as kustomize would: the resources a kustomization
// root renders to. With kubectl on PATH (`kubectl kustomize`, offline) that is
// kustomize itself; without it, the plain resources are collected by following
// `resources:` (enough for roots without patches, which is checked).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, basename } from "node:path";
import YAML from "yaml";

// Every document of a YAML file, as plain objects; throws on any error/warning.
export function loadYamlDocuments(path) {
  return parseYamlDocuments(readFileSync(path, "utf8"), path);
}

export function parseYamlDocuments(text, name) {
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  const out = [];
  for (const doc of docs) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length) throw new Error(`${name}: ${problems.map((p) => p.message).join("; ")}`);
    const value = doc.toJS({ maxAliasCount: 0 });
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

export function yamlFilesUnder(dir) {
  const files = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...yamlFilesUnder(path));
    else if (/\.ya?ml$/.test(entry)) files.push(path);
  }
  return files.sort();
}

export function kustomizationOf(dir) {
  const path = join(dir, "kustomization.yaml");
  return existsSync(path) ? loadYamlDocuments(path)[0] : null;
}

// The files a kustomization names: [{ field, path, isDir }] resolved against its dir.
export function referencedPaths(dir) {
  const k = kustomizationOf(dir);
  const refs = [];
  for (const r of k.resources ?? []) refs.push({ field: "resources", path: join(dir, r) });
  for (const p of k.patches ?? []) if (p.path) refs.push({ field: "patches", path: join(dir, p.path) });
  for (const g of [...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])]) {
    for (const f of g.files ?? []) refs.push({ field: "generator files", path: join(dir, f.split("=").pop()) });
  }
  return refs;
}

let kubectlChecked = null;
export function kubectlAvailable() {
  if (kubectlChecked === null) {
    const probe = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" });
    kubectlChecked = !probe.error && probe.status === 0;
  }
  return kubectlChecked;
}

// The resources of a kustomization root: { resources, by: "kubectl" | "resources" }
// or null when only kustomize can render it (patches) and kubectl is missing.
export function render(dir) {
  if (kubectlAvailable()) {
    const out = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 << 20 });
    if (out.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${out.stderr}`);
    return { resources: parseYamlDocuments(out.stdout, `kubectl kustomize ${dir}`), by: "kubectl" };
  }
  const resources = collect(dir);
  return resources && { resources, by: "resources" };
}

function collect(dir) {
  const k = kustomizationOf(dir);
  if ((k.patches ?? []).length || (k.patchesStrategicMerge ?? []).length) return null;
  const resources = [];
  for (const r of k.resources ?? []) {
    const path = join(dir, r);
    if (statSync(path).isDirectory()) {
      const sub = collect(path);
      if (!sub) return null;
      resources.push(...sub);
    } else {
      resources.push(...loadYamlDocuments(path));
    }
  }
  for (const g of k.configMapGenerator ?? []) {
    const data = {};
    for (const f of g.files ?? []) {
      const [key, file] = f.includes("=") ? f.split("=") : [basename(f), f];
      data[key] = readFileSync(join(dir, file), "utf8");
    }
    resources.push({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: g.name, labels: g.options?.labels }, data });
  }
  return resources;
}
