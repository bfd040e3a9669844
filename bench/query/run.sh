#!/usr/bin/env bash
# Eventvault query benchmark (issue 3): generates the dataset, loads it with COPY into a database migrated by the
# server's own migrations, then runs every query class through the HTTP API at concurrency 1 and 16, without and
# with concurrent ingest, and prints p50/p95/p99 per class against the goals.
#
#   bench/query/run.sh                       20 M events over 30 daily partitions, 50 tenants (default)
#   bench/query/run.sh --events 1000000      a smaller dataset
#   bench/query/run.sh --keep-db             keep the database evq_<size> afterwards; the next run with the same
#                                            dataset options reuses it instead of loading again
#   bench/query/run.sh --help                all options
#
# Needs JDK 17, Maven and a PostgreSQL reachable as BENCH_PG (default postgresql://postgres@127.0.0.1:5432) whose
# role may CREATE DATABASE; it creates and drops only databases named evq_*. Uses 127.0.0.1 only.
# Results: printed, and written to bench/query/target/results-*.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/query"
PG="${BENCH_PG:-postgresql://postgres@127.0.0.1:5432}"
JAR="${EVENTVAULT_JAR:-$ROOT/target/eventvault.jar}"

for a in "$@"; do
  if [[ "$a" == "--help" || "$a" == "-h" ]]; then
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'USAGE'
Options:
  --events N            events to generate (default 20000000)    --days N      daily partitions (default 30)
  --tenants N           tenants (default 50)                     --seed N      generator seed (default 42)
  --db evq_NAME         database name (default evq_<events>)     --reload      load again even if it exists
  --load-only           load and stop                            --keep-db     do not drop the database at the end
  --seconds S           measuring time per cell (default 10)     --max-requests N  per cell (default 5000)
  --concurrency 1,16    client counts                            --ingest off,on   without / with ingest
  --ingest-rate N       concurrent ingest, events/s (default 1000)
  --classes a,b         only these classes: get_by_id project_type_24h user subject correlation_id
                        contains_project_24h contains_broad_project_24h where_range_project_type newest_100
                        deep_page_1 deep_page_1000
  --apply-sql FILE       run a SQL file on the database first (e.g. bench/query/sql/V010__query_indexes.sql)
  --server-java-opt OPT (repeatable)   --server-env NAME=VALUE (repeatable, e.g. EVENTVAULT_DATABASE_POOLSIZE=8)
Environment: BENCH_PG, EVENTVAULT_JAR (server jar; default target/eventvault.jar, built if missing).
USAGE
    exit 0
  fi
done

command -v java >/dev/null || { echo "java (JDK 17) is required" >&2; exit 2; }
command -v mvn >/dev/null || { echo "mvn is required" >&2; exit 2; }

if [[ ! -f "$JAR" ]]; then
  echo "== building the server (mvn -q -DskipTests package)"
  (cd "$ROOT" && mvn -q -DskipTests package)
fi

BENCH_JAR="$HERE/target/eventvault-bench-query.jar"
if [[ ! -f "$BENCH_JAR" || -n "$(find "$HERE/src" "$HERE/pom.xml" -newer "$BENCH_JAR" -print -quit)" ]]; then
  echo "== building the query benchmark (bench/query/pom.xml)"
  (cd "$HERE" && mvn -q -DskipTests package)
fi

cd "$ROOT"
exec java -Xmx2g -jar "$BENCH_JAR" --pg "$PG" --jar "$JAR" --out "$HERE/target" "$@"
