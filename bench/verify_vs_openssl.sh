#!/usr/bin/env bash
# Cold token verification (jwks::verify, no cache) as a fraction of the OpenSSL
# limit on this machine, measured in the same run (issue 3 "Done when": ≥ 0.8).
#
#   cmake -S . -B build-bench -DLIBSQL_GATE_BENCH=ON && cmake --build build-bench --target verify_bench
#   bench/verify_vs_openssl.sh [path/to/verify_bench]
#
# Both sides count per CPU second on one core: openssl speed divides by user time,
# Google Benchmark's items_per_second by CPU time. RUNS rounds (default 3), each
# ours then openssl back to back; the ratios are taken within a round, then the
# median and [min–max] over rounds are printed, with the load average at each round
# (a shared machine slows both sides, not always alike).
set -euo pipefail

BENCH=${1:-build-bench/bench/verify_bench}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
RUNS=${RUNS:-3}
[[ -x "$BENCH" ]] || { echo "verify_vs_openssl: $BENCH not found (build target verify_bench)" >&2; exit 1; }

rounds=$(mktemp)
trap 'rm -f "$rounds"' EXIT
for ((run = 1; run <= RUNS; run++)); do
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  ours=$("$BENCH" --benchmark_filter='^(verify_|authenticate_cold)' --benchmark_format=json --benchmark_min_time="$SECONDS_PER_RUN" 2>/dev/null)
  theirs=$(openssl speed -seconds "$SECONDS_PER_RUN" rsa2048 ecdsap256 ed25519 2>/dev/null)
  LOAD="$load" OURS="$ours" THEIRS="$theirs" python3 - >>"$rounds" <<'PY'
import json, os, re

ours = {b["name"]: b["items_per_second"] for b in json.loads(os.environ["OURS"])["benchmarks"]}
openssl = {}
for line in os.environ["THEIRS"].splitlines():
    fields = line.split()
    if re.match(r"^rsa\s+2048 bits", line.strip()):
        openssl["RS256"] = float(fields[-1])
    elif "ecdsa (nistp256)" in line:
        openssl["ES256"] = float(fields[-1])
    elif "EdDSA (Ed25519)" in line:
        openssl["EdDSA"] = float(fields[-1])
print(json.dumps({"load": os.environ["LOAD"], "ours": ours, "openssl": openssl}))
PY
done

echo "openssl: $(openssl version)"
echo "command: openssl speed -seconds $SECONDS_PER_RUN rsa2048 ecdsap256 ed25519; $BENCH --benchmark_min_time=$SECONDS_PER_RUN; $RUNS rounds"
ROUNDS="$rounds" python3 - <<'PY'
import json, os, statistics

rounds = [json.loads(line) for line in open(os.environ["ROUNDS"])]
algs = ("RS256", "ES256", "EdDSA")
header = f"{'verify() /s':>12} {'signature /s':>13} {'openssl /s':>11} {'verify()/openssl':>17} {'signature/openssl':>18}"
print(f"{'round':5} {'load avg':16} {'alg':6} {header}")
rows = {alg: [] for alg in algs}
for i, r in enumerate(rounds, 1):
    for alg in algs:
        full = r["ours"][f"verify_token/{alg}"]
        sig = r["ours"][f"verify_signature_only/{alg}"]
        limit = r["openssl"].get(alg)
        if limit is None:
            print(f"{i:5} {r['load']:16} {alg:6} {full:12.0f} {sig:13.0f} {'n/a':>11}")
            continue
        rows[alg].append((full, sig, limit, full / limit, sig / limit))
        print(f"{i:5} {r['load']:16} {alg:6} {full:12.0f} {sig:13.0f} {limit:11.0f} {full / limit:17.2f} {sig / limit:18.2f}")
# The summary keeps the one-round layout (bench/tools/report.py reads its RS256 row):
# medians over rounds, then the spread of the two ratios.
print()
print(f"median of {len(rounds)} rounds; ratios taken within a round")
print(f"{'alg':6} {header} {'verify()/openssl min–max':>25} {'signature/openssl min–max':>26}")
for alg in algs:
    if not rows[alg]:
        continue
    med = [statistics.median(column) for column in zip(*rows[alg])]
    full_ratios = [row[3] for row in rows[alg]]
    sig_ratios = [row[4] for row in rows[alg]]
    print(f"{alg:6} {med[0]:12.0f} {med[1]:13.0f} {med[2]:11.0f} {med[3]:17.2f} {med[4]:18.2f}"
          f" {f'{min(full_ratios):.2f}–{max(full_ratios):.2f}':>25} {f'{min(sig_ratios):.2f}–{max(sig_ratios):.2f}':>26}")
# The gate's whole cold path (Authenticator, token cache off: digest, decode, verify).
gate = [(r["ours"]["authenticate_cold"], r["openssl"]["RS256"]) for r in rounds
        if "authenticate_cold" in r["ours"] and "RS256" in r["openssl"]]
if gate:
    ratios_gate = [ours / limit for ours, limit in gate]
    print(f"gate cold path, RS256 (Authenticator, cache off): {statistics.median(o for o, _ in gate):.0f}/s,"
          f" /openssl {statistics.median(ratios_gate):.2f} [{min(ratios_gate):.2f}–{max(ratios_gate):.2f}]")
PY
