#!/usr/bin/env bash
# HTTP load on a running local credit-api with wrk (Debian package `wrk`), as a separate process on 127.0.0.1.
# Start the system first: java -jar local/target/metering-local.jar --data-dir DIR
# Usage: bench/api-load.sh [DATA_DIR] [SECONDS]     (defaults: ./data, 15)
set -euo pipefail
DATA_DIR=${1:-data}
SECONDS_PER_RUN=${2:-15}
API=http://127.0.0.1:8084
command -v wrk > /dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 2; }
token() { java -jar local/target/metering-local.jar token --data-dir "$DATA_DIR" "$@"; }
ADMIN=$(token --user admin@example.com --admin)
SERVICE=$(token --user proxy-bench --service)
RUN=$(date +%s)
USERS=200
for i in $(seq 1 $USERS); do
  curl -sf -X POST "$API/api/v1/admin/credits/allocate" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
       -d "{\"user_id\":\"bench-$RUN-$i\",\"amount\":1000000}" > /dev/null
done
USER_TOKEN=$(token --user "bench-$RUN-1")
WORK=$(mktemp -d)
cat > "$WORK/hold.lua" <<LUA
counter = 0
-- each wrk thread runs its own Lua state with the same random seed: a per-thread prefix keeps request ids unique
init = function(args) prefix = tostring({}):gsub("[^%w]", "") end
request = function()
  counter = counter + 1
  local user = "bench-$RUN-" .. math.random(1, $USERS)
  local body = '{"user_id":"' .. user .. '","request_id":"r-' .. prefix .. '-' .. counter .. '","estimated_cost":0.000001,"ttl_seconds":60}'
  return wrk.format("POST", "/api/v1/credits/holds", {["Authorization"]="Bearer $SERVICE", ["Content-Type"]="application/json"}, body)
end
LUA
cat > "$WORK/authorize.lua" <<LUA
request = function()
  return wrk.format("GET", "/api/v1/credits/authorize?estimated_cost=0.01&user_id=bench-$RUN-" .. math.random(1, $USERS),
                    {["Authorization"]="Bearer $SERVICE"})
end
LUA
cat > "$WORK/deduct.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"amount":0.000001}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $USER_TOKEN"
LUA
cat > "$WORK/cost.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"tokens_used":1000,"model":"gpt-4o","power_level":"balanced"}'
wrk.headers["Content-Type"] = "application/json"
LUA
run() { # name, wrk arguments...
  local name=$1; shift
  wrk -t1 -c8 -d5s "$@" > /dev/null   # warm-up: JIT and connection pools
  local out; out=$(wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency "$@")
  printf "| %s | %s | %s | %s | %s |\n" "$name" "$(awk '/Requests\/sec/ {printf "%d", $2}' <<< "$out")" \
    "$(awk '$1=="50%" {print $2}' <<< "$out")" "$(awk '$1=="90%" {print $2}' <<< "$out")" "$(awk '$1=="99%" {print $2}' <<< "$out")"
}
echo "| endpoint | requests/s | p50 | p90 | p99 |"
echo "|---|---|---|---|---|"
run "POST /api/v1/credits/calculate-cost (no auth, no database)" -s "$WORK/cost.lua" "$API/api/v1/credits/calculate-cost"
run "GET /api/v1/credits/balance (warm cache)" -H "Authorization: Bearer $USER_TOKEN" "$API/api/v1/credits/balance"
run "GET /api/v1/credits/authorize (200 users)" -s "$WORK/authorize.lua" "$API"
run "POST /api/v1/credits/holds (200 users)" -s "$WORK/hold.lua" "$API"
run "POST /api/v1/credits/deduct (one account)" -s "$WORK/deduct.lua" "$API/api/v1/credits/deduct"
# the launcher prints credit-api's metrics URL (a loopback management port): METRICS=http://127.0.0.1:PORT/actuator/prometheus
if [ -n "${METRICS:-}" ]; then curl -s "$METRICS" | awk '/^credit_cache_requests_total/ {print "cache " $0}'; fi
rm -rf "$WORK"
