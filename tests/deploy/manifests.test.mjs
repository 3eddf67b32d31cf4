// deploy/kubernetes and deploy/observability, checked without a cluster: every
// file parses; every resource has what its kind requires; kustomizations name
// files that exist; the ConfigMap's gate config passes `libsql-gate check`; probes,
// Service and mounts agree with that config; the dashboard and the alert rules use
// only the metric names and labels the gate exports (SPEC §7). With kubectl on
// PATH the kustomizations are rendered by kustomize itself (`kubectl kustomize`,
// offline); without it the Turso overlay is checked from its patch files only.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname, basename, posix } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import {
  loadYamlDocuments, yamlFilesUnder, kustomizationOf, referencedPaths, render, kubectlAvailable,
} from "./kustomize.mjs";
import {
  SPEC_METRICS, EXTRA_METRICS, PREFIX, TARGET_LABELS, parseSpecMetrics, specFile, queryableNames, metricNamesIn, labelNamesIn,
} from "./metric_names.mjs";
import { startMinimalGate } from "./processes.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const gateBinary = resolve(root, process.env.LIBSQL_GATE_BIN ?? "build/proxy/libsql-gate");
const K8S = join(root, "deploy/kubernetes");
const OBS = join(root, "deploy/observability");
const ROOTS = ["deploy/kubernetes", "deploy/kubernetes/base", "deploy/kubernetes/monitoring",
  "deploy/kubernetes/overlays/turso-cloud", "deploy/observability"];
const GATE = "libsql-gate";
const CONFIG_MAP = "libsql-gate-config";
const SECRET_EXAMPLE = join(K8S, "base/secret.example.yaml");

const API_VERSIONS = {
  Deployment: "apps/v1", Service: "v1", ConfigMap: "v1", Secret: "v1", PersistentVolumeClaim: "v1",
  NetworkPolicy: "networking.k8s.io/v1", PodMonitor: "monitoring.coreos.com/v1",
  PrometheusRule: "monitoring.coreos.com/v1",
};
const DNS_1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const portOf = (hostPort) => Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
const find = (resources, kind, name) => resources.find((r) => r.kind === kind && (!name || r.metadata.name === name));
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

// The default of a "${NAME:-default}" value (the in-pod path), or the value itself.
const envDefault = (value) => value?.match(/^\$\{[A-Za-z_][A-Za-z0-9_]*:-(.*)\}$/)?.[1] ?? value;

// A container's port, by name or number; null when it declares no such port.
function containerPort(container, port) {
  return (container.ports ?? []).find((p) => p.name === port || p.containerPort === port) ?? null;
}

function gateConfigOf(configMap) {
  const text = configMap.data?.["gate.yaml"];
  assert.equal(typeof text, "string", `ConfigMap ${configMap.metadata.name} has data["gate.yaml"]`);
  return { text, config: YAML.parse(text, { uniqueKeys: true }) };
}

