#!/usr/bin/env bash
# Eventvault + Prisma 7: proves that the shipped integrations/prisma/ files work with the real Prisma 7
# CLI and Client against a database the Java server created and wrote to.
#
#   integrations/prisma/test/run.sh            (non-interactive; fine with CI=true and no stdin)
#
# 1. builds target/eventvault.jar if missing or older than the sources; `npm ci` from the lock file
# 2. creates a fresh database evprisma_*, boots the server on it, writes events for two tenants (HTTP)
# 3. prisma generate + Prisma Client 7 (adapter-pg) as the application role (customer/tests/)
# 4. the contract: `prisma migrate diff --exit-code` between eventvault.prisma and the live database
# 5. a customer project (its own models and migrations, one a view over events): migrate deploy,
#    status, diff, dev in sync; again after the server created new partitions; migrate reset
# 6. a database built from ddl/eventvault.sql is accepted by a server in migrations=external mode
# then stops the server, drops its databases and prints `N passed, N failed[, N skipped]`.
#
# Steps 4-5 need Prisma's schema engine. Its native binary cannot be downloaded on offline machines,
# so PRISMA_SCHEMA_ENGINE_BINARY points at tools/schema-engine-standin.mjs (Prisma's wasm engine; a
# stand-in for tests only). A caller may set PRISMA_SCHEMA_ENGINE_BINARY to a native engine instead.
# When no engine answers, those steps are reported skipped, never passed.
#
# Environment: EVENTVAULT_PRISMA_PG (owner, default postgresql://postgres@127.0.0.1:5432),
# EVENTVAULT_PRISMA_APP_PG (application role, default postgresql://eventvault_app@127.0.0.1:5432),
# EVENTVAULT_JAR (a server jar to use as is), KEEP_WORK=1 (keep the work folder .work/<db>/).
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
INTEGRATION=$(dirname "$HERE")
ROOT=$(cd "$INTEGRATION/../.." && pwd)
PG=${EVENTVAULT_PRISMA_PG:-postgresql://postgres@127.0.0.1:5432}
APP_PG=${EVENTVAULT_PRISMA_APP_PG:-postgresql://eventvault_app@127.0.0.1:5432}
DB="evprisma_$(date +%s)_$$"
WORK="$HERE/.work/$DB"
ADMIN_TOKEN="admin-$RANDOM$RANDOM"
PRISMA_BIN="$HERE/node_modules/.bin/prisma"
PRISMA=prisma_cli # the CLI with a time limit: nothing may hang a CI run
prisma_cli() { timeout -k 10 300 "$PRISMA_BIN" "$@"; }
STARTED=$(date +%s)

export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1 NO_COLOR=1 FORCE_COLOR=0
export DATABASE_URL="$PG/$DB"

passed=0 failed=0 skipped=0
declare -A SKIP_REASON=()
SERVER_PID=""
DATABASES=()
mkdir -p "$WORK"
LOG="$WORK/step.log"

say() { printf '%s\n' "$*"; }
T0=$SECONDS
took() { echo "($((SECONDS - T0))s)"; }
pass() { passed=$((passed + 1)); say "PASS  $1 $(took)"; }
fail() {
  failed=$((failed + 1)); say "FAIL  $1 $(took)"
  [ -s "$LOG" ] && tail -n 25 "$LOG" | sed 's/^/      | /'
  return 0
}
skip() { skipped=$((skipped + 1)); say "SKIP  $1 ($2)"; }

# step NAME CMD...: passes when CMD exits 0.
step() {
  local name=$1; shift; T0=$SECONDS
  if "$@" >"$LOG" 2>&1; then pass "$name"; else fail "$name"; fi
}
# step_expect NAME EXIT_CODE PATTERN CMD...: passes when CMD exits EXIT_CODE and prints PATTERN.
step_expect() {
  local name=$1 code=$2 pattern=$3; shift 3; T0=$SECONDS
  "$@" >"$LOG" 2>&1; local rc=$?
  if [ "$rc" -eq "$code" ] && grep -Eq -- "$pattern" "$LOG"; then pass "$name"
  else echo "(exit $rc, wanted $code and /$pattern/)" >>"$LOG"; fail "$name"; fi
}
# gated GATE NAME ...: like step/step_expect, but skipped while GATE has a reason to skip.
gated() {
  local gate=$1 kind=$2 name=$3; shift 3
  if [ -n "${SKIP_REASON[$gate]:-}" ]; then skip "$name" "${SKIP_REASON[$gate]}"; return; fi
  "$kind" "$name" "$@"
}
block() { SKIP_REASON[$1]=$2; }

sql() { node "$HERE/tools/sql.mjs" "$@"; }

start_server() { # start_server DATABASE LOGFILE [ENV=VALUE...]; sets SERVER_PID and PORT
  local db=$1 log=$2; shift 2
  # From the work folder: no conf/config.json there, so the built-in defaults plus these variables.
  (cd "$WORK" && exec env EVENTVAULT_DATABASE_URL="$PG/$db" EVENTVAULT_HTTP_HOST=127.0.0.1 EVENTVAULT_HTTP_PORT=0 \
    EVENTVAULT_ADMIN_TOKEN="$ADMIN_TOKEN" "$@" java -jar "$JAR" >"$log" 2>&1 </dev/null) &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 1 240); do
    PORT=$(sed -n 's/.*listening on port \([0-9][0-9]*\).*/\1/p' "$log" | head -n 1)
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.25
  done
  cat "$log" >>"$LOG"
  stop_server
  return 1
}
stop_server() {
  [ -z "$SERVER_PID" ] && return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 80); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
create_db() { sql "$PG/postgres" "CREATE DATABASE $1" && DATABASES+=("$1"); }
cleanup() {
  stop_server
  for db in "${DATABASES[@]}"; do
    sql "$PG/postgres" "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 \
      || say "warning: could not drop database $db"
  done
  [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
  rmdir "$HERE/.work" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

partition_count() { sql "$PG/$DB" "SELECT count(*) FROM pg_inherits WHERE inhparent = 'public.events'::regclass"; }

say "== Eventvault + Prisma 7 (database $DB)"

# ---------------------------------------------------------------- 1. tools
say "-- setup"
install_node_modules() {
  local want have
  want=$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)
  have=$(cat "$HERE/node_modules/.eventvault-lock-sha" 2>/dev/null)
  if [ "$want" = "$have" ]; then echo "node_modules match package-lock.json"; return 0; fi
  # --ignore-scripts: nothing may try to download Prisma engines at install time.
  (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund) && echo "$want" >"$HERE/node_modules/.eventvault-lock-sha"
}
step "npm ci (exact versions from package-lock.json)" install_node_modules
[ -x "$PRISMA_BIN" ] || block tools "npm ci failed"

build_jar() {
  if [ -n "${EVENTVAULT_JAR:-}" ]; then echo "using $EVENTVAULT_JAR"; return 0; fi
  local jar="$ROOT/target/eventvault.jar"
  if [ -f "$jar" ] && [ -z "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$jar" -print -quit)" ]; then
    echo "$jar is up to date"; return 0
  fi
  (cd "$ROOT" && mvn -q -B -DskipTests package)
}
step "server jar (built if missing or older than the sources)" build_jar
JAR=${EVENTVAULT_JAR:-$ROOT/target/eventvault.jar}
[ -f "$JAR" ] || block tools "no server jar"

# ---------------------------------------------------------------- 2. server and events
say "-- server"
gated tools step "fresh database $DB" create_db "$DB"
[ -n "${SKIP_REASON[tools]:-}" ] || [ "${#DATABASES[@]}" -gt 0 ] || block tools "no database"
gated tools step "Java server boots on it (migrations: auto)" start_server "$DB" "$WORK/server.log"
[ -n "$SERVER_PID" ] || [ -n "${SKIP_REASON[tools]:-}" ] || block tools "the server did not start"
gated tools step "events of tenants acme and globex written through the HTTP API" \
  timeout 120 node "$HERE/tools/seed.mjs" "http://127.0.0.1:${PORT:-0}" "$ADMIN_TOKEN" "$WORK/seed.json"
[ -s "$WORK/seed.json" ] || [ -n "${SKIP_REASON[tools]:-}" ] || block tools "no events were written"

# The customer project and the contract project, with the shipped files copied in as a customer would.
cp -R "$HERE/customer" "$WORK/customer"
cp "$INTEGRATION/prisma.config.snippet.ts" "$WORK/customer/prisma.config.ts"
cp "$INTEGRATION/eventvault.prisma" "$INTEGRATION/ddl/eventvault.sql" "$WORK/customer/prisma/"
mkdir -p "$WORK/customer/src" && cp "$INTEGRATION/eventvault-tenant.ts" "$WORK/customer/src/"
cp -R "$HERE/contract" "$WORK/contract"
cp "$INTEGRATION/eventvault.prisma" "$INTEGRATION/ddl/eventvault.sql" "$WORK/contract/prisma/"
in_customer() { (cd "$WORK/customer" && "$@" </dev/null); }
in_contract() { (cd "$WORK/contract" && "$@" </dev/null); }

# ---------------------------------------------------------------- schema engine
# The native engine when the caller provides one, else the wasm stand-in. `prisma generate` needs no
# engine at all but insists on an executable: without a working engine it gets `false`.
ENGINE_KIND="native engine at ${PRISMA_SCHEMA_ENGINE_BINARY:-}"
if [ -z "${PRISMA_SCHEMA_ENGINE_BINARY:-}" ]; then
  export PRISMA_SCHEMA_ENGINE_BINARY="$HERE/tools/schema-engine-standin.mjs"
  ENGINE_KIND="wasm stand-in (tools/schema-engine-standin.mjs)"
fi
engine_answers() {
  in_contract "$PRISMA" --version && echo 'SELECT 1' | in_contract_stdin "$PRISMA" db execute --stdin
}
in_contract_stdin() { (cd "$WORK/contract" && "$@"); }
if [ -n "${SKIP_REASON[tools]:-}" ]; then
  block engine "${SKIP_REASON[tools]}"
elif engine_answers >"$WORK/engine.log" 2>&1; then
  say "schema engine: $ENGINE_KIND"
else
  say "schema engine unavailable: $ENGINE_KIND does not answer; migrate steps will be skipped"
  tail -n 15 "$WORK/engine.log" | sed 's/^/      | /'
  block engine "no schema engine could run"
  export PRISMA_SCHEMA_ENGINE_BINARY="$(type -P false)" # generate needs an executable, not an engine
fi

# ---------------------------------------------------------------- 3. Prisma Client
say "-- Prisma Client 7 as the application role"
gated tools step "prisma generate (customer schema + shipped eventvault.prisma)" in_customer "$PRISMA" generate
[ -f "$WORK/customer/generated/prisma/client.ts" ] || [ -n "${SKIP_REASON[tools]:-}" ] \
  || block client "prisma generate failed"
[ -n "${SKIP_REASON[tools]:-}" ] && block client "${SKIP_REASON[tools]}"

# client_tests FILE LABEL: node's test runner (TAP); each test counts as one step.
client_tests() {
  local file=$1 label=$2 out="$WORK/$(basename "$1").tap"
  (cd "$WORK/customer" && APP_DATABASE_URL="$APP_PG/$DB" SEED_FILE="$WORK/seed.json" \
    timeout -k 10 300 node --import tsx --test --test-reporter=tap "$file" </dev/null >"$out" 2>&1)
  local rc=$? tests pass_n fail_n skip_n
  tests=$(sed -n 's/^# tests \([0-9]*\)$/\1/p' "$out")
  pass_n=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out")
  fail_n=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out")
  skip_n=$(awk '/^# (skipped|todo) [0-9]+$/ { n += $3 } END { print n + 0 }' "$out")
  if [ -z "$tests" ] || [ "$tests" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "${fail_n:-0}" -eq 0 ]; }; then
    cp "$out" "$LOG"; fail "$label: node --test ran no test or crashed (exit $rc)"; return
  fi
  # Leaf tests only: a suite's (describe) own line follows its tests, less indented.
  local leaf
  while IFS= read -r leaf; do
    case "$leaf" in
      *"not ok "*) say "FAIL  $label: ${leaf#*- }" ;;
      *" # SKIP"*) say "SKIP  $label: ${leaf#*- }" ;;
      *) say "PASS  $label: ${leaf#*- }" ;;
    esac
  done < <(awk '
    /^ *(not )?ok [0-9]+ - / { n++; text[n] = $0; match($0, /[^ ]/); depth[n] = RSTART }
    END { for (i = 1; i <= n; i++) if (!(i > 1 && depth[i] < depth[i - 1])) print text[i] }' "$out")
  passed=$((passed + ${pass_n:-0})); failed=$((failed + ${fail_n:-0})); skipped=$((skipped + ${skip_n:-0}))
  if [ "${fail_n:-0}" -gt 0 ]; then
    grep -A 25 '^ *not ok' "$out" | head -n 80 | sed 's/^/      | /'
  fi
}
gated client step "eventvault-tenant.ts and the tests type-check against the generated client (tsc --strict)" \
  in_customer timeout 300 "$HERE/node_modules/.bin/tsc" -p .
