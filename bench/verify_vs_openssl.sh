#!/usr/bin/env bash
# Cold token verification (jwks::verify, no cache) as a fraction of the OpenSSL
# limit on this machine, measured in the same run (issue 3 "Done when": ≥ 0.8).
#
#   cmake -S . -B build-bench -DLIBSQL_GATE_BENCH=ON && cmake --build build-bench --target verify_bench
#   bench/verify_vs_openssl.sh [path/to/verify_bench]
#
# Both sides count per CPU second on one core: openssl speed divides by user time,
# Google Benchmark's items_per_second by CPU time.
set -euo pipefail

BENCH=${1:-build-bench/bench/verify_bench}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
[[ -x "$BENCH" ]] || { echo "verify_vs_openssl: $BENCH not found (build target verify_bench)" >&2; exit 1; }

ours=$("$BENCH" --benchmark_format=json --benchmark_min_time="$SECONDS_PER_RUN" 2>/dev/null)
theirs=$(openssl speed -seconds "$SECONDS_PER_RUN" rsa2048 ecdsap256 ed25519 2>/dev/null)

echo "openssl: $(openssl version)"
echo "command: openssl speed -seconds $SECONDS_PER_RUN rsa2048 ecdsap256 ed25519"
OURS="$ours" THEIRS="$theirs" python3 - <<'PY'
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

print(f"{'alg':6} {'verify() /s':>12} {'signature /s':>13} {'openssl /s':>11} {'verify()/openssl':>17} {'signature/openssl':>18}")
for alg in ("RS256", "ES256", "EdDSA"):
    full = ours[f"verify_token/{alg}"]
    sig = ours[f"verify_signature_only/{alg}"]
    limit = openssl.get(alg)
    if limit is None:
        print(f"{alg:6} {full:12.0f} {sig:13.0f} {'n/a':>11}")
        continue
    print(f"{alg:6} {full:12.0f} {sig:13.0f} {limit:11.0f} {full / limit:17.2f} {sig / limit:18.2f}")
PY
