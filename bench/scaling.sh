#!/usr/bin/env bash
# The cost curve of the pipeline: e2e at growing event and user counts, one run after the other on this machine,
# then one table of events/s, heap, topology state and usage_events size per million events.
# Usage: bench/scaling.sh [RESULTS_DIR]     (default bench/results/scaling; about 25 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/results/scaling}
JAR=bench/target/metering-bench.jar
[ -f "$JAR" ] || ./mvnw -B -q install -DskipTests
POINTS="100000:1000 100000:100000 1000000:1000 1000000:100000 1000000:1000000 5000000:1000000"
for point in $POINTS; do
  events=${point%%:*}; users=${point##*:}
  dir="$OUT/e$events-u$users"
  echo "[scaling] $events events, $users users"
  java -Xmx8g -jar "$JAR" e2e --events "$events" --users "$users" --results "$dir" | grep -E '^\[bench\] e2e|^discrepancies'
done
python3 - "$OUT" $POINTS <<'PY'
import json, sys, os
out = sys.argv[1]
print("| events | users | events/s | unique events/s | heap peak | topology state | usage_events per million events | discrepancies |")
print("|---|---|---|---|---|---|---|---|")
for point in sys.argv[2:]:
    events, users = point.split(":")
    f = os.path.join(out, f"e{events}-u{users}", "e2e.json")
    if not os.path.exists(f):
        continue
    r = json.load(open(f))
    per_million = r["usage_events_mib"] / (r["unique_valid_events"] / 1e6)
    print(f"| {int(events):,} | {int(users):,} | {r['events_per_second']:,} | {r['unique_events_per_second']:,} | {r['heap_peak_mib']:,} MiB "
          f"| {r['state_store_mib']:,} MiB | {per_million:,.0f} MiB | {r['discrepancies']} |")
PY