if [ -n "${SKIP_REASON[client]:-}" ]; then skip "Prisma Client tests" "${SKIP_REASON[client]}"
else client_tests tests/events.test.ts client; fi

# ---------------------------------------------------------------- 4. contract
say "-- contract: shipped models == live database (migrate diff --exit-code)"
gated engine step_expect "eventvault.prisma equals the tables the server created" 0 "No difference detected" \
  in_contract "$PRISMA" migrate diff --from-config-datasource --to-schema prisma --exit-code
mutated_contract() { # negative control: the check must see a one-word change of the model
  rm -rf "$WORK/contract-mutated" && cp -R "$WORK/contract" "$WORK/contract-mutated" &&
    sed -i 's/@map("recorded_at") @db.Timestamptz(3)/@map("recorded_at") @db.Timestamptz(6)/' \
      "$WORK/contract-mutated/prisma/eventvault.prisma" &&
    (cd "$WORK/contract-mutated" && "$PRISMA" migrate diff --from-config-datasource --to-schema prisma --exit-code </dev/null)
}
gated engine step_expect "negative control: a changed model (timestamptz(6)) is reported (exit 2)" 2 \
  'Altered column `recorded_at`' mutated_contract

# ---------------------------------------------------------------- 5. customer project
customer_checks() { # customer_checks LABEL
  gated engine step_expect "$1migrate status: up to date" 0 "Database schema is up to date" \
    in_customer "$PRISMA" migrate status
  gated engine step_expect "$1migrate diff migrations -> database: no drift" 0 "No difference detected" \
    in_customer "$PRISMA" migrate diff --from-migrations prisma/migrations --to-config-datasource --exit-code
  gated engine step_expect "$1migrate diff migrations -> schema: nothing to generate" 0 "No difference detected" \
    in_customer "$PRISMA" migrate diff --from-migrations prisma/migrations --to-schema prisma --exit-code
  gated engine step_expect "$1migrate dev: already in sync" 0 "Already in sync" \
    in_customer "$PRISMA" migrate dev
}
say "-- customer project: its own migrations beside Eventvault's tables"
gated engine step_expect "migrate deploy on the database the server created (no P3005)" 0 \
  "All migrations have been successfully applied" in_customer "$PRISMA" migrate deploy