// Runs `libsql-gate check` on a config text in a scratch directory; the mounted
// Secret path is replaced by a stand-in file through the config's own
// ${LIBSQL_GATE_UPSTREAM_TOKEN_FILE:-...} override, and the downward-API pod IP
// by a documentation address.
function checkConfig(text) {
  const dir = mkdtempSync(join(tmpdir(), "libsql-gate-manifest-"));
  try {
    writeFileSync(join(dir, "gate.yaml"), text);
    writeFileSync(join(dir, "token"), "stand-in-upstream-token\n");
    return spawnSync(gateBinary, ["check", "--config", join(dir, "gate.yaml")], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: process.env.PATH, LIBSQL_GATE_UPSTREAM_TOKEN_FILE: join(dir, "token"), LIBSQL_GATE_POD_IP: "192.0.2.10" },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const secretExample = () => find(loadYamlDocuments(SECRET_EXAMPLE), "Secret");

describe("deploy/: files and kustomizations", () => {
  it("every YAML file parses, without duplicate keys", () => {
    const files = [...yamlFilesUnder(K8S), ...yamlFilesUnder(OBS)];
    assert.ok(files.length >= 10, `found ${files.length} YAML files`);
    for (const file of files) assert.doesNotThrow(() => loadYamlDocuments(file), file);
  });

  it("the Grafana dashboard is JSON with panels", () => {
    const dashboard = JSON.parse(readFileSync(join(OBS, "grafana-dashboard.json"), "utf8"));
    assert.equal(typeof dashboard.title, "string");
    assert.ok(dashboard.panels.filter((p) => p.type !== "row").length >= 10);
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  });

  it("every kustomization names files and directories that exist", () => {
    for (const dir of ROOTS) {
      const k = kustomizationOf(join(root, dir));
      assert.ok(k, `${dir}/kustomization.yaml exists`);
      assert.equal(k.apiVersion, "kustomize.config.k8s.io/v1beta1", dir);
      assert.equal(k.kind, "Kustomization", dir);
      for (const ref of referencedPaths(join(root, dir))) {
        assert.ok(existsSync(ref.path), `${dir}: ${ref.field} entry ${ref.path} exists`);
        if (statSync(ref.path).isDirectory()) {
          assert.ok(existsSync(join(ref.path, "kustomization.yaml")), `${ref.path} is a kustomization`);
        }
      }
    }
  });

  it("every resource file is in a kustomization (the Secret example deliberately not)", () => {
    const listed = new Set();
    for (const dir of ROOTS) for (const ref of referencedPaths(join(root, dir))) listed.add(ref.path);
    for (const file of [...yamlFilesUnder(K8S), ...yamlFilesUnder(OBS)]) {
      if (basename(file) === "kustomization.yaml" || file === SECRET_EXAMPLE) continue;
      assert.ok(listed.has(file), `${file} is named by a kustomization`);
    }
    const k = kustomizationOf(join(K8S, "base"));
    assert.ok(!k.resources.includes("secret.example.yaml"), "credentials are never applied from the repository");
  });

  it("kubectl kustomize renders every root", { skip: !kubectlAvailable() && "kubectl not on PATH" }, () => {
    for (const dir of ROOTS) assert.ok(render(join(root, dir)).resources.length > 0, dir);
  });
});

// The checks every rendered root gets, whatever renders it.
function checkResources(resources, name) {
  const seen = new Set();
  for (const r of resources) {
    const id = `${name}: ${r.kind}/${r.metadata?.name}`;
    assert.ok(API_VERSIONS[r.kind], `${id}: a kind this test knows`);
    assert.equal(r.apiVersion, API_VERSIONS[r.kind], `${id}: apiVersion`);
    assert.match(r.metadata?.name ?? "", DNS_1123, `${id}: metadata.name`);
    assert.ok(!seen.has(`${r.kind}/${r.metadata.name}`), `${id}: unique`);
    seen.add(`${r.kind}/${r.metadata.name}`);
  }
  const deployments = resources.filter((r) => r.kind === "Deployment");
  const podLabels = deployments.map((d) => d.spec.template.metadata.labels);
  const secret = secretExample();
  for (const d of deployments) checkDeployment(d, resources, secret, `${name}: Deployment/${d.metadata.name}`);
  const containers = deployments.flatMap((d) => d.spec.template.spec.containers);
  const anyPort = (port) => containers.some((c) => containerPort(c, port));

  for (const s of resources.filter((r) => r.kind === "Service")) {
    const id = `${name}: Service/${s.metadata.name}`;
    assert.ok(podLabels.some((l) => matches(s.spec.selector, l)) && Object.keys(s.spec.selector).length, `${id}: selector matches a pod template`);
    assert.ok(s.spec.ports?.length, `${id}: ports`);
    for (const p of s.spec.ports) {
      assert.ok(Number.isInteger(p.port), `${id}: port`);
      assert.ok(anyPort(p.targetPort ?? p.port), `${id}: targetPort ${p.targetPort} is a declared container port`);
    }
  }
  for (const np of resources.filter((r) => r.kind === "NetworkPolicy")) {
    const id = `${name}: NetworkPolicy/${np.metadata.name}`;
    assert.ok(podLabels.some((l) => matches(np.spec.podSelector.matchLabels, l)), `${id}: podSelector matches a pod`);
    assert.ok(np.spec.policyTypes.includes("Ingress"), `${id}: restricts ingress`);
    for (const rule of np.spec.ingress) {
      assert.ok(rule.ports?.length, `${id}: every rule names its ports (nothing is open wholesale)`);
      for (const p of rule.ports) assert.ok(anyPort(p.port), `${id}: port ${p.port} is declared by a container`);
    }
  }
  for (const pm of resources.filter((r) => r.kind === "PodMonitor")) {
    const id = `${name}: PodMonitor/${pm.metadata.name}`;
    assert.ok(pm.spec.podMetricsEndpoints.length, id);
    for (const e of pm.spec.podMetricsEndpoints) assert.equal(e.path, "/metrics", `${id}: path`);
  }
  for (const pr of resources.filter((r) => r.kind === "PrometheusRule")) {
    const id = `${name}: PrometheusRule/${pr.metadata.name}`;
    assert.ok(pr.spec.groups.length, id);
    for (const g of pr.spec.groups) {
      assert.ok(g.name && g.rules.length, `${id}: group ${g.name}`);
      for (const rule of g.rules) {
        assert.match(rule.alert ?? "", /^[A-Z][A-Za-z0-9]+$/, `${id}: alert name`);
        assert.ok(rule.expr?.trim(), `${id}: ${rule.alert} expr`);
        assert.ok(["warning", "critical"].includes(rule.labels?.severity), `${id}: ${rule.alert} severity`);
        assert.ok(rule.annotations?.summary && rule.annotations?.description, `${id}: ${rule.alert} annotations`);
      }
    }
  }
  for (const cm of resources.filter((r) => r.kind === "ConfigMap")) {
    for (const [key, value] of Object.entries(cm.data ?? {})) {
      assert.equal(typeof value, "string", `${name}: ConfigMap/${cm.metadata.name} data.${key}`);
    }
  }
}

function checkDeployment(d, resources, secret, id) {
  const spec = d.spec.template.spec;
  assert.ok(Object.keys(d.spec.selector.matchLabels).length, `${id}: selector`);
  assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${id}: selector matches template labels`);
  const pod = spec.securityContext ?? {};
  assert.equal(pod.runAsNonRoot, true, `${id}: runAsNonRoot`);
  assert.equal(pod.runAsUser, 65532, `${id}: runAsUser`);
  assert.equal(pod.seccompProfile?.type, "RuntimeDefault", `${id}: seccompProfile`);
  assert.equal(spec.automountServiceAccountToken, false, `${id}: no API token in the pod`);
  const volumes = new Map(spec.volumes.map((v) => [v.name, v]));
  assert.equal(volumes.size, spec.volumes.length, `${id}: volume names unique`);
  const names = new Set();
  for (const c of spec.containers) {
    const cid = `${id}: container ${c.name}`;
    assert.ok(c.name && !names.has(c.name), `${cid}: unique name`);
    names.add(c.name);
    assert.match(c.image ?? "", /^[a-z0-9./_-]+(:[\w.-]+)?(@sha256:[a-f0-9]{64})?$/, `${cid}: image`);
    assert.ok(c.resources?.requests?.memory && c.resources?.requests?.cpu, `${cid}: requests`);
    assert.ok(c.resources?.limits?.memory, `${cid}: memory limit`);
    const sc = c.securityContext ?? {};
    assert.equal(sc.allowPrivilegeEscalation, false, `${cid}: allowPrivilegeEscalation`);
    assert.equal(sc.readOnlyRootFilesystem, true, `${cid}: readOnlyRootFilesystem`);
    assert.ok(sc.capabilities?.drop?.includes("ALL"), `${cid}: capabilities drop ALL`);
    for (const p of c.ports ?? []) {
      assert.ok(Number.isInteger(p.containerPort) && p.containerPort > 0 && p.containerPort < 65536, `${cid}: port`);
      if (p.name) assert.match(p.name, /^[a-z0-9-]{1,15}$/, `${cid}: port name ${p.name}`);
    }
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
      const port = c[probe]?.httpGet?.port;
      if (port !== undefined) assert.ok(containerPort(c, port), `${cid}: ${probe} port ${port} is declared`);
    }
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      assert.ok(v, `${cid}: volumeMount ${m.name} has a volume`);
      if (!m.mountPath.startsWith("/tmp") && !v.persistentVolumeClaim) {
        assert.equal(m.readOnly, true, `${cid}: ${m.mountPath} is read-only`);
      }
    }
  }
  for (const v of spec.volumes) {
    if (v.configMap) assert.ok(find(resources, "ConfigMap", v.configMap.name), `${id}: ConfigMap ${v.configMap.name} exists`);
    if (v.persistentVolumeClaim) {
      assert.ok(find(resources, "PersistentVolumeClaim", v.persistentVolumeClaim.claimName), `${id}: PVC ${v.persistentVolumeClaim.claimName} exists`);
    }
    if (v.secret) {
      assert.equal(v.secret.secretName, secret.metadata.name, `${id}: Secret ${v.secret.secretName} is the one secret.example.yaml shows`);
      for (const item of v.secret.items ?? []) {
        assert.ok(item.key in secret.stringData, `${id}: Secret key ${item.key} is in secret.example.yaml`);
      }
    }
  }
  const used = new Set(spec.containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  for (const v of volumes.keys()) assert.ok(used.has(v), `${id}: volume ${v} is mounted somewhere`);
}

// Where a file path of the gate config lands: the volume mounted over it.
function mountFor(container, volumes, path) {
  const mount = (container.volumeMounts ?? []).find((m) => posix.dirname(path) === m.mountPath);
  return mount && { mount, volume: volumes.get(mount.name), file: posix.basename(path) };
}

// The pod's wiring against the gate config it runs with.
function checkPodAgainstConfig(deployment, configMap, id) {
  const { config } = gateConfigOf(configMap);
  const spec = deployment.spec.template.spec;
  const volumes = new Map(spec.volumes.map((v) => [v.name, v]));
  const gate = spec.containers.find((c) => c.name === GATE);
  assert.ok(gate, `${id}: a container named ${GATE}`);

  // The config file the gate is told to read is the ConfigMap's key, mounted.
  const configPath = gate.args[gate.args.indexOf("--config") + 1];
  const configMount = mountFor(gate, volumes, configPath);
  assert.ok(configMount, `${id}: --config ${configPath} is inside a mount`);
  assert.equal(configMount.volume.configMap?.name, configMap.metadata.name, `${id}: mounted from the ConfigMap`);
  assert.ok(configMount.file in configMap.data, `${id}: the ConfigMap has key ${configMount.file}`);
  assert.ok(!configMount.mount.subPath, `${id}: no subPath (a subPath mount never sees ConfigMap updates)`);

  // Ports: listen -> "hrana" (the Service's target), admin_listen -> probes.
  const listenPort = portOf(config.listen);
  const adminPort = portOf(config.admin_listen);
  assert.equal(containerPort(gate, "hrana")?.containerPort, listenPort, `${id}: port hrana = listen`);
  assert.equal(containerPort(gate, "admin")?.containerPort, adminPort, `${id}: port admin = admin_listen`);
  assert.equal(gate.livenessProbe.httpGet.path, "/healthz", `${id}: liveness /healthz`);
  assert.equal(gate.readinessProbe.httpGet.path, "/readyz", `${id}: readiness /readyz`);
  for (const probe of [gate.livenessProbe, gate.readinessProbe]) {
    assert.equal(containerPort(gate, probe.httpGet.port).containerPort, adminPort, `${id}: probes on admin_listen's port`);
  }

  // The upstream token file is the mounted Secret's item.
  const tokenPath = envDefault(config.upstream.auth_token_file);
  const tokenMount = mountFor(gate, volumes, tokenPath);
  assert.ok(tokenMount?.volume.secret, `${id}: auth_token_file ${tokenPath} is a mounted Secret`);
  assert.ok((tokenMount.volume.secret.items ?? [{ path: tokenMount.file }]).some((i) => i.path === tokenMount.file), `${id}: the Secret volume has ${tokenMount.file}`);

  // Termination: preStop sleep + drain fit in the grace period.
  const drainS = (config.limits?.drain_timeout_ms ?? 20000) / 1000;
  const preStop = gate.lifecycle?.preStop;
  const execSleep = preStop?.exec?.command;
  const preStopS = preStop?.sleep?.seconds
    ?? (execSleep?.length === 2 && /^(\/bin\/)?sleep$/.test(execSleep[0]) ? Number(execSleep[1]) : 0);
  assert.ok(preStopS > 0, `${id}: a preStop pause lets endpoints deregister before SIGTERM`);
  assert.ok(spec.terminationGracePeriodSeconds > preStopS + drainS,
    `${id}: terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} > preStop ${preStopS} + drain ${drainS}`);

  // Reload: the reloader shares the PID namespace and user, and watches the config mount.
  const reloader = spec.containers.find((c) => c.name === "config-reloader");
  assert.ok(reloader, `${id}: a config-reloader container`);
  assert.equal(spec.shareProcessNamespace, true, `${id}: shareProcessNamespace (the reloader signals the gate)`);
  const uid = (c) => c.securityContext?.runAsUser ?? spec.securityContext.runAsUser;
  assert.equal(uid(reloader), uid(gate), `${id}: reloader runs as the gate's user (kill needs it)`);
  const script = reloader.command.join(" ");
  assert.match(script, /kill -HUP/, `${id}: the reloader sends SIGHUP`);
  assert.ok(script.includes(`${configMount.mount.mountPath}/..data`), `${id}: the reloader watches the config mount`);
  assert.ok((reloader.volumeMounts ?? []).some((m) => m.name === configMount.mount.name && m.mountPath === configMount.mount.mountPath),
    `${id}: the reloader mounts the config where it watches it`);
  return { config, gate, spec, volumes };
}

describe("deploy/kubernetes: sqld + gate (base)", () => {
  let resources;
  before(() => { resources = render(K8S).resources; });

  it("every resource has the fields its kind requires", () => checkResources(resources, "deploy/kubernetes"));

  it("has the Deployment, ConfigMap, Service, NetworkPolicy and PVC", () => {
    for (const kind of ["Deployment", "ConfigMap", "Service", "NetworkPolicy", "PersistentVolumeClaim"]) {
      assert.ok(find(resources, kind), kind);
    }
  });

  it("the ConfigMap's config passes `libsql-gate check`", { skip: !existsSync(gateBinary) && `no binary at ${gateBinary}` }, () => {
    const result = checkConfig(gateConfigOf(find(resources, "ConfigMap", CONFIG_MAP)).text);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /clerk/);
    assert.match(result.stdout, /auth0/);
  });

  it("the config has a Clerk and an Auth0 issuer", () => {
    const { config } = gateConfigOf(find(resources, "ConfigMap", CONFIG_MAP));
    const issuers = config.issuers.map((i) => i.issuer);
    assert.ok(issuers.some((i) => /clerk/.test(i)), "Clerk");
    assert.ok(issuers.some((i) => /auth0\.com\/$/.test(i)), "Auth0 (iss ends with a slash)");
  });

  it("probes, ports, mounts, termination and reload agree with the config", () => {
    checkPodAgainstConfig(find(resources, "Deployment"), find(resources, "ConfigMap", CONFIG_MAP), "base");
  });

  it("the Service exposes only the gate's listen port", () => {
    const { config } = gateConfigOf(find(resources, "ConfigMap", CONFIG_MAP));
    const service = find(resources, "Service");
    const gate = find(resources, "Deployment").spec.template.spec.containers.find((c) => c.name === GATE);
    assert.equal(service.spec.ports.length, 1);
    assert.equal(containerPort(gate, service.spec.ports[0].targetPort).containerPort, portOf(config.listen));
    assert.ok(!["NodePort", "LoadBalancer"].includes(service.spec.type), "ClusterIP: expose it through your ingress");
  });

  it("sqld listens on loopback where upstream.url points, with its JWT key from the Secret", () => {
    const { config } = gateConfigOf(find(resources, "ConfigMap", CONFIG_MAP));
    const spec = find(resources, "Deployment").spec.template.spec;
    const sqld = spec.containers.find((c) => c.name === "sqld");
    assert.ok(sqld, "a sqld container");
    assert.match(sqld.image, /^ghcr\.io\/tursodatabase\/libsql-server[:@]/);
    const flag = (name) => sqld.args.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
    const upstream = new URL(config.upstream.url);
    assert.equal(flag("http-listen-addr"), `${upstream.hostname}:${upstream.port}`, "upstream.url is sqld's address");
    assert.equal(upstream.hostname, "127.0.0.1", "sqld binds loopback only");
    assert.equal((sqld.ports ?? []).length, 0, "sqld declares no pod port");
    const volumes = new Map(spec.volumes.map((v) => [v.name, v]));
    const key = mountFor(sqld, volumes, flag("auth-jwt-key-file"));
    assert.ok(key?.volume.secret, "--auth-jwt-key-file is a mounted Secret item");
    assert.ok(key.volume.secret.items.some((i) => i.path === key.file));
    const data = mountFor(sqld, volumes, flag("db-path"));
    assert.ok(data?.volume.persistentVolumeClaim, "--db-path is on the PVC");
  });

  it("the NetworkPolicy admits the gate port, and the admin port only from monitoring", () => {
    const np = find(resources, "NetworkPolicy");
    const open = np.spec.ingress.filter((r) => !r.from);
    assert.deepEqual(open.flatMap((r) => r.ports.map((p) => p.port)), ["hrana"]);
    const admin = np.spec.ingress.find((r) => r.ports.some((p) => p.port === "admin"));
    assert.ok(admin?.from?.length, "admin port has a from clause");
  });

  it("the Secret example holds the gate's token and sqld's public key", () => {
    const secret = secretExample();
    assert.deepEqual(Object.keys(secret.stringData).sort(), ["jwt-public-key.pem", "token"]);
  });
});

