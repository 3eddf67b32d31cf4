#!/usr/bin/env python3
"""Renders bench/out/ (results.jsonl, Google Benchmark JSON, verify_vs_openssl.txt,
profile-top.txt) as the Markdown report bench/run prints.

    report.py OUT_DIR TOTAL_SECONDS PROFILE_KIND WRK_COMMAND ROUNDS COLD_POOL"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from datetime import datetime, timezone

out, total, profile_kind, wrk_cmd, rounds, cold_pool = sys.argv[1:7]
rows = [json.loads(l) for l in open(os.path.join(out, "results.jsonl")) if l.strip()]

VARIANTS = {
    "a": "(a) direct to fixed nginx",
    "b": "(b) nginx reverse proxy",
    "c": "(c) libsql-gate, warm token",
    "d": "(d) libsql-gate, new token per request (RS256)",
}
REQUESTS = {
    "select": "small SELECT with 1 arg (POST /v2/pipeline)",
    "rows100": "100-row result (POST /v3/pipeline)",
    "insert": "INSERT with 2 args (POST /v2/pipeline)",
}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def spread(xs, fmt="{:.0f}"):
    if not xs:
        return "n/a"
    return f"{fmt.format(med(xs))} [{fmt.format(min(xs))}–{fmt.format(max(xs))}]"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def tool_version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=5)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception:
        return "?"


p = print
p("# libsql-gate benchmark report")
p()
p(f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; total run time {total} s")
p(f"- machine: {os.cpu_count()} CPUs ({cpu_model()}), kernel {platform.release()}")
p(f"- tools: {tool_version(['wrk', '-v'])}; {tool_version(['nginx', '-v'])}; {tool_version(['openssl', 'version'])}")
p(f"- load: `{wrk_cmd}`; {rounds} rounds, variants alternated within each round (order rotated per round)")
p("- nothing is pinned (`taskset` not used): wrk, nginx (1 worker each) and the gate (2 workers) share the 2 cores,"
  " as a sidecar would; the fixed upstream nginx is shared by (a)–(d)")
loads = [r for r in rows if r["section"] == "loadavg"]
if loads:
    p("- 1-minute load average: " + ", ".join(f"{r['when']} {r['load1']}" for r in loads) +
      " — other work on the machine (e.g. concurrent test runs) shows here and in the [min–max] spreads")
p("- the gate runs its default logging (`level: info`, `access_log: true`, JSON lines to a file)")
p()

# ------------------------------------------------------------------ 1
ov = [r for r in rows if r["section"] == "overhead"]
cache = [r for r in rows if r["section"] == "cache"]
p("## 1. Proxy overhead")
p()
p("Median over rounds, [min–max] in brackets. Throughput in requests/s; latency in µs as wrk measures it"
  " (client-side, includes wrk's own scheduling).")
p()
ratios = {}
for req, req_name in REQUESTS.items():
    p(f"### {req_name}")
    p()
    p("| variant | req/s | p50 µs | p99 µs | non-2xx | token cache hit/miss |")
    p("|---|---:|---:|---:|---:|---|")
    for v, name in VARIANTS.items():
        rs = [r for r in ov if r["request"] == req and r["variant"] == v]
        cs = [c for c in cache if c["request"] == req and c["variant"] == v]
        hm = f"{sum(c['hits'] for c in cs)}/{sum(c['misses'] for c in cs)}" if cs else "—"
        p(f"| {name} | {spread([r['rps'] for r in rs])} | {spread([r['p50_us'] for r in rs])} | "
          f"{spread([r['p99_us'] for r in rs])} | {sum(r['non2xx'] + r['socket_errors'] for r in rs)} | {hm} |")
    by_round = {}
    for r in ov:
        if r["request"] == req:
            by_round.setdefault(r["round"], {})[r["variant"]] = r
    def per_round(f):
        return [f(x) for x in by_round.values() if all(k in x for k in "abcd")]
    ratios[req] = {
        "c/b": per_round(lambda x: x["c"]["rps"] / x["b"]["rps"]),
        "c/a": per_round(lambda x: x["c"]["rps"] / x["a"]["rps"]),
        "d/b": per_round(lambda x: x["d"]["rps"] / x["b"]["rps"]),
        "p99 c-a": per_round(lambda x: x["c"]["p99_us"] - x["a"]["p99_us"]),
        "p99 c-b": per_round(lambda x: x["c"]["p99_us"] - x["b"]["p99_us"]),
        "p50 c-a": per_round(lambda x: x["c"]["p50_us"] - x["a"]["p50_us"]),
        "p99 d-a": per_round(lambda x: x["d"]["p99_us"] - x["a"]["p99_us"]),
    }
    p()
p("### Ratios (computed per round from runs taken side by side, then median [min–max])")
p()
p("| request | (c)/(b) req/s | (c)/(a) req/s | (d)/(b) req/s | p50 added (c)−(a) µs | p99 added (c)−(a) µs | p99 (c)−(b) µs | p99 added (d)−(a) µs |")
p("|---|---:|---:|---:|---:|---:|---:|---:|")
for req in REQUESTS:
    r = ratios[req]
    p(f"| {req} | {spread(r['c/b'], '{:.2f}')} | {spread(r['c/a'], '{:.2f}')} | {spread(r['d/b'], '{:.2f}')} | "
      f"{spread(r['p50 c-a'])} | {spread(r['p99 c-a'])} | {spread(r['p99 c-b'])} | {spread(r['p99 d-a'])} |")
p()

# ------------------------------------------------------------------ 2
p("## 2. Components (Google Benchmark, one core)")
p()
vo = os.path.join(out, "verify_vs_openssl.txt")
rs_ratio = None
if os.path.exists(vo):
    text = open(vo).read()
    p("Cold verification (`jwks::verify`, no cache) vs `openssl speed` verify, per CPU-second"
      " (`SECONDS_PER_RUN=2 bench/verify_vs_openssl.sh`):")
    p()
    p("```")
    p(text.rstrip())
    p("```")
    m = re.search(r"^RS256\s+\S+\s+\S+\s+\S+\s+([0-9.]+)", text, re.M)
    rs_ratio = float(m.group(1)) if m else None
    p()


def gbench(name, title):
    path = os.path.join(out, f"{name}.json")
    if not os.path.exists(path):
        return
    try:
        data = json.load(open(path))
    except Exception:
        return
    p(f"{title} (`{name}`):")
    p()
    p("| benchmark | time/op | CPU/op | items/s |")
    p("|---|---:|---:|---:|")
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate":
            continue
        unit = b.get("time_unit", "ns")
        ips = b.get("items_per_second")
        p(f"| {b['name']} | {b['real_time']:.0f} {unit} | {b['cpu_time']:.0f} {unit} | "
          f"{'' if ips is None else f'{ips:,.0f}'} |")
    p()


gbench("token_cache_bench", "Token-cache hit cost")
gbench("analyzer_bench", "SQL analysis, cached and uncached")
gbench("hrana_decode_bench", "Hrana JSON decode of typical pipelines")

# ------------------------------------------------------------------ 3
p("## 3. Scale, memory, start")
p()
sc = [r for r in rows if r["section"] == "scale"]
mem = {r["connections"]: r for r in rows if r["section"] == "scale_mem"}
p("Warm small SELECT through the gate, `wrk -t2 -cN`, fresh gate per level (peak RSS = VmHWM since start):")
p()
p("| keep-alive connections | req/s | p50 µs | p99 µs | errors | peak RSS MB | RSS after MB |")
p("|---:|---:|---:|---:|---:|---:|---:|")
for r in sc:
    m = mem.get(r["connections"], {})
    p(f"| {r['connections']} | {r['rps']:.0f} | {r['p50_us']} | {r['p99_us']} | {r['non2xx'] + r['socket_errors']} | "
      f"{m.get('hwm_kb', 0) / 1024:.1f} | {m.get('rss_kb', 0) / 1024:.1f} |")
p()
idle = next((r for r in rows if r["section"] == "idle"), None)
ready = [r["ms"] for r in rows if r["section"] == "readiness"]
if idle:
    p(f"- idle RSS 1 s after readiness: **{idle['rss_kb'] / 1024:.1f} MB** (VmHWM {idle['hwm_kb'] / 1024:.1f} MB, "
      f"{idle['threads']} threads)")
if ready:
    p(f"- time to readiness (spawn → admin `/readyz` 200, static JWKS file, schema loaded from the fixed upstream):"
      f" median **{med(ready):.0f} ms**, min {min(ready)} ms, max {max(ready)} ms over {len(ready)} starts"
      f" (polled every 5 ms with curl, so includes ~5–10 ms of polling)")
p()

# ------------------------------------------------------------------ 4
p("## 4. Profile of the warm path")
p()
self_path = os.path.join(out, "profile-self.txt")
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def shorten(fn):
    """A C++ symbol without template arguments, parameter lists and the object file."""
    fn = re.sub(r"\s*\[[^\]]*\]\s*$", "", fn).replace("(anonymous namespace)", "anon")
    for _ in range(20):
        new = re.sub(r"<[^<>]*>", "\x01", fn)
        if new == fn:
            break
        fn = new
    for _ in range(20):
        new = re.sub(r"\([^()]*\)", "\x02", fn)
        if new == fn:
            break
        fn = new
    fn = fn.replace("\x01", "<>").replace("\x02", "()")
    fn = re.sub(r"::_Z\w+", "", fn)  # coroutine frame manglings
    return fn[:120]


def profile_rows(path):
    rows = []
    for line in open(path):
        m = re.match(r"\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)$", line.rstrip())
        if not m or "PROGRAM TOTALS" in line:
            continue
        loc = m.group(3)
        fm = re.match(r"^([^:\s]*?):(?!:)(.*)$", loc)
        file, fn = (fm.group(1), fm.group(2)) if fm else ("", loc)
        rows.append((m.group(1), float(m.group(2)), file, shorten(fn)))
    return rows


if profile_kind == "callgrind" and os.path.exists(self_path):
    p("`perf stat -e instructions` reports `<not supported>` on this VM, so: `valgrind --tool=callgrind` on the gate,"
      " counters zeroed after readiness and a first request, then `wrk -t1 -c4 -d5s` of the warm small SELECT"
      " (user-space instructions only; kernel/syscall time is not counted). Top 15 functions by self instructions"
      " (`callgrind_annotate --inclusive=no`; names shortened, raw lists in `bench/out/profile-*.txt`):")
    p()
    p("| # | self Ir | % | function | file |")
    p("|---:|---:|---:|---|---|")
    skip = ("start_thread", "clone", "io_context::run", "_M_run", "0x0000")
    top = [r for r in profile_rows(self_path) if not any(k in r[3] for k in skip)][:15]
    for i, (ir, pct, file, fn) in enumerate(top, 1):
        p(f"| {i} | {ir} | {pct:.2f} | `{fn}` | {os.path.basename(file)} |")
    p()
    inc = os.path.join(out, "profile-inclusive.txt")
    if os.path.exists(inc):
        p("Where the request's instructions go — the project's own functions by inclusive instructions"
          " (top 15, `callgrind_annotate --inclusive=yes`):")
        p()
        p("| inclusive Ir | % | function |")
        p("|---:|---:|---|")
        project_dirs = ("proxy/", "jwks/", "policy/", "common/")
        ours, seen = [], set()
        for r in profile_rows(inc):  # a function inlined from several files is listed once (largest)
            if (r[2].startswith(root) or r[2].startswith(project_dirs)) and "_M_run" not in r[3] and r[3] not in seen:
                seen.add(r[3])
                ours.append(r)
        ours = ours[:15]
        for ir, pct, file, fn in ours:
            p(f"| {ir} | {pct:.2f} | `{fn}` ({os.path.relpath(file, root) if file.startswith('/') else file}) |")
elif profile_kind == "perf" and os.path.exists(self_path):
    p("`perf record -F 999 -g` of the gate during a warm small-SELECT run, top 15 symbols by self time:")
    p()
    p("```")
    p(open(self_path).read().rstrip())
    p("```")
else:
    p("(no profile taken)")
p()

# ------------------------------------------------------------------ goals
p("## Goals")
p()
sel = ratios.get("select", {})
cb = med(sel.get("c/b", []))
worst_cb = min((med(r["c/b"]) for r in ratios.values() if r["c/b"]), default=float("nan"))
p99add = max((med(r["p99 c-a"]) for r in ratios.values() if r["p99 c-a"]), default=float("nan"))
p("| goal | measured | met |")
p("|---|---|---|")
p(f"| warm path ≥ 0.9× nginx plain proxy throughput | (c)/(b) small SELECT {cb:.2f}; worst request type {worst_cb:.2f} |"
  f" {'yes' if worst_cb >= 0.9 else 'no'} |")
p(f"| p99 added latency < 200 µs at moderate load (c={os.environ.get('BENCH_CONNECTIONS', '16')}) |"
  f" worst request type median p99 (c)−(a) {p99add:.0f} µs | {'yes' if p99add < 200 else 'no'} |")
if rs_ratio is not None:
    p(f"| cold RS256 ≥ 0.8× OpenSSL limit | verify()/openssl {rs_ratio:.2f} | {'yes' if rs_ratio >= 0.8 else 'no'} |")
if idle:
    p(f"| idle RSS < 30 MB | {idle['rss_kb'] / 1024:.1f} MB | {'yes' if idle['rss_kb'] < 30 * 1024 else 'no'} |")
p()
p("Raw data: `bench/out/results.jsonl` (one line per run), `bench/out/wrk.log`, `bench/out/*_bench.json`,"
  " `bench/out/verify_vs_openssl.txt`, configs `bench/out/{gate.yaml,upstream.conf,proxy.conf}`.")
