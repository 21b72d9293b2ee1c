#!/usr/bin/env bash
# Prometheus end to end: a real Prometheus (Debian's package) scrapes a running
# ringbus; the scrape must be up and the appended-events figure must arrive through
# Prometheus's HTTP API. Then promtool checks deploy/prometheus/prometheus.yml,
# deploy/prometheus/alerts.yml and the /metrics output itself.
#
# Usage: bash .ci/prometheus.sh   (uses target/release/ringbus, built if missing;
# RINGBUS_BIN overrides it). Needs root for apt-get, as on CI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
fail() { echo "prometheus.sh: $*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends 'prometheus=2.42.0+ds-5*' curl >/dev/null \
  || fail "cannot install Debian's prometheus package"
# The package may start a Prometheus service on :9090; this script runs its own.
service prometheus stop >/dev/null 2>&1 || true
command -v prometheus >/dev/null || fail "prometheus is not installed"
command -v promtool >/dev/null || fail "promtool is not installed"
command -v redis-cli >/dev/null || apt-get install -y -qq 'redis-tools=5:7.0.15*' >/dev/null \
  || fail "redis-cli is required (Debian's redis-tools)"
prometheus --version 2>&1 | head -1

BIN=${RINGBUS_BIN:-$ROOT/target/release/ringbus}
[ -x "$BIN" ] || cargo build --release
[ -x "$BIN" ] || fail "no ringbus binary at $BIN"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
METRICS=$(free_port)
WEB=$(free_port)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" --port "$PORT" --bind 127.0.0.1 --metrics-addr "127.0.0.1:$METRICS" --log-level warn \
  2>"$WORK/ringbus.log" &
PIDS+=($!)
for _ in $(seq 1 50); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$PORT" ping | grep -q PONG || { cat "$WORK/ringbus.log"; fail "ringbus did not start"; }

cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ringbus
    static_configs:
      - targets: ["127.0.0.1:$METRICS"]
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="127.0.0.1:$WEB" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)

APPENDS=250
for i in $(seq 1 "$APPENDS"); do echo "XADD ci:conversation * n $i"; done \
  | redis-cli -p "$PORT" >/dev/null
[ "$(redis-cli -p "$PORT" XLEN ci:conversation)" = "$APPENDS" ] || fail "the XADDs did not all land"

# The value of the first sample of an instant query, or nothing (also while
# Prometheus is still starting).
query() {
  { curl -s --get "http://127.0.0.1:$WEB/api/v1/query" --data-urlencode "query=$1" || true; } \
    | python3 -c 'import json,sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}

UP="" APPENDED=""
for _ in $(seq 1 60); do
  UP=$(query 'up{job="ringbus"}')
  APPENDED=$(query 'ringbus_events_appended_total{job="ringbus",track="conversation"}')
  [ "$UP" = "1" ] && [ "$APPENDED" = "$APPENDS" ] && break
  sleep 1
done
if [ "$UP" != "1" ] || [ "$APPENDED" != "$APPENDS" ]; then
  echo "--- prometheus log"; tail -20 "$WORK/prometheus.log"
  echo "--- ringbus log"; tail -20 "$WORK/ringbus.log"
  fail "after 60 s Prometheus shows up=${UP:-none}, appended=${APPENDED:-none} (want 1, $APPENDS)"
fi
echo "Prometheus scraped ringbus: up=$UP, ringbus_events_appended_total{track=\"conversation\"}=$APPENDED"
TIMED=$(query 'ringbus_command_duration_seconds_count{job="ringbus",command="xadd"}')
[ "$TIMED" = "$APPENDS" ] || fail "the XADD duration histogram counts ${TIMED:-nothing}, want $APPENDS"
echo "Prometheus has the XADD duration histogram: count=$TIMED"

promtool check config deploy/prometheus/prometheus.yml
promtool check rules deploy/prometheus/alerts.yml
# Every PromQL expression of the Grafana dashboard must parse: check them as rules.
python3 - deploy/grafana/ringbus.json >"$WORK/dashboard-rules.yml" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
print("groups:\n  - name: dashboard\n    rules:")
n = 0
for panel in dashboard["panels"]:
    for target in panel["targets"]:
        expr = target["expr"].replace("$__rate_interval", "1m")
        expr = expr.replace("$job", ".*").replace("$instance", ".*")
        n += 1
        print(f"      - record: dashboard:expr{n}\n        expr: {json.dumps(expr)}")
PY
promtool check rules "$WORK/dashboard-rules.yml" >/dev/null \
  || { promtool check rules "$WORK/dashboard-rules.yml"; fail "the dashboard has invalid PromQL"; }
echo "deploy/grafana/ringbus.json: every PromQL expression parses"
curl -sf "http://127.0.0.1:$METRICS/metrics" >"$WORK/metrics.txt" || fail "cannot fetch /metrics"
promtool check metrics <"$WORK/metrics.txt" || fail "promtool check metrics found problems"
echo "promtool check metrics: clean ($(grep -c '^# TYPE' "$WORK/metrics.txt") families)"
echo "prometheus.sh: passed"