describe("deploy/kubernetes/overlays/turso-cloud", () => {
  const overlay = join(K8S, "overlays/turso-cloud");
  const patchedConfigMap = () => find(loadYamlDocuments(join(overlay, "configmap.yaml")), "ConfigMap", CONFIG_MAP);

  it("its config (upstream Turso Cloud over https) passes `libsql-gate check`", { skip: !existsSync(gateBinary) && `no binary at ${gateBinary}` }, () => {
    const { text, config } = gateConfigOf(patchedConfigMap());
    assert.match(config.upstream.url, /^https:\/\/[a-z0-9-]+\.turso\.io$/);
    const result = checkConfig(text);
    assert.equal(result.status, 0, result.stderr);
  });

  it("renders without sqld, with the gate wired to the Turso config", { skip: !kubectlAvailable() && "kubectl not on PATH" }, () => {
    const { resources } = render(overlay);
    checkResources(resources, "turso-cloud");
    const deployment = find(resources, "Deployment");
    const containers = deployment.spec.template.spec.containers.map((c) => c.name);
    assert.ok(!containers.includes("sqld"), `containers: ${containers}`);
    assert.ok(!find(resources, "PersistentVolumeClaim"), "no PVC");
    const configMap = find(resources, "ConfigMap", CONFIG_MAP);
    assert.deepEqual(gateConfigOf(configMap).config, gateConfigOf(patchedConfigMap()).config, "the overlay's config replaced the base's");
    const { config, gate } = checkPodAgainstConfig(deployment, configMap, "turso-cloud");
    const podIpVar = config.public_url.match(/\$\{([A-Z_]+)\}/)?.[1];
    assert.ok(podIpVar, "public_url names the pod IP variable");
    assert.equal(gate.env.find((e) => e.name === podIpVar)?.valueFrom?.fieldRef?.fieldPath, "status.podIP");
    assert.equal(find(resources, "Service").spec.sessionAffinity, "ClientIP");
  });
});

