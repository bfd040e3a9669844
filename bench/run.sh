#!/usr/bin/env bash
# Eventvault benchmark (issue 7): COPY ceiling, naive baseline, HTTP batch/single ingest, open-loop ack
# latency, CPU split, WAL per event and server RSS — one run, same generated events.
#
#   bench/run.sh            full run (~8 minutes)
#   bench/run.sh --quick    reduced run (< 3 minutes once the jars are built)
#   bench/run.sh --soak     full run plus a 10-minute steady load sampling the server's RSS every 10 s
#   bench/run.sh --help     all options
#
# Needs: JDK 17, Maven, a PostgreSQL 15 reachable as BENCH_PG (default postgresql://postgres@127.0.0.1:5432,
# a role that may CREATE DATABASE; it creates and drops databases named evbench_*).
# Writes target/bench/summary.json (and logs) under the repository root.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
PG="${BENCH_PG:-postgresql://postgres@127.0.0.1:5432}"

for a in "$@"; do
  if [[ "$a" == "--help" || "$a" == "-h" ]]; then
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'USAGE'
Options: --quick --soak --jfr --keep-db --arms copy,naive,unnest,batch,single,open,soak
         --rates 1000,5000,10000 --arm-seconds N --soak-seconds 600 --soak-rate 5000
         --open-connections 256 --server-java-opt OPT (repeatable) --no-analyze --writer-sql-variant FILE --rebuild
Environment: BENCH_PG, EVENTVAULT_WRITER_* and other EVENTVAULT_* overrides pass through to the server.
USAGE
    exit 0
  fi
done

REBUILD=0
ARGS=()
for a in "$@"; do
  if [[ "$a" == "--rebuild" ]]; then REBUILD=1; else ARGS+=("$a"); fi
done

command -v java >/dev/null || { echo "java (JDK 17) is required" >&2; exit 2; }
command -v mvn >/dev/null || { echo "mvn is required" >&2; exit 2; }

if [[ $REBUILD == 1 || ! -f "$ROOT/target/eventvault.jar" ]]; then
  echo "== building the server (mvn -q -DskipTests package)"
  (cd "$ROOT" && mvn -q -DskipTests package)
fi

BENCH_JAR="$BENCH/target/eventvault-bench.jar"
if [[ $REBUILD == 1 || ! -f "$BENCH_JAR" || -n "$(find "$BENCH/src" "$BENCH/pom.xml" -newer "$BENCH_JAR" -print -quit)" ]]; then
  echo "== building the load generator (bench/pom.xml)"
  (cd "$BENCH" && mvn -q -DskipTests package)
fi

mkdir -p "$ROOT/target/bench"
# The generator's own heap is small and fixed so its footprint does not vary between runs.
GEN_NICE=()
if [[ $(id -u) == 0 ]] && command -v nice >/dev/null; then GEN_NICE=(nice -n -5); fi
# The generator runs at a slightly higher priority (when root) so that its own scheduling delays do not
# inflate the open-loop latencies; its work is fixed by the schedule, so this takes no capacity from the server.
exec ${GEN_NICE[@]+"${GEN_NICE[@]}"} java -Xms256m -Xmx1g -XX:+UseParallelGC -Xlog:gc:file="$ROOT/target/bench/generator-gc.log" -jar "$BENCH_JAR" --root "$ROOT" --pg "$PG" ${ARGS[@]+"${ARGS[@]}"}