view_exists() { [ "$(sql "$PG/$DB" "SELECT to_regclass('public.order_events') IS NOT NULL")" = true ]; }
if [ -n "${SKIP_REASON[engine]:-}" ]; then skip "client: the customer's view over events" "${SKIP_REASON[engine]}"
elif [ -n "${SKIP_REASON[client]:-}" ]; then skip "client: the customer's view over events" "${SKIP_REASON[client]}"
elif ! view_exists; then skip "client: the customer's view over events" "migrate deploy did not create it"
else client_tests tests/view.test.ts "client (customer view)"; fi
customer_checks ""

new_customer_migration() { # the customer changes a model: the new migration holds that change only
  rm -rf "$WORK/customer-next" && cp -R "$WORK/customer" "$WORK/customer-next" || return 1
  cat >>"$WORK/customer-next/prisma/schema.prisma" <<'MODEL'

model Product {
  id    Int    @id @default(autoincrement())
  sku   String @unique
  title String

  @@map("products")
}
MODEL
  (cd "$WORK/customer-next" && "$PRISMA" migrate dev --create-only --name add_products </dev/null) || return 1
  local file
  file=$(ls "$WORK/customer-next/prisma/migrations/"*_add_products/migration.sql) || return 1
  cat "$file"
  grep -q 'CREATE TABLE "products"' "$file" || return 1
  ! grep -Eiq 'event|tenant|api_keys|subscriptions|audit_log|partition' "$file"
}
gated engine step "migrate dev --create-only after a model change: a migration with the customer's table only" \
  new_customer_migration