describe("deploy/observability: only metric names the gate exports", () => {
  const names = queryableNames();
  const EXTERNAL = new Set(["up", "kube_pod_container_status_ready"]);

  function checkQuery(expr, where) {
    const metrics = metricNamesIn(expr);
    assert.ok(metrics.length > 0, `${where}: reads some metric: ${expr}`);
    const used = [];
    for (const m of metrics) {
      if (m.startsWith(PREFIX)) {
        assert.ok(names.has(m), `${where}: ${m} is a SPEC §7 metric (histograms only as _bucket/_sum/_count)`);
        used.push(names.get(m));
      } else {
        assert.ok(EXTERNAL.has(m), `${where}: ${m} is neither a gate metric nor a known Kubernetes/Prometheus one`);
      }
    }
    if (used.length) {
      const allowed = new Set([...TARGET_LABELS, ...used.flatMap((m) => SPEC_METRICS[m].labels), ...(metrics.includes("kube_pod_container_status_ready") ? ["container"] : [])]);
      for (const l of labelNamesIn(expr)) assert.ok(allowed.has(l), `${where}: label ${l} is one the gate's metrics carry`);
    }
    return used;
  }

  it("the embedded SPEC §7 list matches SPEC.md", { skip: !specFile(root) && "../shared/SPEC.md not beside the repository" }, () => {
    assert.deepEqual(parseSpecMetrics(specFile(root)), SPEC_METRICS);
  });

  it("the dashboard queries only SPEC §7 metrics and labels, and shows every one of them", () => {
    const dashboard = JSON.parse(readFileSync(join(OBS, "grafana-dashboard.json"), "utf8"));
    const shown = new Set();
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      assert.ok(panel.targets?.length, `panel "${panel.title}" has queries`);
      for (const t of panel.targets) for (const m of checkQuery(t.expr, `panel "${panel.title}"`)) shown.add(m);
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === "query")) {
      checkQuery(v.definition, `variable ${v.name}`);
    }
    assert.deepEqual([...shown].sort(), Object.keys(SPEC_METRICS).sort(), "a panel for every SPEC §7 metric");
  });

  it("the alert rules query only SPEC §7 metrics (plus up / kube-state-metrics)", () => {
    const rule = find(loadYamlDocuments(join(OBS, "prometheus-rules.yaml")), "PrometheusRule");
    const alerts = rule.spec.groups.flatMap((g) => g.rules);
    for (const r of alerts) checkQuery(r.expr, `alert ${r.alert}`);
    const byName = (pattern) => alerts.filter((r) => pattern.test(r.alert)).length;
    for (const [what, pattern] of [["JWKS fetch failing", /JwksFetchFailing/], ["keys stale", /KeysStale/],
      ["denial spike", /DenialSpike/], ["upstream errors", /UpstreamErrors/], ["latency", /Latency/], ["not ready", /NotReady/]]) {
      assert.ok(byName(pattern) > 0, `an alert for ${what}`);
    }
  });

  it("the monitoring kustomization scrapes the admin port the gate declares", () => {
    const { resources } = render(join(K8S, "monitoring"));
    checkResources(resources, "monitoring");
    const pm = find(resources, "PodMonitor");
    const base = render(K8S).resources;
    const pod = find(base, "Deployment").spec.template;
    assert.ok(matches(pm.spec.selector.matchLabels, pod.metadata.labels), "PodMonitor selects the gate pods");
    const gate = pod.spec.containers.find((c) => c.name === GATE);
    const { config } = gateConfigOf(find(base, "ConfigMap", CONFIG_MAP));
    for (const e of pm.spec.podMetricsEndpoints) {
      assert.equal(containerPort(gate, e.port)?.containerPort, portOf(config.admin_listen), "scrapes admin_listen");
    }
    const dashboard = find(resources, "ConfigMap", "libsql-gate-dashboard");
    assert.equal(dashboard?.metadata.labels?.grafana_dashboard, "1");
    assert.doesNotThrow(() => JSON.parse(dashboard.data["grafana-dashboard.json"]));
  });
});

