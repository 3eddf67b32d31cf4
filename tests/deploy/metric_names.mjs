// The metric names and labels of SPEC §7, and what a PromQL expression uses of
// them. The list is written out here (so the test runs without shared/) and, when
// ../shared/SPEC.md is beside the repository, compared with the SPEC's own text.
import { existsSync, readFileSync } from "node:fs";

// name (without the libsql_gate_ prefix) -> { labels, histogram }
export const SPEC_METRICS = {
  requests_total: { labels: ["protocol", "outcome"] },
  request_duration_seconds: { labels: ["protocol"], histogram: true },
  auth_failures_total: { labels: ["issuer", "reason"] },
  denials_total: { labels: ["action"] },
  jwks_fetches_total: { labels: ["issuer", "result"] },
  jwks_keys: { labels: ["issuer"] },
  jwks_last_success_timestamp_seconds: { labels: ["issuer"] },
  token_cache_lookups_total: { labels: ["result"] },
  sql_cache_lookups_total: { labels: ["result"] },
  upstream_request_duration_seconds: { labels: [], histogram: true },
  upstream_errors_total: { labels: ["kind"] },
  open_connections: { labels: ["protocol"] },
  schema_fetches_total: { labels: ["result"] },
  schema_version: { labels: [] },
  quota_rejections_total: { labels: ["kind"] },
  tls_certificate_expiry_timestamp_seconds: { labels: [] },
};
// Metrics the gate adds to SPEC §7 (SPEC: "extend it freely"), documented in
// docs/config.md "Metrics beyond SPEC §7".
export const EXTRA_METRICS = {
  upstream_websocket_closes_total: { labels: ["reason"] },
};
export const PREFIX = "libsql_gate_";

// Labels Prometheus or the histogram adds to every gate series.
export const TARGET_LABELS = ["namespace", "pod", "job", "instance", "container", "le"];

// The "Metric names" paragraph of SPEC §7, parsed: name -> { labels, histogram }.
export function parseSpecMetrics(specText) {
  const section = specText.split(/^## 7\./m)[1]?.split(/^## 8\./m)[0] ?? "";
  const paragraph = section.slice(section.indexOf("Metric names"));
  const metrics = {};
  for (const m of paragraph.matchAll(/`([a-z_]+)(?:\{([a-z_,]*)\})?`( \(histogram\))?/g)) {
    if (m[1] === "libsql_gate_") continue;
    metrics[m[1]] = { labels: m[2] ? m[2].split(",") : [], ...(m[3] ? { histogram: true } : {}) };
  }
  return metrics;
}

export function specFile(root) {
  const path = `${root}/../shared/SPEC.md`;
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

// Every full series name a query may use for a SPEC metric: counters and gauges
// by name, histograms only through _bucket / _sum / _count.
export function queryableNames() {
  const names = new Map();
  for (const [name, spec] of Object.entries(SPEC_METRICS)) {
    const full = PREFIX + name;
    if (spec.histogram) for (const suffix of ["_bucket", "_sum", "_count"]) names.set(full + suffix, name);
    else names.set(full, name);
  }
  return names;
}

const PROMQL_WORDS = new Set([
  "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "group",
  "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset",
  "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "time", "vector", "scalar",
  "abs", "absent", "clamp_min", "clamp_max", "round", "ceil", "floor", "label_replace", "max_over_time",
  "min_over_time", "avg_over_time", "timestamp", "changes", "resets",
]);

// The metric names a PromQL expression (or a Grafana label_values() query) reads.
export function metricNamesIn(expr) {
  const labelValues = expr.match(/^\s*label_values\(\s*([^,)]+)/);
  if (labelValues) expr = labelValues[1];
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  return [...stripped.matchAll(/(?<![\w$.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((word) => !PROMQL_WORDS.has(word));
}

// The label names an expression groups by or matches on.
export function labelNamesIn(expr) {
  const labels = new Set();
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const l of m[1].split(",")) if (l.trim()) labels.add(l.trim());
  }
  for (const m of expr.matchAll(/\{([^}]*)\}/g)) {
    for (const l of m[1].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.add(l[1]);
  }
  const lv = expr.match(/^\s*label_values\([^,]+,\s*([a-zA-Z_]+)\s*\)/);
  if (lv) labels.add(lv[1]);
  return [...labels];
}