say "-- after the server created new partitions"
more_partitions() {
  local before after
  before=$(partition_count) || return 1
  stop_server
  start_server "$DB" "$WORK/server-2.log" EVENTVAULT_PARTITIONS_DAYS_AHEAD=14 || return 1
  after=$(partition_count) || return 1
  echo "partitions of public.events: $before before, $after after"
  [ "$after" -gt "$before" ]
}
gated tools step "server restarted with partitions.daysAhead=14 created new partitions" more_partitions
customer_checks "new partitions: "
whole_database_contract() { # the customer's models + eventvault.prisma (events etc. NOT external) == database
  rm -rf "$WORK/contract-full" && mkdir -p "$WORK/contract-full/prisma" &&
    cp "$WORK/customer/prisma/"*.prisma "$WORK/customer/prisma/eventvault.sql" "$WORK/contract-full/prisma/" &&
    cp "$WORK/contract/prisma.config.ts" "$WORK/contract-full/" &&
    (cd "$WORK/contract-full" && "$PRISMA" migrate diff --from-config-datasource --to-schema prisma --exit-code </dev/null)
}
gated engine step_expect "new partitions: customer models + eventvault.prisma equal the whole database" 0 \
  "No difference detected" whole_database_contract

say "-- migrate reset (documented pitfall: it drops Eventvault's tables too)"
reset_drops_eventvault() {
  stop_server
  # Reset drops the public schema, Eventvault's tables included, then replays the customer's
  # migrations, which fails at the view over events: the events table is gone.
  local out rc
  out=$(in_customer "$PRISMA" migrate reset --force 2>&1); rc=$?
  echo "$out"
  [ "$rc" -ne 0 ] || { echo "reset unexpectedly succeeded"; return 1; }
  grep -q "No such table: public.events" <<<"$out" || { echo "reset failed for another reason"; return 1; }
  [ "$(sql "$PG/$DB" "SELECT to_regclass('public.events') IS NULL AND to_regclass('public.tenants') IS NULL")" = true ]
}
gated engine step "migrate reset --force drops Eventvault's tables (and then fails on the view over events)" \
  reset_drops_eventvault