describe("the running gate's /metrics", () => {
  let gate;
  let exposition;
  let healthz;
  let skipReason = null;

  before(async () => {
    if (!existsSync(gateBinary)) { skipReason = `no binary at ${gateBinary}`; return; }
    gate = await startMinimalGate(gateBinary, join(root, "deploy/examples/keys/local-dev.jwks.json"));
    if (gate.error) { skipReason = gate.error; return; }
    try {
      const response = await fetch(`http://${gate.admin}/metrics`);
      if (response.status !== 200) throw new Error(`GET /metrics: ${response.status}`);
      exposition = await response.text();
      healthz = (await fetch(`http://${gate.admin}/healthz`)).status;
    } catch (err) {
      skipReason = `admin server not answering: ${err.message}`;
    }
  });

  after(async () => { if (gate?.stop) await gate.stop(); });

  it("exposes only SPEC §7 metric names (and the documented additions), with the SPEC's types", (t) => {
    if (skipReason) return t.skip(skipReason);
    const types = [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]);
    assert.ok(types.length > 0, "some metric families");
    for (const [name, type] of types) {
      if (!name.startsWith(PREFIX)) continue;
      const spec = SPEC_METRICS[name.slice(PREFIX.length)] ?? EXTRA_METRICS[name.slice(PREFIX.length)];
      assert.ok(spec, `${name} is a SPEC §7 metric or a documented addition`);
      const expected = spec.histogram ? "histogram" : name.endsWith("_total") ? "counter" : "gauge";
      assert.equal(type, expected, `${name} is a ${expected}`);
    }
  });

  it("answers /healthz with 200 (the probe and HEALTHCHECK target)", (t) => {
    if (skipReason) return t.skip(skipReason);
    assert.equal(healthz, 200);
  });
});
