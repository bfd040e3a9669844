#!/usr/bin/env bash
# Issue 4 benchmark: replay throughput vs COPY TO STDOUT, follow latency at 1k and 5k events/s with many
# followers, server RSS while following. Usage: bench/replay/run.sh [--quick] [--events N] [--followers N]
# [--seconds N]. Needs the PostgreSQL named by BENCH_PG (default postgresql://postgres@127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/../.."

EVENTS=200000; FOLLOWERS=100; SECONDS_PER_RATE=30
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) EVENTS=20000; FOLLOWERS=10; SECONDS_PER_RATE=10 ;;
    --events) EVENTS="$2"; shift ;;
    --followers) FOLLOWERS="$2"; shift ;;
    --seconds) SECONDS_PER_RATE="$2"; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

PG="${BENCH_PG:-postgresql://postgres@127.0.0.1:5432}"
DB="evreplay_$(date +%s)"
ADMIN="replay-bench-admin"
mkdir -p target/bench
[ -f target/eventvault.jar ] || mvn -q -B -DskipTests package
mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/bench/replay-cp.txt -Dmdep.includeScope=test >/dev/null

psql "$PG/postgres" -qc "CREATE DATABASE $DB"
LOG=target/bench/replay-server.log
EVENTVAULT_DATABASE_URL="$PG/$DB" EVENTVAULT_HTTP_PORT=0 EVENTVAULT_HTTP_HOST=127.0.0.1 \
  EVENTVAULT_ADMIN_TOKEN="$ADMIN" java -jar target/eventvault.jar > "$LOG" 2>&1 &
SERVER=$!
cleanup() {
  kill -TERM "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  PORT=$(grep -o 'listening on port [0-9]*' "$LOG" | awk '{print $4}' || true)
  [ -n "$PORT" ] && break
  sleep 0.5
done
[ -n "$PORT" ] || { cat "$LOG"; exit 1; }

JDBC="jdbc:postgresql://${PG#postgresql://}/$DB"
JDBC="${JDBC/postgres@/}?user=postgres"
echo "server pid $SERVER on port $PORT; $EVENTS events, $FOLLOWERS followers, $SECONDS_PER_RATE s per rate"
java -cp "$(cat target/bench/replay-cp.txt)" bench/replay/ReplayBench.java \
  "http://127.0.0.1:$PORT" "$ADMIN" "$JDBC" "$SERVER" "$EVENTS" "$FOLLOWERS" "$SECONDS_PER_RATE"
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E "^eventvault_stream_follow_latency_seconds\{quantile|^eventvault_stream_reads_total|^eventvault_writer_flush_latency_seconds_count" || true