server_recreates() {
  # The reset recreated `public` without PostgreSQL's default USAGE grant to PUBLIC; the application
  # role then cannot reach any table. Restore the default (README, pitfalls).
  sql "$PG/$DB" "GRANT USAGE ON SCHEMA public TO PUBLIC" || return 1
  start_server "$DB" "$WORK/server-3.log" || return 1
  grep -h "applying migration\|schema is current" "$WORK/server-3.log"
  [ "$(sql "$PG/$DB" "SELECT max(version) FROM eventvault_migrations")" -ge 1 ]
}
if [ -z "${SKIP_REASON[engine]:-}" ]; then
  say "      (after the reset, eventvault_app has USAGE on schema public: $(sql "$PG/$DB" \
    "SELECT has_schema_privilege('eventvault_app', 'public', 'USAGE')" 2>&1))"
fi
gated engine step "after the reset (and GRANT USAGE ON SCHEMA public TO PUBLIC) the server recreates its schema" \
  server_recreates
redeploy() {
  in_customer "$PRISMA" migrate resolve --rolled-back 20260115000000_order_events || return 1
  in_customer "$PRISMA" migrate deploy || return 1
  in_customer "$PRISMA" migrate status
}
gated engine step_expect "then migrate resolve --rolled-back + migrate deploy: up to date again" 0 \
  "Database schema is up to date" redeploy

# ---------------------------------------------------------------- 6. external migrations mode
say "-- database built from ddl/eventvault.sql, server in migrations=external mode"
EXTERNAL_DB="${DB}_ext"
external_mode() {
  local saved_pid=$SERVER_PID
  create_db "$EXTERNAL_DB" || return 1
  sql "$PG/$EXTERNAL_DB" -f "$INTEGRATION/ddl/eventvault.sql" || return 1
  SERVER_PID=""
  start_server "$EXTERNAL_DB" "$WORK/server-external.log" EVENTVAULT_DATABASE_MIGRATIONS=external || {
    SERVER_PID=$saved_pid; return 1; }
  grep -h "checked\|listening" "$WORK/server-external.log"
  stop_server
  SERVER_PID=$saved_pid
}
gated tools step "server with migrations=external accepts a database built from the shipped DDL" external_mode
external_contract() {
  (cd "$WORK/contract" && DATABASE_URL="$PG/$EXTERNAL_DB" "$PRISMA" migrate diff \
    --from-config-datasource --to-schema prisma --exit-code </dev/null)
}
if [ -n "${SKIP_REASON[engine]:-}" ]; then skip "eventvault.prisma equals the DDL-built database" "${SKIP_REASON[engine]}"
elif [[ " ${DATABASES[*]} " == *" $EXTERNAL_DB "* ]]; then
  step_expect "eventvault.prisma equals the DDL-built database" 0 "No difference detected" external_contract
else skip "eventvault.prisma equals the DDL-built database" "no DDL-built database"; fi

# ---------------------------------------------------------------- done
stop_server
say "-- took $(( $(date +%s) - STARTED ))s; schema engine: $ENGINE_KIND"
if [ "$skipped" -gt 0 ]; then
  say "$passed passed, $failed failed, $skipped skipped"
else
  say "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
